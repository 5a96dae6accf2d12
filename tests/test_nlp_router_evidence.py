"""Issue 10's zero-shot router rules: ties go to evidence, context words yield to a matter,
"A+B" rules explain their parts, and the vocabulary for common matters is there."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from nlp.directory import DEFAULT_DATA_DIR
from nlp.router import Router


def _reversed_taxonomy(tmp_path: Path) -> Path:
    """A copy of the Anning data whose [[category]] tables come in the opposite order."""
    folder = tmp_path / "reversed"
    shutil.copytree(DEFAULT_DATA_DIR, folder)
    taxonomy = folder / "taxonomy.toml"
    text = taxonomy.read_text(encoding="utf-8")
    head, *tables = re.split(r"(?m)^(?=\[\[category\]\])", text)
    taxonomy.write_text(head + "".join(reversed(tables)), encoding="utf-8")
    return folder


# Messages whose two best categories score exactly the same.
TIES = [
    ("想问一下出生医学证明丢了怎么补办", "生育与妇幼"),  # "出生医学证明" says more than "丢了"
    ("我妈瘫痪在床，家里就我一个人打工，申请低保被拒了", "社会救助"),
    ("我爸的慢性病门诊怎么办理，每个月买药太贵了", "医疗保障"),
]


def test_ties_do_not_depend_on_file_order(router: Router, tmp_path: Path) -> None:
    """Reordering the categories in taxonomy.toml changes no decision, ties included."""
    reordered = Router.load(_reversed_taxonomy(tmp_path), cache_dir=tmp_path / "cache")
    assert [c.sub for c in reordered.categories()] == [c.sub for c in router.categories()][::-1]
    texts = [t for t, _ in TIES] + [
        "小区电梯坏了，暖气也不热",
        "楼下饭店的烧烤摊油烟太大",
        "村旁边有人偷偷挖沙子，大车天天拉",
        "物业私自把小区绿地改成停车位收费",
    ]
    for text in texts:
        a, b = router.route(text), reordered.route(text)
        assert (a.subcategory, a.unit, a.confidence) == (b.subcategory, b.unit, b.confidence), text


@pytest.mark.parametrize(("text", "sub"), TIES)
def test_a_tie_goes_to_the_more_specific_evidence(router: Router, text: str, sub: str) -> None:
    """Between equal scores the longer, rarer keyword wins, and the bot still asks."""
    evidence = router.evidence(text)
    d = evidence.decision
    assert d.subcategory == sub
    runner_up = d.alternatives[0].subcategory
    assert evidence.scores[runner_up] == pytest.approx(evidence.scores[sub])
    assert d.confidence < 0.45


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        ("学校门口的路灯坏了", "路灯照明"),
        ("学校门口天天有人摆摊卖烤肠", "占道经营"),
        ("社保局工作人员互相推诿，社保转移办不了", "社会保险与退休"),
        ("街道办工作人员推诿，低保申请一直不给办", "社会救助"),
        ("办低保的工作人员态度恶劣，互相推诿", "社会救助"),
    ],
)
def test_context_words_yield_to_a_matter(router: Router, text: str, sub: str) -> None:
    """A place (学校) or conduct (推诿, 态度) word does not outweigh the matter complained about."""
    assert router.route(text).subcategory == sub


def test_conduct_alone_is_a_conduct_complaint(router: Router) -> None:
    """With no matter named, conduct words decide: 政务作风 wins only when no matter class does."""
    d = router.route("工作人员态度恶劣，互相推诿")
    assert (d.category, d.unit) == ("政务作风", "区作风建设办公室")
    assert d.confidence >= 0.45


def test_context_word_decides_when_nothing_else_does(tmp_path: Path) -> None:
    """In a tiny district, a context word counts in full alone and 0.3 of its weight beside a
    deciding word (the mechanism, apart from the Anning word lists)."""
    from tests.test_nlp_data import FAKE, _write

    taxonomy = """
tops = ["教育", "市政"]
context = ["学校"]
[[category]]
top = "教育"
sub = "学校管理"
strong = ["学校", "校门"]
[[category]]
top = "市政"
sub = "路灯"
strong = ["路灯"]
"""
    catalogue = '[dispatch]\n"学校管理" = "县照明所"\n"路灯" = "县照明所"\n'
    folder = _write(
        tmp_path / "d", {**FAKE, "taxonomy.toml": taxonomy, "catalogue.toml": catalogue}
    )
    router = Router.load(folder, cache_dir=tmp_path / "cache")
    alone = router.evidence("学校的事情")
    assert alone.decision.subcategory == "学校管理" and alone.scores["学校管理"] == 3.0
    both = router.evidence("学校的路灯")
    assert both.decision.subcategory == "路灯"
    assert both.scores["学校管理"] == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("text", "sub", "unit"),
    [
        ("化工厂往黄河里排放污水", "水污染", "生态环境局安宁分局"),
        ("造纸厂的污水直接排到河里", "水污染", "生态环境局安宁分局"),
        ("小区下水道堵了，污水横流", "排水与防汛", "区水务局"),
    ],
)
def test_compound_rules(router: Router, text: str, sub: str, unit: str) -> None:
    """污水 with 排放, 河 or 厂 is water pollution; 污水 alone stays drainage."""
    d = router.route(text)
    assert (d.subcategory, d.unit) == (sub, unit)


def test_a_compound_explains_its_parts_for_other_categories(router: Router) -> None:
    """Once "污水+排放" fires, 排放 stops counting in full for air pollution, 污水 for drainage."""
    evidence = router.evidence("化工厂往黄河里排放污水")
    assert "污水+排放" in evidence.hits["水污染"]
    assert evidence.scores.get("排水与防汛", 0.0) < 1.0
    assert evidence.scores["大气污染"] < evidence.scores["水污染"] / 2


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("村里有人违章建房，把路都占了", "区城市管理局"),
        ("农村危房改造什么时候轮到我家", "区住房和城乡建设局"),
        ("购房补贴怎么申请", "区住房和城乡建设局"),
        ("城际铁路什么时候通车", "区交通运输局"),
        ("社保基金的钱够不够发养老金", "区人力资源和社会保障局"),
        ("村道坑坑洼洼没人修", "区农业农村局"),
        ("医保基金被骗保的怎么举报", "区医疗保障局"),
        ("供热公司说我家欠费不给供暖", "区供热管理办公室"),
    ],
)
def test_common_matters_have_their_words(router: Router, text: str, unit: str) -> None:
    """Matters that were missing (违章建房, 危房改造, 购房补贴, 城际铁路, 社保基金, 村道) route."""
    assert router.route(text).unit == unit
