"""Conference data: Meet links created on request, copied, ignored without version 1."""

import re

import pytest
from emu_helpers import BOB, service_for, timed
from googleapiclient.errors import HttpError

MEET = re.compile(r"^https://meet\.google\.com/[a-z]{3}-[a-z]{4}-[a-z]{3}$")
ZOOM = {
    "conferenceSolution": {"key": {"type": "addOn"}, "name": "Zoom"},
    "entryPoints": [
        {
            "entryPointType": "video",
            "uri": "https://zoom.example/j/123",
            "label": "zoom.example/j/123",
        },
        {"entryPointType": "phone", "uri": "tel:+49-30-1234567", "label": "+49 30 1234567"},
    ],
    "conferenceId": "123",
}


def meet_request(request_id="req-1", kind="hangoutsMeet"):
    return {"createRequest": {"requestId": request_id, "conferenceSolutionKey": {"type": kind}}}


def insert(service, version=None, **extra):
    params = {} if version is None else {"conferenceDataVersion": version}
    return service.events().insert(calendarId="primary", body=timed(**extra), **params).execute()


def patch(service, event_id, body, version=1):
    return (
        service.events()
        .patch(calendarId="primary", eventId=event_id, body=body, conferenceDataVersion=version)
        .execute()
    )


def reason_of(info):
    return info.value.error_details[0]["reason"], info.value.error_details[0]["message"]


def test_create_request_makes_a_meet_link_at_once(alice):
    event = insert(alice, 1, conferenceData=meet_request())
    conference = event["conferenceData"]
    assert conference["createRequest"]["status"] == {"statusCode": "success"}
    assert conference["conferenceSolution"]["key"] == {"type": "hangoutsMeet"}
    assert conference["conferenceSolution"]["name"] == "Google Meet"
    video = [p for p in conference["entryPoints"] if p["entryPointType"] == "video"]
    assert len(video) == 1 and MEET.match(video[0]["uri"])
    assert event["hangoutLink"] == video[0]["uri"]
    assert conference["conferenceId"] == video[0]["uri"].rsplit("/", 1)[1]
    assert {p["entryPointType"] for p in conference["entryPoints"]} == {"video", "phone", "more"}
    got = alice.events().get(calendarId="primary", eventId=event["id"]).execute()
    assert got["conferenceData"] == conference, "read without conferenceDataVersion too"


def test_without_version_1_conference_data_is_ignored(alice):
    plain = insert(alice, conferenceData=meet_request())
    assert "conferenceData" not in plain and "hangoutLink" not in plain
    meeting = insert(alice, 1, conferenceData=meet_request())
    for write in (
        lambda: patch(alice, meeting["id"], {"conferenceData": None}, version=0),
        lambda: (
            alice.events()
            .update(calendarId="primary", eventId=meeting["id"], body=timed("Kept"))
            .execute()
        ),
    ):
        kept = write()
        assert kept["hangoutLink"] == meeting["hangoutLink"]
        assert kept["conferenceData"] == meeting["conferenceData"]


def test_the_same_request_id_again_is_ignored_a_new_one_makes_a_new_link(alice):
    event = insert(alice, 1, conferenceData=meet_request("r1"))
    again = patch(alice, event["id"], {"conferenceData": meet_request("r1")})
    assert again["hangoutLink"] == event["hangoutLink"]
    fresh = patch(alice, event["id"], {"conferenceData": meet_request("r2")})
    assert fresh["hangoutLink"] != event["hangoutLink"] and MEET.match(fresh["hangoutLink"])


def test_version_1_copies_and_removes_conference_data(alice):
    event = insert(alice, 1, conferenceData=ZOOM)
    assert event["conferenceData"] == ZOOM and "hangoutLink" not in event
    cleared = patch(alice, event["id"], {"conferenceData": None})
    assert "conferenceData" not in cleared
    meet = insert(alice, 1, conferenceData=meet_request())
    replaced = (
        alice.events()
        .update(calendarId="primary", eventId=meet["id"], body=timed(), conferenceDataVersion=1)
        .execute()
    )
    assert "conferenceData" not in replaced and "hangoutLink" not in replaced


@pytest.mark.parametrize(
    "conference",
    [
        {"entryPoints": ZOOM["entryPoints"]},  # no solution
        {"conferenceSolution": ZOOM["conferenceSolution"]},  # no entry point
        {**ZOOM, "entryPoints": [{"entryPointType": "video"}]},  # no uri
        {**ZOOM, "entryPoints": [{"entryPointType": "video", "uri": "ftp://x.example"}]},
        {**ZOOM, "entryPoints": [{"entryPointType": "phone", "uri": "https://x.example"}]},
        {**ZOOM, "entryPoints": [{"entryPointType": "more", "uri": "https://x.example"}]},
        {**ZOOM, "entryPoints": [ZOOM["entryPoints"][0], ZOOM["entryPoints"][0]]},
        {**ZOOM, "entryPoints": [{"entryPointType": "video", "uri": "https://x/" + "a" * 1300}]},
        {**ZOOM, "entryPoints": [{"entryPointType": "fax", "uri": "tel:+1"}]},
    ],
)
def test_malformed_conference_data_is_refused(alice, conference):
    with pytest.raises(HttpError) as info:
        insert(alice, 1, conferenceData=conference)
    assert info.value.resp.status == 400
    assert reason_of(info) == ("invalid", "Invalid conference data.")


def test_only_meet_conferences_can_be_created(alice):
    with pytest.raises(HttpError) as info:
        insert(alice, 1, conferenceData=meet_request(kind="eventHangout"))
    assert reason_of(info) == ("invalid", "Invalid conference type value.")
    with pytest.raises(HttpError) as info:
        insert(
            alice,
            1,
            conferenceData={"createRequest": {"conferenceSolutionKey": {"type": "hangoutsMeet"}}},
        )
    assert info.value.resp.status == 400


def test_a_request_without_a_solution_key_makes_a_meet(alice):
    """As Odoo's own google_calendar module asks for its Meet links."""
    created = insert(alice, 1, conferenceData={"createRequest": {"requestId": "odoo-1"}})
    assert created["conferenceData"]["conferenceSolution"]["key"]["type"] == "hangoutsMeet"
    assert created["hangoutLink"].startswith("https://meet.google.com/")


def test_pending_mode_completes_later_and_reaches_the_guests(emulator, alice):
    bob = service_for(emulator, BOB)
    emulator.conference_create_pending = True
    event = insert(alice, 1, conferenceData=meet_request(), attendees=[{"email": BOB}])
    assert event["conferenceData"]["createRequest"]["status"] == {"statusCode": "pending"}
    assert "hangoutLink" not in event and "entryPoints" not in event["conferenceData"]
    token = bob.events().list(calendarId="primary").execute()["nextSyncToken"]
    assert emulator.complete_conference_requests() == 1
    done = alice.events().get(calendarId="primary", eventId=event["id"]).execute()
    assert done["etag"] != event["etag"] and MEET.match(done["hangoutLink"])
    items = bob.events().list(calendarId="primary", syncToken=token).execute()["items"]
    assert items[0]["hangoutLink"] == done["hangoutLink"]


def test_guests_see_the_organizers_conference(emulator, alice):
    bob = service_for(emulator, BOB)
    event = insert(alice, 1, conferenceData=meet_request(), attendees=[{"email": BOB}])
    held = bob.events().get(calendarId="primary", eventId=event["id"]).execute()
    assert held["hangoutLink"] == event["hangoutLink"]
    assert held["conferenceData"] == event["conferenceData"]
