"""In-memory Google Calendar state and the Calendar v3 method implementations.

Everything here runs under the backend's lock; no HTTP in this module.
"""

import copy
import dataclasses
import datetime as dt
import itertools
import json
import re
import secrets
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import attendees as guest_list
from . import recurrence, reminders
from .conference import Conferences
from .errors import (
    ApiError,
    bad_request,
    forbidden_access,
    full_sync_required,
    gone_deleted,
    insufficient_scope,
    not_found,
)
from .invitations import Invitations, organizer_email, reminders_only

SCOPE_PREFIX = "https://www.googleapis.com/auth/"
FULL_SCOPE = SCOPE_PREFIX + "calendar"
APP_CREATED = SCOPE_PREFIX + "calendar.app.created"
EVENTS_OWNED = SCOPE_PREFIX + "calendar.events.owned"
EVENTS_OWNED_RO = SCOPE_PREFIX + "calendar.events.owned.readonly"
# Scopes that only grant access to some calendars (checked against the calendar).
CONDITIONAL_SCOPES = {APP_CREATED, EVENTS_OWNED, EVENTS_OWNED_RO}
EMAIL_SCOPES = {"email", SCOPE_PREFIX + "userinfo.email"}

ROLE_RANK = {
    "none": 0,
    "freeBusyReader": 1,
    "reader": 2,
    "writerWithoutPrivateAccess": 3,
    "writer": 4,
    "owner": 5,
}

EVENT_ID_RE = re.compile(r"^[a-v0-9]{5,1024}$")
INSTANCE_ID_RE = re.compile(r"^(?P<series>.+)_(?P<key>\d{8}(T\d{6}Z)?)$")
BASE32HEX = "0123456789abcdefghijklmnopqrstuv"

# Params that Google refuses together with syncToken.
SYNC_INCOMPATIBLE = (
    "timeMin",
    "timeMax",
    "updatedMin",
    "iCalUID",
    "orderBy",
    "q",
    "privateExtendedProperty",
    "sharedExtendedProperty",
)
# Params that do not change which items a list returns (ignored when comparing page queries).
PAGE_NEUTRAL = {
    "pageToken",
    "maxResults",
    "fields",
    "prettyPrint",
    "alt",
    "quotaUser",
    "userIp",
    "key",
    "oauth_token",
    "access_token",
    "maxAttendees",
    "alwaysIncludeEmail",
    "timeZone",
}

# Fields an API client cannot set; Google silently ignores them on writes.
READ_ONLY_EVENT_FIELDS = {
    "kind",
    "etag",
    "created",
    "updated",
    "htmlLink",
    "creator",
    "organizer",
    "hangoutLink",
    "iCalUID",
    "recurringEventId",
    "originalStartTime",
    "privateCopy",
    "locked",
    "attendeesOmitted",
}
# Fields that may change on events of special types (everything else -> 400).
RESTRICTED_TYPES = {
    "fromGmail": {
        "colorId",
        "reminders",
        "visibility",
        "transparency",
        "status",
        "extendedProperties",
    },
    "birthday": {
        "colorId",
        "summary",
        "reminders",
        "extendedProperties",
        "birthdayProperties",
        "visibility",
        "transparency",
    },
}
PRIMARY_ONLY_TYPES = {"outOfOffice", "focusTime", "workingLocation"}

MAX_LIST_RESULTS = 2500
DEFAULT_LIST_RESULTS = 250
# How far an unbounded series is expanded when the query gives no timeMax.
EXPANSION_HORIZON = dt.timedelta(days=730)


def rfc3339(moment):
    """UTC timestamp with milliseconds, as Google writes `updated`/`created`."""
    moment = moment.astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def format_datetime(moment):
    """Aware datetime -> '2024-01-01T10:00:00+01:00' (or ...Z for UTC)."""
    text = moment.replace(microsecond=0).isoformat()
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


def random_id(length=26):
    return "".join(secrets.choice(BASE32HEX) for _ in range(length))


def get_zone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None


@dataclasses.dataclass
class Account:
    email: str
    id: str
    time_zone: str = "UTC"
    # calendar id -> calendar list entry settings (the account's subscription)
    calendar_list: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class StoredEvent:
    body: dict
    seq: int  # change sequence number of the last write
    invitation_of: str = None  # organizer's calendar id when this is a guest's copy


@dataclasses.dataclass
class Calendar:
    id: str
    summary: str
    owner: str
    time_zone: str
    description: str = ""
    created_by_client: str = None
    etag: str = ""
    acl: dict = dataclasses.field(default_factory=dict)  # email -> role
    events: dict = dataclasses.field(default_factory=dict)  # id -> StoredEvent
    sync_epoch: int = 0
    primary_of: str = None

    @property
    def tz(self):
        return get_zone(self.time_zone) or dt.timezone.utc


@dataclasses.dataclass
class SyncToken:
    calendar_id: str
    seq: int
    epoch: int
    issued_at: float
    user: str


@dataclasses.dataclass
class PageState:
    signature: str
    items: list
    offset: int
    sync_seq: int  # change sequence when the first page was computed
    calendar_id: str
    with_sync_token: bool


@dataclasses.dataclass
class CallContext:
    """What a Calendar API method needs to know about the caller."""

    account: Account
    client_id: str
    scopes: frozenset
    method_scopes: frozenset
    api_call: str
    headers: dict  # lower-case names
    body: object = None

    def require_scope(self, calendar=None, *, role=None):
        matched = self.method_scopes & self.scopes
        if matched - CONDITIONAL_SCOPES:
            return
        if APP_CREATED in matched:
            if self.api_call == "calendars.insert":
                return
            if calendar is not None and calendar.created_by_client == self.client_id:
                return
        if matched & {EVENTS_OWNED, EVENTS_OWNED_RO} and role == "owner":
            return
        raise insufficient_scope()


class Response:
    def __init__(self, status, body=None, headers=None, notified=()):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.notified = list(notified)  # addresses Google would e-mail for this call


@dataclasses.dataclass(frozen=True)
class View:
    """Who reads an event and how (``source`` is the creator's, ``maxAttendees``)."""

    email: str = None
    max_attendees: int = None

    @classmethod
    def of(cls, ctx, params):
        return cls(ctx.account.email, params.get("maxAttendees"))


def send_updates(params):
    """``sendUpdates``, or the deprecated ``sendNotifications`` (default: nobody)."""
    if params.get("sendUpdates"):
        return params["sendUpdates"]
    return "all" if params.get("sendNotifications") else "none"


class Backend:
    """All state of the emulated Google: accounts, calendars, events, sync tokens."""

    def __init__(self, clock, base_url_getter, sync_token_horizon=7 * 24 * 3600):
        self.clock = clock
        self._base_url = base_url_getter
        self.sync_token_horizon = sync_token_horizon
        self.accounts = {}
        self.calendars = {}
        self.sync_tokens = {}
        self.pages = {}
        self._seq = itertools.count(1)
        self._etag_counter = itertools.count(1)
        self.last_seq = 0
        self._account_ids = itertools.count(100000000000000000001)
        self._accounts_by_address = {}
        self.max_attendees = guest_list.DEFAULT_MAX_ATTENDEES
        self.invitations = Invitations(self)
        self.conferences = Conferences()

    # ------------------------------------------------------------------ helpers
    def next_seq(self):
        self.last_seq = next(self._seq)
        return self.last_seq

    def new_etag(self):
        return f'"{3400000000000000 + next(self._etag_counter) * 1000}"'

    def now(self):
        return self.clock.now()

    # ------------------------------------------------------------------ seeding API
    def add_account(self, email, time_zone="UTC"):
        email = email.strip()
        if email in self.accounts:
            return self.accounts[email]
        account = Account(email=email, id=str(next(self._account_ids)), time_zone=time_zone)
        self.accounts[email] = account
        self._accounts_by_address[guest_list.fold(email)] = account
        calendar = Calendar(
            id=email,
            summary=email,
            owner=email,
            time_zone=time_zone,
            etag=self.new_etag(),
            acl={email: "owner"},
            primary_of=email,
        )
        self.calendars[email] = calendar
        account.calendar_list[email] = self._new_entry(
            defaultReminders=[dict(item) for item in reminders.PRIMARY_DEFAULTS]
        )
        return account

    def account_for(self, email):
        """The account with this address (case does not matter), or None."""
        return self._accounts_by_address.get(guest_list.fold(email))

    @staticmethod
    def _new_entry(**extra):
        entry = {
            "hidden": False,
            "deleted": False,
            "selected": True,
            "colorId": "14",
            "backgroundColor": "#9fe1e7",
            "foregroundColor": "#000000",
            "defaultReminders": [],
        }
        entry.update(extra)
        return entry

    def add_calendar(
        self,
        email,
        summary="Calendar",
        access_role="owner",
        *,
        time_zone=None,
        calendar_id=None,
        description="",
        created_by_client=None,
    ):
        account = self.accounts.get(email) or self.add_account(email)
        if access_role not in ROLE_RANK or access_role == "none":
            raise ValueError(f"unknown access role {access_role!r}")
        cal_id = calendar_id or f"{random_id(26)}@group.calendar.google.com"
        if cal_id in self.calendars:
            raise ValueError(f"calendar {cal_id!r} exists")
        owner = email if access_role == "owner" else f"owner-{random_id(8)}@example.org"
        calendar = Calendar(
            id=cal_id,
            summary=summary,
            owner=owner,
            time_zone=time_zone or account.time_zone,
            description=description,
            etag=self.new_etag(),
            created_by_client=created_by_client,
            acl={email: access_role},
        )
        if owner != email:
            calendar.acl[owner] = "owner"
        self.calendars[cal_id] = calendar
        account.calendar_list[cal_id] = self._new_entry()
        return cal_id

    def share_calendar(self, calendar_id, email, access_role="reader"):
        account = self.accounts.get(email) or self.add_account(email)
        calendar = self.calendars[calendar_id]
        calendar.acl[email] = access_role
        account.calendar_list[calendar_id] = self._new_entry()

    def seed_event(self, email, calendar_id, body):
        """Direct insert with Google semantics, bypassing scopes and HTTP."""
        account = self.accounts[email]
        calendar = self.calendars[calendar_id]
        body = copy.deepcopy(body)
        event_id = body.pop("id", None)
        if event_id is not None:
            self._check_new_id(calendar, event_id)
        self._normalize_event(calendar, body, None, seeding=True)
        # Seeded data is what Google holds: conference requests are carried out.
        derived = self._new_event_conference(body, {"conferenceDataVersion": 1})
        derived.pop("pending", None)
        stored = self._create_event(calendar, account, body, event_id, derived)
        self.invitations.propagate(calendar, stored.body["id"], None, stored.body)
        return copy.deepcopy(stored.body)

    def inject_event(self, email, calendar_id, body):
        """Test-only: store ``body`` as it is, without any validation.

        For payloads Google itself would never accept (hostile-input tests).
        Only id, etag, updated, created and sequence are filled in when absent
        (``id`` is kept even when empty or not a string, so events without an id
        can be listed); the event appears in lists and incremental syncs.
        """
        self.accounts[email]
        calendar = self.calendars[calendar_id]
        body = copy.deepcopy(body)
        now = rfc3339(self.now())
        if "id" not in body:
            body["id"] = random_id(26)
        body.setdefault("kind", "calendar#event")
        body["etag"] = self.new_etag()
        body.setdefault("updated", now)
        body.setdefault("created", now)
        body.setdefault("sequence", 0)
        key = body["id"] if isinstance(body["id"], str) and body["id"] else random_id(26)
        record = StoredEvent(body=body, seq=self.next_seq())
        calendar.events[key] = record
        return copy.deepcopy(body)

    def complete_conferences(self):
        """Finish pending Meet create requests, as Google does a moment later."""
        done = 0
        for calendar_id, event_id in self.conferences.pending:
            calendar = self.calendars.get(calendar_id)
            record = calendar.events.get(event_id) if calendar else None
            if record is None:
                continue
            old = copy.deepcopy(record.body)
            if self.conferences.complete(record.body):
                self._touch(record, False)
                self.invitations.propagate(calendar, event_id, old, record.body)
                done += 1
        self.conferences.pending.clear()
        return done

    # ------------------------------------------------------------------ lookups
    def _calendar(self, ctx, calendar_id):
        if calendar_id == "primary":
            calendar_id = ctx.account.email
        calendar = self.calendars.get(calendar_id)
        role = calendar.acl.get(ctx.account.email) if calendar else None
        if not role:
            raise not_found()
        return calendar, role

    @staticmethod
    def _require_writer(role):
        if ROLE_RANK[role] < ROLE_RANK["writerWithoutPrivateAccess"]:
            raise forbidden_access("writer")

    # ------------------------------------------------------------------ event times
    def _parse_edt(self, calendar, edt, which, recurring):
        """Validate an EventDateTime; -> (kind, aware start or date, normalized dict)."""
        if not isinstance(edt, dict) or not (edt.get("date") or edt.get("dateTime")):
            raise bad_request(f"Missing {which} time.", reason="required")
        if edt.get("date") and edt.get("dateTime"):
            raise bad_request(f"Invalid {which} time.")
        tz_name = edt.get("timeZone")
        zone = None
        if tz_name:
            zone = get_zone(tz_name)
            if zone is None:
                raise bad_request(f"Invalid time zone definition for {which} time.")
        if edt.get("date"):
            try:
                day = dt.date.fromisoformat(edt["date"])
            except (TypeError, ValueError):
                raise bad_request(f"Invalid {which} time.") from None
            out = {"date": day.isoformat()}
            if tz_name:
                out["timeZone"] = tz_name
            return "date", day, out
        try:
            moment = dt.datetime.fromisoformat(edt["dateTime"].replace("z", "Z"))
        except (TypeError, ValueError, AttributeError):
            raise bad_request(f"Invalid {which} time.") from None
        if moment.tzinfo is None:
            if zone is None:
                raise bad_request(
                    f"Missing time zone definition for {which} time.", reason="required"
                )
            moment = moment.replace(tzinfo=zone)
        elif recurring and zone is None:
            # Google needs a named zone to expand a series across DST changes.
            raise bad_request(f"Missing time zone definition for {which} time.", reason="required")
        out = {"dateTime": format_datetime(moment.astimezone(zone or calendar.tz))}
        if tz_name:
            out["timeZone"] = tz_name
        return "dateTime", moment, out

    def _normalize_event(self, calendar, body, existing, *, seeding=False):
        """Google's semantic checks on a complete (merged) event body; normalizes in place."""
        status = body.get("status") or "confirmed"
        body["status"] = status
        is_exception = bool(body.get("recurringEventId"))
        recurring = bool(body.get("recurrence"))
        if recurring and is_exception:
            raise bad_request("Invalid recurrence rule: instances cannot recur.")
        if "start" not in body or body.get("start") is None:
            raise bad_request("Missing start time.", reason="required")
        if "end" not in body or body.get("end") is None:
            raise bad_request("Missing end time.", reason="required")
        skind, start, body["start"] = self._parse_edt(calendar, body["start"], "start", recurring)
        ekind, end, body["end"] = self._parse_edt(calendar, body["end"], "end", recurring)
        if skind != ekind:
            raise bad_request("Start and end times must either both be date or both be dateTime.")
        if (skind == "date" and end <= start) or (skind == "dateTime" and end < start):
            raise bad_request("The specified time range is empty.", reason="timeRangeEmpty")
        if recurring:
            if not isinstance(body["recurrence"], list):
                raise bad_request("Invalid recurrence rule.")
            try:
                self._ruleset(calendar, body)
            except recurrence.RecurrenceError:
                raise bad_request("Invalid recurrence rule.") from None
        elif "recurrence" in body:
            body.pop("recurrence")
        event_type = body.get("eventType") or "default"
        if existing is not None:
            old_type = existing.get("eventType", "default")
            if event_type != old_type:
                raise bad_request(
                    "The event type cannot be changed.", reason="eventTypeRestriction"
                )
            allowed = RESTRICTED_TYPES.get(old_type)
            if allowed is not None:
                for key in set(body) | set(existing):
                    if key in allowed or key in READ_ONLY_EVENT_FIELDS or key in ("id",):
                        continue
                    if body.get(key) != existing.get(key):
                        raise bad_request(
                            f"Field '{key}' cannot be changed on events of type {old_type}.",
                            reason="eventTypeRestriction",
                        )
        elif not seeding:  # seeding may create what only Google itself creates
            if event_type == "fromGmail":
                raise bad_request(
                    "Events of type fromGmail cannot be created.", reason="eventTypeRestriction"
                )
            if event_type in PRIMARY_ONLY_TYPES and calendar.primary_of is None:
                raise bad_request(
                    f"Events of type {event_type} can only be created on the primary calendar.",
                    reason="eventTypeRestriction",
                )
            if event_type == "workingLocation" and not body.get("workingLocationProperties"):
                raise bad_request("Missing workingLocationProperties.", reason="required")
        body["eventType"] = event_type
        self._normalize_guests(body, existing, seeding)
        body["reminders"] = reminders.normalize(body.get("reminders"))
        return body

    def _normalize_guests(self, body, existing, seeding):
        """Attendee list and ``source`` as Google keeps them."""
        if body.get("attendees") is not None:
            previous = (existing or {}).get("attendees")
            limit = None if seeding else self.max_attendees
            body["attendees"] = guest_list.normalize(body["attendees"], previous, limit)
        if not body.get("attendees"):
            body.pop("attendees", None)
        source = body.get("source")
        if source is not None:
            url = source.get("url") if isinstance(source, dict) else None
            if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
                raise bad_request("Invalid source URL: the scheme must be http or https.")

    def localize_times(self, calendar, body):
        """Start/end written in ``calendar``'s zone, as Google shows them in that copy."""
        for key in ("start", "end", "originalStartTime"):
            if isinstance(body.get(key), dict):
                body[key] = self._parse_edt(calendar, body[key], key, False)[2]

    def _ruleset(self, calendar, series):
        info = self._series_info(calendar, series)
        return recurrence.build_ruleset(
            series["recurrence"], info["start_local"], info["tz"], info["all_day"]
        )

    @staticmethod
    def _series_info(calendar, body):
        start, end = body["start"], body["end"]
        if "date" in start:
            tz = calendar.tz
            start_local = dt.datetime.fromisoformat(start["date"])
            end_local = dt.datetime.fromisoformat(end["date"])
            return {
                "tz": tz,
                "start_local": start_local,
                "duration": end_local - start_local,
                "all_day": True,
                "tz_name": start.get("timeZone"),
            }
        tz_name = start.get("timeZone") or calendar.time_zone
        tz = get_zone(tz_name) or dt.timezone.utc
        start_aware = dt.datetime.fromisoformat(start["dateTime"].replace("Z", "+00:00"))
        end_aware = dt.datetime.fromisoformat(end["dateTime"].replace("Z", "+00:00"))
        start_local = start_aware.astimezone(tz).replace(tzinfo=None)
        end_local = end_aware.astimezone(tz).replace(tzinfo=None)
        return {
            "tz": tz,
            "start_local": start_local,
            "duration": end_local - start_local,
            "all_day": False,
            "tz_name": start.get("timeZone"),
        }

    def event_bounds(self, calendar, body):
        """-> (start, end) aware datetimes; all-day events use the calendar's zone."""

        def point(edt):
            if "date" in edt:
                day = dt.date.fromisoformat(edt["date"])
                return dt.datetime(day.year, day.month, day.day, tzinfo=calendar.tz)
            return dt.datetime.fromisoformat(edt["dateTime"].replace("Z", "+00:00"))

        return point(body["start"]), point(body["end"])

    # ------------------------------------------------------------------ instances
    def _instance_body(self, calendar, series, occurrence, info):
        tz = info["tz"]
        body = copy.deepcopy(series)
        body.pop("recurrence", None)
        if info["all_day"]:
            key = occurrence.strftime("%Y%m%d")
            start = {"date": occurrence.date().isoformat()}
            end = {"date": (occurrence + info["duration"]).date().isoformat()}
        else:
            start_aware = occurrence.replace(tzinfo=tz)
            key = start_aware.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            start = {"dateTime": format_datetime(start_aware)}
            end = {"dateTime": format_datetime((occurrence + info["duration"]).replace(tzinfo=tz))}
            if info["tz_name"]:
                start["timeZone"] = info["tz_name"]
                end["timeZone"] = info["tz_name"]
        body["id"] = f"{series['id']}_{key}"
        body["start"], body["end"] = start, copy.deepcopy(end)
        body["originalStartTime"] = copy.deepcopy(start)
        body["recurringEventId"] = series["id"]
        body["htmlLink"] = self._html_link(calendar, body["id"])
        return body

    def _expand(
        self, calendar, series, time_min=None, time_max=None, *, limit=None, unbounded=False
    ):
        """Virtual instances (no exceptions applied) overlapping [time_min, time_max).

        Without time_max an endless series stops at EXPANSION_HORIZON unless `unbounded`
        (only used with a small `limit`).
        """
        info = self._series_info(calendar, series)
        try:
            rset = self._ruleset(calendar, series)
        except recurrence.RecurrenceError:
            return []
        tz = info["tz"]
        if time_max is not None:
            until_local = time_max.astimezone(tz).replace(tzinfo=None)
        elif unbounded:
            until_local = None
        else:
            # Endless series stop two years after today or after their start if later.
            now_local = self.now().astimezone(tz).replace(tzinfo=None)
            until_local = max(now_local, info["start_local"]) + EXPANSION_HORIZON
        if time_min is not None:
            since = time_min.astimezone(tz).replace(tzinfo=None) - info["duration"]
            occurrences = rset.xafter(since - dt.timedelta(seconds=1), inc=True)
        else:
            occurrences = iter(rset)
        limit = limit or recurrence.MAX_INSTANCES
        result = []
        for occurrence in occurrences:
            if until_local is not None and occurrence >= until_local:
                break
            if time_min is not None:
                occ_end = (occurrence + info["duration"]).replace(tzinfo=tz)
                occ_start = occurrence.replace(tzinfo=tz)
                if occ_end <= time_min and not (occ_start == occ_end == time_min):
                    continue
            result.append(self._instance_body(calendar, series, occurrence, info))
            if len(result) >= limit:
                break
        return result

    def _find_instance(self, calendar, event_id):
        """Virtual instance body for an instance id of a live series, or None."""
        match = INSTANCE_ID_RE.match(event_id)
        if not match:
            return None
        stored = calendar.events.get(match["series"])
        if stored is None or stored.body.get("status") == "cancelled":
            return None
        series = stored.body
        if not series.get("recurrence"):
            return None
        key = match["key"]
        info = self._series_info(calendar, series)
        if info["all_day"]:
            if "T" in key:
                return None
            local = dt.datetime.strptime(key, "%Y%m%d")
        else:
            if "T" not in key:
                return None
            moment = dt.datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
            local = moment.astimezone(info["tz"]).replace(tzinfo=None)
        try:
            rset = self._ruleset(calendar, series)
        except recurrence.RecurrenceError:
            return None
        if not rset.between(local, local, inc=True):
            return None
        return self._instance_body(calendar, series, local, info)

    # ------------------------------------------------------------------ rendering
    def _html_link(self, calendar, event_id):
        import base64

        eid = base64.urlsafe_b64encode(f"{event_id} {calendar.id}".encode()).decode()
        return f"{self._base_url()}calendar/event?eid={eid.rstrip('=')}"

    def render_event(self, calendar, role, body, *, minimal_cancelled, view=None):
        out = copy.deepcopy(body)
        if out.get("status") == "cancelled" and minimal_cancelled:
            keep = {"kind", "etag", "id", "status"}
            if out.get("recurringEventId"):
                keep |= {"recurringEventId", "originalStartTime"}
            return {key: value for key, value in out.items() if key in keep}
        organizer = out.get("organizer")
        if isinstance(organizer, dict) and organizer.get("email") == calendar.id:
            organizer["self"] = True
        self._render_guests(calendar, out, view or View())
        creator = out.get("creator")
        if isinstance(creator, dict) and creator.get("email") == calendar.id:
            creator["self"] = True
        private = out.get("visibility") in ("private", "confidential")
        if role == "freeBusyReader" or (private and ROLE_RANK[role] < ROLE_RANK["writer"]):
            keep = {
                "kind",
                "etag",
                "id",
                "status",
                "start",
                "end",
                "updated",
                "created",
                "recurringEventId",
                "originalStartTime",
                "recurrence",
                "iCalUID",
                "transparency",
                "visibility",
                "eventType",
                "sequence",
                "htmlLink",
            }
            out = {key: value for key, value in out.items() if key in keep}
            if role != "freeBusyReader":
                out["summary"] = "busy"
        return out

    @staticmethod
    def _render_guests(calendar, out, view):
        """Per-copy flags, hidden guests, ``maxAttendees``; ``source`` for its creator only."""
        attendees = out.get("attendees")
        if isinstance(attendees, list):
            hide = not Invitations.is_organizer_copy(calendar, out) and not out.get(
                "guestsCanSeeOtherGuests", True
            )
            shown, omitted = guest_list.render(
                attendees,
                calendar.id,
                organizer_email(out),
                only_self=hide,
                limit=view.max_attendees,
            )
            out["attendees"] = shown
            if omitted:
                out["attendeesOmitted"] = True
        creator = out.get("creator")
        creator = creator.get("email") if isinstance(creator, dict) else None
        if (
            view.email
            and "source" in out
            and guest_list.fold(creator) != guest_list.fold(view.email)
        ):
            del out["source"]

    # ------------------------------------------------------------------ event writes
    def _check_new_id(self, calendar, event_id):
        if not isinstance(event_id, str) or not EVENT_ID_RE.match(event_id):
            raise bad_request("Invalid resource id value.")
        if event_id in calendar.events:
            raise ApiError(409, "duplicate", "The requested identifier already exists.")

    def _create_event(self, calendar, account, body, event_id=None, derived=None):
        """Store a new event; ``derived`` holds read-only fields the write set itself."""
        event_id = event_id or random_id(26)
        now = rfc3339(self.now())
        organizer_email = calendar.id
        organizer = {"email": organizer_email}
        if calendar.primary_of is None:
            organizer["displayName"] = calendar.summary
        stored = {
            "kind": "calendar#event",
            "etag": self.new_etag(),
            "id": event_id,
            "status": body.pop("status", "confirmed"),
            "htmlLink": self._html_link(calendar, event_id),
            "created": now,
            "updated": now,
            "creator": {"email": account.email},
            "organizer": organizer,
        }
        for key in READ_ONLY_EVENT_FIELDS - {"iCalUID", "recurringEventId", "originalStartTime"}:
            body.pop(key, None)
        stored.update(body)
        stored.update(derived or {})
        stored.setdefault("iCalUID", f"{event_id}@google.com")
        stored.setdefault("sequence", 0)
        stored.setdefault("reminders", {"useDefault": True})
        stored.setdefault("eventType", "default")
        record = StoredEvent(body=stored, seq=self.next_seq())
        calendar.events[event_id] = record
        return record

    def _touch(self, record, significant, bump_updated=True):
        body = record.body
        body["etag"] = self.new_etag()
        if bump_updated or "updated" not in body:
            body["updated"] = rfc3339(self.now())
        if significant:
            body["sequence"] = int(body.get("sequence") or 0) + 1
        record.seq = self.next_seq()

    @staticmethod
    def _check_if_match(ctx, etag):
        wanted = ctx.headers.get("if-match")
        if wanted is None:
            return
        wanted = [item.strip() for item in wanted.split(",")]
        if "*" in wanted or etag in wanted:
            return
        raise ApiError(
            412,
            "conditionNotMet",
            "Precondition Failed",
            location="If-Match",
            location_type="header",
        )

    def _current(self, calendar, event_id):
        """-> (StoredEvent or None, body) for a stored event or a virtual instance id."""
        record = calendar.events.get(event_id)
        if record is not None:
            return record, record.body
        instance = self._find_instance(calendar, event_id)
        if instance is None:
            raise not_found()
        return None, instance

    def _store(
        self,
        calendar,
        record,
        event_id,
        body,
        significant,
        *,
        invitation_of=None,
        bump_updated=True,
    ):
        """Write a body; a virtual instance becomes a stored exception here."""
        if record is None:
            series = calendar.events.get(body.get("recurringEventId") or "")
            if invitation_of is None and series is not None:
                invitation_of = series.invitation_of  # an exception of a guest's copy
            record = StoredEvent(body=body, seq=0, invitation_of=invitation_of)
            calendar.events[event_id] = record
        record.body = body
        self._touch(record, significant, bump_updated)
        return record

    def _merged(self, ctx, old, body, *, replace, version):
        """The event as the write asks for it (not validated yet); -> (body, pending)."""
        incoming = {
            k: v
            for k, v in copy.deepcopy(body).items()
            if k not in READ_ONLY_EVENT_FIELDS and k != "id"
        }
        if replace:
            merged = {
                k: copy.deepcopy(v)
                for k, v in old.items()
                if k in READ_ONLY_EVENT_FIELDS or k in ("id", "sequence", "eventType")
            }
            merged["status"] = old.get("status")
            merged.update({k: v for k, v in incoming.items() if v is not None})
        else:
            for key in ("start", "end"):
                # A new date replaces a dateTime (and vice versa) instead of merging both.
                value = incoming.get(key)
                if isinstance(value, dict) and ("date" in value or "dateTime" in value):
                    value.setdefault("date", None)
                    value.setdefault("dateTime", None)
            merged = _merge_patch(copy.deepcopy(old), incoming)
        if "sequence" in incoming and incoming["sequence"] is not None:
            merged["sequence"] = max(int(incoming["sequence"]), int(old.get("sequence") or 0))
        else:
            merged["sequence"] = old.get("sequence", 0)
        hidden = old.get("guestsCanSeeOtherGuests") is False
        if incoming.get("attendees") is not None and (body.get("attendeesOmitted") or hidden):
            merged["attendees"] = guest_list.merge_partial(
                old.get("attendees"), incoming["attendees"]
            )
        creator = (old.get("creator") or {}).get("email")
        if guest_list.fold(creator) != guest_list.fold(ctx.account.email):
            merged.pop("source", None)  # only the creator sees or changes it
            if "source" in old:
                merged["source"] = copy.deepcopy(old["source"])
        pending = self.conferences.apply(
            body.get("conferenceData"),
            "conferenceData" in body,
            old,
            merged,
            version=version,
            replace=replace,
        )
        return merged, pending

    def _write_event(self, ctx, params, body, *, replace):
        calendar, role = self._calendar(ctx, params["calendarId"])
        ctx.require_scope(calendar, role=role)
        self._require_writer(role)
        event_id = params["eventId"]
        record, old = self._current(calendar, event_id)
        self._check_if_match(ctx, old["etag"])
        version = params.get("conferenceDataVersion") or 0
        merged, pending = self._merged(ctx, old, body, replace=replace, version=version)
        self._normalize_event(calendar, merged, old)
        origin = self.invitations.origin(calendar, record, old)
        if origin is not None:
            record, notify = self.invitations.guest_write(
                calendar, event_id, record, old=old, merged=merged, organizer_id=origin
            )
        else:
            record, notify = self._organizer_write(
                ctx, calendar, event_id, record, old=old, merged=merged
            )
        if pending:
            self.conferences.pending.append((calendar.id, event_id))
        return Response(
            200,
            self.render_event(
                calendar, role, record.body, minimal_cancelled=False, view=View.of(ctx, params)
            ),
            {"ETag": record.body["etag"]},
            self.invitations.recipients(send_updates(params), notify),
        )

    def _organizer_write(self, ctx, calendar, event_id, record, *, old, merged):
        """Store the event of this calendar and deliver it; -> (record, guests to notify)."""
        significant = any(merged.get(k) != old.get(k) for k in ("start", "end", "recurrence"))
        record = self._store(
            calendar,
            record,
            event_id,
            merged,
            significant,
            bump_updated=not reminders_only(old, merged),
        )
        cancelled = []
        if merged.get("status") == "cancelled" and old.get("status") != "cancelled":
            cancelled = self._cancel_exceptions(calendar, merged)
        self.invitations.organizer_wrote(calendar, event_id, old, merged, cancelled)
        return record, self.invitations.guests_to_notify(calendar, old, merged, ctx.account.email)

    def _cancel_exceptions(self, calendar, series):
        """Cancel the stored exceptions of a cancelled series; -> [(id, before, after)]."""
        if not series.get("recurrence"):
            return []
        prefix = series["id"] + "_"
        cancelled = []
        for event_id, record in calendar.events.items():
            if (
                event_id.startswith(prefix)
                and record.body.get("recurringEventId") == series["id"]
                and record.body.get("status") != "cancelled"
            ):
                before = copy.deepcopy(record.body)
                record.body["status"] = "cancelled"
                self._touch(record, False)
                cancelled.append((event_id, before, record.body))
        return cancelled

    # ------------------------------------------------------------------ events API
    def events_insert(self, ctx, params):
        calendar, role = self._calendar(ctx, params["calendarId"])
        ctx.require_scope(calendar, role=role)
        self._require_writer(role)
        body = copy.deepcopy(ctx.body or {})
        event_id = body.pop("id", None)
        if event_id is not None:
            self._check_new_id(calendar, event_id)
        self._normalize_event(calendar, body, None)
        derived = self._new_event_conference(body, params)
        if body.get("privateCopy"):
            derived["privateCopy"] = True  # immutable, so only an insert sets it
        record = self._create_event(calendar, ctx.account, body, event_id, derived)
        event_id = record.body["id"]
        if derived.pop("pending", False):
            self.conferences.pending.append((calendar.id, event_id))
        self.invitations.organizer_wrote(calendar, event_id, None, record.body)
        notify = self.invitations.guests_to_notify(calendar, None, record.body, ctx.account.email)
        return Response(
            200,
            self.render_event(
                calendar, role, record.body, minimal_cancelled=False, view=View.of(ctx, params)
            ),
            {"ETag": record.body["etag"]},
            self.invitations.recipients(send_updates(params), notify),
        )

    def _new_event_conference(self, body, params):
        """Conference of a new event; -> read-only fields it sets (and whether pending)."""
        pending = self.conferences.apply(
            body.get("conferenceData"),
            "conferenceData" in body,
            None,
            body,
            version=params.get("conferenceDataVersion") or 0,
            replace=True,
        )
        derived = {"pending": True} if pending else {}
        if "hangoutLink" in body:
            derived["hangoutLink"] = body.pop("hangoutLink")
        return derived

    def events_import(self, ctx, params):
        calendar, role = self._calendar(ctx, params["calendarId"])
        ctx.require_scope(calendar, role=role)
        self._require_writer(role)
        body = copy.deepcopy(ctx.body or {})
        uid = body.get("iCalUID")
        if not uid:
            raise bad_request("Missing iCalUID.", reason="required")
        body.pop("id", None)
        organizer = body.pop("organizer", None)
        # Imports are private copies: they never invite anybody.
        for record in calendar.events.values():
            if record.body.get("iCalUID") == uid and not record.body.get("recurringEventId"):
                merged = {
                    k: v
                    for k, v in record.body.items()
                    if k in READ_ONLY_EVENT_FIELDS or k in ("id", "sequence")
                }
                merged.update(body)
                self.conferences.apply(
                    body.get("conferenceData"),
                    "conferenceData" in body,
                    record.body,
                    merged,
                    version=params.get("conferenceDataVersion") or 0,
                    replace=True,
                )
                self._normalize_event(calendar, merged, None)
                record.body = merged
                self._touch(record, True)
                return Response(
                    200,
                    self.render_event(calendar, role, merged, minimal_cancelled=False),
                    {"ETag": merged["etag"]},
                )
        self._normalize_event(calendar, body, None)
        derived = self._new_event_conference(body, params)
        derived.pop("pending", None)
        record = self._create_event(calendar, ctx.account, body, derived=derived)
        if organizer:
            record.body["organizer"] = organizer
        return Response(
            200,
            self.render_event(calendar, role, record.body, minimal_cancelled=False),
            {"ETag": record.body["etag"]},
        )

    def events_patch(self, ctx, params):
        return self._write_event(ctx, params, ctx.body or {}, replace=False)

    def events_update(self, ctx, params):
        return self._write_event(ctx, params, ctx.body or {}, replace=True)

    def events_delete(self, ctx, params):
        calendar, role = self._calendar(ctx, params["calendarId"])
        ctx.require_scope(calendar, role=role)
        self._require_writer(role)
        event_id = params["eventId"]
        record, old = self._current(calendar, event_id)
        if old.get("status") == "cancelled":
            raise gone_deleted()
        self._check_if_match(ctx, old["etag"])
        origin = self.invitations.origin(calendar, record, old)
        if origin is not None:  # a guest deleting his copy declines
            _, notify = self.invitations.guest_delete(calendar, event_id, record, old, origin)
        else:
            body = copy.deepcopy(old)
            body["status"] = "cancelled"
            self._store(calendar, record, event_id, body, False)
            cancelled = self._cancel_exceptions(calendar, body)
            self.invitations.organizer_wrote(calendar, event_id, old, body, cancelled)
            notify = self.invitations.guests_to_notify(calendar, old, body, ctx.account.email)
        return Response(204, notified=self.invitations.recipients(send_updates(params), notify))

    def events_get(self, ctx, params):
        calendar, role = self._calendar(ctx, params["calendarId"])
        ctx.require_scope(calendar, role=role)
        record = calendar.events.get(params["eventId"])
        body = record.body if record else self._find_instance(calendar, params["eventId"])
        if body is None:
            raise not_found()
        if ctx.headers.get("if-none-match") == body["etag"]:
            return Response(304, None, {"ETag": body["etag"]})
        return Response(
            200,
            self.render_event(
                calendar, role, body, minimal_cancelled=False, view=View.of(ctx, params)
            ),
            {"ETag": body["etag"]},
        )

    def events_move(self, ctx, params):
        calendar, role = self._calendar(ctx, params["calendarId"])
        ctx.require_scope(calendar, role=role)
        self._require_writer(role)
        target, target_role = self._calendar(ctx, params["destination"])
        ctx.require_scope(target, role=target_role)
        self._require_writer(target_role)
        record = calendar.events.get(params["eventId"])
        if record is None:
            raise not_found()
        if record.body.get("status") == "cancelled":
            raise gone_deleted()
        if (
            record.body.get("recurringEventId")
            or record.body.get("eventType") != "default"
            or record.invitation_of
        ):
            raise bad_request("Cannot move this event.", reason="cannotChangeOrganizer")
        if record.body["id"] in target.events:
            raise ApiError(409, "duplicate", "The requested identifier already exists.")
        old = copy.deepcopy(record.body)
        moved = copy.deepcopy(record.body)
        record.body["status"] = "cancelled"
        self._touch(record, False)
        moved["organizer"] = {"email": target.id}
        if target.primary_of is None:
            moved["organizer"]["displayName"] = target.summary
        moved["htmlLink"] = self._html_link(target, moved["id"])
        new = StoredEvent(body=moved, seq=0)
        target.events[moved["id"]] = new
        self._touch(new, False)
        self.invitations.moved(calendar, target, old, moved)
        notify = self.invitations.guests_to_notify(target, old, moved, ctx.account.email)
        return Response(
            200,
            self.render_event(
                target, target_role, moved, minimal_cancelled=False, view=View.of(ctx, params)
            ),
            {"ETag": moved["etag"]},
            self.invitations.recipients(send_updates(params), notify),
        )

    # ------------------------------------------------------------------ list
    def _page(self, ctx, params, calendar, compute, *, allow_sync):
        """Shared paging: compute all items on the first page, serve slices afterwards."""
        signature = json.dumps(
            [
                ctx.account.email,
                calendar.id,
                ctx.api_call,
                *sorted((k, v) for k, v in params.items() if k not in PAGE_NEUTRAL),
            ],
            default=str,
        )
        page_token = params.get("pageToken")
        max_results = min(params.get("maxResults") or DEFAULT_LIST_RESULTS, MAX_LIST_RESULTS)
        if page_token:
            state = self.pages.get(page_token)
            if state is None:
                raise bad_request("Invalid pageToken.", location="pageToken")
            if state.signature != signature:
                raise bad_request(
                    "The pageToken does not belong to this query: repeat the "
                    "same query parameters with pageToken.",
                    location="pageToken",
                )
        else:
            items, sync_seq = compute()
            state = PageState(
                signature=signature,
                items=items,
                offset=0,
                sync_seq=sync_seq,
                calendar_id=calendar.id,
                with_sync_token=bool(params.get("syncToken")),
            )
        chunk = state.items[state.offset : state.offset + max_results]
        result = {}
        if state.offset + max_results < len(state.items):
            token = "EP" + secrets.token_urlsafe(24)
            self.pages[token] = dataclasses.replace(state, offset=state.offset + max_results)
            self._trim(self.pages)
            result["nextPageToken"] = token
        elif allow_sync:
            token = "CP" + secrets.token_urlsafe(30)
            self.sync_tokens[token] = SyncToken(
                calendar.id,
                state.sync_seq,
                calendar.sync_epoch,
                self.clock.time(),
                ctx.account.email,
            )
            self._trim(self.sync_tokens)
            result["nextSyncToken"] = token
        return chunk, result

    @staticmethod
    def _trim(mapping, limit=50000):
        while len(mapping) > limit:
            mapping.pop(next(iter(mapping)))

    def _check_sync_token(self, calendar, token_text):
        token = self.sync_tokens.get(token_text)
        if (
            token is None
            or token.calendar_id != calendar.id
            or token.epoch != calendar.sync_epoch
            or (
                self.sync_token_horizon is not None
                and self.clock.time() - token.issued_at > self.sync_token_horizon
            )
        ):
            raise full_sync_required()
        return token

    def events_list(self, ctx, params):
        calendar, role = self._calendar(ctx, params["calendarId"])
        ctx.require_scope(calendar, role=role)
        sync_text = params.get("syncToken")
        if sync_text:
            for name in SYNC_INCOMPATIBLE:
                if name in params:
                    raise bad_request(
                        f"Sync token cannot be combined with the {name} parameter.", location=name
                    )
        if params.get("orderBy") == "startTime" and not params.get("singleEvents"):
            raise bad_request("The requested ordering is not available for the particular query.")
        token = None
        if sync_text and not params.get("pageToken"):
            token = self._check_sync_token(calendar, sync_text)

        def compute():
            return self._list_items(
                calendar, role, params, token, View.of(ctx, params)
            ), self.last_seq

        items, extra = self._page(ctx, params, calendar, compute, allow_sync=True)
        body = {
            "kind": "calendar#events",
            "etag": calendar.etag,
            "summary": calendar.summary,
            "description": calendar.description,
            "updated": rfc3339(self.now()),
            "timeZone": calendar.time_zone,
            "accessRole": role,
            "defaultReminders": self._default_reminders(ctx.account, calendar),
        }
        body.update(extra)
        body["items"] = items
        return Response(200, body)

    @staticmethod
    def _default_reminders(account, calendar):
        entry = account.calendar_list.get(calendar.id) or {}
        return copy.deepcopy(entry.get("defaultReminders") or [])

    def _list_items(self, calendar, role, params, token, view):
        incremental = token is not None
        show_deleted = bool(params.get("showDeleted")) or incremental
        single = bool(params.get("singleEvents"))
        time_min = _opt_time(params.get("timeMin"))
        time_max = _opt_time(params.get("timeMax"))
        updated_min = _opt_time(params.get("updatedMin"))
        records = list(calendar.events.values())
        if incremental:
            records = sorted((r for r in records if r.seq > token.seq), key=lambda r: r.seq)
        selected = []  # (sort key, body)
        for record in records:
            body = record.body
            cancelled = body.get("status") == "cancelled"
            is_exception = bool(body.get("recurringEventId"))
            updated = _opt_time(body.get("updated"))
            recently_deleted = bool(updated_min and updated and updated >= updated_min)
            if cancelled and not (
                show_deleted or recently_deleted or (is_exception and not single)
            ):
                continue
            if not self._matches_filters(body, params):
                continue
            if updated_min and updated and updated < updated_min:
                continue
            if body.get("recurrence") and single and not cancelled:
                instances = self._expand(calendar, body, time_min, time_max)
                taken = {
                    key
                    for key, rec in calendar.events.items()
                    if rec.body.get("recurringEventId") == body["id"]
                }
                for instance in instances:
                    if instance["id"] in taken:
                        continue
                    selected.append((self.event_bounds(calendar, instance)[0], instance))
                continue
            try:
                start, end = self.event_bounds(calendar, body)
                if start.tzinfo is None or end.tzinfo is None:
                    raise TypeError("naive event time")
            except Exception:
                selected.append((_FAR_PAST, body))
                continue
            if not incremental:
                if body.get("recurrence") and not cancelled:
                    if (time_min or time_max) and not self._expand(
                        calendar, body, time_min, time_max, limit=1, unbounded=True
                    ):
                        continue
                else:
                    if time_min and end <= time_min and not (start == end == time_min):
                        continue
                    if time_max and start >= time_max:
                        continue
            selected.append((start, body))
        order = params.get("orderBy")
        if order == "startTime" or (single and not incremental):
            selected.sort(key=lambda item: item[0])
        elif order == "updated":
            selected.sort(key=lambda item: item[1].get("updated", ""))
        return [
            self.render_event(calendar, role, body, minimal_cancelled=True, view=view)
            for _, body in selected
        ]

    @staticmethod
    def _matches_filters(body, params):
        uid = params.get("iCalUID")
        if uid and body.get("iCalUID") != uid:
            return False
        types = params.get("eventTypes")
        if types and body.get("eventType", "default") not in types:
            return False
        query = params.get("q")
        if query:
            haystack = " ".join(
                str(body.get(k) or "") for k in ("summary", "description", "location")
            ).lower()
            if not all(word in haystack for word in query.lower().split()):
                return False
        for param, key in (
            ("privateExtendedProperty", "private"),
            ("sharedExtendedProperty", "shared"),
        ):
            for condition in params.get(param) or []:
                name, _, value = condition.partition("=")
                props = (body.get("extendedProperties") or {}).get(key) or {}
                if props.get(name) != value:
                    return False
        return True

    def events_instances(self, ctx, params):
        calendar, role = self._calendar(ctx, params["calendarId"])
        ctx.require_scope(calendar, role=role)
        record = calendar.events.get(params["eventId"])
        if record is None:
            raise not_found()
        series = record.body
        if series.get("status") == "cancelled":
            raise gone_deleted()
        time_min = _opt_time(params.get("timeMin"))
        time_max = _opt_time(params.get("timeMax"))
        view = View.of(ctx, params)

        def compute():
            if not series.get("recurrence"):
                return [
                    self.render_event(calendar, role, series, minimal_cancelled=False, view=view)
                ], 0
            exceptions = {
                key: rec.body
                for key, rec in calendar.events.items()
                if rec.body.get("recurringEventId") == series["id"]
            }
            items = []
            for instance in self._expand(calendar, series, time_min, time_max):
                body = exceptions.get(instance["id"], instance)
                if body.get("status") == "cancelled" and not params.get("showDeleted"):
                    continue
                original = params.get("originalStart")
                if (
                    original
                    and body["originalStartTime"].get(
                        "dateTime", body["originalStartTime"].get("date")
                    )
                    != original
                ):
                    continue
                items.append(
                    self.render_event(calendar, role, body, minimal_cancelled=True, view=view)
                )
            return items, 0

        items, extra = self._page(ctx, params, calendar, compute, allow_sync=False)
        body = {
            "kind": "calendar#events",
            "etag": series["etag"],
            "summary": calendar.summary,
            "updated": series.get("updated"),
            "timeZone": calendar.time_zone,
            "accessRole": role,
            "defaultReminders": self._default_reminders(ctx.account, calendar),
        }
        body.update(extra)
        body["items"] = items
        return Response(200, body)

    # ------------------------------------------------------------------ calendars
    def _entry_json(self, account, calendar, entry):
        role = calendar.acl.get(account.email, "none")
        out = {
            "kind": "calendar#calendarListEntry",
            "etag": calendar.etag,
            "id": calendar.id,
            "summary": calendar.summary,
            "timeZone": calendar.time_zone,
            "colorId": entry["colorId"],
            "backgroundColor": entry["backgroundColor"],
            "foregroundColor": entry["foregroundColor"],
            "selected": entry["selected"],
            "accessRole": role,
            "defaultReminders": copy.deepcopy(entry.get("defaultReminders") or []),
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }
        if calendar.description:
            out["description"] = calendar.description
        if calendar.primary_of == account.email:
            out["primary"] = True
        if not calendar.primary_of:
            # Google names the owner of secondary calendars, also to those it is shared with.
            out["dataOwner"] = calendar.owner
        if entry.get("hidden"):
            out["hidden"] = True
        if entry.get("deleted"):
            out["deleted"] = True
        if entry.get("summaryOverride"):
            out["summaryOverride"] = entry["summaryOverride"]
        return out

    def calendar_list_list(self, ctx, params):
        ctx.require_scope()
        if params.get("syncToken"):
            raise full_sync_required()
        account = ctx.account
        min_role = ROLE_RANK.get(params.get("minAccessRole") or "freeBusyReader")
        items = []
        for cal_id, entry in account.calendar_list.items():
            calendar = self.calendars.get(cal_id)
            if calendar is None or not calendar.acl.get(account.email):
                continue
            if entry.get("deleted") and not params.get("showDeleted"):
                continue
            if entry.get("hidden") and not params.get("showHidden"):
                continue
            if ROLE_RANK[calendar.acl[account.email]] < min_role:
                continue
            items.append(self._entry_json(account, calendar, entry))
        max_results = min(params.get("maxResults") or 100, 250)
        offset = 0
        if params.get("pageToken"):
            try:
                offset = int(params["pageToken"].removeprefix("CL"))
            except ValueError:
                raise bad_request("Invalid pageToken.", location="pageToken") from None
        body = {"kind": "calendar#calendarList", "etag": self.new_etag()}
        if offset + max_results < len(items):
            body["nextPageToken"] = f"CL{offset + max_results}"
        body["items"] = items[offset : offset + max_results]
        return Response(200, body)

    def calendar_list_get(self, ctx, params):
        calendar, role = self._calendar(ctx, params["calendarId"])
        ctx.require_scope(calendar, role=role)
        entry = ctx.account.calendar_list.get(calendar.id)
        if entry is None or entry.get("deleted"):
            raise not_found()
        return Response(200, self._entry_json(ctx.account, calendar, entry))

    def calendar_list_patch(self, ctx, params):
        return self._write_entry(ctx, params, replace=False)

    def calendar_list_update(self, ctx, params):
        return self._write_entry(ctx, params, replace=True)

    def _write_entry(self, ctx, params, *, replace):
        """The account's own settings of a calendar: default reminders, colour, display."""
        calendar, role = self._calendar(ctx, params["calendarId"])
        ctx.require_scope(calendar, role=role)
        entry = ctx.account.calendar_list.get(calendar.id)
        if entry is None or entry.get("deleted"):
            raise not_found()
        body = ctx.body or {}
        defaults = {"defaultReminders": [], "hidden": False, "summaryOverride": None}
        for key, default in defaults.items():
            if key in body or replace:
                entry[key] = body.get(key, default)
        entry["defaultReminders"] = reminders.clean_overrides(entry["defaultReminders"] or [])
        for key in ("selected", "colorId"):
            if body.get(key) is not None:
                entry[key] = body[key]
        calendar.etag = self.new_etag()
        return Response(200, self._entry_json(ctx.account, calendar, entry))

    def calendar_list_delete(self, ctx, params):
        calendar, role = self._calendar(ctx, params["calendarId"])
        ctx.require_scope(calendar, role=role)
        entry = ctx.account.calendar_list.get(calendar.id)
        if entry is None or entry.get("deleted"):
            raise not_found()
        if calendar.primary_of == ctx.account.email:
            raise bad_request("Cannot remove the primary calendar from the calendar list.")
        entry["deleted"] = True
        return Response(204)

    def _calendar_json(self, calendar):
        out = {
            "kind": "calendar#calendar",
            "etag": calendar.etag,
            "id": calendar.id,
            "summary": calendar.summary,
            "timeZone": calendar.time_zone,
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }
        if calendar.description:
            out["description"] = calendar.description
        return out

    def calendars_insert(self, ctx, params):
        ctx.require_scope()
        body = ctx.body or {}
        if not body.get("summary"):
            raise bad_request("Missing title.", reason="required")
        time_zone = body.get("timeZone") or ctx.account.time_zone
        if get_zone(time_zone) is None:
            raise bad_request("Invalid time zone definition.")
        cal_id = self.add_calendar(
            ctx.account.email,
            summary=body["summary"],
            time_zone=time_zone,
            description=body.get("description") or "",
            created_by_client=ctx.client_id,
        )
        return Response(200, self._calendar_json(self.calendars[cal_id]))

    def calendars_get(self, ctx, params):
        calendar, role = self._calendar(ctx, params["calendarId"])
        ctx.require_scope(calendar, role=role)
        return Response(200, self._calendar_json(calendar))

    def calendars_delete(self, ctx, params):
        calendar, role = self._calendar(ctx, params["calendarId"])
        ctx.require_scope(calendar, role=role)
        if calendar.primary_of is not None:
            raise bad_request(
                "Cannot delete the primary calendar; use calendars.clear.",
                reason="cannotDeletePrimaryCalendar",
            )
        if role != "owner":
            raise forbidden_access("owner")
        del self.calendars[calendar.id]
        for account in self.accounts.values():
            account.calendar_list.pop(calendar.id, None)
        return Response(204)

    def calendars_patch(self, ctx, params):
        calendar, role = self._calendar(ctx, params["calendarId"])
        ctx.require_scope(calendar, role=role)
        if role != "owner":
            raise forbidden_access("owner")
        body = ctx.body or {}
        if "timeZone" in body and get_zone(body["timeZone"]) is None:
            raise bad_request("Invalid time zone definition.")
        calendar.summary = body.get("summary", calendar.summary)
        calendar.description = body.get("description", calendar.description) or ""
        calendar.time_zone = body.get("timeZone", calendar.time_zone)
        calendar.etag = self.new_etag()
        return Response(200, self._calendar_json(calendar))

    # ------------------------------------------------------------------ dispatch table
    HANDLERS = {
        "events.list": "events_list",
        "events.get": "events_get",
        "events.insert": "events_insert",
        "events.import": "events_import",
        "events.patch": "events_patch",
        "events.update": "events_update",
        "events.delete": "events_delete",
        "events.instances": "events_instances",
        "events.move": "events_move",
        "calendarList.list": "calendar_list_list",
        "calendarList.get": "calendar_list_get",
        "calendarList.delete": "calendar_list_delete",
        "calendarList.patch": "calendar_list_patch",
        "calendarList.update": "calendar_list_update",
        "calendars.insert": "calendars_insert",
        "calendars.get": "calendars_get",
        "calendars.delete": "calendars_delete",
        "calendars.patch": "calendars_patch",
    }


# Sort key of injected events whose times cannot be read (see inject_event).
_FAR_PAST = dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)


def _merge_patch(target, patch):
    """Google patch semantics: nested objects merge, arrays and scalars replace, null clears."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            target[key] = _merge_patch(target[key], value)
        else:
            target[key] = value
    return target


def _opt_time(value):
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
