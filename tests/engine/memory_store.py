"""An in-memory :class:`SyncStore` for engine tests: Odoo's calendar as plain data.

Meetings are ``OdooEvent`` snapshots; a series is a rule, its first start and its
occurrences, each known by its original start ("key"); links tie Google ids to
meetings. Series changes go through the engine's own series model
(``sync.series``), as the Odoo adapter does; everything Odoo adds around it
(attendees, its own expansion quirks) is left out. The Odoo integration tests
remain the proof; this double lets the engine be tried on many random cases fast.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, fields, replace

from crm_google_calendar_sync.sync import port, series
from crm_google_calendar_sync.sync.mapping import OdooEvent
from crm_google_calendar_sync.sync.planner import Action
from crm_google_calendar_sync.sync.port import LinkState

EVENT_FIELDS = {f.name for f in fields(OdooEvent)}
VALUE_FIELDS = ("name", "description", "location", "privacy", "show_as")


@dataclass
class Link:
    google_id: str
    event: int | None
    series: str | None = None  # Google's recurringEventId of an instance link
    etag: str | None = None
    fingerprint: str | None = None


@dataclass
class Series:
    rule: object  # recurrence.Recurrence
    anchor: object  # first start of the rule (naive UTC)
    base: int


class MemoryStore(port.SyncStore):
    def __init__(self, calendar_id, user_tz="Europe/Berlin"):
        self.calendar = port.CalendarState(
            key=1, google_id=calendar_id, is_source=True, is_target=True
        )
        self.user_tz = user_tz
        self.events: dict[int, OdooEvent] = {}
        self.series: dict[int, Series] = {}
        self.links: dict[str, Link] = {}
        self.ids = itertools.count(1)
        self.resend_all = False  # "Sync again" on every meeting

    # ------------------------------------------------------------------
    # What Odoo shows
    # ------------------------------------------------------------------
    def view(self):
        shown = []
        for event in self.events.values():
            if event.active:
                start = event.start_date if event.allday else event.start
                shown.append((start.isoformat(), event.name))
        return sorted(shown)

    def occurrences(self, series_id):
        return sorted(
            (e for e in self.events.values() if e.recurrence_id == series_id and e.active),
            key=lambda e: (e.original_start or e.start, e.id),
        )

    # ------------------------------------------------------------------
    # SyncStore
    # ------------------------------------------------------------------
    def calendars(self):
        return [self.calendar]

    def save_sync_token(self, calendar, token):
        calendar.sync_token = token

    def checkpoint(self):
        pass

    def known_series(self, calendar, series_ids):
        known = set()
        for gid in series_ids:
            link = self.links.get(gid)
            if link and not link.series and (link.event is None or self._series_of_link(gid)):
                known.add(gid)
        return known

    def _series_of_link(self, google_id):
        link = self.links.get(google_id)
        if link is None or link.series or link.event is None:
            return None
        return self.events[link.event].recurrence_id

    def load_links(self, calendar, google_events):
        result = {}
        for item in google_events:
            link = self.links.get(item["id"])
            series_id = self._series_of_link(item.get("recurringEventId") or "")
            if link is None and series_id is not None:
                event = self._occurrence_at(series_id, item)
                if event is not None:
                    result[item["id"]] = port.Linked(None, self._snapshot(event.id, True), None)
                continue
            if link is None:
                continue
            odoo = None
            if link.event is not None:
                odoo = self._snapshot(link.event, bool(link.series))
            state = LinkState(link.google_id, calendar.google_id, link.etag, link.fingerprint)
            result[item["id"]] = port.Linked(state, odoo, link)
        return result

    def _occurrence_at(self, series_id, item):
        from crm_google_calendar_sync.sync.recurrence import parse_original_start

        original = parse_original_start(item["originalStartTime"])
        key = series.key_of(original, not hasattr(original, "hour"))
        for event in self.occurrences(series_id):
            if series.key_of(event.original_start, event.allday) == key:
                return event
        return None

    # ------------------------------------------------------------------
    # Snapshots
    # ------------------------------------------------------------------
    def _snapshot(self, event_id, as_occurrence=False):
        event = self.events[event_id]
        rec = self.series.get(event.recurrence_id)
        if as_occurrence or rec is None or rec.base != event_id:
            return event
        base = replace(
            event,
            **{k: v for k, v in rec.rule.odoo_values().items() if k in EVENT_FIELDS},
            recurrence_base=True,
        )
        if base.until is False:
            base = replace(base, until=None)
        own = self.occurrences(event.recurrence_id)
        apart = {link.event for link in self.links.values() if link.series}
        following = [e for e in own if e.follow_recurrence and e.id not in apart]
        return series.master_snapshot(
            base,
            following[0] if following else event,
            anchor=rec.anchor,
            present_keys=[series.key_of(e.original_start, e.allday) for e in own],
            user_tz=self.user_tz,
        )

    # ------------------------------------------------------------------
    # Incoming
    # ------------------------------------------------------------------
    def apply_incoming(self, calendar, google_event, decision, linked):
        link = linked.ref
        event_id = linked.odoo.id if linked.odoo is not None else None
        action = decision.action
        if action == Action.SKIP:
            return None
        if action == Action.CONFLICT and decision.conflict.winner == "odoo":
            return None
        if decision.recurring_event_id:
            return self._apply_instance(google_event, decision, link, event_id)
        if action == Action.DELETE:
            return self._delete(link, event_id)
        if action == Action.CREATE:
            event_id = self._create(decision)
        elif action in (Action.UPDATE, Action.CONFLICT):
            rec = self.series.get(self.events[event_id].recurrence_id)
            if decision.recurrence is not None or rec is not None:
                event_id = self._update_series(event_id, decision)
            else:
                self._write(event_id, decision.values)
        self._upsert(google_event, decision, link, event_id)
        return None

    def _upsert(self, google_event, decision, link, event_id):
        if action_keeps_fingerprint(decision):
            fingerprint = link.fingerprint if link else None
        else:
            fingerprint = decision.fingerprint
        if link is None:
            link = self.links[google_event["id"]] = Link(google_event["id"], event_id)
        link.event = event_id
        link.series = google_event.get("recurringEventId")
        link.etag = decision.etag
        link.fingerprint = fingerprint

    def _new_event(self, values, **extra):
        data = {k: v for k, v in values.items() if k in EVENT_FIELDS}
        data.update(extra)
        data.setdefault("privacy", None)
        data["privacy"] = data["privacy"] or None
        event = OdooEvent(id=next(self.ids), **data)
        self.events[event.id] = event
        return event.id

    def _write(self, event_id, values, **extra):
        data = {k: v for k, v in (values or {}).items() if k in EVENT_FIELDS}
        if "privacy" in data:
            data["privacy"] = data["privacy"] or None
        self.events[event_id] = replace(self.events[event_id], **data, **extra)

    def _create(self, decision):
        if decision.recurrence is None:
            return self._new_event(decision.values)
        series_id = next(self.ids)
        self.series[series_id] = Series(decision.recurrence, decision.mapped["start"], 0)
        created = self._create_occurrences(series_id, self._keys(decision), decision.mapped)
        self.series[series_id].base = created[0] if created else self._new_event(decision.values)
        return self.series[series_id].base

    def _keys(self, decision):
        rule, mapped = decision.recurrence, decision.mapped
        keys = series.rule_keys(
            rule, anchor=mapped["start"], allday=mapped["allday"], tz=rule.event_tz
        )
        return [key for key in keys if key not in set(rule.exdates)]

    def _create_occurrences(self, series_id, keys, mapped):
        values = {k: mapped[k] for k in VALUE_FIELDS}
        return [
            self._new_event(
                values,
                **series.occurrence_times(key, mapped),
                recurrence_id=series_id,
                follow_recurrence=True,
            )
            for key in keys
        ]

    def _update_series(self, event_id, decision):
        series_id = self.events[event_id].recurrence_id
        rec = self.series.get(series_id)
        if rec is None:  # a single event became a series
            self._write(event_id, decision.values)
            new_base = self._create(decision)
            self._move_links(event_id, new_base)
            self.events.pop(event_id)
            return new_base
        mapped = decision.mapped
        old = series.rule_keys(
            rec.rule, anchor=rec.anchor, allday=self.events[rec.base].allday, tz=rec.rule.event_tz
        )
        changes = series.reconcile(
            [
                series.Occurrence(series.key_of(e.original_start, e.allday), e.id, e.id == rec.base)
                for e in self.occurrences(series_id)
            ],
            old_keys=old,
            new_keys=self._keys(decision),
            excluded=decision.recurrence.exdates,
        )
        rec.rule, rec.anchor = decision.recurrence, mapped["start"]
        for occurrence in changes.delete:
            self._remove(occurrence.ref)
        if changes.retime_base:
            self._drop_instance_links(rec.base)
            self._write(
                rec.base,
                None,
                **series.occurrence_times(changes.retime_base, mapped),
                follow_recurrence=True,
            )
        apart = {link.event for link in self.links.values() if link.series}
        for event in self.occurrences(series_id):
            if event.id in apart:
                continue
            values = {k: mapped[k] for k in VALUE_FIELDS}
            key = series.key_of(event.original_start, event.allday)
            times = series.occurrence_times(key, mapped) if event.follow_recurrence else {}
            self._write(event.id, values, **times)
        self._create_occurrences(series_id, changes.create, mapped)
        self._rebase(series_id)
        return rec.base

    def _rebase(self, series_id):
        """The series' link lives on its base: the first occurrence left."""
        rec = self.series[series_id]
        own = self.occurrences(series_id)
        if own and rec.base not in {e.id for e in own}:
            self._move_links(rec.base, own[0].id)
            rec.base = own[0].id

    def _move_links(self, old, new):
        for link in self.links.values():
            if link.event == old and not link.series:
                link.event = new

    def _drop_instance_links(self, event_id):
        for gid in [g for g, link in self.links.items() if link.series and link.event == event_id]:
            del self.links[gid]

    def _remove(self, event_id):
        """As the Odoo adapter: the last occurrence of a series is archived and keeps
        the series' link; any other goes."""
        self._drop_instance_links(event_id)
        event = self.events[event_id]
        if event.recurrence_id in self.series:
            if [e.id for e in self.occurrences(event.recurrence_id)] == [event_id]:
                self._write(event_id, None, active=False)
                return
            del self.events[event_id]
            self._rebase(event.recurrence_id)
        else:
            del self.events[event_id]

    def _apply_instance(self, google_event, decision, link, event_id):
        if decision.action == Action.NOOP and link is None and event_id is None:
            return False
        if decision.action == Action.DELETE:
            if link is not None:
                del self.links[link.google_id]
            if event_id is None or not self.events[event_id].active:
                return link is not None  # nothing left to delete: not a change
            if self.events[event_id].recurrence_id in self.series:
                self._remove(event_id)
            else:
                self._write(event_id, None, active=False)
            return None
        if decision.action == Action.CREATE:
            event_id = self._new_event(decision.values)
        else:
            moved = any(k in (decision.values or {}) for k in ("start", "stop", "allday"))
            extra = {"follow_recurrence": False} if moved else {}
            self._write(event_id, decision.values, **extra)
        self._upsert(google_event, decision, link, event_id)
        return None

    def _delete(self, link, event_id):
        if link is None:
            return False
        series_id = self.events[event_id].recurrence_id if event_id else None
        if series_id in self.series:
            for event in self.occurrences(series_id):
                self._drop_instance_links(event.id)
                self._write(event.id, None, active=False)
        elif event_id is not None:
            self._write(event_id, None, active=False)
        del self.links[link.google_id]
        return True

    # ------------------------------------------------------------------
    # Outgoing: deletions (a link left without meeting), and "Sync again" of
    # every meeting on request (the scenarios change Google only)
    # ------------------------------------------------------------------
    def outgoing(self, target):
        items = []
        for link in list(self.links.values()):
            state = LinkState(link.google_id, self.calendar.google_id, link.etag, link.fingerprint)
            if link.event is None or not self.events[link.event].active:
                items.append(port.OutgoingItem(key=link, link=state, odoo=None))
            elif self.resend_all:
                odoo = self._snapshot(link.event, bool(link.series))
                if link.series:
                    odoo = replace(odoo, follow_recurrence=False)
                items.append(port.OutgoingItem(key=link, link=state, odoo=odoo))
        return items

    def apply_outgoing(self, item, decision, result):
        link = item.key
        if result is None or not (result.ok or result.not_found or result.already_deleted):
            return
        if decision.action == Action.DELETE:
            for gid in [g for g, other in self.links.items() if other.series == link.google_id]:
                del self.links[gid]
            self.links.pop(link.google_id, None)
        elif decision.action == Action.PATCH:
            link.etag = result.etag or (result.body or {}).get("etag")
            link.fingerprint = decision.fingerprint


def action_keeps_fingerprint(decision):
    """Odoo did not take Google's version (it won a conflict): keep the old one."""
    return decision.action == Action.CONFLICT and decision.conflict.winner == "odoo"
