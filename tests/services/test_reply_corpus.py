"""Emailed replies read as a person would read them, measured on a corpus of realistic ones.

replies_corpus*.json hold teachers' replies as mail clients send them (quoted history,
signatures, disclaimers, typos, phones), each with what a careful person reads in it:
a choice, or null where a person could not tell either. Two corpora, written apart by
different hands, so the reader is not measured only on what it was written against. A reply
the reader cannot place is asked back (services/replies.py), so "asked" is safe; a
wrong choice is not, and a harmful one (a "need help" nobody asked for, or the
opposite of what was meant) must never happen.
"""

from __future__ import annotations

import json
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

from cpd.plans import StepKind
from emails.reading import read_choice
from emails.replies import new_text

CORPORA = sorted(Path(__file__).parent.glob("replies_corpus*.json"))
KINDS = {
    "checkin": StepKind.PRACTICE_CHECKIN,
    "cue": StepKind.CUE,
    "rating": StepKind.IMPACT_CHECK,
}
DID = {"tried_twice", "tried_once", "done"}


def verdict(read: str | None, expected: str | None) -> str:
    if read == expected:
        return "right"
    if read is None:
        return "asked"
    if read == "need_help" or (read in DID and expected == "not_yet"):
        return "harmful"
    if read == "not_yet" and expected in DID:
        return "harmful"
    if read.isdigit() and expected is not None and expected.isdigit():
        return "harmful" if abs(int(read) - int(expected)) >= 2 else "wrong"
    return "wrong"


def as_email(body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Ada Lovelace <ada@hillside.example>"
    message["Subject"] = "Re: How is it going?"
    message.set_content(body)
    return message


def test_replies_are_read_right_or_asked_back_and_never_harmfully() -> None:
    corpus = [item for path in CORPORA for item in json.loads(path.read_text())]
    assert len(CORPORA) == 2 and len(corpus) >= 150
    tally: Counter[str] = Counter()
    misread = []
    for item in corpus:
        text = new_text(as_email(item["body"]))
        read = read_choice(text, KINDS[item["kind"]])
        found = verdict(read, item["expected"])
        tally[found] += 1
        if found in ("wrong", "harmful"):
            misread.append(f"{item['id']} {found}: read {read!r}, meant {item['expected']!r}")
    safe = (tally["right"] + tally["asked"]) / len(corpus)
    print(
        f"\nreply corpus: {len(corpus)} replies, {tally['right']} read right, "
        f"{tally['asked']} asked back, {tally['wrong']} wrong, {tally['harmful']} harmful; "
        f"{safe:.1%} right or asked back"
    )
    assert tally["harmful"] == 0, misread
    assert safe >= 0.95, misread
