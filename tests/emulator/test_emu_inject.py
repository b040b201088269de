"""Test-only helpers: unvalidated event injection and the `skip` option of faults."""

import pytest
from emu_helpers import ALICE, timed
from googleapiclient.errors import HttpError


def test_injected_event_skips_validation_but_lists_and_syncs(emulator, alice):
    first = alice.events().list(calendarId="primary", showDeleted=True).execute()
    token = first["nextSyncToken"]
    # Google itself would answer 400 to each of these: no start, end before start, wrong types.
    bodies = [
        {"summary": "no start", "end": {"dateTime": "2030-01-01T10:00:00Z"}},
        {
            "summary": 42,
            "start": {"dateTime": "2030-01-02T10:00:00Z"},
            "end": {"dateTime": "2030-01-02T09:00:00Z"},
        },
        {"id": "", "summary": ["a", "list"], "attendees": "not a list", "organizer": "x"},
    ]
    stored = [emulator.add_event_unvalidated(ALICE, ALICE, body) for body in bodies]
    etags = {event["etag"] for event in stored}
    assert len(etags) == 3
    assert all(event["updated"] and event["sequence"] == 0 for event in stored)
    assert stored[2]["id"] == ""  # kept as given: "missing id" payloads stay possible
    assert stored[1]["summary"] == 42 and "start" not in stored[0]
    # Lists (windowed full sync) and incremental syncs return them unchanged.
    full = alice.events().list(calendarId="primary", timeMin="2020-01-01T00:00:00Z").execute()
    assert sorted(map(str, (e.get("summary") for e in full["items"]))) == sorted(
        ["no start", "42", "['a', 'list']"]
    )
    delta = alice.events().list(calendarId="primary", syncToken=token).execute()
    assert len(delta["items"]) == 3
    # A validated insert is still validated.
    with pytest.raises(HttpError):
        alice.events().insert(calendarId="primary", body=bodies[0]).execute()


def test_injected_event_with_id_is_addressable(emulator, alice):
    body = emulator.add_event_unvalidated(ALICE, ALICE, dict(timed("raw"), id="rawevent1"))
    assert emulator.get_event_raw(ALICE, "rawevent1")["etag"] == body["etag"]
    got = alice.events().get(calendarId="primary", eventId="rawevent1").execute()
    assert got["summary"] == "raw"


def test_fault_skip_fails_the_call_after_k(emulator, alice):
    fault = emulator.faults.add("500", path=r"/events$", method="GET", skip=2, times=None)
    for _ in range(2):
        alice.events().list(calendarId="primary").execute()
    for _ in range(3):
        with pytest.raises(HttpError) as info:
            alice.events().list(calendarId="primary").execute()
        assert info.value.resp.status == 500
    assert fault.hits == 3


def test_fault_skip_counts_batch_parts(emulator, alice):
    emulator.faults.add("503", in_batch=True, skip=1, times=1)
    results = {}
    from emu_helpers import new_batch

    batch = new_batch(emulator, results)
    for index in range(3):
        batch.add(
            alice.events().insert(calendarId="primary", body=timed(f"b{index}")),
            request_id=str(index),
        )
    batch.execute()
    statuses = {key: (exc.resp.status if exc else 200) for key, (_r, exc) in results.items()}
    assert statuses == {"0": 200, "1": 503, "2": 200}


def test_injected_naive_times_do_not_break_windowed_lists(emulator, alice):
    emulator.add_event_unvalidated(
        ALICE,
        ALICE,
        {
            "summary": "naive",
            "start": {"dateTime": "2030-01-01T10:00:00"},
            "end": {"dateTime": "2030-01-01T11:00:00"},
        },
    )
    items = alice.events().list(calendarId="primary", timeMin="2020-01-01T00:00:00Z").execute()
    assert [e["summary"] for e in items["items"]] == ["naive"]
