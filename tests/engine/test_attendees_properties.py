"""Property tests of the attendee mapping (sync/attendees.py, R1 and R5 of
docs/attendees.md): round trips both ways, no echo writes, a fingerprint that
covers the list and the answers, and bounded work on hostile lists."""

import time
from dataclasses import replace
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_google_calendar_sync.sync import attendees as att
from crm_google_calendar_sync.sync import mapping as m
from crm_google_calendar_sync.sync.fingerprint import (
    changed_aspects,
    fingerprint_google,
    fingerprint_odoo,
)
from crm_google_calendar_sync.sync.planner import (
    Action,
    PlanRules,
    plan_incoming,
    plan_outgoing,
)
from crm_google_calendar_sync.sync.port import LinkState

WINDOW = datetime(2024, 5, 2)
RULES = PlanRules(
    include_private=True, window_start=WINDOW, self_email="me@example.com", event_id_key="k" * 32
)
answers = st.sampled_from(att.ANSWERS)
addresses = st.sampled_from(
    [
        "carla@customer.example",
        "bob.builder@corp.example",
        "x@y.example",
        "ünï@example.com",  # not an address Google takes
        "a" * 250 + "@b.example",
        "no-at-sign",
        "",
    ]
)
spellings = st.sampled_from([str, str.upper, lambda s: f"  {s} ", str.title])


@st.composite
def attendee_lists(draw):
    pairs = draw(st.lists(st.tuples(addresses, answers), max_size=8))
    return att.attendee_list(pairs)[0]


@st.composite
def odoo_events(draw):
    return m.OdooEvent(
        id=7,
        name="Offer review",
        start=datetime(2024, 6, 3, 8),
        stop=datetime(2024, 6, 3, 9),
        write_date=datetime(2024, 5, 20),
        attendees=draw(attendee_lists()),
        own_attendee=("me@example.com", draw(answers)),
    )


def _as_google(body, own=True):
    """What the organiser's primary calendar shows for a body Odoo sent."""
    shown = []
    for sent in body.get("attendees") or []:
        entry = dict(sent)
        if own and entry["email"] == "me@example.com":
            entry.update(self=True, organizer=True)
        shown.append(entry)
    event = {**body, "id": "g1", "etag": '"e2"', "organizer": {"self": True}}
    if shown:
        event["attendees"] = shown
    return event


@settings(max_examples=300, deadline=None)
@given(odoo_events())
def test_odoo_google_odoo_roundtrip(ev):
    decision = plan_outgoing(None, ev, RULES, calendar_id="me@example.com")
    mapped = m.google_to_odoo(_as_google(decision.body), user_tz="UTC")
    assert mapped.attendees == ev.attendees
    if ev.attendees:
        assert mapped.own_answer == ev.own_attendee[1]
    back = m.snapshot_from_values(mapped.values, attendees=mapped.attendees)
    assert m.common_from_odoo(back) == m.common_from_odoo(ev)


@settings(max_examples=300, deadline=None)
@given(odoo_events())
def test_the_echo_of_a_push_writes_nothing(ev):
    decision = plan_outgoing(None, ev, RULES, calendar_id="me@example.com")
    echoed = _as_google(decision.body)
    link = LinkState("g1", "me@example.com", etag='"e1"', fingerprint=decision.fingerprint)
    incoming = plan_incoming(link, echoed, ev, RULES)
    assert incoming.action == Action.NOOP
    assert fingerprint_google(echoed) == fingerprint_odoo(ev) == decision.fingerprint


@st.composite
def google_lists(draw):
    entries = []
    for email, answer in draw(st.lists(st.tuples(addresses, answers), max_size=8)):
        entry = {"email": draw(spellings)(email), "responseStatus": answer}
        if draw(st.integers(0, 9)) == 0:
            entry["resource"] = True
        entries.append(entry)
    return entries


@settings(max_examples=300, deadline=None)
@given(google_lists())
def test_google_odoo_google_roundtrip(entries):
    event = {
        "id": "g1",
        "summary": "Call",
        "start": {"dateTime": "2024-06-03T10:00:00Z"},
        "end": {"dateTime": "2024-06-03T11:00:00Z"},
        "attendees": entries,
    }
    mapped = m.google_to_odoo(event, user_tz="UTC")
    # Normalised: case and spaces do not matter, one entry per address, no rooms.
    emails = [email for email, _answer in mapped.attendees]
    assert emails == sorted(set(emails))
    assert all(email == email.strip().casefold() for email in emails)
    ev = m.snapshot_from_values(mapped.values, attendees=mapped.attendees)
    body = m.odoo_to_google(ev)
    assert fingerprint_google({**event, **body}) == fingerprint_google(event)
    assert fingerprint_odoo(ev) == fingerprint_google(event)


@settings(max_examples=200, deadline=None)
@given(odoo_events(), attendee_lists(), answers)
def test_fingerprint_covers_the_list_and_the_answers(ev, others, answer):
    other = replace(ev, attendees=others)
    if m.common_from_odoo(other) != m.common_from_odoo(ev):
        assert changed_aspects(fingerprint_odoo(ev), fingerprint_odoo(other)) == {"attendees"}
    if ev.attendees:
        email, old = ev.attendees[0]
        answered = replace(ev, attendees=((email, answer), *ev.attendees[1:]))
        changed = changed_aspects(fingerprint_odoo(ev), fingerprint_odoo(answered))
        assert changed == (set() if answer == old else {"attendees"})


def test_a_guest_who_does_not_hold_the_master_neither_sends_nor_takes_the_list():
    guest_view = m.OdooEvent(
        id=7, name="Call", start=datetime(2024, 6, 3, 8), stop=datetime(2024, 6, 3, 9)
    )
    decision = plan_outgoing(None, guest_view, RULES, calendar_id="me@example.com")
    assert "attendees" not in decision.body
    invitation = {
        **decision.body,
        "id": "g1",
        "etag": '"e2"',
        "attendees": [{"email": "x@y.example", "responseStatus": "accepted"}],
    }
    link = LinkState("g1", "me@example.com", etag='"e1"', fingerprint=decision.fingerprint)
    incoming = plan_incoming(link, invitation, guest_view, RULES)
    assert incoming.action == Action.NOOP
    assert incoming.attendees is None


def test_secondary_calendar_gets_no_own_entry():
    ev = m.OdooEvent(
        id=7,
        name="Call",
        start=datetime(2024, 6, 3, 8),
        stop=datetime(2024, 6, 3, 9),
        attendees=(("x@y.example", "accepted"),),
        own_attendee=("me@example.com", "accepted"),
    )
    sales = "abc@group.calendar.google.com"
    body = plan_outgoing(None, ev, RULES, calendar_id=sales).body
    assert body["attendees"] == [{"email": "x@y.example", "responseStatus": "accepted"}]
    primary = plan_outgoing(None, ev, RULES, calendar_id="me@example.com").body
    assert {"email": "me@example.com", "responseStatus": "accepted"} in primary["attendees"]
    alone = replace(ev, attendees=())
    assert plan_outgoing(None, alone, RULES, calendar_id="me@example.com").body["attendees"] == []


def test_omitted_guests_leave_the_list_alone():
    event = {
        "id": "g1",
        "start": {"dateTime": "2024-06-03T10:00:00Z"},
        "end": {"dateTime": "2024-06-03T11:00:00Z"},
        "attendeesOmitted": True,
        "attendees": [{"email": "me@example.com", "self": True, "responseStatus": "declined"}],
    }
    mapped = m.google_to_odoo(event, user_tz="UTC")
    assert mapped.attendees is None
    assert mapped.own_answer == "declined"
    assert "attendees_omitted" in mapped.warnings


def test_hostile_lists_cost_bounded_work():
    huge = [{"email": f"guest{i}@example.org"} for i in range(50_000)]
    garbage = ["x", 1, None, {"email": 5}, {"email": "a@b"}, {"email": "@x.example"}] * 10_000
    for entries in (huge, garbage, {"email": "x@y.example"}, "x"):
        event = {
            "id": "g1",
            "start": {"dateTime": "2024-06-03T10:00:00Z"},
            "end": {"dateTime": "2024-06-03T11:00:00Z"},
            "attendees": entries,
        }
        began = time.monotonic()
        mapped = m.google_to_odoo(event, user_tz="UTC")
        assert time.monotonic() - began < 1.0
        assert len(mapped.attendees) <= att.MAX_ATTENDEES
        assert "attendees_invalid" in mapped.warnings
    assert att.normalize_email("x" * 10_000 + "@y.example") is None
