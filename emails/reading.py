"""What a teacher's reply means: which of the email's choices, or "not clear".

Read as a person would: the choice's number from the email ("1", "option 2"), counts
in words and figures ("twice", "three times", "on Monday and Thursday"), negation
("not once", "no problems"), ratings written any common way ("4/5", "a 3", "four",
"I'd say a 4"). A reply that could mean two things, or asks a question, is not
guessed: the caller asks back. A reply is read as asking for help only when it asks
for help: "it really helped" does not. Pure, and bounded: a few regular expressions
over at most the reply's first 600 characters. Measured on two corpora of realistic
replies (tests/services/test_reply_corpus.py).
"""

from __future__ import annotations

import re

from cpd.plans import IMPACT_CHOICES, StepKind, choices_for

READ_CHARS = 600  # the answer is in the opening; a long reply's tail is a story

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_N = r"(?:\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten)"

_AUTOMATIC = re.compile(
    r"^(?:automatic reply|auto[- ]?reply|out of (?:the )?office|thank you for your "
    r"(?:e-?mail|message)[.!]? i am (?:currently )?(?:out|away|on))"
)
# The email numbers its choices; a bare number on the first line picks one.
_MENU = re.compile(
    r"^(?:option|number|no\.?|#)?\s*([1-9])"
    r"(?!\d|\.\d|[/x:]|\s*(?:x|times?|out of|lessons?|classes|goes|of)\b)"
)
_DIGIT = re.compile(r"(?<![\w.])[1-9](?![\w.])")

# ---- asking for help ------------------------------------------------------
_HELP = re.compile(
    r"\b(?:help|support|advice|guidance|a hand|pointers|tips|ideas|a chat|a catch-?up|"
    r"a (?:quick )?(?:call|word|talk))\b"
)
_ASKING = re.compile(
    r"\b(?:need|want|would like|'d like|would love|'d love|could do with|could use|could i|"
    r"can i|can we|could we|any|please|"
    r"any chance|is there|appreciate|grateful|looking for|no idea|not sure how|"
    r"don't know how|dont know how|where to start|how do i|how should i)\b"
)
_NOT_ASKING = re.compile(
    r"\b(?:no|not|don't|dont|do not|didn't|didnt|did not|without|never|needn't)"
    r"(?:\s+\S+){0,3}?\s+(?:any\s+)?(?:help|support|advice)|\bif you (?:need|want)\b"
)
_SOMEONE = re.compile(
    r"\b(?:would|could|can|is) (?:someone|somebody|anyone)\b|\bgo through it with me\b|"
    r"\btalk me through\b|\bshow me how\b|\bsit down with me\b"
)
_STUCK = re.compile(
    r"\b(?:i'm|i am|im|feeling|a bit|really|totally) stuck\b|"
    r"\bstuck (?:on|with) (?:how|it|this|the|what)\b"
)
_REFUSING = re.compile(r"^(?:no|not|nah|nope)\b")
# "No" opening a reply means no, unless it is "no problem", "no worries", "no help needed".
_NO = re.compile(
    r"^(?:no|nah|nope)\b(?!\s+(?:problem|problems|issue|issues|worries|bother|help|support|"
    r"trouble|need))"
)

# ---- what happened --------------------------------------------------------
_NOT_YET = re.compile(
    r"\b(?:not yet|not as yet|no joy|sadly not|afraid not|unfortunately not|on my list|"
    r"on my to-?do|haven't|havent|have not|hasn't|has not|not had (?:a|the|any) "
    r"(?:chance|time|opportunity)|no chance|didn't get (?:a|the) chance|not managed|"
    r"didn't manage|not tried|didn't try|not got round|not got around|no time|"
    r"not had time|not started|not been able|wasn't able|nope|not this week|not really)\b|"
    r"\bnot\b[^.!?\n]{0,25}\byet\b"
)
_LATER = re.compile(
    r"\b(?:planned|planning to|plan to|going to|will do it|will try|hope to|hoping to)\b"
)
_NOT_ONCE = re.compile(
    r"\b(?:not (?:even )?once|zero times|0 times|never (?:tried|used|done|did|got round))\b"
)
# "Not done", "haven't tried": the thing itself denied.
_NOT_DONE = re.compile(
    r"\b(?:not|haven't|havent|have not|didn't|did not|hasn't)\s+(?:\w+\s+)?"
    r"(?:done|did|tried|managed|used)\b"
)
_ONLY_ONCE = re.compile(r"\b(?:never|not|didn't)\b[^.!?\n]{0,25}\ba second (?:go|time|lesson)\b")
_SEVERAL = re.compile(
    r"(?<!not )(?<!never )\b(?:twi[cs]\w?|two times|2 times|2x|x2|thrice|more than once|"
    r"(?:a )?couple of times|"
    r"a few times|few times|several times|multiple times|many times|lots of times|"
    r"loads of times|every lesson|each lesson|every day|daily|most lessons|both lessons|"
    r"both classes|regularly|every time|separate times)\b"
)
_TIMES = re.compile(rf"\b({_N})\s*(?:x|times|lessons|sessions|periods|goes)\b")
# "once" as a count, not "once I've finished mocks".
_ONCE = re.compile(
    r"\b(?:once|one time|1 time|1x|a single time)\b"
    r"(?!\s+(?:i|i've|we|they|the|my|it|you|he|she|that|this|mocks|exams)\b)"
)
_DAY = re.compile(r"\b(mon|tue|wed|thu|fri)(?:s|nes|rs)?(?:day)?s?\b|\b(satur|sun)days?\b")
_USED = re.compile(
    r"\b(?:used|tried|did|done|taught|ran|went|had a (?:go|try|crack|bash)|"
    r"gave it a (?:go|whirl|try|shot))\b"
)
_DONE = re.compile(
    r"\b(?:done|dun|did it|did this|did that|yes|ys|yep|yeah|yup|tried it|tried this|"
    r"managed|had a go|used it|used them|tried them|went well|went great|completed|sorted|"
    r"all good|it helped|have done|i did|gave it a (?:go|whirl|try|shot))\b|✅|👍"
)

# ---- ratings --------------------------------------------------------------
_OUT_OF = re.compile(rf"\b({_N})\s*(?:/|out of|outta|of)\s*({_N})\b")
_STATED = re.compile(
    rf"\b(?:i'?d (?:say|put (?:myself|it|me)(?: at)?|give (?:it|myself))|i'?m (?:at|on)|"
    rf"rate (?:it|myself)|(?:at|about|around|probably|maybe|roughly) a)\s+(?:a\s+)?({_N})\b"
)
_RANGE = re.compile(rf"\b{_N}\s*,?\s*(?:or|to|maybe|possibly|perhaps)\s+{_N}\b|\bbetween {_N}")
# A number that is a rating: not a year group, a period or a set, nor a count of things.
_CANDIDATE = re.compile(
    rf"(?<![\w.:/-])(?<!year )(?<!period )(?<!set )(?<!ks)(?<!room )(?<!group )({_N})"
    r"(?![\w:/]|\.\d|\s+(?:lessons?|class|classes|times|weeks|days|pupils|students|kids|"
    r"of|groups|sets|periods|minutes|mins)\b)"
)
# The words beside each rating in the email, and what people write instead.
_RATING_WORDS = [
    (
        "1",
        re.compile(
            r"\b(?:no change|nothing (?:has )?changed|haven't changed|not changed|"
            r"not at all|nothing yet)\b"
        ),
    ),
    ("2", re.compile(r"\b(?:a little|little bit|a bit|slightly|not much)\b")),
    ("3", re.compile(r"^some\b(?!\s+(?:of|one|times|people))|\bin the middle\b|\bmiddling\b")),
    ("4", re.compile(r"\b(?:a lot|quite a lot|loads|lots)\b")),
    (
        "5",
        re.compile(
            r"\b(?:how i (?:work|teach) now|part of how i teach|can't imagine going "
            r"back|second nature|embedded|every lesson now|massively)\b"
        ),
    ),
]
_DENIED = re.compile(r"\b(?:not|wouldn't say|isn't|no)\s+(?:\S+\s+){0,3}$")


def read_choice(text: str, kind: StepKind) -> str | None:
    """The one choice ``text`` means for a question of this kind, or None if not clear."""
    allowed = choices_for(kind)
    said = _normal(text)
    if not allowed or not said or _AUTOMATIC.match(said):
        return None
    if allowed == IMPACT_CHOICES:
        return _rating(said)
    line = said.split("\n", 1)[0]
    menu = _MENU.match(line)
    if menu:
        n = int(menu.group(1))
        if len(_DIGIT.findall(line)) > 1 or n > len(allowed):
            return None  # "1 and 4", "3 or 4"
        return allowed[n - 1]
    if "need_help" in allowed and asks_for_help(said):
        return "need_help"
    if _asks_a_question(said):
        return None
    if kind is StepKind.PRACTICE_CHECKIN:
        return _count(said)
    if kind is StepKind.PEER_OBSERVATION:
        return _observation(said)
    return _done_or_not(said)


def asks_for_help(said: str) -> bool:
    """True only for a request: "could I get some support", "I'm stuck", "help please"."""
    clauses = [c.strip() for c in re.split(r"[.!?;\n]|,\s*but\b|\s-\s", said)]
    clauses = [c for c in clauses if c]
    for i, clause in enumerate(clauses):
        if _SOMEONE.search(clause) or _STUCK.search(clause):
            return True
        if not _HELP.search(clause) or _NOT_ASKING.search(clause):
            continue
        if _ASKING.search(clause):
            return True
        bare = re.fullmatch(r"(?:help|help please|please help)\W*", clause)
        refused = i + 1 < len(clauses) and _REFUSING.match(clauses[i + 1])
        if bare and not refused:
            return True
    return False


def _asks_a_question(said: str) -> bool:
    first = re.match(r"[^!?\n]*?(?:[!?]|\.(?!\d)|$)", said)
    return bool(first and first.group().rstrip().endswith("?"))


def _count(said: str) -> str | None:
    if _NOT_ONCE.search(said):
        return "not_yet"
    used = bool(_USED.search(said)) and not _NOT_DONE.search(said)
    # Days named are the days it was used ("Tues + Weds with 10B"), unless it is a plan.
    planned = bool(_LATER.search(said) or _NOT_YET.search(said)) and not used
    days = set() if planned else {m.group(1) or m.group(2) for m in _DAY.finditer(said)}
    if _ONLY_ONCE.search(said):
        return "tried_once"
    if _SEVERAL.search(said) or len(days) >= 2 or _times(said) >= 2:
        return "tried_twice"
    if _ONCE.search(said) or len(days) == 1 or _times(said) == 1:
        return "tried_once"
    if _NOT_YET.search(said) or _NOT_DONE.search(said) or (_LATER.search(said) and not used):
        return "not_yet"
    return None


def _times(said: str) -> int:
    """The largest count given in figures or words ("three lessons", "2x"); 0 if none."""
    return max((_value(m.group(1)) or 0 for m in _TIMES.finditer(said)), default=0)


def _done_or_not(said: str) -> str | None:
    if re.search(r"\byes\b", said) and re.search(r"\bno\b", said):
        return None  # "yes and no"
    denied = bool(_NOT_YET.search(said) or _NOT_DONE.search(said) or _NO.match(said))
    done = bool(_DONE.search(_NOT_DONE.sub(" ", said)))
    if denied and done:
        return None  # "can't say I haven't done it": two readings, so ask
    if denied or _NOT_ONCE.search(said):
        return "not_yet"
    if done:
        return "done"
    if _LATER.search(said):
        return "not_yet"
    return None


_BOOKED = re.compile(r"\b(?:booked|arranged|scheduled|in the diary|set up for|fixed for)\b")
_NEGATED = re.compile(r"\b(?:not|no|nothing|haven't|havent|hasn't|didn't|can't|cannot|won't)\b")


def _observation(said: str) -> str | None:
    """Done, planned or not yet: "it's booked for Thursday" or "planned for next week" is
    "planned", which elsewhere reads as "not yet". A negation anywhere leaves the plain
    reading ("haven't planned it" is not yet; "not booked yet" too)."""
    reading = _done_or_not(said)
    if reading == "done" or _NEGATED.search(said):
        return reading
    if _LATER.search(said) or _BOOKED.search(said):
        return "planned"
    return reading


def _rating(said: str) -> str | None:
    of = _OUT_OF.search(said)
    if of:
        return _in_range(of.group(1)) if _value(of.group(2)) == 5 else None
    stated = _STATED.search(said)
    if stated:
        return _in_range(stated.group(1))
    if _asks_a_question(said):
        return None
    head = re.split(r"(?<!\d)[.!?](?!\d)|\n", said, maxsplit=1)[0][:160]
    if _RANGE.search(head):
        return None  # "3 or 4", "2, maybe 3", "between 3 and 4"
    found = {_value(m.group(1)) for m in _CANDIDATE.finditer(head)}
    ratings = {n for n in found if n is not None and 1 <= n <= 5}
    if len(ratings) > 1:
        return None  # "5 with Year 7, more like 1 with Year 11"
    if ratings:
        return str(ratings.pop())
    meant = {
        choice
        for choice, words in _RATING_WORDS
        for found in words.finditer(head)
        if not _DENIED.search(head[: found.start()])
    }
    return meant.pop() if len(meant) == 1 else None


def _in_range(token: str) -> str | None:
    value = _value(token)
    return str(value) if value is not None and 1 <= value <= 5 else None


def _value(token: str) -> int | None:
    return int(token) if token.isdigit() else NUMBER_WORDS.get(token)


def _normal(text: str) -> str:
    said = text[:READ_CHARS].lower().replace("’", "'").replace("‘", "'")
    said = said.replace("\ufe0f", "").replace("\u20e3", "").strip()  # keycap digits: 4️⃣
    said = re.sub(r"^(?:hi|hello|hey|morning|afternoon|dear)\b[^\n,.!]{0,30}[,.!]?\s*", "", said)
    return said.strip()
