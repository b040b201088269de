"""The batch endpoint as googleapiclient's BatchHttpRequest uses it."""

import pytest
import requests
from emu_helpers import ALICE, new_batch, timed
from googleapiclient.errors import BatchError, HttpError


def test_mixed_results_in_order(emulator, alice):
    existing = alice.events().insert(calendarId="primary", body=timed(id="dup00001")).execute()
    alice.events().patch(
        calendarId="primary", eventId=existing["id"], body={"summary": "v2"}
    ).execute()
    results = {}
    batch = new_batch(emulator, results)
    batch.add(
        alice.events().insert(
            calendarId="primary", body=timed("new", id="neu00001"), sendUpdates="none"
        ),
        request_id="insert",
    )
    batch.add(
        alice.events().insert(calendarId="primary", body=timed(id="dup00001")), request_id="dup"
    )
    stale = alice.events().patch(calendarId="primary", eventId="dup00001", body={"summary": "x"})
    stale.headers["If-Match"] = existing["etag"]
    batch.add(stale, request_id="stale")
    batch.add(alice.events().get(calendarId="primary", eventId="missing01"), request_id="404")
    batch.add(
        alice.events().patch(
            calendarId="primary", eventId="neu00001", body={"summary": "patched in same batch"}
        ),
        request_id="after",
    )
    batch.add(alice.events().delete(calendarId="primary", eventId="dup00001"), request_id="del")
    batch.execute(http=alice._http)
    assert results["insert"][0]["id"] == "neu00001"
    assert isinstance(results["dup"][1], HttpError) and results["dup"][1].resp.status == 409
    assert results["stale"][1].resp.status == 412
    assert results["404"][1].resp.status == 404
    assert results["after"][0]["summary"] == "patched in same batch"  # parts run in order
    assert results["del"][1] is None and not results["del"][0]  # 204 No Content
    assert emulator.counters["http_requests"] == 2 + 1
    assert emulator.counters["api_calls"] == 2 + 6
    parts = [r for r in emulator.requests if r.in_batch]
    assert [r.status for r in parts] == [200, 409, 412, 404, 200, 204]
    assert parts[0].query["sendUpdates"] == "none"


def test_fifty_parts_ok_more_is_400(emulator, alice):
    results = {}
    batch = new_batch(emulator, results)
    for number in range(50):
        batch.add(alice.events().insert(calendarId="primary", body=timed(f"E{number}")))
    batch.execute(http=alice._http)
    assert sum(1 for response, error in results.values() if error is None) == 50
    batch = new_batch(emulator, {})
    for number in range(51):
        batch.add(alice.events().insert(calendarId="primary", body=timed(f"F{number}")))
    with pytest.raises(HttpError) as info:
        batch.execute(http=alice._http)
    assert info.value.resp.status == 400
    assert len(emulator.list_events_raw(ALICE)) == 50


def test_part_response_headers_carry_etag(emulator, alice):
    results = {}
    batch = new_batch(emulator, results)
    batch.add(alice.events().insert(calendarId="primary", body=timed()), request_id="a")
    batch.execute(http=alice._http)
    response_obj = batch._responses["a"][0]
    assert response_obj["etag"] == results["a"][0]["etag"]
    assert response_obj.status == 200


def test_outer_authorization_used_for_parts(emulator):
    token = emulator.issue_tokens(ALICE)["access_token"]
    boundary = "xyz"
    body = (
        f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <p1>\r\n\r\n"
        f"GET /calendar/v3/users/me/calendarList HTTP/1.1\r\n\r\n\r\n--{boundary}--\r\n"
    )
    answer = requests.post(
        emulator.base_url + "batch/calendar/v3",
        data=body,
        timeout=5,
        headers={
            "Content-Type": f"multipart/mixed; boundary={boundary}",
            "Authorization": f"Bearer {token}",
        },
    )
    assert answer.status_code == 200
    assert "Content-ID: <response-p1>" in answer.text
    assert "HTTP/1.1 200 OK" in answer.text and ALICE in answer.text
    unauth = requests.post(
        emulator.base_url + "batch/calendar/v3",
        data=body,
        timeout=5,
        headers={"Content-Type": f"multipart/mixed; boundary={boundary}"},
    )
    assert unauth.status_code == 200 and "HTTP/1.1 401" in unauth.text


def test_not_multipart_is_400(emulator):
    answer = requests.post(
        emulator.base_url + "batch/calendar/v3",
        data="{}",
        timeout=5,
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400


def test_batch_error_is_not_batch_error_class(emulator, alice):
    # Sanity: a well-formed response parses without BatchError.
    batch = new_batch(emulator, {})
    batch.add(alice.calendarList().list())
    try:
        batch.execute(http=alice._http)
    except BatchError:  # pragma: no cover
        pytest.fail("malformed batch response")
