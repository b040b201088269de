# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Odoo's state as the planner reads it: the user's calendars and event snapshots."""

from ..sync import mapping, port, recurrence, series
from ..sync.scope import SyncScope
from .meeting_extras import EXTRA_SNAPSHOT_FIELDS

# Event values the sync maps to Google, without the rule.
EVENT_MAPPED_FIELDS = (
    *("name", "start", "stop", "allday", "start_date", "stop_date"),
    *("description", "location", "privacy", "show_as"),
)
RECURRENCE_RULE_FIELDS = recurrence.RULE_FIELDS
SNAPSHOT_FIELDS = [
    *EVENT_MAPPED_FIELDS,
    "rrule",
    *RECURRENCE_RULE_FIELDS,
    *("recurrence_id", "follow_recurrence", "active", "write_date", "user_id"),
    *("google_sync_revision", "google_original_start", "google_sync_changed_at"),
    *EXTRA_SNAPSHOT_FIELDS,
]


class Snapshots:
    """Part of OdooSyncStore: calendar states and OdooEvent snapshots."""

    def calendars(self):
        sources = self.user.google_sync_source_calendar_ids.filtered("active")
        target = self.user.google_sync_target_calendar_id.filtered("active")
        states = []
        for calendar in sources | target:
            states.append(self._calendar_state(calendar, sources, target))
        return states

    def _calendar_state(self, calendar, sources=None, target=None):
        sources = sources if sources is not None else self.user.google_sync_source_calendar_ids
        target = target if target is not None else self.user.google_sync_target_calendar_id
        sync_token = calendar.sync_token or None
        taken_under = SyncScope(
            calendar.sync_token_private, calendar.sync_token_window_start or None
        )
        if sync_token and not taken_under.covers(self.scope):
            sync_token = None  # the rules widened: list the calendar afresh
        return port.CalendarState(
            key=calendar.id,
            google_id=calendar.google_id,
            access_role=calendar.access_role,
            time_zone=calendar.time_zone or None,
            sync_token=sync_token,
            is_source=calendar in sources,
            is_target=calendar == target,
            failures=dict(calendar.failed_events or {}),
        )

    def _snapshots(self, events, occurrence=False):
        """OdooEvent snapshots of ``events`` keyed by id (one read for all);
        ``occurrence``: each as one date of its series, even the base event."""
        if not events:
            return {}
        events = events.with_context(active_test=False)
        base_ids = set() if occurrence else set(events.recurrence_id.base_event_id.ids)
        rules = self._rules(events.recurrence_id)
        snapshots = {}
        rows = events.read(SNAPSHOT_FIELDS, load=None)
        extras = self.extras.snapshot_values(rows)
        attendees = self.attendees.snapshot_values(rows)
        for values in rows:
            event_id = values["id"]
            # Outside a series no rule counts (Odoo leaves "recurrent" on events it
            # detaches from one).
            values.update(rules.get(values["recurrence_id"], {"rrule_type": False}))
            self.revisions[event_id] = values.pop("google_sync_revision") or 0
            # Newer changes win: a change pulled from Google dates from when it
            # was made there, not from when the sync wrote it.
            values["write_date"] = values.pop("google_sync_changed_at") or values["write_date"]
            original_start = values.pop("google_original_start") or None
            if original_start and values.get("allday"):
                original_start = original_start.date()
            owner = self.env["res.users"].browse(values.get("user_id") or self.user.id)
            snapshots[event_id] = mapping.OdooEvent.from_odoo_read(
                values,
                recurrence_base=event_id in base_ids,
                original_start=original_start,
                owner_default_privacy=owner.calendar_default_privacy or None,
                **extras[event_id],
                **attendees[event_id],
            )
        return snapshots

    def _rules(self, recurrences):
        """The rule values of ``recurrences`` by id, from the recurrences themselves:
        an event shows its own weekday among them once it was moved."""
        rules = {}
        for values in recurrences.read([*RECURRENCE_RULE_FIELDS, "google_week_start"]):
            rule_id = values.pop("id")
            values["wkst"] = values.pop("google_week_start") or self.week_start
            rules[rule_id] = values
        return rules

    def _series_snapshots(self, bases):
        """Snapshots of series as Google's masters show them, by base event id."""
        bases = bases.filtered("recurrence_id")
        if not bases:
            return {}
        plain = self._snapshots(bases)
        occurrences = self.Event.with_context(active_test=False).search(
            [("recurrence_id", "in", bases.recurrence_id.ids), ("active", "=", True)],
            order="start, id",
        )
        occurrence_snapshots = self._snapshots(occurrences, occurrence=True)
        on_their_own = set(
            self.Link.search(
                [
                    ("event_id", "in", occurrences.ids),
                    ("user_id", "=", self.user.id),
                    ("recurring_event_id", "!=", False),
                ]
            ).event_id.ids
        )
        by_series = {}
        for event in occurrences:
            by_series.setdefault(event.recurrence_id.id, []).append(event)
        user_tz = self.user.tz or "UTC"
        result = {}
        for base in bases:
            rec = base.recurrence_id
            own = by_series.get(rec.id, [])
            # Not changed on its own since the series was made.
            following = [
                event
                for event in own
                if event.follow_recurrence
                and event.id not in on_their_own
                and self.revisions.get(event.id, 0) <= rec.google_start_revision
            ]
            rep = following[0] if following else base
            self.series_revisions[base.id] = rec.google_sync_revision or 0
            master = series.master_snapshot(
                plain[base.id],
                occurrence_snapshots.get(rep.id) or plain[base.id],
                anchor=self._anchor(rec, base),
                present_keys=[self._key(event) for event in own],
                user_tz=user_tz,
            )
            result[base.id] = series.series_answers(
                master, [occurrence_snapshots[e.id] for e in own if e.id in occurrence_snapshots]
            )
        return result

    @staticmethod
    def _anchor(rec, base):
        return rec.google_dtstart or base.google_original_start or base.start

    def _occurrence_index(self, recurrences):
        """``{(recurrence id, key): event}``; an active occurrence wins."""
        index = {}
        occurrences = self.Event.search(
            [("recurrence_id", "in", recurrences.ids)], order="active, id"
        )
        for event in occurrences:
            index[(event.recurrence_id.id, self._key(event))] = event
        return index

    @staticmethod
    def _key(event):
        return series.key_of(event.google_original_start or event.start, event.allday)
