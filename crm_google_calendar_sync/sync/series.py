"""One model of a recurring series for both sides of the sync, on the original
starts of its occurrences ("keys"): reconcile, master snapshot, instance base.
"""

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from . import recurrence as rec_mod
from .errors import MappingError
from .fingerprint import UNKNOWN_PART, aspect_part, fingerprint_odoo, with_parts
from .mapping import ALLDAY_START, ALLDAY_STOP
from .timeutil import parse_date, parse_datetime, utc_to_local

# Fields in which an instance differs from its master when Google keeps it on its own.
INSTANCE_FIELDS = ("summary", "description", "location", "visibility", "transparency")

__all__ = [
    "Occurrence",
    "SeriesChanges",
    "instance_base",
    "is_exception",
    "key_of",
    "master_snapshot",
    "occurrence_times",
    "reconcile",
    "rule_keys",
    "series_answers",
]


def key_of(start, allday):
    """The key of an occurrence starting at ``start`` (naive UTC, or a date)."""
    if allday:
        return start.date() if isinstance(start, datetime) else start
    if not isinstance(start, datetime):
        return datetime.combine(start, ALLDAY_START)
    return start


def rule_keys(rec, *, anchor, allday, tz, excluded=True):
    """The keys a rule gives from its first start ``anchor`` (naive UTC; for all-day
    series any time of the first day), at most as many as Odoo creates.

    ``excluded``: include the rule's EXDATEs (they are still the rule's starts)."""
    if allday:
        start_local = anchor.date() if isinstance(anchor, datetime) else anchor
    else:
        start_local = utc_to_local(anchor, tz) if tz else anchor
    return list(
        rec_mod.occurrences(
            rec,
            start_local=start_local,
            allday=allday,
            tz=tz,
            include_excluded=excluded,
            limit=rec_mod.ODOO_MAX_OCCURRENCES,
        )
    )


def occurrence_times(key, mapped):
    """Odoo's time values of the occurrence at ``key`` of a master whose mapped
    values (see ``mapping.google_to_odoo``) are ``mapped``: its length, all-day or
    not, and the key as its original start."""
    if mapped["allday"]:
        day = key.date() if isinstance(key, datetime) else key
        last = day + (mapped["stop_date"] - mapped["start_date"])
        return {
            "allday": True,
            "start": datetime.combine(day, ALLDAY_START),
            "stop": datetime.combine(last, ALLDAY_STOP),
            "start_date": day,
            "stop_date": last,
            "original_start": datetime.combine(day, ALLDAY_START),
        }
    length = max(mapped["stop"] - mapped["start"], timedelta(0))
    return {"allday": False, "start": key, "stop": key + length, "original_start": key}


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a series as a store holds it."""

    key: object  # its original start
    ref: object  # the store's handle (e.g. the calendar.event id)
    is_base: bool = False


@dataclass
class SeriesChanges:
    """What a changed master means for a series' occurrences."""

    delete: list = field(default_factory=list)  # Occurrence
    create: list = field(default_factory=list)  # keys
    retime_base: object = None  # key the base occurrence moves to, if any


def reconcile(occurrences, *, old_keys, new_keys, excluded=()):
    """Occurrences to delete and keys to create for a master that changed.

    ``old_keys``/``new_keys``: the rule's starts before and after the change;
    ``excluded``: the new master's EXDATEs. An occurrence whose key the new rule no
    longer has (or excludes) goes. A key is created only when the rule is new there:
    a start both rules have but Odoo does not (an instance cancelled on its own)
    stays away. The base occurrence, which carries the series' link, is moved to
    the first new key instead of being deleted and recreated.
    """
    excluded = set(excluded)
    wanted = [key for key in new_keys if key not in excluded]
    wanted_set = set(wanted)
    present = {occurrence.key for occurrence in occurrences}
    old = set(old_keys)
    changes = SeriesChanges(
        delete=[occ for occ in occurrences if occ.key not in wanted_set],
        create=[key for key in wanted if key not in present and key not in old],
    )
    base = next((occ for occ in changes.delete if occ.is_base), None)
    if base is not None and changes.create:
        changes.delete.remove(base)
        changes.retime_base = changes.create.pop(0)
    return changes


def master_snapshot(base, representative, *, anchor, present_keys, user_tz="UTC"):
    """The series as Google's master shows it (an ``OdooEvent``).

    ``base``: snapshot of the series' base event (id, rule fields, state);
    ``representative``: snapshot of an occurrence that follows the series (its
    values are the master's); ``anchor``: the rule's first start (naive UTC);
    ``present_keys``: keys of the occurrences Odoo has. Starts of the rule without
    an occurrence become EXDATEs, so that Google shows what Odoo shows.
    """
    rep = representative or base
    values = {
        name: getattr(rep, name)
        for name in ("name", "description", "location", "privacy", "show_as", "allday")
    }
    values.update(_anchored_times(rep, anchor))
    snapshot = replace(
        base,
        **values,
        recurrence_base=True,
        follow_recurrence=True,
        original_start=None,
        recurrence_exdates=(),
    )
    try:
        rec = snapshot.recurrence(user_tz=user_tz)
    except MappingError:
        return snapshot
    if rec is None:
        return snapshot
    present = set(present_keys)
    missing = [
        key
        for key in rule_keys(rec, anchor=anchor, allday=snapshot.allday, tz=rec.event_tz)
        if key not in present
    ]
    return replace(snapshot, recurrence_exdates=tuple(missing))


def _anchored_times(rep, anchor):
    """Start and stop of ``rep``'s length, moved to the rule's first start."""
    if rep.allday:
        first = anchor.date() if isinstance(anchor, datetime) else anchor
        start_date = rep.start_date or rep.start.date()
        stop_date = rep.stop_date or rep.stop.date()
        last = first + (stop_date - start_date)
        return {
            "start_date": first,
            "stop_date": last,
            "start": datetime.combine(first, ALLDAY_START),
            "stop": datetime.combine(last, ALLDAY_STOP),
        }
    if isinstance(anchor, date) and not isinstance(anchor, datetime):
        anchor = datetime.combine(anchor, time())
    length = max(rep.stop - rep.start, timedelta(0))
    return {"start": anchor, "stop": anchor + length, "start_date": None, "stop_date": None}


def instance_base(series_fingerprint, master, key, *, user_tz="UTC"):
    """Fingerprint of the occurrence at ``key`` as the user's Google copy of the
    series showed it at that copy's last sync (``series_fingerprint``, from its
    link): the master's values then, at the occurrence's own time.

    ``master``: the series as Odoo's master shows it now (:func:`master_snapshot`);
    its time is the occurrence's time then only while the series' time has not
    changed since, else the time is unknown. None when nothing is known (a
    fingerprint of an older format)."""
    if aspect_part(series_fingerprint, "time") is None:
        return None
    times = occurrence_times(
        key,
        {
            name: getattr(master, name)
            for name in ("allday", "start", "stop", "start_date", "stop_date")
        },
    )
    times.pop("original_start")
    occurrence = replace(master, recurrence_base=False, rrule_type=None, **times)
    try:
        now = fingerprint_odoo(master, user_tz=user_tz)
        placed = fingerprint_odoo(occurrence, user_tz=user_tz)
    except MappingError:
        return None
    same_time = aspect_part(now, "time") == aspect_part(series_fingerprint, "time")
    return with_parts(
        series_fingerprint,
        {
            "time": aspect_part(placed, "time") if same_time else UNKNOWN_PART,
            "recurrence": aspect_part(placed, "recurrence"),
        },
    )


def starts_as_planned(instance):
    """Does a Google instance start where its series' rule put it (not moved)?"""
    try:
        return _instant(instance.get("start")) == _instant(instance.get("originalStartTime"))
    except (MappingError, TypeError):
        return False


def is_exception(instance, master):
    """Does Google keep ``instance`` (from ``events.instances``) on its own, i.e.
    cancelled, moved or changed, rather than as the master shows it?"""
    if instance.get("status") == "cancelled":
        return True
    if any((instance.get(key) or "") != (master.get(key) or "") for key in INSTANCE_FIELDS):
        return True
    try:
        moved = _instant(instance.get("start")) != _instant(instance.get("originalStartTime"))
        return moved or _length(instance) != _length(master)
    except (MappingError, TypeError):
        return True


def _instant(part):
    part = part or {}
    if part.get("date"):
        return parse_date(part["date"])
    return parse_datetime(part.get("dateTime"), part.get("timeZone"))


def _length(event):
    return _instant(event.get("end")) - _instant(event.get("start"))


def series_answers(master, occurrences):
    """``master`` (a series' snapshot) with each attendee's answer, and the user's
    own, as most of ``occurrences`` (their snapshots, in order) have it; ties go to
    the earliest occurrence."""
    if not occurrences:
        return master
    changes = {}
    if master.attendees is not None:
        votes = {}
        for occurrence in occurrences:
            for email, answer in occurrence.attendees or ():
                votes.setdefault(email, Counter())[answer] += 1
        changes["attendees"] = tuple(
            (email, _most_common(votes.get(email)) or answer) for email, answer in master.attendees
        )
    if master.own_attendee is not None:
        own = Counter(o.own_attendee[1] for o in occurrences if o.own_attendee)
        changes["own_attendee"] = (master.own_attendee[0], _most_common(own))
    return replace(master, **changes)


def _most_common(counter):
    # (Counter keeps the order of first appearance among equal counts)
    return counter.most_common(1)[0][0] if counter else None
