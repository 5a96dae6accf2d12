"""The WeChat Official Account (公众号) channel: callback server, pushes, shared access token.

Only this package (and `bot.commands.wechat`) imports wechatpy. `WeChatChannel` in `channel.py`
is what `hotline run` starts and stops.
"""
