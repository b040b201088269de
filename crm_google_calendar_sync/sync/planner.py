"""Decisions for one event pair: what an incoming Google change means for Odoo,
and what to push. Pure and data-only; the sync rules are in docs/architecture.md.
"""

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from . import extras
from . import recurrence as rec_mod
from . import series as series_mod
from .fingerprint import (
    ASPECT_NAMES,
    OTHER,
    UNKNOWN_PART,
    aspect_part,
    changed_aspects,
    fingerprint,
    with_parts,
)
from .ids import google_event_id_for, odoo_id_from_google_id
from .mapping import (
    TIME_FIELDS,
    MappedEvent,
    MappingError,
    OdooEvent,
    can_edit,
    common_from_odoo,
    diff_values,
    event_end_utc,
    event_summary,
    google_to_odoo,
    is_private_google,
    is_private_odoo,
    odoo_to_google,
    snapshot_from_values,
)
from .timeutil import parse_datetime, utc_to_local


class Action(str, enum.Enum):
    # incoming (Google -> Odoo)
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    CONFLICT = "conflict"
    # outgoing (Odoo -> Google)
    INSERT = "insert"
    PATCH = "patch"
    # both
    NOOP = "noop"
    SKIP = "skip"


@dataclass(frozen=True)
class ConflictResolution:
    """Who won a clash on the same aspect, and what the loser had (for the chatter)."""

    winner: str  # "google" | "odoo"
    google_updated: datetime | None
    odoo_write_date: datetime | None
    losing_summary: str  # one line describing the discarded version (chatter note)


@dataclass
class IncomingDecision:
    """What to do in Odoo for one Google event.

    CREATE: create with ``values`` (+ ``recurrence.odoo_values()`` for series masters).
    UPDATE: write ``values`` (changed fields only; may be empty when only the recurrence
    changed, see ``recurrence_changed``). DELETE: archive the Odoo event (for cancelled
    occurrences: the occurrence at ``original_start`` of ``recurring_event_id``).
    CONFLICT: both changed the same aspect; ``conflict.winner`` says whose change was
    kept, post the note. Both UPDATE and CONFLICT write ``values`` (Google's part, may be
    empty); with ``push_back`` Odoo keeps changes Google lacks: store only ``etag`` on the
    link, and the push sends the Odoo version. NOOP: store
    ``etag``/``google_updated``/``fingerprint`` on the link.
    SKIP: nothing (``reason``; ``error`` holds the MappingError code, if any).
    """

    action: Action
    reason: str = ""
    google_id: str | None = None
    values: dict | None = None
    recurrence: rec_mod.Recurrence | None = None
    recurrence_changed: bool = False
    event_tz: str | None = None
    fingerprint: str | None = None
    etag: str | None = None
    google_updated: datetime | None = None
    readonly: bool = False
    conflict: ConflictResolution | None = None
    push_back: bool = False
    warnings: tuple = ()
    error: str | None = None
    recurring_event_id: str | None = None
    original_start: datetime | date | None = None
    mapped: dict | None = None  # all mapped values of the Google event (``values``: the change)
    # The attendee list to give the Odoo event (sync/attendees.py); None: leave it.
    attendees: tuple | None = None


@dataclass
class OutgoingDecision:
    """What to send to Google for one Odoo event.

    INSERT: ``events.insert`` of ``body`` (its ``id`` is deterministic; a 409 means it
    exists already: patch the same body, which also restores a cancelled event because the
    body says ``status: confirmed``). PATCH: ``events.patch`` of ``body`` with header
    ``If-Match: if_match`` when set (412: re-read and run plan_incoming). DELETE:
    ``events.delete`` (410 = already gone). After success store ``fingerprint`` and the
    returned etag/updated on the link.
    """

    action: Action
    reason: str = ""
    google_id: str | None = None
    calendar_id: str | None = None
    body: dict | None = field(default=None)
    if_match: str | None = None
    fingerprint: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class PlanRules:
    """The user's rules (and the calendar's facts) every decision depends on."""

    include_private: bool
    window_start: datetime  # naive UTC
    user_tz: str = "UTC"
    calendar_tz: str | None = None  # of the calendar an incoming event comes from
    access_role: str = "owner"  # the user's role on that calendar
    self_email: str | None = None
    event_id_key: str | None = None  # the user's secret for the ids of inserts


def _google_updated(event):
    raw = event.get("updated")
    if not raw:
        return None
    try:
        return parse_datetime(raw)
    except MappingError:
        return None


def odoo_in_window(ev, window_start, *, user_tz="UTC"):
    """Does an Odoo event (or any occurrence of a series master) reach the window?"""
    rec = ev.recurrence(user_tz=user_tz) if ev.is_series_master else None
    if rec is None:
        return event_end_utc(ev) >= window_start
    tz = rec.event_tz or "UTC"
    if ev.allday:
        start_local = ev.start_date or ev.start.date()
        duration = event_end_utc(ev) - datetime.combine(start_local, datetime.min.time())
    else:
        start_local = utc_to_local(ev.start, tz)
        duration = ev.stop - ev.start
    return rec_mod.series_in_window(
        rec,
        start_local=start_local,
        duration=duration,
        allday=ev.allday,
        tz=tz,
        window_start=window_start,
    )


def _odoo_changed(link, odoo_fp):
    return odoo_fp != link.fingerprint and link.odoo_changed


def _safe_fingerprint(odoo, user_tz):
    try:
        return fingerprint(common_from_odoo(odoo, user_tz=user_tz))
    except MappingError:
        return None


@dataclass
class _Incoming:
    """A Google event on its way in: its mapping, its Odoo form and the fields
    every decision about it carries (``common``)."""

    event: dict
    mapped: MappedEvent
    common: dict
    user_tz: str
    snapshot: OdooEvent | None = None
    attendees: tuple | None = None  # Google's list, when this user carries it


def plan_incoming(link, google_event, odoo, rules, *, series_known=False, base_fingerprint=None):
    """Decide what an incoming Google event means for Odoo (see IncomingDecision).

    ``series_known``: for an instance of a series, whether Odoo has that series; its
    occurrence is then ``odoo`` (None: Odoo has no occurrence there).
    ``base_fingerprint``: for an event without a link, what the user's Google
    showed at its last sync, if known (an instance: see series.instance_base)."""
    if not isinstance(google_event, dict) or not google_event.get("id"):
        return IncomingDecision(Action.SKIP, "not_an_event", error="not_an_event")
    common = {
        "google_id": google_event["id"],
        "etag": google_event.get("etag"),
        "google_updated": _google_updated(google_event),
        "recurring_event_id": google_event.get("recurringEventId") or None,
    }
    if google_event.get("status") == "cancelled":
        return _plan_cancelled(link, google_event, odoo, common, rules.user_tz)
    incoming = _map_incoming(google_event, rules, common)
    if isinstance(incoming, IncomingDecision):
        return incoming
    if is_private_google(google_event) and not rules.include_private:
        return IncomingDecision(Action.SKIP, "private", **common)
    mapped = incoming.mapped
    extras.keep_own_reminders(mapped.values, odoo)  # a guest's reminders are his (R2)
    # Only the holder of the meeting's master copy writes its attendees (R1): for
    # the others the list is left out on both sides.
    if odoo is None or odoo.attendees is not None:
        incoming.attendees = mapped.attendees
    incoming.snapshot = snapshot_from_values(
        mapped.values, mapped.recurrence, event_tz=mapped.event_tz, attendees=incoming.attendees
    )
    if not odoo_in_window(incoming.snapshot, rules.window_start, user_tz=rules.user_tz):
        return IncomingDecision(Action.SKIP, "outside_window", **common)
    common["fingerprint"] = fingerprint(common_from_odoo(incoming.snapshot, user_tz=rules.user_tz))
    if odoo is None:
        return _plan_missing_in_odoo(link, incoming, series_known)
    return _plan_existing(link, odoo, incoming, base_fingerprint)


def _map_incoming(google_event, rules, common):
    """The event mapped to Odoo values (fills ``common``), or the SKIP of an
    unmappable one. A rule Odoo cannot store brings the first occurrence, read-only."""
    readonly = not can_edit(
        _own_copy_unlocked(google_event, rules), rules.access_role, rules.self_email
    )
    warnings = []
    try:
        mapped = google_to_odoo(google_event, user_tz=rules.user_tz, calendar_tz=rules.calendar_tz)
    except MappingError as exc:
        if exc.reason != "unsupported_recurrence":
            return IncomingDecision(Action.SKIP, "mapping_error", error=exc.reason, **common)
        try:
            mapped = google_to_odoo(
                google_event,
                user_tz=rules.user_tz,
                calendar_tz=rules.calendar_tz,
                ignore_recurrence=True,
            )
        except MappingError as exc2:
            return IncomingDecision(Action.SKIP, "mapping_error", error=exc2.reason, **common)
        readonly = True
        warnings.append("unsupported_recurrence")
    warnings.extend(mapped.warnings)
    common.update(
        original_start=mapped.original_start,
        event_tz=mapped.event_tz,
        warnings=tuple(warnings),
        readonly=readonly,
        mapped=mapped.values,
    )
    return _Incoming(google_event, mapped, common, rules.user_tz)


def _own_copy_unlocked(google_event, rules):
    """A private copy the sync made for the user (its id made with his key, R4 of
    docs/attendees.md) is his to edit; anyone else's private copy is not."""
    if not google_event.get("privateCopy") or not rules.event_id_key:
        return google_event
    if odoo_id_from_google_id(rules.event_id_key, google_event["id"]) is None:
        return google_event
    return {key: value for key, value in google_event.items() if key != "privateCopy"}


def _plan_missing_in_odoo(link, incoming, series_known):
    """An event Odoo does not have (any more): create it, or leave it to the push."""
    common = incoming.common
    if series_known and common["recurring_event_id"]:
        # Odoo's series has no occurrence there: deleted in Odoo (the deletion
        # is on its way to Google) or beyond the occurrences Odoo keeps.
        reason = "deleted_in_odoo" if link is not None else "not_in_series"
        return IncomingDecision(Action.SKIP, reason, **common)
    if link is not None and link.fingerprint == common["fingerprint"]:
        # Deleted in Odoo, unchanged in Google: the push deletes it there.
        return IncomingDecision(Action.SKIP, "deleted_in_odoo", **common)
    mapped = incoming.mapped
    return IncomingDecision(
        Action.CREATE,
        "new" if link is None else "changed_after_odoo_delete",
        values=dict(mapped.values),
        recurrence=mapped.recurrence,
        recurrence_changed=mapped.recurrence is not None,
        attendees=incoming.attendees,
        **common,
    )


def _plan_existing(link, odoo, incoming, base_fingerprint):
    """An event both sides have: nothing new, Google's change, or a merge."""
    common, user_tz = incoming.common, incoming.user_tz
    google_fp = common["fingerprint"]
    if link is not None and link.etag and common["etag"] == link.etag:
        return IncomingDecision(Action.NOOP, "etag_unchanged", **common)
    if link is not None and google_fp == link.fingerprint:
        return IncomingDecision(Action.NOOP, "echo", **common)
    odoo_fp = _safe_fingerprint(odoo, user_tz)
    if odoo_fp == google_fp:
        return IncomingDecision(Action.NOOP, "same_on_both_sides", **common)
    if link is not None and google_fp == link.attempted_fingerprint:
        # Our own write whose answer never came, and Odoo changed since: Google
        # holds that write (the new base), the push sends Odoo's version.
        return IncomingDecision(Action.NOOP, "echo_of_attempt", **common)
    mapped = incoming.mapped
    change = {
        "values": diff_values(mapped.values, odoo, user_tz=user_tz),
        "recurrence": mapped.recurrence,
        "recurrence_changed": _recurrence_changed(mapped.recurrence, odoo, user_tz),
        "attendees": incoming.attendees if incoming.attendees != odoo.attendees else None,
    }
    if link is not None and not _odoo_changed(link, odoo_fp):
        return IncomingDecision(Action.UPDATE, "changed_in_google", **change, **common)
    base = link.fingerprint if link is not None else base_fingerprint
    if link is None and common["recurring_event_id"]:
        # An exception of a series the user links, first seen: what it changed
        # against the series as his copy showed it (Odoo may have changed since).
        base = _instance_base(base_fingerprint, incoming.event, google_fp)
        if base is None:
            return IncomingDecision(Action.UPDATE, "relinked", **change, **common)
    reason = "both_changed" if link is not None else "relinked"
    return _plan_both_changed(base, odoo, incoming, odoo_fp, change, reason=reason)


def _instance_base(base, google_event, google_fp):
    """The base of a first-seen instance; an unknown time counts as unchanged in
    Google when the instance still starts where the rule put it."""
    if base and aspect_part(base, "time") == UNKNOWN_PART:
        if series_mod.starts_as_planned(google_event):
            base = with_parts(base, {"time": aspect_part(google_fp, "time")})
    return base


# Odoo values by the aspect of the fingerprint they belong to.
_VALUE_ASPECTS = {
    **{name: name for name in ("name", "description", "location", "privacy", "show_as")},
    **dict.fromkeys(TIME_FIELDS, "time"),
    "videocall_location": "video",
    "alarms": "reminders",
}


def _plan_both_changed(base, odoo, incoming, odoo_fp, change, *, reason):
    """Both sides changed since ``base`` (the fingerprint the link last saw), or a
    copy found again by its id or iCalUID, whose history is unknown (no base).

    What changed on one side only is merged: Odoo takes Google's part, and the
    push sends Odoo's (``push_back``). Where both changed the same aspect
    differently, the newer change wins, a read-only copy always (Odoo cannot
    change it), and the losing version goes to the chatter. Without a base to
    compare with, every difference is such a clash.
    """
    common, user_tz = incoming.common, incoming.user_tz
    google_fp = common["fingerprint"]
    updated = common["google_updated"]
    google_newer = (
        common["readonly"]
        or odoo.write_date is None
        # Google gives whole seconds here: so do we, and a tie goes to Google.
        or (updated is not None and updated >= odoo.write_date.replace(microsecond=0))
    )
    differ = changed_aspects(odoo_fp, google_fp) or set(ASPECT_NAMES)
    in_google, in_odoo = changed_aspects(base, google_fp), changed_aspects(base, odoo_fp)
    if common["readonly"] or in_google is None or in_odoo is None or OTHER in differ:
        in_google = in_odoo = differ
    clash = in_google & in_odoo & differ
    take = ((in_google - in_odoo) & differ) | (clash if google_newer else set())
    push_back = bool((in_odoo - in_google) & differ) or bool(clash and not google_newer)
    merged = {
        "values": {
            key: value
            for key, value in (change["values"] or {}).items()
            if _VALUE_ASPECTS.get(key, OTHER) in take
        },
        "recurrence": change["recurrence"],
        "recurrence_changed": change["recurrence_changed"] and "recurrence" in take,
        "attendees": change["attendees"] if "attendees" in take else None,
        "push_back": push_back,
    }
    if not clash:
        return IncomingDecision(Action.UPDATE, "merged", **merged, **common)
    if google_newer:
        conflict = ConflictResolution(
            "google", updated, odoo.write_date, event_summary(odoo, user_tz=user_tz)
        )
    else:
        conflict = ConflictResolution(
            "odoo", updated, odoo.write_date, event_summary(incoming.snapshot, user_tz=user_tz)
        )
    return IncomingDecision(Action.CONFLICT, reason, conflict=conflict, **merged, **common)


def _recurrence_changed(new_rec, odoo, user_tz):
    try:
        old_rec = odoo.recurrence(user_tz=user_tz)
    except MappingError:
        old_rec = None
    if new_rec is None or old_rec is None:
        return (new_rec is None) != (old_rec is None)
    return new_rec.canonical() != old_rec.canonical()


def _plan_cancelled(link, google_event, odoo, common, user_tz):
    original_start = None
    if google_event.get("originalStartTime"):
        try:
            original_start = rec_mod.parse_original_start(google_event["originalStartTime"])
        except MappingError:
            original_start = None
    common.update(original_start=original_start, readonly=bool(link and link.readonly))
    if common["recurring_event_id"] and original_start is not None:
        # A removed occurrence: the adapter finds it through the series link.
        return IncomingDecision(Action.DELETE, "occurrence_cancelled", **common)
    if link is None and odoo is None:
        return IncomingDecision(Action.SKIP, "cancelled_unknown", **common)
    if odoo is None or not odoo.active:
        return IncomingDecision(Action.DELETE, "already_gone", **common)
    conflict = None
    if link is not None and link.fingerprint:
        if _odoo_changed(link, _safe_fingerprint(odoo, user_tz)):
            # Deletion wins (the record is only archived, so nothing is lost), but the
            # Odoo change is reported.
            conflict = ConflictResolution(
                "google",
                common["google_updated"],
                odoo.write_date,
                event_summary(odoo, user_tz=user_tz),
            )
    return IncomingDecision(Action.DELETE, "cancelled_in_google", conflict=conflict, **common)


def plan_outgoing(link, odoo, rules, *, calendar_id=None, series_link=None):
    """Decide what to send to Google for an Odoo event (see OutgoingDecision).

    ``odoo`` None means the record was deleted. ``calendar_id``: the target calendar for
    inserts (ids from ``rules.event_id_key``). ``series_link``: link of the series
    master, for modified occurrences that have no link of their own (patched as
    Google instances).
    """
    target = link.calendar_id if link is not None else calendar_id
    if link is not None and link.guest:
        return plan_answer(link, odoo)
    if odoo is None or not odoo.active:
        return _plan_deletion(link, odoo, rules, target)
    odoo = _with_own_attendee(odoo, target, rules.self_email)
    google_id = link and link.google_id
    skip = _outgoing_skip_reason(link, odoo, rules, series_link)
    if skip:
        return OutgoingDecision(Action.SKIP, skip, google_id, target)
    if odoo.is_occurrence and link is None:
        return _plan_occurrence(odoo, rules, series_link, target)
    # New, or an insert whose answer never came (its link knows no etag and no
    # fingerprint yet): insert; Google answers 409 when the earlier one landed.
    inserting = link is None or not (link.etag or link.fingerprint)
    try:
        body, odoo_fp = _google_body(
            odoo, rules, patch=not inserting, since=None if inserting else link
        )
    except MappingError as exc:
        return OutgoingDecision(Action.SKIP, "mapping_error", google_id, target, error=exc.reason)
    if inserting:
        return _plan_insert(link, odoo, rules, target, body, odoo_fp)
    if odoo_fp == link.fingerprint:
        return OutgoingDecision(
            Action.NOOP, "unchanged", link.google_id, target, fingerprint=odoo_fp
        )
    if not odoo.is_occurrence and not rec_mod.parse_instance_id(link.google_id):
        # A series made a single event in Odoo ends its rule in Google too.
        body.setdefault("recurrence", [])
    return OutgoingDecision(
        Action.PATCH,
        "changed_in_odoo",
        link.google_id,
        target,
        body=body,
        if_match=link.etag,
        fingerprint=odoo_fp,
    )


def answer_fingerprint(answer):
    """What a guest's link remembers: his answer as both sides last had it."""
    return f"answer:{answer}"


def plan_answer(link, odoo):
    """A guest's invitation (R2 of docs/attendees.md): only his own answer goes to
    Google, as a patch of his entry alone (a full body could drop a guest permission
    the organiser set, which Google refuses); the meeting itself is the organiser's."""
    own = odoo.own_attendee if odoo is not None and odoo.active else None
    if not own or not own[1]:
        return OutgoingDecision(Action.NOOP, "no_answer", link.google_id, link.calendar_id)
    fingerprint = answer_fingerprint(own[1])
    if fingerprint == link.fingerprint:
        return OutgoingDecision(
            Action.NOOP, "unchanged", link.google_id, link.calendar_id, fingerprint=fingerprint
        )
    return OutgoingDecision(
        Action.PATCH,
        "answered_in_odoo",
        link.google_id,
        link.calendar_id,
        body={"attendeesOmitted": True, "attendees": [{"email": own[0], "responseStatus": own[1]}]},
        if_match=link.etag,
        fingerprint=fingerprint,
    )


def _with_own_attendee(odoo, target, self_email):
    """The user's own entry goes with a list of others in his primary calendar only:
    Google names a secondary calendar as organiser, and his address there would put
    a second copy into his primary calendar (R1 of docs/attendees.md)."""
    if odoo.own_attendee is None:
        return odoo
    primary = bool(self_email) and (target or "").casefold() == self_email.strip().casefold()
    if primary and odoo.attendees:
        return odoo
    return dataclasses.replace(odoo, own_attendee=None)


def _plan_deletion(link, odoo, rules, target):
    """An Odoo event deleted or archived: delete its Google copy, within the rules."""
    if link is None:
        return OutgoingDecision(Action.NOOP, "never_synced")
    if link.readonly:
        return OutgoingDecision(Action.SKIP, "readonly", link.google_id, target)
    if odoo is not None:
        if is_private_odoo(odoo) and not rules.include_private:
            return OutgoingDecision(Action.SKIP, "private", link.google_id, target)
        if not _safe_in_window(odoo, rules.window_start, rules.user_tz):
            return OutgoingDecision(Action.SKIP, "outside_window", link.google_id, target)
    return OutgoingDecision(
        Action.DELETE, "deleted_in_odoo", link.google_id, target, if_match=link.etag
    )


def _outgoing_skip_reason(link, odoo, rules, series_link):
    """Why an active Odoo event is not sent, if the rules keep it from Google."""
    if link is not None and link.readonly:
        return "readonly"
    if is_private_odoo(odoo) and not rules.include_private:
        return "private"
    if not _safe_in_window(odoo, rules.window_start, rules.user_tz):
        return "outside_window"
    if series_link is not None and series_link.readonly:
        return "readonly"
    return None


def _google_body(odoo, rules, *, patch, since=None):
    """Google's body for ``odoo`` and its fingerprint (raises MappingError);
    ``since``: the link whose last sync tells the aspects Odoo changed."""
    odoo_fp = fingerprint(common_from_odoo(odoo, user_tz=rules.user_tz))
    body = odoo_to_google(
        odoo,
        include_private=rules.include_private,
        user_tz=rules.user_tz,
        patch=patch,
        changed=None if since is None else _changed_in_odoo(since, odoo_fp),
    )
    return body, odoo_fp


def _plan_occurrence(odoo, rules, series_link, target):
    """An occurrence changed on its own in Odoo, without a link of its own: patch
    Google's instance of the series."""
    if odoo.follow_recurrence:
        return OutgoingDecision(Action.SKIP, "follows_series", None, target)
    if series_link is None:
        return OutgoingDecision(Action.SKIP, "series_not_synced", None, target)
    instance_target = rec_mod.instance_id(
        series_link.google_id, odoo.original_start or odoo.start, odoo.allday
    )
    target = series_link.calendar_id
    try:
        body, odoo_fp = _google_body(odoo, rules, patch=True)
    except MappingError as exc:
        return OutgoingDecision(Action.SKIP, "mapping_error", None, target, error=exc.reason)
    return OutgoingDecision(
        Action.PATCH,
        "occurrence_changed",
        instance_target,
        target,
        # (also back, when the user attends it again after declining it)
        body={**body, "status": "confirmed"},
        fingerprint=odoo_fp,
    )


def _plan_insert(link, odoo, rules, target, body, odoo_fp):
    """A new event, or one whose insert was never confirmed: insert it under its
    deterministic id."""
    if link is not None:
        google_id = link.google_id
    elif rules.event_id_key is None or odoo.id is None:
        raise ValueError("event_id_key and a saved record are needed to insert")
    else:
        google_id = google_event_id_for(rules.event_id_key, odoo.id)
    body = {"id": google_id, "status": "confirmed", **body}
    return OutgoingDecision(Action.INSERT, "new", google_id, target, body=body, fingerprint=odoo_fp)


def _changed_in_odoo(link, odoo_fp):
    """The aspects Odoo changed since ``link``'s last sync (all when unknown)."""
    changed = changed_aspects(link.fingerprint, odoo_fp) if link is not None else None
    return set(ASPECT_NAMES) if changed is None else changed


def _safe_in_window(odoo, window_start, user_tz):
    try:
        return odoo_in_window(odoo, window_start, user_tz=user_tz)
    except MappingError:
        return True  # let the mapping report the real problem


__all__ = [
    "Action",
    "ConflictResolution",
    "IncomingDecision",
    "OdooEvent",
    "OutgoingDecision",
    "PlanRules",
    "answer_fingerprint",
    "odoo_in_window",
    "plan_answer",
    "plan_incoming",
    "plan_outgoing",
]
