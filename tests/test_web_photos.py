"""办结 with photos in the browser: the upload is kept in the media store and handed to the same
`resolve` command the chat uses, so the resident gets the photos as from a chat close; limits,
wrong types, CSRF and other units' cases are refused with words."""

from __future__ import annotations

import hashlib

from aiohttp import ClientResponse, FormData

from bot.app import App
from handlers.cases.commands import assign, sign
from handlers.policy.lifecycle import CaseState
from storage.staff import CENTRE_UNIT
from tests.desk import case_by_number, file_pending, outbox
from tests.images import photo_png
from tests.web_helpers import Browser, chat_command, csrf_of, web_staff

UNIT = "区民政局"
RESULT = "已派人清理，附现场照片。"


async def _signed_case(app: App, browser: Browser) -> str:
    """A case assigned to UNIT and signed there (in chat), with UNIT's staff signed in here."""
    dispatcher = await web_staff(app, "disp", CENTRE_UNIT, "dispatcher")
    staff = await web_staff(app, "minzheng", UNIT, "staff")
    number = await file_pending(app, user_id="r1")
    case = await case_by_number(app, number)
    await chat_command(app, dispatcher, assign, case_id=case.id, version=case.version, unit=UNIT)
    case = await case_by_number(app, number)
    await chat_command(app, staff, sign, case_id=case.id, version=case.version)
    assert (await case_by_number(app, number)).state == CaseState.ACCEPTED
    await browser.login("minzheng")
    return number


async def _close(
    app: App,
    browser: Browser,
    number: str,
    files: list[tuple[str, bytes, str]],
    *,
    csrf: bool = True,
) -> ClientResponse:
    page = f"/desk/cases/{number}"
    _, html = await browser.page(page)
    assert 'enctype="multipart/form-data"' in html and 'name="photos"' in html
    form = FormData()
    if csrf:
        form.add_field("csrf", csrf_of(html))
    form.add_field("version", str((await case_by_number(app, number)).version))
    form.add_field("result", RESULT)
    for name, data, kind in files:
        form.add_field("photos", data, filename=name, content_type=kind)
    return await browser.client.post(f"{page}/resolve", data=form, allow_redirects=False)


async def test_close_with_a_photo_reaches_the_resident_and_the_page(
    app: App, browser: Browser
) -> None:
    number = await _signed_case(app, browser)
    png = photo_png()
    digest = hashlib.sha256(png).hexdigest()
    response = await _close(app, browser, number, [("现场.png", png, "image/png")])
    assert response.status == 303, await response.text()
    assert (await case_by_number(app, number)).state == CaseState.RESOLVED
    # The resident's push is the chat close's: the result text with the stored photo's reference.
    told = [m.payload for m in await outbox(app, "r1") if RESULT in str(m.payload.get("text"))]
    assert [p["photos"] for p in told] == [[f"media:{digest}"]]
    assert app.media.open(f"media:{digest}") == png
    # The case page shows it in the timeline, and serves it.
    _, html = await browser.page(f"/desk/cases/{number}")
    assert f"/desk/cases/{number}/media/{digest}" in html
    photo = await browser.client.get(f"/desk/cases/{number}/media/{digest}")
    assert photo.status == 200 and photo.content_type == "image/png"
    assert await photo.read() == png
    # A digest the case's log does not name is not served, even if the store has it.
    other = app.media.put(photo_png(20, 20))
    missing = await browser.client.get(f"/desk/cases/{number}/media/{other.removeprefix('media:')}")
    assert missing.status == 404


async def test_close_without_photos_still_works(app: App, browser: Browser) -> None:
    number = await _signed_case(app, browser)
    response = await _close(app, browser, number, [("", b"", "application/octet-stream")])
    assert response.status == 303
    told = [m.payload for m in await outbox(app, "r1") if RESULT in str(m.payload.get("text"))]
    assert [p.get("photos") or [] for p in told] == [[]]


async def test_wrong_type_too_big_and_too_many_are_refused_in_words(
    app: App, browser: Browser
) -> None:
    number = await _signed_case(app, browser)
    # Only the close form gets the photos' allowance: another form keeps the small body limit.
    form = FormData()
    form.add_field("version", "1")
    form.add_field("photos", photo_png() + b"\0" * 300_000, filename="a.png")
    response = await browser.client.post(f"/desk/cases/{number}/reply", data=form)
    assert response.status == 413
    response = await _close(app, browser, number, [("note.txt", b"just text", "image/png")])
    assert response.status == 415
    assert "「note.txt」不是照片" in await response.text()
    app.media.max_bytes = 4096  # one photo may be 4 KB now; the form's body limit follows
    big = photo_png(160, 110) + b"\0" * 5000
    response = await _close(app, browser, number, [("大.png", big, "image/png")])
    assert response.status == 413 and "照片「大.png」太大" in await response.text()
    files = [(f"{i}.png", photo_png(8, 8), "image/png") for i in range(6)]
    response = await _close(app, browser, number, files)
    assert response.status == 413 and "照片太多" in await response.text()
    # A body over every photo's allowance is refused before it is read, in words too.
    huge = b"\x89PNG\r\n\x1a\n" + b"\0" * (5 * 4096 + 80 * 1024)
    response = await _close(app, browser, number, [("huge.png", huge, "image/png")])
    assert response.status == 413 and "照片太大" in await response.text()
    assert (await case_by_number(app, number)).state == CaseState.ACCEPTED


async def test_upload_without_csrf_or_for_another_unit_changes_nothing(
    app: App, browser: Browser
) -> None:
    number = await _signed_case(app, browser)
    response = await _close(app, browser, number, [("a.png", photo_png(), "image/png")], csrf=False)
    assert response.status == 403
    assert (await case_by_number(app, number)).state == CaseState.ACCEPTED
    await web_staff(app, "jiaoyu", "区教育局", "staff")
    browser.client.session.cookie_jar.clear()
    await browser.login("jiaoyu")
    form = FormData()
    form.add_field("version", "1")
    form.add_field("photos", photo_png(), filename="a.png", content_type="image/png")
    _, html = await browser.page("/desk/cases")
    form.add_field("csrf", csrf_of(html))
    response = await browser.client.post(
        f"/desk/cases/{number}/resolve", data=form, allow_redirects=False
    )
    assert response.status == 403
    assert (await case_by_number(app, number)).state == CaseState.ACCEPTED
