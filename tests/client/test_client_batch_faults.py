"""Batch writes and the retry behaviour under every injected fault kind."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from client_helpers import ALICE, get_calendar, list_events

from crm_google_calendar_sync.sync.errors import (
    RETRY_LATER,
    BadRequest,
    Forbidden,
    RateLimitError,
    RetryBudgetExhausted,
    TransientError,
)
from crm_google_calendar_sync.sync.google_client import BatchOperation
from crm_google_calendar_sync.sync.retry import RetryPolicy

SOON = dt.datetime.utcnow().replace(microsecond=0, second=0) + dt.timedelta(days=2)
EVENTS_PATH = r"/calendar/v3/calendars/[^/]+/events"


def new_id() -> str:
    # Google event ids: base32hex characters (a-v, 0-9), 5 to 1024 long.
    return uuid.uuid4().hex


def body(summary="Pushed", minutes=0, event_id=None) -> dict:
    start = SOON + dt.timedelta(minutes=minutes)
    return {
        "id": event_id or new_id(),
        "summary": summary,
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "end": {"dateTime": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")},
    }


def inserts(count, calendar_id=ALICE):
    return [
        BatchOperation("insert", calendar_id, body=body(f"E{n}", n), key=n) for n in range(count)
    ]


def seeded(server, summary="Seeded"):
    event = server.add_event(ALICE, ALICE, body(summary))
    return event if isinstance(event, dict) else server.get_event_raw(ALICE, event)


def test_batch_operation_validation():
    with pytest.raises(ValueError):
        BatchOperation("insert", ALICE, body={"summary": "no id"})
    with pytest.raises(ValueError):
        BatchOperation("patch", ALICE, body={"summary": "x"})
    with pytest.raises(ValueError):
        BatchOperation("move", ALICE, event_id="x")


def test_120_inserts_take_three_batch_requests(server, client):
    server.reset_requests()
    operations = inserts(120)
    results = client.execute_batch(operations)
    assert server.counters["http_requests"] == 3
    assert server.counters.get("events.insert", 0) == 120
    assert client.stats["batch_requests"] == 3 and client.stats["http_requests"] == 3
    assert [r.key for r in results] == list(range(120))
    assert all(r.ok and r.status == 200 and r.etag for r in results)
    assert [r.body["id"] for r in results] == [op.body["id"] for op in operations]
    # client-chosen ids are kept, and nothing emailed attendees
    assert server.get_event_raw(ALICE, operations[7].body["id"])["summary"] == "E7"
    parts = [r for r in server.requests if r.in_batch]
    assert len(parts) == 120
    assert all(r.query.get("sendUpdates") in ("none", ["none"]) for r in parts)


def test_empty_batch_sends_nothing(server, client):
    server.reset_requests()
    assert client.execute_batch([]) == []
    assert server.counters.get("http_requests", 0) == 0


def test_mixed_part_results(server, client):
    existing = seeded(server, "existing")
    stale = seeded(server, "stale")
    gone = seeded(server, "gone")
    client.execute_batch([BatchOperation("delete", ALICE, event_id=gone["id"])])
    # make "stale"'s etag outdated
    client.execute_batch(
        [BatchOperation("patch", ALICE, event_id=stale["id"], body={"summary": "changed"})]
    )
    fresh = seeded(server, "fresh")
    operations = [
        BatchOperation("insert", ALICE, body=body("dup", event_id=existing["id"]), key="dup"),
        BatchOperation(
            "patch",
            ALICE,
            event_id=stale["id"],
            body={"summary": "mine"},
            etag=stale["etag"],
            key="stale",
        ),
        BatchOperation("delete", ALICE, event_id=gone["id"], key="gone"),
        BatchOperation(
            "patch",
            ALICE,
            event_id=fresh["id"],
            body={"summary": "ok"},
            etag=fresh["etag"],
            key="fresh",
        ),
        BatchOperation(
            "update",
            ALICE,
            event_id=existing["id"],
            body=dict(body("replaced"), id=existing["id"]),
            key="update",
        ),
        BatchOperation("insert", ALICE, body=body("new"), key="new"),
    ]
    results = client.execute_batch(operations)
    by_key = {r.key: r for r in results}
    assert [r.key for r in results] == [op.key for op in operations]
    assert by_key["dup"].status == 409 and by_key["dup"].already_exists
    assert by_key["dup"].succeeded and not by_key["dup"].ok
    assert by_key["stale"].status == 412 and by_key["stale"].precondition_failed
    assert not by_key["stale"].succeeded and not by_key["stale"].retry_later
    assert server.get_event_raw(ALICE, stale["id"])["summary"] == "changed"
    assert by_key["gone"].status == 410 and by_key["gone"].already_deleted
    assert by_key["fresh"].ok and by_key["fresh"].body["summary"] == "ok"
    assert by_key["fresh"].etag != fresh["etag"]
    assert by_key["update"].ok and by_key["update"].body["summary"] == "replaced"
    assert by_key["new"].ok
    # the If-Match header went out on the patch parts only when an etag was given
    assert client.stats["retries"] == 0


def test_patch_with_current_etag_then_stale_etag(server, client):
    event = seeded(server)
    (first,) = client.execute_batch(
        [
            BatchOperation(
                "patch", ALICE, event_id=event["id"], body={"summary": "a"}, etag=event["etag"]
            )
        ]
    )
    assert first.ok
    (second,) = client.execute_batch(
        [
            BatchOperation(
                "patch", ALICE, event_id=event["id"], body={"summary": "b"}, etag=event["etag"]
            )
        ]
    )
    assert second.status == 412
    assert server.get_event_raw(ALICE, event["id"])["summary"] == "a"


def test_read_only_calendar_part_is_forbidden(server, client):
    shared = server.add_calendar(ALICE, summary="Holidays", access_role="reader")
    (result,) = client.execute_batch([BatchOperation("insert", shared, body=body())])
    assert not result.ok and result.status == 403
    assert isinstance(result.error, Forbidden) and not result.retry_later


def test_bad_part_is_a_bad_request(server, client):
    broken = body()
    broken["start"] = {"dateTime": "not a date"}
    (result,) = client.execute_batch([BatchOperation("insert", ALICE, body=broken)])
    assert result.status == 400 and isinstance(result.error, BadRequest)


# ------------------------------------------------------------------ faults: single calls


@pytest.mark.parametrize("kind", ["500", "503", "403_rate", "403_user_rate", "429"])
def test_single_call_retried_after_fault(server, client, sleeper, kind):
    server.faults.add(kind, method="GET", path=EVENTS_PATH, times=2)
    _items, token = list_events(client, ALICE)
    assert token
    assert client.stats["retries"] == 2
    assert sleeper.calls == [0.5, 1.0]  # FAST_POLICY: no jitter, base 0.5
    statuses = [r.status for r in server.requests if r.api_call == "events.list"]
    assert statuses[-1] == 200 and len(statuses) == 3


def test_retry_after_is_honoured(server, client, sleeper):
    server.faults.add("429", method="GET", path=EVENTS_PATH, times=1, retry_after=3)
    list_events(client, ALICE)
    assert sleeper.calls == [3]


def test_retry_after_beyond_budget_stops_without_sleeping(server, make_client, sleeper):
    client = make_client(budget_seconds=10)
    server.faults.add("429", method="GET", path=EVENTS_PATH, times=1, retry_after=120)
    with pytest.raises(RetryBudgetExhausted) as caught:
        list_events(client, ALICE)
    assert sleeper.calls == []
    assert isinstance(caught.value.last_error, RateLimitError)
    assert caught.value.requested == 120
    assert isinstance(caught.value, RETRY_LATER)


def test_budget_is_shared_across_calls(server, make_client, sleeper):
    client = make_client(budget_seconds=1.0)
    server.faults.add("503", method="GET", path=EVENTS_PATH, times=1)
    list_events(client, ALICE)  # waits 0.5
    server.faults.add("503", method="GET", path=EVENTS_PATH, times=2)
    with pytest.raises(RetryBudgetExhausted):
        list_events(client, ALICE)  # 0.5 fits, then 1.0 does not
    assert sleeper.calls == [0.5, 0.5]
    assert client.budget.remaining == 0


def test_attempts_exhausted_raises_the_last_error(server, client, sleeper):
    server.faults.add("500", method="GET", path=EVENTS_PATH, times=10)
    with pytest.raises(TransientError) as caught:
        list_events(client, ALICE)
    assert caught.value.status == 500
    assert len(sleeper.calls) == 3  # FAST_POLICY.max_attempts == 4


def test_dropped_connections_are_retried(server, client):
    server.faults.add("drop", method="GET", path=EVENTS_PATH, times=3)
    _items, token = list_events(client, ALICE)
    assert token
    # httplib2's silent resend is off: every resend is ours, counted and budgeted
    assert client.stats["retries"] == 3
    assert client.stats["http_requests"] == 4


def test_timeout_is_retried(server, make_client, sleeper):
    client = make_client(timeout=0.3)
    server.faults.add("slow", method="GET", path=EVENTS_PATH, times=1, delay=1.0)
    started = time.monotonic()
    _items, token = list_events(client, ALICE)
    assert token
    assert client.stats["retries"] == 1
    assert time.monotonic() - started < 1.0 + 0.5
    assert sleeper.calls == [0.5]


def test_timeout_without_retries_raises_transient(server, make_client):
    client = make_client(timeout=0.3, policy=RetryPolicy(max_attempts=1))
    server.faults.add("slow", method="GET", path=EVENTS_PATH, times=1, delay=1.0)
    with pytest.raises(TransientError) as caught:
        list_events(client, ALICE)
    assert caught.value.reason == "timeout"


def test_quota_exceeded_is_rate_limited(server, client, sleeper):
    server.set_quota(user_per_minute=2)
    with pytest.raises((RetryBudgetExhausted, RateLimitError)):
        for _ in range(10):
            get_calendar(client, ALICE)
    assert any(r.status == 403 for r in server.requests)
    assert sleeper.calls  # it did back off before giving up


# ------------------------------------------------------------------ faults: batch


@pytest.mark.parametrize("kind", ["429", "403_rate", "500", "503"])
def test_failed_parts_are_retried_in_a_following_batch(server, client, sleeper, kind):
    operations = inserts(10)
    server.faults.add(kind, method="POST", path=EVENTS_PATH, times=3, in_batch=True)
    server.reset_requests()
    results = client.execute_batch(operations)
    assert all(r.ok for r in results), [(r.status, r.error) for r in results]
    failed_first = [r for r in results if r.attempts == 2]
    assert len(failed_first) == 3
    assert server.counters["http_requests"] == 2  # the batch, then one batch for the 3
    assert sleeper.calls == [0.5]
    assert client.stats["retries"] == 3
    for operation in operations:
        assert server.get_event_raw(ALICE, operation.body["id"]) is not None


def test_part_retry_after_is_honoured(server, client, sleeper):
    server.faults.add("429", method="POST", path=EVENTS_PATH, times=1, in_batch=True, retry_after=4)
    results = client.execute_batch(inserts(3))
    assert all(r.ok for r in results)
    assert sleeper.calls == [4]


def test_batch_envelope_failure_is_resent_whole(server, client, sleeper):
    server.faults.add("503", method="POST", path=r"^/batch/", times=1, in_batch=False)
    server.reset_requests()
    results = client.execute_batch(inserts(5))
    assert all(r.ok and r.attempts == 2 for r in results)
    assert server.counters["http_requests"] == 2


def test_lost_batch_response_retry_reports_already_exists(server, client):
    server.faults.add("lost_response", method="POST", path=r"^/batch/", times=1, in_batch=False)
    operations = inserts(4)
    results = client.execute_batch(operations)
    # The first batch was applied, its answer lost; the resend gets 409 for each
    # insert: already there, which counts as done. No duplicates exist.
    assert all(r.already_exists and r.succeeded and r.attempts == 2 for r in results)
    events = server.list_events_raw(ALICE)
    assert sorted(e["id"] for e in events) == sorted(op.body["id"] for op in operations)


def test_dropped_batch_connection_is_resent(server, client):
    server.faults.add("drop", method="POST", path=r"^/batch/", times=3, in_batch=False)
    operations = inserts(3)
    results = client.execute_batch(operations)
    assert all(r.succeeded for r in results)
    assert len(server.list_events_raw(ALICE)) == 3


def test_batch_timeout_is_resent(server, make_client, sleeper):
    client = make_client(timeout=0.3)
    server.faults.add("slow", method="POST", path=r"^/batch/", times=1, delay=1.0, in_batch=False)
    results = client.execute_batch(inserts(3))
    # the slow batch may have been applied after we gave up: 409 then counts as done
    assert all(r.succeeded for r in results)
    assert sleeper.calls == [0.5]


def test_batch_budget_exhaustion_keeps_partial_results(server, make_client, sleeper):
    client = make_client(budget_seconds=5)
    operations = inserts(6)
    server.faults.add(
        "429", method="POST", path=EVENTS_PATH, times=2, in_batch=True, retry_after=60
    )
    with pytest.raises(RetryBudgetExhausted) as caught:
        client.execute_batch(operations)
    partial = caught.value.partial_results
    assert len(partial) == 6
    assert [r.key for r in partial] == list(range(6))
    done = [r for r in partial if r.ok]
    later = [r for r in partial if r.retry_later]
    assert len(done) == 4 and len(later) == 2
    assert all(isinstance(r.error, RateLimitError) for r in later)
    assert sleeper.calls == []


def test_batch_part_attempts_are_bounded(server, client, sleeper):
    server.faults.add("500", method="POST", path=EVENTS_PATH, times=100, in_batch=True)
    (result,) = client.execute_batch(inserts(1))
    assert not result.ok and result.retry_later and result.attempts == 4
    assert isinstance(result.error, TransientError)


def test_on_request_callback_sees_every_http_request(server, make_client):
    seen = []
    client = make_client(on_request=lambda method, uri: seen.append((method, uri)))
    list_events(client, ALICE)
    client.execute_batch(inserts(2))
    assert [m for m, _u in seen] == ["GET", "POST"]
    assert seen[1][1] == server.base_url + "batch/calendar/v3"
    assert client.stats["api_calls"] == 3


# ------------------------------------------------------------------ tokens in batches


def test_batch_with_expired_token_refreshes_through_our_http(server, make_client, alice):
    from crm_google_calendar_sync.sync.oauth import TokenSet

    expired = TokenSet("stale", alice.refresh_token, dt.datetime.utcnow() - dt.timedelta(hours=1))
    seen = []
    client = make_client(token_set=expired, on_request=lambda m, u: seen.append(u))
    results = client.execute_batch(inserts(2))
    assert all(r.ok for r in results)
    assert seen == [server.base_url + "token", server.base_url + "batch/calendar/v3"]
    assert client.credentials.token != "stale"


def test_batch_with_rejected_token_is_refreshed_and_resent(server, make_client, alice):
    from crm_google_calendar_sync.sync.oauth import TokenSet

    rejected = TokenSet(
        "unknown", alice.refresh_token, dt.datetime.utcnow() + dt.timedelta(hours=1)
    )
    client = make_client(token_set=rejected)
    operations = inserts(3)
    results = client.execute_batch(operations)
    assert all(r.ok for r in results)
    assert any(r.status == 401 for r in server.requests if r.in_batch)
    assert len(server.list_events_raw(ALICE)) == 3


def test_batch_after_revoke_raises_invalid_grant(server, make_client, alice):
    from crm_google_calendar_sync.sync.errors import InvalidGrant
    from crm_google_calendar_sync.sync.oauth import TokenSet

    server.revoke_all(ALICE)
    expired = TokenSet("stale", alice.refresh_token, dt.datetime.utcnow() - dt.timedelta(hours=1))
    client = make_client(token_set=expired)
    with pytest.raises(InvalidGrant) as caught:
        client.execute_batch(inserts(2))
    assert alice.refresh_token not in str(caught.value)
    assert server.list_events_raw(ALICE) == []
    partial = caught.value.partial_results
    assert [r.ok for r in partial] == [False, False]
    assert all(r.error is caught.value and not r.retry_later for r in partial)


# ------------------------------------------------------------------ chaos


def test_chaos_every_write_lands_exactly_once(server, make_client, sleeper):
    """Random faults of every fast kind on writes: the end state is still exact."""
    client = make_client(
        budget_seconds=10_000, policy=RetryPolicy(max_attempts=12, base_delay=0.1, max_delay=1)
    )
    server.faults.seed(7)
    faults = []
    for method in ("POST", "PATCH", "DELETE"):
        for kind in ("429", "403_rate", "500", "503"):
            # failing parts: retried in a following batch
            faults.append(
                server.faults.add(kind, method=method, in_batch=True, times=None, probability=0.03)
            )
    for kind in ("429", "503", "drop", "lost_response"):
        # failing batch requests: resent whole (parts already applied answer 409/412/410)
        faults.append(
            server.faults.add(kind, path="^/batch/", in_batch=False, times=None, probability=0.1)
        )
    operations = inserts(120)
    results = client.execute_batch(operations)
    assert all(r.succeeded for r in results), [(r.status, r.error) for r in results]
    assert client.stats["retries"] > 0
    stored = {e["id"]: e for e in server.list_events_raw(ALICE)}
    assert set(stored) == {op.body["id"] for op in operations}

    patches = [
        BatchOperation(
            "patch",
            ALICE,
            event_id=event_id,
            body={"summary": f"P {event_id}"},
            etag=event["etag"],
            key=event_id,
        )
        for event_id, event in stored.items()
    ]
    for result in client.execute_batch(patches):
        if result.precondition_failed:
            # our own earlier attempt was applied and its answer lost: re-read shows it
            assert client.get_event(ALICE, result.key)["summary"] == f"P {result.key}"
        else:
            assert result.ok, (result.status, result.error)
    assert all(e["summary"] == f"P {e['id']}" for e in server.list_events_raw(ALICE))

    deletes = [BatchOperation("delete", ALICE, event_id=event_id) for event_id in stored]
    assert all(r.succeeded for r in client.execute_batch(deletes))
    assert server.list_events_raw(ALICE) == []
    # the run really went through faults of every kind
    hit_kinds = {fault.kind for fault in faults if fault.hits}
    assert hit_kinds == {"429", "403_rate", "500", "503", "drop", "lost_response"}, hit_kinds
