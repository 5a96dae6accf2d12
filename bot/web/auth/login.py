"""Log in, log out, and the one-time set-up link that sets a password (public routes)."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web

from bot.web.access import viewer_of
from bot.web.auth.csrf import check_pre_login, pre_login_token, set_pre_cookies
from bot.web.auth.passwords import hash_password, password_problem, verify_password
from bot.web.auth.sessions import clear_session_cookie, set_session_cookie
from bot.web.auth.tokens import keyed_hash, new_token
from bot.web.context import deps_of
from bot.web.render import render
from storage.webaccounts import (
    account_by_login,
    account_for_setup,
    close_session,
    open_session,
    purge_expired,
    recent_failures,
    record_attempt,
    set_password,
    update_password_hash,
)

log = logging.getLogger(__name__)

HOME = "/desk/cases"


def _next_path(raw: str | None) -> str:
    """Only a local path: an open redirect would make a phishing link look like ours."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return HOME


def _form_page(
    request: web.Request, template: str, status: int = 200, **context: object
) -> web.Response:
    cookies: dict[str, str] = {}
    token = pre_login_token(request, cookies)
    response = render(request, template, {"form_token": token, **context}, status=status)
    set_pre_cookies(response, deps_of(request), cookies)
    return response


async def login_page(request: web.Request) -> web.Response:
    return _form_page(request, "login.html", next=_next_path(request.query.get("next")))


async def login(request: web.Request) -> web.Response:
    await check_pre_login(request)
    deps = deps_of(request)
    settings = deps.settings
    form = await request.post()
    login_name = str(form.get("login", "")).strip()[:64]
    password = str(form.get("password", ""))[:512]
    target = _next_path(str(form.get("next", "")) or None)
    address = request.remote or "-"
    now = deps.core.clock.now()
    since = now - timedelta(minutes=settings.login_window_minutes)
    async with deps.app.sessionmaker() as session, session.begin():
        by_login, by_address = await recent_failures(
            session=session, login=login_name, address=address, since=since
        )
        if (
            by_login >= settings.login_failures_per_account
            or by_address >= settings.login_failures_per_address
        ):
            log.warning(
                "web: login for %r from %s refused: too many failures (%d/%d)",
                login_name,
                address,
                by_login,
                by_address,
            )
            return _form_page(
                request,
                "login.html",
                status=429,
                next=target,
                login=login_name,
                error=f"尝试次数过多，请 {settings.login_window_minutes} 分钟后再试",
            )
        account = await account_by_login(session=session, login=login_name)
        verdict = await verify_password(account.password_hash if account else None, password)
        await record_attempt(
            session=session, login=login_name, address=address, now=now, succeeded=verdict.ok
        )
        if account is None or not verdict.ok:
            log.info("web: failed login for %r from %s", login_name, address)
            error = "登录名或密码不对"
        else:
            if verdict.needs_rehash:
                await update_password_hash(
                    session=session, account_id=account.id, new_hash=await hash_password(password)
                )
            token = new_token()
            await open_session(
                session=session,
                account_id=account.id,
                token_hash=keyed_hash(deps.secret, token),
                csrf_token=new_token(),
                now=now,
                idle=timedelta(minutes=settings.session_idle_minutes),
                address=address,
            )
            await purge_expired(session=session, now=now, keep=timedelta(days=1))
            error = None
    if error is not None:
        return _form_page(
            request, "login.html", status=401, next=target, login=login_name, error=error
        )
    log.info("web: %r signed in from %s", login_name, address)
    response = web.HTTPSeeOther(target)
    set_session_cookie(response, deps, token)
    raise response


async def logout(request: web.Request) -> web.Response:
    """POST only (with the CSRF token): a link could be triggered by another site."""
    deps = deps_of(request)
    viewer = viewer_of(request)
    async with deps.app.sessionmaker() as session, session.begin():
        await close_session(session=session, token_hash=viewer.session_hash)
    response = web.HTTPSeeOther("/login")
    clear_session_cookie(response, deps)
    raise response


async def setup_page(request: web.Request) -> web.Response:
    deps = deps_of(request)
    token = request.match_info["token"]
    async with deps.app.sessionmaker() as session:
        account = await account_for_setup(session=session, token=token, now=deps.core.clock.now())
    if account is None:
        return render(
            request,
            "message.html",
            {"title": "链接无效", "message": "这个设置链接已用过或已过期，请向管理员要一个新的。"},
            status=404,
        )
    return _form_page(request, "setup.html", login=account.login)


async def setup(request: web.Request) -> web.Response:
    await check_pre_login(request)
    deps = deps_of(request)
    token = request.match_info["token"]
    form = await request.post()
    password = str(form.get("password", ""))
    repeated = str(form.get("password2", ""))
    now = deps.core.clock.now()
    async with deps.app.sessionmaker() as session, session.begin():
        account = await account_for_setup(session=session, token=token, now=now)
        if account is None:
            return render(
                request,
                "message.html",
                {
                    "title": "链接无效",
                    "message": "这个设置链接已用过或已过期，请向管理员要一个新的。",
                },
                status=404,
            )
        problem = password_problem(password, account.login)
        if problem is None and password != repeated:
            problem = "两次输入的密码不一致"
        if problem is not None:
            return _form_page(request, "setup.html", status=400, login=account.login, error=problem)
        await set_password(
            session=session, account=account, password_hash=await hash_password(password), now=now
        )
        login_name = account.login
    log.info("web: password set for %r", login_name)
    return render(
        request,
        "message.html",
        {
            "title": "密码已设置",
            "message": f"现在可以用登录名 {login_name} 和新密码登录。",
            "link": "/login",
        },
    )
