"""Entry files written by the workbench: one table replaced in place, text round-trips, the
file swapped atomically, and the running index reloaded (or kept when the files are bad)."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from nlp.kb import KbDataError, KnowledgeBase
from nlp.kb.entries import read_entry_file
from nlp.kb.writer import entry_table, replace_entry, table_of, write_atomically
from tests.kb_files import entry, kb_folder

UNIT = "区人力资源和社会保障局"


def test_replacing_one_table_keeps_the_rest_and_the_comments(tmp_path: Path) -> None:
    text = (
        "# heading of the file\n"
        + entry("kb-a", title="第一条")
        + "\n# about the second entry\n"
        + entry("kb-b", title="第二条")
    )
    new = entry_table(
        entry_id="kb-a",
        title="改过的第一条",
        answer="一行",
        unit=UNIT,
        tags=["社保卡"],
        variants=["问法一", "问法二"],
        valid_from=date(2026, 1, 1),
        valid_until=date(2027, 1, 1),
        source_title="来源",
        source_url="https://example.gov.cn/a",
    )
    out = replace_entry(text, "kb-a", new)
    assert out.startswith("# heading of the file\n")
    assert "# about the second entry\n" in out and out.endswith(entry("kb-b", title="第二条"))
    tables = tomllib.loads(out)["entry"]
    assert [t["title"] for t in tables] == ["改过的第一条", "第二条"]
    with pytest.raises(KeyError):
        replace_entry(text, "kb-zzz", new)


def test_answers_with_quotes_backslashes_and_lines_round_trip(tmp_path: Path) -> None:
    answer = '第一行 "引号" \\ 反斜杠\n第二行\t制表 """三引号"""\n'
    text = entry_table(
        entry_id="kb-a",
        title='标题 "x"',
        answer=answer,
        unit=UNIT,
        tags=[],
        variants=['问 "法"'],
        valid_from=date(2026, 1, 1),
        valid_until=date(2027, 1, 1),
        source_title="工单",
        source_case="AN20261124-0001",
    )
    file = tmp_path / "a.toml"
    write_atomically(file, text)
    [read] = read_entry_file(file, [UNIT])
    assert read.answer == answer.strip() and read.title == '标题 "x"'
    assert read.source.case == "AN20261124-0001"
    assert tomllib.loads(table_of(read))["entry"][0]["variants"] == ['问 "法"']
    assert [p.name for p in tmp_path.iterdir()] == ["a.toml"]  # no temporary file left


def test_reload_swaps_the_index_in_place_and_keeps_it_when_a_file_is_bad(
    tmp_path: Path, knowledge_base: KnowledgeBase
) -> None:
    folder = kb_folder(tmp_path, entry("kb-a", title="社保卡丢失怎么补办"))
    kb = KnowledgeBase.load(folder, units=[UNIT], segmenter=knowledge_base.segmenter)
    assert kb.entry("kb-heating") is None
    (folder / "entries" / "b.toml").write_text(
        entry("kb-heating", title="供暖费在哪里缴纳", variants=("暖气费去哪交",)),
        encoding="utf-8",
    )
    held = kb  # the chat's deps hold this very object
    kb.reload()
    assert [a.entry.id for a in held.search("暖气费去哪交")][:1] == ["kb-heating"]
    (folder / "entries" / "c.toml").write_text("[[entry]]\nid = 1\n", encoding="utf-8")
    with pytest.raises(KbDataError):
        kb.reload()
    assert held.entry("kb-heating") is not None  # the old index is still in use
