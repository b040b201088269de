"""calendarList and calendars: listing, paging, roles, insert/get/delete, unsubscribe."""

import pytest
from emu_helpers import ALICE, BOB, service_for, timed
from googleapiclient.errors import HttpError


def reason_of(info):
    return info.value.error_details[0]["reason"]


def test_calendar_list_roles_and_min_access_role(emulator, alice):
    team = emulator.add_calendar(ALICE, summary="Team")
    holidays = emulator.add_calendar(ALICE, summary="Holidays", access_role="reader")
    items = alice.calendarList().list().execute()["items"]
    roles = {item["id"]: item["accessRole"] for item in items}
    assert roles == {ALICE: "owner", team: "owner", holidays: "reader"}
    primary = [item for item in items if item.get("primary")]
    assert [item["id"] for item in primary] == [ALICE]
    writable = alice.calendarList().list(minAccessRole="writer").execute()["items"]
    assert {item["id"] for item in writable} == {ALICE, team}
    entry = alice.calendarList().get(calendarId=holidays).execute()
    assert entry["summary"] == "Holidays" and entry["accessRole"] == "reader"


def test_calendar_list_paging(emulator, alice):
    for number in range(5):
        emulator.add_calendar(ALICE, summary=f"C{number}")
    first = alice.calendarList().list(maxResults=4).execute()
    assert len(first["items"]) == 4 and first["nextPageToken"]
    second = alice.calendarList().list(maxResults=4, pageToken=first["nextPageToken"]).execute()
    assert len(second["items"]) == 2 and "nextPageToken" not in second


def test_bad_min_access_role_is_400(emulator):
    import requests

    token = emulator.issue_tokens(ALICE)["access_token"]
    answer = requests.get(
        emulator.base_url + "calendar/v3/users/me/calendarList",
        params={"minAccessRole": "boss"},
        timeout=5,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["errors"][0]["reason"] == "invalid"


def test_calendars_insert_get_delete(alice):
    created = (
        alice.calendars().insert(body={"summary": "CRM", "timeZone": "Europe/Berlin"}).execute()
    )
    assert created["id"].endswith("@group.calendar.google.com")
    assert alice.calendars().get(calendarId=created["id"]).execute()["summary"] == "CRM"
    entry = alice.calendarList().get(calendarId=created["id"]).execute()
    assert entry["accessRole"] == "owner"
    alice.calendars().delete(calendarId=created["id"]).execute()
    with pytest.raises(HttpError) as info:
        alice.calendars().get(calendarId=created["id"]).execute()
    assert info.value.resp.status == 404


def test_calendars_insert_validation(alice):
    with pytest.raises(HttpError) as info:
        alice.calendars().insert(body={"description": "no title"}).execute()
    assert info.value.resp.status == 400 and reason_of(info) == "required"
    with pytest.raises(HttpError) as info:
        alice.calendars().insert(body={"summary": "x", "timeZone": "Nowhere/City"}).execute()
    assert info.value.resp.status == 400


def test_delete_primary_calendar_is_400(alice):
    with pytest.raises(HttpError) as info:
        alice.calendars().delete(calendarId="primary").execute()
    assert info.value.resp.status == 400


def test_unsubscribe_keeps_calendar_and_hides_entry(emulator, alice):
    team = emulator.add_calendar(ALICE, summary="Team")
    alice.calendarList().delete(calendarId=team).execute()
    ids = [item["id"] for item in alice.calendarList().list().execute()["items"]]
    assert team not in ids
    shown = alice.calendarList().list(showDeleted=True).execute()["items"]
    assert [item.get("deleted") for item in shown if item["id"] == team] == [True]
    assert alice.calendars().get(calendarId=team).execute()["id"] == team
    with pytest.raises(HttpError) as info:
        alice.calendarList().delete(calendarId="primary").execute()
    assert info.value.resp.status == 400


def test_shared_calendar_between_accounts(emulator, alice):
    team = emulator.add_calendar(ALICE, summary="Team")
    emulator.share_calendar(team, BOB, "reader")
    bob = service_for(emulator, BOB)
    alice.events().insert(calendarId=team, body=timed("Shared")).execute()
    items = bob.events().list(calendarId=team).execute()
    assert items["accessRole"] == "reader"
    assert [item["summary"] for item in items["items"]] == ["Shared"]
    with pytest.raises(HttpError) as info:
        bob.events().insert(calendarId=team, body=timed("nope")).execute()
    assert info.value.resp.status == 403 and reason_of(info) == "requiredAccessLevel"
    with pytest.raises(HttpError) as info:
        bob.events().list(calendarId=ALICE).execute()
    assert info.value.resp.status == 404


def test_reader_calendar_is_read_only_and_private_events_are_busy(emulator, alice):
    holidays = emulator.add_calendar(ALICE, summary="Holidays", access_role="reader")
    owner = emulator.backend.calendars[holidays].owner
    emulator.add_account(owner)
    emulator.add_event(owner, holidays, timed("Secret", visibility="private", description="hidden"))
    items = alice.events().list(calendarId=holidays).execute()["items"]
    assert items[0]["summary"] == "busy" and "description" not in items[0]
    for call in (
        lambda: alice.events().insert(calendarId=holidays, body=timed()),
        lambda: alice.events().delete(calendarId=holidays, eventId=items[0]["id"]),
        lambda: alice.events().patch(
            calendarId=holidays, eventId=items[0]["id"], body={"summary": "x"}
        ),
    ):
        with pytest.raises(HttpError) as info:
            call().execute()
        assert info.value.resp.status == 403 and reason_of(info) == "requiredAccessLevel"


def test_calendar_list_names_the_owner_of_secondary_calendars(emulator, alice):
    own = emulator.add_calendar(ALICE, summary="Mine")
    shared = emulator.add_calendar(BOB, summary="Bob's team")
    emulator.share_calendar(shared, ALICE, "writer")
    items = {item["id"]: item for item in alice.calendarList().list().execute()["items"]}
    assert "dataOwner" not in items[ALICE], "not set for the primary calendar"
    assert items[own]["dataOwner"] == ALICE
    assert items[shared]["dataOwner"] == BOB, "also for calendars shared with the account"
