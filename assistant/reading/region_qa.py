"""The team's questions over other regions' regulations (``assistant/data/regions/``).

The shipped corpus is what the team wrote most questions for, so a model trained on those
alone learns what answerable looks like *on those texts*: on an administrator's upload of
another region's rules it refused three to eighteen times as often (bench/RESULTS.md,
session 11). Each folder here is one corpus nobody tuned for — a region's regulations
copied verbatim from LawRefBook/Laws with sidecars and provenance — and the questions
residents would ask of it. Training reads each corpus in a home of its own, as an upload
is read, and never fits on them: they stand for the region an administrator will load
next, and set the answerability threshold for documents outside the training set.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corpus.loaders import read_sidecar
from corpus.metadata import default_id
from corpus.settings import Settings

if TYPE_CHECKING:
    from assistant.answer import Assistant

REGIONS = Path(__file__).resolve().parents[1] / "data" / "regions"
QUESTIONS = "questions.jsonl"


@dataclass(frozen=True)
class RegionCorpus:
    """One region's documents and the questions written over them."""

    name: str
    folder: Path

    def documents(self) -> list[Path]:
        return sorted(self.folder.glob("*.md"))

    def document_ids(self) -> list[str]:
        return sorted(read_sidecar(p).get("id") or default_id(p) for p in self.documents())

    def items(self) -> list[dict[str, Any]]:
        """The questions, each tagged with its corpus (``doc`` is a file of the folder)."""
        lines = (self.folder / QUESTIONS).read_text(encoding="utf-8").splitlines()
        return [{**json.loads(line), "corpus": self.name} for line in lines if line.strip()]

    def text_of(self, doc: str) -> str:
        return (self.folder / doc).read_text(encoding="utf-8")


def load_regions(folder: Path = REGIONS) -> list[RegionCorpus]:
    return [RegionCorpus(p.name, p) for p in sorted(folder.iterdir())
            if (p / QUESTIONS).is_file()] if folder.is_dir() else []


@contextmanager
def region_assistant(corpus: RegionCorpus, base: Settings) -> Iterator[Assistant]:
    """An assistant over this corpus alone, in a temporary home (never ``var/``): the
    documents go in through the library's ingest, as an administrator's upload does."""
    from assistant.answer import Assistant
    from assistant.home import rulebook
    from corpus.home import library, searcher

    with tempfile.TemporaryDirectory(prefix=f"jnt-{corpus.name}-") as tmp:
        settings = base.model_copy(update={"home": Path(tmp), "database_url": None})
        library(settings).ingest(corpus.documents())
        yield Assistant(searcher(settings), rulebook())
