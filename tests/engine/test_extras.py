"""Video link, reminders and CRM record: mapping both ways, bounds, hostile input and
what the planner sends (sync/conference.py, reminders.py, source_link.py, extras.py)."""

from dataclasses import replace
from datetime import datetime

import pytest
from test_planner import WINDOW, gevent

from crm_google_calendar_sync.sync import conference, reminders, source_link
from crm_google_calendar_sync.sync import mapping as m
from crm_google_calendar_sync.sync.fingerprint import (
    changed_aspects,
    fingerprint_google,
    fingerprint_odoo,
)
from crm_google_calendar_sync.sync.planner import Action, PlanRules, plan_incoming, plan_outgoing
from crm_google_calendar_sync.sync.port import LinkState

MEET = "https://meet.google.com/abc-defg-hij"
ZOOM = "https://zoom.us/j/123456?pwd=x"
LEAD_URL = "https://odoo.example.com/odoo/crm.lead/42"


def meet_conference(uri=MEET):
    return {
        "conferenceId": "abc-defg-hij",
        "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
        "entryPoints": [
            {"entryPointType": "video", "uri": uri, "label": "meet.google.com/abc-defg-hij"},
            {"entryPointType": "phone", "uri": "tel:+49-30-1234", "pin": "123"},
        ],
    }


def odoo_event(**kw):
    values = {
        "id": 7,
        "name": "Call",
        "start": datetime(2024, 6, 3, 8),
        "stop": datetime(2024, 6, 3, 9),
        "write_date": datetime(2024, 5, 20, 8),
    }
    values.update(kw)
    return m.OdooEvent(**values)


def values_of(event):
    return m.google_to_odoo(event, user_tz="UTC").values


# --- video link -----------------------------------------------------------------------


def test_meet_conference_becomes_the_video_link():
    values = values_of(gevent(conferenceData=meet_conference(), hangoutLink=MEET))
    assert values["videocall_location"] == MEET
    assert values["location"] == ""


def test_hangout_link_alone_and_other_conferences():
    assert values_of(gevent(hangoutLink=MEET))["videocall_location"] == MEET
    addon = {"entryPoints": [{"entryPointType": "video", "uri": ZOOM}]}
    values = values_of(gevent(conferenceData=addon, location="Room 1"))
    assert (values["videocall_location"], values["location"]) == (ZOOM, "Room 1")


@pytest.mark.parametrize(
    "data",
    [
        {"entryPoints": [{"entryPointType": "video"}]},  # no URI
        {"entryPoints": [{"entryPointType": "video", "uri": "javascript:alert(1)"}]},
        {"entryPoints": [{"entryPointType": "video", "uri": "https://x" + "a" * 5000}]},
        {"entryPoints": [{"entryPointType": "video", "uri": ["https://x.y"]}]},
        {"entryPoints": [{"entryPointType": "video", "uri": "https://x.y/a b"}]},
        {"entryPoints": [{"entryPointType": "video", "uri": "https:///nohost"}]},
        {"entryPoints": [{"entryPointType": "phone", "uri": "tel:+1"}]},
        {"entryPoints": "garbage"},
        {"entryPoints": [None, 1, "x"]},
        {"createRequest": {"status": {"statusCode": "pending"}}},
        "garbage",
    ],
)
def test_conference_data_without_a_usable_link_maps_to_none(data):
    values = values_of(gevent(conferenceData=data, hangoutLink="javascript:alert(1)"))
    assert values["videocall_location"] == ""


def test_a_hostile_conference_costs_bounded_work():
    points = [{"entryPointType": "more", "uri": "https://x.y"}] * 100_000
    points.append({"entryPointType": "video", "uri": ZOOM})
    assert values_of(gevent(conferenceData={"entryPoints": points}))["videocall_location"] == ""


def test_odoo_link_goes_to_the_location_when_it_is_empty():
    body = m.odoo_to_google(odoo_event(videocall_location=ZOOM))
    assert body["location"] == ZOOM
    assert "conferenceData" not in body
    assert values_of(dict(gevent(), **body))["videocall_location"] == ZOOM


def test_odoo_link_goes_first_into_the_description_next_to_a_location():
    ev = odoo_event(videocall_location=ZOOM, location="Room 1", description="<p>Agenda</p>")
    body = m.odoo_to_google(ev)
    assert (body["location"], body["description"]) == ("Room 1", f"{ZOOM}\nAgenda")
    values = values_of(dict(gevent(), **body))
    assert (values["videocall_location"], values["location"]) == (ZOOM, "Room 1")
    assert values["description"] == "<p>Agenda</p>"  # not doubled


def test_odoo_link_before_a_rich_description():
    ev = odoo_event(videocall_location=ZOOM, location="Room 1", description="<p><b>x</b></p>")
    body = m.odoo_to_google(ev)
    assert body["description"].startswith(ZOOM + "<br>")
    assert fingerprint_google(dict(gevent(), **body)) == fingerprint_odoo(ev)


def test_meet_link_is_google_conference_data_not_text():
    body = m.odoo_to_google(odoo_event(videocall_location=MEET))
    assert body["location"] == ""
    data = body["conferenceData"]
    assert data["conferenceSolution"]["key"]["type"] == "hangoutsMeet"
    assert data["conferenceId"] == "abc-defg-hij"
    assert data["entryPoints"] == [
        {"entryPointType": "video", "uri": MEET, "label": "meet.google.com/abc-defg-hij"}
    ]


def test_garbage_odoo_links_never_reach_google():
    for url in ("javascript:alert(1)", "ftp://x.y/z", "https://x.y/" + "a" * 2000, "x y"):
        body = m.odoo_to_google(odoo_event(videocall_location=url))
        assert body["location"] == "" and "conferenceData" not in body


def test_location_that_is_a_link_only_is_the_video_link():
    values = values_of(gevent(location=f" {ZOOM} ", description="https://docs.example.com"))
    assert (values["videocall_location"], values["location"]) == (ZOOM, "")
    assert "docs.example.com" in values["description"]


def test_hostile_text_links_are_no_video_links():
    values = values_of(gevent(location="javascript:alert(1)"))
    assert values["videocall_location"] == ""
    values = values_of(gevent(location="Room", description="javascript:alert(1)\nx"))
    assert values["videocall_location"] == ""


# --- reminders ------------------------------------------------------------------------


def test_odoo_alarms_become_the_copy_s_reminders():
    body = m.odoo_to_google(odoo_event(alarms=(("email", 1440), ("notification", 15))))
    assert body["reminders"] == {
        "useDefault": False,
        "overrides": [{"method": "popup", "minutes": 15}, {"method": "email", "minutes": 1440}],
    }


def test_no_alarms_keep_the_user_s_google_defaults():
    assert m.odoo_to_google(odoo_event())["reminders"] == {"useDefault": True, "overrides": []}
    values = values_of(gevent(reminders={"useDefault": True}))
    assert values["alarms"] == ()
    assert values_of(gevent())["alarms"] == ()


def test_google_overrides_become_alarms():
    reminders_ = {
        "useDefault": False,
        "overrides": [
            {"method": "popup", "minutes": 10},
            {"method": "email", "minutes": 60},
            {"method": "sms", "minutes": 5},  # Google drops it
            {"method": "popup", "minutes": 10},
        ],
    }
    assert values_of(gevent(reminders=reminders_))["alarms"] == (
        ("notification", 10),
        ("email", 60),
    )


def test_more_than_five_alarms_the_nearest_five_go():
    alarms = tuple(("notification", minutes) for minutes in (60, 5, 30, 10, 15, 120, 1))
    assert [o["minutes"] for o in reminders.reminders_to_google(alarms)["overrides"]] == [
        1,
        5,
        10,
        15,
        30,
    ]


def test_a_thousand_reminders_are_bounded():
    overrides = [{"method": "popup", "minutes": i} for i in range(1000)]
    mapped = m.google_to_odoo(
        gevent(reminders={"useDefault": False, "overrides": overrides}), user_tz="UTC"
    )
    assert mapped.values["alarms"] == tuple(("notification", i) for i in range(5))
    assert "reminders_truncated" in mapped.warnings


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        {"useDefault": False, "overrides": "x"},
        {"useDefault": False, "overrides": [None, "x", {"method": "popup"}]},
        {"useDefault": False, "overrides": [{"method": "popup", "minutes": "10"}]},
        {"useDefault": False, "overrides": [{"method": "popup", "minutes": True}]},
        {"useDefault": "no", "overrides": [{"method": "popup", "minutes": 10}]},
    ],
)
def test_garbage_reminders_are_no_alarms(value):
    assert values_of(gevent(reminders=value))["alarms"] == ()


def test_minutes_out_of_range_are_clamped_as_google_does():
    value = {
        "useDefault": False,
        "overrides": [{"method": "email", "minutes": -5}, {"method": "popup", "minutes": 10**9}],
    }
    assert values_of(gevent(reminders=value))["alarms"] == (
        ("email", 0),
        ("notification", 40320),
    )


# --- the CRM record -------------------------------------------------------------------


def test_record_link_goes_to_google_as_source():
    ev = odoo_event(source_title="Big deal", source_url=LEAD_URL)
    assert m.odoo_to_google(ev)["source"] == {"title": "Big deal", "url": LEAD_URL}
    assert "source" not in m.odoo_to_google(odoo_event())


def test_record_url_of_odoo_18():
    assert source_link.record_url("https://odoo.example.com/", "crm.lead", 42) == LEAD_URL
    assert source_link.record_url("javascript:x", "crm.lead", 42) == ""
    assert source_link.record_url("https://o.example.com", "crm.lead/../x", 42) == ""
    assert source_link.record_url("https://o.example.com", "crm.lead", True) == ""


def test_nothing_of_the_source_is_written_to_odoo():
    values = values_of(gevent(source={"title": "x", "url": "https://evil.example.com"}))
    assert values["source_url"] == "https://evil.example.com"
    assert "res_model" not in values and "res_id" not in values


def test_hostile_sources_are_ignored():
    for source in ("x", {"url": "javascript:alert(1)"}, {"title": ["x"], "url": 5}):
        assert values_of(gevent(source=source))["source_url"] == ""
    values = values_of(gevent(source={"title": "t" * 100_000, "url": LEAD_URL}))
    assert len(values["source_title"]) <= 1024


# --- fingerprint and planner ------------------------------------------------------------


def test_fingerprint_covers_each_new_field():
    base = odoo_event()
    for aspect, changed in (
        ("video", replace(base, videocall_location=MEET)),
        ("reminders", replace(base, alarms=(("email", 30),))),
        ("source", replace(base, source_title="Deal", source_url=LEAD_URL)),
    ):
        assert aspect in changed_aspects(fingerprint_odoo(base), fingerprint_odoo(changed))


def synced(odoo):
    fp = fingerprint_odoo(odoo)
    return LinkState("g1", "cal", etag='"e1"', fingerprint=fp, odoo_changed=False)


def test_echo_of_a_pushed_meeting_with_all_extras_is_noop():
    odoo = odoo_event(
        videocall_location=ZOOM,
        location="Room 1",
        alarms=(("notification", 10),),
        source_title="Deal",
        source_url=LEAD_URL,
    )
    link = synced(odoo)
    echoed = dict(gevent(etag='"e2"'), **m.odoo_to_google(odoo))
    decision = plan_incoming(
        link, echoed, odoo, PlanRules(include_private=True, window_start=WINDOW)
    )
    assert decision.action == Action.NOOP


def test_a_colleague_s_source_change_writes_nothing_to_odoo():
    odoo = odoo_event(source_title="Deal", source_url=LEAD_URL)
    link = synced(odoo)
    changed = {
        **gevent(etag='"e2"'),
        **m.odoo_to_google(odoo),
        "source": {"title": "Other", "url": "https://x.example.com"},
    }
    decision = plan_incoming(
        link, changed, odoo, PlanRules(include_private=True, window_start=WINDOW)
    )
    assert decision.action == Action.UPDATE
    assert decision.values == {}


def test_a_google_reminder_change_is_an_update_of_the_alarms():
    odoo = odoo_event()
    link = synced(odoo)
    changed = {
        **gevent(etag='"e2"'),
        **m.odoo_to_google(odoo),
        "reminders": {"useDefault": False, "overrides": [{"method": "email", "minutes": 30}]},
    }
    decision = plan_incoming(
        link, changed, odoo, PlanRules(include_private=True, window_start=WINDOW)
    )
    assert decision.values == {"alarms": (("email", 30),)}


def test_conference_data_is_sent_only_when_odoo_changed_the_link():
    odoo = odoo_event(videocall_location=MEET)
    link = synced(odoo)
    renamed = replace(odoo, name="Call 2", write_date=datetime(2024, 5, 21))
    decision = plan_outgoing(link, renamed, PlanRules(include_private=True, window_start=WINDOW))
    assert decision.action == Action.PATCH
    # Google's conference (with its phone numbers) stays as it is.
    assert "conferenceData" not in decision.body
    removed = replace(renamed, videocall_location="")
    decision = plan_outgoing(link, removed, PlanRules(include_private=True, window_start=WINDOW))
    assert decision.body["conferenceData"] is None
    new = plan_outgoing(
        None, odoo, PlanRules(include_private=True, window_start=WINDOW, event_id_key="k")
    )
    assert new.body["conferenceData"]["conferenceId"] == "abc-defg-hij"


def test_a_removed_record_link_is_removed_in_google():
    odoo = odoo_event(source_title="Deal", source_url=LEAD_URL)
    link = synced(odoo)
    unlinked = replace(odoo, source_title="", source_url="", write_date=datetime(2024, 5, 21))
    decision = plan_outgoing(link, unlinked, PlanRules(include_private=True, window_start=WINDOW))
    assert decision.body["source"] is None


def test_video_link_helpers():
    assert conference.web_url(" https://x.example.com/a ") == "https://x.example.com/a"
    assert conference.is_meet(MEET) and not conference.is_meet(ZOOM)
    assert conference.conference_data(ZOOM) is None
