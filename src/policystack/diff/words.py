"""Word-level differences inside a clause: paragraphs aligned first, then words within a paragraph."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Iterable, Sequence

#: One piece of a word diff: ``("=", text)`` kept, ``("-", text)`` deleted, ``("+", text)`` inserted.
Piece = tuple[str, str]

_TOKEN = re.compile(r"\s+|[\w'’]+|[^\w\s]", re.UNICODE)
_PAIR_AT = 0.4  # paragraphs at least this similar are shown as edited, not as deleted + inserted


def tokens(text: str) -> list[str]:
    """Words, single punctuation marks and runs of whitespace, concatenating back to ``text``."""
    return _TOKEN.findall(text)


def _merge(pieces: Iterable[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for op, text in pieces:
        if not text:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return out


def _absorb_spaces(pieces: list[Piece]) -> list[Piece]:
    """Fold a lone space kept between two changes into them, so a reviewer reads whole phrases."""
    out: list[Piece] = []
    i = 0
    while i < len(pieces):
        op, text = pieces[i]
        if (op == "=" and not text.strip() and 0 < i < len(pieces) - 1
                and pieces[i - 1][0] != "=" and pieces[i + 1][0] != "="):
            out.extend([("-", text), ("+", text)])
        else:
            out.append((op, text))
        i += 1
    # group deletions before insertions inside each run of changes
    grouped: list[Piece] = []
    run: list[Piece] = []
    for piece in out + [("=", "")]:
        if piece[0] == "=":
            grouped.extend(_merge([p for p in run if p[0] == "-"]))
            grouped.extend(_merge([p for p in run if p[0] == "+"]))
            run = []
            grouped.append(piece)
        else:
            run.append(piece)
    return _merge(grouped)


def _slide(pieces: list[Piece]) -> list[Piece]:
    """Move a pure insertion or deletion that starts with a space to after it: 'from[+ a+] b' → 'from [+a +]b'."""
    out = list(pieces)
    for i in range(1, len(out) - 1):
        op, text = out[i]
        (before_op, before), (after_op, after) = out[i - 1], out[i + 1]
        if op == "=" or before_op != "=" or after_op != "=":
            continue
        while text and after and text[0].isspace() and text[0] == after[0]:
            before, text, after = before + text[0], text[1:] + text[0], after[1:]
        out[i - 1], out[i], out[i + 1] = ("=", before), (op, text), ("=", after)
    return _merge(out)


def word_diff(old: str, new: str) -> list[Piece]:
    """The word-level edit from ``old`` to ``new``; '=' and '-' pieces rebuild old, '=' and '+' new."""
    if old == new:
        return [("=", old)] if old else []
    a, b = tokens(old), tokens(new)
    pieces: list[Piece] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.append(("=", "".join(a[i1:i2])))
        else:
            pieces.append(("-", "".join(a[i1:i2])))
            pieces.append(("+", "".join(b[j1:j2])))
    return _slide(_absorb_spaces(_merge(pieces)))


def similarity(old: str, new: str) -> float:
    """How alike two texts are, word by word (0 to 1)."""
    a, b = old.split(), new.split()
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


@dataclass(frozen=True)
class ParagraphDiff:
    """One paragraph of a clause: ``equal``, ``insert`` (new only), ``delete`` (old only) or ``change``."""

    op: str
    pieces: tuple[Piece, ...]

    @property
    def old(self) -> str | None:
        """The paragraph as it was (None for an inserted one)."""
        return None if self.op == "insert" else "".join(t for o, t in self.pieces if o != "+")

    @property
    def new(self) -> str | None:
        """The paragraph as it is now (None for a deleted one)."""
        return None if self.op == "delete" else "".join(t for o, t in self.pieces if o != "-")


def paragraph_diff(old: Sequence[str], new: Sequence[str]) -> list[ParagraphDiff]:
    """Align paragraphs (exact matches first, then similar ones in order) and word-diff edited ones."""
    out: list[ParagraphDiff] = []
    matcher = SequenceMatcher(None, list(old), list(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(ParagraphDiff("equal", (("=", p),)) for p in old[i1:i2])
            continue
        olds, news = list(old[i1:i2]), list(new[j1:j2])
        while olds or news:
            if olds and news and similarity(olds[0], news[0]) >= _PAIR_AT:
                out.append(ParagraphDiff("change", tuple(word_diff(olds.pop(0), news.pop(0)))))
            elif olds and (not news or len(olds) >= len(news)):
                out.append(ParagraphDiff("delete", (("-", olds.pop(0)),)))
            else:
                out.append(ParagraphDiff("insert", (("+", news.pop(0)),)))
    return out


def counts(paragraphs: Iterable[ParagraphDiff]) -> tuple[int, int]:
    """Words inserted and deleted."""
    inserted = deleted = 0
    for paragraph in paragraphs:
        for op, text in paragraph.pieces:
            if op == "+":
                inserted += len(text.split())
            elif op == "-":
                deleted += len(text.split())
    return inserted, deleted
