"""Errors of the Google side of the sync engine, and ``classify`` that turns what
the Google libraries raise into them. Messages never contain secrets.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import re
import time

__all__ = [
    "RETRY_LATER",
    "AlreadyDeleted",
    "AlreadyExists",
    "AuthError",
    "BadRequest",
    "Forbidden",
    "FullSyncRequired",
    "GoogleApiError",
    "GoogleSyncError",
    "InvalidClient",
    "InvalidGrant",
    "MappingError",
    "NotFound",
    "PreconditionFailed",
    "RateLimitError",
    "RetryBudgetExhausted",
    "TokenRevoked",
    "TransientError",
    "classify",
    "parse_retry_after",
    "redact",
]

# Google's reasons that mean "slow down", on 403 as well as 429.
RATE_LIMIT_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded"}
)
# A daily limit does not lift within one sync cycle: stop, do not sleep.
NOT_RETRYABLE_RATE_REASONS = frozenset({"dailyLimitExceeded"})
TRANSIENT_STATUSES = frozenset({408, 500, 502, 503, 504})
MAX_MESSAGE_LENGTH = 300

# Access tokens ("ya29."), refresh tokens ("1//") and any long opaque string
# (codes, verifiers, secrets) are masked before text ends up in an exception.
_SECRET_PATTERNS = (
    re.compile(r"ya29\.[\w.\-]+"),
    re.compile(r"1//[\w.\-]+"),
    re.compile(r"(?i)bearer\s+\S+"),
    re.compile(r"[A-Za-z0-9_\-+/=.~]{32,}"),
)


def redact(text: str | None, limit: int = MAX_MESSAGE_LENGTH) -> str:
    """Return ``text`` with token-like substrings masked, shortened to ``limit``."""
    if not text:
        return ""
    text = str(text)
    if len(text) > 4 * limit:
        # Cut before the patterns run. A word cut in two could be the start of
        # a secret too short to be recognised: it goes too.
        text = text[: 4 * limit].rsplit(None, 1)[0]
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub("[redacted]", text)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def parse_retry_after(value, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or HTTP date)."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return max(0.0, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


class MappingError(ValueError):
    """Input that cannot be mapped. ``reason`` is a stable short code shown to users."""

    def __init__(self, reason, message=""):
        super().__init__(reason, message)
        self.reason = reason
        self.message = message or reason

    def __str__(self):
        return f"{self.reason}: {self.message}"


class GoogleSyncError(Exception):
    """Base of every error raised by the Google side of the engine.

    ``partial_results`` is set when the error stopped a batch execution: one
    result per operation, in operation order (see ``execute_batch``).
    """

    retryable = False
    partial_results: list | None = None


class GoogleApiError(GoogleSyncError):
    """An error answer (or no answer) from a Google endpoint.

    ``status`` is the HTTP status (``None`` when no response arrived),
    ``reason`` Google's machine-readable reason (``rateLimitExceeded``,
    ``fullSyncRequired``, ``invalid_grant``, ``timeout`` ...).
    ``retryable`` says whether sending the same request again later may work.
    """

    retryable = False

    def __init__(
        self,
        status: int | None = None,
        reason: str | None = None,
        message: str | None = None,
        retry_after: float | None = None,
        *,
        retryable: bool | None = None,
    ):
        self.status = status
        self.reason = reason or ""
        self.message = redact(message)
        self.retry_after = retry_after
        if retryable is not None:
            self.retryable = retryable
        super().__init__(self._text())

    def _text(self) -> str:
        parts = [type(self).__name__]
        if self.status is not None:
            parts.append(str(self.status))
        if self.reason:
            parts.append(self.reason)
        text = " ".join(parts)
        if self.message:
            text += f": {self.message}"
        if self.retry_after is not None:
            text += f" (retry after {self.retry_after:g}s)"
        return text

    def __reduce__(self):
        state = (self.status, self.reason, self.message, self.retry_after, self.retryable)
        return (_rebuild, (type(self), state))


def _rebuild(cls, state):
    status, reason, message, retry_after, retryable = state
    return cls(status, reason, message, retry_after, retryable=retryable)


class RateLimitError(GoogleApiError):
    """429, or 403 with a rate/quota reason: wait and send again."""

    retryable = True


class TransientError(GoogleApiError):
    """5xx, timeouts, dropped connections: the request may or may not have been applied."""

    retryable = True


class FullSyncRequired(GoogleApiError):
    """410 on ``events.list`` with a sync token: drop the token and resync."""


class AlreadyDeleted(GoogleApiError):
    """410 on delete: the event is already deleted, nothing to do."""


class NotFound(GoogleApiError):
    """404."""


class AlreadyExists(GoogleApiError):
    """409 ``duplicate``: the id is taken (on insert: the event is already there)."""


class PreconditionFailed(GoogleApiError):
    """412: ``If-Match`` etag is stale, re-read and resolve."""


class Forbidden(GoogleApiError):
    """403 that is not a rate limit: read-only calendar, missing permission..."""


class BadRequest(GoogleApiError):
    """400: the request itself is wrong; sending it again will not help."""


class AuthError(GoogleApiError):
    """401 after the token refresh, or an OAuth error from the token endpoint."""


class InvalidGrant(AuthError):
    """``invalid_grant``: refresh token revoked/expired, or a bad code/verifier.

    The user must connect again; the engine must not retry.
    """


# The name the engine uses when the user revoked access at Google.
TokenRevoked = InvalidGrant


class InvalidClient(AuthError):
    """``invalid_client``/``unauthorized_client``: client id or secret misconfigured."""


class RetryBudgetExhausted(GoogleSyncError):
    """The cycle's retry budget (or attempt limit) cannot cover another wait.

    ``last_error`` is the error that would have been retried,
    ``requested`` the wait that was refused, ``remaining`` the budget left.
    """

    retryable = True

    def __init__(
        self,
        last_error: GoogleSyncError | None = None,
        requested: float | None = None,
        remaining: float | None = None,
    ):
        self.last_error = last_error
        self.requested = requested
        self.remaining = remaining
        text = "retry budget exhausted"
        if requested is not None and remaining is not None:
            text += f" (needed {requested:.3g}s, {remaining:.3g}s left)"
        if last_error is not None:
            text += f"; last error: {last_error}"
        super().__init__(text)


# Errors after which the engine should stop this user's cycle and try again in
# the next one (nothing is wrong with the data).
RETRY_LATER = (RateLimitError, TransientError, RetryBudgetExhausted)


# ---------------------------------------------------------------------------
# classification


def _header(headers, name: str):
    if not headers:
        return None
    try:
        value = headers.get(name)
        if value is None:
            value = headers.get(name.lower())
    except AttributeError:
        return None
    if value is None:
        for key in headers:
            if str(key).lower() == name.lower():
                return headers[key]
    return value


def _parse_error_body(content) -> tuple[str | None, str | None]:
    """(reason, message) from a Google JSON error body or an OAuth error body."""
    if content is None:
        return None, None
    if isinstance(content, (bytes, bytearray)):
        content = content.decode("utf-8", "replace")
    data = content
    if isinstance(content, str):
        try:
            data = json.loads(content)
        except ValueError:
            return None, content[:200]
    if isinstance(data, list) and data:
        data = data[0]
    if not isinstance(data, dict):
        return None, None
    err = data.get("error")
    if isinstance(err, dict):
        return _api_error_reason(err) or err.get("status"), err.get("message")
    if isinstance(err, str):
        # OAuth endpoints: {"error": "invalid_grant", "error_description": "..."}
        return err, data.get("error_description")
    return None, None


def _api_error_reason(err: dict) -> str | None:
    """Google's reason code in an API error body (``errors`` or ``details``)."""
    errors = err.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        reason = errors[0].get("reason")
        if reason:
            return reason
    for detail in err.get("details") or []:
        if isinstance(detail, dict) and detail.get("reason"):
            return detail["reason"]
    return None


def from_status(
    status: int,
    reason: str | None = None,
    message: str | None = None,
    retry_after: float | None = None,
    *,
    operation: str | None = None,
) -> GoogleApiError:
    """Build the right error for an HTTP status + Google reason.

    ``operation`` (``"list"``, ``"delete"``, ...) disambiguates a 410 that
    carries no reason.
    """
    reason = reason or None
    if status == 429 or (status == 403 and reason in RATE_LIMIT_REASONS):
        return RateLimitError(
            status,
            reason,
            message,
            retry_after,
            retryable=reason not in NOT_RETRYABLE_RATE_REASONS,
        )
    if status in TRANSIENT_STATUSES:
        return TransientError(status, reason, message, retry_after)
    if status == 410:
        return _gone(reason, message, operation)
    if status == 404:
        return NotFound(status, reason, message)
    if status == 409:
        return AlreadyExists(status, reason, message)
    if status == 412:
        return PreconditionFailed(status, reason, message)
    if status == 403:
        return Forbidden(status, reason, message)
    if status == 401:
        return AuthError(status, reason, message)
    if status == 400:
        return _bad_request(reason, message)
    if status >= 500:
        return TransientError(status, reason, message, retry_after)
    return GoogleApiError(status, reason, message, retry_after)


def _gone(reason, message, operation) -> GoogleApiError:
    """410: the sync token expired (list) or the event is deleted already."""
    if reason == "fullSyncRequired" or (reason is None and operation == "list"):
        return FullSyncRequired(410, reason or "fullSyncRequired", message)
    if reason == "deleted" or operation == "delete":
        return AlreadyDeleted(410, reason or "deleted", message)
    return GoogleApiError(410, reason, message)


def _bad_request(reason, message) -> GoogleApiError:
    """400: a refused grant or client (OAuth), or a request Google rejects."""
    if reason in ("invalid_grant",):
        return InvalidGrant(400, reason, message)
    if reason in ("invalid_client", "unauthorized_client"):
        return InvalidClient(400, reason, message)
    return BadRequest(400, reason, message)


def _from_oauth_code(code: str | None, description: str | None, status=None) -> GoogleApiError:
    code = code or None
    if code == "invalid_grant":
        return InvalidGrant(status or 400, code, description)
    if code in ("invalid_client", "unauthorized_client"):
        return InvalidClient(status or 401, code, description)
    if code in ("server_error", "temporarily_unavailable", "internal_failure"):
        return TransientError(status or 503, code, description)
    return AuthError(status or 400, code, description)


def _classify_refresh_error(exc) -> GoogleApiError:
    code = description = None
    for arg in exc.args:
        if isinstance(arg, dict):
            code = arg.get("error") if isinstance(arg.get("error"), str) else code
            description = arg.get("error_description") or description
    text = str(exc.args[0]) if exc.args else ""
    if code is None and "invalid_grant" in text:
        code = "invalid_grant"
    if code == "invalid_grant":
        return InvalidGrant(400, code, description or "token expired or revoked")
    if getattr(exc, "retryable", False):
        return TransientError(None, code or "refresh_failed", description or text)
    if code is None:
        return AuthError(None, "refresh_failed", text)
    return _from_oauth_code(code, description)


def classify(exc_or_response, content=None, *, operation: str | None = None):
    """Map a library exception or an error response to a ``GoogleSyncError``.

    Accepts ``googleapiclient.errors.HttpError``, an httplib2/requests response
    (with ``content`` for httplib2), socket/httplib2/requests transport errors,
    ``google.auth`` refresh/transport errors and oauthlib ``OAuth2Error``.
    Our own errors are returned unchanged. Returns ``None`` for anything else
    (a programming error: the caller re-raises the original).
    """
    exc = exc_or_response
    if isinstance(exc, GoogleSyncError):
        return exc
    classified = _classify_http(exc, content, operation)
    if classified is None:
        classified = _classify_auth(exc, operation)
    if classified is None:
        classified = _classify_transport(exc)
    return classified


def _classify_http(exc, content, operation):
    """An HTTP error answer, raised by googleapiclient or given as a response."""
    # Imports are local so this module stays importable (and cheap) without them.
    from googleapiclient import errors as gerrors

    if isinstance(exc, gerrors.BatchError):
        # The batch answer could not be parsed: treat like a broken transport.
        # BatchError subclasses HttpError but carries no response.
        return TransientError(None, "batchError", "malformed batch response")
    if isinstance(exc, gerrors.HttpError):
        resp = exc.resp
        reason, message = _parse_error_body(exc.content)
        retry_after = parse_retry_after(_header(resp, "retry-after"))
        return from_status(int(resp.status), reason, message, retry_after, operation=operation)

    status = getattr(exc, "status", None)
    if status is None:
        status = getattr(exc, "status_code", None)
    if isinstance(status, int) and not isinstance(exc, BaseException):
        # A response object (httplib2.Response or requests.Response).
        body = content if content is not None else getattr(exc, "content", None)
        reason, message = _parse_error_body(body)
        headers = exc if hasattr(exc, "get") else getattr(exc, "headers", None)
        retry_after = parse_retry_after(_header(headers, "retry-after"))
        return from_status(status, reason, message, retry_after, operation=operation)
    return None


def _classify_auth(exc, operation):
    """A failure of google-auth's token refresh or of oauthlib."""
    from google.auth import exceptions as auth_exceptions

    if isinstance(exc, auth_exceptions.RefreshError):
        return _classify_refresh_error(exc)
    if isinstance(exc, auth_exceptions.TransportError):
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
        if inner is None:
            inner = exc.__cause__
        if inner is not None and inner is not exc:
            classified = classify(inner, operation=operation)
            if classified is not None:
                return classified
        return TransientError(None, "connection", "transport error during token refresh")

    try:
        from oauthlib.oauth2.rfc6749.errors import OAuth2Error
    except ImportError:  # pragma: no cover - oauthlib ships with google-auth-oauthlib
        OAuth2Error = ()
    if OAuth2Error and isinstance(exc, OAuth2Error):
        status = exc.status_code if exc.status_code and exc.status_code >= 400 else None
        return _from_oauth_code(exc.error, exc.description, status)
    return None


def _classify_transport(exc):
    """A timeout or a broken connection (socket, httplib2, requests)."""
    import httplib2
    import requests

    # socket.timeout is TimeoutError since Python 3.10.
    if isinstance(exc, (TimeoutError, requests.exceptions.Timeout)):
        return TransientError(None, "timeout", "request timed out")
    if isinstance(exc, httplib2.ServerNotFoundError):
        return TransientError(None, "connection", "server not found")
    if isinstance(
        exc,
        (
            ConnectionError,
            http.client.HTTPException,
            httplib2.HttpLib2Error,
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
        ),
    ):
        return TransientError(None, "connection", type(exc).__name__)
    if isinstance(exc, OSError):
        # EHOSTUNREACH, ENETUNREACH... anything socket level.
        return TransientError(None, "connection", type(exc).__name__)
    return None
