"""Tests for smartlead_tui.validation: every message a person may see, every schedule form."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from smartlead_tui.validation import (
    MIN_SCHEDULE_LEAD,
    ValidationError,
    email_list_or_raise,
    find_unfilled_merge_fields,
    format_schedule,
    guess_attachment,
    normalize_message_id,
    parse_campaign_id,
    parse_email_list,
    parse_iso_datetime,
    parse_positive_int,
    parse_schedule,
    parse_timezone,
    require_text,
    schedule_to_wire,
    validate_attachment_url,
    validate_email,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# Monday 23 Nov 2026, 10:00 in Berlin (CET, +01:00).
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
UNREADABLE_HINT = "try 'in 2h', 'tomorrow 9am', 'mon 10:00' or '2026-12-01 14:30'"


def wire(text: str, *, now: datetime = NOW, tz=BERLIN) -> str | None:
    result = parse_schedule(text, now=now, tz=tz)
    return None if result is None else schedule_to_wire(result)


# --------------------------------------------------------------------------------------------
# ValidationError
# --------------------------------------------------------------------------------------------


def test_validation_error_parts_and_text():
    err = ValidationError("cc", "'bob@' is not an email address")
    assert isinstance(err, ValueError)
    assert err.field == "cc"
    assert err.message == "'bob@' is not an email address"
    assert str(err) == "cc: 'bob@' is not an email address"


def test_validation_error_pickles():
    err = pickle.loads(pickle.dumps(ValidationError("body", "is empty")))
    assert (err.field, err.message, str(err)) == ("body", "is empty", "body: is empty")


# --------------------------------------------------------------------------------------------
# Email addresses
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a@b.co", "a@b.co"),
        ("  lead@example.com \n", "lead@example.com"),
        ("first.last@sub.example.co.uk", "first.last@sub.example.co.uk"),
        ("sdr+campaign-7@gmail.com", "sdr+campaign-7@gmail.com"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("Mixed.Case@Example.COM", "Mixed.Case@Example.COM"),
        ("x_y-z@my-domain.io", "x_y-z@my-domain.io"),
        ("123@456.com", "123@456.com"),
        ("josé@example.com", "josé@example.com"),
        ("user@münchen.de", "user@münchen.de"),
        ("用户@例子.广告", "用户@例子.广告"),
        ("user@xn--mnchen-3ya.de", "user@xn--mnchen-3ya.de"),
        ("ivan@пример.рф", "ivan@пример.рф"),
        ("x@example.xn--p1ai", "x@example.xn--p1ai"),
        ("a" * 64 + "@example.com", "a" * 64 + "@example.com"),
    ],
)
def test_validate_email_accepts(text, expected):
    assert validate_email(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "bob@",
        "@example.com",
        "bob",
        "bob@example",
        "bob@example.c",
        "bob@example.123",
        "bob@@example.com",
        "bob@ex@ample.com",
        "bo b@example.com",
        "bob@exa mple.com",
        "bob@example..com",
        "bob@.example.com",
        "bob@example.com.",
        "bob@-example.com",
        "bob@example-.com",
        "bob@exa_mple.com",
        ".bob@example.com",
        "bob.@example.com",
        "bo..b@example.com",
        'b"ob@example.com',
        "bob(comment)@example.com",
        "bob@[127.0.0.1]",
        "mailto:bob@example.com",
        "bob@example.com,ann@example.com",
        "bob\u200b@example.com",
        "bob@exam\u00a0ple.com",
        "bob@" + "a" * 64 + ".com",
    ],
)
def test_validate_email_rejects(text):
    with pytest.raises(ValidationError) as info:
        validate_email(text, field="cc")
    assert info.value.field == "cc"
    assert str(info.value).startswith("cc: '")
    assert str(info.value).endswith("is not an email address")


def test_validate_email_message_format():
    with pytest.raises(ValidationError) as info:
        validate_email("bob@", field="cc")
    assert str(info.value) == "cc: 'bob@' is not an email address"


def test_validate_email_default_field_and_empty():
    with pytest.raises(ValidationError) as info:
        validate_email("   ")
    assert str(info.value) == "email: is empty"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Bob <bob@example.com>",
            "to: 'Bob <bob@example.com>' is not a plain email address; write just bob@example.com",
        ),
        (
            "<bob@example.com>",
            "to: '<bob@example.com>' is not a plain email address; write just bob@example.com",
        ),
        ("Bob <bob@>", "to: 'Bob <bob@>' is not a plain email address"),
    ],
)
def test_validate_email_display_name_forms_are_refused_with_a_hint(text, message):
    with pytest.raises(ValidationError) as info:
        validate_email(text, field="to")
    assert str(info.value) == message


def test_validate_email_length_limits():
    local_65 = "a" * 65 + "@example.com"
    with pytest.raises(ValidationError, match="part before @ is longer than 64 characters"):
        validate_email(local_65)
    domain = ".".join(["b" * 60] * 4) + ".com"  # 247 characters, each label <= 63
    at_limit = "abcdef@" + domain
    assert len(at_limit) == 254
    assert validate_email(at_limit) == at_limit
    over = "abcdefg@" + domain
    with pytest.raises(ValidationError, match=r"too long for an email address \(max 254"):
        validate_email(over)


def test_long_input_is_shortened_in_messages():
    with pytest.raises(ValidationError) as info:
        validate_email("x" * 300)
    assert "…" in str(info.value)
    assert len(str(info.value)) < 140


def test_invisible_characters_are_shown_escaped():
    with pytest.raises(ValidationError) as info:
        validate_email("bob\u200b@example.com")
    assert "\\u200b" in str(info.value)


# --------------------------------------------------------------------------------------------
# Email lists
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "exclude", "valid", "problems"),
    [
        ("", (), [], []),
        ("  ,  ;  ", (), [], []),
        ("a@b.co", (), ["a@b.co"], []),
        ("a@b.co, c@d.co", (), ["a@b.co", "c@d.co"], []),
        ("a@b.co;c@d.co ; e@f.co", (), ["a@b.co", "c@d.co", "e@f.co"], []),
        ("a@b.co\nc@d.co", (), ["a@b.co", "c@d.co"], []),
        ("a@b.co,, ,c@d.co,", (), ["a@b.co", "c@d.co"], []),
        ("bob@, a@b.co", (), ["a@b.co"], ["cc: 'bob@' is not an email address"]),
        ("a@b.co, c@d.co, a@b.co", (), ["a@b.co", "c@d.co"], ["cc: 'a@b.co' is listed twice"]),
        ("a@b.co, A@B.CO, a@b.co", (), ["a@b.co"], ["cc: 'A@B.CO' is listed twice"]),
        (
            "lead@x.com, a@b.co",
            ("Lead@X.com",),
            ["a@b.co"],
            ["cc: 'lead@x.com' is already the To address"],
        ),
        ("a@b.co", ("", "  "), ["a@b.co"], []),
        (
            "a@b.co c@d.co",
            (),
            [],
            ["cc: 'a@b.co c@d.co' is not an email address (separate addresses with commas)"],
        ),
        (
            "bob@, x@y.co, Bob <b@c.co>, x@y.co, lead@x.com",
            ["lead@x.com"],
            ["x@y.co"],
            [
                "cc: 'bob@' is not an email address",
                "cc: 'Bob <b@c.co>' is not a plain email address; write just b@c.co",
                "cc: 'x@y.co' is listed twice",
                "cc: 'lead@x.com' is already the To address",
            ],
        ),
    ],
)
def test_parse_email_list(text, exclude, valid, problems):
    assert parse_email_list(text, field="cc", exclude=exclude) == (valid, problems)


def test_parse_email_list_accepts_any_iterable_exclude():
    excluded = (addr for addr in ["to@x.com"])
    assert parse_email_list("to@x.com", field="bcc", exclude=excluded) == (
        [],
        ["bcc: 'to@x.com' is already the To address"],
    )


def test_parse_email_list_custom_exclude_label():
    _, problems = parse_email_list(
        "a@b.co", field="bcc", exclude=["a@b.co"], exclude_label="in To or Cc"
    )
    assert problems == ["bcc: 'a@b.co' is already in To or Cc"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("   ", None),
        (" ; , ", None),
        ("a@b.co", "a@b.co"),
        ("a@b.co, c@d.co", "a@b.co,c@d.co"),
        (" a@b.co ;c@d.co\n", "a@b.co,c@d.co"),
    ],
)
def test_email_list_or_raise_normalises(text, expected):
    assert email_list_or_raise(text, field="cc") == expected


def test_email_list_or_raise_lists_every_problem():
    with pytest.raises(ValidationError) as info:
        email_list_or_raise("bob@, a@b.co, a@b.co, to@x.com", field="bcc", exclude=["to@x.com"])
    err = info.value
    assert err.field == "bcc"
    assert str(err) == (
        "bcc: 'bob@' is not an email address; 'a@b.co' is listed twice; "
        "'to@x.com' is already the To address"
    )


def test_email_list_or_raise_single_problem():
    with pytest.raises(ValidationError) as info:
        email_list_or_raise("bob@", field="cc")
    assert str(info.value) == "cc: 'bob@' is not an email address"


# --------------------------------------------------------------------------------------------
# Numbers and required text
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("123", 123), (" 42 ", 42), ("007", 7), ("+5", 5), (9, 9), (2**53 - 1, 2**53 - 1)],
)
def test_parse_campaign_id_accepts(text, expected):
    assert parse_campaign_id(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "campaign id: 'abc' is not a number"),
        ("12a", "campaign id: '12a' is not a number"),
        ("1 234", "campaign id: '1 234' is not a number"),
        ("1,234", "campaign id: '1,234' is not a number"),
        ("1_000", "campaign id: '1_000' is not a number"),
        ("٣", "campaign id: '٣' is not a number"),
        ("1.5", "campaign id: '1.5' is not a whole number"),
        ("0", "campaign id: '0' must be a positive number"),
        ("-5", "campaign id: '-5' must be a positive number"),
        (0, "campaign id: '0' must be a positive number"),
        (-1, "campaign id: '-1' must be a positive number"),
        (True, "campaign id: 'True' is not a number"),
        ("", "campaign id: is required"),
        ("   ", "campaign id: is required"),
        (None, "campaign id: is required"),
        (str(2**53), f"campaign id: '{2**53}' is too large"),
    ],
)
def test_parse_campaign_id_rejects(text, message):
    with pytest.raises(ValidationError) as info:
        parse_campaign_id(text)
    assert str(info.value) == message
    assert info.value.field == "campaign id"


def test_parse_positive_int_uses_field():
    assert parse_positive_int("17", field="thread id") == 17
    with pytest.raises(ValidationError, match=r"^thread id: 'x' is not a number$"):
        parse_positive_int("x", field="thread id")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("hello", "hello"), ("  hi there \n", "hi there"), ("<p>x</p>", "<p>x</p>")],
)
def test_require_text_returns_stripped(text, expected):
    assert require_text(text, field="body") == expected


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("", "body", "body: is empty"),
        (" \n\t ", "body", "body: is empty"),
        (None, "email stats id", "email stats id: is required"),
    ],
)
def test_require_text_rejects(text, field, message):
    with pytest.raises(ValidationError) as info:
        require_text(text, field=field)
    assert str(info.value) == message


# --------------------------------------------------------------------------------------------
# Time zones and ISO timestamps
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("  America/New_York ", "America/New_York"),
        ("europe/berlin", "Europe/Berlin"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("Etc/UTC", "Etc/UTC"),
    ],
)
def test_parse_timezone(name, key):
    zone = parse_timezone(name)
    assert getattr(zone, "key", "UTC") == key


@pytest.mark.parametrize("name", ["Mars/Base", "Europe/Berlinn", "../etc/passwd", "/etc/localtime"])
def test_parse_timezone_rejects(name):
    with pytest.raises(ValidationError) as info:
        parse_timezone(name)
    assert str(info.value) == (
        f"timezone: '{name}' is not a known time zone (e.g. Europe/Berlin, America/New_York, UTC)"
    )


def test_parse_timezone_empty():
    with pytest.raises(ValidationError, match=r"^timezone: is required"):
        parse_timezone("  ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-12T11:29:05.173Z", "2026-03-12T11:29:05.173+00:00"),
        ("2026-03-12T11:29:05Z", "2026-03-12T11:29:05+00:00"),
        ("2026-03-12t11:29:05z", "2026-03-12T11:29:05+00:00"),
        ("2026-03-12T11:29:05", "2026-03-12T11:29:05+00:00"),
        ("2026-03-12 11:29", "2026-03-12T11:29:00+00:00"),
        ("2026-03-12T11:29:05+01:00", "2026-03-12T11:29:05+01:00"),
        ("2026-03-12T11:29:05.123456-05:00", "2026-03-12T11:29:05.123456-05:00"),
        (" 2026-03-12 ", "2026-03-12T00:00:00+00:00"),
    ],
)
def test_parse_iso_datetime(text, expected):
    assert parse_iso_datetime(text, field="reply email time") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "yesterday",
            "reply email time: 'yesterday' is not an ISO 8601 date-time "
            "(e.g. 2026-03-12T11:29:05Z)",
        ),
        (
            "12/03/2026",
            "reply email time: '12/03/2026' is not an ISO 8601 date-time "
            "(e.g. 2026-03-12T11:29:05Z)",
        ),
        ("", "reply email time: is required"),
    ],
)
def test_parse_iso_datetime_rejects(text, message):
    with pytest.raises(ValidationError) as info:
        parse_iso_datetime(text, field="reply email time")
    assert str(info.value) == message


# --------------------------------------------------------------------------------------------
# parse_schedule — now is Mon 2026-11-23 10:00 Europe/Berlin (+01:00)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "now", "NOW", " Send  Now ", "immediately"])
def test_schedule_send_now(text):
    assert parse_schedule(text, now=NOW, tz=BERLIN) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ISO 8601 with an offset: taken as is, returned in the user's zone
        ("2026-12-01T14:30:00+01:00", "2026-12-01T14:30:00+01:00"),
        ("2026-12-01T14:30:00Z", "2026-12-01T15:30:00+01:00"),
        ("2026-12-01t13:30:00z", "2026-12-01T14:30:00+01:00"),
        ("2026-12-01T08:30:00-05:00", "2026-12-01T14:30:00+01:00"),
        ("2026-12-01 14:30 -05:00", "2026-12-01T20:30:00+01:00"),
        ("2026-12-01 14:30+01:00", "2026-12-01T14:30:00+01:00"),
        # ISO / naive: wall clock in tz; a bare date means 09:00
        ("2026-12-01 14:30", "2026-12-01T14:30:00+01:00"),
        ("2026-12-01T14:30", "2026-12-01T14:30:00+01:00"),
        ("2026-12-01 14:30:15", "2026-12-01T14:30:15+01:00"),
        ("2026-12-01", "2026-12-01T09:00:00+01:00"),
        ("2026/12/01 2pm", "2026-12-01T14:00:00+01:00"),
        ("2026-12-1 9:05", "2026-12-01T09:05:00+01:00"),
        ("2027-07-01 14:30", "2027-07-01T14:30:00+02:00"),  # summer time
        # relative
        ("in 2h", "2026-11-23T12:00:00+01:00"),
        ("in 90m", "2026-11-23T11:30:00+01:00"),
        ("in 90 min", "2026-11-23T11:30:00+01:00"),
        ("in 90 minutes", "2026-11-23T11:30:00+01:00"),
        ("in 1h30m", "2026-11-23T11:30:00+01:00"),
        ("in 1h 30m", "2026-11-23T11:30:00+01:00"),
        ("in 1 hour and 30 minutes", "2026-11-23T11:30:00+01:00"),
        ("in 1.5h", "2026-11-23T11:30:00+01:00"),
        ("in 2 hours", "2026-11-23T12:00:00+01:00"),
        ("in 2hrs", "2026-11-23T12:00:00+01:00"),
        ("in an hour", "2026-11-23T11:00:00+01:00"),
        ("in 45s", "2026-11-23T10:00:45+01:00"),
        ("in 3 days", "2026-11-26T10:00:00+01:00"),
        ("in 1d", "2026-11-24T10:00:00+01:00"),
        ("in a day", "2026-11-24T10:00:00+01:00"),
        ("in 1d2h", "2026-11-24T12:00:00+01:00"),
        ("in 2 weeks", "2026-12-07T10:00:00+01:00"),
        ("2h", "2026-11-23T12:00:00+01:00"),
        ("2 hours from now", "2026-11-23T12:00:00+01:00"),
        ("IN  2H", "2026-11-23T12:00:00+01:00"),
        # today / tomorrow
        ("today 5pm", "2026-11-23T17:00:00+01:00"),
        ("today at 17:00", "2026-11-23T17:00:00+01:00"),
        ("tomorrow 9am", "2026-11-24T09:00:00+01:00"),
        ("tomorrow 09:30", "2026-11-24T09:30:00+01:00"),
        ("tomorrow", "2026-11-24T09:00:00+01:00"),
        ("tomorrow at 9", "2026-11-24T09:00:00+01:00"),
        ("tomorrow 17", "2026-11-24T17:00:00+01:00"),
        ("tomorrow noon", "2026-11-24T12:00:00+01:00"),
        ("tmrw 8:45 a.m.", "2026-11-24T08:45:00+01:00"),
        ("9am tomorrow", "2026-11-24T09:00:00+01:00"),
        ("  TOMORROW    9 AM  ", "2026-11-24T09:00:00+01:00"),
        ("tomorrow 12am", "2026-11-24T00:00:00+01:00"),
        ("tomorrow 12pm", "2026-11-24T12:00:00+01:00"),
        ("tomorrow 9.30", "2026-11-24T09:30:00+01:00"),
        # weekdays (today is Monday): the next such moment in the future
        ("mon 10:00", "2026-11-30T10:00:00+01:00"),  # now is exactly Mon 10:00 -> next week
        ("mon 11:00", "2026-11-23T11:00:00+01:00"),  # still ahead today
        ("monday 10am", "2026-11-30T10:00:00+01:00"),
        ("mon", "2026-11-30T09:00:00+01:00"),  # 09:00 today has passed
        ("next mon 11:00", "2026-11-30T11:00:00+01:00"),  # "next" never means today
        ("next tue 9:15am", "2026-11-24T09:15:00+01:00"),
        ("tue", "2026-11-24T09:00:00+01:00"),
        ("tues 14:00", "2026-11-24T14:00:00+01:00"),
        ("wednesday 8am", "2026-11-25T08:00:00+01:00"),
        ("weds", "2026-11-25T09:00:00+01:00"),
        ("thu 16:00", "2026-11-26T16:00:00+01:00"),
        ("thurs", "2026-11-26T09:00:00+01:00"),
        ("fri", "2026-11-27T09:00:00+01:00"),
        ("Friday 5:15pm", "2026-11-27T17:15:00+01:00"),
        ("on fri at 3pm", "2026-11-27T15:00:00+01:00"),
        ("3pm fri", "2026-11-27T15:00:00+01:00"),
        ("sat 10:00", "2026-11-28T10:00:00+01:00"),
        ("this sun", "2026-11-29T09:00:00+01:00"),
        # bare times: today if still ahead, otherwise tomorrow
        ("9am", "2026-11-24T09:00:00+01:00"),
        ("10:00", "2026-11-24T10:00:00+01:00"),  # exactly now -> tomorrow
        ("10:01", "2026-11-23T10:01:00+01:00"),
        ("14:30", "2026-11-23T14:30:00+01:00"),
        ("5:15pm", "2026-11-23T17:15:00+01:00"),
        ("5:15 PM", "2026-11-23T17:15:00+01:00"),
        ("at noon", "2026-11-23T12:00:00+01:00"),
        ("9:15 a.m.", "2026-11-24T09:15:00+01:00"),
        ("00:30", "2026-11-24T00:30:00+01:00"),
        # day + month names
        ("1 dec", "2026-12-01T09:00:00+01:00"),
        ("dec 1", "2026-12-01T09:00:00+01:00"),
        ("1st december 14:30", "2026-12-01T14:30:00+01:00"),
        ("dec 1st 2026 14:30", "2026-12-01T14:30:00+01:00"),
        ("1 Dec 2026, 2:30pm", "2026-12-01T14:30:00+01:00"),
        ("20 nov", "2027-11-20T09:00:00+01:00"),  # already past this year -> next year
        ("23 nov 11:00", "2026-11-23T11:00:00+01:00"),
        ("29 feb", "2028-02-29T09:00:00+01:00"),  # next year that has the day
        ("tue 1 dec 2026", "2026-12-01T09:00:00+01:00"),
        # format_schedule() output reads back
        ("Tue 1 Dec 2026 14:30 +01:00 (Europe/Berlin)", "2026-12-01T14:30:00+01:00"),
        ("Tue 1 Dec 2026 08:30 -05:00 (America/New_York)", "2026-12-01T14:30:00+01:00"),
        ("1 dec 2026 14:30 (America/New_York)", "2026-12-01T20:30:00+01:00"),
        # explicit offsets on natural forms
        ("tomorrow 9am utc", "2026-11-24T10:00:00+01:00"),
        ("tomorrow 9am Z", "2026-11-24T10:00:00+01:00"),
        ("tomorrow 14:30-05:00", "2026-11-24T20:30:00+01:00"),
        ("tomorrow 9am +0530", "2026-11-24T04:30:00+01:00"),
    ],
)
def test_schedule_forms(text, expected):
    assert wire(text) == expected


def test_schedule_result_is_aware_and_in_tz():
    result = parse_schedule("2026-12-01T13:30:00Z", now=NOW, tz=BERLIN)
    assert result is not None
    assert result.tzinfo is BERLIN
    assert result == datetime(2026, 12, 1, 13, 30, tzinfo=UTC)


def test_schedule_relative_drops_microseconds():
    now = NOW.replace(second=17, microsecond=123456)
    assert wire("in 2h", now=now) == "2026-11-23T12:00:17+01:00"


def test_schedule_weekday_today_when_time_is_ahead():
    early_monday = datetime(2026, 11, 23, 8, 0, tzinfo=BERLIN)
    assert wire("mon", now=early_monday) == "2026-11-23T09:00:00+01:00"
    assert wire("next mon", now=early_monday) == "2026-11-30T09:00:00+01:00"
    assert wire("9am", now=early_monday) == "2026-11-23T09:00:00+01:00"


def test_schedule_now_in_another_zone_is_converted():
    # 23:30 UTC on Sunday is already Monday 00:30 in Berlin: "tomorrow" means Tuesday.
    now = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert wire("tomorrow", now=now) == "2026-11-24T09:00:00+01:00"
    assert wire("today 9am", now=now) == "2026-11-23T09:00:00+01:00"


def test_schedule_other_time_zone():
    now = datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK)
    assert wire("tomorrow 9am", now=now, tz=NEW_YORK) == "2026-11-24T09:00:00-05:00"
    assert wire("2026-12-01", now=now, tz=NEW_YORK) == "2026-12-01T09:00:00-05:00"


def test_schedule_fixed_offset_tz():
    tz = timezone(timedelta(hours=3))
    now = datetime(2026, 11, 23, 10, 0, tzinfo=tz)
    assert wire("tomorrow 9am", now=now, tz=tz) == "2026-11-24T09:00:00+03:00"


# DST: Europe/Berlin springs forward 2026-03-29 02:00 -> 03:00 and falls back 2026-10-25 03:00
# -> 02:00.
SAT_BEFORE_SPRING = datetime(2026, 3, 28, 10, 0, tzinfo=BERLIN)
SAT_BEFORE_FALL = datetime(2026, 10, 24, 10, 0, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("now", "text", "expected", "elapsed"),
    [
        # wall-clock forms keep the wall-clock time and pick up the new offset
        (SAT_BEFORE_SPRING, "tomorrow 9am", "2026-03-29T09:00:00+02:00", timedelta(hours=22)),
        (SAT_BEFORE_SPRING, "sun 9am", "2026-03-29T09:00:00+02:00", timedelta(hours=22)),
        (SAT_BEFORE_SPRING, "in 1d", "2026-03-29T10:00:00+02:00", timedelta(hours=23)),
        # elapsed forms are real durations
        (SAT_BEFORE_SPRING, "in 24h", "2026-03-29T11:00:00+02:00", timedelta(hours=24)),
        (SAT_BEFORE_SPRING, "in 1d2h", "2026-03-29T12:00:00+02:00", timedelta(hours=25)),
        # a time inside the gap is pushed forward by the gap
        (SAT_BEFORE_SPRING, "tomorrow 2:30am", "2026-03-29T03:30:00+02:00", timedelta(hours=16.5)),
        (SAT_BEFORE_SPRING, "2026-03-29 02:30", "2026-03-29T03:30:00+02:00", timedelta(hours=16.5)),
        # fall back: 25-hour day, ambiguous 02:30 takes the first occurrence
        (SAT_BEFORE_FALL, "tomorrow 9am", "2026-10-25T09:00:00+01:00", timedelta(hours=24)),
        (SAT_BEFORE_FALL, "in 1d", "2026-10-25T10:00:00+01:00", timedelta(hours=25)),
        (SAT_BEFORE_FALL, "in 24h", "2026-10-25T09:00:00+01:00", timedelta(hours=24)),
        (SAT_BEFORE_FALL, "tomorrow 2:30am", "2026-10-25T02:30:00+02:00", timedelta(hours=16.5)),
    ],
)
def test_schedule_dst(now, text, expected, elapsed):
    result = parse_schedule(text, now=now, tz=BERLIN)
    assert result is not None
    assert schedule_to_wire(result) == expected
    assert result.astimezone(UTC) - now.astimezone(UTC) == elapsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-11-20 09:00", "schedule: 2026-11-20 09:00 +01:00 is in the past"),
        ("2026-11-20T08:00:00Z", "schedule: 2026-11-20 09:00 +01:00 is in the past"),
        ("2025-12-01", "schedule: 2025-12-01 09:00 +01:00 is in the past"),
        ("today 9am", "schedule: 2026-11-23 09:00 +01:00 is in the past"),
        ("today", "schedule: 2026-11-23 09:00 +01:00 is in the past"),
        ("1 nov 2026", "schedule: 2026-11-01 09:00 +01:00 is in the past"),
        ("in 0m", "schedule: 2026-11-23 10:00 +01:00 is in the past"),
        ("2026-11-23 10:00", "schedule: 2026-11-23 10:00 +01:00 is in the past"),
        (
            "in 30s",
            "schedule: 2026-11-23 10:00 +01:00 is less than 30 seconds from now; "
            "use 'now' to send immediately",
        ),
        (
            "in 20 seconds",
            "schedule: 2026-11-23 10:00 +01:00 is less than 30 seconds from now; "
            "use 'now' to send immediately",
        ),
    ],
)
def test_schedule_past_and_too_soon(text, message):
    with pytest.raises(ValidationError) as info:
        parse_schedule(text, now=NOW, tz=BERLIN)
    assert str(info.value) == message
    assert info.value.field == "schedule"


def test_schedule_margin_boundary():
    assert MIN_SCHEDULE_LEAD.total_seconds() == 30
    assert wire("in 31s") == "2026-11-23T10:00:31+01:00"


@pytest.mark.parametrize(
    "text",
    [
        "next blursday",
        "tonight",
        "soon",
        "later",
        "in 2",
        "in two hours",
        "in 2 parsecs",
        "2h garbage",
        "9",
        "25:00",
        "13pm",
        "0am",
        "9:60",
        "tomorrow 25:00",
        "tomorrow tomorrow",
        "mon tue",
        "12/01/2026",
        "2026-12",
        "yesterday",
        "-1h",
        "tomorrow 9am +25:00",
        "blursday 9am",
    ],
)
def test_schedule_unreadable(text):
    with pytest.raises(ValidationError) as info:
        parse_schedule(text, now=NOW, tz=BERLIN)
    assert str(info.value) == f"schedule: can't read '{text}'; {UNREADABLE_HINT}"


def test_schedule_unreadable_message_example():
    with pytest.raises(ValidationError) as info:
        parse_schedule("  next   blursday ", now=NOW, tz=BERLIN)
    assert str(info.value) == (
        "schedule: can't read 'next blursday'; try 'in 2h', 'tomorrow 9am', 'mon 10:00' or "
        "'2026-12-01 14:30'"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-02-30", "schedule: '2026-02-30' is not a real date"),
        ("2026-02-30 14:30", "schedule: '2026-02-30' is not a real date"),
        ("2026-13-01 9am", "schedule: '2026-13-01' is not a real date"),
        ("31 feb", "schedule: '31 feb' is not a real date"),
        ("feb 30 2027 10:00", "schedule: 'feb 30 2027' is not a real date"),
        ("29 feb 2027", "schedule: '29 feb 2027' is not a real date"),
        (
            "mon 1 dec 2026",
            "schedule: 'mon 1 dec 2026': 1 Dec 2026 is a Tuesday, not a Monday",
        ),
        ("in 99999999999 days", "schedule: 'in 99999999999 days' is too far in the future"),
        (
            "tomorrow 9am (Mars/Base)",
            "schedule: 'Mars/Base' is not a known time zone "
            "(e.g. Europe/Berlin, America/New_York, UTC)",
        ),
    ],
)
def test_schedule_specific_errors(text, message):
    with pytest.raises(ValidationError) as info:
        parse_schedule(text, now=NOW, tz=BERLIN)
    assert str(info.value) == message


def test_schedule_needs_aware_now():
    with pytest.raises(ValueError, match="aware"):
        parse_schedule("in 2h", now=datetime(2026, 11, 23, 10, 0), tz=BERLIN)


# --------------------------------------------------------------------------------------------
# format_schedule / schedule_to_wire
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dt", "tz", "expected"),
    [
        (
            datetime(2026, 12, 1, 14, 30, tzinfo=BERLIN),
            BERLIN,
            "Tue 1 Dec 2026 14:30 +01:00 (Europe/Berlin)",
        ),
        (
            datetime(2026, 12, 1, 13, 30, tzinfo=UTC),
            BERLIN,
            "Tue 1 Dec 2026 14:30 +01:00 (Europe/Berlin)",
        ),
        (
            datetime(2026, 7, 4, 9, 5, tzinfo=BERLIN),
            NEW_YORK,
            "Sat 4 Jul 2026 03:05 -04:00 (America/New_York)",
        ),
        (
            datetime(2026, 12, 1, 14, 30, tzinfo=UTC),
            ZoneInfo("Asia/Kolkata"),
            "Tue 1 Dec 2026 20:00 +05:30 (Asia/Kolkata)",
        ),
        (datetime(2026, 12, 1, 14, 30, tzinfo=UTC), UTC, "Tue 1 Dec 2026 14:30 +00:00"),
        (
            datetime(2026, 12, 1, 14, 30, tzinfo=UTC),
            ZoneInfo("UTC"),
            "Tue 1 Dec 2026 14:30 +00:00 (UTC)",
        ),
    ],
)
def test_format_schedule(dt, tz, expected):
    assert format_schedule(dt, tz) == expected


@pytest.mark.parametrize(
    "dt",
    [
        datetime(2026, 12, 1, 14, 30, tzinfo=BERLIN),
        datetime(2027, 7, 4, 9, 5, tzinfo=BERLIN),
        datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN),
        datetime(2027, 1, 31, 23, 59, tzinfo=BERLIN),
    ],
)
def test_format_schedule_round_trips_through_parse(dt):
    assert parse_schedule(format_schedule(dt, BERLIN), now=SAT_BEFORE_SPRING, tz=BERLIN) == dt


def test_format_schedule_rejects_naive():
    with pytest.raises(ValueError):
        format_schedule(datetime(2026, 12, 1, 14, 30), BERLIN)


@pytest.mark.parametrize(
    ("dt", "expected"),
    [
        (datetime(2026, 12, 1, 14, 30, tzinfo=BERLIN), "2026-12-01T14:30:00+01:00"),
        (datetime(2026, 7, 1, 14, 30, 5, 999999, tzinfo=BERLIN), "2026-07-01T14:30:05+02:00"),
        (datetime(2026, 12, 1, 14, 30, tzinfo=UTC), "2026-12-01T14:30:00+00:00"),
        (datetime(2026, 12, 1, 9, 0, tzinfo=NEW_YORK), "2026-12-01T09:00:00-05:00"),
    ],
)
def test_schedule_to_wire(dt, expected):
    assert schedule_to_wire(dt) == expected


def test_schedule_to_wire_rejects_naive():
    with pytest.raises(ValidationError, match=r"^schedule: has no time zone offset$"):
        schedule_to_wire(datetime(2026, 12, 1, 14, 30))


# --------------------------------------------------------------------------------------------
# Merge fields
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", []),
        ("Hi Anna, thanks for getting back to me.", []),
        ("Hi {{first_name}},", ["{{first_name}}"]),
        ("Hi {{ first_name }} at {{company}}", ["{{ first_name }}", "{{company}}"]),
        ("{{first_name}} {{first_name}} {{company}}", ["{{first_name}}", "{{company}}"]),
        ("Hi %FIRST_NAME%, re %COMPANY_NAME_2%", ["%FIRST_NAME%", "%COMPANY_NAME_2%"]),
        ("Hi {{first_name}} from %COMPANY%", ["{{first_name}}", "%COMPANY%"]),
        ("{{}} left over", ["{{}}"]),
        ("{{first_name|there}}", ["{{first_name|there}}"]),
        # not merge fields
        ("Hi {first_name}", []),
        ("Hi [First Name]", []),
        ("{Hi|Hello} there", []),
        ("We are 100% sure and 50% done", []),
        ("%first_name%", []),
        ('<a href="https://x.com/it%E2%80%99s%20fine">x</a>', []),
        ("%20%", []),
        ("a%BC%d", []),
        ("<p>Hi {{first_name}}</p><p>%SENDER%</p>", ["{{first_name}}", "%SENDER%"]),
    ],
)
def test_find_unfilled_merge_fields(body, expected):
    assert find_unfilled_merge_fields(body) == expected


# --------------------------------------------------------------------------------------------
# Attachments
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/deck.pdf",
        "http://example.com/deck.pdf",
        "HTTPS://Example.com/a",
        "https://cdn.example.com:8443/files/a.png?sig=abc&x=1#frag",
        "https://8.8.8.8/file.txt",
        "https://bücher.example/preise.pdf",
    ],
)
def test_validate_attachment_url_accepts(url):
    assert validate_attachment_url(f"  {url} ") == url


PUBLIC = "must be a public http(s) URL (SmartLead downloads it itself)"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///x", f"attachment: 'file:///x' {PUBLIC}"),
        ("ftp://example.com/a.pdf", f"attachment: 'ftp://example.com/a.pdf' {PUBLIC}"),
        ("example.com/a.pdf", f"attachment: 'example.com/a.pdf' {PUBLIC}"),
        ("https://", f"attachment: 'https://' {PUBLIC}"),
        ("https:///a.pdf", f"attachment: 'https:///a.pdf' {PUBLIC}"),
        ("http://localhost:8000/a.pdf", f"attachment: 'http://localhost:8000/a.pdf' {PUBLIC}"),
        ("http://127.0.0.1/a.pdf", f"attachment: 'http://127.0.0.1/a.pdf' {PUBLIC}"),
        ("http://192.168.1.5/a.pdf", f"attachment: 'http://192.168.1.5/a.pdf' {PUBLIC}"),
        ("http://[::1]/a.pdf", f"attachment: 'http://[::1]/a.pdf' {PUBLIC}"),
        ("http://fileserver/a.pdf", f"attachment: 'http://fileserver/a.pdf' {PUBLIC}"),
        ("http://nas.local/a.pdf", f"attachment: 'http://nas.local/a.pdf' {PUBLIC}"),
        ("https://example.com:99999/a", f"attachment: 'https://example.com:99999/a' {PUBLIC}"),
        (
            "https://example.com/my deck.pdf",
            f"attachment: 'https://example.com/my deck.pdf' contains spaces; {PUBLIC}",
        ),
        (
            "/home/sdr/deck.pdf",
            "attachment: '/home/sdr/deck.pdf' is a local file; "
            "upload it somewhere public and paste its http(s) URL",
        ),
        (
            "~/deck.pdf",
            "attachment: '~/deck.pdf' is a local file; "
            "upload it somewhere public and paste its http(s) URL",
        ),
        (
            "C:\\Users\\sdr\\deck.pdf",
            "attachment: 'C:\\Users\\sdr\\deck.pdf' is a local file; "
            "upload it somewhere public and paste its http(s) URL",
        ),
        ("", "attachment: is empty"),
    ],
)
def test_validate_attachment_url_rejects(url, message):
    with pytest.raises(ValidationError) as info:
        validate_attachment_url(url)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("url", "name", "mime"),
    [
        ("https://example.com/files/deck.pdf", "deck.pdf", "application/pdf"),
        ("https://example.com/files/Q3%20Deck.pdf?sig=1", "Q3 Deck.pdf", "application/pdf"),
        ("https://example.com/img/logo.PNG", "logo.PNG", "image/png"),
        ("https://example.com/a/b/photo.jpeg#x", "photo.jpeg", "image/jpeg"),
        ("https://example.com/data.csv", "data.csv", "text/csv"),
        ("https://example.com/folder/", "folder", "application/octet-stream"),
        ("https://example.com/", "attachment", "application/octet-stream"),
        ("https://example.com", "attachment", "application/octet-stream"),
        ("https://example.com/download?id=7", "download", "application/octet-stream"),
        ("https://example.com/blob.xyz123", "blob.xyz123", "application/octet-stream"),
        ("https://example.com/a%2Fb.txt", "b.txt", "text/plain"),
        ("https://example.com/r%C3%A9sum%C3%A9.pdf", "résumé.pdf", "application/pdf"),
    ],
)
def test_guess_attachment(url, name, mime):
    assert guess_attachment(url) == {"file_url": url, "file_name": name, "file_type": mime}


def test_guess_attachment_validates():
    with pytest.raises(ValidationError, match=r"^attachment: 'file:///x' must be a public"):
        guess_attachment("file:///x")


# --------------------------------------------------------------------------------------------
# Message-IDs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "<4d9ff292-b7a4-45a1-80aa-e1ac2c925404-133jc7w@dealversego.co>",
            "<4d9ff292-b7a4-45a1-80aa-e1ac2c925404-133jc7w@dealversego.co>",
        ),
        ("4d9ff292-133jc7w@dealversego.co", "<4d9ff292-133jc7w@dealversego.co>"),
        ("  <abc@mail.gmail.com>\n", "<abc@mail.gmail.com>"),
        ("< abc@host >", "<abc@host>"),
        ("CAF=x+y_z.1@mail.example.com", "<CAF=x+y_z.1@mail.example.com>"),
    ],
)
def test_normalize_message_id(text, expected):
    assert normalize_message_id(text) == expected


@pytest.mark.parametrize(
    "text", ["abc", "<abc>", "@host", "abc@", "<a b@c>", "a@b@c", "<a@b", "a@b>", "<<a@b>>"]
)
def test_normalize_message_id_rejects(text):
    with pytest.raises(ValidationError) as info:
        normalize_message_id(text)
    assert str(info.value) == f"message id: '{text}' is not a Message-ID (expected <id@domain>)"


def test_normalize_message_id_empty():
    with pytest.raises(ValidationError, match=r"^message id: is required$"):
        normalize_message_id("  ")
