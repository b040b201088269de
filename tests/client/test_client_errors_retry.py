"""Error classification and retry policy/budget logic (no network)."""

from __future__ import annotations

import email.utils
import http.client
import json
import math
import pickle
import time

import httplib2
import pytest
import requests
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import BatchError, HttpError
from oauthlib.oauth2.rfc6749 import errors as oauth_errors

from crm_google_calendar_sync.sync import errors
from crm_google_calendar_sync.sync.errors import classify, parse_retry_after, redact
from crm_google_calendar_sync.sync.retry import RetryBudget, RetryPolicy, call_with_retry


def http_error(status, reason=None, message="msg", headers=None):
    body = {"error": {"code": status, "message": message}}
    if reason:
        body["error"]["errors"] = [{"domain": "global", "reason": reason, "message": message}]
    info = {"status": str(status)}
    info.update(headers or {})
    return HttpError(
        httplib2.Response(info), json.dumps(body).encode(), uri="https://x/y?syncToken=s"
    )


@pytest.mark.parametrize(
    ("status", "reason", "operation", "expected", "retryable"),
    [
        (429, "rateLimitExceeded", None, errors.RateLimitError, True),
        (403, "rateLimitExceeded", None, errors.RateLimitError, True),
        (403, "userRateLimitExceeded", None, errors.RateLimitError, True),
        (403, "quotaExceeded", None, errors.RateLimitError, True),
        (403, "dailyLimitExceeded", None, errors.RateLimitError, False),
        (403, "forbidden", None, errors.Forbidden, False),
        (403, "insufficientPermissions", None, errors.Forbidden, False),
        (403, "requiredAccessLevel", None, errors.Forbidden, False),
        (500, "backendError", None, errors.TransientError, True),
        (502, None, None, errors.TransientError, True),
        (503, "backendError", None, errors.TransientError, True),
        (504, None, None, errors.TransientError, True),
        (410, "fullSyncRequired", None, errors.FullSyncRequired, False),
        (410, None, "list", errors.FullSyncRequired, False),
        (410, "deleted", None, errors.AlreadyDeleted, False),
        (410, None, "delete", errors.AlreadyDeleted, False),
        (404, "notFound", None, errors.NotFound, False),
        (409, "duplicate", None, errors.AlreadyExists, False),
        (412, "conditionNotMet", None, errors.PreconditionFailed, False),
        (400, "invalid", None, errors.BadRequest, False),
        (401, "authError", None, errors.AuthError, False),
        (418, None, None, errors.GoogleApiError, False),
    ],
)
def test_classify_http_errors(status, reason, operation, expected, retryable):
    error = classify(http_error(status, reason), operation=operation)
    assert type(error) is expected
    assert error.status == status
    assert error.retryable is retryable
    assert "syncToken" not in str(error)


def test_retry_after_seconds_and_date():
    assert classify(http_error(429, headers={"retry-after": "7"})).retry_after == 7
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= classify(http_error(503, headers={"retry-after": later})).retry_after <= 31
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after(" 2.5 ") == 2.5


def test_classify_transport_errors():
    assert classify(TimeoutError()).reason == "timeout"
    assert classify(TimeoutError()).reason == "timeout"
    for exc in (
        ConnectionResetError(),
        ConnectionRefusedError(),
        http.client.RemoteDisconnected("closed"),
        httplib2.ServerNotFoundError("x"),
        requests.exceptions.ConnectionError(),
        BatchError("bad"),
    ):
        error = classify(exc)
        assert isinstance(error, errors.TransientError), exc
        assert error.retryable and error.status is None
    assert isinstance(classify(requests.exceptions.ReadTimeout()), errors.TransientError)
    assert classify(ValueError("bug")) is None


def test_classify_auth_errors():
    revoked = auth_exceptions.RefreshError(
        "invalid_grant: Token has been expired or revoked.",
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )
    assert isinstance(classify(revoked), errors.InvalidGrant)
    assert errors.TokenRevoked is errors.InvalidGrant
    flaky = auth_exceptions.RefreshError("server_error", {"error": "server_error"}, retryable=True)
    assert isinstance(classify(flaky), errors.TransientError)
    wrapped = auth_exceptions.TransportError(ConnectionRefusedError())
    assert isinstance(classify(wrapped), errors.TransientError)
    client = auth_exceptions.RefreshError("invalid_client", {"error": "invalid_client"})
    assert isinstance(classify(client), errors.InvalidClient)
    assert isinstance(classify(oauth_errors.InvalidGrantError()), errors.InvalidGrant)
    assert isinstance(classify(oauth_errors.InvalidClientError()), errors.InvalidClient)
    assert type(classify(oauth_errors.InvalidScopeError())) is errors.AuthError


def test_messages_are_redacted():
    token = "ya29.a0AfH6SMBx" + "Q" * 40
    error = classify(http_error(401, "authError", f"bad token {token} and 1//0gLongRefresh"))
    assert token not in str(error) and "1//0gLongRefresh" not in str(error)
    assert "[redacted]" in str(error)
    assert redact("x" * 1000) == "[redacted]"
    assert redact("x " * 1000).endswith("...") and len(redact("x " * 1000)) <= 300
    assert redact("Bearer abc.def") == "[redacted]"
    assert redact("Rate Limit Exceeded") == "Rate Limit Exceeded"


def test_errors_pickle_and_keep_fields():
    error = errors.RateLimitError(429, "rateLimitExceeded", "slow down", 3.0)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is errors.RateLimitError
    assert (copy.status, copy.reason, copy.retry_after, copy.retryable) == (
        429,
        "rateLimitExceeded",
        3.0,
        True,
    )
    assert str(copy) == str(error)


# ------------------------------------------------------------------ retry


def test_backoff_exponential_capped_and_full_jitter():
    plain = RetryPolicy(base_delay=1, max_delay=10, jitter=False)
    assert [plain.backoff(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
    assert plain.backoff(10_000) == 10
    half = RetryPolicy(base_delay=1, max_delay=10, random=lambda: 0.5)
    assert [half.backoff(n) for n in range(1, 6)] == [0.5, 1, 2, 4, 5]
    zero = RetryPolicy(base_delay=1, max_delay=10, random=lambda: 0.0)
    assert zero.backoff(3) == 0
    assert plain.delay(1, retry_after=7.5) == 7.5
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_budget_never_sleeps_beyond_itself():
    slept = []
    budget = RetryBudget(5, sleep=slept.append)
    budget.wait(2)
    budget.wait(3)
    assert budget.remaining == 0
    cause = errors.RateLimitError(429, "rateLimitExceeded", retry_after=1)
    with pytest.raises(errors.RetryBudgetExhausted) as caught:
        budget.wait(1, cause)
    assert slept == [2, 3]
    assert caught.value.last_error is cause
    assert caught.value.requested == 1 and caught.value.remaining == 0
    with pytest.raises(ValueError):
        RetryBudget(-1)
    assert RetryBudget(math.inf).remaining >= 1e9


def test_budget_with_real_tiny_sleep():
    budget = RetryBudget(0.2)
    started = time.monotonic()
    budget.wait(0.05)
    assert time.monotonic() - started >= 0.05
    assert budget.spent == pytest.approx(0.05)


def _failing(*failures, result="done"):
    calls = []

    def func():
        calls.append(1)
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        return result

    return func, calls


def test_call_with_retry_retries_retryable_then_succeeds():
    slept = []
    func, calls = _failing(
        errors.RateLimitError(429, retry_after=2), errors.TransientError(503), TimeoutError()
    )
    policy = RetryPolicy(max_attempts=5, base_delay=1, jitter=False)
    assert call_with_retry(func, policy, RetryBudget(60, sleep=slept.append)) == "done"
    assert len(calls) == 4
    assert slept == [2, 2, 4]  # Retry-After honoured, then 2**1, 2**2


def test_call_with_retry_does_not_retry_permanent_errors():
    slept = []
    func, calls = _failing(errors.PreconditionFailed(412))
    with pytest.raises(errors.PreconditionFailed):
        call_with_retry(func, RetryPolicy(), RetryBudget(60, sleep=slept.append))
    assert len(calls) == 1 and slept == []
    func, calls = _failing(ValueError("bug"))
    with pytest.raises(ValueError):
        call_with_retry(func, RetryPolicy(), RetryBudget(60, sleep=slept.append))
    assert len(calls) == 1


def test_call_with_retry_gives_up_after_max_attempts():
    slept = []
    func, calls = _failing(*[errors.TransientError(500)] * 10)
    policy = RetryPolicy(max_attempts=3, base_delay=0.1, jitter=False)
    with pytest.raises(errors.TransientError):
        call_with_retry(func, policy, RetryBudget(60, sleep=slept.append))
    assert len(calls) == 3 and slept == [0.1, 0.2]


def test_call_with_retry_stops_when_budget_exhausted():
    slept = []
    func, calls = _failing(*[errors.RateLimitError(429, retry_after=30)] * 10)
    with pytest.raises(errors.RetryBudgetExhausted) as caught:
        call_with_retry(func, RetryPolicy(max_attempts=10), RetryBudget(45, sleep=slept.append))
    assert slept == [30]
    assert len(calls) == 2
    assert isinstance(caught.value.last_error, errors.RateLimitError)
    assert isinstance(caught.value, errors.RETRY_LATER)


def test_call_with_retry_classifies_library_exceptions():
    func, _calls = _failing(http_error(404, "notFound"))
    with pytest.raises(errors.NotFound) as caught:
        call_with_retry(func, RetryPolicy(), RetryBudget(1))
    assert isinstance(caught.value.__cause__, HttpError)
