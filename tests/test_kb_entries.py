"""Knowledge-base entry files: the shipped set is valid and sourced; bad files are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.directory import load_directory
from nlp.kb import KbDataError, KnowledgeBase
from nlp.kb.entries import entry_files, load_entries, load_synonyms
from nlp.kb.retrieval import DEFAULT_KB_DIR
from tests.kb_files import entry, kb_folder

UNITS = load_directory(None).unit_names()


def _load(folder: Path) -> None:
    load_entries(entry_files([folder / "entries"]), UNITS)


def test_shipped_entries_are_valid_sourced_and_owned_by_directory_units() -> None:
    """At least 40 shipped entries load; each has a web source, a directory unit and variants."""
    entries = load_entries(entry_files([DEFAULT_KB_DIR / "entries"]), UNITS)
    assert len(entries) >= 40
    for e in entries:
        assert e.source.url and e.source.url.startswith("http"), e.id
        assert e.unit in UNITS and e.variants, e.id
        assert e.reply_text().endswith(e.source.url), e.id


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (entry().replace('unit = "区人力资源和社会保障局"\n', ""), "missing field 'unit'"),
        (entry(unit="区社保局"), "unit '区社保局' is not a unit of the directory"),
        (entry(valid_until='"2027-13-01"'), "valid_until: expected a date"),
        (entry(valid_from="2027-01-01", valid_until="2026-01-01"), "before valid_from"),
        (entry().replace('url = "https://', 'url = "ftp://'), "http(s) address"),
        (entry(entry_id="KB Lost"), "id: use lower-case"),
        (entry() + "\nextra = 1\n", "unknown field 'extra'"),
    ],
)
def test_an_invalid_entry_is_an_error_naming_file_and_entry(
    tmp_path: Path, text: str, fragment: str
) -> None:
    """Missing field, unknown unit, bad date, bad source or id: the error names file and entry."""
    folder = kb_folder(tmp_path, text)
    with pytest.raises(KbDataError) as caught:
        _load(folder)
    message = str(caught.value)
    assert fragment in message
    assert "a.toml" in message


def test_a_duplicate_id_names_both_files(tmp_path: Path) -> None:
    """The same id in two files is refused, naming the entry and both files."""
    folder = kb_folder(tmp_path, entry(), entry(title="另一个标题"))
    with pytest.raises(KbDataError, match=r"b\.toml: entry kb-test-lost: duplicate id.*a\.toml"):
        _load(folder)


def test_an_entry_without_id_is_named_by_its_position(tmp_path: Path) -> None:
    """An entry missing its id is named by its number in the file."""
    folder = kb_folder(tmp_path, entry() + entry("kb-x").replace('id = "kb-x"\n', ""))
    with pytest.raises(KbDataError, match=r"entry #2: missing field 'id'"):
        _load(folder)


def test_a_synonym_mapped_to_two_words_is_an_error(tmp_path: Path) -> None:
    """One variant may fold to one canonical word only."""
    file = tmp_path / "synonyms.toml"
    file.write_text('[synonyms]\n"社保卡" = ["医保卡"]\n"医保" = ["医保卡"]\n', encoding="utf-8")
    with pytest.raises(KbDataError, match="already maps to"):
        load_synonyms(file)


def test_load_reads_extra_folders_of_approved_entries(
    tmp_path: Path, knowledge_base: KnowledgeBase
) -> None:
    """Entries in an extra folder (approved proposals) are loaded with the shipped ones."""
    extra = tmp_path / "local"
    extra.mkdir()
    (extra / "kb-case-1.toml").write_text(entry("kb-case-1"), encoding="utf-8")
    kb = KnowledgeBase.load(extra_dirs=[extra], segmenter=knowledge_base.segmenter)
    assert kb.entry("kb-case-1") is not None
    assert len(kb.entries) == len(knowledge_base.entries) + 1
