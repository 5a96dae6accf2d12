"""The text catalogues: every language complete, the district's facts from data, events in words."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.app import build_texts
from bot.config import ConfigError, Settings, load_settings
from handlers.cases.extensions import APPROVED, DENIED, REQUESTED
from handlers.desk.cards import RETURN_REASONS
from handlers.followup.timers import TimerKind
from handlers.policy.casetypes import RequestType
from handlers.policy.lifecycle import CaseState
from handlers.texts import REFERENCE_LANGUAGE, Texts, catalogues, languages, template_fields
from nlp.directory import load_directory
from nlp.errors import DirectoryDataError
from storage.staff import ROLES
from tests.test_nlp_data import FAKE

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = ROOT / "handlers"
# Callables whose first argument is a text key: t(...), self.t(...), texts(...), UserError(...).
_KEY_TAKERS = {"t", "texts", "UserError"}
# Actions that are logged under a computed name, or that the case commands are about to log.
_COMPUTED_OR_PLANNED = {
    "dispatched",  # the default of dispatch_case(action=...)
    REQUESTED,
    APPROVED,
    DENIED,
    "rated",
    "merged",
    "unmerged",
}
# The SLA alerts log their timer kind, or "<kind>_skipped" when the deadline had already passed.
_ALERTS = {TimerKind.SIGN_REMIND, TimerKind.SIGN_OVERDUE, TimerKind.WARN, TimerKind.OVERDUE}
_ALERTS |= {TimerKind.ESCALATE}
_SKIPPABLE = {TimerKind.SIGN_REMIND, TimerKind.WARN}


def _district(folder: Path, extra: str = "") -> Path:
    """The small test district of test_nlp_data, with `extra` lines in district.toml."""
    for name, text in FAKE.items():
        (folder / name).write_text(text + (extra if name == "district.toml" else ""), "utf-8")
    return folder


def _logged_actions() -> set[str]:
    """Every action literal passed to a call anywhere in handlers/: `action="..."`, and the
    second argument of a case command's `Step(actor, "...", …)`."""
    found: set[str] = set()
    for path in HANDLERS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            values = [k.value for k in node.keywords if k.arg == "action"]
            if isinstance(node.func, ast.Name) and node.func.id == "Step" and len(node.args) > 1:
                values.append(node.args[1])
            found |= {str(v.value) for v in values if isinstance(v, ast.Constant)}
    return found


def _literal_keys() -> dict[str, str]:
    """Text keys written as literals in handlers/ and bot/, each with where it is used."""
    found: dict[str, str] = {}
    for path in [*HANDLERS.rglob("*.py"), *(ROOT / "bot").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            literals = [node.args[0]] if name in _KEY_TAKERS and node.args else []
            # Refused(reason, key="desk.stale"): the key is a keyword.
            literals += [k.value for k in node.keywords if k.arg == "key"]
            for literal in literals:
                if isinstance(literal, ast.Constant) and isinstance(literal.value, str):
                    found[literal.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_key_the_code_names_has_a_text() -> None:
    """Literal keys in the code, and keys built from states, types, roles and return reasons,
    all exist in the reference catalogue (a typo fails here, not in front of a resident)."""
    reference = catalogues()[REFERENCE_LANGUAGE]
    used = _literal_keys()
    assert len(used) > 100
    used |= {f"state.{state.value}": "CaseState" for state in CaseState}
    used |= {f"type.{kind.value}": "RequestType" for kind in RequestType}
    used |= {f"role.{role}": "ROLES" for role in ROLES}
    used |= {f"return.{code}": "RETURN_REASONS" for code in RETURN_REASONS}
    assert {key: where for key, where in used.items() if key not in reference} == {}


def test_every_language_has_every_key_with_the_same_fields() -> None:
    """Each catalogue has exactly the reference's keys, each text with the reference's {fields}."""
    reference = catalogues()[REFERENCE_LANGUAGE]
    assert set(languages()) >= {"zh", "en"}
    for language in languages():
        texts = catalogues()[language]
        assert sorted(set(reference) - set(texts)) == [], f"{language} lacks keys"
        assert sorted(set(texts) - set(reference)) == [], f"{language} has keys zh lacks"
        differ = {
            key: (sorted(template_fields(reference[key])), sorted(template_fields(text)))
            for key, text in texts.items()
            if template_fields(text) != template_fields(reference[key])
        }
        assert differ == {}, f"{language}: fields differ from zh"


def test_no_catalogue_names_the_district() -> None:
    """The district's name and case prefix reach texts only as {district} and {case_example}."""
    for language in languages():
        for key, text in catalogues()[language].items():
            assert "安宁" not in text and "Anning" not in text, (language, key)
            assert "AN2026" not in text, (language, key)


def test_every_logged_action_has_words() -> None:
    """Every event action the code logs (and the planned ones) has an `event.<action>` text."""
    actions = _logged_actions() | _COMPUTED_OR_PLANNED
    actions |= {kind.value for kind in _ALERTS} | {f"{kind.value}_skipped" for kind in _SKIPPABLE}
    assert {"submitted", "signed", "callback_sent", "auto_closed", "reopened"} <= actions
    missing = sorted(a for a in actions if f"event.{a}" not in catalogues()[REFERENCE_LANGUAGE])
    assert missing == []


def test_texts_fill_in_the_district_values_given_at_start_up() -> None:
    """Values given to `Texts` fill {district} and {hotline}; a caller's own values still apply."""
    values = {"district": "测试县", "hotline": "0931-12345", "case_example": "AN20261125-0007"}
    texts = Texts("zh", values=values)
    assert texts("welcome").startswith("您好，这里是测试县政务服务热线。")
    assert "0931-12345" in texts("help")
    done = texts("join.done", unit="测试县民政局", role="承办人")
    assert done == "绑定成功：测试县民政局，承办人。"


def test_a_key_missing_in_a_language_falls_back_to_chinese() -> None:
    """A key only the reference has is answered in Chinese rather than failing."""
    texts = Texts("en")
    texts._catalogue.maps[0].pop("btn.skip")
    assert texts("btn.skip") == "跳过"
    assert texts.has("btn.skip") and not texts.has("event.no_such_action")


def test_the_built_in_district_gives_its_name_and_hotline() -> None:
    """The Anning data names the district (安宁区 / Anning district) and the 12345 line."""
    directory = load_directory()
    zh = build_texts(Settings(), directory)
    en = build_texts(Settings(language="en"), directory)
    assert zh("welcome").startswith("您好，这里是安宁区政务服务热线。")
    assert en("welcome").startswith("Hello, this is the Anning district hotline.")
    assert "12345" in zh("help") and "12345" in en("help")


def test_example_case_numbers_use_the_configured_prefix() -> None:
    """Texts that show an example case number use the configured prefix, not a built-in "AN"."""
    settings = Settings.model_validate({"intake": {"case_prefix": "QL"}})
    texts = build_texts(settings, load_directory())
    assert texts("status.usage") == "请在命令后加上工单号，例如：/status QL20261125-0007"
    assert "AN2026" not in texts("help") and "QL20261125-0007" in texts("help")


def test_another_districts_data_changes_the_texts(tmp_path: Path) -> None:
    """A district folder with its own short name and hotline shows them, without code changes."""
    extra = 'short_name = "测试县"\nhotline = "0931-8888888"\n'
    directory = load_directory(_district(tmp_path, extra))
    zh = build_texts(Settings(), directory)
    assert zh("welcome").startswith("您好，这里是测试县政务服务热线。")
    assert "0931-8888888" in zh("help")
    # No English name given: English texts use the Chinese short name rather than a wrong one.
    assert "测试县" in build_texts(Settings(language="en"), directory)("welcome")


def test_a_district_without_names_or_hotline_falls_back(tmp_path: Path) -> None:
    """Without short_name and hotline, texts use the full name and the national 12345 line."""
    directory = load_directory(_district(tmp_path))
    assert directory.short_name_for("zh") == "测试县" and directory.hotline == "12345"


def test_a_hotline_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    """A hotline with letters fails at load, naming the file and key."""
    with pytest.raises(DirectoryDataError, match="hotline"):
        load_directory(_district(tmp_path, 'hotline = "call us"\n'))


def test_a_language_without_a_catalogue_is_a_config_error(tmp_path: Path) -> None:
    """`language = "fr"` with no fr.toml is refused when the configuration loads."""
    config = tmp_path / "config.toml"
    config.write_text('language = "fr"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="no catalogue"):
        load_settings(config, env={})
