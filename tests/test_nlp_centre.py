"""A receiving centre's catalogue (派单目录) mapping: loading, validation, and `hotline route`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from nlp.centre import find_centre_catalogue, load_centre_catalogue
from nlp.directory import DEFAULT_DATA_DIR
from nlp.errors import DirectoryDataError
from nlp.router import Router

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "centre_catalogue.example.toml"


def test_example_maps_labels_and_units(router: Router) -> None:
    """A mapped sub-category gets the centre's label and unit; an unmapped unit is renamed by
    [units]; an unmapped matter keeps the router's unit and has no label."""
    centre = load_centre_catalogue(EXAMPLE, router.directory)
    lamp = centre.map(router.route("安宁西路上的路灯坏了"))
    assert lamp == {"centre": "兰州市12345政务服务便民热线", "label": "城乡建设/市政设施/路灯照明",
                    "unit": "安宁区城市管理局"}  # fmt: skip
    wages = centre.map(router.route("老板拖欠工资三个月了"))
    assert wages["label"] == "劳动和社会保障/劳动报酬/拖欠工资"
    assert wages["unit"] == "安宁区人社局"
    heating = centre.map(router.route("暖气一点都不热"))
    assert heating["label"] is None and heating["unit"] == "区供热管理办公室"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[map."不存在的分类"]\nlabel = "x"\n', "map.不存在的分类"),
        ('[map."路灯照明"]\nunit = "城管"\n', "map.路灯照明.label"),
        ('[map."路灯照明"]\nlabel = "x"\ncolour = "red"\n', "map.路灯照明.colour"),
        ('[units]\n"火星街道" = "x"\n', "units.火星街道"),
        ('[units]\n"培黎街道" = ""\n', "units.培黎街道"),
        ("mapping = 1\n", "mapping"),
        ("[map\n", "(file)"),
    ],
)
def test_bad_entries_name_file_and_key(router: Router, tmp_path: Path, text: str, key: str) -> None:
    """Every mistake in the mapping fails at load with the file and the key."""
    path = tmp_path / "centre.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DirectoryDataError) as err:
        load_centre_catalogue(path, router.directory)
    assert err.value.key == key and str(path) in str(err.value)


def test_data_folder_file_is_found(router: Router, tmp_path: Path) -> None:
    """Without a configured path, centre_catalogue.toml in the data folder is used; else none."""
    assert find_centre_catalogue(None, router.directory) is None
    folder = tmp_path / "district"
    shutil.copytree(DEFAULT_DATA_DIR, folder)
    shutil.copy(EXAMPLE, folder / "centre_catalogue.toml")
    other = Router.load(folder, cache_dir=tmp_path / "cache")
    found = find_centre_catalogue(None, other.directory)
    assert found is not None and found.path == folder / "centre_catalogue.toml"


def test_route_json_shows_the_mapped_label(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With `[router] centre_catalogue`, `route --json` adds the centre's label and unit; a bad
    file stops the command with exit 2."""
    config = tmp_path / "c.toml"
    config.write_text(f'[router]\ncentre_catalogue = "{EXAMPLE}"\n', encoding="utf-8")
    assert main(["route", "--json", "--config", str(config), "安宁西路上的路灯坏了"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unit"] == "区城市管理局"
    assert data["centre"]["label"] == "城乡建设/市政设施/路灯照明"
    assert data["centre"]["unit"] == "安宁区城市管理局"
    assert main(["route", "--config", str(config), "安宁西路上的路灯坏了"]) == 0
    assert "中心目录 centre:  城乡建设/市政设施/路灯照明" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text('[map."无此类"]\nlabel = "x"\n', encoding="utf-8")
    config.write_text(f'[router]\ncentre_catalogue = "{bad}"\n', encoding="utf-8")
    assert main(["route", "--json", "--config", str(config), "路灯"]) == 2
    assert "map.无此类" in capsys.readouterr().err
