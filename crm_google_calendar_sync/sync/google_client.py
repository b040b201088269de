"""Google Calendar v3 client of the sync engine: google-api-python-client with our
own retries, batch writes, ``If-Match``, ``sendUpdates=none`` and request counters.

One client serves one user's cycle in one thread (httplib2 is not thread-safe).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.client
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import google_auth_httplib2
import httplib2
from googleapiclient import discovery
from googleapiclient.http import BatchHttpRequest

from .errors import (
    AlreadyDeleted,
    AlreadyExists,
    GoogleSyncError,
    NotFound,
    RateLimitError,
    TransientError,
    classify,
)
from .retry import RetryBudget, RetryPolicy, call_with_retry

__all__ = [
    "BATCH_LIMIT",
    "CALENDAR_FIELDS",
    "DEFAULT_EVENT_FIELDS",
    "EVENT_FIELDS",
    "BatchOperation",
    "BatchResult",
    "EventPage",
    "GoogleCalendarClient",
    "ResponseLost",
    "push_failure_reason",
]

_logger = logging.getLogger(__name__)

# Google documents up to 1000 calls per batch but recommends small batches for
# Calendar (larger ones are throttled); 50 is what the product promises.
BATCH_LIMIT = 50
GOOGLE_MAX_RESULTS = 2500
DEFAULT_BUDGET_SECONDS = 60.0

# Everything the mapping, recurrence handling, read-only detection and echo
# suppression need, nothing more (partial responses cut payloads a lot).
# conferenceData: only the entry points, so a Meet/Zoom link can become
# Odoo's videocall location, and the id of a Meet request still pending; the rest
# of it is large and unused.
EVENT_FIELDS = (
    "id,status,summary,description,location,start,end,endTimeUnspecified,visibility,"
    "transparency,recurrence,recurringEventId,originalStartTime,iCalUID,etag,updated,"
    "created,organizer,creator,"
    "attendees(email,responseStatus,self,organizer,displayName,optional),"
    "eventType,privateCopy,locked,guestsCanModify,sequence,htmlLink,hangoutLink,"
    "conferenceData(entryPoints(entryPointType,uri,label),conferenceSolution(name),"
    "createRequest(requestId)),"
    "extendedProperties,reminders,source"
)
DEFAULT_EVENT_FIELDS = f"nextPageToken,nextSyncToken,timeZone,accessRole,items({EVENT_FIELDS})"
CALENDAR_FIELDS = (
    "id,summary,summaryOverride,description,timeZone,accessRole,primary,hidden,selected,"
    "deleted,backgroundColor,foregroundColor,dataOwner"
)

_WRITE_KINDS = ("insert", "patch", "update", "delete")


@dataclasses.dataclass
class EventPage:
    """One page of ``events.list``; ``next_sync_token`` is set on the last page only."""

    items: list[dict]
    next_sync_token: str | None
    is_last: bool
    time_zone: str | None = None
    access_role: str | None = None


@dataclasses.dataclass
class BatchOperation:
    """One write in a batch. ``key`` is any tag of the caller, returned untouched.

    ``insert`` needs ``body["id"]`` (client-chosen id: a retried insert can
    never create a duplicate). ``etag`` on patch/update/delete becomes
    ``If-Match``.
    """

    kind: str
    calendar_id: str
    event_id: str | None = None
    body: dict | None = None
    etag: str | None = None
    key: Any = None

    def __post_init__(self):
        if self.kind not in _WRITE_KINDS:
            raise ValueError(f"unknown batch operation kind {self.kind!r}")
        if self.kind == "insert":
            if not self.body or not self.body.get("id"):
                raise ValueError("insert needs a client-chosen body['id']")
        elif not self.event_id:
            raise ValueError(f"{self.kind} needs event_id")
        if self.kind in ("patch", "update") and self.body is None:
            raise ValueError(f"{self.kind} needs a body")


@dataclasses.dataclass
class BatchResult:
    operation: BatchOperation
    ok: bool
    status: int | None
    body: dict | None
    etag: str | None
    error: GoogleSyncError | None
    attempts: int = 1

    @property
    def key(self):
        return self.operation.key

    @property
    def already_exists(self) -> bool:
        """Insert answered 409: the id is taken (our earlier attempt, or a deleted event)."""
        return self.operation.kind == "insert" and isinstance(self.error, AlreadyExists)

    @property
    def already_deleted(self) -> bool:
        """Delete answered 410: already deleted."""
        return self.operation.kind == "delete" and isinstance(self.error, AlreadyDeleted)

    @property
    def not_found(self) -> bool:
        return isinstance(self.error, NotFound)

    @property
    def precondition_failed(self) -> bool:
        return self.status == 412

    @property
    def retry_later(self) -> bool:
        """Failed for a temporary reason (rate limit, 5xx, budget): try next cycle."""
        return not self.ok and self.error is not None and self.error.retryable

    @property
    def succeeded(self) -> bool:
        """The intended state holds: done now, or already done before."""
        return self.ok or self.already_exists or self.already_deleted


def push_failure_reason(result: BatchResult) -> str:
    """A stable reason code for a failed batch part (Google's reason if any)."""
    reason = getattr(result.error, "reason", None)
    if reason:
        return reason
    return f"http_{result.status}" if result.status else "network"


class ResponseLost(ConnectionError):
    """The connection closed after the request was sent, before any answer."""


class _NoSilentResend:
    """Connection mixin: report a connection closed before the answer as an error.

    httplib2 resends a request once, POSTs included, when the connection closes
    without an answer (meant for stale keep-alive connections). A resend must
    go through our retry policy, budget and counters instead, and must never
    repeat a non-idempotent ``calendars.insert`` behind our back. Raising an
    ``OSError`` subclass makes httplib2 close the connection and give up.
    """

    def getresponse(self):
        try:
            return super().getresponse()
        except http.client.BadStatusLine as exc:  # includes RemoteDisconnected
            raise ResponseLost("connection closed before the answer") from exc


class _HTTPConnection(_NoSilentResend, httplib2.HTTPConnectionWithTimeout):
    pass


class _HTTPSConnection(_NoSilentResend, httplib2.HTTPSConnectionWithTimeout):
    pass


_CONNECTION_TYPES = {"http": _HTTPConnection, "https": _HTTPSConnection}


class _CountingHttp(httplib2.Http):
    """httplib2.Http with a timeout, no silent resends, reporting every request."""

    def __init__(self, timeout: float, on_request: Callable[[str, str], None]):
        super().__init__(timeout=timeout)
        self._on_request = on_request

    def request(  # httplib2's signature
        self, uri, method="GET", body=None, headers=None, redirections=5, connection_type=None
    ):
        self._on_request(method, uri)
        if connection_type is None:
            connection_type = _CONNECTION_TYPES.get(urlsplit(uri).scheme.lower())
        return super().request(uri, method, body, headers, redirections, connection_type)


def _rfc3339(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00Z"
    raise TypeError(f"cannot format {type(value).__name__} as RFC 3339")


def _chunks(seq: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


class _BatchRun:
    """The state of one :meth:`GoogleCalendarClient.execute_batch`: a result and
    an attempt count per operation."""

    def __init__(self, operations: list[BatchOperation]):
        self.operations = operations
        self.results: list[BatchResult | None] = [None] * len(operations)
        self.attempts = [0] * len(operations)
        self.last_error: dict[int, GoogleSyncError] = {}

    def finish(self, index: int, status, body, error) -> None:
        self.results[index] = BatchResult(
            self.operations[index],
            error is None,
            status,
            body if error is None else None,
            (body or {}).get("etag") if error is None else None,
            error,
            self.attempts[index],
        )

    def fail_unfinished(self, error: GoogleSyncError) -> None:
        """Hand the caller what was done before the cycle had to stop."""
        for index, result in enumerate(self.results):
            if result is None:
                cause = self.last_error.get(index, error)
                self.finish(index, getattr(cause, "status", None), None, cause)
        error.partial_results = list(self.results)


class GoogleCalendarClient:
    """Calendar v3 calls for one user (one set of credentials).

    ``api_root`` is Google's ``https://www.googleapis.com/`` or the
    emulator's base URL (with trailing slash). ``budget`` is the cycle's
    retry budget (share one between the clients of a user's cycle).
    ``on_request(method, uri)`` is called for every HTTP request sent.
    ``stats`` counts ``http_requests``, ``api_calls`` (batch parts count one
    each, every attempt counts), ``batch_requests`` and ``retries``.
    """

    def __init__(
        self,
        credentials,
        api_root: str,
        *,
        timeout: float = 30,
        retry_policy: RetryPolicy | None = None,
        budget: RetryBudget | None = None,
        on_request: Callable[[str, str], None] | None = None,
    ):
        if not api_root.endswith("/"):
            api_root += "/"
        self.api_root = api_root
        self.credentials = credentials
        self.timeout = timeout
        self.retry_policy = retry_policy or RetryPolicy()
        self.budget = budget if budget is not None else RetryBudget(DEFAULT_BUDGET_SECONDS)
        self.stats = {"http_requests": 0, "api_calls": 0, "batch_requests": 0, "retries": 0}
        self._on_request = on_request
        self._raw_http = _CountingHttp(timeout, self._count_request)
        self._http = google_auth_httplib2.AuthorizedHttp(credentials, http=self._raw_http)
        self.service = discovery.build(
            "calendar",
            "v3",
            http=self._http,
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": api_root + "calendar/v3/"},
        )
        self.batch_uri = api_root + "batch/calendar/v3"

    # ------------------------------------------------------------------ plumbing

    def _count_request(self, method: str, uri: str) -> None:
        self.stats["http_requests"] += 1
        if self._on_request is not None:
            self._on_request(method, uri)

    def _call(
        self,
        build_request: Callable[[], Any],
        *,
        operation: str | None = None,
        retry_if: Callable[[GoogleSyncError], bool] | None = None,
    ):
        """Execute one API call with our retries (the library's are off)."""

        def run():
            return build_request().execute(num_retries=0)

        return call_with_retry(
            run,
            self.retry_policy,
            self.budget,
            operation=operation,
            stats=self.stats,
            retry_if=retry_if,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # ------------------------------------------------------------------ calendars

    def list_calendars(self, *, min_access_role: str | None = None) -> list[dict]:
        """All calendars of the user's calendar list, hidden ones included.

        Hidden calendars matter: the product suggests hiding the CRM calendar
        (e.g. on holiday), which must not make it disappear from the settings.
        """
        items: list[dict] = []
        page_token = None
        calendar_list = self.service.calendarList()
        while True:
            params = {
                "maxResults": 250,
                "showHidden": True,
                "fields": f"nextPageToken,items({CALENDAR_FIELDS})",
            }
            if min_access_role:
                params["minAccessRole"] = min_access_role
            if page_token:
                params["pageToken"] = page_token
            page = self._call(lambda p=params: calendar_list.list(**p), operation="get")
            items.extend(page.get("items", []))
            page_token = page.get("nextPageToken")
            if not page_token:
                return items

    def insert_calendar(
        self, summary: str, time_zone: str | None = None, *, description: str | None = None
    ) -> dict:
        """Create a secondary calendar owned by the user.

        Calendars have no client-chosen ids, so a retry after an ambiguous
        failure (timeout, dropped answer, 5xx: maybe applied) could create a
        second calendar. Rate limits (never applied) are retried as usual;
        after an ambiguous failure an owned calendar with the same summary is
        looked up first and returned if present, only then the insert is
        repeated.
        """
        body: dict[str, Any] = {"summary": summary}
        if time_zone:
            body["timeZone"] = time_zone
        if description:
            body["description"] = description
        calendars = self.service.calendars()
        rounds = 0
        while True:
            rounds += 1
            try:
                return self._call(
                    lambda: calendars.insert(body=body),
                    operation="insert",
                    retry_if=lambda error: isinstance(error, RateLimitError),
                )
            except TransientError as error:
                if rounds >= self.retry_policy.max_attempts:
                    raise
                existing = self._find_owned_calendar(summary)
                if existing is not None:
                    _logger.info("Calendar insert was applied despite %s", error)
                    return existing
                self.budget.wait(self.retry_policy.delay(rounds, error.retry_after), error)
                self.stats["retries"] += 1

    def _find_owned_calendar(self, summary: str) -> dict | None:
        for calendar in self.list_calendars(min_access_role="owner"):
            if calendar.get("summary") == summary and not calendar.get("primary"):
                return calendar
        return None

    # ------------------------------------------------------------------ events (read)

    def iter_event_pages(
        self,
        calendar_id: str,
        *,
        sync_token: str | None = None,
        time_min=None,
        show_deleted: bool = True,
        max_results: int = GOOGLE_MAX_RESULTS,
    ) -> Iterator[EventPage]:
        """Pages of ``events.list``: full (windowed by ``time_min``) or incremental.

        With ``sync_token`` Google forbids ``timeMin`` and always includes
        deleted events. Raises :class:`FullSyncRequired` (410) when the token
        is no longer valid. Store ``next_sync_token`` only after the pages
        were applied.
        """
        params: dict[str, Any] = {
            "calendarId": calendar_id,
            "maxResults": min(max_results, GOOGLE_MAX_RESULTS),
            "singleEvents": False,
            "fields": DEFAULT_EVENT_FIELDS,
        }
        if sync_token:
            if time_min is not None:
                raise ValueError("time_min cannot be combined with sync_token")
            params["syncToken"] = sync_token
            # showDeleted=False is refused with a sync token; True is implied.
            params["showDeleted"] = True
        else:
            params["showDeleted"] = show_deleted
            if time_min is not None:
                params["timeMin"] = _rfc3339(time_min)
        events = self.service.events()
        page_token = None
        while True:
            page_params = dict(params)
            if page_token:
                page_params["pageToken"] = page_token
            page = self._call(lambda p=page_params: events.list(**p), operation="list")
            page_token = page.get("nextPageToken")
            yield EventPage(
                items=page.get("items", []),
                next_sync_token=page.get("nextSyncToken"),
                is_last=not page_token,
                time_zone=page.get("timeZone"),
                access_role=page.get("accessRole"),
            )
            if not page_token:
                return

    def get_event(
        self, calendar_id: str, event_id: str, *, fields: str | None = EVENT_FIELDS
    ) -> dict:
        params = {"calendarId": calendar_id, "eventId": event_id}
        if fields:
            params["fields"] = fields
        return self._call(lambda: self.service.events().get(**params), operation="get")

    def list_instances(
        self,
        calendar_id: str,
        event_id: str,
        *,
        time_min=None,
        show_deleted: bool = True,
        max_results: int = GOOGLE_MAX_RESULTS,
    ) -> list[dict]:
        """All instances of a recurring event (cancelled ones with ``show_deleted``)."""
        params: dict[str, Any] = {
            "calendarId": calendar_id,
            "eventId": event_id,
            "showDeleted": show_deleted,
            "maxResults": min(max_results, GOOGLE_MAX_RESULTS),
            # instances answers the same "Events" resource as list.
            "fields": DEFAULT_EVENT_FIELDS,
        }
        if time_min is not None:
            params["timeMin"] = _rfc3339(time_min)
        events = self.service.events()
        items: list[dict] = []
        page_token = None
        while True:
            page_params = dict(params)
            if page_token:
                page_params["pageToken"] = page_token
            page = self._call(lambda p=page_params: events.instances(**p), operation="get")
            items.extend(page.get("items", []))
            page_token = page.get("nextPageToken")
            if not page_token:
                return items

    # ------------------------------------------------------------------ events (write)

    def _write_request(self, operation: BatchOperation):
        events = self.service.events()
        common: dict[str, Any] = {"calendarId": operation.calendar_id, "sendUpdates": "none"}
        if operation.body and "conferenceData" in operation.body:
            common["conferenceDataVersion"] = 1
        if operation.kind == "insert":
            request = events.insert(body=operation.body, **common)
        elif operation.kind == "patch":
            request = events.patch(eventId=operation.event_id, body=operation.body, **common)
        elif operation.kind == "update":
            request = events.update(eventId=operation.event_id, body=operation.body, **common)
        else:
            request = events.delete(eventId=operation.event_id, **common)
        if operation.etag and operation.kind != "insert":
            # The library never sends If-Match by itself.
            request.headers["If-Match"] = operation.etag
        return request

    def _ensure_token(self) -> None:
        """Refresh an expired token through our own http (timeout, counters).

        BatchHttpRequest would otherwise refresh with a private http object.
        """
        if self.credentials.valid:
            return
        try:
            self.credentials.refresh(google_auth_httplib2.Request(self._raw_http))
        except Exception as exc:
            error = classify(exc)
            if error is None:
                raise
            raise error from None

    def _send_batch(
        self, operations: Sequence[BatchOperation], indexes: Sequence[int]
    ) -> dict[int, tuple]:
        """One batch HTTP request; returns index -> (status, body, error)."""
        outcomes: dict[int, tuple] = {}
        batch = BatchHttpRequest(batch_uri=self.batch_uri)

        def collect(request_id, response, exception):
            index = int(request_id)
            if exception is None:
                outcomes[index] = (None, response, None)
                return
            error = classify(exception, operation=operations[index].kind)
            if error is None:  # pragma: no cover - only HttpError reaches callbacks
                raise exception
            outcomes[index] = (getattr(error, "status", None), None, error)

        for index in indexes:
            batch.add(
                self._write_request(operations[index]),
                callback=collect,
                request_id=str(index),
            )
        self._ensure_token()
        self.stats["batch_requests"] += 1
        self.stats["api_calls"] += len(indexes)
        batch.execute(http=self._http)
        for index in indexes:
            status, body, error = outcomes[index]
            if error is None:
                # Callbacks get only the parsed body; the part's status line
                # (200, or 204 for deletes) is kept by the batch object.
                raw_response = batch._responses.get(str(index))
                status = int(raw_response[0].status) if raw_response else 200
                outcomes[index] = (status, body, None)
        return outcomes

    def execute_batch(self, operations: Sequence[BatchOperation]) -> list[BatchResult]:
        """Run writes in batch requests of at most BATCH_LIMIT calls; results in operation order.

        Every write carries ``sendUpdates=none``. Parts failing with a rate
        limit or 5xx are sent again in a following batch after a backoff;
        other failures (409 on insert, 410 on delete, 412, 404, 403...) are
        returned for the caller to interpret. A failed batch request as a whole
        is sent again as a whole: inserts carry client-chosen ids (409),
        patches ``If-Match`` (412) and deletes answer 410, so a repeat is safe.

        Raises :class:`RetryBudgetExhausted` when waiting for the next round
        does not fit the budget; auth and other whole-batch failures propagate
        too. Any such error carries ``partial_results``: a result for every
        operation (unfinished ones failed with their last error).
        """
        run = _BatchRun(list(operations))
        pending = list(range(len(run.operations)))
        round_number = 0
        try:
            while pending:
                round_number += 1
                retry_next, retry_after = self._batch_round(run, pending)
                if retry_next:
                    delay = self.retry_policy.delay(round_number, retry_after)
                    self.budget.wait(delay, run.last_error[retry_next[0]])
                    self.stats["retries"] += len(retry_next)
                pending = retry_next
        except GoogleSyncError as error:
            run.fail_unfinished(error)
            raise
        return list(run.results)  # type: ignore[arg-type]

    def _batch_round(self, run: _BatchRun, pending: list) -> tuple[list, float | None]:
        """Send the pending parts once; returns the parts to send again and the
        longest ``Retry-After`` Google asked for."""
        retry_next: list[int] = []
        retry_after: float | None = None
        for chunk in _chunks(pending, BATCH_LIMIT):
            for index in chunk:
                run.attempts[index] += 1
            outcomes = self._send_batch_or_fail_whole(run.operations, chunk)
            for index in chunk:
                status, body, error = outcomes[index]
                if error is None or not error.retryable:
                    run.finish(index, status, body, error)
                elif run.attempts[index] >= self.retry_policy.max_attempts:
                    run.finish(index, status, None, error)
                else:
                    run.last_error[index] = error
                    retry_next.append(index)
                    if error.retry_after is not None:
                        retry_after = max(retry_after or 0.0, error.retry_after)
        return retry_next, retry_after

    def _send_batch_or_fail_whole(self, operations, chunk) -> dict[int, tuple]:
        """Outcomes of one batch request; a retryable failure of the whole request
        becomes that failure for each of its parts, anything else is raised."""
        try:
            return self._send_batch(operations, chunk)
        except Exception as exc:
            error = classify(exc, operation="batch")
            if error is None:
                raise
            if not error.retryable:
                if error is exc:
                    raise
                raise error from exc
            _logger.info("Batch request failed (%s), will resend it", error)
            return dict.fromkeys(chunk, (error.status, None, error))
