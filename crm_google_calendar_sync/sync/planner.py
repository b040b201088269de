"""Decisions for one event pair: what to do with an incoming Google change, what to push.

Pure and data-only: the Odoo adapter gathers the inputs (link, Google event, Odoo
snapshot) and applies the returned decision. Rules implemented here:

* Window: an event is in scope when it ends at or after ``window_start`` (now minus the
  window, 30 days by default); a series when any occurrence does. Out-of-window events
  are left alone on both sides (SKIP), never deleted.
* Private: private/confidential events (either side) sync only with ``include_private``;
  turning it off later means SKIP, never delete.
* Echo suppression: the link's fingerprint (of the common normal form at the last sync)
  is compared with each side; equal means nothing to do (NOOP).
* Both sides changed since this link's last sync: a three-way merge by aspect (title,
  time, place, ... see :mod:`.fingerprint`) against what the link last saw; each side
  gets what only the other changed. Conflicts (the same aspect changed on both sides,
  or a Google copy found again by id or iCalUID, whose history is unknown): the newer
  change wins, Google's ``updated`` against the time of Odoo's last change
  (``OdooEvent.write_date``); ties go to Google. The loser's one-line summary is
  returned for a chatter note. Read-only events: Google always wins, noted as a
  conflict when Odoo had changed.
* Deletions: Google-cancelled events are archived in Odoo (DELETE), Odoo deletion or
  archiving deletes in Google, unless read-only, private-excluded or out of window.
"""

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

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
from .mapping import (
    TIME_FIELDS,
    MappingError,
    OdooEvent,
    can_edit,
    common_from_odoo,
    diff_values,
    event_end_utc,
    event_summary,
    google_event_id_for,
    google_to_odoo,
    is_private_google,
    is_private_odoo,
    odoo_to_google,
    snapshot_from_values,
)
from .timeutil import parse_datetime, utc_to_local

DEFAULT_WINDOW_DAYS = 30


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
class LinkState:
    """What ``crm.google.event.link`` remembers about the last successful sync."""

    google_id: str
    calendar_id: str
    etag: str | None = None
    fingerprint: str | None = None
    google_updated: datetime | None = None  # naive UTC
    odoo_write_date_at_sync: datetime | None = None  # naive UTC
    readonly: bool = False
    attempted_fingerprint: str | None = None  # of a write whose answer never came


@dataclass(frozen=True)
class Conflict:
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
    conflict: Conflict | None = None
    push_back: bool = False
    warnings: tuple = ()
    error: str | None = None
    recurring_event_id: str | None = None
    original_start: datetime | date | None = None
    mapped: dict | None = None  # all mapped values of the Google event (``values``: the change)


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


def window_start_for(now, days=DEFAULT_WINDOW_DAYS):
    """Start of the sync window for ``now`` (naive UTC)."""
    return now - timedelta(days=days)


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


def _odoo_changed(link, odoo, odoo_fp):
    if odoo_fp == link.fingerprint:
        return False
    if link.odoo_write_date_at_sync and odoo.write_date:
        return odoo.write_date > link.odoo_write_date_at_sync
    return True


def plan_incoming(
    link,
    google_event,
    odoo,
    *,
    include_private,
    window_start,
    user_tz="UTC",
    calendar_tz=None,
    access_role="owner",
    self_email=None,
    series_known=False,
    base_fingerprint=None,
):
    """Decide what an incoming Google event means for Odoo (see IncomingDecision).

    ``series_known``: for an instance of a series, whether Odoo has that series; its
    occurrence is then ``odoo`` (None: Odoo has no occurrence there).
    ``base_fingerprint``: for an event without a link, what the user's Google
    showed at its last sync, if known (an instance: see series.instance_base)."""
    if not isinstance(google_event, dict) or not google_event.get("id"):
        return IncomingDecision(Action.SKIP, "not_an_event", error="not_an_event")
    gid = google_event["id"]
    etag = google_event.get("etag")
    updated = _google_updated(google_event)
    common = {
        "google_id": gid,
        "etag": etag,
        "google_updated": updated,
        "recurring_event_id": google_event.get("recurringEventId") or None,
    }

    if google_event.get("status") == "cancelled":
        return _plan_cancelled(link, google_event, odoo, common, user_tz)

    readonly = not can_edit(google_event, access_role, self_email)
    warnings = []
    try:
        mapped = google_to_odoo(google_event, user_tz=user_tz, calendar_tz=calendar_tz)
    except MappingError as exc:
        if exc.reason != "unsupported_recurrence":
            return IncomingDecision(Action.SKIP, "mapping_error", error=exc.reason, **common)
        # Odoo cannot store this rule: import the first occurrence, read-only.
        try:
            mapped = google_to_odoo(
                google_event, user_tz=user_tz, calendar_tz=calendar_tz, ignore_recurrence=True
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

    if is_private_google(google_event) and not include_private:
        return IncomingDecision(Action.SKIP, "private", **common)
    incoming = snapshot_from_values(mapped.values, mapped.recurrence, event_tz=mapped.event_tz)
    if not odoo_in_window(incoming, window_start, user_tz=user_tz):
        return IncomingDecision(Action.SKIP, "outside_window", **common)
    google_fp = fingerprint(common_from_odoo(incoming, user_tz=user_tz))
    common["fingerprint"] = google_fp

    if odoo is None and series_known and common["recurring_event_id"]:
        # Odoo's series has no occurrence there: deleted in Odoo (the deletion
        # is on its way to Google) or beyond the occurrences Odoo keeps.
        reason = "deleted_in_odoo" if link is not None else "not_in_series"
        return IncomingDecision(Action.SKIP, reason, **common)
    if odoo is None:
        if link is not None and link.fingerprint == google_fp:
            # Deleted in Odoo, unchanged in Google: the push deletes it there.
            return IncomingDecision(Action.SKIP, "deleted_in_odoo", **common)
        reason = "new" if link is None else "changed_after_odoo_delete"
        return IncomingDecision(
            Action.CREATE,
            reason,
            values=dict(mapped.values),
            recurrence=mapped.recurrence,
            recurrence_changed=mapped.recurrence is not None,
            **common,
        )

    if link is not None and link.etag and etag == link.etag:
        return IncomingDecision(Action.NOOP, "etag_unchanged", **common)
    if link is not None and google_fp == link.fingerprint:
        return IncomingDecision(Action.NOOP, "echo", **common)
    try:
        odoo_fp = fingerprint(common_from_odoo(odoo, user_tz=user_tz))
    except MappingError:
        odoo_fp = None
    if odoo_fp == google_fp:
        return IncomingDecision(Action.NOOP, "same_on_both_sides", **common)
    if link is not None and google_fp == link.attempted_fingerprint:
        # Our own write whose answer never came, and Odoo changed since: Google
        # holds that write (the new base), the push sends Odoo's version.
        return IncomingDecision(Action.NOOP, "echo_of_attempt", **common)

    values = diff_values(mapped.values, odoo, user_tz=user_tz)
    recurrence_changed = _recurrence_changed(mapped.recurrence, odoo, user_tz)
    change = {
        "values": values,
        "recurrence": mapped.recurrence,
        "recurrence_changed": recurrence_changed,
    }
    if link is not None and not _odoo_changed(link, odoo, odoo_fp):
        return IncomingDecision(Action.UPDATE, "changed_in_google", **change, **common)
    base = link.fingerprint if link is not None else base_fingerprint
    if link is None and common["recurring_event_id"]:
        # An exception of a series the user links, first seen: what it changed
        # against the series as his copy showed it (Odoo may have changed since).
        base = _instance_base(base_fingerprint, google_event, google_fp)
        if base is None:
            return IncomingDecision(Action.UPDATE, "relinked", **change, **common)
    return _plan_both_changed(
        base,
        odoo,
        incoming,
        (odoo_fp, google_fp),
        change,
        common,
        user_tz,
        reason="both_changed" if link is not None else "relinked",
    )


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


def _plan_both_changed(base, odoo, incoming, fingerprints, change, common, user_tz, *, reason):  # noqa: PLR0917
    """Both sides changed since ``base`` (the fingerprint the link last saw), or a
    copy found again by its id or iCalUID, whose history is unknown (no base).

    What changed on one side only is merged: Odoo takes Google's part, and the
    push sends Odoo's (``push_back``). Where both changed the same aspect
    differently, the newer change wins, a read-only copy always (Odoo cannot
    change it), and the losing version goes to the chatter. Without a base to
    compare with, every difference is such a clash.
    """
    odoo_fp, google_fp = fingerprints
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
        "push_back": push_back,
    }
    if not clash:
        return IncomingDecision(Action.UPDATE, "merged", **merged, **common)
    if google_newer:
        conflict = Conflict(
            "google", updated, odoo.write_date, event_summary(odoo, user_tz=user_tz)
        )
    else:
        conflict = Conflict(
            "odoo", updated, odoo.write_date, event_summary(incoming, user_tz=user_tz)
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
        try:
            odoo_fp = fingerprint(common_from_odoo(odoo, user_tz=user_tz))
        except MappingError:
            odoo_fp = None
        if _odoo_changed(link, odoo, odoo_fp):
            # Deletion wins (the record is only archived, so nothing is lost), but the
            # Odoo change is reported.
            conflict = Conflict(
                "google",
                common["google_updated"],
                odoo.write_date,
                event_summary(odoo, user_tz=user_tz),
            )
    return IncomingDecision(Action.DELETE, "cancelled_in_google", conflict=conflict, **common)


def plan_outgoing(
    link,
    odoo,
    *,
    include_private,
    window_start,
    event_id_key=None,
    user_tz="UTC",
    calendar_id=None,
    series_link=None,
):
    """Decide what to send to Google for an Odoo event (see OutgoingDecision).

    ``odoo`` None means the record was deleted. ``calendar_id``: the target calendar for
    inserts; ``event_id_key``: the user's secret for their ids. ``series_link``: link of
    the series master, for modified occurrences that have no link of their own (patched
    as Google instances).
    """
    target = link.calendar_id if link is not None else calendar_id
    if odoo is None or not odoo.active:
        if link is None:
            return OutgoingDecision(Action.NOOP, "never_synced")
        if link.readonly:
            return OutgoingDecision(Action.SKIP, "readonly", link.google_id, target)
        if odoo is not None:
            if is_private_odoo(odoo) and not include_private:
                return OutgoingDecision(Action.SKIP, "private", link.google_id, target)
            if not _safe_in_window(odoo, window_start, user_tz):
                return OutgoingDecision(Action.SKIP, "outside_window", link.google_id, target)
        return OutgoingDecision(
            Action.DELETE, "deleted_in_odoo", link.google_id, target, if_match=link.etag
        )
    if link is not None and link.readonly:
        return OutgoingDecision(Action.SKIP, "readonly", link.google_id, target)
    if is_private_odoo(odoo) and not include_private:
        return OutgoingDecision(Action.SKIP, "private", link and link.google_id, target)
    if not _safe_in_window(odoo, window_start, user_tz):
        return OutgoingDecision(Action.SKIP, "outside_window", link and link.google_id, target)

    if series_link is not None and series_link.readonly:
        return OutgoingDecision(Action.SKIP, "readonly", link and link.google_id, target)
    # New, or an insert whose answer never came (its link knows no etag and no
    # fingerprint yet): insert; Google answers 409 when the earlier one landed.
    inserting = link is None or not (link.etag or link.fingerprint)
    instance_target = None
    if odoo.is_occurrence and link is None:
        if odoo.follow_recurrence:
            return OutgoingDecision(Action.SKIP, "follows_series", None, target)
        if series_link is None:
            return OutgoingDecision(Action.SKIP, "series_not_synced", None, target)
        instance_target = rec_mod.instance_id(
            series_link.google_id, odoo.original_start or odoo.start, odoo.allday
        )
        target = series_link.calendar_id
    try:
        odoo_fp = fingerprint(common_from_odoo(odoo, user_tz=user_tz))
        body = odoo_to_google(
            odoo,
            include_private=include_private,
            user_tz=user_tz,
            patch=not inserting or instance_target is not None,
            changed=None if inserting else _changed_in_odoo(link or series_link, odoo_fp),
        )
    except MappingError as exc:
        return OutgoingDecision(
            Action.SKIP, "mapping_error", link and link.google_id, target, error=exc.reason
        )
    if instance_target is not None:
        return OutgoingDecision(
            Action.PATCH,
            "occurrence_changed",
            instance_target,
            target,
            # (also back, when the user attends it again after declining it)
            body={**body, "status": "confirmed"},
            fingerprint=odoo_fp,
        )
    if inserting:
        if link is not None:
            google_id = link.google_id
        elif event_id_key is None or odoo.id is None:
            raise ValueError("event_id_key and a saved record are needed to insert")
        else:
            google_id = google_event_id_for(event_id_key, odoo.id)
        body = {"id": google_id, "status": "confirmed", **body}
        return OutgoingDecision(
            Action.INSERT, "new", google_id, target, body=body, fingerprint=odoo_fp
        )
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
    "DEFAULT_WINDOW_DAYS",
    "Action",
    "Conflict",
    "IncomingDecision",
    "LinkState",
    "OdooEvent",
    "OutgoingDecision",
    "odoo_in_window",
    "plan_incoming",
    "plan_outgoing",
    "window_start_for",
]
