"""Input validation for everything an SDR types before a reply is sent.

Sending is not idempotent and SmartLead's error messages are unreliable, so we check inputs
locally first and explain problems in one plain sentence each ("cc: 'bob@' is not an email
address"). Everything here is pure (stdlib only) so the TUI, the CLI and the outbox can share it
and it can be tested without a terminal or a network.
"""

from __future__ import annotations

import ipaddress
import mimetypes
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

__all__ = [
    "MIN_SCHEDULE_LEAD",
    "ValidationError",
    "email_list_or_raise",
    "find_unfilled_merge_fields",
    "format_schedule",
    "guess_attachment",
    "normalize_message_id",
    "parse_campaign_id",
    "parse_email_list",
    "parse_iso_datetime",
    "parse_positive_int",
    "parse_schedule",
    "parse_timezone",
    "require_text",
    "schedule_to_wire",
    "validate_attachment_url",
    "validate_email",
]


class ValidationError(ValueError):
    """One bad input: `field` names the input, str(err) is the full message.

    e.g. ``str(ValidationError("cc", "'bob@' is not an email address"))`` is
    ``"cc: 'bob@' is not an email address"``; the UI shows it as is.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")

    def __reduce__(self) -> tuple[type[ValidationError], tuple[str, str]]:
        # ValueError pickles via .args (the full text); rebuild from the two parts instead.
        return (type(self), (self.field, self.message))


def _q(text: str, limit: int = 60) -> str:
    """Quote user input for a message: one line, invisible characters made visible, bounded."""
    shown = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return f"'{shown}'"


# --------------------------------------------------------------------------------------------
# Email addresses
# --------------------------------------------------------------------------------------------

_MAX_ADDRESS = 254  # RFC 5321 path limit minus the angle brackets
_MAX_LOCAL = 64
_MAX_LABEL = 63
# RFC 5322 atext; non-ASCII letters are allowed too (RFC 6531, e.g. "josé@example.com").
_ATEXT = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~"
)
_ASCII_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.IGNORECASE)
_ASCII_TLD = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}", re.IGNORECASE)
_ANGLE_ADDR = re.compile(r"<\s*([^<>\s]+)\s*>")


def _atom_char_ok(ch: str) -> bool:
    return ch in _ATEXT or (ord(ch) > 127 and ch.isprintable() and not ch.isspace())


def _local_part_ok(local: str) -> bool:
    if not local or local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    return all(ch == "." or _atom_char_ok(ch) for ch in local)


def _label_ok(label: str) -> bool:
    if label.isascii():
        return _ASCII_LABEL.fullmatch(label) is not None
    # Internationalised label: letters/digits/hyphens that survive IDNA encoding.
    if label.startswith("-") or label.endswith("-"):
        return False
    if not all(ch.isalnum() or ch == "-" for ch in label):
        return False
    try:
        encoded = label.encode("idna")
    except UnicodeError:
        return False
    return 0 < len(encoded) <= _MAX_LABEL


def _tld_ok(tld: str) -> bool:
    if tld.isascii():
        return _ASCII_TLD.fullmatch(tld) is not None
    return len(tld) >= 2 and tld.isalpha() and _label_ok(tld)


def _domain_ok(domain: str) -> bool:
    labels = domain.split(".")
    if len(labels) < 2 or len(domain) > 253:
        return False
    return all(_label_ok(label) for label in labels) and _tld_ok(labels[-1])


def _email_problem(address: str) -> str | None:
    """Why `address` (already stripped, non-empty) is not a plain address, or None if it is."""
    if "<" in address or ">" in address:
        inner = _ANGLE_ADDR.search(address)
        if inner and _email_problem(inner.group(1)) is None:
            return f"{_q(address)} is not a plain email address; write just {inner.group(1)}"
        return f"{_q(address)} is not a plain email address"
    if len(address) > _MAX_ADDRESS:
        return f"{_q(address)} is too long for an email address (max {_MAX_ADDRESS} characters)"
    if address.count("@") != 1 or any(ch.isspace() for ch in address):
        return f"{_q(address)} is not an email address"
    local, domain = address.split("@")
    if len(local.encode("utf-8")) > _MAX_LOCAL:
        return (
            f"{_q(address)} is not an email address "
            f"(the part before @ is longer than {_MAX_LOCAL} characters)"
        )
    if not _local_part_ok(local) or not _domain_ok(domain):
        return f"{_q(address)} is not an email address"
    return None


def validate_email(text: str, *, field: str = "email") -> str:
    """Return the stripped address, or raise if it is not one plausible plain address.

    We refuse display-name forms ("Bob <bob@x.com>") because SmartLead's to/cc/bcc fields take
    bare addresses; the message tells the user which part to keep.
    """
    address = (text or "").strip()
    if not address:
        raise ValidationError(field, "is empty")
    problem = _email_problem(address)
    if problem:
        raise ValidationError(field, problem)
    return address


_LIST_SEPARATORS = re.compile(r"[,;\r\n]+")


def _email_list(
    text: str, exclude: Iterable[str], exclude_label: str
) -> tuple[list[str], list[str]]:
    """Like parse_email_list but problems come without the field prefix."""
    excluded = {e.strip().casefold() for e in exclude if e and e.strip()}
    valid: list[str] = []
    problems: list[str] = []
    seen: set[str] = set()
    reported_twice: set[str] = set()
    for raw in _LIST_SEPARATORS.split(text or ""):
        item = raw.strip()
        if not item:
            continue
        problem = _email_problem(item)
        if problem:
            parts = item.split()
            if len(parts) > 1 and all(_email_problem(p) is None for p in parts):
                problem += " (separate addresses with commas)"
            problems.append(problem)
            continue
        key = item.casefold()
        if key in excluded:
            problems.append(f"{_q(item)} is already {exclude_label}")
        elif key in seen:
            if key not in reported_twice:
                reported_twice.add(key)
                problems.append(f"{_q(item)} is listed twice")
        else:
            seen.add(key)
            valid.append(item)
    return valid, problems


def parse_email_list(
    text: str,
    *,
    field: str,
    exclude: Iterable[str] = (),
    exclude_label: str = "the To address",
) -> tuple[list[str], list[str]]:
    """Split a cc/bcc box into addresses and complaints, so the UI can show every problem at once.

    Separators are commas, semicolons or newlines; blanks are ignored. Returns (valid addresses
    in input order, without duplicates or excluded ones; problems as full "field: ..." messages).
    Duplicates and `exclude` matches are compared case-insensitively.
    """
    valid, problems = _email_list(text, exclude, exclude_label)
    return valid, [f"{field}: {p}" for p in problems]


def email_list_or_raise(
    text: str,
    *,
    field: str,
    exclude: Iterable[str] = (),
    exclude_label: str = "the To address",
) -> str | None:
    """Return the list as SmartLead wants it ("a@b.co,c@d.co"), None when empty, or raise.

    None matters: the API must never receive "" for cc/bcc, so callers omit the field. The raised
    error's message lists every problem, joined by "; ".
    """
    valid, problems = _email_list(text, exclude, exclude_label)
    if problems:
        raise ValidationError(field, "; ".join(problems))
    return ",".join(valid) or None


# --------------------------------------------------------------------------------------------
# Numbers and required text
# --------------------------------------------------------------------------------------------

_MAX_SAFE_INT = 2**53 - 1  # the API is JavaScript: larger ids would lose precision


def parse_positive_int(text: str | int, *, field: str) -> int:
    """Parse an id-like number typed by a person: ASCII digits only, greater than zero."""
    if text is None:
        raise ValidationError(field, "is required")
    if isinstance(text, bool):
        raise ValidationError(field, f"{_q(str(text))} is not a number")
    if isinstance(text, int):
        value = text
        shown = str(text)
    else:
        shown = str(text).strip()
        if not shown:
            raise ValidationError(field, "is required")
        if re.fullmatch(r"[+-]?[0-9]+", shown) is None:
            if re.fullmatch(r"[+-]?[0-9]*\.[0-9]+", shown):
                raise ValidationError(field, f"{_q(shown)} is not a whole number")
            raise ValidationError(field, f"{_q(shown)} is not a number")
        value = int(shown)
    if value <= 0:
        raise ValidationError(field, f"{_q(shown)} must be a positive number")
    if value > _MAX_SAFE_INT:
        raise ValidationError(field, f"{_q(shown)} is too large")
    return value


def parse_campaign_id(text: str | int) -> int:
    """Campaign ids are positive integers; "abc" -> "campaign id: 'abc' is not a number"."""
    return parse_positive_int(text, field="campaign id")


def require_text(text: str | None, *, field: str) -> str:
    """Return `text` stripped; missing (None) -> "is required", blank -> "is empty"."""
    if text is None:
        raise ValidationError(field, "is required")
    stripped = text.strip()
    if not stripped:
        raise ValidationError(field, "is empty")
    return stripped


# --------------------------------------------------------------------------------------------
# Time zones and ISO timestamps
# --------------------------------------------------------------------------------------------

_UTC_NAMES = frozenset({"utc", "z", "gmt", "zulu"})


@lru_cache(maxsize=1)
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def parse_timezone(name: str) -> tzinfo:
    """Turn an IANA name (case-insensitive, e.g. "europe/berlin") or "UTC" into a tzinfo.

    Scheduling must use a real zone (not a fixed offset) so DST changes are handled.
    """
    key = (name or "").strip()
    if not key:
        raise ValidationError("timezone", "is required (e.g. Europe/Berlin, America/New_York, UTC)")
    if key.casefold() in _UTC_NAMES:
        key = "UTC"
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    folded = _zones_by_folded_name().get(key.casefold())
    if folded:
        return ZoneInfo(folded)
    if key == "UTC":  # no tz database installed at all
        return UTC
    raise ValidationError(
        "timezone",
        f"{_q(key)} is not a known time zone (e.g. Europe/Berlin, America/New_York, UTC)",
    )


def _isoformat(dt: datetime) -> str:
    if dt.microsecond == 0:
        return dt.isoformat(timespec="seconds")
    if dt.microsecond % 1000 == 0:
        return dt.isoformat(timespec="milliseconds")
    return dt.isoformat(timespec="microseconds")


def parse_iso_datetime(text: str, *, field: str) -> str:
    """Normalise a timestamp (e.g. replyEmailTime) to ISO 8601 with an offset; naive means UTC.

    SmartLead hands us "2026-03-12T11:29:05.173Z"-style values; we pass them back in one
    consistent, unambiguous form.
    """
    raw = (text or "").strip()
    if not raw:
        raise ValidationError(field, "is required")
    try:
        dt = datetime.fromisoformat(raw.upper())
    except ValueError:
        raise ValidationError(
            field, f"{_q(raw)} is not an ISO 8601 date-time (e.g. 2026-03-12T11:29:05Z)"
        ) from None
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.replace(tzinfo=UTC)
    return _isoformat(dt)


# --------------------------------------------------------------------------------------------
# Scheduling
# --------------------------------------------------------------------------------------------

MIN_SCHEDULE_LEAD = timedelta(seconds=30)
"""A scheduled time must be at least this far ahead; anything sooner is really "send now"."""

_DEFAULT_TIME = time(9, 0)
_NOW_WORDS = frozenset({"", "now", "send now", "right now", "immediately"})
_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAY_LONG = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_WD = (
    r"(?P<wd>mon(?:day)?|tue(?:s(?:day)?)?|wed(?:s|nesday)?|thu(?:r(?:s(?:day)?)?)?"
    r"|fri(?:day)?|sat(?:urday)?|sun(?:day)?)\.?"
)
_MON = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORD = r"(?:st|nd|rd|th)?"
_RE_WEEKDAY = re.compile(rf"(?:(?P<mod>next|this)\s+)?{_WD}")
_RE_YMD = re.compile(r"(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})")
_RE_DMY = re.compile(rf"(?:{_WD}\s+)?(?P<d>\d{{1,2}}){_ORD}\s+{_MON}(?:\s+(?P<y>\d{{4}}))?")
_RE_MDY = re.compile(rf"(?:{_WD}\s+)?{_MON}\s+(?P<d>\d{{1,2}}){_ORD}(?:\s+(?P<y>\d{{4}}))?")
_RE_TIME = re.compile(
    r"(?:at\s+)?(?:(?P<noon>noon|midday)|(?P<h>\d{1,2})"
    r"(?:[:.](?P<mi>\d{2})(?::(?P<s>\d{2}))?)?(?:\s*(?P<ap>[ap])\.?m\.?)?)"
)
_OFFSET = r"z|utc|gmt|[+-]\d{2}(?::?\d{2})?"
_RE_OFFSET_TOKEN = re.compile(rf"(?:{_OFFSET})")
_RE_TIME_WITH_OFFSET = re.compile(
    rf"(?P<t>\d{{1,2}}[:.]\d{{2}}(?::\d{{2}})?|\d{{1,2}}(?:[:.]\d{{2}})?[ap]m)(?P<off>{_OFFSET})"
)
_RE_ZONE_SUFFIX = re.compile(r"\s*\((?P<zone>[^()]+)\)\s*$")
_RE_DURATION_PART = re.compile(
    r"(?P<n>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>weeks?|wks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)"
    r"(?![a-z])"
)
_RE_RELATIVE = re.compile(r"(?:in\s+)?(?P<dur>.+?)(?:\s+from\s+now|\s+later)?")

_UNPARSEABLE_HINT = "try 'in 2h', 'tomorrow 9am', 'mon 10:00' or '2026-12-01 14:30'"


class _BadDate(Exception):
    """A date that looks right but does not exist, e.g. 31 Feb."""


def _localize(naive: datetime, tz: tzinfo) -> datetime:
    """Attach `tz` to a wall-clock time. In a DST gap (02:30 on spring-forward day) the time is
    pushed forward by the gap (-> 03:30); in a fall-back overlap the first occurrence wins."""
    aware = naive.replace(tzinfo=tz, fold=0)
    return aware.astimezone(UTC).astimezone(tz)


def _short(dt: datetime, tz: tzinfo) -> str:
    local = dt.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {_format_offset(local)}"


def _format_offset(dt: datetime) -> str:
    offset = dt.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_offset(token: str) -> tzinfo | None:
    token = token.lower()
    if token in ("z", "utc", "gmt"):
        return UTC
    match = re.fullmatch(r"([+-])(\d{2}):?(\d{2})?", token)
    if not match:
        return None
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 18 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if match.group(1) == "-" else delta)


def _parse_time(text: str, *, allow_bare_hour: bool) -> time | None:
    match = _RE_TIME.fullmatch(text)
    if not match:
        return None
    if match.group("noon"):
        return time(12, 0)
    hour = int(match.group("h"))
    minute = int(match.group("mi") or 0)
    second = int(match.group("s") or 0)
    ampm = match.group("ap")
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "p" else 0)
    elif match.group("mi") is None and not allow_bare_hour:
        return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _weekday_index(name: str) -> int:
    return ("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(name[:3])


def _month_index(name: str) -> int:
    return [m.lower() for m in _MONTH_NAMES].index(name[:3]) + 1


# A parsed day: (time of day, now in the work zone, earliest acceptable moment) -> the moment.
_DayResolver = Callable[[time, datetime, datetime], datetime]


def _make_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _BadDate(text) from None


def _check_weekday(d: date, wd: str | None, text: str) -> None:
    if wd is not None and d.weekday() != _weekday_index(wd):
        raise ValidationError(
            "schedule",
            f"{_q(text)}: {d.day} {_MONTH_NAMES[d.month - 1]} {d.year} is a "
            f"{_WEEKDAY_LONG[d.weekday()]}, not a {_WEEKDAY_LONG[_weekday_index(wd)]}",
        )


def _on_date(fixed: date | None = None, *, days_from_today: int = 0) -> _DayResolver:
    """Resolver for one specific calendar day (a fixed date, or today + n days)."""

    def resolve(t: time, local_now: datetime, _threshold: datetime) -> datetime:
        day = fixed or local_now.date() + timedelta(days=days_from_today)
        return _localize(datetime.combine(day, t), local_now.tzinfo or UTC)

    return resolve


def _next_weekday(wanted: int, *, strictly_after_today: bool) -> _DayResolver:
    """Resolver for the next such weekday whose moment is still ahead."""

    def resolve(t: time, local_now: datetime, threshold: datetime) -> datetime:
        start = 1 if strictly_after_today else 0
        candidate = local_now
        for delta in range(start, start + 8):
            day = local_now.date() + timedelta(days=delta)
            if day.weekday() == wanted:
                candidate = _localize(datetime.combine(day, t), local_now.tzinfo or UTC)
                if candidate > threshold:
                    break
        return candidate

    return resolve


def _next_day_of_year(month: int, day: int, wd: str | None, text: str) -> _DayResolver:
    """Resolver for "1 dec": this year if still ahead, else the next year that has the day."""

    def resolve(t: time, local_now: datetime, threshold: datetime) -> datetime:
        for year in range(local_now.year, local_now.year + 9):
            try:
                d = date(year, month, day)
            except ValueError:
                continue  # 29 Feb outside a leap year
            candidate = _localize(datetime.combine(d, t), local_now.tzinfo or UTC)
            if candidate > threshold:
                _check_weekday(d, wd, text)
                return candidate
        raise _BadDate(text)

    return resolve


def _parse_day(text: str) -> _DayResolver | None:
    """Parse the date half of a phrase ("tomorrow", "next tue", "1 dec 2026", "2026-12-01")."""
    text = re.sub(r"^on\s+", "", text)
    if text == "today":
        return _on_date(days_from_today=0)
    if text in ("tomorrow", "tmrw", "tmr"):
        return _on_date(days_from_today=1)
    match = _RE_WEEKDAY.fullmatch(text)
    if match:
        return _next_weekday(
            _weekday_index(match["wd"]), strictly_after_today=match["mod"] == "next"
        )
    match = _RE_YMD.fullmatch(text)
    if match:
        return _on_date(_make_date(int(match["y"]), int(match["m"]), int(match["d"]), text))
    match = _RE_DMY.fullmatch(text) or _RE_MDY.fullmatch(text)
    if match:
        month, day = _month_index(match["mon"]), int(match["d"])
        if match["y"]:
            fixed = _make_date(int(match["y"]), month, day, text)
            _check_weekday(fixed, match["wd"], text)
            return _on_date(fixed)
        _make_date(2000, month, day, text)  # a leap year: rejects only days that never exist
        return _next_day_of_year(month, day, match["wd"], text)
    return None


def _parse_phrase(words: list[str], local_now: datetime, threshold: datetime) -> datetime | None:
    """Try every split of the words into <day> <time> or <time> <day>; first reading wins."""
    phrase = " ".join(words)
    day = _parse_day(phrase)
    if day is not None:
        return day(_DEFAULT_TIME, local_now, threshold)
    at = _parse_time(phrase, allow_bare_hour=False)
    if at is not None:
        # A bare time means today if it is still ahead, otherwise tomorrow.
        for delta in (0, 1):
            day_date = local_now.date() + timedelta(days=delta)
            candidate = _localize(datetime.combine(day_date, at), local_now.tzinfo or UTC)
            if candidate > threshold:
                return candidate
        return candidate
    for i in range(1, len(words)):
        left, right = " ".join(words[:i]), " ".join(words[i:])
        for day_text, time_text in ((left, right), (right, left)):
            at = _parse_time(time_text, allow_bare_hour=True)
            if at is None:
                continue
            day = _parse_day(day_text)
            if day is not None:
                return day(at, local_now, threshold)
    return None


def _parse_relative(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    """ "in 2h", "in 1h30m", "in 3 days". Hours/minutes are elapsed time; days and weeks keep
    the wall-clock time (so "in 1d" at 10:00 is 10:00 tomorrow even across a DST change)."""
    match = _RE_RELATIVE.fullmatch(text)
    if not match:
        return None
    duration = re.sub(r"^an?\s+", "1 ", match.group("dur"))
    parts = list(_RE_DURATION_PART.finditer(duration))
    leftover = _RE_DURATION_PART.sub(" ", duration)
    if not parts or re.fullmatch(r"[\s,]*(?:(?:and|,)[\s,]*)*", leftover) is None:
        return None
    days = 0.0
    elapsed = timedelta(0)
    for part in parts:
        n, unit = float(part["n"]), part["unit"]
        if unit.startswith("w"):
            days += 7 * n
        elif unit.startswith("d"):
            days += n
        elif unit.startswith("h"):
            elapsed += timedelta(hours=n)
        elif unit.startswith("m"):
            elapsed += timedelta(minutes=n)
        else:
            elapsed += timedelta(seconds=n)
    whole_days = int(days)
    elapsed += timedelta(days=days - whole_days)
    base = now
    if whole_days:
        wall = now.astimezone(tz).replace(tzinfo=None) + timedelta(days=whole_days)
        base = _localize(wall, tz)
    return (base.astimezone(UTC) + elapsed).astimezone(tz).replace(microsecond=0)


def _parse_iso(text: str, tz: tzinfo) -> datetime | None:
    """ISO 8601 forms: with offset as given, naive in `tz`, a bare date at 09:00."""
    if not re.match(r"\d{4}", text):
        return None
    candidate = text.upper()
    try:
        return _localize(datetime.combine(date.fromisoformat(candidate), _DEFAULT_TIME), tz)
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if dt.tzinfo is None or dt.utcoffset() is None:
        return _localize(dt, tz)
    return dt


def parse_schedule(text: str, *, now: datetime, tz: tzinfo) -> datetime | None:
    """Read a "send at" time the way an SDR would type it; None means send now.

    Accepts ISO 8601 (with an offset, or naive meaning wall-clock in `tz`; a bare date means
    09:00), relative "in 2h"/"in 1h30m"/"in 3 days", "today 5pm", "tomorrow [9am]", weekdays
    ("fri", "mon 10:00" = next such moment in the future; "next tue 9:15am" = never today),
    day-month dates ("1 dec", "dec 1st 2026 14:30"), bare times ("9am", "14:30": today if still
    ahead, else tomorrow) and format_schedule()'s own output. Wall-clock times follow `tz`'s DST
    rules. The result must be more than 30 s after `now`, and is returned in `tz`.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("parse_schedule needs an aware `now`")
    raw = " ".join((text or "").split())
    lowered = raw.lower()
    if lowered in _NOW_WORDS:
        return None
    threshold = now + MIN_SCHEDULE_LEAD
    try:
        when = (
            _parse_iso(raw, tz)
            or _parse_relative(lowered, now, tz)
            or _parse_words(raw, now, tz, threshold)
        )
    except _BadDate as bad:
        raise ValidationError("schedule", f"{_q(str(bad))} is not a real date") from None
    except OverflowError:
        raise ValidationError("schedule", f"{_q(raw)} is too far in the future") from None
    if when is None:
        raise ValidationError("schedule", f"can't read {_q(raw)}; {_UNPARSEABLE_HINT}")
    when = when.astimezone(tz)
    if when <= now:
        raise ValidationError("schedule", f"{_short(when, tz)} is in the past")
    if when <= threshold:
        raise ValidationError(
            "schedule",
            f"{_short(when, tz)} is less than 30 seconds from now; use 'now' to send immediately",
        )
    return when


def _parse_words(raw: str, now: datetime, tz: tzinfo, threshold: datetime) -> datetime | None:
    """The natural-language forms, with an optional trailing offset and "(Zone/Name)"."""
    work_tz = tz
    zone = _RE_ZONE_SUFFIX.search(raw)
    if zone:
        try:
            work_tz = parse_timezone(zone.group("zone"))
        except ValidationError as err:
            raise ValidationError("schedule", err.message) from None
        raw = raw[: zone.start()]
    words = raw.lower().replace(",", " ").split()
    if not words:
        return None
    offset_tz: tzinfo | None = None
    if len(words) > 1 and _RE_OFFSET_TOKEN.fullmatch(words[-1]):
        offset_tz = _parse_offset(words[-1])
        if offset_tz is None:
            return None
        words = words[:-1]
    else:
        glued = _RE_TIME_WITH_OFFSET.fullmatch(words[-1])
        if glued:
            offset_tz = _parse_offset(glued.group("off"))
            if offset_tz is None:
                return None
            words = [*words[:-1], glued.group("t")]
    if offset_tz is not None:
        work_tz = offset_tz
    return _parse_phrase(words, now.astimezone(work_tz), threshold)


def format_schedule(dt: datetime, tz: tzinfo) -> str:
    """Unambiguous absolute form for confirmations: "Tue 1 Dec 2026 14:30 +01:00 (Europe/Berlin)".

    Weekday, offset and zone are all shown so a misread schedule is obvious before sending.
    parse_schedule() reads this form back.
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("format_schedule needs an aware datetime")
    local = dt.astimezone(tz)
    text = (
        f"{_WEEKDAY_NAMES[local.weekday()]} {local.day} {_MONTH_NAMES[local.month - 1]} "
        f"{local.year} {local:%H:%M} {_format_offset(local)}"
    )
    key = getattr(tz, "key", None)
    return f"{text} ({key})" if key else text


def schedule_to_wire(dt: datetime) -> str:
    """ISO 8601 with offset at seconds precision, as SmartLead's scheduledTime expects."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValidationError("schedule", "has no time zone offset")
    return dt.isoformat(timespec="seconds")


# --------------------------------------------------------------------------------------------
# Message body, attachments, Message-IDs
# --------------------------------------------------------------------------------------------

_RE_MERGE_FIELD = re.compile(
    r"\{\{[^{}]*\}\}"
    r"|(?<![A-Za-z0-9%])%(?P<name>[A-Z][A-Z0-9_]*)%(?![A-Za-z0-9])"
)


def find_unfilled_merge_fields(body: str) -> list[str]:
    """Placeholders left in a reply ("{{first_name}}", "%COMPANY%"), distinct, in order.

    Replies are sent verbatim (no merge step), so a leftover placeholder would reach the lead.
    URL escapes such as "%E2%80%99" are not mistaken for %FIELDS%.
    """
    found: list[str] = []
    for match in _RE_MERGE_FIELD.finditer(body or ""):
        name = match.group("name")
        if name is not None and re.fullmatch(r"[0-9A-F]{2}", name):
            continue
        token = match.group(0)
        if token not in found:
            found.append(token)
    return found


_RE_LOCAL_PATH = re.compile(r"(?:/|~|\./|\.\./|[A-Za-z]:[\\/]|\\\\)")


def _host_is_public(host: str) -> bool:
    host = host.rstrip(".").lower()
    if not host or host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return "." in host
    return ip.is_global


def validate_attachment_url(url: str) -> str:
    """Attachments are URLs SmartLead's servers fetch themselves, so they must be public http(s).

    There is no upload endpoint: a local path gets a message saying to host the file first.
    """
    text = (url or "").strip()
    if not text:
        raise ValidationError("attachment", "is empty")
    public = "must be a public http(s) URL (SmartLead downloads it itself)"
    if _RE_LOCAL_PATH.match(text):
        raise ValidationError(
            "attachment",
            f"{_q(text)} is a local file; upload it somewhere public and paste its http(s) URL",
        )
    if any(ch.isspace() for ch in text):
        raise ValidationError("attachment", f"{_q(text)} contains spaces; {public}")
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError for a bad port
    except ValueError:
        raise ValidationError("attachment", f"{_q(text)} {public}") from None
    if parts.scheme.lower() not in ("http", "https") or not _host_is_public(host):
        raise ValidationError("attachment", f"{_q(text)} {public}")
    return text


_MIME = mimetypes.MimeTypes()  # built-in table only: same answer on every machine


def guess_attachment(url: str) -> dict[str, str]:
    """Build SmartLead's attachment object from a URL: file name from the path, type guessed."""
    checked = validate_attachment_url(url)
    segment = urlsplit(checked).path.rstrip("/").rsplit("/", 1)[-1]
    name = unquote(segment).replace("\\", "/").rsplit("/", 1)[-1].strip()
    file_name = name or "attachment"
    file_type = _MIME.guess_type(file_name, strict=False)[0] if name else None
    return {
        "file_url": checked,
        "file_name": file_name,
        "file_type": file_type or "application/octet-stream",
    }


_RE_MESSAGE_ID = re.compile(r"[^\s<>@]+@[^\s<>@]+")


def normalize_message_id(text: str) -> str:
    """Return "<id@domain>": reply-status wants the RFC 5322 form with angle brackets."""
    raw = (text or "").strip()
    if not raw:
        raise ValidationError("message id", "is required")
    inner = raw[1:-1].strip() if raw.startswith("<") and raw.endswith(">") else raw
    if _RE_MESSAGE_ID.fullmatch(inner) is None:
        raise ValidationError("message id", f"{_q(raw)} is not a Message-ID (expected <id@domain>)")
    return f"<{inner}>"
