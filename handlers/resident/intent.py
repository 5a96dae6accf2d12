"""Whether a resident's first message plainly is a complaint (投诉), so the intake can skip
asking the type. Conservative: anything that reads as a question, a suggestion, praise or a
request for help keeps the type question, because a wrong guess sets the wrong clocks."""

from __future__ import annotations

import re

# Words of grievance: something is wrong and the resident wants it stopped or fixed.
_GRIEVANCE = re.compile(
    r"投诉|举报|扰民|太吵|噪音|噪声|异味|臭|乱停|乱堆|乱搭|违建|违章|占道|油烟|拖欠|欠薪|"
    r"不给|不退|不修|不管|没人管|没人修|坏了|坏掉|堵了|堵塞|漏水|停水|停电|不热|不暖|"
    r"严重|影响|脏|乱|差|骗"
)
# Words that make it something else: a question, a suggestion, praise, a plea for help.
_OTHER = re.compile(
    r"[?？]|吗|怎么办|怎么|如何|哪里|在哪|能否|能不能|可不可以|是否|请问|咨询|想问|"
    r"建议|希望能|提议|表扬|感谢|谢谢|点赞|求助|救助|帮帮"
)


def plainly_complaint(text: str) -> bool:
    return bool(_GRIEVANCE.search(text)) and not _OTHER.search(text)
