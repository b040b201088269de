"""Property tests: round trips Google -> Odoo -> Google and Odoo -> Google -> Odoo."""

import base64
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crm_google_calendar_sync.sync import mapping as m
from crm_google_calendar_sync.sync import sanitize
from crm_google_calendar_sync.sync.fingerprint import (
    changed_aspects,
    fingerprint_google,
    fingerprint_odoo,
)
from crm_google_calendar_sync.sync.ids import google_event_id_for, odoo_id_from_google_id
from crm_google_calendar_sync.sync.mapping import OdooEvent

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "UTC",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
]
# Dates around the DST switches of Berlin and New York, plus anything else.
DST_DAYS = [
    date(2024, 3, 10),
    date(2024, 3, 31),
    date(2024, 10, 27),
    date(2024, 11, 3),
    date(2025, 3, 30),
    date(2025, 3, 9),
]

zones = st.sampled_from(ZONES)
days = st.one_of(
    st.sampled_from(DST_DAYS), st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))
)
clock = st.integers(min_value=0, max_value=24 * 60 - 1)
durations = st.one_of(st.integers(0, 180), st.integers(0, 60 * 24 * 10))
visibilities = st.sampled_from([None, "default", "public", "private", "confidential"])
transparencies = st.sampled_from([None, "opaque", "transparent"])
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
descriptions = st.one_of(
    texts,
    st.lists(texts, max_size=6).map("\n".join),
    st.lists(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<br>",
                "<b>x</b>",
                "&amp;",
                "\n",
                "a",
                "\u00fc",
                "<ul><li>i</li></ul>",
                "<script>x</script>",
                "<a href='https://a.b'>l</a>",
            ]
        ),
        max_size=12,
    ).map("".join),
    st.text(max_size=3000),
)


def _local_iso(utc_naive, tz):
    aware = utc_naive.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(tz))
    return aware.isoformat(timespec="seconds")


@st.composite
def google_events(draw):
    tz = draw(zones)
    event = {
        "id": "g" + str(draw(st.integers(0, 10**6))),
        "summary": draw(st.one_of(st.none(), texts)),
    }
    if draw(st.booleans()):
        start_day = draw(days)
        length = draw(st.integers(1, 30))
        event["start"] = {"date": start_day.isoformat()}
        event["end"] = {"date": (start_day + timedelta(days=length)).isoformat()}
    else:
        local = datetime.combine(draw(days), datetime.min.time()) + timedelta(minutes=draw(clock))
        start = local.replace(tzinfo=ZoneInfo(tz)).astimezone(timezone.utc).replace(tzinfo=None)
        stop = start + timedelta(minutes=draw(durations))
        # Google answers with the event zone's offset; "Z" is also valid input.
        fmt = draw(st.sampled_from(["zone", "utc"]))
        render = (
            (lambda x: _local_iso(x, tz))
            if fmt == "zone"
            else (lambda x: x.strftime("%Y-%m-%dT%H:%M:%SZ"))
        )
        event["start"] = {"dateTime": render(start), "timeZone": tz}
        event["end"] = {"dateTime": render(stop), "timeZone": tz}
    for key, strategy in (
        ("description", descriptions),
        ("location", texts),
        ("visibility", visibilities),
        ("transparency", transparencies),
    ):
        value = draw(strategy)
        if value is not None:
            event[key] = value
    return event


def _instant(part):
    return m.parse_datetime(part["dateTime"]) if "dateTime" in part else part["date"]


@settings(max_examples=200, deadline=None)
@given(google_events(), zones)
def test_google_odoo_google_roundtrip(event, user_tz):
    mapped = m.google_to_odoo(event, user_tz=user_tz)
    ev = m.snapshot_from_values(mapped.values, mapped.recurrence, event_tz=mapped.event_tz)
    body = m.odoo_to_google(ev, user_tz=user_tz)
    # Times: the same instants (timed) or the same dates (all-day), same zone.
    assert _instant(body["start"]) == _instant(event["start"])
    assert _instant(body["end"]) == _instant(event["end"])
    if "timeZone" in body["start"]:
        assert body["start"]["timeZone"] == event["start"]["timeZone"]
    # Simple fields.
    assert body["summary"] == m._normal_name(m._clean_line(event.get("summary"), 1024)[0])
    assert body["transparency"] == (event.get("transparency") or "opaque")
    expected_visibility = {
        None: "default",
        "default": "default",
        "public": "public",
        "private": "private",
        "confidential": "private",
    }
    assert body["visibility"] == expected_visibility[event.get("visibility")]
    # Our pushed body, read back, maps to the same thing (echo-stable).
    assert fingerprint_google(body, user_tz=user_tz) == fingerprint_google(event, user_tz=user_tz)
    assert fingerprint_odoo(ev, user_tz=user_tz) == fingerprint_google(event, user_tz=user_tz)


@st.composite
def odoo_events(draw):
    allday = draw(st.booleans())
    tz = draw(st.one_of(st.none(), zones))
    ev = OdooEvent(
        id=draw(st.integers(1, 10**9)),
        name=draw(texts),
        description=draw(descriptions),
        location=draw(texts),
        privacy=draw(st.sampled_from([None, "public", "private", "confidential"])),
        show_as=draw(st.sampled_from(["busy", "free"])),
        event_tz=tz,
    )
    if allday:
        start_day = draw(days)
        stop_day = start_day + timedelta(days=draw(st.integers(0, 20)))
        ev.allday = True
        ev.start_date, ev.stop_date = start_day, stop_day
        ev.start = datetime.combine(start_day, m.ALLDAY_START)
        ev.stop = datetime.combine(stop_day, m.ALLDAY_STOP)
    else:
        ev.start = datetime.combine(draw(days), datetime.min.time()) + timedelta(
            minutes=draw(clock)
        )
        ev.stop = ev.start + timedelta(minutes=draw(durations))
    return ev


@settings(max_examples=200, deadline=None)
@given(odoo_events(), zones)
def test_odoo_google_odoo_roundtrip(ev, user_tz):
    body = m.odoo_to_google(ev, user_tz=user_tz)
    mapped = m.google_to_odoo(dict(body, id="x"), user_tz=user_tz)
    v = mapped.values
    assert v["allday"] == ev.allday
    if ev.allday:
        assert (v["start_date"], v["stop_date"]) == (ev.start_date, ev.stop_date)
    else:
        assert (v["start"], v["stop"]) == (ev.start, ev.stop)
        assert mapped.event_tz == (ev.event_tz or user_tz)
    assert m._normal_name(v["name"]) == m._normal_name(m._clean_line(ev.name, 1024)[0])
    assert v["location"] == m._clean_line(ev.location, 1024)[0]
    assert v["show_as"] == ev.show_as
    expected_privacy = {
        None: False,
        "public": "public",
        "private": "private",
        "confidential": "private",
    }
    assert v["privacy"] == expected_privacy[ev.privacy]
    assert sanitize.description_to_google(v["description"]) == sanitize.description_to_google(
        ev.description
    )
    ev2 = m.snapshot_from_values(v, event_tz=mapped.event_tz)
    assert m.common_from_odoo(ev2, user_tz=user_tz) == m.common_from_odoo(ev, user_tz=user_tz)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["Europe/Berlin", "America/New_York"]),
    st.sampled_from(DST_DAYS),
    st.integers(0, 23),
)
def test_no_drift_across_dst(tz, day, hour):
    """A wall-clock time stays the same wall-clock time after a round trip."""
    local = datetime.combine(day, datetime.min.time()).replace(hour=hour)
    aware = local.replace(tzinfo=ZoneInfo(tz))
    # Wall-clock times inside a spring-forward gap do not exist; skip them.
    assume(aware.astimezone(timezone.utc).astimezone(ZoneInfo(tz)).replace(tzinfo=None) == local)
    event = {
        "id": "d",
        "start": {"dateTime": aware.isoformat(), "timeZone": tz},
        "end": {"dateTime": (aware + timedelta(hours=1)).isoformat(), "timeZone": tz},
    }
    mapped = m.google_to_odoo(event, user_tz="UTC")
    body = m.odoo_to_google(m.snapshot_from_values(mapped.values, event_tz=tz))
    assert datetime.fromisoformat(body["start"]["dateTime"]).timestamp() == aware.timestamp()
    assert body["start"]["dateTime"][:19] == aware.isoformat()[:19]


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1), st.integers(0, 2**63), st.text(min_size=1), st.integers(0, 2**63))
def test_deterministic_ids(key1, id1, key2, id2):
    a = google_event_id_for(key1, id1)
    assert a == google_event_id_for(key1, id1)
    assert 5 <= len(a) <= 1024
    assert set(a) <= set("0123456789abcdefghijklmnopqrstuv")
    if (key1, id1) != (key2, id2):
        assert a != google_event_id_for(key2, id2)
    assert odoo_id_from_google_id(key1, a) == (id1 or None)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 2**63), st.integers(1, 2**63))
def test_ids_cannot_be_forged_without_the_key(own_id, other_id):
    """Another user's key, or an id put together from one's own ids, finds nothing."""
    own = google_event_id_for("bob-key", own_id)
    assert odoo_id_from_google_id("anna-key", own) is None
    raw = base64.b32hexdecode(own.upper() + "=")
    forged = base64.b32hexencode(raw[:16] + other_id.to_bytes(8, "big")).decode().rstrip("=")
    if other_id != own_id:
        assert odoo_id_from_google_id("bob-key", forged.lower()) is None


def test_deterministic_id_bounds():
    assert google_event_id_for("key", 1) != google_event_id_for("key", 2)
    for key, bad in (("x", -1), ("x", 2**64), ("x", "3"), ("", 1), (None, 1)):
        try:
            google_event_id_for(key, bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {key!r}, {bad!r}")


def test_fingerprint_changes_with_each_mapped_field():
    base = OdooEvent(id=1, name="a", start=datetime(2024, 1, 1, 9), stop=datetime(2024, 1, 1, 10))
    fp = fingerprint_odoo(base)
    for change, aspect in (
        ({"name": "b"}, "name"),
        ({"description": "<p>d</p>"}, "description"),
        ({"location": "l"}, "location"),
        ({"privacy": "private"}, "privacy"),
        ({"show_as": "free"}, "show_as"),
        ({"stop": datetime(2024, 1, 1, 11)}, "time"),
        ({"start": datetime(2024, 1, 1, 8)}, "time"),
    ):
        changed = fingerprint_odoo(OdooEvent(**{**base.__dict__, **change}))
        assert changed != fp, change
        assert changed_aspects(fp, changed) == {aspect}, change
    assert changed_aspects("0" * 40, fp) is None, "a fingerprint of an older release"
    # ... but not with fields that are not mapped, nor with the zone of a single event.
    for same in ({"id": 2}, {"write_date": datetime(2030, 1, 1)}, {"event_tz": "Asia/Tokyo"}):
        assert fingerprint_odoo(OdooEvent(**{**base.__dict__, **same})) == fp, same
    assume(True)
