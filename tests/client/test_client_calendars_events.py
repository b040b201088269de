"""Calendar list/insert and event reads (paging, incremental sync, 410)."""

from __future__ import annotations

import datetime as dt
import math
import time

import pytest
from client_helpers import ALICE, delete_calendar, get_calendar, list_events

from crm_google_calendar_sync.sync.errors import FullSyncRequired, NotFound
from crm_google_calendar_sync.sync.google_client import (
    DEFAULT_EVENT_FIELDS,
    BatchOperation,
    GoogleCalendarClient,
)


def _timed(start: dt.datetime, hours: int = 1, **extra) -> dict:
    zone = extra.pop("zone", None)
    body = {
        "summary": extra.pop("summary", "Meeting"),
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "end": {"dateTime": (start + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")},
    }
    if zone:
        body["start"]["timeZone"] = body["end"]["timeZone"] = zone
    body.update(extra)
    return body


SOON = dt.datetime.utcnow().replace(microsecond=0, second=0) + dt.timedelta(days=1)


def _api_calls(server, name):
    return server.counters.get(name, 0)


def test_service_urls_point_to_the_emulator(client, server):
    request = client.service.events().list(calendarId=ALICE)
    assert request.uri.startswith(server.base_url + "calendar/v3/calendars/")
    assert client.batch_uri == server.base_url + "batch/calendar/v3"


def test_service_build_is_cheap(client, server):
    started = time.perf_counter()
    for _ in range(5):
        GoogleCalendarClient(client.credentials, server.base_url)
    # documented figure: a few ms each; generous bound for slow CI machines
    assert (time.perf_counter() - started) / 5 < 0.25


def test_list_calendars_includes_hidden_and_roles(server, client):
    team = server.add_calendar(ALICE, summary="Team", access_role="reader")
    calendars = {c["id"]: c for c in client.list_calendars()}
    assert calendars[ALICE]["accessRole"] == "owner"
    assert calendars[ALICE].get("primary") is True
    assert calendars[team]["accessRole"] == "reader"
    assert calendars[team]["summary"] == "Team"


def test_list_calendars_pages(server, client):
    for number in range(260):
        server.add_calendar(ALICE, summary=f"Cal {number}", access_role="writer")
    server.reset_requests()
    calendars = client.list_calendars()
    assert len(calendars) == 261
    assert _api_calls(server, "calendarList.list") == 2


def test_insert_get_delete_calendar(server, client):
    created = client.insert_calendar("CRM", "Europe/Berlin")
    assert created["summary"] == "CRM"
    assert created["id"] != ALICE
    entry = get_calendar(client, created["id"])
    assert entry["accessRole"] == "owner"
    assert entry["summary"] == "CRM"
    assert any(c["id"] == created["id"] for c in client.list_calendars())
    assert delete_calendar(client, created["id"]) is True
    assert delete_calendar(client, created["id"]) is False
    with pytest.raises(NotFound):
        get_calendar(client, created["id"])


def test_insert_calendar_lost_response_is_not_duplicated(server, client):
    server.faults.add("lost_response", method="POST", path=r"/calendars$", times=1)
    created = client.insert_calendar("CRM")
    crm = [c for c in client.list_calendars() if c.get("summary") == "CRM"]
    assert len(crm) == 1
    assert crm[0]["id"] == created["id"]
    # applied once: no resend of the insert (neither ours nor httplib2's)
    assert server.counters.get("calendars.insert", 0) == 1


def test_paging_2600_events_costs_two_requests(server, client):
    for number in range(2600):
        server.add_event(
            ALICE, ALICE, _timed(SOON + dt.timedelta(minutes=number), summary=f"E{number}")
        )
    server.reset_requests()
    pages = list(client.iter_event_pages(ALICE, time_min=SOON - dt.timedelta(days=30)))
    assert len(pages) == math.ceil(2600 / 2500) == 2
    assert [p.is_last for p in pages] == [False, True]
    assert pages[0].next_sync_token is None and pages[1].next_sync_token
    assert sum(len(p.items) for p in pages) == 2600
    assert _api_calls(server, "events.list") == 2
    assert server.counters["http_requests"] == 2
    assert client.stats["http_requests"] == 2
    query = next(r.query for r in server.requests if r.api_call == "events.list")
    assert query["maxResults"] in ("2500", ["2500"])


def test_items_carry_the_mapped_fields(server, client):
    server.add_event(
        ALICE,
        ALICE,
        _timed(
            SOON,
            summary="Visible",
            location="Room",
            description="D",
            visibility="private",
            transparency="transparent",
        ),
    )
    items, token = list_events(client, ALICE, time_min=SOON - dt.timedelta(days=1))
    assert token
    (event,) = items
    for key in (
        "id",
        "status",
        "summary",
        "description",
        "location",
        "start",
        "end",
        "visibility",
        "transparency",
        "iCalUID",
        "etag",
        "updated",
        "created",
        "organizer",
        "sequence",
    ):
        assert key in event, key
    assert "kind" not in event or "fields" not in DEFAULT_EVENT_FIELDS


def test_incremental_sync_with_sync_token(server, client):
    first = server.add_event(ALICE, ALICE, _timed(SOON, summary="first"))
    _items, token = list_events(client, ALICE, time_min=SOON - dt.timedelta(days=30))
    # nothing changed: one request, no items, a token
    server.reset_requests()
    items, token2 = list_events(client, ALICE, sync_token=token)
    assert items == [] and token2
    assert _api_calls(server, "events.list") == 1
    query = server.requests[-1].query
    assert "syncToken" in query and "timeMin" not in query
    # a new and a deleted event come in incrementally
    second = server.add_event(ALICE, ALICE, _timed(SOON, summary="second"))
    first_id = first["id"] if isinstance(first, dict) else first
    second_id = second["id"] if isinstance(second, dict) else second
    client.execute_batch([BatchOperation("delete", ALICE, event_id=first_id)])
    items, token3 = list_events(client, ALICE, sync_token=token2)
    by_id = {item["id"]: item for item in items}
    assert set(by_id) == {first_id, second_id}
    assert by_id[first_id]["status"] == "cancelled"
    assert by_id[second_id]["summary"] == "second"
    assert token3 and token3 != token2


def test_sync_token_and_time_min_are_exclusive(client):
    with pytest.raises(ValueError):
        next(client.iter_event_pages(ALICE, sync_token="t", time_min=SOON))


def test_invalidated_sync_token_raises_full_sync_required(server, client):
    _items, token = list_events(client, ALICE, time_min=SOON - dt.timedelta(days=30))
    server.invalidate_sync_tokens(ALICE)
    with pytest.raises(FullSyncRequired) as caught:
        list_events(client, ALICE, sync_token=token)
    assert caught.value.status == 410
    assert client.stats["retries"] == 0


def test_get_event_and_instances(server, client):
    series = server.add_event(
        ALICE,
        ALICE,
        _timed(SOON, summary="Daily", recurrence=["RRULE:FREQ=DAILY;COUNT=3"], zone="UTC"),
    )
    series_id = series["id"] if isinstance(series, dict) else series
    event = client.get_event(ALICE, series_id)
    assert event["recurrence"] == ["RRULE:FREQ=DAILY;COUNT=3"]
    instances = client.list_instances(ALICE, series_id)
    assert len(instances) == 3
    assert all(i["recurringEventId"] == series_id for i in instances)
    with pytest.raises(NotFound):
        client.get_event(ALICE, "doesnotexist0123")


def test_field_masks_exist_in_the_discovery_schema():
    """Google answers 400 to a mask naming an unknown field: check ours offline."""
    import json
    from importlib import resources

    from crm_google_calendar_sync.sync.google_client import CALENDAR_FIELDS, EVENT_FIELDS

    document = json.loads(
        resources.files("googleapiclient.discovery_cache.documents")
        .joinpath("calendar.v3.json")
        .read_text()
    )
    schemas = document["schemas"]

    def properties(schema):
        schema = schemas[schema["$ref"]] if "$ref" in schema else schema
        if schema.get("type") == "array":
            return properties(schema["items"])
        return schema.get("properties", {})

    def split(mask):
        parts, depth, current = [], 0, ""
        for char in mask:
            if char == "," and depth == 0:
                parts.append(current)
                current = ""
                continue
            depth += (char == "(") - (char == ")")
            current += char
        return [*parts, current]

    def check(mask, schema):
        props = properties(schema)
        for part in split(mask):
            name, _, sub = part.partition("(")
            assert name in props, name
            if sub:
                check(sub[:-1], props[name])

    check(DEFAULT_EVENT_FIELDS, schemas["Events"])
    check(EVENT_FIELDS, schemas["Event"])
    check(f"nextPageToken,items({CALENDAR_FIELDS})", schemas["CalendarList"])
    with pytest.raises(AssertionError):
        check("items(nosuchfield)", schemas["Events"])
