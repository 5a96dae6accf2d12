"""The knowledge base (知识库) for questions (咨询): entries kept as TOML files in the directory
data, BM25 retrieval over jieba terms, and a reading of whether a message is a question.

Imports nothing from the project outside `nlp`. Entry point: `KnowledgeBase.load(folder, ...)`.
"""

from nlp.kb.entries import Entry, KbDataError, Source
from nlp.kb.intent import IntentReading, read_intent, reads_as_question
from nlp.kb.retrieval import Answer, KnowledgeBase

__all__ = [
    "Answer",
    "Entry",
    "IntentReading",
    "KbDataError",
    "KnowledgeBase",
    "Source",
    "read_intent",
    "reads_as_question",
]
