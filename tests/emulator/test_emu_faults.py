"""Fault injection and quota."""

import http.client
import time

import httplib2
import pytest
import requests
from emu_helpers import ALICE, new_batch, timed
from googleapiclient.errors import HttpError


def _status_of(call):
    with pytest.raises(HttpError) as info:
        call()
    return info.value


@pytest.mark.parametrize(
    "kind, status, reason",
    [
        ("429", 429, "rateLimitExceeded"),
        ("403_rate", 403, "rateLimitExceeded"),
        ("403_user_rate", 403, "userRateLimitExceeded"),
        ("500", 500, "backendError"),
        ("503", 503, "backendError"),
    ],
)
def test_error_faults(emulator, alice, kind, status, reason):
    emulator.faults.add(kind, path=r"/events$", retry_after=7)
    error = _status_of(lambda: alice.events().list(calendarId="primary").execute())
    assert error.resp.status == status and error.error_details[0]["reason"] == reason
    assert error.resp["retry-after"] == "7"
    assert alice.events().list(calendarId="primary").execute()["items"] == []  # times=1


def test_fault_filters_and_times(emulator, alice):
    fault = emulator.faults.add("500", method="POST", path="/events", times=2)
    alice.events().list(calendarId="primary").execute()  # GET not affected
    for _ in range(2):
        _status_of(lambda: alice.events().insert(calendarId="primary", body=timed()).execute())
    alice.events().insert(calendarId="primary", body=timed()).execute()
    assert fault.hits == 2 and not emulator.faults.pending


def test_probability_is_seeded(emulator, alice):
    def run():
        emulator.faults.clear()
        emulator.faults.seed(42)
        emulator.faults.add("503", probability=0.5, times=None)
        outcome = []
        for _ in range(20):
            answer = requests.get(
                emulator.base_url + "calendar/v3/users/me/calendarList", timeout=5
            )
            outcome.append(answer.status_code)
        return outcome

    first, second = run(), run()
    assert first == second and 503 in first and 401 in first


def test_slow(emulator, alice):
    emulator.faults.add("slow", delay=0.3)
    started = time.monotonic()
    alice.calendarList().list().execute()
    assert time.monotonic() - started >= 0.3


def test_slow_triggers_client_timeout(emulator):
    emulator.faults.add("slow", delay=1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(emulator.base_url + "calendar/v3/users/me/calendarList", timeout=0.3)


def test_drop_closes_without_answer(emulator):
    emulator.faults.add("drop")
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=5)
    connection.request("GET", "/calendar/v3/users/me/calendarList")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        connection.getresponse()
    assert emulator.requests[-1].status == 0


def test_drop_twice_defeats_httplib2_silent_retry(emulator, alice):
    # httplib2 silently retries once after a dropped connection; two drops surface.
    emulator.faults.add("drop", path="/events", times=2)
    with pytest.raises((http.client.HTTPException, ConnectionError, httplib2.HttpLib2Error)):
        alice.events().list(calendarId="primary").execute()
    assert [r.status for r in emulator.requests if r.path.endswith("/events")] == [0, 0]


def test_lost_response_applies_change(emulator, alice):
    emulator.faults.add("lost_response", method="POST", path="/events")
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=5)
    token = emulator.issue_tokens(ALICE)["access_token"]
    import json

    connection.request(
        "POST",
        "/calendar/v3/calendars/primary/events",
        body=json.dumps(timed(id="lost00001")),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        connection.getresponse()
    assert emulator.get_event_raw(ALICE, "lost00001")["status"] == "confirmed"
    error = _status_of(
        lambda: alice.events().insert(calendarId="primary", body=timed(id="lost00001")).execute()
    )
    assert error.resp.status == 409


def test_faults_in_batch_parts(emulator, alice):
    emulator.faults.add("429", in_batch=True, path="/events", retry_after=3)
    results = {}
    batch = new_batch(emulator, results)
    batch.add(alice.events().insert(calendarId="primary", body=timed("A")), request_id="a")
    batch.add(alice.events().insert(calendarId="primary", body=timed("B")), request_id="b")
    batch.execute(http=alice._http)
    assert results["a"][1].resp.status == 429 and results["a"][1].resp["retry-after"] == "3"
    assert results["b"][0]["summary"] == "B"
    assert [e["summary"] for e in emulator.list_events_raw(ALICE)] == ["B"]


def test_lost_response_in_batch(emulator, alice):
    emulator.faults.add("lost_response", in_batch=True, times=1)
    batch = new_batch(emulator, {})
    batch.add(alice.events().insert(calendarId="primary", body=timed("A", id="lostb0001")))
    batch.add(alice.events().insert(calendarId="primary", body=timed("B", id="lostb0002")))
    # httplib2 retries the lost batch once: every part then answers 409 (already applied).
    results = {}
    batch._callback = lambda rid, resp, exc: results.__setitem__(rid, exc)
    batch.execute(http=alice._http)
    assert {e["id"] for e in emulator.list_events_raw(ALICE)} == {"lostb0001", "lostb0002"}
    assert [exc.resp.status for exc in results.values()] == [409, 409]
    assert emulator.counters["batch"] == 2


def test_drop_in_batch_stops_processing(emulator, alice):
    emulator.faults.add("drop", in_batch=True, path="lostc0002", times=2)
    emulator.faults.add("drop", in_batch=True, method="POST", times=0)  # never fires
    batch = new_batch(emulator, {})
    batch.add(alice.events().insert(calendarId="primary", body=timed("A", id="lostc0001")))
    batch.add(
        alice.events().patch(calendarId="primary", eventId="lostc0002", body={"summary": "x"})
    )
    batch.add(alice.events().insert(calendarId="primary", body=timed("C", id="lostc0003")))
    with pytest.raises((http.client.HTTPException, ConnectionError, httplib2.HttpLib2Error)):
        batch.execute(http=alice._http)
    assert {e["id"] for e in emulator.list_events_raw(ALICE)} == {"lostc0001"}


def test_oauth_endpoint_fault(emulator):
    emulator.faults.add("503", path="^/token$")
    answer = requests.post(emulator.base_url + "token", data={}, timeout=5)
    assert answer.status_code == 503


def test_user_quota(emulator, alice):
    emulator.set_quota(user_per_minute=3)
    for _ in range(3):
        alice.events().list(calendarId="primary").execute()
    error = _status_of(lambda: alice.events().list(calendarId="primary").execute())
    assert error.resp.status == 403
    assert error.error_details[0]["reason"] == "userRateLimitExceeded"
    from emu_helpers import service_for

    bob = service_for(emulator, "bob@example.com")
    bob.events().list(calendarId="primary").execute()  # other users unaffected
    emulator.clock.advance(61)
    alice.events().list(calendarId="primary").execute()


def test_project_quota_counts_batch_parts(emulator, alice):
    emulator.set_quota(project_per_minute=4)
    results = {}
    batch = new_batch(emulator, results)
    for number in range(6):
        batch.add(
            alice.events().insert(calendarId="primary", body=timed(f"E{number}")),
            request_id=str(number),
        )
    batch.execute(http=alice._http)
    statuses = [
        200 if exc is None else exc.resp.status for _, (resp, exc) in sorted(results.items())
    ]
    assert statuses == [200, 200, 200, 200, 403, 403]
    assert results["5"][1].error_details[0]["reason"] == "rateLimitExceeded"
    emulator.set_quota()
    alice.events().list(calendarId="primary").execute()


def test_counters_and_reset(emulator, alice):
    alice.events().list(calendarId="primary").execute()
    alice.events().list(calendarId="primary").execute()
    assert emulator.counters["events.list"] == 2 and emulator.counters["api_calls"] == 2
    emulator.reset_requests()
    assert emulator.counters == {} and emulator.requests == []
