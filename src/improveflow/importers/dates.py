"""Timescales as council plans write them: free text turned into dates, or flagged.

Action tables say "July 2014", "Apr 08 - Mar 09", "2015/16", "Ongoing until 2016/17"
or "September 2014 (Leadership) 2015/16 (Lean)". `parse_timescale` keeps what it is
sure of and sets `review` for the rest: a wrong deadline silently drives reminders
and escalations, while a flagged one costs a person a glance. Nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import pairwise

from improveflow.calendar import FinancialYear

__all__ = ["DateReading", "Milestone", "Timescale", "parse_timescale"]


@dataclass(frozen=True)
class DateReading:
    """How a source writes dates: UK day-first and an April-March year unless told otherwise."""

    month_first: bool = False  # 03/31/2027, for a US source (--date-order mdy)
    year_start: tuple[int, int] = (4, 1)  # (month, day) the financial year starts

    def financial_year(self, start_year: int) -> FinancialYear:
        return FinancialYear(start_year, *self.year_start)


UK_DATES = DateReading()


@dataclass(frozen=True)
class Milestone:
    """One dated part of a timescale, with the words that name it, if any."""

    label: str | None
    start: date | None
    target: date | None


@dataclass(frozen=True)
class Timescale:
    """What a timescale says, and whether a person must check it.

    `target` is the deadline (the latest milestone); `open_ended` marks work with no
    end by nature ("Ongoing"); `review` is None only when the text was read with
    confidence, and otherwise says briefly what to check.
    """

    raw: str
    start: date | None
    target: date | None
    milestones: tuple[Milestone, ...]
    recurrence: str | None
    open_ended: bool
    review: str | None


_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_SPACES = "\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_NORMALISE = str.maketrans(
    {**dict.fromkeys(_DASHES, "-"), **dict.fromkeys(_SPACES, " "), "\u2018": "'", "\u2019": "'"}
)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# Full stops ending a word ("Sept.", "Ongoing.") carry nothing; those in 31.03.2009 do.
_WORD_END_DOTS = re.compile(r"\.+(?=[\s),;]|$)")

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])"
)
_Y4 = r"(?:19|20)\d{2}"
_YEAR = rf"(?:{_Y4}|'?\d{{2}})(?!\d)"
_END = r"(?![a-z])"
# Tried in order at each token start, so the longer and more specific forms come first.
_TOKEN = re.compile(
    "|".join(
        [
            # Paragraphs flattened into one cell survive as line breaks or runs of spaces.
            r"(?P<hard>\s*[\n\r\t\f\v]\s*|\s{2,})",
            r"(?P<space>\s)",
            rf"(?P<iso>(?P<iso_y>{_Y4})-(?P<iso_m>\d\d?)-(?P<iso_d>\d\d?)(?!\d))",
            rf"(?P<num>(?P<num_d>\d\d?)[/.](?P<num_m>\d\d?)[/.](?P<num_y>{_Y4}|\d\d)(?!\d))",
            rf"(?P<dmy>(?P<dmy_d>\d\d?)(?:st|nd|rd|th)?[ \-/.]{{0,3}}(?P<dmy_m>{_MONTH})"
            rf"[ \-/.,]{{0,3}}(?P<dmy_y>{_YEAR}))",
            rf"(?P<mdy>(?P<mdy_m>{_MONTH}) (?P<mdy_d>\d\d?)(?:st|nd|rd|th)?,? "
            rf"(?P<mdy_y>{_Y4})(?![\d/\-]))",
            rf"(?P<fy>(?P<fy_a>{_Y4}|fy ?\d\d) ?(?P<fy_sep>[/\-]) ?(?P<fy_b>{_Y4}|\d\d)"
            r"(?![\d/\-]))",
            r"(?P<qtr>(?:quarter|qtr|q) ?(?P<qtr_n>[1-4])(?!\d))",
            rf"(?P<my>(?P<my_m>{_MONTH})[ \-/,]{{0,2}}(?P<my_y>{_YEAR})(?!/))",
            rf"(?P<month>{_MONTH})",
            rf"(?P<year>{_Y4})(?!\d)",
            rf"(?P<season>spring|summer|autumn|winter){_END}",
            r"(?P<tbd>(?:to be (?:determined|confirmed|agreed|decided|arranged|advised|set)"
            rf"|tb[cda]|not (?:yet )?(?:known|set|determined|agreed|confirmed)|unknown){_END})",
            r"(?P<none>(?:n/a|not applicable|none)(?![a-z/]))",
            r"(?P<sched>(?:as per|in line with|according to|in accordance with) (?:the )?"
            rf"(?:[a-z/&]+ ){{0,3}}?(?:schedule|timetable|cycle|calendar|programme|plan)s?{_END})",
            r"(?P<ongoing>(?:on[ \-]?going|continuous(?:ly)?|continuing|in progress|no end date"
            r"|as (?:and when )?(?:required|necessary|needed|appropriate)|business as usual"
            rf"|rolling(?: programme)?|open[ \-]ended){_END})",
            r"(?P<recur>(?:bi-?annual(?:ly)?|six[ \-]?monthly|half[ \-]?yearly|bi-?monthly"
            r"|annual(?:ly)?|yearly|every (?:year|month|quarter)|monthly|quarterly|weekly"
            rf"|fortnightly|daily|termly){_END})",
            rf"(?P<onwards>onwards?){_END}",
            rf"(?P<from>from|starting|commencing){_END}",
            rf"(?P<until>until|till|by|up to|no later than|not later than){_END}",
            rf"(?P<to>(?:to|through|thru){_END}|-+)",
            r"(?P<filler>(?:the|end|of|in|during|within|at|on|a|an|and|fy|financial year"
            rf"|year[ \-]end|deadline|target|date|due|complete|completion|basis|reporting"
            rf"|review){_END}|[&+])",
            r"(?P<sep>[,;|])",
            r"(?P<close>\))",
            r"(?P<punct>[^\w\s])",
            r"(?P<word>[^\s,;()\-]+)",
        ]
    )
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NUMBERS = {name: number for number, name in enumerate(_MONTHS, start=1)}
_DATE_KINDS = frozenset({"iso", "num", "dmy", "mdy", "my", "year", "fy"})
_OWN_START_KINDS = frozenset({"fy", "quarter", "years"})  # a lone "2015/16" is a period of work
_YEAR_ONLY = "year only: check whether the calendar or financial year is meant"
_EXTRA_WORDS = "timescale has extra words: check the date"
_NO_TIMESCALE = "no timescale given"
_MAX_EXTRA_WORDS = 4  # beyond this the text is prose that mentions a date, not a timescale
_MAX_LABEL_WORDS = 5


@dataclass(frozen=True, slots=True)
class _Period:
    first: date
    last: date
    kind: str  # day, month, year, years, fy, quarter
    doubt: str | None = None
    fy: FinancialYear | None = None


@dataclass(slots=True)
class _Tok:
    kind: str
    start: int
    end: int
    text: str
    period: _Period | None = None
    number: int = 0  # month or quarter number; 1 for a line break


@dataclass(slots=True)
class _Item:
    start: date | None
    target: date | None
    segment: int
    doubt: str | None = None
    fy: FinancialYear | None = None
    anchored: bool = False  # "until X" or "from X": explains an "Ongoing" beside it
    label_start: int = -1
    label_end: int = -1
    label_words: int = 0


def _year(text: str) -> int:
    digits = text.lstrip("'fy ")
    value = int(digits)
    if len(digits) == 4:
        return value
    return 2000 + value if value < 70 else 1900 + value  # two-digit years: 1970-2069


def _day(year: int, month: int, day: int) -> _Period | str:
    try:
        d = date(year, month, day)
    except ValueError:
        return "no such date"
    return _Period(d, d, "day")


def _period(kind: str, m: re.Match[str], reading: DateReading) -> _Period | str:
    """The period a date-like token names, or why it names none."""
    g = m.group
    if kind == "iso":
        return _day(int(g("iso_y")), int(g("iso_m")), int(g("iso_d")))
    if kind == "num":  # UK order day/month/year, unless the source is told to be month first
        day, month = int(g("num_d")), int(g("num_m"))
        if reading.month_first:
            day, month = month, day
        return _day(_year(g("num_y")), month, day)
    if kind in ("dmy", "mdy"):
        return _day(_year(g(kind + "_y")), _MONTH_NUMBERS[g(kind + "_m")[:3]], int(g(kind + "_d")))
    if kind == "my":
        year, month = _year(g("my_y")), _MONTH_NUMBERS[g("my_m")[:3]]
        last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        return _Period(date(year, month, 1), last, "month")
    if kind == "year":
        year = int(g("year"))
        return _Period(date(year, 1, 1), date(year, 12, 31), "year", _YEAR_ONLY)
    first, second = _year(g("fy_a")), g("fy_b")
    if int(second) == (first + 1 if len(second) == 4 else (first + 1) % 100):
        fy = reading.financial_year(first)
        return _Period(fy.start, fy.end, "fy", fy=fy)
    if len(second) == 4 and g("fy_sep") == "-" and int(second) > first:  # "2014-2017"
        return _Period(date(first, 1, 1), date(int(second), 12, 31), "years", _YEAR_ONLY)
    return "not a financial year"


def _recurrence(text: str) -> str:
    squashed = text.replace("-", "").replace(" ", "")
    if squashed.startswith(("biannual", "sixmonthly", "halfyearly")):
        return "six-monthly"
    if squashed.startswith("bimonthly"):
        return "bi-monthly"
    if squashed.startswith(("annual", "yearly", "everyyear")):
        return "annual"
    return {"everymonth": "monthly", "everyquarter": "quarterly"}.get(squashed, squashed)


def _bad(reason: str, piece: str, cased: str) -> str:
    """Why part of the text was not understood, quoting the part unless it is the whole."""
    return reason if piece == cased else f"{reason}: {piece!r}"


def _combine(tokens: list[_Tok], tok: _Tok, cased: str) -> None:
    """Append `tok`, joining "Q4 2016/17", "2016/17 Q4" and "Summer 2016" into one token."""
    back = len(tokens) - 1
    while back >= 0 and tokens[back].kind == "filler":
        back -= 1
    prev = tokens[back] if back >= 0 else None
    fy = tok.period.fy if tok.period else prev.period.fy if prev and prev.period else None
    if prev is not None and {prev.kind, tok.kind} == {"qtr", "period"} and fy is not None:
        first, last = fy.quarter(prev.number if prev.kind == "qtr" else tok.number)
        del tokens[back:]
        tokens.append(_Tok("period", prev.start, tok.end, "", _Period(first, last, "quarter")))
        return
    if prev is not None and prev.kind in ("qtr", "season") and tok.kind == "period":
        is_year = tok.period is not None and tok.period.kind == "year"
        reason = (
            "a season, not a date" if prev.kind == "season" else "calendar or financial quarter?"
        )
        if prev.kind == "season" or is_year:
            del tokens[back:]
            piece = cased[prev.start : tok.end]
            tokens.append(_Tok("bad", prev.start, tok.end, _bad(reason, piece, cased)))
            return
    tokens.append(tok)


def _tokenize(lower: str, cased: str, reading: DateReading) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(lower):
        m = _TOKEN.match(lower, pos)
        assert m is not None  # the punct and word alternatives match anything else
        kind = m.lastgroup or "word"
        tok = _Tok(kind, pos, m.end(), m.group())
        pos = m.end()
        if kind == "space":
            continue
        if kind == "hard":
            tok.number = int(bool(tok.text.strip(" ")))  # 1 for a line break, 0 for spaces
        elif kind in _DATE_KINDS:
            found = _period(kind, m, reading)
            if isinstance(found, str):
                tok.kind, tok.text = "bad", _bad(found, cased[tok.start : tok.end], cased)
            else:
                tok.kind, tok.period = "period", found
        elif kind == "month":
            tok.number = _MONTH_NUMBERS[tok.text[:3]]
            if cased[tok.start : tok.end] == "may":  # the verb, not the month
                tok.kind = "word"
        elif kind == "qtr":
            tok.number = int(m.group("qtr_n"))
        elif kind == "recur":
            tok.text = _recurrence(tok.text)
        _combine(tokens, tok, cased)
    return tokens


@dataclass(slots=True)
class _Reading:
    items: list[_Item] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    open_segments: set[int] = field(default_factory=set)  # "Ongoing", "As per schedule"
    extra_words: int = 0
    fillers: int = 0
    tbd: bool = False
    none: bool = False
    onwards: bool = False
    recurrence: str | None = None


def _skip(tokens: list[_Tok], i: int, fillers: bool) -> int:
    """Index of the next token that is neither a run of spaces nor (optionally) a filler."""
    skipped = ("hard", "filler") if fillers else ("hard",)
    while i < len(tokens) and tokens[i].kind in skipped and not tokens[i].number:
        i += 1
    return i


def _term(
    tokens: list[_Tok], i: int, segment: int, pending: str | None, cased: str
) -> tuple[int, _Item | str]:
    """Read the date, month or range at `i`: the index after it, and an item or a reason."""
    left = tokens[i]
    j = _skip(tokens, i + 1, fillers=False)
    if j < len(tokens) and tokens[j].kind in ("to", "until") and tokens[j].text != "by":
        k = _skip(tokens, j + 1, fillers=True)
        right = tokens[k].period if k < len(tokens) else None
        if right is not None:
            # "April - Oct 2016" takes the end's year; "Aug - Mar 2017" starts a year earlier.
            if left.period is None:
                first = date(right.first.year - (left.number > right.first.month), left.number, 1)
            else:
                first = left.period.first
            if first > right.last:
                piece = cased[left.start : tokens[k].end]
                return k + 1, _bad("the range ends before it starts", piece, cased)
            doubt = right.doubt or (left.period.doubt if left.period else None)
            return k + 1, _Item(first, right.last, segment, doubt, anchored=pending is not None)
    period = left.period
    if period is None:
        return i + 1, _bad("a month without a year", cased[left.start : left.end], cased)
    onwards = i + 1 < len(tokens) and tokens[i + 1].kind == "onwards"
    if pending == "from" or onwards:
        return i + 1 + onwards, _Item(period.first, None, segment, period.doubt, anchored=True)
    # "By 2015/16" is a deadline only; "2015/16" alone is the whole year's work.
    own_start = period.kind in _OWN_START_KINDS and pending is None
    start = period.first if own_start else None
    return i + 1, _Item(start, period.last, segment, period.doubt, period.fy, pending is not None)


def _read(tokens: list[_Tok], cased: str) -> _Reading:
    reading = _Reading()
    segment, i = 0, 0
    current: _Item | None = None  # the item that following words label
    pending: str | None = None  # "from" or "until", waiting for its date
    while i < len(tokens):
        tok = tokens[i]
        kind = tok.kind
        if kind in ("period", "month"):
            i, found = _term(tokens, i, segment, pending, cased)
            if isinstance(found, str):
                reading.bad.append(found)
            else:
                reading.items.append(found)
                current = found
                reading.onwards |= tokens[i - 1].kind == "onwards"
            pending = None
            continue
        i += 1
        if kind in ("hard", "sep"):
            segment += kind == "hard"
            current, pending = None, None
        elif kind in ("until", "from"):
            pending = kind
        elif kind == "to" and current is None:
            ahead = _skip(tokens, i, fillers=True)
            if ahead < len(tokens) and tokens[ahead].kind == "period":
                pending = "until"  # "ongoing to 31/03/2009", or a leading dash
            elif tok.text[0] != "-":
                reading.extra_words += 1
        elif kind in ("word", "to", "close", "season") and current is not None:
            if tok.text[0] == "-" or (kind == "close" and current.label_start < 0):
                continue
            if current.label_start < 0:
                current.label_start = tok.start
            current.label_end = tok.end
            current.label_words += kind != "close"
        elif kind in ("word", "season"):
            reading.extra_words += 1
        elif kind == "onwards":  # not straight after a date, so not read with one
            reading.onwards = True
            reading.extra_words += 1
        elif kind in ("ongoing", "sched"):
            reading.open_segments.add(segment)
        elif kind == "recur":
            reading.recurrence = reading.recurrence or tok.text
        elif kind == "qtr":
            piece = cased[tok.start : tok.end]
            reading.bad.append(_bad("a quarter without a financial year", piece, cased))
        elif kind == "bad":
            reading.bad.append(tok.text)
        else:
            reading.tbd |= kind == "tbd"
            reading.none |= kind == "none"
            reading.fillers += kind == "filler"
    return reading


def _quoted(raw: str) -> str:
    text = " ".join(raw.split())
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _not_understood(raw: str, detail: str | None = None) -> str:
    return f"timescale not understood: {_quoted(raw)}" + (f" ({detail})" if detail else "")


def _label(text: str) -> str | None:
    text = text.strip()
    if text.count("(") != text.count(")"):
        text = text.strip("() ")
    return text or None


def _out_of_order(items: list[_Item]) -> bool:
    """Whether dates written in one run go backwards ("October 08 January 08"): a wrong year."""
    for before, after in pairwise(items):
        first, then = before.target or before.start, after.target or after.start
        if before.segment == after.segment and first and then and then < first:
            return True
    return False


def _verdict(raw: str, cased: str, reading: _Reading) -> Timescale:
    def flagged(review: str) -> Timescale:
        return Timescale(raw, None, None, (), None, False, review)

    items = reading.items
    if reading.bad:
        return flagged(_not_understood(raw, reading.bad[0]))
    extra_words = reading.extra_words + (reading.none and bool(items))
    labels: list[str | None] = []
    for item in items:
        if item.label_words and (len(items) == 1 or item.label_words > _MAX_LABEL_WORDS):
            extra_words += item.label_words  # words beside a single date explain nothing
            labels.append(None)
        else:
            labels.append(
                _label(cased[item.label_start : item.label_end]) if item.label_words else None
            )
    if extra_words > _MAX_EXTRA_WORDS:
        return flagged(_not_understood(raw))
    reasons: list[str] = []
    if not items:
        if not (reading.tbd or reading.open_segments or reading.recurrence):
            # Only blanks, dashes or "n/a" mean there is no timescale; words mean one we can't read.
            empty = not (extra_words or reading.fillers) or (reading.none and not extra_words)
            return flagged(_NO_TIMESCALE if empty else _not_understood(raw))
        if reading.tbd:
            reasons.append("target date to be determined")
        if extra_words:
            reasons.append(_EXTRA_WORDS)
        return Timescale(raw, None, None, (), reading.recurrence, True, "; ".join(reasons) or None)
    if _out_of_order(items):
        return flagged(f"dates out of order: check the years in {_quoted(raw)}")

    target = max((item.target for item in items if item.target), default=None)
    start = items[0].start
    if len(items) > 1:
        start = min((item.start for item in items if item.start), default=None)
    milestones: tuple[Milestone, ...] = ()
    if len(items) > 1:
        milestones = tuple(
            Milestone(lbl, it.start, it.target) for lbl, it in zip(labels, items, strict=True)
        )
    elif reading.recurrence == "quarterly" and (fy := items[0].fy) is not None:
        # A recurring deadline: one report due at the end of each quarter.
        milestones = tuple(Milestone(f"Q{n}", None, fy.quarter(n)[1]) for n in range(1, 5))

    reasons.extend(doubt for doubt in dict.fromkeys(item.doubt for item in items) if doubt)
    if reading.tbd:
        reasons.append("target date to be determined")
    # "Ongoing until 2016/17" explains itself; "Ongoing" on its own line beside dated
    # lines leaves part of the work without a date.
    if reading.open_segments - {item.segment for item in items if item.anchored}:
        reasons.append("part of the timescale has no date")
    if target is None and not (reading.open_segments or reading.onwards or reading.recurrence):
        reasons.append("only a start date given: no deadline")
    if extra_words:
        reasons.append(_EXTRA_WORDS)
    review = "; ".join(reasons) or None
    return Timescale(raw, start, target, milestones, reading.recurrence, target is None, review)


@lru_cache(maxsize=8192)
def parse_timescale(raw: str, reading: DateReading = UK_DATES) -> Timescale:
    """Read a timescale as written in a plan, flagging in `review` whatever is uncertain.

    Cached: imports repeat a few phrases ("Ongoing", "March 2017") thousands of times,
    and a Timescale is immutable.
    """
    cased = _WORD_END_DOTS.sub("", raw.translate(_NORMALISE)).strip()
    lower = cased.translate(_ASCII_LOWER)
    return _verdict(raw, cased, _read(_tokenize(lower, cased, reading), cased))
