"""HTTP front end of the emulator: routing, auth, quota, faults, batch, request log."""

import collections
import copy
import dataclasses
import email.parser
import email.policy
import json
import logging
import secrets
import socket
import threading
import time
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import pages
from .clock import Clock
from .discovery import Discovery, apply_fields, parse_fields
from .errors import ApiError, bad_request, not_found, rate_limited, server_error, unauthorized
from .faults import Faults
from .oauth import OAuth
from .state import Backend, CallContext, send_updates

_logger = logging.getLogger(__name__)

BATCH_LIMIT = 50
JSON_TYPE = "application/json; charset=UTF-8"


@dataclasses.dataclass
class RequestRecord:
    """One logged request (a whole HTTP request or one batch part)."""

    method: str
    path: str
    query: dict
    status: int
    in_batch: bool
    api_call: str
    user: str
    headers: dict = dataclasses.field(default_factory=dict)
    body: object = None
    notified: int = 0  # how many people Google would e-mail because of this call


@dataclasses.dataclass
class Notification:
    """E-mails Google would send for one API call (``sendUpdates`` applied)."""

    api_call: str
    user: str
    send_updates: str
    recipients: list


class _Drop(Exception):
    """Close the connection without an answer."""


class _Result:
    def __init__(self, status, headers=None, body=b""):
        self.status = status
        self.headers = dict(headers or {})
        self.body = body
        self.lost = False  # apply, then drop the connection


def _json_result(status, payload, headers=None):
    out = {"Content-Type": JSON_TYPE}
    out.update(headers or {})
    body = b"" if payload is None else json.dumps(payload).encode()
    return _Result(status, out, body)


def _error_result(error):
    return _json_result(error.code, error.to_json(), error.headers)


def _reason(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, emulator):
        self.emulator = emulator
        self.open_sockets = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GoogleCalendarEmulator/1.0"

    def setup(self):
        # http.server + delayed ACK costs ~40 ms per keep-alive request without this.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.sockets_lock:
            self.server.open_sockets.add(self.request)
        super().setup()

    def finish(self):
        try:
            super().finish()
        finally:
            with self.server.sockets_lock:
                self.server.open_sockets.discard(self.request)

    def log_message(self, format, *args):
        _logger.debug("%s - %s", self.address_string(), format % args)

    def _handle(self):
        emulator = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        try:
            result = emulator.handle_http(self.command, self.path, headers, body)
        except _Drop:
            self.close_connection = True
            return
        except Exception:  # pragma: no cover - a bug in the emulator must not hang clients
            _logger.exception("emulator failure")
            result = _error_result(server_error(500))
        if result.lost:
            self.close_connection = True
            return
        self.send_response(result.status)
        for key, value in result.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(result.body)))
        self.end_headers()
        if result.body and self.command != "HEAD":
            self.wfile.write(result.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class EmulatorServer:
    """Google Calendar v3 + OAuth emulator on a real HTTP server (see README.md)."""

    def __init__(  # positional order fixed by the shared contract
        self,
        client_id="emulator-client-id",
        client_secret="emulator-client-secret",
        host="127.0.0.1",
        port=0,
        token_lifetime=3600,
        auto_approve=False,
        *,
        auto_approve_email=None,
        redirect_uris=None,
        sync_token_horizon=7 * 24 * 3600,
        batch_limit=BATCH_LIMIT,
    ):
        self.host = host
        self.port = port
        self.clock = Clock()
        self.lock = threading.RLock()
        self.discovery = Discovery()
        self.backend = Backend(self.clock, lambda: self.base_url, sync_token_horizon)
        known = set(self.discovery.doc["auth"]["oauth2"]["scopes"])
        self.oauth = OAuth(
            self.backend,
            self.clock,
            client_id=client_id,
            client_secret=client_secret,
            token_lifetime=token_lifetime,
            redirect_uris=redirect_uris,
            known_scopes=known,
        )
        self.oauth.auto_approve = bool(auto_approve)
        self.oauth.auto_approve_email = auto_approve_email
        self.faults = Faults()
        self.batch_limit = batch_limit
        self._log = []
        self._notifications = []
        self._counters = collections.Counter()
        self._log_lock = threading.Lock()
        self._quota_user = None
        self._quota_project = None
        self._quota_calls = collections.deque()
        self._httpd = None
        self._thread = None

    # ------------------------------------------------------------------ lifecycle
    def start(self):
        self._httpd = _HTTPServer((self.host, self.port), _Handler, self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"google-calendar-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is None:
            return
        self._httpd.shutdown()
        with self._httpd.sockets_lock:
            sockets = list(self._httpd.open_sockets)
        for sock in sockets:  # idle keep-alive connections would otherwise linger
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base_url(self):
        return f"http://{self.host}:{self.port}/"

    @property
    def client_id(self):
        return self.oauth.client_id

    @property
    def client_secret(self):
        return self.oauth.client_secret

    @property
    def auto_approve(self):
        return self.oauth.auto_approve

    @auto_approve.setter
    def auto_approve(self, value):
        self.oauth.auto_approve = bool(value)

    @property
    def token_lifetime(self):
        return self.oauth.token_lifetime

    @token_lifetime.setter
    def token_lifetime(self, value):
        self.oauth.token_lifetime = value

    @property
    def sync_token_horizon(self):
        return self.backend.sync_token_horizon

    @sync_token_horizon.setter
    def sync_token_horizon(self, value):
        self.backend.sync_token_horizon = value

    # ------------------------------------------------------------------ test/seed API
    def add_account(self, email, time_zone="UTC"):
        with self.lock:
            return self.backend.add_account(email, time_zone=time_zone)

    def add_calendar(self, email, summary="Calendar", access_role="owner", **kwargs):
        """Create a calendar visible to `email` with `access_role`; returns its id."""
        with self.lock:
            return self.backend.add_calendar(
                email, summary=summary, access_role=access_role, **kwargs
            )

    def share_calendar(self, calendar_id, email, access_role="reader"):
        with self.lock:
            self.backend.share_calendar(calendar_id, email, access_role)

    def issue_tokens(self, email, scopes=None):
        with self.lock:
            return self.oauth.issue(email, scopes)

    def add_event(self, email, calendar_id, body):
        with self.lock:
            return self.backend.seed_event(email, calendar_id, body)

    def add_event_unvalidated(self, email, calendar_id, body):
        """Test-only: store ``body`` without validation (payloads Google would reject).

        Still assigns etag/updated/created/sequence (and an id when absent) and the
        event shows up in lists and sync-token results. Returns the stored body.
        """
        with self.lock:
            return self.backend.inject_event(email, calendar_id, body)

    def get_event_raw(self, calendar_id, event_id):
        with self.lock:
            calendar = self.backend.calendars.get(calendar_id)
            record = calendar.events.get(event_id) if calendar else None
            return copy.deepcopy(record.body) if record else None

    def list_events_raw(self, calendar_id, include_deleted=False):
        with self.lock:
            calendar = self.backend.calendars[calendar_id]
            return [
                copy.deepcopy(r.body)
                for r in calendar.events.values()
                if include_deleted or r.body.get("status") != "cancelled"
            ]

    def set_default_reminders(self, email, calendar_id, overrides):
        """Seed an account's default reminders of a calendar (calendarList entry)."""
        with self.lock:
            entry = self.backend.accounts[email].calendar_list[calendar_id]
            entry["defaultReminders"] = [dict(item) for item in overrides]

    @property
    def max_attendees(self):
        return self.backend.max_attendees

    @max_attendees.setter
    def max_attendees(self, value):
        self.backend.max_attendees = value

    @property
    def conference_create_pending(self):
        """True: new Meet conferences stay ``pending`` until completed (see README)."""
        return self.backend.conferences.pending_mode

    @conference_create_pending.setter
    def conference_create_pending(self, value):
        self.backend.conferences.pending_mode = bool(value)

    def complete_conference_requests(self):
        """Finish every pending conference create request; -> how many."""
        with self.lock:
            return self.backend.complete_conferences()

    def invalidate_sync_tokens(self, calendar_id):
        with self.lock:
            self.backend.calendars[calendar_id].sync_epoch += 1

    def revoke_all(self, email):
        with self.lock:
            self.oauth.revoke_all(email)

    def set_quota(self, user_per_minute=None, project_per_minute=None):
        with self.lock:
            self._quota_user = user_per_minute
            self._quota_project = project_per_minute
            self._quota_calls.clear()

    @property
    def requests(self):
        with self._log_lock:
            return list(self._log)

    @property
    def counters(self):
        with self._log_lock:
            return dict(self._counters)

    @property
    def notifications(self):
        """[Notification]: every call for which Google would have e-mailed someone."""
        with self._log_lock:
            return list(self._notifications)

    def reset_requests(self):
        with self._log_lock:
            self._log.clear()
            self._notifications.clear()
            self._counters.clear()

    def _record(self, record):
        with self._log_lock:
            self._log.append(record)
            if record.api_call and not record.api_call.startswith(("oauth", "batch", "http")):
                self._counters["api_calls"] += 1
            if record.api_call:
                self._counters[record.api_call] += 1
            if record.notified:
                self._counters["notifications"] += record.notified

    # ------------------------------------------------------------------ HTTP entry
    def handle_http(self, method, raw_target, headers, body):
        with self._log_lock:
            self._counters["http_requests"] += 1
        parsed = urllib.parse.urlsplit(raw_target)
        raw_path = parsed.path
        path = urllib.parse.unquote(raw_path)
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        fault = self.faults.take(method, path, False)
        lost, result = self._apply_fault(
            fault,
            method,
            path,
            query,
            in_batch=False,
            call="http.dropped",
            guess_path=raw_path,
            headers=headers,
        )
        if result is not None:
            return result
        result = self._dispatch(method, raw_path, path, query, headers=headers, body=body)
        result.lost = result.lost or lost
        return result

    def _apply_fault(self, fault, method, path, query, *, in_batch, call, guess_path, headers):
        """Play an injected fault for a request or batch part.

        Returns ``(lost, result)``: ``lost`` when the change must be applied and its
        answer dropped, ``result`` when the fault answers instead of the API; raises
        ``_Drop`` to close the connection without an answer.
        """
        if fault is None:
            return False, None
        if fault.delay:
            time.sleep(fault.delay)
        if fault.kind == "slow":
            if not fault.delay:
                time.sleep(1.0)
            return False, None
        if fault.kind == "lost_response":
            return True, None
        if fault.kind == "drop":
            self._record(
                RequestRecord(
                    method,
                    path,
                    _flat(query),
                    0,
                    in_batch,
                    call or _guess_call(self, method, guess_path),
                    None,
                    headers,
                )
            )
            raise _Drop()
        result = _error_result(_fault_error(fault))
        self._record(
            RequestRecord(
                method,
                path,
                _flat(query),
                result.status,
                in_batch,
                _guess_call(self, method, guess_path),
                None,
                headers,
            )
        )
        return False, result

    def _dispatch(self, method, raw_path, path, query, *, headers, body):
        if path in ("/o/oauth2/auth", "/o/oauth2/v2/auth"):
            return self._oauth_call(
                "oauth.authorize", method, path, query, headers=headers, body=body
            )
        if path in ("/token", "/o/oauth2/token"):
            return self._oauth_call("oauth.token", method, path, query, headers=headers, body=body)
        if path in ("/revoke", "/o/oauth2/revoke"):
            return self._oauth_call("oauth.revoke", method, path, query, headers=headers, body=body)
        if path in ("/oauth2/v2/userinfo", "/oauth2/v1/userinfo", "/oauth2/v3/userinfo"):
            return self._oauth_call(
                "oauth.userinfo", method, path, query, headers=headers, body=body
            )
        if path in ("/batch/calendar/v3", "/batch"):
            return self._batch(method, path, query, headers, body)
        if path.startswith("/calendar/v3/"):
            return self.execute_api(method, raw_path, query, headers, body, in_batch=False)
        if path == "/" and method == "GET":
            return _Result(
                200, {"Content-Type": "text/html; charset=utf-8"}, _index_page(self).encode()
            )
        if path == "/permissions" and method == "POST":
            return self._remove_access(body)
        result = _error_result(not_found())
        self._record(
            RequestRecord(method, path, _flat(query), 404, False, "http.unknown", None, headers)
        )
        return result

    def _remove_access(self, body):
        """The index page's "Remove access": the person withdraws an app's access to
        their account, as under "Third-party apps & services" in a Google account."""
        form = urllib.parse.parse_qs((body or b"").decode("utf-8", "replace"))
        email = (form.get("email") or [""])[-1]
        client_id = (form.get("client_id") or [""])[-1]
        with self.lock:
            self.oauth.remove_access(email, client_id)
        location = "/#" + urllib.parse.quote(email, safe="@")
        return _Result(303, {"Location": location}, b"")

    # ------------------------------------------------------------------ OAuth
    def _oauth_call(self, name, method, path, query, *, headers, body):
        form = {}
        if method == "POST" and body:
            ctype = headers.get("content-type", "")
            if "json" in ctype:
                try:
                    form = {k: str(v) for k, v in json.loads(body).items()}
                except (ValueError, AttributeError):
                    form = {}
            else:
                form = {
                    k: v[-1]
                    for k, v in urllib.parse.parse_qs(
                        body.decode("utf-8", "replace"), keep_blank_values=True
                    ).items()
                }
        user = None
        with self.lock:
            try:
                if name == "oauth.authorize":
                    if method == "POST":
                        reply = self.oauth.authorize_post(
                            {k: [v] for k, v in form.items()}, headers
                        )
                    else:
                        reply = self.oauth.authorize_get(query, headers)
                elif name == "oauth.token":
                    reply = self.oauth.token(form, headers)
                elif name == "oauth.revoke":
                    merged = {k: v[-1] for k, v in query.items()}
                    merged.update(form)
                    reply = self.oauth.revoke(merged)
                else:
                    token = _bearer(headers, query)
                    if not token:
                        raise unauthorized(missing=True)
                    reply = self.oauth.userinfo(token, path.split("/")[2])
                    user = self.oauth.access_tokens[token].grant.email
            except ApiError as error:
                result = _error_result(error)
                self._record(
                    RequestRecord(
                        method,
                        path,
                        _flat(query),
                        result.status,
                        False,
                        name,
                        user,
                        _safe_headers(headers),
                    )
                )
                return result
        self._record(
            RequestRecord(
                method, path, _flat(query), reply.status, False, name, user, _safe_headers(headers)
            )
        )
        return _Result(reply.status, reply.headers, reply.body)

    # ------------------------------------------------------------------ Calendar API
    def execute_api(self, method, raw_path, query, headers, body, *, in_batch):
        path = urllib.parse.unquote(raw_path)
        api_method, path_params = self.discovery.route(method, raw_path)
        api_call = api_method.api_call if api_method else "http.unknown"
        user = None
        parsed_body = None
        status = 500
        notified = ()
        try:
            if api_method is None:
                raise not_found()
            token = _bearer(headers, query)
            with self.lock:
                if not token:
                    raise unauthorized(missing=True)
                access = self.oauth.resolve(token)
                user = access.grant.email
                scopes = frozenset(access.scopes)
                if not scopes & api_method.scopes:
                    from .errors import insufficient_scope

                    raise insufficient_scope()
                self._check_quota(user)
            params = self.discovery.validate_query(api_method, query)
            params.update(path_params)
            if api_method.request_schema:
                try:
                    parsed_body = json.loads(body.decode("utf-8")) if body.strip() else {}
                except (ValueError, UnicodeDecodeError):
                    raise bad_request("Parse Error", reason="parseError") from None
                self.discovery.validate_body(api_method.request_schema, parsed_body)
            fields = parse_fields(params["fields"]) if params.get("fields") else None
            handler_name = self.backend.HANDLERS.get(api_call)
            if handler_name is None:
                raise ApiError(
                    501, "notImplemented", f"{api_call} is not implemented by the emulator."
                )
            with self.lock:
                account = self.backend.accounts[user]
                ctx = CallContext(
                    account=account,
                    client_id=access.grant.client_id,
                    scopes=scopes,
                    method_scopes=frozenset(api_method.scopes),
                    api_call=api_call,
                    headers=headers,
                    body=parsed_body,
                )
                response = getattr(self.backend, handler_name)(ctx, params)
            notified = response.notified
            if notified:
                self._note(api_call, user, params, notified)
            payload = response.body
            if payload is not None and fields is not None:
                payload = apply_fields(payload, fields)
            status = response.status
            out_headers = dict(response.headers)
            if payload is None:
                result = _Result(status, out_headers, b"")
            else:
                result = _json_result(status, payload, out_headers)
        except ApiError as error:
            status = error.code
            result = _error_result(error)
        self._record(
            RequestRecord(
                method,
                path,
                _flat(query),
                status,
                in_batch,
                api_call,
                user,
                _safe_headers(headers),
                parsed_body,
                len(notified),
            )
        )
        return result

    def _note(self, api_call, user, params, recipients):
        with self._log_lock:
            self._notifications.append(
                Notification(api_call, user, send_updates(params), list(recipients))
            )

    def _check_quota(self, user):
        if self._quota_user is None and self._quota_project is None:
            return
        now = self.clock.time()
        calls = self._quota_calls
        while calls and calls[0][0] <= now - 60:
            calls.popleft()
        if self._quota_project is not None and len(calls) >= self._quota_project:
            raise rate_limited("403_rate")
        if (
            self._quota_user is not None
            and sum(1 for _, who in calls if who == user) >= self._quota_user
        ):
            raise rate_limited("403_user_rate")
        calls.append((now, user))

    # ------------------------------------------------------------------ batch
    def _batch(self, method, path, query, headers, body):
        def envelope_error(error):
            self._record(
                RequestRecord(
                    method,
                    path,
                    _flat(query),
                    error.code,
                    False,
                    "batch",
                    None,
                    _safe_headers(headers),
                )
            )
            return _error_result(error)

        ctype = headers.get("content-type", "")
        if method != "POST" or not ctype.lower().startswith("multipart/mixed"):
            return envelope_error(bad_request("Batch requests must be POST multipart/mixed."))
        message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body
        )
        parts = message.get_payload() if message.is_multipart() else []
        if not parts:
            return envelope_error(bad_request("Empty batch request."))
        if len(parts) > self.batch_limit:
            return envelope_error(
                bad_request(
                    f"A batch request cannot contain more than {self.batch_limit} requests."
                )
            )
        outer_auth = headers.get("authorization")
        boundary = "batch_" + secrets.token_hex(12)
        chunks = []
        lost = False
        for index, part in enumerate(parts, 1):
            content_id = (part.get("Content-ID") or f"<item{index}>").strip()
            inner = content_id[1:-1] if content_id.startswith("<") else content_id
            try:
                result = self._batch_part(part, outer_auth)
            except _Drop:
                self._record(
                    RequestRecord(
                        method, path, _flat(query), 0, False, "batch", None, _safe_headers(headers)
                    )
                )
                raise
            lost = lost or result.lost
            lines = [f"HTTP/1.1 {result.status} {_reason(result.status)}"]
            for key, value in result.headers.items():
                lines.append(f"{key}: {value}")
            lines.append(f"Content-Length: {len(result.body)}")
            chunks.append(
                f"--{boundary}\r\nContent-Type: application/http\r\n"
                f"Content-ID: <response-{inner}>\r\n\r\n"
                + "\r\n".join(lines)
                + "\r\n\r\n"
                + result.body.decode("utf-8")
                + "\r\n"
            )
        payload = ("".join(chunks) + f"--{boundary}--\r\n").encode("utf-8")
        self._record(
            RequestRecord(
                method,
                path,
                _flat(query),
                0 if lost else 200,
                False,
                "batch",
                None,
                _safe_headers(headers),
            )
        )
        result = _Result(200, {"Content-Type": f"multipart/mixed; boundary={boundary}"}, payload)
        result.lost = lost
        return result

    def _batch_part(self, part, outer_auth):
        payload = part.get_payload()
        if isinstance(payload, list):  # a nested multipart is not a valid part
            return _error_result(bad_request("Invalid batch part."))
        payload = payload.lstrip("\r\n")
        request_line, _, rest = payload.partition("\n")
        pieces = request_line.strip().split(" ")
        if len(pieces) < 2:
            return _error_result(bad_request("Invalid batch part request line."))
        method, target = pieces[0].upper(), pieces[1]
        inner = email.parser.Parser(policy=email.policy.compat32).parsestr(rest)
        headers = {key.lower(): value for key, value in inner.items()}
        if "authorization" not in headers and outer_auth:
            headers["authorization"] = outer_auth
        body = inner.get_payload()
        body = body.encode("utf-8") if isinstance(body, str) else b""
        parsed = urllib.parse.urlsplit(target)
        path = urllib.parse.unquote(parsed.path)
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        fault = self.faults.take(method, path, True)
        lost, result = self._apply_fault(
            fault,
            method,
            path,
            query,
            in_batch=True,
            call=None,
            guess_path=parsed.path,
            headers=_safe_headers(headers),
        )
        if result is not None:
            return result
        if not path.startswith("/calendar/v3/"):
            result = _error_result(not_found())
        else:
            result = self.execute_api(method, parsed.path, query, headers, body, in_batch=True)
        result.lost = lost
        return result


def _fault_error(fault):
    if fault.kind in ("429", "403_rate", "403_user_rate"):
        return rate_limited(fault.kind, fault.retry_after)
    error = server_error(int(fault.kind))
    if fault.retry_after is not None:
        error.headers["Retry-After"] = str(int(fault.retry_after))
    return error


def _guess_call(emulator, method, raw_path):
    api_method, _ = emulator.discovery.route(method, raw_path)
    if api_method:
        return api_method.api_call
    path = urllib.parse.unquote(raw_path)
    return {
        "/token": "oauth.token",
        "/revoke": "oauth.revoke",
        "/o/oauth2/auth": "oauth.authorize",
        "/batch/calendar/v3": "batch",
    }.get(path, "http.unknown")


def _bearer(headers, query):
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    for name in ("access_token", "oauth_token"):
        if query.get(name):
            return query[name][-1]
    return None


def _flat(query):
    return {key: values[0] if len(values) == 1 else list(values) for key, values in query.items()}


def _safe_headers(headers):
    # Never keep secrets in the request log.
    return {
        key: ("<redacted>" if key == "authorization" else value) for key, value in headers.items()
    }


def _index_page(emulator):
    """Every account's calendars and their stored events, for people to look at."""
    with emulator.lock:
        backend = emulator.backend
        accounts = []
        for address, account in backend.accounts.items():
            calendars = []
            for calendar_id in account.calendar_list:
                calendar = backend.calendars.get(calendar_id)
                if calendar is None:
                    continue
                info = {
                    "id": calendar.id,
                    "summary": calendar.summary,
                    "role": calendar.acl.get(address, "none"),
                    "owner": calendar.owner,
                }
                events = [copy.deepcopy(stored.body) for stored in calendar.events.values()]
                calendars.append((info, events))
            accounts.append((address, calendars))
        apps = {address: emulator.oauth.apps_with_access(address) for address, _ in accounts}
    return pages.index_page(emulator.base_url, emulator.client_id, accounts, apps=apps)
