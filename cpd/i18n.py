"""What teachers read, in English or Welsh: the message catalogue and Welsh dates.

English is the source language: every teacher-facing string is an English msgid,
marked ``N_`` in Python (so pybabel extracts it) and ``{% trans %}``/``_()`` in
templates, and looked up only when an email or page is rendered. The Welsh
catalogue is the .po file itself (cpd/locale/cy/LC_MESSAGES/messages.po), read at
first use: no compiled .mo to forget to rebuild, wherever the service runs.

Babel is imported inside functions: cpd/plans.py imports ``N_`` from here, and
workflow code must not pull Babel into Temporal's sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

Language = Literal["en", "cy"]
LANGUAGES: tuple[Language, ...] = ("en", "cy")
DEFAULT_LANGUAGE: Language = "en"

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Marks an English string for translation; it is translated when rendered, not here."""
    return message


def language_of(participant_language: str, school_language: str) -> Language:
    """A teacher's own choice wins; else their school's; else English."""
    for lang in (participant_language, school_language):
        if lang in LANGUAGES:
            return lang
    return DEFAULT_LANGUAGE


class Translations:
    """gettext and ngettext for one language, as jinja2's i18n extension wants them.

    A msgid missing from the catalogue (or fuzzy, or left empty) comes back in English:
    a teacher never sees a blank. tests/emails/test_welsh.py fails on any such gap."""

    def __init__(self, messages: dict[str, str | tuple[str, ...]]) -> None:
        self._messages = messages

    def gettext(self, message: str) -> str:
        found = self._messages.get(message)
        return found if isinstance(found, str) and found else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = self._messages.get(singular)
        if isinstance(found, tuple):
            # Welsh has six plural forms; the catalogue's Plural-Forms picks one.
            index = _plural_index(n)
            if index < len(found) and found[index]:
                return found[index]
        return singular if n == 1 else plural


def _plural_index(n: int) -> int:
    # CLDR/gettext Welsh: n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n==3 ? 3 : n==6 ? 4 : 5
    return {0: 0, 1: 1, 2: 2, 3: 3, 6: 4}.get(n, 5)


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> Translations:
    """The catalogue for ``language``; English (and anything unknown) is the identity."""
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return Translations({})
    from babel.messages.pofile import read_po

    with po_path(language).open("rb") as f:
        catalog = read_po(f, locale=language)
    messages: dict[str, str | tuple[str, ...]] = {}
    for m in catalog:
        if not m.id or m.fuzzy:
            continue
        key = m.id[0] if isinstance(m.id, tuple | list) else m.id
        messages[key] = tuple(m.string) if isinstance(m.string, tuple | list) else m.string or ""
    return Translations(messages)


def gettext_for(language: str) -> Callable[[str], str]:
    return translations(language).gettext


def format_day(day: date, language: str) -> str:
    """A date as a teacher reads it: "1 September 2026" or "1 Medi 2026"."""
    from babel.dates import format_date

    return format_date(day, format="d MMMM y", locale="cy" if language == "cy" else "en_GB")
