"""Retrieval: the right entry first, explained; nothing below the thresholds; dates respected."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from nlp.directory import load_directory
from nlp.kb import KnowledgeBase
from nlp.kb.entries import entry_files, load_entries
from tests.kb_files import entry, kb_folder

DAY = date(2026, 12, 1)


def test_a_lost_social_security_card_question_finds_the_replacement_entry(
    knowledge_base: KnowledgeBase,
) -> None:
    """ "社保卡丢了怎么补" gets kb-shebaoka-lost first, with the shared terms as the reason."""
    best = knowledge_base.best("我的社保卡丢了，怎么补办？", today=DAY)
    assert best is not None and best.entry.id == "kb-shebaoka-lost"
    assert {"社保卡", "丢失"} <= set(best.matched)
    assert "来源" in best.entry.reply_text()


def test_synonyms_fold_colloquial_words(knowledge_base: KnowledgeBase) -> None:
    """ "驾照" and "掉了" are read as 驾驶证 and 丢失."""
    assert knowledge_base.terms("驾照掉了")[:2] == ["驾驶证", "丢失"]


def test_a_homophone_typo_still_finds_the_entry(knowledge_base: KnowledgeBase) -> None:
    """ "居主证" (a pinyin-input typo of 居住证) matches on its sounds."""
    best = knowledge_base.best("居主证在哪里办，要什么材料", today=DAY)
    assert best is not None and best.entry.id == "kb-juzhuzheng-apply"
    assert "ju_zhu" in best.matched


def test_an_unrelated_message_gets_no_answer(knowledge_base: KnowledgeBase) -> None:
    """A message no entry covers returns None from best(), so a case is filed instead."""
    assert knowledge_base.best("小区门口的垃圾桶满了", today=DAY) is None
    assert knowledge_base.search("", today=DAY) == []


def test_a_question_mostly_about_something_else_is_below_coverage(
    knowledge_base: KnowledgeBase,
) -> None:
    """A transfer question (no entry yet) shares only 公积金 with the withdrawal entry: coverage
    refuses it; the loan question goes to the loan entry, not to the 创业担保贷款 one."""
    question = "公积金账户从外地转过来怎么办"
    found = knowledge_base.search(question, limit=1, today=DAY)
    assert found and found[0].entry.id == "kb-gongjijin-withdraw"
    assert found[0].coverage < knowledge_base.min_coverage
    assert knowledge_base.best(question, today=DAY) is None
    loan = knowledge_base.best("公积金贷款最多能贷多少，利率多少", today=DAY)
    assert loan is not None and loan.entry.id == "kb-gongjijin-loan"


def test_entries_outside_their_dates_are_not_found(
    tmp_path: Path, knowledge_base: KnowledgeBase
) -> None:
    """An expired entry, or one not yet valid, is never returned."""
    folder = kb_folder(
        tmp_path,
        entry("kb-old", valid_from="2020-01-01", valid_until="2021-01-01"),
        entry("kb-new", title="身份证丢失怎么补办", variants=("身份证丢了",)),
    )
    entries = load_entries(entry_files([folder / "entries"]), load_directory(None).unit_names())
    kb = KnowledgeBase(entries, segmenter=knowledge_base.segmenter, min_score=0.0)
    assert "kb-old" not in [a.entry.id for a in kb.search("社保卡丢了怎么办", today=DAY)]
    assert "kb-old" in [a.entry.id for a in kb.search("社保卡丢了怎么办", today=date(2020, 6, 1))]
    assert kb.search("身份证丢了", today=date(2025, 1, 1)) == []


def test_search_is_ranked_and_limited(knowledge_base: KnowledgeBase) -> None:
    """search() returns at most `limit` answers, best first, with the phrasing that matched."""
    found = knowledge_base.search("社保卡", limit=3, today=DAY)
    assert len(found) == 3
    assert found[0].score >= found[1].score >= found[2].score
    assert all(a.entry.id.startswith("kb-shebaoka") for a in found)
    assert found[0].to_json()["matched"]


def test_a_district_without_entries_answers_nothing(
    tmp_path: Path, knowledge_base: KnowledgeBase
) -> None:
    """A folder with no entry files loads as an empty knowledge base that never answers."""
    (tmp_path / "kb").mkdir()
    kb = KnowledgeBase.load(tmp_path / "kb", units=["区民政局"], segmenter=knowledge_base.segmenter)
    assert kb.entries == () and kb.best("社保卡丢了怎么办", today=DAY) is None
