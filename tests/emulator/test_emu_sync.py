"""events.list: paging, syncToken/nextSyncToken, 410 fullSyncRequired, filters."""

import pytest
from emu_helpers import ALICE, timed
from googleapiclient.errors import HttpError


def all_pages(service, **params):
    pages = []
    request = service.events().list(calendarId="primary", **params)
    while request is not None:
        page = request.execute()
        pages.append(page)
        request = service.events().list_next(request, page)
    return pages


def seed(emulator, count, day="2030-01-07"):
    ids = []
    for number in range(count):
        event = emulator.add_event(
            ALICE,
            ALICE,
            timed(
                f"E{number}",
                start=f"{day}T10:{number % 60:02d}:00Z",
                end=f"{day}T11:{number % 60:02d}:00Z",
            ),
        )
        ids.append(event["id"])
    return ids


def test_paging_default_and_max(emulator, alice):
    ids = seed(emulator, 260)
    pages = all_pages(alice)
    assert [len(p["items"]) for p in pages] == [250, 10]
    assert "nextSyncToken" not in pages[0] and pages[-1]["nextSyncToken"]
    assert "nextPageToken" not in pages[-1]
    assert sorted(i["id"] for p in pages for i in p["items"]) == sorted(ids)
    big = alice.events().list(calendarId="primary", maxResults=5000).execute()
    assert len(big["items"]) == 260 and big["nextSyncToken"]
    small = all_pages(alice, maxResults=100)
    assert [len(p["items"]) for p in small] == [100, 100, 60]


def test_page_token_requires_same_query(emulator, alice):
    seed(emulator, 3)
    first = alice.events().list(calendarId="primary", maxResults=2, showDeleted=True).execute()
    with pytest.raises(HttpError) as info:
        alice.events().list(
            calendarId="primary", maxResults=2, pageToken=first["nextPageToken"]
        ).execute()
    assert info.value.resp.status == 400


def test_incremental_sync(emulator, alice):
    keep, change, drop = seed(emulator, 3)
    full = alice.events().list(calendarId="primary").execute()
    token = full["nextSyncToken"]
    idle = alice.events().list(calendarId="primary", syncToken=token).execute()
    assert idle["items"] == [] and idle["nextSyncToken"]
    alice.events().patch(calendarId="primary", eventId=change, body={"summary": "C"}).execute()
    alice.events().delete(calendarId="primary", eventId=drop).execute()
    new = alice.events().insert(calendarId="primary", body=timed("New")).execute()
    delta = alice.events().list(calendarId="primary", syncToken=idle["nextSyncToken"]).execute()
    by_id = {item["id"]: item for item in delta["items"]}
    assert set(by_id) == {change, drop, new["id"]}
    assert by_id[change]["summary"] == "C"
    assert by_id[drop] == {
        "kind": "calendar#event",
        "etag": by_id[drop]["etag"],
        "id": drop,
        "status": "cancelled",
    }
    again = alice.events().list(calendarId="primary", syncToken=delta["nextSyncToken"]).execute()
    assert again["items"] == []
    # old tokens stay usable until the horizon
    assert len(alice.events().list(calendarId="primary", syncToken=token).execute()["items"]) == 3
    assert keep not in by_id


def test_incremental_paging_repeats_query(emulator, alice):
    token = alice.events().list(calendarId="primary").execute()["nextSyncToken"]
    seed(emulator, 5)
    pages = all_pages(alice, syncToken=token, maxResults=2)
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert all("nextSyncToken" not in p for p in pages[:-1]) and pages[-1]["nextSyncToken"]
    requests_seen = [r.query for r in emulator.requests if r.api_call == "events.list"][-3:]
    assert all(q["syncToken"] == token for q in requests_seen)


def test_changes_between_pages_come_with_next_sync(emulator, alice):
    seed(emulator, 3)
    first = alice.events().list(calendarId="primary", maxResults=2).execute()
    late = alice.events().insert(calendarId="primary", body=timed("late")).execute()
    last = (
        alice.events()
        .list(calendarId="primary", maxResults=2, pageToken=first["nextPageToken"])
        .execute()
    )
    delta = alice.events().list(calendarId="primary", syncToken=last["nextSyncToken"]).execute()
    assert [item["id"] for item in delta["items"]] == [late["id"]]


@pytest.mark.parametrize(
    "param, value",
    [
        ("timeMin", "2030-01-01T00:00:00Z"),
        ("timeMax", "2030-01-01T00:00:00Z"),
        ("updatedMin", "2030-01-01T00:00:00Z"),
        ("iCalUID", "x@google.com"),
        ("orderBy", "updated"),
        ("q", "x"),
        ("privateExtendedProperty", "a=b"),
        ("sharedExtendedProperty", "a=b"),
    ],
)
def test_sync_token_rejects_incompatible_params(alice, param, value):
    token = alice.events().list(calendarId="primary").execute()["nextSyncToken"]
    with pytest.raises(HttpError) as info:
        alice.events().list(calendarId="primary", syncToken=token, **{param: value}).execute()
    assert info.value.resp.status == 400


def test_full_sync_required(emulator, alice):
    token = alice.events().list(calendarId="primary").execute()["nextSyncToken"]
    emulator.invalidate_sync_tokens(ALICE)
    with pytest.raises(HttpError) as info:
        alice.events().list(calendarId="primary", syncToken=token).execute()
    assert info.value.resp.status == 410
    assert info.value.error_details[0]["reason"] == "fullSyncRequired"
    token = alice.events().list(calendarId="primary").execute()["nextSyncToken"]
    alice.events().list(calendarId="primary", syncToken=token).execute()
    emulator.clock.advance(emulator.sync_token_horizon + 1)
    with pytest.raises(HttpError) as info:
        alice.events().list(calendarId="primary", syncToken=token).execute()
    assert info.value.resp.status == 410
    with pytest.raises(HttpError) as info:
        alice.events().list(calendarId="primary", syncToken="garbage").execute()
    assert info.value.resp.status == 410


def test_show_deleted_and_time_window(emulator, alice):
    early = emulator.add_event(
        ALICE, ALICE, timed("early", start="2030-01-01T10:00:00Z", end="2030-01-01T11:00:00Z")
    )
    late = emulator.add_event(
        ALICE, ALICE, timed("late", start="2030-02-01T10:00:00Z", end="2030-02-01T11:00:00Z")
    )
    allday = emulator.add_event(
        ALICE,
        ALICE,
        {"summary": "allday", "start": {"date": "2030-01-15"}, "end": {"date": "2030-01-16"}},
    )
    gone = emulator.add_event(
        ALICE, ALICE, timed("gone", start="2030-01-20T10:00:00Z", end="2030-01-20T11:00:00Z")
    )
    alice.events().delete(calendarId="primary", eventId=gone["id"]).execute()

    def ids(**params):
        return {
            e["id"] for e in alice.events().list(calendarId="primary", **params).execute()["items"]
        }

    assert ids() == {early["id"], late["id"], allday["id"]}
    assert ids(showDeleted=True) == {early["id"], late["id"], allday["id"], gone["id"]}
    assert ids(timeMin="2030-01-10T00:00:00Z") == {late["id"], allday["id"]}
    assert ids(timeMax="2030-01-10T00:00:00Z") == {early["id"]}
    assert ids(timeMin="2030-01-01T10:30:00+00:00", timeMax="2030-01-15T12:00:00Z") == {
        early["id"],
        allday["id"],
    }
    assert ids(iCalUID=late["iCalUID"]) == {late["id"]}
    assert ids(q="LATE") == {late["id"]}
    # a window-limited full sync still yields a sync token
    assert (
        alice.events()
        .list(calendarId="primary", timeMin="2030-01-10T00:00:00Z", showDeleted=True)
        .execute()["nextSyncToken"]
    )


def test_updated_min_includes_recent_deletions(emulator, alice):
    old = emulator.add_event(ALICE, ALICE, timed("old"))
    emulator.clock.advance(60)
    mark = emulator.clock.now().isoformat()
    emulator.clock.advance(60)
    fresh = alice.events().insert(calendarId="primary", body=timed("fresh")).execute()
    gone = alice.events().insert(calendarId="primary", body=timed("gone")).execute()
    alice.events().delete(calendarId="primary", eventId=gone["id"]).execute()
    items = alice.events().list(calendarId="primary", updatedMin=mark).execute()["items"]
    assert {i["id"] for i in items} == {fresh["id"], gone["id"]}
    assert old["id"] not in {i["id"] for i in items}


def test_order_by(emulator, alice):
    second = emulator.add_event(
        ALICE, ALICE, timed("2", start="2030-01-02T10:00:00Z", end="2030-01-02T11:00:00Z")
    )
    first = emulator.add_event(
        ALICE, ALICE, timed("1", start="2030-01-01T10:00:00Z", end="2030-01-01T11:00:00Z")
    )
    items = (
        alice.events()
        .list(calendarId="primary", singleEvents=True, orderBy="startTime")
        .execute()["items"]
    )
    assert [i["id"] for i in items] == [first["id"], second["id"]]
    emulator.clock.advance(5)
    alice.events().patch(
        calendarId="primary", eventId=second["id"], body={"summary": "x"}
    ).execute()
    items = alice.events().list(calendarId="primary", orderBy="updated").execute()["items"]
    assert [i["id"] for i in items] == [first["id"], second["id"]]
    with pytest.raises(HttpError) as info:
        alice.events().list(calendarId="primary", orderBy="startTime").execute()
    assert info.value.resp.status == 400


def test_extended_property_filter(alice):
    tagged = (
        alice.events()
        .insert(calendarId="primary", body=timed(extendedProperties={"private": {"odoo_id": "42"}}))
        .execute()
    )
    alice.events().insert(calendarId="primary", body=timed()).execute()
    items = (
        alice.events()
        .list(calendarId="primary", privateExtendedProperty="odoo_id=42")
        .execute()["items"]
    )
    assert [i["id"] for i in items] == [tagged["id"]]
