"""Helpers that write small knowledge-base folders for tests."""

from __future__ import annotations

from pathlib import Path

ENTRY = """
[[entry]]
id = "{id}"
title = "{title}"
unit = "{unit}"
tags = ["社保卡"]
variants = [{variants}]
valid_from = {valid_from}
valid_until = {valid_until}
answer = "{answer}"
source = {{ title = "测试来源", url = "https://example.gov.cn/{id}" }}
"""


def entry(
    entry_id: str = "kb-test-lost",
    *,
    title: str = "社保卡丢失怎么补办",
    unit: str = "区人力资源和社会保障局",
    variants: tuple[str, ...] = ("社保卡丢了怎么办",),
    valid_from: str = "2026-01-01",
    valid_until: str = "2027-12-31",
    answer: str = "先挂失，再补办。",
) -> str:
    return ENTRY.format(
        id=entry_id,
        title=title,
        unit=unit,
        variants=", ".join(f'"{v}"' for v in variants),
        valid_from=valid_from,
        valid_until=valid_until,
        answer=answer,
    )


def kb_folder(tmp_path: Path, *files: str) -> Path:
    """A folder with entries/NAME.toml for each text given (named a.toml, b.toml, ...)."""
    folder = tmp_path / "kb"
    (folder / "entries").mkdir(parents=True)
    for i, text in enumerate(files):
        (folder / "entries" / f"{chr(97 + i)}.toml").write_text(text, encoding="utf-8")
    return folder
