"""The router on the built-in Anning directory: units, places, categories, emergencies."""

from __future__ import annotations

import pytest

from nlp.router import Router

# Exact names and order from directory.md (the shared reference).
DEPARTMENTS = [
    "区政府办公室",
    "区发展和改革局",
    "区教育局",
    "区科学技术局",
    "区工业和信息化局",
    "区民族宗教事务局",
    "公安安宁分局",
    "公安交警安宁大队",
    "区民政局",
    "区司法局",
    "区财政局",
    "区人力资源和社会保障局",
    "自然资源局安宁分局",
    "生态环境局安宁分局",
    "区住房和城乡建设局",
    "区交通运输局",
    "区农业农村局",
    "区水务局",
    "区商务局",
    "区文化和旅游局",
    "区卫生健康局",
    "区退役军人事务局",
    "区应急管理局",
    "区审计局",
    "区市场监督管理局",
    "区统计局",
    "区医疗保障局",
    "区城市管理局",
    "区市容环境卫生服务中心",
    "区园林绿化局",
    "区信访局",
    "区政务服务中心",
    "区房屋征收与补偿办公室",
    "区供热管理办公室",
    "区税务局",
    "区消防救援大队",
    "区人民法院",
    "区人民检察院",
    "区纪委监委",
    "区作风建设办公室",
    "区总工会",
    "团区委",
    "区妇女联合会",
    "区残疾人联合会",
    "区工商业联合会",
]

SUBDISTRICTS = ["培黎街道", "西路街道", "沙井驿街道", "十里店街道", "孔家崖街道", "银滩路街道",
                "刘家堡街道", "安宁堡街道"]  # fmt: skip


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.load()


def test_units_are_the_eight_subdistricts_and_45_departments(router: Router) -> None:
    """The default directory has exactly the unit names of directory.md."""
    subs = [u.name for u in router.directory.subdistricts]
    deps = [u.name for u in router.directory.departments]
    assert sorted(subs) == sorted(SUBDISTRICTS)
    assert len(deps) == 45 and len(set(deps)) == 45
    assert deps == DEPARTMENTS
    assert "公安交警安宁大队" in deps and "区作风建设办公室" in deps
    assert router.unit_names() == subs + deps
    codes = {u.name: u.code for u in router.directory.subdistricts}
    assert codes["培黎街道"] == "620105001" and codes["安宁堡街道"] == "620105008"


def test_taxonomy_top_levels_and_catalogue_targets(router: Router) -> None:
    """Top levels are the 12345 classes; every target is a unit or territorial."""
    infos = router.categories()
    tops = {c.top for c in infos}
    assert tops == {"城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游",
                    "卫生计生", "公安政法", "民政", "农村农业", "政务作风", "其他"}  # fmt: skip
    names = set(router.unit_names())
    assert all(c.target == "territorial" or c.target in names for c in infos)
    assert len(infos) >= 40
    # every department can be reached through some category
    assert {c.target for c in infos} >= {u.name for u in router.directory.departments}


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("楼道里堆满了杂物，在黄家滩社区", "安宁堡街道"),
        ("师大社区这边晚上广场舞音响太吵了", "培黎街道"),
        ("交大附近小区里有人半夜大声喧哗吵死了", "西路街道"),
        ("马家庄村的村干部不公开村务", "刘家堡街道"),
    ],
)
def test_territorial_category_goes_to_subdistrict_of_place(
    router: Router, text: str, unit: str
) -> None:
    """A territorial matter goes to the subdistrict of the place named in the text."""
    d = router.route(text)
    assert d.unit == unit and d.unit_kind == "subdistrict" and d.territorial
    assert d.place is not None


def test_territorial_without_place_uses_hint_or_asks(router: Router) -> None:
    """With no place: unit None (ask the resident), unless a place hint is given."""
    d = router.route("邻居家装修噪音太大了，天天砸墙")
    assert d.unit is None and d.category == "环境保护" and d.needs_place
    hinted = router.route("邻居家装修噪音太大了，天天砸墙", place_hint="孔家崖街道")
    assert hinted.unit == "孔家崖街道" and hinted.unit_kind == "subdistrict"
    assert router.route("邻居家装修太吵", place_hint="农大").unit == "银滩路街道"


@pytest.mark.parametrize(
    ("text", "unit", "category"),
    [
        ("老板拖欠工资三个月了", "区人力资源和社会保障局", "劳动和社会保障"),
        ("路灯不亮好几天了", "区城市管理局", "城乡建设"),
        ("暖气一点都不热", "区供热管理办公室", "城乡建设"),
        ("超市卖过期食品", "区市场监督管理局", "商贸旅游"),
        ("小区门口违章停车太多", "公安交警安宁大队", "交通运输"),
        ("医保报销比例太低", "区医疗保障局", "劳动和社会保障"),
        ("残疾人两项补贴没发", "区残疾人联合会", "民政"),
        ("工作人员态度差，互相推诿", "区作风建设办公室", "政务作风"),
    ],
)
def test_department_routing(router: Router, text: str, unit: str, category: str) -> None:
    """A department category goes to its department whatever the place."""
    d = router.route(text + "，在培黎街道")
    assert (d.unit, d.unit_kind, d.category) == (unit, "department", category)


def test_confidence_high_when_clear_low_when_vague(router: Router) -> None:
    """Clear messages score above 0.6; greetings and bare complaints decide nothing."""
    assert router.route("小区电梯又坏了，困了人，物业不管").confidence > 0.6
    for vague in ("你好", "我要投诉", "", "   "):
        d = router.route(vague)
        assert d.category is None and d.unit is None and d.confidence < 0.3


def test_alternatives_and_top_choices(router: Router) -> None:
    """Runners-up are listed (at most 3) and become button choices."""
    d = router.route("楼下饭店的烧烤摊油烟太大")
    assert 1 <= len(d.alternatives) <= 3
    subs = {d.subcategory} | {a.subcategory for a in d.alternatives}
    assert {"餐饮油烟", "占道经营"} <= subs
    assert all(a.confidence <= d.confidence + 1e-9 for a in d.alternatives)
    choices = router.top_choices(d, n=3)
    assert choices[0].sub == d.subcategory and len(choices) == 3
    fallback = router.top_choices(router.route("你好"), n=2)
    assert [c.sub for c in fallback] == list(router.directory.fallback_choices[:2])


def test_route_category_from_buttons(router: Router) -> None:
    """A chosen category is taken as is; a territorial one still needs the place."""
    d = router.route_category("就在桃林路社区", "生活噪音")
    assert (d.unit, d.subcategory, d.confidence) == ("安宁堡街道", "生活噪音", 1.0)
    top = router.route_category("电梯坏了", "城乡建设")
    assert top.subcategory == "电梯" and top.unit == "区住房和城乡建设局"
    with pytest.raises(ValueError, match="unknown category"):
        router.route_category("x", "不存在的分类")


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("楼下着火了，黑烟很大", "火警 119"),
        ("家里一股很浓的煤气味", "火警 119"),
        ("有人拿着刀在小区里打人", "报警 110"),
        ("路口出车祸了，有人被撞伤", "交通事故 122"),
        ("有个老人晕倒在公交站", "急救 120"),
    ],
)
def test_emergency_names_the_number(router: Router, text: str, service: str) -> None:
    """Fire, gas, violence, accident and medical emergencies name the number to call."""
    d = router.route(text)
    assert d.emergency == service
    assert d.to_json()["emergency"] == service


@pytest.mark.parametrize(
    "text",
    ["小区消防通道被堵了", "楼道里电动车充电有火灾隐患", "这个路口容易出车祸，建议装红绿灯",
     "暖气不热", "预防溺水宣传做得好"],
)  # fmt: skip
def test_no_false_emergency(router: Router, text: str) -> None:
    """Hazard reports are complaints, not emergencies."""
    assert router.route(text).emergency is None


def test_blocked_fire_exit_goes_to_fire_brigade(router: Router) -> None:
    """消防通道被堵 is a fire-hazard complaint for the fire brigade."""
    d = router.route("小区消防通道被私家车堵死了")
    assert d.unit == "区消防救援大队" and d.emergency is None


def test_locate_and_nearest_subdistrict(router: Router) -> None:
    """Places map to subdistricts; coordinates map to the nearest centre, or None far away."""
    place = router.locate("我住在刘家堡村附近")
    assert place is not None and place.subdistrict == "刘家堡街道"
    assert router.locate("今天天气不错") is None
    landmark = router.locate("仁寿山上")
    assert landmark is not None and landmark.subdistrict is None
    for unit in router.directory.subdistricts:
        assert unit.lat is not None and unit.lon is not None
        assert router.nearest_subdistrict(unit.lat + 0.001, unit.lon) == unit.name
    assert router.nearest_subdistrict(39.9, 116.4) is None  # Beijing


def test_decision_json_contract(router: Router) -> None:
    """to_json has the keys other components depend on."""
    data = router.route("安宁西路上的井盖丢了").to_json()
    assert {"unit", "unit_kind", "category", "subcategory", "confidence", "matched",
            "alternatives", "emergency", "place"} <= set(data)  # fmt: skip
    assert isinstance(data["matched"], list) and 0.0 <= data["confidence"] <= 1.0
    for alt in data["alternatives"]:
        assert {"unit", "category", "confidence"} <= set(alt)
