"""Field mapping between Google Calendar events and Odoo ``calendar.event`` values.

The Odoo side builds an :class:`OdooEvent` from a record and applies the
:class:`MappedEvent` values back; the mapping rules are in docs/architecture.md.
"""

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta

from . import attendees as attendees_mod
from . import extras
from . import recurrence as rec_mod
from .errors import MappingError
from .recurrence import RULE_FIELDS, WEEKDAY_FIELDS, Recurrence
from .sanitize import (
    MAX_LOCATION_CHARS,
    MAX_NAME_CHARS,
    clean_text,
    description_from_google,
    description_to_google,
    html_to_text,
)
from .timeutil import (
    format_rfc3339,
    format_utc_compact,
    get_zone,
    parse_date,
    parse_datetime,
    to_naive_utc,
    utc_to_local,
    valid_tz,
)

__all__ = [
    "DEFAULT_TITLE",
    "UNTITLED_NAMES",
    "MappedEvent",
    "MappingError",
    "OdooEvent",
    "can_edit",
    "common_from_google",
    "common_from_odoo",
    "diff_values",
    "event_end_utc",
    "event_summary",
    "google_to_odoo",
    "is_organizer",
    "is_private_google",
    "is_private_odoo",
    "odoo_to_google",
    "odoo_values_from_snapshot",
    "snapshot_from_values",
]

# The adapter shows ``_("(No title)")``; both spellings are recognised as "untitled".
DEFAULT_TITLE = "(No title)"
UNTITLED_NAMES = frozenset({"", DEFAULT_TITLE, "(Kein Titel)"})

_VISIBILITY_TO_ODOO = {
    "default": False,
    "public": "public",
    "private": "private",
    "confidential": "private",
}
_PRIVACY_TO_GOOGLE = {
    None: "default",
    False: "default",
    "public": "public",
    "private": "private",
    "confidential": "private",
}
READONLY_EVENT_TYPES = frozenset(
    {"birthday", "workingLocation", "outOfOffice", "focusTime", "fromGmail"}
)
WRITABLE_ROLES = frozenset({"owner", "writer"})
# Odoo shows all-day events from 08:00 to 18:00 (see calendar.event._inverse_dates).
ALLDAY_START = time(8, 0)
ALLDAY_STOP = time(18, 0)
TIME_FIELDS = ("allday", "start", "stop", "start_date", "stop_date")


@dataclass
class OdooEvent:
    """Snapshot of a ``calendar.event`` record (plain, serialisable via to_dict)."""

    id: int | None = None
    name: str = ""
    start: datetime | None = None  # naive UTC
    stop: datetime | None = None  # naive UTC
    allday: bool = False
    start_date: date | None = None
    stop_date: date | None = None  # inclusive, like Odoo
    description: str = ""  # Odoo Html
    location: str = ""
    privacy: str | None = None  # None = the owner's default privacy
    show_as: str = "busy"
    event_tz: str | None = None
    # Recurrence (calendar.recurrence values as the event exposes them)
    rrule: str | None = None
    rrule_type: str | None = None
    interval: int = 1
    count: int = 0
    until: date | None = None
    end_type: str | None = None
    mon: bool = False
    tue: bool = False
    wed: bool = False
    thu: bool = False
    fri: bool = False
    sat: bool = False
    sun: bool = False
    month_by: str | None = None
    day: int = 0
    byday: str | None = None
    weekday: str | None = None
    recurrence_exdates: tuple = ()  # naive UTC datetimes / dates of removed occurrences
    wkst: str | None = None  # first day of Odoo's week ("SU" for US English, else "MO")
    recurrence_id: int | None = None
    recurrence_base: bool = False  # this event is the series' base (Google master)
    follow_recurrence: bool = True  # False: a modified occurrence (Google exception)
    original_start: datetime | date | None = None  # occurrence's start per the rule
    active: bool = True
    write_date: datetime | None = None  # naive UTC
    owner_default_privacy: str | None = None  # organizer's calendar_default_privacy
    # The meeting's attendees as this user's copy carries them (sync/attendees.py):
    # None when the list is not his to write (he does not hold the master copy).
    attendees: tuple | None = None
    # (address, answer) of the user himself, sent when his calendar is his primary.
    own_attendee: tuple | None = None
    # His own copy of a meeting whose Odoo organiser has no Google connection:
    # inserted as Google's private copy, so that its list invites nobody (R4).
    private_copy: bool = False
    # Video link, reminders and linked record: see extras.py
    videocall_location: str = ""
    alarms: tuple = ()  # ((kind, minutes), ...)
    source_title: str = ""
    source_url: str = ""
    # False: the meeting's alarms are its master's; the reminders of this user's
    # Google copy are his own (R2 of docs/attendees.md).
    holds_reminders: bool = True
    # The requestId of a Google Meet the organiser asked for in Odoo (no link yet).
    meet_request: str = ""

    @classmethod
    def from_odoo_read(cls, record_values, **extra):
        """Build from ``record.read()``-like values (``False`` means empty)."""
        names = {f.name for f in fields(cls)}
        data = {}
        for key, raw in {**record_values, **extra}.items():
            if key not in names:
                continue
            value = raw
            if isinstance(raw, (list, tuple)) and key == "recurrence_id":
                value = raw[0] if raw else None  # many2one read() form
            if raw is False and key not in (
                "allday",
                "active",
                "recurrence_base",
                "follow_recurrence",
                *WEEKDAY_FIELDS,
            ):
                value = None
            data[key] = value
        for key in ("name", "description", "location", "videocall_location", "meet_request"):
            data[key] = data.get(key) or ""
        data["alarms"] = tuple(tuple(alarm) for alarm in data.get("alarms") or ())
        data["show_as"] = data.get("show_as") or "busy"
        data["recurrence_exdates"] = tuple(data.get("recurrence_exdates") or ())
        return cls(**data)

    @property
    def is_series_master(self):
        return bool(self.rrule_type) and (self.recurrence_base or not self.recurrence_id)

    @property
    def is_occurrence(self):
        return bool(self.recurrence_id) and not self.recurrence_base

    def recurrence(self, *, user_tz="UTC"):
        """Recurrence of a series master (None for other events)."""
        if not self.is_series_master:
            return None
        tz = _event_tz(self, user_tz)
        values = {name: getattr(self, name) for name in (*RULE_FIELDS, "wkst")}
        values["event_tz"] = tz
        values["exdates"] = self.recurrence_exdates
        return rec_mod.from_odoo_fields(values, start_local=_start_local(self, tz))


@dataclass
class MappedEvent:
    """Result of :func:`google_to_odoo`.

    ``values`` (OdooValues) is a dict ready for ``calendar.event.create``/``write``::

        {"name": str,            # "" = untitled: adapter fills _("(No title)")
         "description": str,     # sanitised HTML or ""
         "location": str,
         "privacy": False | "public" | "private" | "confidential",
         "show_as": "busy" | "free",
         "allday": bool,
         "start": datetime, "stop": datetime,          # naive UTC
         # only when allday: (stop_date inclusive; start/stop are 08:00/18:00)
         "start_date": date, "stop_date": date}

    ``recurrence`` is set for series masters: its ``odoo_values()`` adds ``recurrency``
    and the ``calendar.recurrence`` fields (incl. ``event_tz``); ``exdates`` lists removed
    occurrences.
    """

    values: dict
    recurrence: Recurrence | None = None
    event_tz: str = "UTC"
    warnings: tuple = ()
    google_id: str | None = None
    recurring_event_id: str | None = None  # set for instances of a series
    original_start: datetime | date | None = None  # instances: start per the rule
    attendees: tuple | None = None  # see OdooEvent.attendees; None: Google left them out
    own_answer: str | None = None  # the reader's own answer (his ``self`` entry)


def _str_field(event, key):
    value = event.get(key)
    if value is not None and not isinstance(value, str):
        raise MappingError("invalid_field", f"{key} is not a string")
    return value or ""


def _time_part(part, name):
    if part is None:
        raise MappingError(f"missing_{name}", f"event has no {name}")
    if not isinstance(part, dict):
        raise MappingError("invalid_field", f"{name} is not an object")
    day, moment = part.get("date"), part.get("dateTime")
    if day and moment:
        raise MappingError("date_and_datetime", f"{name} has both date and dateTime")
    if not day and not moment:
        raise MappingError(f"missing_{name}", f"{name} has neither date nor dateTime")
    tz = part.get("timeZone") or None
    if tz is not None:
        get_zone(tz)
    return day, moment, tz


def _clean_line(value, max_chars):
    """Char field value: control characters removed, stripped (Odoo trims Char fields),
    bounded. Returns (text, truncated)."""
    text = clean_text(value)[0].strip()
    if len(text) > max_chars:
        return text[: max_chars - 1] + "\u2026", True
    return text, False


def _fallback_tz(*names):
    for name in names:
        if name and valid_tz(name):
            return name
    return "UTC"


def google_to_odoo(event, *, user_tz, calendar_tz=None, ignore_recurrence=False):
    """Map a Google event resource to Odoo values. Raises MappingError.

    ``ignore_recurrence``: map a series master as a single event (its first occurrence),
    used by the adapter for rules Odoo cannot store (``unsupported_recurrence``).
    """
    if not isinstance(event, dict):
        raise MappingError("not_an_event", "event is not an object")
    if event.get("status") == "cancelled":
        raise MappingError("cancelled_event", "cancelled events carry no data to map")
    warnings = []
    values, event_tz = _times_from_google(event, _fallback_tz(calendar_tz, user_tz), warnings)
    values.update(_texts_from_google(event, warnings))
    attendees, attendee_warnings = attendees_mod.from_google(event)
    warnings.extend(attendee_warnings)
    recurrence = None
    lines = event.get("recurrence")
    if lines and not ignore_recurrence:
        start_local = (
            values["start_date"] if values["allday"] else utc_to_local(values["start"], event_tz)
        )
        recurrence = rec_mod.from_google(
            lines, start_local=start_local, allday=values["allday"], tz=event_tz
        )
    elif lines:
        warnings.append("recurrence_ignored")
    original_start = None
    if event.get("recurringEventId") and event.get("originalStartTime"):
        original_start = rec_mod.parse_original_start(
            event["originalStartTime"], default_tz=event_tz
        )
    return MappedEvent(
        values=values,
        recurrence=recurrence,
        event_tz=event_tz,
        warnings=tuple(warnings),
        google_id=event.get("id"),
        recurring_event_id=event.get("recurringEventId") or None,
        original_start=original_start,
        attendees=attendees,
        own_answer=attendees_mod.own_answer(event),
    )


def _times_from_google(event, fallback_tz, warnings):
    """Odoo's time values of a Google event and the event's zone."""
    s_day, s_moment, s_tz = _time_part(event.get("start"), "start")
    e_day, e_moment, e_tz = _time_part(event.get("end"), "end")
    if bool(s_day) != bool(e_day):
        raise MappingError("mixed_date_types", "start and end mix date and dateTime")
    event_tz = s_tz or e_tz or fallback_tz
    if not s_day:
        start = parse_datetime(s_moment, s_tz or event_tz)
        stop = parse_datetime(e_moment, e_tz or event_tz)
        if stop < start:
            raise MappingError("end_before_start", "end before start")
        return {"allday": False, "start": start, "stop": stop}, event_tz
    start_date, end_date = parse_date(s_day), parse_date(e_day)
    if end_date < start_date:
        raise MappingError("end_before_start", "end date before start date")
    if end_date == start_date:
        warnings.append("allday_end_not_exclusive")
        stop_date = start_date
    else:
        stop_date = end_date - timedelta(days=1)
    values = {
        "allday": True,
        "start_date": start_date,
        "stop_date": stop_date,
        "start": datetime.combine(start_date, ALLDAY_START),
        "stop": datetime.combine(stop_date, ALLDAY_STOP),
    }
    return values, event_tz


def _texts_from_google(event, warnings):
    """Title, description, place, privacy and free/busy of a Google event, bounded."""
    name, truncated = _clean_line(_str_field(event, "summary"), MAX_NAME_CHARS)
    if truncated:
        warnings.append("name_truncated")
    extra_values, raw_location, raw_description, extra_warnings = extras.values_from_google(
        event, _str_field(event, "location"), _str_field(event, "description")
    )
    warnings.extend(extra_warnings)
    description, truncated = description_from_google(raw_description)
    if truncated:
        warnings.append("description_truncated")
    location, truncated = _clean_line(raw_location, MAX_LOCATION_CHARS)
    if truncated:
        warnings.append("location_truncated")
    visibility = event.get("visibility") or "default"
    if visibility not in _VISIBILITY_TO_ODOO:
        warnings.append("unknown_visibility")
        privacy = "private"
    else:
        privacy = _VISIBILITY_TO_ODOO[visibility]
    transparency = event.get("transparency") or "opaque"
    if transparency not in ("opaque", "transparent"):
        warnings.append("unknown_transparency")
    return {
        "name": name,
        "description": description,
        "location": location,
        "privacy": privacy,
        "show_as": "free" if transparency == "transparent" else "busy",
        **extra_values,
    }


def _event_tz(ev, user_tz):
    return _fallback_tz(ev.event_tz, user_tz)


def _allday_dates(ev):
    start_date = ev.start_date or (ev.start.date() if ev.start else None)
    stop_date = ev.stop_date or (ev.stop.date() if ev.stop else start_date)
    if start_date is None:
        raise MappingError("missing_start", "event has no start")
    return start_date, max(stop_date, start_date)


def _start_local(ev, tz):
    if ev.allday:
        return _allday_dates(ev)[0]
    if ev.start is None:
        raise MappingError("missing_start", "event has no start")
    return utc_to_local(to_naive_utc(ev.start), tz)


def _normal_name(name):
    name = clean_text(name)[0].strip()
    return "" if name in UNTITLED_NAMES else name


def is_private_odoo(ev):
    """Private or confidential in Odoo, including via the owner's default privacy."""
    privacy = ev.privacy or ev.owner_default_privacy or "public"
    return privacy in ("private", "confidential")


def is_private_google(event):
    visibility = event.get("visibility") or "default"
    return visibility not in ("default", "public")


def odoo_to_google(ev, *, include_private=True, user_tz="UTC", patch=False, changed=None):
    """Google event body for an Odoo event (insert or, with ``patch``, patch body).

    A patch body sets the unused one of ``date``/``dateTime`` to null so Google does not
    merge a timed and an all-day start. ``changed``: the aspects Odoo changed since the
    last sync, for the parts sent only then (see extras.to_google). Private events raise
    ``MappingError('private_event')`` when ``include_private`` is off (a safety net: the
    planner skips them before).
    """
    if not include_private and is_private_odoo(ev):
        raise MappingError("private_event", "private events are not synchronised")
    tz = _event_tz(ev, user_tz)
    name = _normal_name(_clean_line(ev.name, MAX_NAME_CHARS)[0])
    location = _clean_line(ev.location, MAX_LOCATION_CHARS)[0]
    body = {
        "summary": name,
        "description": description_to_google(ev.description or ""),
        "location": location,
        "visibility": _PRIVACY_TO_GOOGLE.get(ev.privacy or None, "private"),
        "transparency": "transparent" if ev.show_as == "free" else "opaque",
    }
    extras.to_google(ev, body, changed)
    if ev.allday:
        start_date, stop_date = _allday_dates(ev)
        body["start"] = {"date": start_date.isoformat()}
        body["end"] = {"date": (stop_date + timedelta(days=1)).isoformat()}
        if patch:
            for part in (body["start"], body["end"]):
                part.update(dateTime=None, timeZone=None)
    else:
        if ev.start is None or ev.stop is None:
            raise MappingError("missing_start", "event has no start/stop")
        start, stop = to_naive_utc(ev.start), to_naive_utc(ev.stop)
        stop = max(stop, start)
        body["start"] = {"dateTime": format_rfc3339(start, tz), "timeZone": tz}
        body["end"] = {"dateTime": format_rfc3339(stop, tz), "timeZone": tz}
        if patch:
            body["start"]["date"] = body["end"]["date"] = None
    if ev.attendees is not None:
        body["attendees"] = attendees_mod.to_google(ev.attendees, ev.own_attendee)
    if ev.private_copy and not patch:
        body["privateCopy"] = True  # (immutable: on insert only)
    rec = ev.recurrence(user_tz=user_tz)
    if rec is not None:
        body["recurrence"] = rec_mod.to_google(
            rec, start_local=_start_local(ev, tz), allday=ev.allday, tz=tz
        )
    return body


def snapshot_from_values(values, recurrence=None, **extra):
    """OdooEvent as Odoo would hold it after ``create(values)`` (for round-trip tests
    and for comparing incoming values with the current record)."""
    data = {
        key: values[key]
        for key in (
            "name",
            "description",
            "location",
            "privacy",
            "show_as",
            "allday",
            "start",
            "stop",
            "start_date",
            "stop_date",
            "videocall_location",
            "alarms",
            "source_title",
            "source_url",
            "meet_request",
        )
        if key in values
    }
    data["privacy"] = data.get("privacy") or None
    if recurrence is not None:
        data.update(
            {
                key: value
                for key, value in recurrence.odoo_values().items()
                if key in {f.name for f in fields(OdooEvent)}
            }
        )
        data.update(
            recurrence_base=True, recurrence_exdates=recurrence.exdates, wkst=recurrence.wkst
        )
        if data.get("until") is False:
            data["until"] = None
        for key in ("weekday", "byday"):
            data[key] = data.get(key) or None
    data.update(extra)
    return OdooEvent(**data)


def odoo_values_from_snapshot(ev):
    """OdooValues (see MappedEvent) of a snapshot, plus recurrence values if a master."""
    values = {
        "name": ev.name or "",
        "description": ev.description or "",
        "location": ev.location or "",
        "privacy": ev.privacy or False,
        "show_as": ev.show_as or "busy",
        "allday": bool(ev.allday),
        "videocall_location": ev.videocall_location or "",
        "alarms": tuple(ev.alarms),
    }
    if ev.allday:
        start_date, stop_date = _allday_dates(ev)
        values.update(
            start_date=start_date,
            stop_date=stop_date,
            start=datetime.combine(start_date, ALLDAY_START),
            stop=datetime.combine(stop_date, ALLDAY_STOP),
        )
    else:
        values.update(start=to_naive_utc(ev.start), stop=to_naive_utc(ev.stop))
    return values


# --- normal form for fingerprints and comparisons --------------------------------------


def common_from_odoo(ev, *, user_tz="UTC"):
    """JSON-able normal form of the mapped fields, as they look in Google.

    Both sides are compared in this form, so an echo of our own write is equal on
    either side: descriptions in the Google form, privacy as Google visibility,
    untitled names as "", timed start/end as UTC instants, the zone only for series.
    """
    body = odoo_to_google(ev, user_tz=user_tz)
    common = {
        "summary": body["summary"],
        "description": body["description"],
        "location": body["location"],
        "visibility": body["visibility"],
        "transparency": body["transparency"],
        "allday": bool(ev.allday),
        **extras.common(ev, body),
    }
    if ev.allday:
        common["start"], common["end"] = body["start"]["date"], body["end"]["date"]
    else:
        common["start"] = format_utc_compact(to_naive_utc(ev.start))
        common["end"] = format_utc_compact(max(to_naive_utc(ev.stop), to_naive_utc(ev.start)))
    rec = ev.recurrence(user_tz=user_tz)
    common["recurrence"] = rec.canonical() if rec is not None else None
    common["tz"] = _event_tz(ev, user_tz) if rec is not None and not ev.allday else None
    # No list and an empty one look the same (most events have none).
    common["attendees"] = [list(pair) for pair in ev.attendees] if ev.attendees else None
    return common


def common_from_google(event, *, user_tz, calendar_tz=None):
    """Normal form of a Google event (raises MappingError like google_to_odoo)."""
    mapped = google_to_odoo(event, user_tz=user_tz, calendar_tz=calendar_tz)
    ev = snapshot_from_values(
        mapped.values, mapped.recurrence, event_tz=mapped.event_tz, attendees=mapped.attendees
    )
    return common_from_odoo(ev, user_tz=user_tz)


def diff_values(new_values, current, *, user_tz="UTC"):
    """The part of ``new_values`` (OdooValues) that really changes ``current``.

    Fields equal in the common normal form are left out, so Odoo's own normalisation
    (its HTML sanitiser, "confidential" kept when Google says "private", the untitled
    placeholder) never causes writes or ping-pong.
    """
    changed = {}
    if "name" in new_values and _normal_name(new_values["name"]) != _normal_name(current.name):
        changed["name"] = new_values["name"]
    if "description" in new_values and description_to_google(
        new_values["description"]
    ) != description_to_google(current.description or ""):
        changed["description"] = new_values["description"]
    if "location" in new_values and _clean_line(
        new_values["location"], MAX_LOCATION_CHARS
    ) != _clean_line(current.location, MAX_LOCATION_CHARS):
        changed["location"] = new_values["location"]
    if "privacy" in new_values and _PRIVACY_TO_GOOGLE.get(
        new_values["privacy"] or None
    ) != _PRIVACY_TO_GOOGLE.get(current.privacy or None):
        changed["privacy"] = new_values["privacy"]
    if "show_as" in new_values and new_values["show_as"] != (current.show_as or "busy"):
        changed["show_as"] = new_values["show_as"]
    if "start" in new_values:
        old = odoo_values_from_snapshot(current)
        keys = (
            ("allday", "start_date", "stop_date")
            if new_values.get("allday")
            else ("allday", "start", "stop")
        )
        if any(new_values.get(k) != old.get(k) for k in keys):
            changed.update({k: new_values[k] for k in TIME_FIELDS if k in new_values})
    changed.update(extras.changed_values(new_values, current))
    return changed


def event_end_utc(ev):
    """End of an Odoo event as naive UTC (all-day: midnight after its last day)."""
    if ev.allday:
        return datetime.combine(_allday_dates(ev)[1] + timedelta(days=1), time())
    if ev.start is None:
        raise MappingError("missing_start", "event has no start")
    return to_naive_utc(ev.stop or ev.start)


def event_summary(ev, *, user_tz="UTC"):
    """One-line human summary of an event version (for conflict notes in the chatter)."""
    tz = _event_tz(ev, user_tz)
    if ev.allday:
        start_date, stop_date = _allday_dates(ev)
        when = start_date.isoformat() + (
            f" - {stop_date.isoformat()}" if stop_date != start_date else ""
        )
    else:
        when = (
            utc_to_local(to_naive_utc(ev.start), tz).strftime("%Y-%m-%d %H:%M")
            + " - "
            + utc_to_local(to_naive_utc(ev.stop), tz).strftime("%Y-%m-%d %H:%M")
            + f" ({tz})"
        )
    parts = [_normal_name(ev.name) or DEFAULT_TITLE, when]
    if ev.location:
        parts.append(ev.location.strip()[:200])
    text = html_to_text(ev.description or "")
    if text:
        parts.append(text[:200] + ("\u2026" if len(text) > 200 else ""))
    return " | ".join(parts)


# --- organiser / permissions ----------------------------------------------------------


def is_organizer(event, self_email):
    """Is the calendar's user the organiser of a Google event?"""
    organizer = event.get("organizer") or {}
    if not organizer or organizer.get("self"):
        return True
    email = (organizer.get("email") or "").strip().casefold()
    return bool(self_email) and email == self_email.strip().casefold()


def can_edit(event, calendar_access_role, self_email):
    """May our changes to this Google event be pushed back? False = import read-only."""
    if calendar_access_role not in WRITABLE_ROLES:
        return False
    if (event.get("eventType") or "default") in READONLY_EVENT_TYPES:
        return False
    if event.get("locked") or event.get("privateCopy"):
        return False
    return is_organizer(event, self_email) or bool(event.get("guestsCanModify"))
