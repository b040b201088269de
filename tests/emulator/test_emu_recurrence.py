"""Recurring series: instances, exceptions, cancelled instances, singleEvents."""

import pytest
from emu_helpers import ALICE
from googleapiclient.errors import HttpError

SERIES = {
    "summary": "Weekly",
    "start": {"dateTime": "2030-03-18T10:00:00", "timeZone": "Europe/Berlin"},
    "end": {"dateTime": "2030-03-18T11:00:00", "timeZone": "Europe/Berlin"},
    "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=6", "EXDATE;TZID=Europe/Berlin:20300408T100000"],
}


@pytest.fixture
def series(alice):
    return alice.events().insert(calendarId="primary", body=SERIES).execute()


def test_instances_ids_and_dst(alice, series):
    items = alice.events().instances(calendarId="primary", eventId=series["id"]).execute()["items"]
    assert [i["id"] for i in items] == [
        f"{series['id']}_20300318T090000Z",
        f"{series['id']}_20300325T090000Z",
        f"{series['id']}_20300401T080000Z",
        f"{series['id']}_20300415T080000Z",
        f"{series['id']}_20300422T080000Z",
    ]
    assert items[2]["start"]["dateTime"] == "2030-04-01T10:00:00+02:00"  # after DST switch
    assert all(i["recurringEventId"] == series["id"] for i in items)
    assert items[0]["originalStartTime"] == items[0]["start"]
    page = (
        alice.events().instances(calendarId="primary", eventId=series["id"], maxResults=2).execute()
    )
    assert len(page["items"]) == 2 and page["nextPageToken"]


def test_exception_and_cancelled_instance(alice, series):
    moved_id = f"{series['id']}_20300325T090000Z"
    moved = (
        alice.events()
        .patch(
            calendarId="primary",
            eventId=moved_id,
            body={
                "summary": "Moved",
                "start": {"dateTime": "2030-03-26T10:00:00+01:00"},
                "end": {"dateTime": "2030-03-26T11:00:00+01:00"},
            },
        )
        .execute()
    )
    assert moved["id"] == moved_id and moved["recurringEventId"] == series["id"]
    assert moved["originalStartTime"]["dateTime"] == "2030-03-25T10:00:00+01:00"
    cancelled_id = f"{series['id']}_20300401T080000Z"
    alice.events().delete(calendarId="primary", eventId=cancelled_id).execute()
    with pytest.raises(HttpError) as info:
        alice.events().delete(calendarId="primary", eventId=cancelled_id).execute()
    assert info.value.resp.status == 410

    plain = alice.events().list(calendarId="primary").execute()["items"]
    by_id = {item["id"]: item for item in plain}
    # Google lists a cancelled instance even without showDeleted when singleEvents is off.
    assert set(by_id) == {series["id"], moved_id, cancelled_id}
    assert by_id[cancelled_id]["status"] == "cancelled"
    assert by_id[cancelled_id]["recurringEventId"] == series["id"]
    assert "summary" not in by_id[cancelled_id]
    assert by_id[series["id"]]["recurrence"] == SERIES["recurrence"]

    single = (
        alice.events()
        .list(calendarId="primary", singleEvents=True, orderBy="startTime")
        .execute()["items"]
    )
    assert [i["id"][-16:] for i in single] == [
        "20300318T090000Z",
        "20300325T090000Z",
        "20300415T080000Z",
        "20300422T080000Z",
    ]
    assert single[1]["summary"] == "Moved"
    single_deleted = (
        alice.events()
        .list(calendarId="primary", singleEvents=True, showDeleted=True)
        .execute()["items"]
    )
    assert cancelled_id in {i["id"] for i in single_deleted}


def test_instance_get_and_unknown_instance(alice, series):
    got = (
        alice.events()
        .get(calendarId="primary", eventId=f"{series['id']}_20300318T090000Z")
        .execute()
    )
    assert got["recurringEventId"] == series["id"]
    for bad in (f"{series['id']}_20300319T090000Z", f"{series['id']}_20300408T080000Z"):
        with pytest.raises(HttpError) as info:
            alice.events().get(calendarId="primary", eventId=bad).execute()
        assert info.value.resp.status == 404


def test_incremental_sync_sees_exceptions(alice, series):
    token = alice.events().list(calendarId="primary").execute()["nextSyncToken"]
    alice.events().delete(
        calendarId="primary", eventId=f"{series['id']}_20300318T090000Z"
    ).execute()
    delta = alice.events().list(calendarId="primary", syncToken=token).execute()["items"]
    assert [(i["id"], i["status"]) for i in delta] == [
        (f"{series['id']}_20300318T090000Z", "cancelled")
    ]
    assert delta[0]["originalStartTime"]["dateTime"] == "2030-03-18T10:00:00+01:00"


def test_deleting_series_cancels_exceptions(emulator, alice, series):
    moved_id = f"{series['id']}_20300325T090000Z"
    alice.events().patch(calendarId="primary", eventId=moved_id, body={"summary": "x"}).execute()
    alice.events().delete(calendarId="primary", eventId=series["id"]).execute()
    assert emulator.get_event_raw(ALICE, moved_id)["status"] == "cancelled"
    assert alice.events().list(calendarId="primary", singleEvents=True).execute()["items"] == []


def test_all_day_series_and_rdate(alice):
    body = {
        "summary": "Daily",
        "start": {"date": "2030-05-01"},
        "end": {"date": "2030-05-02"},
        "recurrence": ["RRULE:FREQ=DAILY;UNTIL=20300503", "RDATE;VALUE=DATE:20300510"],
    }
    event = alice.events().insert(calendarId="primary", body=body).execute()
    items = alice.events().instances(calendarId="primary", eventId=event["id"]).execute()["items"]
    assert [i["id"] for i in items] == [
        f"{event['id']}_{d}" for d in ("20300501", "20300502", "20300503", "20300510")
    ]
    assert items[-1]["start"] == {"date": "2030-05-10"}


def test_series_window_and_endless_series(alice):
    body = dict(SERIES, recurrence=["RRULE:FREQ=DAILY"])
    event = alice.events().insert(calendarId="primary", body=body).execute()
    window = (
        alice.events()
        .list(calendarId="primary", timeMin="2031-01-01T00:00:00Z", timeMax="2031-01-08T00:00:00Z")
        .execute()["items"]
    )
    assert [i["id"] for i in window] == [event["id"]]
    expanded = (
        alice.events()
        .list(
            calendarId="primary",
            singleEvents=True,
            timeMin="2031-01-01T00:00:00Z",
            timeMax="2031-01-08T00:00:00Z",
        )
        .execute()["items"]
    )
    assert len(expanded) == 7
    before = (
        alice.events().list(calendarId="primary", timeMax="2030-01-01T00:00:00Z").execute()["items"]
    )
    assert before == []


def test_until_at_the_end_of_time_east_of_utc(alice):
    """Google accepts an UNTIL at the last second of year 9999 (some calendar apps
    write it for "no end"), also where that instant is already year 10000 locally."""
    body = dict(
        SERIES,
        start={"dateTime": "2030-03-18T10:00:00", "timeZone": "Asia/Tokyo"},
        end={"dateTime": "2030-03-18T11:00:00", "timeZone": "Asia/Tokyo"},
        recurrence=["RRULE:FREQ=DAILY;UNTIL=99991231T235959Z"],
    )
    series = alice.events().insert(calendarId="primary", body=body).execute()
    items = (
        alice.events()
        .instances(calendarId="primary", eventId=series["id"], maxResults=3)
        .execute()["items"]
    )
    assert [i["start"]["dateTime"][:10] for i in items] == [
        "2030-03-18",
        "2030-03-19",
        "2030-03-20",
    ]
