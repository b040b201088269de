"""events CRUD with Google's semantics: ids, 409, etags, 412, 410, sequence, validation."""

import pytest
from emu_helpers import ALICE, timed
from googleapiclient.errors import HttpError


def reason_of(info):
    return info.value.error_details[0]["reason"]


def test_insert_sets_google_fields(alice):
    event = (
        alice.events()
        .insert(calendarId="primary", body=timed("Hello"), sendUpdates="none")
        .execute()
    )
    assert event["status"] == "confirmed" and event["kind"] == "calendar#event"
    assert event["iCalUID"] == event["id"] + "@google.com"
    assert event["sequence"] == 0 and event["etag"].startswith('"')
    assert event["created"] == event["updated"] and event["updated"].endswith("Z")
    assert event["organizer"] == {"email": ALICE, "self": True}
    assert event["creator"]["email"] == ALICE
    assert event["start"]["dateTime"] == "2030-01-07T09:00:00Z"  # calendar zone is UTC


def test_send_updates_is_recorded(emulator, alice):
    alice.events().insert(calendarId="primary", body=timed(), sendUpdates="none").execute()
    record = next(r for r in emulator.requests if r.api_call == "events.insert")
    assert record.query["sendUpdates"] == "none" and record.user == ALICE
    assert record.status == 200 and record.in_batch is False
    assert record.headers["authorization"] == "<redacted>"


def test_client_ids_rules_and_duplicates(alice):
    body = timed(id="crm0a1b2c3d4e5")
    alice.events().insert(calendarId="primary", body=body).execute()
    with pytest.raises(HttpError) as info:
        alice.events().insert(calendarId="primary", body=body).execute()
    assert info.value.resp.status == 409 and reason_of(info) == "duplicate"
    alice.events().delete(calendarId="primary", eventId="crm0a1b2c3d4e5").execute()
    with pytest.raises(HttpError) as info:  # ids of deleted events stay taken
        alice.events().insert(calendarId="primary", body=body).execute()
    assert info.value.resp.status == 409
    for bad in ("abc", "UPPERCASE123", "withxyz12345", "a" * 1025, "has_underscore"):
        with pytest.raises(HttpError) as info:
            alice.events().insert(calendarId="primary", body=timed(id=bad)).execute()
        assert info.value.resp.status == 400 and reason_of(info) == "invalid", bad


def test_patch_changes_etag_updated_sequence(emulator, alice):
    event = alice.events().insert(calendarId="primary", body=timed()).execute()
    emulator.clock.advance(5)
    patched = (
        alice.events()
        .patch(calendarId="primary", eventId=event["id"], body={"summary": "Renamed"})
        .execute()
    )
    assert patched["etag"] != event["etag"] and patched["updated"] > event["updated"]
    assert patched["sequence"] == 0 and patched["summary"] == "Renamed"
    assert patched["start"] == event["start"]
    moved = (
        alice.events()
        .patch(
            calendarId="primary",
            eventId=event["id"],
            body={
                "start": {"dateTime": "2030-01-07T12:00:00Z"},
                "end": {"dateTime": "2030-01-07T13:00:00Z"},
            },
        )
        .execute()
    )
    assert moved["sequence"] == 1 and moved["summary"] == "Renamed"
    all_day = (
        alice.events()
        .patch(
            calendarId="primary",
            eventId=event["id"],
            body={"start": {"date": "2030-01-08"}, "end": {"date": "2030-01-09"}},
        )
        .execute()
    )
    assert all_day["start"] == {"date": "2030-01-08"}
    cleared = (
        alice.events()
        .patch(calendarId="primary", eventId=event["id"], body={"location": "Room"})
        .execute()
    )
    assert cleared["location"] == "Room"


def test_update_replaces_whole_body(alice):
    event = (
        alice.events()
        .insert(calendarId="primary", body=timed(description="old", location="Room"))
        .execute()
    )
    updated = (
        alice.events()
        .update(calendarId="primary", eventId=event["id"], body=timed("New"))
        .execute()
    )
    assert updated["summary"] == "New" and "description" not in updated
    assert "location" not in updated and updated["created"] == event["created"]
    assert updated["id"] == event["id"] and updated["iCalUID"] == event["iCalUID"]


def test_if_match(emulator, alice):
    event = alice.events().insert(calendarId="primary", body=timed()).execute()
    request = alice.events().patch(calendarId="primary", eventId=event["id"], body={"summary": "A"})
    request.headers["If-Match"] = event["etag"]
    first = request.execute()
    stale = alice.events().patch(calendarId="primary", eventId=event["id"], body={"summary": "B"})
    stale.headers["If-Match"] = event["etag"]
    with pytest.raises(HttpError) as info:
        stale.execute()
    assert info.value.resp.status == 412 and reason_of(info) == "conditionNotMet"
    assert emulator.get_event_raw(ALICE, event["id"])["summary"] == "A"
    delete = alice.events().delete(calendarId="primary", eventId=event["id"])
    delete.headers["If-Match"] = event["etag"]
    with pytest.raises(HttpError) as info:
        delete.execute()
    assert info.value.resp.status == 412
    delete = alice.events().delete(calendarId="primary", eventId=event["id"])
    delete.headers["If-Match"] = first["etag"]
    delete.execute()


def test_delete_semantics(emulator, alice):
    event = alice.events().insert(calendarId="primary", body=timed()).execute()
    alice.events().delete(calendarId="primary", eventId=event["id"]).execute()
    with pytest.raises(HttpError) as info:
        alice.events().delete(calendarId="primary", eventId=event["id"]).execute()
    assert info.value.resp.status == 410 and reason_of(info) == "deleted"
    with pytest.raises(HttpError) as info:
        alice.events().delete(calendarId="primary", eventId="neverexisted0").execute()
    assert info.value.resp.status == 404 and reason_of(info) == "notFound"
    # A deleted event stays readable as cancelled.
    got = alice.events().get(calendarId="primary", eventId=event["id"]).execute()
    assert got["status"] == "cancelled" and got["summary"] == "Meeting"
    assert emulator.get_event_raw(ALICE, event["id"])["status"] == "cancelled"
    assert emulator.list_events_raw(ALICE) == []
    assert len(emulator.list_events_raw(ALICE, include_deleted=True)) == 1


def test_patch_of_deleted_event_keeps_it_cancelled_unless_restored(alice):
    event = alice.events().insert(calendarId="primary", body=timed()).execute()
    alice.events().delete(calendarId="primary", eventId=event["id"]).execute()
    patched = (
        alice.events()
        .patch(calendarId="primary", eventId=event["id"], body={"summary": "still gone"})
        .execute()
    )
    assert patched["status"] == "cancelled"
    restored = (
        alice.events()
        .patch(calendarId="primary", eventId=event["id"], body={"status": "confirmed"})
        .execute()
    )
    assert restored["status"] == "confirmed"
    assert [e["id"] for e in alice.events().list(calendarId="primary").execute()["items"]] == [
        event["id"]
    ]


def test_get_not_found_and_if_none_match(emulator, alice):
    with pytest.raises(HttpError) as info:
        alice.events().get(calendarId="primary", eventId="missing00").execute()
    assert info.value.resp.status == 404
    event = alice.events().insert(calendarId="primary", body=timed()).execute()
    import requests

    token = emulator.issue_tokens(ALICE)["access_token"]
    answer = requests.get(
        f"{emulator.base_url}calendar/v3/calendars/{ALICE}/events/{event['id']}",
        timeout=5,
        headers={"Authorization": f"Bearer {token}", "If-None-Match": event["etag"]},
    )
    assert answer.status_code == 304 and answer.headers["ETag"] == event["etag"]


@pytest.mark.parametrize(
    "body, reason",
    [
        (
            {
                "start": {"dateTime": "2030-01-01T10:00:00"},
                "end": {"dateTime": "2030-01-01T11:00:00"},
            },
            "required",
        ),
        (
            {
                "start": {"dateTime": "2030-01-01T10:00:00Z"},
                "end": {"dateTime": "2030-01-01T09:00:00Z"},
            },
            "timeRangeEmpty",
        ),
        ({"start": {"date": "2030-01-02"}, "end": {"date": "2030-01-02"}}, "timeRangeEmpty"),
        (
            {
                "start": {"date": "2030-01-01", "dateTime": "2030-01-01T10:00:00Z"},
                "end": {"date": "2030-01-02"},
            },
            "invalid",
        ),
        ({"start": {"date": "2030-01-01"}, "end": {"dateTime": "2030-01-02T10:00:00Z"}}, "invalid"),
        (
            {
                "start": {"dateTime": "2030-01-01T10:00:00", "timeZone": "Mars/Base"},
                "end": {"dateTime": "2030-01-01T11:00:00Z"},
            },
            "invalid",
        ),
        ({"end": {"date": "2030-01-02"}}, "required"),
        ({"start": {"date": "2030-01-01"}}, "required"),
        ({"start": {"date": "2030-13-01"}, "end": {"date": "2030-01-02"}}, "invalid"),
        (
            {"start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}, "unknownField": 1},
            "invalid",
        ),
        (
            {"start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}, "summary": 12},
            "invalid",
        ),
        (
            {
                "start": {"date": "2030-01-01"},
                "end": {"date": "2030-01-02"},
                "visibility": "secret",
            },
            "invalid",
        ),
        (
            {"start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}, "attendees": [{}]},
            "required",
        ),
        (
            {
                "start": {"date": "2030-01-01"},
                "end": {"date": "2030-01-02"},
                "recurrence": ["RRULE:FREQ=SOMETIMES"],
            },
            "invalid",
        ),
        (
            {
                "start": {"date": "2030-01-01"},
                "end": {"date": "2030-01-02"},
                "eventType": "fromGmail",
            },
            "eventTypeRestriction",
        ),
        (
            {"start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}, "eventType": "party"},
            "invalid",
        ),
        (
            {
                "start": {"dateTime": "2030-01-01T10:00:00+01:00"},
                "end": {"dateTime": "2030-01-01T11:00:00+01:00"},
                "recurrence": ["RRULE:FREQ=DAILY"],
            },
            "required",
        ),
    ],
)
def test_event_validation(alice, body, reason):
    with pytest.raises(HttpError) as info:
        alice.events().insert(calendarId="primary", body=body).execute()
    assert info.value.resp.status == 400
    error = info.value.error_details[0]
    assert error["reason"] == reason and error["domain"] == "global"


def test_error_document_shape(emulator, alice):
    import json

    with pytest.raises(HttpError) as info:
        alice.events().insert(calendarId="primary", body={"foo": 1}).execute()
    error = json.loads(info.value.content)["error"]
    assert error["code"] == 400 and error["status"] == "INVALID_ARGUMENT"
    assert error["message"] and error["errors"][0]["message"]


@pytest.mark.parametrize(
    "params",
    [
        {"maxResults": "0"},
        {"showDeleted": "yes"},
        {"orderBy": "random"},
        {"timeMin": "2030-01-01T00:00:00"},
        {"timeMin": "yesterday"},
        {"bogus": "1"},
    ],
)
def test_query_validation(emulator, params):
    import requests

    token = emulator.issue_tokens(ALICE)["access_token"]
    answer = requests.get(
        f"{emulator.base_url}calendar/v3/calendars/primary/events",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert answer.status_code == 400, params
    assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_event_types(emulator, alice):
    ooo = (
        alice.events()
        .insert(calendarId="primary", body=timed("Away", eventType="outOfOffice"))
        .execute()
    )
    assert ooo["eventType"] == "outOfOffice"
    team = emulator.add_calendar(ALICE, summary="Team")
    with pytest.raises(HttpError) as info:
        alice.events().insert(calendarId=team, body=timed(eventType="focusTime")).execute()
    assert info.value.resp.status == 400
    with pytest.raises(HttpError) as info:
        alice.events().patch(
            calendarId="primary", eventId=ooo["id"], body={"eventType": "default"}
        ).execute()
    assert info.value.resp.status == 400
    gmail = emulator.add_event(ALICE, ALICE, {**timed("Flight"), "eventType": "fromGmail"})
    with pytest.raises(HttpError) as info:
        alice.events().patch(
            calendarId="primary", eventId=gmail["id"], body={"summary": "Renamed"}
        ).execute()
    assert info.value.resp.status == 400 and reason_of(info) == "eventTypeRestriction"
    alice.events().patch(
        calendarId="primary", eventId=gmail["id"], body={"visibility": "private"}
    ).execute()
    birthday = emulator.add_event(
        ALICE,
        ALICE,
        {
            "summary": "Bob's birthday",
            "eventType": "birthday",
            "start": {"date": "2030-02-01"},
            "end": {"date": "2030-02-02"},
            "recurrence": ["RRULE:FREQ=YEARLY"],
        },
    )
    with pytest.raises(HttpError) as info:
        alice.events().patch(
            calendarId="primary", eventId=birthday["id"], body={"location": "Somewhere"}
        ).execute()
    assert info.value.resp.status == 400 and reason_of(info) == "eventTypeRestriction"
    alice.events().patch(
        calendarId="primary", eventId=birthday["id"], body={"colorId": "3"}
    ).execute()
    types = alice.events().list(calendarId="primary", eventTypes=["birthday"]).execute()
    assert [e["id"] for e in types["items"]] == [birthday["id"]]


def test_fields_partial_response(alice):
    alice.events().insert(calendarId="primary", body=timed("A")).execute()
    page = (
        alice.events()
        .list(
            calendarId="primary", fields="nextPageToken,nextSyncToken,items(id,etag,start/dateTime)"
        )
        .execute()
    )
    assert set(page) == {"nextSyncToken", "items"}
    assert set(page["items"][0]) == {"id", "etag", "start"}
    assert set(page["items"][0]["start"]) == {"dateTime"}
    event = alice.events().insert(calendarId="primary", body=timed("B"), fields="id,etag").execute()
    assert set(event) == {"id", "etag"}


def test_import_and_move(emulator, alice):
    imported = (
        alice.events()
        .import_(calendarId="primary", body={**timed("Imported"), "iCalUID": "abc@example.org"})
        .execute()
    )
    assert imported["iCalUID"] == "abc@example.org"
    again = (
        alice.events()
        .import_(
            calendarId="primary", body={**timed("Imported twice"), "iCalUID": "abc@example.org"}
        )
        .execute()
    )
    assert again["id"] == imported["id"] and again["summary"] == "Imported twice"
    team = emulator.add_calendar(ALICE, summary="Team")
    moved = (
        alice.events()
        .move(calendarId="primary", eventId=imported["id"], destination=team)
        .execute()
    )
    assert moved["organizer"]["email"] == team
    assert emulator.get_event_raw(ALICE, imported["id"])["status"] == "cancelled"
    assert emulator.get_event_raw(team, imported["id"])["status"] == "confirmed"
