"""Does a message read as a question (咨询) rather than a complaint (投诉)?

Used to decide whether the knowledge base may answer at once. A complaint is never deflected to an
answer, so complaint cues win over question cues: "为什么路灯坏了没人管？" ends with a question mark
but is a complaint. Cues are plain substrings of the normalised text: cheap and explainable.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Ways residents ask: question words, "what do I need", "where", "how long", a question mark.
QUESTION_CUES: tuple[str, ...] = (
    "?",
    "吗",
    "怎么",
    "怎样",
    "咋",
    "如何",
    "哪",
    "哪些",
    "什么",
    "啥",
    "多久",
    "多长时间",
    "几天",
    "多少",
    "能不能",
    "能否",
    "可不可以",
    "可以",
    "是否",
    "有没有",
    "需要",
    "要带",
    "要交",
    "咨询",
    "请问",
    "想问",
    "问一下",
    "问下",
    "了解一下",
    "流程",
    "手续",
    "条件",
    "材料",
)

# Words of grievance: a message with any of these is handled as a case, never answered from the
# knowledge base. Kept to unambiguous phrases: "坏了" is left out ("社保卡坏了怎么换" asks).
COMPLAINT_CUES: tuple[str, ...] = (
    "投诉",
    "举报",
    "反映",
    "没人管",
    "无人管",
    "不管不问",
    "不作为",
    "乱作为",
    "不处理",
    "不给办",
    "不给处理",
    "推诿",
    "扯皮",
    "踢皮球",
    "刁难",
    "态度差",
    "态度恶劣",
    "服务差",
    "太差",
    "乱收费",
    "乱罚款",
    "吃拿卡要",
    "索贿",
    "扰民",
    "噪音",
    "拖欠",
    "欠薪",
    "讨薪",
    "一直没",
    "迟迟",
    "至今没",
    "到现在还没",
    "还没给",
    "还没批",
    "还没办",
    "还没处理",
    "为什么还",
    "凭什么",
    "太过分",
    "气愤",
    "曝光",
    "差评",
    "骗",
)


@dataclass(frozen=True, slots=True)
class IntentReading:
    """Which cues a message holds; `question` is True only without any complaint cue."""

    question_cues: tuple[str, ...]
    complaint_cues: tuple[str, ...]

    @property
    def complaint(self) -> bool:
        return bool(self.complaint_cues)

    @property
    def question(self) -> bool:
        return bool(self.question_cues) and not self.complaint_cues


def _normalise(text: str) -> str:
    # Full-width "？" becomes "?" under NFKC.
    return unicodedata.normalize("NFKC", text).lower()


def read_intent(text: str) -> IntentReading:
    """The question and complaint cues found in `text`."""
    norm = _normalise(text)
    return IntentReading(
        question_cues=tuple(c for c in QUESTION_CUES if c in norm),
        complaint_cues=tuple(c for c in COMPLAINT_CUES if c in norm),
    )


def reads_as_question(text: str) -> bool:
    """True when the message asks something and holds no complaint cue."""
    return read_intent(text).question
