"""Recurrence conversion, instance ids and series splits."""

import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule as du_rrule
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_google_calendar_sync.sync import mapping as m
from crm_google_calendar_sync.sync import recurrence as r
from crm_google_calendar_sync.sync.mapping import MappingError

# Splitting a series ("this and following"): no production path uses it yet, the
# rules are kept here with their tests.
_SPLIT_RE = re.compile(r"^(?P<parent>.+)_R(?P<stamp>\d{8}T\d{6})$")


def split_parent(event_id):
    """For Google's split series ids ``<parent>_R<YYYYMMDDTHHMMSS>``: (parent, stamp)."""
    match = _SPLIT_RE.match(event_id or "")
    if not match:
        return None
    try:
        stamp = datetime.strptime(match.group("stamp"), "%Y%m%dT%H%M%S")
    except ValueError:
        return None
    return match.group("parent"), stamp


def split_series(rec, *, split_at, start_local, allday, tz):
    """Split a series at the occurrence ``split_at`` (UTC datetime or date).

    Returns ``(head, tail)``: ``head`` ends before ``split_at`` (Google: old series gets
    an UNTIL; with COUNT the count of earlier occurrences), ``tail`` is the rule of the
    new series starting at ``split_at`` (remaining COUNT, same UNTIL or no end). ``head``
    is None when nothing is left before the split.
    """
    before = 0
    previous = None
    for value in r.occurrences(
        rec, start_local=start_local, allday=allday, tz=tz, include_excluded=True
    ):
        if value >= split_at:
            break
        before += 1
        previous = value
    head_exdates = tuple(x for x in rec.exdates if x < split_at)
    tail_exdates = tuple(x for x in rec.exdates if x >= split_at)
    if previous is None:
        head = None
    elif rec.end_type == "count":
        head = replace(rec, count=before, exdates=head_exdates)
    else:
        if allday:
            last_day = previous
        else:
            last_day = r.utc_to_local(previous, tz).date() if tz else previous.date()
        head = replace(rec, end_type="end_date", until=last_day, count=0, exdates=head_exdates)
    if rec.end_type == "count":
        tail = replace(rec, count=max(rec.count - before, 1), exdates=tail_exdates)
    else:
        tail = replace(rec, exdates=tail_exdates)
    return head, tail


def is_split_of(new_event, parent_id):
    """True when Google event ``new_event`` is the "this and following" part of parent."""
    parsed = split_parent((new_event or {}).get("id"))
    return bool(parsed) and parsed[0] == parent_id


BERLIN = "Europe/Berlin"


def series(lines, start="2024-03-04T10:00:00+01:00", end="2024-03-04T11:00:00+01:00", tz=BERLIN):
    return {
        "id": "s1",
        "summary": "S",
        "recurrence": lines,
        "start": {"dateTime": start, "timeZone": tz},
        "end": {"dateTime": end, "timeZone": tz},
    }


def to_odoo(event):
    return m.google_to_odoo(event, user_tz="UTC")


def test_weekly_count():
    rec = to_odoo(series(["RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"])).recurrence
    assert (rec.rrule_type, rec.end_type, rec.count, rec.weekdays()) == (
        "weekly",
        "count",
        10,
        (0, 2),
    )
    assert rec.odoo_values()["mon"] and rec.odoo_values()["wed"]
    assert rec.odoo_values()["event_tz"] == BERLIN
    assert "RRULE:" + rec.rrule_value(allday=True) == "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"


def test_weekly_without_byday_uses_start_weekday():
    rec = to_odoo(series(["RRULE:FREQ=WEEKLY"])).recurrence  # 2024-03-04 is a Monday
    assert rec.weekdays() == (0,) and rec.end_type == "forever"


def test_daily_interval_until_utc():
    # Occurrences at 10:00 Berlin; UNTIL = 2024-03-20 08:59:59Z (09:59:59 local) excludes 20th.
    rec = to_odoo(series(["RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20240320T085959Z"])).recurrence
    assert (rec.rrule_type, rec.interval, rec.end_type, rec.until) == (
        "daily",
        2,
        "end_date",
        date(2024, 3, 19),
    )
    rec = to_odoo(series(["RRULE:FREQ=DAILY;UNTIL=20240320T090000Z"])).recurrence
    assert rec.until == date(2024, 3, 20)
    rec = to_odoo(series(["RRULE:FREQ=DAILY;UNTIL=20240320"])).recurrence
    assert rec.until == date(2024, 3, 20)


def test_until_goes_to_google_as_utc_end_of_day():
    rec = to_odoo(series(["RRULE:FREQ=DAILY;UNTIL=20240320T090000Z"])).recurrence
    lines = r.to_google(rec, start_local=datetime(2024, 3, 4, 10), allday=False, tz=BERLIN)
    assert lines == ["RRULE:FREQ=DAILY;UNTIL=20240320T225959Z"]


def test_monthly_by_date_and_by_day():
    rec = to_odoo(series(["RRULE:FREQ=MONTHLY;BYMONTHDAY=15"])).recurrence
    assert (rec.month_by, rec.day) == ("date", 15)
    rec = to_odoo(series(["RRULE:FREQ=MONTHLY;BYDAY=1MO"])).recurrence
    assert (rec.month_by, rec.weekday, rec.byday) == ("day", "MON", "1")
    rec = to_odoo(series(["RRULE:FREQ=MONTHLY;BYDAY=-1FR"])).recurrence
    assert (rec.weekday, rec.byday) == ("FRI", "-1")
    assert r.to_google(rec, start_local=datetime(2024, 3, 4, 10), allday=False, tz=BERLIN) == [
        "RRULE:FREQ=MONTHLY;BYDAY=-1FR"
    ]
    rec = to_odoo(series(["RRULE:FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2"])).recurrence
    assert (rec.weekday, rec.byday) == ("TUE", "2")
    rec = to_odoo(series(["RRULE:FREQ=MONTHLY"])).recurrence
    assert (rec.month_by, rec.day) == ("date", 4)


def test_yearly():
    rec = to_odoo(series(["RRULE:FREQ=YEARLY;COUNT=5"])).recurrence
    assert (rec.rrule_type, rec.count) == ("yearly", 5)
    rec = to_odoo(series(["RRULE:FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=4"])).recurrence
    assert rec.rrule_type == "yearly"


def test_daily_on_weekdays_becomes_weekly():
    rec = to_odoo(series(["RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"])).recurrence
    assert rec.rrule_type == "weekly" and rec.weekdays() == (0, 1, 2, 3, 4)


def test_exdates_in_all_forms():
    rec = to_odoo(
        series(
            [
                "RRULE:FREQ=DAILY;COUNT=10",
                "EXDATE;TZID=Europe/Berlin:20240305T100000,20240306T100000",
                "EXDATE:20240307T090000Z",
                "EXDATE;VALUE=DATE:20240308",
            ]
        )
    ).recurrence
    assert rec.exdates == (
        datetime(2024, 3, 5, 9),
        datetime(2024, 3, 6, 9),
        datetime(2024, 3, 7, 9),
        datetime(2024, 3, 8, 9),
    )
    lines = r.to_google(rec, start_local=datetime(2024, 3, 4, 10), allday=False, tz=BERLIN)
    assert lines[1] == (
        "EXDATE;TZID=Europe/Berlin:20240305T100000,20240306T100000,20240307T100000,20240308T100000"
    )
    starts = list(r.occurrences(rec, start_local=datetime(2024, 3, 4, 10), allday=False, tz=BERLIN))
    assert len(starts) == 6 and datetime(2024, 3, 5, 9) not in starts


def test_allday_series():
    event = {
        "id": "a",
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=FR;UNTIL=20240329", "EXDATE;VALUE=DATE:20240315"],
        "start": {"date": "2024-03-01"},
        "end": {"date": "2024-03-02"},
    }
    mapped = to_odoo(event)
    rec = mapped.recurrence
    assert (rec.until, rec.exdates, rec.weekdays()) == (
        date(2024, 3, 29),
        (date(2024, 3, 15),),
        (4,),
    )
    body = m.odoo_to_google(m.snapshot_from_values(mapped.values, rec, event_tz=mapped.event_tz))
    assert body["recurrence"] == [
        "RRULE:FREQ=WEEKLY;BYDAY=FR;UNTIL=20240329",
        "EXDATE;VALUE=DATE:20240315",
    ]
    assert list(r.occurrences(rec, start_local=date(2024, 3, 1), allday=True, tz=None)) == [
        date(2024, 3, 1),
        date(2024, 3, 8),
        date(2024, 3, 22),
        date(2024, 3, 29),
    ]


@pytest.mark.parametrize(
    "lines",
    [
        ["RRULE:FREQ=HOURLY"],
        ["RRULE:FREQ=DAILY;BYHOUR=9"],
        ["RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15"],
        ["RRULE:FREQ=MONTHLY;BYMONTHDAY=-1"],
        ["RRULE:FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=1"],
        ["RRULE:FREQ=MONTHLY;BYDAY=5MO"],
        ["RRULE:FREQ=YEARLY;BYDAY=4TH;BYMONTH=11"],
        ["RRULE:FREQ=YEARLY;BYMONTH=5"],
        ["RRULE:FREQ=WEEKLY;BYDAY=1MO"],
        ["RRULE:FREQ=DAILY;INTERVAL=2;BYDAY=MO"],
        ["RRULE:FREQ=DAILY", "RRULE:FREQ=WEEKLY"],
        ["RRULE:FREQ=DAILY", "EXRULE:FREQ=WEEKLY"],
        ["RRULE:FREQ=DAILY", "RDATE;VALUE=DATE:20240301"],
        ["EXDATE:20240301T100000Z"],
    ],
)
def test_unsupported_rules(lines):
    with pytest.raises(MappingError) as info:
        to_odoo(series(lines))
    assert info.value.reason == "unsupported_recurrence"


@pytest.mark.parametrize(
    "lines",
    [
        ["RRULE:FREQ=DAILY;COUNT=0"],
        ["RRULE:FREQ=DAILY;INTERVAL=-1"],
        ["RRULE:FREQ=DAILY;FOO=1"],
        ["RRULE:FREQ=DAILY;COUNT=1;COUNT=2"],
        ["RRULE:FREQ=WEEKLY;BYDAY=XX"],
        ["RRULE:FREQ=DAILY;UNTIL=2024"],
        ["RRULE:FREQ=DAILY", "EXDATE:notadate"],
        ["RRULE:FREQ=DAILY", "FOO:bar"],
        "RRULE:FREQ=DAILY",
        [],
        [42],
    ],
)
def test_invalid_rules(lines):
    with pytest.raises(MappingError) as info:
        r.from_google(lines, start_local=datetime(2024, 3, 4, 10), allday=False, tz=BERLIN)
    assert info.value.reason == "invalid_rrule"


def test_x_parts_are_ignored():
    rec = to_odoo(series(["RRULE:FREQ=WEEKLY;X-EVOLUTION-ENDDATE=20240101;BYDAY=MO"])).recurrence
    assert rec.weekdays() == (0,)


# --- property: Odoo rule -> Google lines -> same rule, same occurrences -----------------


@st.composite
def odoo_rules(draw):
    rrule_type = draw(st.sampled_from(r.RRULE_TYPES))
    values = {
        "rrule_type": rrule_type,
        "interval": draw(st.integers(1, 4)),
        "end_type": draw(st.sampled_from(r.END_TYPES)),
    }
    if values["end_type"] == "count":
        values["count"] = draw(st.integers(1, 30))
    elif values["end_type"] == "end_date":
        values["until"] = date(2024, 3, 1) + timedelta(days=draw(st.integers(0, 800)))
    if rrule_type == "weekly":
        days = draw(st.sets(st.sampled_from(r.WEEKDAY_FIELDS), min_size=1))
        values.update(dict.fromkeys(days, True))
    elif rrule_type == "monthly":
        if draw(st.booleans()):
            values.update(month_by="date", day=draw(st.integers(1, 28)))
        else:
            values.update(
                month_by="day",
                weekday=draw(st.sampled_from(r.ODOO_WEEKDAYS)),
                byday=draw(st.sampled_from(r.ODOO_BYDAY)),
            )
    return values


@settings(max_examples=120, deadline=None)
@given(
    odoo_rules(),
    st.sampled_from(["Europe/Berlin", "America/New_York", "UTC"]),
    st.integers(0, 23),
    st.booleans(),
)
def test_rule_roundtrip_and_same_occurrences(values, tz, hour, allday):
    start_local = date(2024, 3, 1) if allday else datetime(2024, 3, 1, hour, 30)
    rec = r.from_odoo_fields({**values, "event_tz": tz}, start_local=start_local)
    lines = r.to_google(rec, start_local=start_local, allday=allday, tz=tz)
    back = r.from_google(lines, start_local=start_local, allday=allday, tz=tz)
    assert back.canonical() == rec.canonical()
    # Independent check: dateutil expanding Google's RRULE (UNTIL in UTC, DTSTART zoned)
    # gives the same occurrences as our Odoo-side expansion.
    ours = list(r.occurrences(rec, start_local=start_local, allday=allday, tz=tz, limit=60))
    if allday:
        dtstart = datetime.combine(start_local, datetime.min.time())
    else:
        dtstart = start_local.replace(tzinfo=ZoneInfo(tz))
    theirs = du_rrule.rrulestr(lines[0], dtstart=dtstart)
    expected = []
    for occ in theirs:
        if len(expected) >= 60:
            break
        if allday:
            expected.append(occ.date())
        else:
            expected.append(m.parse_datetime(occ.isoformat()))
    # dateutil rules without week start follow Monday like Google's default.
    assert ours == expected


# --- instance ids, originalStartTime, splits ---------------------------------------------


def test_instance_ids():
    assert r.instance_id("abc", datetime(2024, 3, 5, 9, 0), False) == "abc_20240305T090000Z"
    assert r.instance_id("abc", date(2024, 3, 5), True) == "abc_20240305"
    assert r.parse_instance_id("abc_20240305T090000Z") == ("abc", datetime(2024, 3, 5, 9))
    assert r.parse_instance_id("abc_def_20240305") == ("abc_def", date(2024, 3, 5))
    assert r.parse_instance_id("abc") is None
    assert r.parse_instance_id("abc_20241305") is None


def test_original_start():
    assert r.parse_original_start(
        {"dateTime": "2024-03-05T10:00:00+01:00", "timeZone": BERLIN}
    ) == datetime(2024, 3, 5, 9)
    assert r.parse_original_start({"date": "2024-03-05"}) == date(2024, 3, 5)
    with pytest.raises(MappingError):
        r.parse_original_start({})
    instance = {
        "id": "s1_20240305T090000Z",
        "recurringEventId": "s1",
        "originalStartTime": {"dateTime": "2024-03-05T10:00:00+01:00", "timeZone": BERLIN},
        "start": {"dateTime": "2024-03-05T12:00:00+01:00", "timeZone": BERLIN},
        "end": {"dateTime": "2024-03-05T13:00:00+01:00", "timeZone": BERLIN},
    }
    mapped = to_odoo(instance)
    assert mapped.recurring_event_id == "s1"
    assert mapped.original_start == datetime(2024, 3, 5, 9)
    assert r.instance_id("s1", mapped.original_start, False) == instance["id"]


def test_split_with_count_and_forever():
    start = datetime(2024, 3, 4, 10)
    rec = r.from_google(
        ["RRULE:FREQ=DAILY;COUNT=10", "EXDATE:20240305T090000Z", "EXDATE:20240310T090000Z"],
        start_local=start,
        allday=False,
        tz=BERLIN,
    )
    head, tail = split_series(
        rec, split_at=datetime(2024, 3, 8, 9), start_local=start, allday=False, tz=BERLIN
    )
    assert (head.count, tail.count) == (4, 6)
    assert head.exdates == (datetime(2024, 3, 5, 9),)
    assert tail.exdates == (datetime(2024, 3, 10, 9),)
    rec = r.from_google(["RRULE:FREQ=WEEKLY;BYDAY=MO"], start_local=start, allday=False, tz=BERLIN)
    head, tail = split_series(
        rec, split_at=datetime(2024, 3, 18, 9), start_local=start, allday=False, tz=BERLIN
    )
    assert (head.end_type, head.until) == ("end_date", date(2024, 3, 11))
    assert tail.end_type == "forever"
    assert r.to_google(head, start_local=start, allday=False, tz=BERLIN) == [
        "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20240311T225959Z"
    ]
    head, _tail = split_series(
        rec, split_at=datetime(2024, 3, 4, 9), start_local=start, allday=False, tz=BERLIN
    )
    assert head is None


def test_split_ids():
    assert split_parent("abc_R20240318T100000") == ("abc", datetime(2024, 3, 18, 10))
    assert split_parent("abc") is None
    assert is_split_of({"id": "abc_R20240318T100000"}, "abc")
    assert not is_split_of({"id": "abd_R20240318T100000"}, "abc")


def test_series_window():
    start = datetime(2024, 1, 1, 10)
    rec = r.from_google(["RRULE:FREQ=WEEKLY;COUNT=3"], start_local=start, allday=False, tz=BERLIN)
    hour = timedelta(hours=1)
    # Last occurrence 2024-01-15 10:00-11:00 Berlin = 09:00-10:00 UTC.
    assert r.series_in_window(
        rec,
        start_local=start,
        duration=hour,
        allday=False,
        tz=BERLIN,
        window_start=datetime(2024, 1, 15, 10),
    )
    assert not r.series_in_window(
        rec,
        start_local=start,
        duration=hour,
        allday=False,
        tz=BERLIN,
        window_start=datetime(2024, 1, 15, 10, 0, 1),
    )
    forever = r.from_google(["RRULE:FREQ=YEARLY"], start_local=start, allday=False, tz=BERLIN)
    assert r.series_in_window(
        forever,
        start_local=start,
        duration=hour,
        allday=False,
        tz=BERLIN,
        window_start=datetime(2090, 1, 1),
    )
