"""Directory data: validation of the shipped files, and swapping in another district."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nlp.directory import DEFAULT_DATA_DIR, load_directory
from nlp.errors import DirectoryDataError
from nlp.router import Router

FAKE = {
    "district.toml": 'name = "测试县"\nmax_distance_km = 20.0\nfallback_choices = ["路灯"]\n',
    "subdistricts.toml": """
[[subdistrict]]
name = "东城镇"
code = "1"
aliases = ["东城"]
lat = 30.0
lon = 110.0
[[subdistrict]]
name = "西城镇"
code = "2"
lat = 30.0
lon = 109.8
""",
    "departments.toml": """
[[department]]
name = "县照明所"
code = "D1"
aliases = ["照明所"]
""",
    "gazetteer.toml": '["西城镇"]\nvillages = ["柳树湾村"]\nlandmarks = ["柳树湾"]\n',
    "taxonomy.toml": """
tops = ["市政", "环境"]
[[category]]
top = "市政"
sub = "路灯"
strong = ["路灯"]
[[category]]
top = "环境"
sub = "吵闹"
strong = ["吵闹"]
""",
    "catalogue.toml": '[dispatch]\n"路灯" = "县照明所"\n"吵闹" = "territorial"\n',
    "emergency.toml": '[[rule]]\nkind = "fire"\nservice = "火警 119"\ntriggers = ["着火"]\n',
}


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_shipped_data_is_valid() -> None:
    """The default folder loads; every catalogue target is a unit name."""
    d = load_directory()
    names = set(d.unit_names())
    assert all(c.territorial or c.target in names for c in d.categories)
    assert sum(len(c.keywords) for c in d.categories) > 1000
    assert all(p.subdistrict is None or p.subdistrict in names for p in d.places)
    assert len(d.emergency_rules) >= 5


def test_another_district_works_without_code_changes(tmp_path: Path) -> None:
    """A tiny fake district routes by its own files."""
    router = Router.load(_write(tmp_path / "fake", FAKE), cache_dir=tmp_path / "cache")
    assert router.unit_names() == ["东城镇", "西城镇", "县照明所"]
    assert router.route("村口路灯坏了").unit == "县照明所"
    d = router.route("柳树湾村晚上吵闹")
    assert (d.unit, d.unit_kind, d.category) == ("西城镇", "subdistrict", "环境")
    assert router.route("家里着火了").emergency == "火警 119"
    assert router.nearest_subdistrict(30.0, 109.81) == "西城镇"
    assert router.nearest_subdistrict(31.0, 110.0) is None  # > 20 km


@pytest.mark.parametrize(
    ("file", "text", "key"),
    [
        ("catalogue.toml", '[dispatch]\n"路灯" = "路灯局"\n"吵闹" = "territorial"\n',
         "dispatch.路灯"),
        ("catalogue.toml", '[dispatch]\n"路灯" = "县照明所"\n', "dispatch.吵闹"),
        ("gazetteer.toml", '["北城镇"]\nvillages = ["x村"]\n', "北城镇"),
        ("taxonomy.toml", FAKE["taxonomy.toml"].replace('top = "环境"', 'top = "其他"'),
         "category[1].top"),
        ("district.toml", 'name = "测试县"\nfallback_choices = ["没有"]\n', "fallback_choices[0]"),
    ],
)  # fmt: skip
def test_bad_reference_names_file_and_key(tmp_path: Path, file: str, text: str, key: str) -> None:
    """A bad reference fails at load with the file and the key in the message."""
    folder = _write(tmp_path / "bad", {**FAKE, file: text})
    with pytest.raises(DirectoryDataError) as err:
        load_directory(folder)
    assert err.value.file.name == file and err.value.key == key
    assert file in str(err.value) and key in str(err.value)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    """A folder without one of the files names the missing file."""
    folder = tmp_path / "copy"
    shutil.copytree(DEFAULT_DATA_DIR, folder)
    (folder / "catalogue.toml").unlink()
    with pytest.raises(DirectoryDataError, match=r"catalogue\.toml.*not found"):
        load_directory(folder)
