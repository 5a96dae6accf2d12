"""The 知识库 page in a real browser (Playwright driving Debian's Chromium): a supervisor finds an
entry, sees why the retrieval would answer, edits it and the running index answers the new
phrasing; a bad date is shown on its field. Screenshots go to var/screenshots like the other
pages'. The live app and the browser come from tests/test_web_browser.py."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nlp.kb.retrieval import DEFAULT_KB_DIR
from nlp.router import Router
from storage.staff import CENTRE_UNIT
from tests.test_web_browser import LiveApp, chromium, login, page, shoot
from tests.web_helpers import web_staff

__all__ = ["chromium", "page"]  # the fixtures this module uses from the browser test module

QUESTION = "卡片弄丢后到哪个窗口重新领一张新的社会保障凭证"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, router: Router) -> Iterator[LiveApp]:
    """The live app with the knowledge base on, read from a copy the test may write."""
    folder = tmp_path_factory.mktemp("kb-live")
    shutil.copytree(DEFAULT_KB_DIR, folder / "kb")
    kb = {"data_dir": str(folder / "kb"), "local_dir": str(folder / "local-kb")}
    app = LiveApp(folder, router, more={"kb": kb})
    app.run(web_staff(app.app, "boss", CENTRE_UNIT, "supervisor"))
    try:
        yield app
    finally:
        app.close()


def test_a_supervisor_searches_edits_and_the_answer_changes_at_once(
    page: Any, live: LiveApp
) -> None:
    knowledge = live.app.deps.knowledge
    assert knowledge is not None
    login(page, "boss")
    page.wait_for_url("**/desk/cases")
    page.click("text=知识库")
    page.fill("input[name=q]", "社保卡丢了怎么办")
    page.click("form.filters button[type=submit]")
    assert "kb-shebaoka-lost" in page.locator("#kb-entries").inner_text()
    assert "作答" in page.locator("#kb-found").inner_text()
    shoot(page, "kb")
    page.click("#kb-entries >> text=社保卡丢失怎么挂失和补办")
    shoot(page, "kb-entry")
    page.fill("input[name=valid_until]", "")
    page.evaluate("document.querySelector('input[name=valid_until]').removeAttribute('required')")
    page.click("#kb-entry-form button[type=submit]")
    assert page.locator("#error-valid_until").is_visible()
    page.goto("/desk/kb/entries/kb-shebaoka-lost")
    variants = page.locator("textarea[name=variants]")
    variants.fill(variants.input_value() + "\n" + QUESTION)
    page.click("#kb-entry-form button[type=submit]")
    page.wait_for_url("**/desk/kb/entries/kb-shebaoka-lost?done=saved")
    assert "知识库已重新加载" in page.locator(".flash").inner_text()
    answer = knowledge.best(QUESTION)
    assert answer is not None and answer.entry.id == "kb-shebaoka-lost"
    assert Path(answer.entry.file).read_text(encoding="utf-8").count(QUESTION) == 1
