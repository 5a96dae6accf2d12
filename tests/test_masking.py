"""Phone and ID numbers are masked in every format people type them (issue 9): unit tests, a
property-based test over generated formats (Hypothesis), the staff card, staff /case,
`hotline case show`, and SQLAlchemy's own echo log handler."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from bot.app import App, build_app
from bot.config import Settings
from bot.logs import mask_all_handlers
from handlers.validation import mask_personal_data
from nlp.router import Router
from tests.desk import file_case, join, outbox

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

# (typed, the digits that must not survive)
FORMATS = [
    ("139-1234-5678", "13912345678"),
    ("139 1234 5678", "13912345678"),
    ("+86 139 1234 5678", "13912345678"),
    ("+8613912345678", "13912345678"),
    ("８６１３９１２３４５６７８", "13912345678"),
    ("１３９ １２３４ ５６７８", "13912345678"),
    ("0931-8123456", "09318123456"),
    ("(0931) 8123456", "09318123456"),
    ("620102 19900101 123X", "62010219900101123X"),
    ("620102199001011234", "620102199001011234"),
    ("620102900101123", "620102900101123"),
]


def _digits(text: str) -> str:
    """Every digit of the text, as ASCII, in order (what a reader could piece together)."""
    return "".join(
        str(int(ch)) if ch.isdigit() else ch for ch in text if ch.isdigit() or ch in "Xx"
    )


@pytest.mark.parametrize(("typed", "secret"), FORMATS)
def test_each_format_is_masked(typed: str, secret: str) -> None:
    """A number in each reported format no longer appears, even with its digits pieced together."""
    masked = mask_personal_data(f"我的电话是{typed}，请联系")
    assert secret not in _digits(masked).upper(), masked
    assert "****" in masked


def test_case_numbers_dates_and_amounts_are_left_alone() -> None:
    """Masking keeps what staff need: case numbers, dates, amounts and short numbers."""
    text = "工单AN20261125-0007，2026-11-25 修了3.5米，花了1200元，12号楼"
    assert mask_personal_data(text) == text


@st.composite
def _numbers(draw: st.DrawFn) -> tuple[str, str]:
    """A personal number, typed in a generated format: (as typed, its digits)."""
    kind = draw(st.sampled_from(["mobile", "landline", "id18", "id15"]))
    if kind == "mobile":
        digits = (
            "1"
            + draw(st.sampled_from("3456789"))
            + draw(st.text("0123456789", min_size=9, max_size=9))
        )
        cuts = draw(st.sampled_from([(), (3, 7), (3,), (7,)]))
        prefix = draw(st.sampled_from(["", "+86", "+86 ", "86", "0086 ", "＋86 "]))
    elif kind == "landline":
        area = draw(st.sampled_from(["010", "021", "0931", "0755"]))
        local = draw(st.sampled_from("2345678")) + draw(
            st.text("0123456789", min_size=6, max_size=7)
        )
        digits, cuts, prefix = area + local, draw(st.sampled_from([(), (len(area),)])), ""
    else:
        year = draw(st.integers(1930, 2015))
        month, day = draw(st.integers(1, 12)), draw(st.integers(1, 28))
        region = draw(st.sampled_from(["620102", "110101", "440305"]))
        tail = draw(st.text("0123456789", min_size=3, max_size=3))
        if kind == "id18":
            check = draw(st.sampled_from("0123456789X"))
            digits = f"{region}{year}{month:02d}{day:02d}{tail}{check}"
            cuts = draw(st.sampled_from([(), (6, 14), (6, 10, 14), (4, 8, 12, 16)]))
        else:
            digits = f"{region}{year % 100:02d}{month:02d}{day:02d}{tail}"
            cuts = draw(st.sampled_from([(), (6, 12)]))
        prefix = ""
    separator = draw(st.sampled_from(["", " ", "-", "－", "\u3000", "  "]))
    parts = [digits[a:b] for a, b in zip((0, *cuts), (*cuts, len(digits)), strict=True)]
    typed = prefix + (separator or "").join(parts)
    if draw(st.booleans()):
        typed = typed.translate(FULL_WIDTH)
    return typed, digits


_AROUND = st.text(st.sampled_from("我家住在安宁区路灯坏了请联系电话，。：！"), max_size=12)


@settings(max_examples=400, deadline=None)
@given(number=_numbers(), before=_AROUND, after=_AROUND)
def test_generated_formats_never_survive_masking(
    number: tuple[str, str], before: str, after: str
) -> None:
    """Whatever the separators, prefix or digit width, the whole number never survives."""
    typed, digits = number
    masked = mask_personal_data(f"{before}{typed}{after}")
    assert digits.upper() not in _digits(masked).upper(), (typed, masked)


@given(st.text(st.characters(blacklist_categories=("Nd",)), max_size=40))
def test_text_without_digits_is_unchanged(text: str) -> None:
    """Text with no digits at all is returned as it was."""
    assert mask_personal_data(text) == text


SPREAD = (
    "建宁路上的路灯坏了一个多月了，晚上一片漆黑，电话139 1234 5678，"
    "座机0931-8123456，身份证620102 19900101 123X"
)
SECRETS = ("13912345678", "09318123456", "62010219900101123X")


async def test_staff_card_and_staff_case_view_are_masked(app: App, router: Router) -> None:
    """The unit's card and a supervisor's /case show none of the numbers in the description."""
    unit = router.route(SPREAD).unit
    assert unit is not None
    await join(app, "s1", unit)
    supervisor = await join(app, "v1", "区政务服务中心", "supervisor")
    number = await file_case(app, SPREAD)
    [card] = await outbox(app, "s1")
    await supervisor.send("/case " + number)
    for shown in (card.payload["text"], supervisor.text()):
        assert number in shown
        for secret in SECRETS:
            assert secret not in _digits(shown).upper(), shown


def test_case_show_is_masked(tmp_path: Path) -> None:
    """`hotline case show` prints none of the numbers, in its view or in its echo log."""
    env = {
        **os.environ,
        "HOTLINE_CONFIG": "",
        "HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'h.db'}",
    }
    hotline = str(Path(sys.executable).with_name("hotline"))
    script = f"1\n{SPREAD}\n跳过\n匿名\n提交\n"
    chat = subprocess.run(
        [hotline, "chat", "--user", "r9"],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    [number] = re.findall(r"AN\d{8}-\d{4}", chat.stdout.split("已受理")[-1])[:1]
    (tmp_path / "c.toml").write_text("[database]\necho = true\n", encoding="utf-8")
    shown = subprocess.run(
        [hotline, "case", "show", number],
        capture_output=True,
        text=True,
        env={**env, "HOTLINE_CONFIG": str(tmp_path / "c.toml")},
        timeout=120,
        check=True,
    )
    assert number in shown.stdout and "SELECT" in shown.stdout + shown.stderr
    for output in (shown.stdout, shown.stderr):
        for secret in SECRETS:
            assert secret not in _digits(output).upper(), output[-2000:]


async def test_sqlalchemy_echo_handler_is_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With `[database] echo = true`, SQLAlchemy's own handler prints parameters masked."""
    settings = Settings.model_validate(
        {"database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'e.db'}", "echo": True}}
    )
    app = await build_app(settings, router=Router.load(None), prepare=False)
    try:
        async with app.engine.connect() as connection:
            await connection.execute(text("SELECT :phone"), {"phone": "139 1234 5678"})
    finally:
        await app.close()
    out = capsys.readouterr()
    assert "SELECT" in out.out + out.err, "echo is on: SQLAlchemy logged the statement"
    assert "139 1234 5678" not in out.out + out.err
    assert "139****5678" in out.out + out.err


def test_a_library_handler_added_later_gets_the_filter() -> None:
    """A handler some library installs on its own logger is masked once the filter is spread."""
    stream = io.StringIO()
    logger = logging.getLogger("tests.library.own")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        mask_all_handlers()
        logger.warning("params ('13912345678',)")
    finally:
        logger.removeHandler(handler)
    assert "139****5678" in stream.getvalue()
