"""Property tests of the video link, reminders and CRM record: round trips both ways,
no echo writes, and a fingerprint that covers each of them."""

import html
from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_google_calendar_sync.sync import conference
from crm_google_calendar_sync.sync import mapping as m
from crm_google_calendar_sync.sync import reminders as rem
from crm_google_calendar_sync.sync.fingerprint import (
    changed_aspects,
    fingerprint_google,
    fingerprint_odoo,
)
from crm_google_calendar_sync.sync.planner import Action, PlanRules, plan_incoming
from crm_google_calendar_sync.sync.port import LinkState

WINDOW = datetime(2024, 5, 2)
links = st.sampled_from(
    [
        "",
        "https://meet.google.com/abc-defg-hij",
        "https://zoom.us/j/1?pwd=a&b=c",
        "http://video.example.com/room/7",
        "https://odoo.example.com/calendar/join_videocall/abc",
        "javascript:alert(1)",
        "https://x.example.com/" + "a" * 1100,
    ]
)
lines = st.sampled_from(["", "Room 1", "https://maps.example.com/x", "  ", "Raum <2>"])
descriptions = st.sampled_from(
    [
        "",
        "<p>Agenda</p>",
        "<p>a<br>b</p>",
        "<p><b>rich</b> text</p>",
        "<p>https://docs.example.com/x</p><p>rest</p>",
        "<p>https://docs.example.com/x</p>",
        "<ul><li>one</li></ul>",
    ]
)
alarm_lists = st.lists(
    st.tuples(st.sampled_from(["notification", "email", "sms"]), st.integers(-10, 50_000)),
    max_size=8,
).map(tuple)
sources = st.sampled_from(
    [
        ("", ""),
        ("Big deal", "https://odoo.example.com/odoo/crm.lead/42"),
        ("Ümlaut & <co>", "http://localhost:8069/odoo/res.partner/3"),
        ("x", "javascript:alert(1)"),
    ]
)


@st.composite
def odoo_events(draw):
    start = datetime(2024, 6, 3, 8) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 30)))
    title, url = draw(sources)
    return m.OdooEvent(
        id=7,
        name="Call",
        start=start,
        stop=start + timedelta(minutes=draw(st.integers(0, 300))),
        location=draw(lines),
        description=draw(descriptions),
        videocall_location=draw(links),
        alarms=draw(alarm_lists),
        source_title=title,
        source_url=url,
        write_date=datetime(2024, 5, 20),
    )


def _google(body):
    return {**body, "id": "g1", "etag": '"e2"', "organizer": {"self": True}}


@settings(max_examples=300, deadline=None)
@given(odoo_events())
def test_odoo_google_odoo_roundtrip(ev):
    body = m.odoo_to_google(ev)
    mapped = m.google_to_odoo(_google(body), user_tz="UTC")
    back = m.snapshot_from_values(mapped.values, event_tz=mapped.event_tz)
    # What Google shows, read back, is the same meeting: no echo, no doubled link.
    assert m.common_from_odoo(back) == m.common_from_odoo(ev)
    assert m.odoo_to_google(back) == body
    assert rem.normal_alarms(mapped.values["alarms"])[0] == rem.normal_alarms(ev.alarms)[0]
    # The link appears once in what Google shows.
    url, text = back.videocall_location, body["location"] + body["description"]
    if url and conference.is_meet(url):
        assert url not in text
        assert body["conferenceData"]["entryPoints"][0]["uri"] == url
    elif url:
        assert max(text.count(url), text.count(html.escape(url))) == 1
        assert "conferenceData" not in body


@settings(max_examples=300, deadline=None)
@given(odoo_events())
def test_the_echo_of_a_push_writes_nothing(ev):
    link = LinkState("g1", "cal", etag='"e1"', fingerprint=fingerprint_odoo(ev))
    echoed = _google(m.odoo_to_google(ev))
    decision = plan_incoming(link, echoed, ev, PlanRules(include_private=True, window_start=WINDOW))
    assert decision.action == Action.NOOP
    assert fingerprint_google(echoed) == fingerprint_odoo(ev)


@st.composite
def google_events(draw):
    event = {
        "id": "g1",
        "summary": "Call",
        "start": {"dateTime": "2024-06-03T10:00:00Z"},
        "end": {"dateTime": "2024-06-03T11:00:00Z"},
        "location": draw(lines),
        "description": draw(st.sampled_from(["", "a\nb", "https://z.example.com/v\nrest"])),
    }
    url = draw(links)
    if url and draw(st.booleans()):
        event["conferenceData"] = {"entryPoints": [{"entryPointType": "video", "uri": url}]}
    if draw(st.booleans()):
        overrides = [
            {"method": method, "minutes": minutes}
            for method, minutes in draw(
                st.lists(
                    st.tuples(st.sampled_from(["popup", "email"]), st.integers(0, 40320)),
                    max_size=5,
                )
            )
        ]
        event["reminders"] = {"useDefault": not overrides, "overrides": overrides}
    title, source_url = draw(sources)
    if source_url:
        event["source"] = {"title": title, "url": source_url}
    return event


@settings(max_examples=300, deadline=None)
@given(google_events())
def test_google_odoo_google_roundtrip(event):
    mapped = m.google_to_odoo(event, user_tz="UTC")
    ev = m.snapshot_from_values(mapped.values, event_tz=mapped.event_tz)
    body = m.odoo_to_google(ev)
    assert fingerprint_google(_google(body)) == fingerprint_google(event)
    assert fingerprint_odoo(ev) == fingerprint_google(event)
    overrides = (event.get("reminders") or {}).get("overrides") or []
    expected = sorted({(o["minutes"], o["method"]) for o in overrides})
    assert sorted((o["minutes"], o["method"]) for o in body["reminders"]["overrides"]) == expected


@settings(max_examples=200, deadline=None)
@given(odoo_events(), odoo_events())
def test_fingerprint_covers_the_new_fields(a, b):
    for field, aspect in (
        ("videocall_location", "video"),
        ("alarms", "reminders"),
        ("source_url", "source"),
    ):
        other = replace(a, **{field: getattr(b, field)})
        if field == "source_url":
            other = replace(other, source_title=b.source_title)
        before, after = m.common_from_odoo(a), m.common_from_odoo(other)
        if before == after:
            continue
        changed = changed_aspects(fingerprint_odoo(a), fingerprint_odoo(other))
        assert changed, field
        if before.get(aspect) != after.get(aspect):
            assert aspect in changed
