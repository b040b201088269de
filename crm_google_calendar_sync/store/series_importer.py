# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Incoming decisions for series applied to Odoo.

A Google series is one ``calendar.recurrence``: changes of the master reach the
whole series occurrence by occurrence, so unchanged occurrences keep their
records and those Google keeps on their own keep their values.
"""

import dataclasses
from datetime import datetime

from ..sync import recurrence, series
from ..sync.mapping import TIME_FIELDS
from ..sync.planner import Action

# Master values that every occurrence following the series takes.
SERIES_VALUE_FIELDS = (
    *("name", "description", "location", "privacy", "show_as"),
    *("videocall_location", "alarm_ids"),
)


class SeriesImporter:
    """Part of OdooSyncStore: masters, instances and occurrences from Google."""

    def _apply_instance(self, calendar, google_event, decision, link, event):
        """An instance Google keeps on its own: its occurrence follows it. Returns
        the occurrence, or False when there was nothing to do.

        One that looks like its master is linked all the same: Google keeps it
        apart (e.g. moved and moved back), so a later change of the master does
        not reach it there, and must not reach its occurrence either."""
        action = decision.action
        if action == Action.NOOP and not (link or event):
            return False
        if action == Action.DELETE:
            return self._cancel_instance(calendar, decision, link, event)
        if action == Action.CREATE:
            # Its series is not in Odoo (e.g. Odoo cannot store the rule).
            event = self._create_event(decision, google_event)
        elif action in (Action.UPDATE, Action.CONFLICT):
            values = self._event_values(decision, update=True)
            if values and event.recurrence_id:
                values["recurrence_update"] = "self_only"
            if values:
                self._write_pulled(event, values, decision)
            if decision.attendees is not None and event:
                # An occurrence's own list (answers to it alone): that occurrence's.
                self.attendees.apply(event, decision.attendees)
        if not link and event:
            self._drop_instance_links(calendar.key, event)
        return event

    def _cancel_instance(self, calendar, decision, link, event):
        """A cancelled instance: its occurrence goes (if it is still there), when
        the organiser cancelled it; an attendee declines that occurrence."""
        if link:
            link.unlink()
        if not event or not event.active:
            return bool(link)
        if not self._deletes_for_everyone(event):
            # (nothing to decline: the echo of a cancellation Odoo sent him)
            return self._decline(event) or bool(link)
        if event.recurrence_id:
            # The other attendees' instances are cancelled by their next push;
            # this user's own is cancelled already.
            event._google_tombstones_for_occurrences()
            self.Link.search(
                [
                    ("calendar_id", "=", calendar.key),
                    ("google_event_id", "=", decision.google_id),
                    ("event_id", "=", False),
                ]
            ).unlink()
            self._discard(event)
        else:
            event.write({"active": False})  # an instance standing on its own
        return True

    def _discard(self, events):
        """Occurrences Google no longer shows go. The last one of a series is only
        archived: it keeps the series and its link, so that a later change of the
        rule in Google finds them (the sync's archiving is no deletion to send)."""
        keep = self.Event
        for rec in events.recurrence_id:
            if not rec.calendar_event_ids - events:
                doomed = events.filtered(lambda e, r=rec: e.recurrence_id == r)
                keep |= (doomed & rec.base_event_id) or doomed[:1]
        if keep:
            keep.write({"active": False})
        (events - keep).unlink()

    def _series_created(self, calendar, pairs):
        """After new series ``[(base event, decision)]`` were created (by Odoo's own
        expansion): their occurrences become exactly Google's instances (EXDATEs,
        week starts), and instances that came before their series join it."""
        for base, decision in pairs:
            recurrence = base.recurrence_id
            if not recurrence or not decision.recurrence:
                continue
            keys = self._google_keys(decision)
            occurrences = recurrence.calendar_event_ids
            if {self._key(event) for event in occurrences} != set(keys):
                changes = series.reconcile(
                    [series.Occurrence(self._key(e), e.id, e == base) for e in occurrences],
                    old_keys=(),
                    new_keys=keys,
                )
                self._apply_series_changes(calendar, base, changes, decision)
        self._adopt_instances(
            calendar, {decision.google_id: base.recurrence_id for base, decision in pairs}
        )

    def _google_keys(self, decision):
        """The original starts of the instances a Google master gives."""
        rule, mapped = decision.recurrence, decision.mapped
        keys = series.rule_keys(
            rule, anchor=mapped["start"], allday=mapped["allday"], tz=rule.event_tz
        )
        excluded = set(rule.exdates)
        return [key for key in keys if key not in excluded]

    def _adopt_instances(self, calendar, series_by_id):
        """Instances imported on their own before Odoo had their series join it
        (``series_by_id``: Google id -> calendar.recurrence)."""
        series_by_id = {key: rec for key, rec in series_by_id.items() if rec}
        if not series_by_id:
            return
        orphans = self.Link.search(
            [
                ("calendar_id", "=", calendar.key),
                ("recurring_event_id", "in", list(series_by_id)),
                ("event_id.recurrence_id", "=", False),
            ]
        )
        if not orphans:
            return
        index = self._occurrence_index(
            self.env["calendar.recurrence"].union(*series_by_id.values())
        )
        for orphan in orphans:
            parsed = recurrence.parse_instance_id(orphan.google_event_id)
            rec = series_by_id[orphan.recurring_event_id]
            if not parsed:
                continue
            key = series.key_of(parsed[1], not isinstance(parsed[1], datetime))
            occurrence = index.get((rec.id, key))
            if not occurrence:
                continue
            standalone = orphan.event_id
            values = standalone.read([*SERIES_VALUE_FIELDS, *self._time_fields(standalone)])[0]
            values.pop("id")
            self._drop_instance_links(calendar.key, occurrence)
            orphan.write({"event_id": occurrence.id})
            occurrence.write(dict(values, recurrence_update="self_only"))
            standalone.unlink()

    @staticmethod
    def _time_fields(event):
        if event.allday:
            return ["allday", "start_date", "stop_date"]
        return ["allday", "start", "stop"]

    def _update_series(self, calendar, event, decision):
        """A master changed in Google (or a single event became one); returns the
        event its link belongs to now (none when no occurrence is left). The
        rule and times of Google's master count only where the decision takes
        them: where Odoo keeps its own (a merge), Odoo's series stays."""
        rule = decision.recurrence
        if not (decision.recurrence_changed or set(TIME_FIELDS) & set(decision.values or ())):
            following = event.recurrence_id.calendar_event_ids - self._on_their_own(
                calendar, event.recurrence_id.calendar_event_ids
            )
            self._write_series_values(following or event, decision, decision.mapped)
            return event
        if not event.recurrence_id:
            self._plain_write(event, decision)
            values = {
                key: value for key, value in rule.odoo_values().items() if key != "recurrency"
            }
            event._apply_recurrence_values(values).active = False
            recurrence = event.recurrence_id
            recurrence.write(
                {"google_dtstart": decision.mapped["start"], "google_week_start": rule.wkst or "MO"}
            )
            self._series_created(calendar, [(event, decision)])
            return recurrence.base_event_id or event.exists()
        if rule is None:
            # The series became a single event in Google.
            self._drop_instance_links(calendar.key, event.recurrence_id.calendar_event_ids)
            event.write({"recurrency": False, "recurrence_update": "all_events"})
            self._plain_write(event, decision)
            return event
        recurrence = event.recurrence_id
        self._reconcile_series(calendar, event, decision)
        return recurrence.base_event_id or event.exists()

    def _plain_write(self, event, decision):
        values = {
            key: value
            for key, value in self._event_values(decision, update=True).items()
            if key not in event._get_recurrent_fields() and key != "recurrence_update"
        }
        if values:
            event.write(values)

    def _reconcile_series(self, calendar, base, decision):
        rec = base.recurrence_id
        rule, mapped = decision.recurrence, decision.mapped
        # The base may be the archived last occurrence of an emptied series.
        old_master = dataclasses.replace(self._snapshots(base)[base.id], recurrence_base=True)
        old = old_master.recurrence(user_tz=self.user.tz or "UTC")
        old_keys = series.rule_keys(
            old, anchor=self._anchor(rec, base), allday=base.allday, tz=old.event_tz
        )
        changes = series.reconcile(
            [series.Occurrence(self._key(e), e.id, e == base) for e in rec.calendar_event_ids],
            old_keys=old_keys,
            new_keys=self._google_keys(decision),
        )
        rule_values = {k: v for k, v in rule.odoo_values().items() if k != "recurrency"}
        rec.write(
            dict(rule_values, google_dtstart=mapped["start"], google_week_start=rule.wkst or "MO")
        )
        following = self._apply_series_changes(calendar, base, changes, decision)
        self._write_series_values(following, decision, mapped, times=True)

    def _apply_series_changes(self, calendar, base, changes, decision):
        """Delete, move and create occurrences as ``changes`` says; returns the
        occurrences that follow the series (not kept by Google on their own)."""
        rec, mapped = base.recurrence_id, decision.mapped
        occurrences = rec.calendar_event_ids
        doomed = self.Event.browse([occ.ref for occ in changes.delete])
        self._drop_instance_links(calendar.key, doomed)
        self._discard(doomed)
        on_their_own = self._on_their_own(calendar, occurrences)
        values = {
            key: value or (self.default_title if key == "name" else value)
            for key, value in mapped.items()
            if key in SERIES_VALUE_FIELDS
        }
        if changes.retime_base:
            # The base takes the first new start, as a plain occurrence of the master.
            self._drop_instance_links(calendar.key, base)
            on_their_own -= base
            base.write(dict(self._times_at(changes.retime_base, mapped), **values))
        following = (rec.calendar_event_ids - on_their_own).sorted("start")
        self._create_occurrences(rec, following[:1] or base, changes.create, mapped, values)
        if not rec.base_event_id.active:
            # The series had no occurrence left; the rule now gives new ones.
            rec._select_new_base_event()
        return following

    def _write_series_values(self, events, decision, mapped, times=False):
        """The master's changed values on every occurrence that follows it (and,
        with ``times``, the master's times)."""
        values = {
            key: value
            for key, value in self._event_values(decision, update=True).items()
            if key in SERIES_VALUE_FIELDS
        }
        if values:
            events.write(dict(values, recurrence_update="self_only"))
        if not times:
            return
        for event in events.filtered("follow_recurrence"):
            times = self._times_at(self._key(event), mapped)
            if any(event[name] != value for name, value in times.items()):
                event.write(times)

    @staticmethod
    def _times_at(key, mapped):
        """Time values of an occurrence at ``key`` with the master's length."""
        times = series.occurrence_times(key, mapped)
        times["google_original_start"] = times.pop("original_start")
        return dict(times, follow_recurrence=True)

    def _create_occurrences(self, rec, model, keys, mapped, values):
        """New occurrences at ``keys`` with the master's ``values``, copies of
        ``model`` as Odoo's own expansion makes them."""
        if not keys:
            return
        base_values = dict(model.copy_data()[0], **values, active=True)
        vals_list = []
        for key in keys:
            times = self._times_at(key, mapped)
            times.pop("start_date", None)
            times.pop("stop_date", None)
            vals_list.append(dict(base_values, **times, recurrence_id=rec.id))
        self.Event.with_user(self.user).sudo().create(vals_list)

    def _delete_series(self, calendar, decision, link, base):
        """The master was deleted in Google: the whole series goes."""
        events = base.recurrence_id.calendar_event_ids | base
        self.Link.search(
            [
                ("calendar_id", "=", calendar.key),
                ("recurring_event_id", "=", link.google_event_id),
            ]
        ).unlink()
        if not self._deletes_for_everyone(base):
            # An attendee deleted his copy of the series: he declines all of it.
            self._decline(events.filtered("active"))
        else:
            if decision.conflict:
                self._note_conflict(base, decision)
            # A change for every other copy: their next push deletes them.
            self._write_pulled(events.filtered("active"), {"active": False}, decision)
        link.unlink()
        return True
