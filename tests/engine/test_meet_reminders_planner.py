"""A Meet asked for from Odoo and reminders from the master only (R2, R8 of
docs/attendees.md), in the mapping and the planner: what goes to Google, what comes
back, and that neither side's echo is a change."""

from dataclasses import replace
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from crm_google_calendar_sync.sync import conference, reminders
from crm_google_calendar_sync.sync import mapping as m
from crm_google_calendar_sync.sync.fingerprint import aspect_part, fingerprint_odoo
from crm_google_calendar_sync.sync.planner import Action, PlanRules, plan_incoming, plan_outgoing
from crm_google_calendar_sync.sync.port import LinkState, window_start_for

WINDOW = window_start_for(datetime(2024, 6, 1, 12, 0))
REQUEST = conference.meet_request_id(7, 41)
MEET = "https://meet.google.com/abc-defg-hij"
RULES = PlanRules(include_private=True, window_start=WINDOW, event_id_key="k" * 32)
_ALARMS = st.lists(
    st.tuples(st.sampled_from(reminders.ALARM_KINDS), st.integers(0, reminders.MAX_MINUTES)),
    max_size=6,
).map(tuple)


START = datetime(2024, 6, 3, 8)
BASE = m.OdooEvent(id=7, name="Call", start=START, stop=START.replace(hour=9), write_date=WINDOW)


def snapshot(**values):
    return replace(BASE, **values)


def google_copy(ev, **extra):
    """The Google event as a push of ``ev`` leaves it, with ``extra`` on top."""
    body = m.odoo_to_google(ev)
    body.pop("conferenceData", None)
    return {"id": "g1", "etag": '"e2"', "organizer": {"self": True}, **body, **extra}


def linked(ev):
    return LinkState("g1", "cal", etag='"e1"', fingerprint=fingerprint_odoo(ev), odoo_changed=False)


# ----------------------------------------------------------------------------------
# A Meet asked for from Odoo
# ----------------------------------------------------------------------------------
def test_a_requested_meet_goes_as_a_create_request():
    body = m.odoo_to_google(snapshot(meet_request=REQUEST))
    assert body["conferenceData"] == {
        "createRequest": {"requestId": REQUEST, "conferenceSolutionKey": {"type": "hangoutsMeet"}}
    }


def test_a_request_is_repeated_with_every_write_until_the_link_is_there():
    ev = snapshot(meet_request=REQUEST)
    since_name = m.odoo_to_google(replace(ev, name="Call 2"), patch=True, changed={"name"})
    assert since_name["conferenceData"]["createRequest"]["requestId"] == REQUEST
    done = m.odoo_to_google(replace(ev, videocall_location=MEET), patch=True, changed={"name"})
    assert "conferenceData" not in done


def test_the_request_is_in_the_fingerprint_and_read_back_while_pending():
    plain, asked = snapshot(), snapshot(meet_request=REQUEST)
    assert aspect_part(fingerprint_odoo(plain), "video") != aspect_part(
        fingerprint_odoo(asked), "video"
    )
    pending = google_copy(
        asked,
        conferenceData={
            "createRequest": {"requestId": REQUEST, "status": {"statusCode": "pending"}}
        },
    )
    decision = plan_incoming(linked(asked), pending, asked, RULES)
    assert decision.action == Action.NOOP, decision


def test_the_link_google_made_comes_in_once_pending_is_over():
    asked = snapshot(meet_request=REQUEST)
    made = google_copy(
        asked,
        hangoutLink=MEET,
        conferenceData={
            "createRequest": {"requestId": REQUEST, "status": {"statusCode": "success"}},
            "entryPoints": [{"entryPointType": "video", "uri": MEET}],
        },
    )
    decision = plan_incoming(linked(asked), made, asked, RULES)
    assert decision.action == Action.UPDATE
    assert decision.values == {"videocall_location": MEET}
    # Odoo then holds the link without the request: no push.
    after = replace(asked, videocall_location=MEET, meet_request="")
    link = replace(linked(asked), fingerprint=decision.fingerprint)
    assert plan_outgoing(link, after, RULES).action == Action.NOOP


# ----------------------------------------------------------------------------------
# Reminders from the master only
# ----------------------------------------------------------------------------------
@given(_ALARMS, _ALARMS)
def test_a_guest_s_own_reminders_are_no_change_and_no_echo(meeting_alarms, his_alarms):
    ev = snapshot(alarms=meeting_alarms, holds_reminders=False)
    his = google_copy(ev, reminders=reminders.reminders_to_google(his_alarms))
    decision = plan_incoming(linked(ev), his, ev, RULES)
    assert decision.action == Action.NOOP or not decision.values
    # What his link then remembers sends nothing back to his copy.
    link = replace(linked(ev), fingerprint=decision.fingerprint, odoo_changed=True)
    outgoing = plan_outgoing(link, replace(ev, name="Call, moved"), RULES)
    assert "reminders" not in (outgoing.body or {})


@given(_ALARMS, _ALARMS)
def test_the_master_s_reminders_are_the_meeting_s(meeting_alarms, google_alarms):
    ev = snapshot(alarms=meeting_alarms)
    copy = google_copy(ev, reminders=reminders.reminders_to_google(google_alarms))
    decision = plan_incoming(linked(ev), copy, ev, RULES)
    changed = reminders.common_reminders(meeting_alarms) != reminders.common_reminders(
        google_alarms
    )
    assert ("alarms" in (decision.values or {})) == changed


def test_a_change_of_the_meeting_s_alarms_reaches_a_guest_s_copy():
    ev = snapshot(alarms=(("notification", 15),), holds_reminders=False)
    link = replace(linked(ev), odoo_changed=True)
    moved = replace(ev, alarms=(("email", 60),))
    decision = plan_outgoing(link, moved, RULES)
    assert decision.body["reminders"] == {
        "useDefault": False,
        "overrides": [{"method": "email", "minutes": 60}],
    }
