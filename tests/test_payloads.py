"""The one button-payload codec: built and parsed by the same module, versioned, bounded."""

from __future__ import annotations

import pytest

from handlers.conversation import payloads as p


def test_a_built_payload_parses_back_into_its_parts() -> None:
    parsed = p.parse(p.card_action("sign", 42, 7))
    assert parsed == p.Payload("s", "sign", ("42", "7"), version=p.VERSION)
    assert parsed is not None and parsed.int_field(0) == 42 and parsed.int_field(1) == 7


def test_version_one_is_written_bare_so_buttons_already_in_chats_stay_valid() -> None:
    assert p.VERSION == 1
    assert p.card_action("done", 1, 2) == "s:done:1:2"
    assert p.parse("1!s:done:1:2") == p.parse("s:done:1:2")


@pytest.mark.parametrize("payload", ["2!s:sign:1:1", "99!i:submit", "x!s:sign:1:1", "!s:sign"])
def test_a_payload_of_another_grammar_version_is_not_misread(payload: str) -> None:
    assert p.parse(payload) is None


@pytest.mark.parametrize("payload", ["", "submit", "s", "s:" + "9" * 70])
def test_malformed_or_oversized_payloads_are_refused(payload: str) -> None:
    assert p.parse(payload) is None


def test_int_field_refuses_what_is_not_a_decimal_id() -> None:
    parsed = p.parse("s:sign:-1:abc")
    assert parsed is not None
    assert (
        parsed.int_field(0) is None and parsed.int_field(1) is None and parsed.int_field(5) is None
    )


def test_build_refuses_a_payload_telegram_would_reject() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        p.build(p.STAFF, "reply", "x" * 80)
