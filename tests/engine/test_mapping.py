"""Unit tests of the Google <-> Odoo field mapping."""

import dataclasses
import json
import re
import time
from datetime import date, datetime

import pytest

from crm_google_calendar_sync.sync import mapping as m
from crm_google_calendar_sync.sync.fingerprint import fingerprint_google, fingerprint_odoo
from crm_google_calendar_sync.sync.mapping import MappingError, OdooEvent

# A JSON form of OdooEvent (no production path stores one).
_DATETIME_FIELDS = {"start", "stop", "write_date"}
_DATE_FIELDS = {"start_date", "stop_date", "until"}


def _jsonable(value):
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def _from_jsonable(name, value):
    if isinstance(value, dict) and "dt" in value:
        return datetime.fromisoformat(value["dt"])
    if isinstance(value, dict) and "d" in value:
        return date.fromisoformat(value["d"])
    if isinstance(value, list):
        return tuple(_from_jsonable(name, v) for v in value)
    if isinstance(value, str) and name in _DATETIME_FIELDS:
        return datetime.fromisoformat(value)
    if isinstance(value, str) and name in _DATE_FIELDS:
        return date.fromisoformat(value)
    return value


def to_dict(ev):
    return {key: _jsonable(value) for key, value in dataclasses.asdict(ev).items()}


def from_dict(data):
    values = {}
    for f in dataclasses.fields(OdooEvent):
        if f.name in data:
            values[f.name] = _from_jsonable(f.name, data[f.name])
    return OdooEvent(**values)


def gevent(**kw):
    base = {
        "id": "evt1",
        "summary": "Kick-off",
        "start": {"dateTime": "2024-03-05T10:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2024-03-05T11:30:00+01:00", "timeZone": "Europe/Berlin"},
    }
    base.update(kw)
    return base


def test_timed_event_to_odoo():
    mapped = m.google_to_odoo(gevent(location=" Room 1 ", description="a\nb"), user_tz="UTC")
    assert mapped.values == {
        "allday": False,
        "start": datetime(2024, 3, 5, 9, 0),
        "stop": datetime(2024, 3, 5, 10, 30),
        "name": "Kick-off",
        "description": "<p>a<br>b</p>",
        "location": "Room 1",
        "privacy": False,
        "show_as": "busy",
        "videocall_location": "",
        "alarms": (),
        "source_title": "",
        "source_url": "",
    }
    assert mapped.event_tz == "Europe/Berlin"
    assert mapped.recurrence is None
    assert "event_tz" not in mapped.values  # recurrence-only field in Odoo


def test_allday_exclusive_end_becomes_inclusive_stop_date():
    mapped = m.google_to_odoo(
        gevent(start={"date": "2024-12-24"}, end={"date": "2024-12-27"}), user_tz="Europe/Berlin"
    )
    v = mapped.values
    assert v["allday"] is True
    assert (v["start_date"], v["stop_date"]) == (date(2024, 12, 24), date(2024, 12, 26))
    assert (v["start"], v["stop"]) == (datetime(2024, 12, 24, 8), datetime(2024, 12, 26, 18))
    body = m.odoo_to_google(m.snapshot_from_values(v))
    assert body["start"] == {"date": "2024-12-24"}
    assert body["end"] == {"date": "2024-12-27"}


def test_allday_same_start_and_end_is_one_day_with_warning():
    mapped = m.google_to_odoo(
        gevent(start={"date": "2024-01-02"}, end={"date": "2024-01-02"}), user_tz="UTC"
    )
    assert mapped.values["stop_date"] == date(2024, 1, 2)
    assert "allday_end_not_exclusive" in mapped.warnings


def test_null_counterparts_are_ignored():
    """Odoo's own module sends {"date": x, "dateTime": None}; that is valid."""
    mapped = m.google_to_odoo(
        gevent(
            start={"date": "2024-01-02", "dateTime": None},
            end={"date": "2024-01-03", "dateTime": None},
        ),
        user_tz="UTC",
    )
    assert mapped.values["allday"]


def test_datetime_without_offset_uses_time_zone():
    mapped = m.google_to_odoo(
        gevent(
            start={"dateTime": "2024-07-01T09:00:00", "timeZone": "America/New_York"},
            end={"dateTime": "2024-07-01T10:00:00", "timeZone": "America/New_York"},
        ),
        user_tz="UTC",
    )
    assert mapped.values["start"] == datetime(2024, 7, 1, 13, 0)


def test_zone_fallback_calendar_then_user():
    ev = gevent(
        start={"dateTime": "2024-07-01T09:00:00Z"}, end={"dateTime": "2024-07-01T10:00:00Z"}
    )
    assert (
        m.google_to_odoo(ev, user_tz="Asia/Tokyo", calendar_tz="Europe/Paris").event_tz
        == "Europe/Paris"
    )
    assert m.google_to_odoo(ev, user_tz="Asia/Tokyo").event_tz == "Asia/Tokyo"
    assert m.google_to_odoo(ev, user_tz="Not/AZone").event_tz == "UTC"


@pytest.mark.parametrize(
    ("visibility", "privacy"),
    [
        (None, False),
        ("default", False),
        ("public", "public"),
        ("private", "private"),
        ("confidential", "private"),
    ],
)
def test_visibility_to_privacy(visibility, privacy):
    ev = gevent()
    if visibility:
        ev["visibility"] = visibility
    assert m.google_to_odoo(ev, user_tz="UTC").values["privacy"] == privacy


@pytest.mark.parametrize(
    ("privacy", "visibility"),
    [
        (None, "default"),
        (False, "default"),
        ("public", "public"),
        ("private", "private"),
        ("confidential", "private"),
    ],
)
def test_privacy_to_visibility(privacy, visibility):
    ev = OdooEvent(
        name="x", start=datetime(2024, 1, 1, 9), stop=datetime(2024, 1, 1, 10), privacy=privacy
    )
    assert m.odoo_to_google(ev)["visibility"] == visibility


def test_unknown_visibility_is_treated_as_private_with_warning():
    mapped = m.google_to_odoo(gevent(visibility="secret-new-level"), user_tz="UTC")
    assert mapped.values["privacy"] == "private"
    assert "unknown_visibility" in mapped.warnings
    assert m.is_private_google(gevent(visibility="secret-new-level"))


@pytest.mark.parametrize(
    ("transparency", "show_as"), [(None, "busy"), ("opaque", "busy"), ("transparent", "free")]
)
def test_transparency(transparency, show_as):
    ev = gevent(transparency=transparency) if transparency else gevent()
    values = m.google_to_odoo(ev, user_tz="UTC").values
    assert values["show_as"] == show_as
    assert m.odoo_to_google(m.snapshot_from_values(values))["transparency"] == (
        transparency or "opaque"
    )


def test_missing_summary_and_placeholder_never_travel():
    mapped = m.google_to_odoo(gevent(summary=None), user_tz="UTC")
    assert mapped.values["name"] == ""
    for placeholder in ("(No title)", "(Kein Titel)", ""):
        ev = m.snapshot_from_values({**mapped.values, "name": placeholder})
        assert m.odoo_to_google(ev)["summary"] == ""
    # The echo of an untitled event compares equal with the placeholder filled in.
    ev = m.snapshot_from_values({**mapped.values, "name": "(Kein Titel)"})
    assert fingerprint_odoo(ev) == fingerprint_google(gevent(summary=None))


def test_timed_event_to_google_uses_event_zone_with_offset():
    ev = OdooEvent(
        name="x",
        start=datetime(2024, 3, 31, 0, 30),
        stop=datetime(2024, 3, 31, 1, 30),
        event_tz="Europe/Berlin",
    )
    body = m.odoo_to_google(ev)
    assert body["start"] == {"dateTime": "2024-03-31T01:30:00+01:00", "timeZone": "Europe/Berlin"}
    assert body["end"] == {"dateTime": "2024-03-31T03:30:00+02:00", "timeZone": "Europe/Berlin"}
    ev.event_tz = None
    assert (
        m.odoo_to_google(ev, user_tz="America/New_York")["start"]["timeZone"] == "America/New_York"
    )


def test_patch_body_clears_the_other_time_kind():
    ev = OdooEvent(
        name="x",
        allday=True,
        start_date=date(2024, 1, 1),
        stop_date=date(2024, 1, 1),
        start=datetime(2024, 1, 1, 8),
        stop=datetime(2024, 1, 1, 18),
    )
    body = m.odoo_to_google(ev, patch=True)
    assert body["start"] == {"date": "2024-01-01", "dateTime": None, "timeZone": None}
    ev = OdooEvent(name="x", start=datetime(2024, 1, 1, 9), stop=datetime(2024, 1, 1, 10))
    assert m.odoo_to_google(ev, patch=True)["start"]["date"] is None


def test_private_event_is_not_mapped_when_private_sync_is_off():
    ev = OdooEvent(
        name="x",
        start=datetime(2024, 1, 1, 9),
        stop=datetime(2024, 1, 1, 10),
        privacy="confidential",
    )
    with pytest.raises(MappingError) as info:
        m.odoo_to_google(ev, include_private=False)
    assert info.value.reason == "private_event"
    ev.privacy = None
    ev.owner_default_privacy = "private"  # the owner's default makes it private
    assert m.is_private_odoo(ev)
    ev.owner_default_privacy = "public"
    assert m.odoo_to_google(ev, include_private=False)["visibility"] == "default"


def test_long_name_and_location_are_truncated():
    mapped = m.google_to_odoo(gevent(summary="x" * 5000, location="y" * 5000), user_tz="UTC")
    assert len(mapped.values["name"]) == 1024
    assert len(mapped.values["location"]) == 1024
    assert {"name_truncated", "location_truncated"} <= set(mapped.warnings)


def test_one_megabyte_description_keeps_the_event():
    mapped = m.google_to_odoo(gevent(description="<p>" + "z" * 1_048_576 + "</p>"), user_tz="UTC")
    assert "description_truncated" in mapped.warnings
    assert len(mapped.values["description"]) <= 64 * 1024
    assert mapped.values["name"] == "Kick-off"


def test_huge_attendee_list_is_not_mapped_and_cheap():
    attendees = [
        {"email": f"user{i}@example.com", "responseStatus": "accepted"} for i in range(100_000)
    ]
    started = time.perf_counter()
    mapped = m.google_to_odoo(gevent(attendees=attendees), user_tz="UTC")
    assert time.perf_counter() - started < 1.0
    assert not any("attendee" in key or "partner" in key for key in mapped.values)


def test_nul_characters_are_removed():
    mapped = m.google_to_odoo(gevent(summary="a\x00b", location="c\x00"), user_tz="UTC")
    assert mapped.values["name"] == "ab" and mapped.values["location"] == "c"


# --- malformed input corpus -----------------------------------------------------------

MALFORMED = [
    ("not_an_event", ["not", "a", "dict"]),
    ("missing_start", {"id": "x", "end": {"date": "2024-01-02"}}),
    ("missing_start", {"id": "x", "start": {}, "end": {"date": "2024-01-02"}}),
    ("missing_end", {"id": "x", "start": {"date": "2024-01-02"}}),
    (
        "date_and_datetime",
        gevent(start={"date": "2024-03-05", "dateTime": "2024-03-05T10:00:00+01:00"}),
    ),
    ("mixed_date_types", gevent(start={"date": "2024-03-05"})),
    (
        "unknown_timezone",
        gevent(start={"dateTime": "2024-03-05T10:00:00", "timeZone": "Mars/Olympus_Mons"}),
    ),
    (
        "unknown_timezone",
        gevent(start={"dateTime": "2024-03-05T10:00:00", "timeZone": "../../etc/passwd"}),
    ),
    ("end_before_start", gevent(end={"dateTime": "2024-03-05T09:59:59+01:00"})),
    ("end_before_start", gevent(start={"date": "2024-03-05"}, end={"date": "2024-03-04"})),
    ("invalid_datetime", gevent(start={"dateTime": "yesterday"})),
    ("invalid_datetime", gevent(start={"dateTime": "2024-02-30T10:00:00Z"})),
    ("invalid_date", gevent(start={"date": "2024-13-01"}, end={"date": "2024-13-02"})),
    ("date_out_of_range", gevent(start={"date": "0001-01-01"}, end={"date": "0001-01-02"})),
    (
        "date_out_of_range",
        gevent(
            start={"dateTime": "9999-12-31T23:00:00Z"}, end={"dateTime": "9999-12-31T23:30:00Z"}
        ),
    ),
    ("invalid_field", gevent(summary=["list"])),
    ("invalid_field", gevent(start="2024-03-05")),
    ("invalid_rrule", gevent(recurrence=["RRULE:FREQ=WEEKLY;COUNT=abc"])),
    ("invalid_rrule", gevent(recurrence=["RRULE:INTERVAL=2"])),
    ("invalid_rrule", gevent(recurrence=["RRULE:FREQ=FORTNIGHTLY"])),
    ("invalid_rrule", gevent(recurrence=["RRULE:FREQ=DAILY;COUNT=2;UNTIL=20240101"])),
    ("invalid_rrule", gevent(recurrence=["nonsense"])),
    ("unsupported_recurrence", gevent(recurrence=["RRULE:FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1"])),
    ("unsupported_recurrence", gevent(recurrence=["RRULE:FREQ=DAILY", "RDATE:20240310T100000Z"])),
    ("unsupported_recurrence", gevent(recurrence=["RRULE:FREQ=DAILY;BYHOUR=9,17"])),
    ("cancelled_event", {"id": "x", "status": "cancelled"}),
]


@pytest.mark.parametrize(
    ("reason", "event"), MALFORMED, ids=[f"{r}-{i}" for i, (r, _e) in enumerate(MALFORMED)]
)
def test_malformed_events_raise_stable_codes(reason, event):
    with pytest.raises(MappingError) as info:
        m.google_to_odoo(event, user_tz="UTC")
    assert info.value.reason == reason
    assert re.fullmatch(r"[a-z_]+", info.value.reason)
    assert str(info.value).startswith(reason)


def test_unsupported_rule_can_be_imported_as_single_event():
    ev = gevent(recurrence=["RRULE:FREQ=DAILY;BYHOUR=9,17"])
    mapped = m.google_to_odoo(ev, user_tz="UTC", ignore_recurrence=True)
    assert mapped.recurrence is None
    assert "recurrence_ignored" in mapped.warnings


# --- permissions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "role", "expected"),
    [
        ({"organizer": {"self": True}}, "owner", True),
        ({"organizer": {"email": "Me@Example.com"}}, "owner", True),
        ({"organizer": {"email": "boss@example.com"}}, "owner", False),
        ({"organizer": {"email": "boss@example.com"}, "guestsCanModify": True}, "writer", True),
        ({"organizer": {"self": True}}, "reader", False),
        ({"organizer": {"self": True}}, "freeBusyReader", False),
        ({"organizer": {"self": True}, "eventType": "birthday"}, "owner", False),
        ({"organizer": {"self": True}, "eventType": "workingLocation"}, "owner", False),
        ({"organizer": {"self": True}, "eventType": "outOfOffice"}, "owner", False),
        ({"organizer": {"self": True}, "eventType": "focusTime"}, "owner", False),
        ({"organizer": {"self": True}, "eventType": "fromGmail"}, "owner", False),
        ({"organizer": {"self": True}, "eventType": "default"}, "owner", True),
        ({"organizer": {"self": True}, "locked": True}, "owner", False),
        ({"organizer": {"self": True}, "privateCopy": True}, "owner", False),
        ({}, "owner", True),
    ],
)
def test_can_edit(event, role, expected):
    assert m.can_edit(event, role, "me@example.com") is expected


def test_is_organizer():
    assert m.is_organizer({"organizer": {"self": True}}, None)
    assert not m.is_organizer({"organizer": {"email": "a@b.c"}}, None)
    assert m.is_organizer({"organizer": {"email": "a@b.c"}}, " A@B.C ")


# --- snapshot serialisation -----------------------------------------------------------


def test_odoo_event_to_dict_roundtrip_and_from_read():
    ev = OdooEvent(
        id=3,
        name="n",
        start=datetime(2024, 1, 1, 9),
        stop=datetime(2024, 1, 1, 10),
        until=date(2024, 5, 1),
        recurrence_exdates=(datetime(2024, 1, 8, 9),),
        write_date=datetime(2024, 1, 1, 8),
    )
    data = to_dict(ev)
    json.dumps(data)
    assert from_dict(json.loads(json.dumps(data))) == ev
    read = {
        "id": 5,
        "name": "x",
        "description": False,
        "location": False,
        "privacy": False,
        "show_as": "free",
        "start": datetime(2024, 1, 1, 9),
        "stop": datetime(2024, 1, 1, 10),
        "allday": False,
        "recurrence_id": (7, "Weekly"),
        "mon": False,
        "unknown": 1,
    }
    snap = OdooEvent.from_odoo_read(read)
    assert (snap.description, snap.location, snap.privacy, snap.recurrence_id) == ("", "", None, 7)


def test_event_summary_mentions_the_version():
    ev = OdooEvent(
        name="",
        start=datetime(2024, 1, 1, 9),
        stop=datetime(2024, 1, 1, 10),
        location="HQ",
        description="<p>notes</p>",
        event_tz="Europe/Berlin",
    )
    text = m.event_summary(ev)
    assert text == "(No title) | 2024-01-01 10:00 - 2024-01-01 11:00 (Europe/Berlin) | HQ | notes"


def test_diff_values_only_reports_real_changes():
    current = OdooEvent(
        name="(No title)",
        start=datetime(2024, 1, 1, 9),
        stop=datetime(2024, 1, 1, 10),
        privacy="confidential",
        description="<p>line</p>",
    )
    incoming = m.google_to_odoo(
        gevent(
            summary="",
            visibility="private",
            description="line",
            start={"dateTime": "2024-01-01T09:00:00Z"},
            end={"dateTime": "2024-01-01T10:00:00Z"},
        ),
        user_tz="UTC",
    ).values
    assert m.diff_values(incoming, current) == {}
    incoming2 = dict(incoming, stop=datetime(2024, 1, 1, 11), location="x")
    assert m.diff_values(incoming2, current) == {
        "location": "x",
        "allday": False,
        "start": datetime(2024, 1, 1, 9),
        "stop": datetime(2024, 1, 1, 11),
    }
