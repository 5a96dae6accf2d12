"""Whether a message reads as a question (咨询) or a complaint (投诉)."""

from __future__ import annotations

import pytest

from nlp.kb import read_intent, reads_as_question


@pytest.mark.parametrize(
    "text",
    [
        "社保卡丢了怎么办",
        "居住证在哪办？",
        "办营业执照需要什么材料",
        "身份证补办要多久",
        "能网上备案吗",
    ],
)
def test_questions_read_as_questions(text: str) -> None:
    """Question words, "需要什么", "在哪", "吗" or a question mark make a question."""
    assert reads_as_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "为什么路灯坏了这么久没人管？",
        "我要投诉窗口工作人员态度差，怎么投诉",
        "申请低保三个月了到现在还没批，怎么回事",
        "公司拖欠工资半年了怎么办",
    ],
)
def test_a_complaint_never_reads_as_a_question(text: str) -> None:
    """Complaint cues win over question cues, so a complaint is never answered from the KB."""
    reading = read_intent(text)
    assert reading.complaint and reading.question_cues
    assert not reads_as_question(text)


def test_a_plain_statement_is_neither() -> None:
    """A statement without cues is not taken for a question."""
    reading = read_intent("社保卡坏了")
    assert not reading.question and not reading.complaint
