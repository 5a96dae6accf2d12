"""Build the knowledge base from the settings: the seam the chat and the CLI share.

Build once at start-up (it loads jieba's dictionary, about a second); pass a `segmenter` that
already knows `KnowledgeBase.user_words` to share one with the router.
"""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from nlp.directory import DEFAULT_DATA_DIR, load_directory
from nlp.kb import KnowledgeBase
from nlp.segment import Segmenter


def kb_folder(settings: Settings) -> Path:
    """The folder with entries/ and synonyms.toml: [kb] data_dir, else next to the directory."""
    if settings.kb.data_dir is not None:
        return settings.kb.data_dir
    return (settings.directory.data_dir or DEFAULT_DATA_DIR) / "kb"


def load_knowledge_base(
    settings: Settings, *, segmenter: Segmenter | None = None, cache_dir: Path | None = None
) -> KnowledgeBase:
    """The shipped entries plus approved proposals ([kb] local_dir); units from the directory."""
    units = load_directory(settings.directory.data_dir).unit_names()
    return KnowledgeBase.load(
        kb_folder(settings),
        units=units,
        extra_dirs=[settings.kb.local_dir],
        segmenter=segmenter,
        cache_dir=cache_dir,
        min_score=settings.kb.min_score,
        min_coverage=settings.kb.min_coverage,
    )
