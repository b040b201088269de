# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Odoo side of a sync cycle: adapts records to the engine's plain data.

Not a model: one instance serves one user's cycle, working as superuser on
that user's data only (calendars, links, and the events the user attends or
organises).
"""

import dataclasses
import logging

from markupsafe import Markup, escape

from odoo import fields
from odoo.tools import SQL, split_every

from ..sync import engine, errors, mapping, recurrence
from ..sync.fingerprint import fingerprint_google
from ..sync.planner import Action, LinkState
from ..sync.scope import SyncScope
from .calendar_event import EVENT_MAPPED_FIELDS, RECURRENCE_RULE_FIELDS, SYNC_MARK_CONTEXT
from .meeting_extras import EXTRA_SNAPSHOT_FIELDS, MeetingExtras
from .series_store import SeriesStore

_logger = logging.getLogger(__name__)

# Sync writes never e-mail attendees, never log "created" messages and do not
# track fields; a conflict note is posted explicitly instead.
SYNC_CONTEXT = {
    "dont_notify": True,
    "no_mail_to_attendees": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
    "tracking_disable": True,
    "active_test": False,
    **SYNC_MARK_CONTEXT,
}

SNAPSHOT_FIELDS = [
    *EVENT_MAPPED_FIELDS,
    "rrule",
    *RECURRENCE_RULE_FIELDS,
    *("recurrence_id", "follow_recurrence", "active", "write_date", "user_id"),
    *("google_sync_revision", "google_original_start", "google_sync_changed_at"),
    *EXTRA_SNAPSHOT_FIELDS,
]


def _link_state(link, odoo=None, revision=0):
    """The planner's view of a link.

    The planner asks "did Odoo change since the last sync?" by comparing
    write dates; we answer it with the revision sequence (exact even within one
    transaction): unchanged -> the event's own write_date, changed -> unknown.
    """
    synced_at = link.odoo_synced_at or None
    if odoo is not None and revision > (link.odoo_revision or 0):
        synced_at = None
    elif odoo is not None:
        synced_at = odoo.write_date
    return LinkState(
        google_id=link.google_event_id,
        calendar_id=link.calendar_id.google_id,
        etag=link.etag or None,
        fingerprint=link.fingerprint or None,
        google_updated=link.google_updated or None,
        odoo_write_date_at_sync=synced_at,
        readonly=link.readonly,
        attempted_fingerprint=link.attempted_fingerprint or None,
    )


class OdooSyncStore(SeriesStore, engine.SyncStore):
    _link_state = staticmethod(_link_state)

    def __init__(self, token, commit=True):
        self.token = token
        self.env = token.env
        self.user = token.user_id
        self.partner = self.user.partner_id
        self.commit = commit
        self.Event = self.env["calendar.event"].with_context(**SYNC_CONTEXT)
        self.Link = self.env["crm.google.event.link"].with_context(active_test=False)
        self.Calendar = self.env["crm.google.calendar"].with_context(active_test=False)
        self.event_id_key = token._event_id_key()
        self.default_title = self.env._("(No title)")
        self.revisions = {}  # event id -> google_sync_revision as last read
        self.pulled_revision = None  # one new revision for the changes of a page
        # The rules of this cycle, remembered with each sync token it saves.
        self.scope = SyncScope(bool(self.user.google_sync_private), token._window_start())
        self.series_revisions = {}  # base event id -> its series' revision as last read
        # Odoo expands the weeks of a series made in Odoo from the user's language.
        week_start = self.env["res.lang"]._get_data(code=self.user.lang or "en_US").week_start
        self.week_start = recurrence.ICAL_DAYS[int(week_start or 1) - 1]
        self.extras = MeetingExtras(self.env, self.user)

    # ------------------------------------------------------------------
    # Calendars
    # ------------------------------------------------------------------
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
        return engine.CalendarState(
            key=calendar.id,
            google_id=calendar.google_id,
            access_role=calendar.access_role,
            time_zone=calendar.time_zone or None,
            sync_token=sync_token,
            is_source=calendar in sources,
            is_target=calendar == target,
            failures=dict(calendar.failed_events or {}),
        )

    def save_sync_token(self, calendar, token):
        values = {"sync_token": token or False}
        if token:
            values.update(
                sync_token_private=self.scope.include_private,
                sync_token_window_start=self.scope.window_start,
            )
        self.Calendar.browse(calendar.key).write(values)

    def save_failures(self, calendar):
        self.Calendar.browse(calendar.key).failed_events = calendar.failures or False

    def isolate(self):
        return self.env.cr.savepoint()

    def calendar_unavailable(self, calendar, error):
        # Re-read the calendar list next cycle: it shows whether the calendar was
        # deleted (archived then) or only its sharing changed.
        self.token.sudo().calendar_list_checked = False

    def checkpoint(self):
        self.pulled_revision = None
        if self.commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit

    # ------------------------------------------------------------------
    # Snapshots
    # ------------------------------------------------------------------
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

    # ------------------------------------------------------------------
    # Incoming
    # ------------------------------------------------------------------
    def load_links(self, calendar, google_events):
        google_ids = [item["id"] for item in google_events]
        links = self.Link.search(
            [("calendar_id", "=", calendar.key), ("google_event_id", "in", google_ids)]
        )
        by_google_id = {link.google_event_id: link for link in links}
        instances = [item for item in google_events if item.get("recurringEventId")]
        result = self._load_instances(calendar, instances, by_google_id) if instances else {}
        instance_ids = {item["id"] for item in instances}
        tops = self.Link.browse(
            [link.id for google_id, link in by_google_id.items() if google_id not in instance_ids]
        )
        bases = tops.filtered(lambda link: self._is_series_link(link, link.event_id)).event_id
        snapshots = self._snapshots(tops.event_id - bases)
        snapshots.update(self._series_snapshots(bases))
        for link in tops:
            event_id = link.event_id.id
            odoo = snapshots.get(event_id)
            revisions = self.series_revisions if event_id in bases.ids else self.revisions
            state = _link_state(link, odoo, revisions.get(event_id, 0))
            result[link.google_event_id] = engine.Linked(state, odoo, link)
        # A cancellation counts only through this calendar's own link: it never
        # reaches a meeting that moved on (to another calendar, say).
        missing = [
            item
            for item in google_events
            if item["id"] not in result
            and not item.get("recurringEventId")
            and item.get("status") != "cancelled"
        ]
        if missing:
            result.update(self._find_unlinked(calendar, missing))
        return result

    def _find_unlinked(self, calendar, google_events):
        """Odoo events for Google events this calendar has no link for yet.

        Our own inserts carry the Odoo id in their event id (made with this
        user's key); a meeting that another user already brought in is found by
        its iCalUID; a modified occurrence of a series is found in the series by
        its original start. All end up as one Odoo event, never a duplicate.
        Google data is the user's own word only: it finds only meetings he is
        already tied to (see _tied_events), each once.
        """
        singles = {item["id"]: item for item in google_events if not item.get("recurringEventId")}
        claimed = self._claimed(singles.values())
        tied = self._tied_events({odoo_id for ids in claimed.values() for odoo_id in ids})
        # A series only as a series, a single event only as one: a single event
        # that took a series' place would end it for everybody.
        in_series = set(self.Event.browse(tied).filtered("recurrence_id").ids)
        found = {}  # google id -> Odoo id
        for google_id, candidates in claimed.items():
            recurring = bool(singles[google_id].get("recurrence"))
            mine = [
                odoo_id
                for odoo_id in candidates
                if odoo_id in tied and (odoo_id in in_series) == recurring
            ]
            if mine:
                found[google_id] = mine[0]
        return self._found_again(calendar, singles, self._once_per_calendar(calendar, found))

    def _claimed(self, items):
        """``{google id: [Odoo ids]}`` the Google events name, the best first: our
        own inserts by their id, meetings others brought in by their iCalUID."""
        claimed = {item["id"]: [] for item in items}
        for item in items:
            odoo_id = engine.odoo_id_from_google_id(self.event_id_key, item["id"])
            if odoo_id:
                claimed[item["id"]].append(odoo_id)
        uids = {item.get("iCalUID"): item["id"] for item in items if item.get("iCalUID")}
        if uids:
            links = self.Link.search([("ical_uid", "in", list(uids)), ("event_id", "!=", False)])
            for link in links:
                claimed[uids[link.ical_uid]].append(link.event_id.id)
        return claimed

    def _found_again(self, calendar, items, found):
        """``{google id: Linked}`` of the events ``found`` (google id -> Odoo id).

        A copy Odoo made for the user, which he deleted (declined) and takes back
        out of Google's bin, still shows what Odoo sent him then: it is its own
        base, so that Odoo's version of today replaces it (no newer edit)."""
        if not found:
            return {}
        events = self.Event.browse(set(found.values())).exists()
        bases = events.filtered(lambda event: event.recurrence_id.base_event_id == event)
        snapshots = self._snapshots(events - bases)
        snapshots.update(self._series_snapshots(bases))
        declined = events.attendee_ids.filtered(
            lambda a: a.partner_id == self.partner and a.state == "declined"
        ).event_id
        result = {}
        for google_id, event_id in found.items():
            if event_id not in snapshots:
                continue
            base = None
            restored = engine.odoo_id_from_google_id(self.event_id_key, google_id) == event_id
            if restored and event_id in declined.ids:
                base = self._google_fingerprint(calendar, items[google_id])
            result[google_id] = engine.Linked(None, snapshots[event_id], None, base=base)
        return result

    def _google_fingerprint(self, calendar, item):
        try:
            return fingerprint_google(
                item, user_tz=self.user.tz or "UTC", calendar_tz=calendar.time_zone
            )
        except mapping.MappingError:
            return None

    def _tied_events(self, event_ids, linked=True):
        """The ids among ``event_ids`` of meetings that the user organises or
        attends (declined or not) or, when ``linked``, already links in one of
        his calendars.

        The trust boundary: an id, iCalUID or anything else from one user's
        Google is his word only, and anyone can put any id or iCalUID into his
        own calendar.
        """
        if not event_ids:
            return set()
        self.env["calendar.event"].flush_model(["user_id", "partner_ids"])
        self.Link.flush_model(["event_id", "user_id"])
        self.env.cr.execute(
            """
            SELECT e.id FROM calendar_event e
             WHERE e.id IN %(ids)s
               AND (e.user_id = %(uid)s
                    OR EXISTS (SELECT 1 FROM calendar_event_res_partner_rel r
                                WHERE r.calendar_event_id = e.id
                                  AND r.res_partner_id = %(partner)s)
                    OR (%(linked)s AND EXISTS (
                            SELECT 1 FROM crm_google_event_link l
                             WHERE l.event_id = e.id AND l.user_id = %(uid)s)))
            """,
            {
                "ids": tuple(event_ids),
                "uid": self.user.id,
                "partner": self.partner.id,
                "linked": linked,
            },
        )
        return {row[0] for row in self.env.cr.fetchall()}

    def _once_per_calendar(self, calendar, found):
        """Drop matches of events this calendar already links, and all but the
        first Google event matching one Odoo event: a calendar holds one copy."""
        if not found:
            return found
        linked = set(
            self.Link.search(
                [("calendar_id", "=", calendar.key), ("event_id", "in", list(set(found.values())))]
            ).event_id.ids
        )
        result = {}
        for google_id, event_id in found.items():
            if event_id not in linked:
                linked.add(event_id)
                result[google_id] = event_id
        return result

    def apply_incoming(self, calendar, google_event, decision, linked):
        link = linked.ref if linked.link is not None else self.Link
        event = self.Event.browse(linked.odoo.id) if linked.odoo is not None else self.Event
        action = decision.action
        if action == Action.SKIP:
            if link and decision.error:
                self._write_changed(link, {"state": "error", "error_message": decision.error})
            elif link and decision.reason == "deleted_in_odoo" and decision.etag:
                # Changed in Google without touching what we map (e.g. a guest's
                # answer): the pending deletion must carry the new etag.
                self._write_changed(link, {"etag": decision.etag})
            return
        is_series = bool(link) and self._is_series_link(link, event)
        if decision.recurring_event_id:
            event = self._apply_instance(calendar, google_event, decision, link, event)
            if action == Action.DELETE or event is False:
                return event
        elif action == Action.DELETE:
            if is_series:
                return self._delete_series(calendar, decision, link, event)
            return self._apply_deletion(calendar, decision, link, event)
        elif action == Action.CREATE:
            event = self._create_event(decision, google_event)
            if decision.recurrence:
                self._series_created(calendar, [(event, decision)])
        elif action in (Action.UPDATE, Action.CONFLICT):
            if is_series or decision.recurrence:
                event = self._update_series(calendar, event, decision)
                self._stamp_pulled_series(event, decision)
            else:
                values = self._event_values(decision, update=True)
                if values:
                    self._write_pulled(event, values, decision)
        if action == Action.CONFLICT:
            self._note_conflict(event, decision)
        if not link and linked.odoo is not None:
            self._attend(event, series=is_series or bool(decision.recurrence))
        # Odoo's side counts as synced only when it now equals Google's version.
        # An echo or unchanged etag says nothing about Odoo edits since the last
        # push, and when Odoo keeps changes Google lacks (a merge, or Odoo won a
        # conflict) the push still has to send them (with Google's current etag,
        # so that If-Match passes).
        odoo_in_sync = (
            action in (Action.CREATE, Action.UPDATE, Action.CONFLICT) and not decision.push_back
        ) or decision.reason == "same_on_both_sides"
        self._upsert_link(
            calendar, google_event, decision, link, event, keep_fingerprint=not odoo_in_sync
        )

    def _write_pulled(self, event, values, decision):
        """Write a change pulled from one user's Google. It is a change for every
        other copy: a new revision (the puller's link records it as in sync), and
        the time Google gives the change, against which newer changes are weighed."""
        if self.pulled_revision is None:
            self.pulled_revision = event._next_google_revision()
        changed_at = decision.google_updated or fields.Datetime.now()
        if decision.push_back:
            # Odoo keeps newer changes of its own: they date the meeting.
            changed_at = max(changed_at, event.google_sync_changed_at or event.write_date)
        stamp = {"google_sync_revision": self.pulled_revision, "google_sync_changed_at": changed_at}
        if values.get("recurrence_update") == "all_events":
            # Odoo may rebuild the series' events: stamp what is left of this one.
            event.write(values)
            event.exists().write(stamp)
        else:
            event.write(dict(values, **stamp))
        if "alarm_ids" in values:
            self.extras.schedule_alarms(event.exists())

    def _stamp_pulled_series(self, event, decision):
        """A whole series changed in one user's Google (or ended there): a change of
        the series for every other copy (its revision), dated by Google on its
        events."""
        recurrence = event.recurrence_id
        if not recurrence:
            if event:  # the series became a single event: a change of that event
                self._write_pulled(event, {}, decision)
            return
        if self.pulled_revision is None:
            self.pulled_revision = event._next_google_revision()
        recurrence.write({"google_sync_revision": self.pulled_revision})
        changed_at = decision.google_updated or fields.Datetime.now()
        recurrence.calendar_event_ids.write({"google_sync_changed_at": changed_at})

    def _attend(self, event, series=False):
        """The user's Google holds this meeting (found by id or iCalUID, or taken
        back out of Google's bin): he attends it, so that it shows in his calendar;
        a series (``series``: ``event`` is its base) with all its occurrences."""
        if series and event.recurrence_id:
            event = event.recurrence_id.calendar_event_ids.filtered("active")
        missing = event.filtered(lambda e: self.partner not in e.partner_ids)
        if missing:
            missing.write({"partner_ids": [(4, self.partner.id)]})
        event.attendee_ids.filtered(
            lambda a: a.partner_id == self.partner and a.state == "declined"
        ).state = "needsAction"

    @staticmethod
    def _is_series_link(link, event):
        """Is ``link`` the link of a series' master? (It lives on the series' base
        event, or on its last occurrence when Google shows none any more.)"""
        return not link.recurring_event_id and bool(event.recurrence_id)

    def _event_values(self, decision, update=False):
        values = self.extras.odoo_values(decision.values or {}, update)
        if "name" in values and not values["name"]:
            values["name"] = self.default_title
        recurrence = decision.recurrence
        if recurrence is not None and (not update or decision.recurrence_changed):
            values.update(recurrence.odoo_values())
            if update:
                values["recurrence_update"] = "all_events"
        return values

    def _create_values(self, decision, google_event):
        values = self._event_values(decision)
        organizer = mapping.is_organizer(google_event, self.token.google_email)
        values.update(
            user_id=self.user.id if organizer else False,
            partner_ids=[(6, 0, self.partner.ids)],
        )
        if values.get("allday") and values.get("start") and values.get("stop"):
            # Odoo computes the dates from start and stop (8:00 and 18:00 of the
            # same days). Given, they go through Odoo's inverse, which writes start
            # and stop again, event by event.
            values.pop("start_date", None)
            values.pop("stop_date", None)
        return values

    def _create_event(self, decision, google_event):
        return self._create_events([(google_event, decision)])[0]

    def _create_events(self, entries):
        """Create the events of ``[(google_event, decision)]`` in one ``create``,
        the series expanded together; returns, in the entries' order, the event
        each one's link belongs to (for a series: its base event)."""
        values = [self._create_values(decision, item) for item, decision in entries]
        # calendar.event.create returns the single events first, then the series
        # (each in the given order): order the entries the same way.
        order = sorted(range(len(entries)), key=lambda index: bool(values[index].get("recurrency")))
        values = [values[index] for index in order]
        # Odoo's create expands each series on its own: one recurrence, then one
        # create of its occurrences (with their attendees) per series. Without the
        # rule it creates the base events only, and the series are expanded below
        # in one create of all their occurrences.
        rule_fields = self.Event._get_recurrent_fields()
        rules = [
            dict(
                {name: vals.pop(name) for name in rule_fields if name in vals},
                google_week_start=entries[index][1].recurrence.wkst or "MO",
            )
            for index, vals in zip(order, values, strict=True)
            if vals.get("recurrency")
        ]
        Event = self.Event.with_user(self.user).sudo()
        events = Event.create(values)
        bases = {}
        if rules:
            firsts = events[len(events) - len(rules) :]
            recurrences = self._expand_series(Event, firsts, rules)
            # A first start off the rule is not an occurrence (Odoo archives it):
            # the series' base is then the first occurrence.
            bases = {
                first.id: recurrence.base_event_id or first
                for first, recurrence in zip(firsts, recurrences, strict=True)
            }
        linked = [None] * len(entries)
        for event, index in zip(events, order, strict=True):
            linked[index] = bases.get(event.id, event)
        self.extras.schedule_alarms(events | events.recurrence_id.calendar_event_ids)
        return linked

    def create_many(self, calendar, entries):
        """One ``create`` for many new events and series, one for their links."""
        events = self._create_events(entries)
        self._insert_links(
            [
                self._new_link_values(calendar, item, decision, event)
                for (item, decision), event in zip(entries, events, strict=True)
            ]
        )
        self.Event.browse([event.id for event in events]).invalidate_recordset(
            ["google_link_ids", "google_sync_status", "google_sync_status_reason"]
        )
        self._series_created(
            calendar,
            [
                (event, decision)
                for (_item, decision), event in zip(entries, events, strict=True)
                if decision.recurrence
            ],
        )

    # Columns of a new link; the others keep their database default (NULL).
    LINK_COLUMNS = (
        *("event_id", "user_id", "calendar_id", "google_event_id", "ical_uid", "etag"),
        *("fingerprint", "google_updated", "odoo_synced_at", "odoo_revision", "readonly"),
        *("state", "create_uid", "create_date", "write_uid", "write_date"),
    )

    def _insert_links(self, values_list):
        """The links of a page of new events in one INSERT.

        Our own table: the ORM's create would cost a quarter of a millisecond
        per link (defaults, caches of the events' link lists), a tenth of a first
        import. The unique constraints still hold.
        """
        uid, now = self.env.uid, self.env.cr.now()
        link_fields = [self.Link._fields[name] for name in self.LINK_COLUMNS]
        rows = []
        for values in values_list:
            row = dict(values, state="synced", create_uid=uid, create_date=now)
            row.update(write_uid=uid, write_date=now)
            params = [
                field.convert_to_column_insert(row[field.name], self.Link, row)
                for field in link_fields
            ]
            rows.append(SQL("(%s)", SQL(", ").join(params)))
        columns = SQL(", ").join(SQL.identifier(name) for name in self.LINK_COLUMNS)
        for chunk in split_every(1000, rows):
            chunk_rows = SQL(", ").join(chunk)
            self.env.cr.execute(
                SQL("INSERT INTO crm_google_event_link (%s) VALUES %s", columns, chunk_rows)
            )

    @staticmethod
    def _expand_series(Event, bases, rules):
        """What ``calendar.event._apply_recurrence_values`` does for one new
        series, for all of them at once."""
        Event = Event.with_context(is_calendar_event_new=True)
        recurrences = Event.env["calendar.recurrence"].create(
            [
                dict(
                    rule,
                    base_event_id=base.id,
                    calendar_event_ids=[(4, base.id)],
                    google_dtstart=base.start,
                )
                for base, rule in zip(bases, rules, strict=True)
            ]
        )
        # A base event off its own rule (DTSTART not on a BYDAY) is archived,
        # as Odoo does.
        recurrences._apply_recurrence().active = False
        # Each recurrence writes its rule text at the next flush, and that write
        # reads the series' first start: read it for all series at once.
        recurrences.mapped("dtstart")
        # No alarm set-up: the store sets up the alarms of all new events at once
        # (MeetingExtras.schedule_alarms), as Odoo's create skips it (dont_notify).
        return recurrences

    def _apply_deletion(self, calendar, decision, link, event):
        if not event and not link:
            return False
        if event and self._linked_elsewhere(calendar, event):
            # Moved to another of the user's calendars: only this copy is gone.
            link.unlink()
            return True
        if event and not self._deletes_for_everyone(event):
            self._decline(event)
        elif event.active:
            if decision.conflict:
                self._note_conflict(event, decision)
            # A change for every other copy: their next push deletes them.
            self._write_pulled(event, {"active": False}, decision)
        if link:
            link.unlink()
        return True

    def _deletes_for_everyone(self, event):
        """Does this user's deletion delete the meeting? Only the organiser's
        does, and that of the only attendee of a meeting without organiser in
        Odoo (one brought in from someone else's invitation)."""
        if event.user_id:
            return event.user_id == self.user
        return not event.partner_ids - self.partner

    def _decline(self, events):
        """An attendee who deleted his Google copy declines: the meeting stays for
        the others, and it is no longer pushed to him (see outgoing). A series
        takes the note on its base event only. Returns whether he declined any."""
        attendance = events.attendee_ids.filtered(
            lambda a: a.partner_id == self.partner and a.state != "declined"
        )
        if not attendance:
            return False
        attendance.state = "declined"
        body = self.env._(
            "%(name)s deleted this meeting from their Google Calendar and so declined it.",
            name=self.partner.name,
        )
        for event in (
            attendance.event_id.filtered(
                lambda e: not e.recurrence_id or e == e.recurrence_id.base_event_id
            )
            or attendance.event_id[:1]
        ):
            event.with_context(mail_notrack=True).sudo().message_post(
                body=body, message_type="comment", subtype_xmlid="mail.mt_note"
            )
        return True

    def _linked_elsewhere(self, calendar, event):
        return bool(
            self.Link.search_count(
                [
                    ("event_id", "=", event.id),
                    ("user_id", "=", self.user.id),
                    ("calendar_id", "!=", calendar.key),
                    ("recurring_event_id", "=", False),
                ],
                limit=1,
            )
        )

    def _upsert_link(
        self, calendar, google_event, decision, link, event, *, keep_fingerprint=False
    ):
        """Create or update the link; ``keep_fingerprint`` leaves Odoo's sync state
        (for a new link: none, so that the push sends Odoo's version)."""
        if not link:
            values = self._new_link_values(calendar, google_event, decision, event)
            if keep_fingerprint:
                values.update(odoo_synced_at=False, odoo_revision=0)
            self.Link.create(values)
            return
        values = {
            "event_id": event.id if event else False,
            "etag": decision.etag or False,
            "google_updated": decision.google_updated or False,
            "readonly": decision.readonly,
            "state": "synced",
            "error_message": False,
            "attempted_fingerprint": False,
        }
        if not keep_fingerprint:
            values.update(self._odoo_sync_values(decision, event))
        elif decision.reason == "echo_of_attempt":
            values["fingerprint"] = decision.fingerprint  # Google's new base
        self._write_changed(link, values)

    @staticmethod
    def _odoo_sync_values(decision, event):
        """What the link remembers of both sides being equal right now (a series'
        link counts the revisions of the whole series, see calendar.recurrence)."""
        revision = event.google_sync_revision if event else 0
        if event and not decision.recurring_event_id and event.recurrence_id:
            revision = event.recurrence_id.google_sync_revision
        return {
            "fingerprint": decision.fingerprint or False,
            "odoo_synced_at": event.write_date if event else False,
            "odoo_revision": revision or 0,
        }

    def _new_link_values(self, calendar, google_event, decision, event):
        return {
            "event_id": event.id if event else False,
            "user_id": self.user.id,
            "calendar_id": calendar.key,
            "google_event_id": google_event["id"],
            # An instance shares its series' iCalUID: only the series' link keeps it.
            "ical_uid": (not google_event.get("recurringEventId") and google_event.get("iCalUID"))
            or False,
            "recurring_event_id": google_event.get("recurringEventId") or False,
            "etag": decision.etag or False,
            "google_updated": decision.google_updated or False,
            "readonly": decision.readonly,
            **self._odoo_sync_values(decision, event),
        }

    @staticmethod
    def _write_changed(record, values):
        """Write only what differs: unchanged links cost no database write."""
        changed = {}
        for name, value in values.items():
            current = record[name]
            if hasattr(current, "id"):
                current = current.id or False
            if current != value:
                changed[name] = value
        if changed:
            record.write(changed)

    def _note_conflict(self, event, decision):
        conflict = decision.conflict
        if not event or conflict is None:
            return
        if conflict.winner == "google":
            intro = self.env._(
                "This meeting was changed in Odoo and in Google Calendar at the same time. "
                "Where the changes differ, the newer one from Google was kept; the Odoo "
                "version was:"
            )
        else:
            intro = self.env._(
                "This meeting was changed in Odoo and in Google Calendar at the same time. "
                "Where the changes differ, the newer one from Odoo was kept; the Google "
                "version was:"
            )
        body = Markup("<p>%s</p><p>%s</p>") % (intro, escape(conflict.losing_summary))
        event.with_context(mail_notrack=True).sudo().message_post(
            body=body, message_type="comment", subtype_xmlid="mail.mt_note"
        )

    # ------------------------------------------------------------------
    # Outgoing
    # ------------------------------------------------------------------
    # Single events and series (on their base event) changed since they were sent,
    # occurrences changed on their own since their series was sent, links whose
    # event was deleted or archived, and links of meetings the user left.
    OUTGOING_SQL = """
        -- The user's meetings through indexes (attendee, declined, organiser),
        -- so that a cycle costs the user's events, not the whole table.
        WITH attended AS (
            SELECT calendar_event_id AS id
              FROM calendar_event_res_partner_rel
             WHERE res_partner_id = %(partner)s
            EXCEPT
            SELECT event_id FROM calendar_attendee
             WHERE partner_id = %(partner)s AND state = 'declined'
        ), mine AS (
            SELECT id FROM attended
             UNION
            -- The base of a series stands for the series: his while he attends
            -- any of its occurrences (also when not, or no longer, the base).
            SELECT r.base_event_id
              FROM attended
              JOIN calendar_event o ON o.id = attended.id AND o.active
              JOIN calendar_recurrence r ON r.id = o.recurrence_id
             UNION
            SELECT id FROM calendar_event WHERE user_id = %(uid)s
        ), ev AS (
            SELECT e.id, e.active, e.stop, e.recurrency, e.recurrence_id, r.base_event_id,
                   e.user_id,
                   COALESCE(e.google_sync_revision, 0) AS rev,
                   COALESCE(r.google_sync_revision, 0) AS series_rev,
                   COALESCE(r.google_start_revision, 0) AS series_start
              FROM mine
              JOIN calendar_event e ON e.id = mine.id
              LEFT JOIN calendar_recurrence r ON r.id = e.recurrence_id
        ),
        -- Links into a Google account connected before: never written through.
        former AS (%(former)s),
        own AS (
            SELECT * FROM crm_google_event_link
             WHERE user_id = %(uid)s AND calendar_id NOT IN (SELECT id FROM former)
        )
        SELECT ev.id, l.id,
               CASE WHEN ev.base_event_id = ev.id THEN 'series' ELSE 'event' END, NULL
          FROM ev
          -- (an event outside a series may stand for a Google instance: its link)
          LEFT JOIN own l
                 ON l.event_id = ev.id
                AND (l.recurring_event_id IS NULL OR ev.recurrence_id IS NULL)
         WHERE ev.active
           AND (ev.recurrence_id IS NULL OR ev.base_event_id = ev.id)
           AND (ev.stop >= %(window_start)s OR ev.recurrency)
           AND (l.id IS NULL OR COALESCE(l.odoo_revision, 0) <
                CASE WHEN ev.base_event_id = ev.id THEN ev.series_rev ELSE ev.rev END)
        UNION ALL
        SELECT ev.id, il.id, 'occurrence', sl.id
          FROM ev
          JOIN own sl ON sl.event_id = ev.base_event_id AND sl.recurring_event_id IS NULL
          LEFT JOIN own il
            ON il.event_id = ev.id AND il.calendar_id = sl.calendar_id
           AND il.recurring_event_id = sl.google_event_id
         WHERE ev.active AND ev.recurrence_id IS NOT NULL AND ev.stop >= %(window_start)s
           AND ev.rev > COALESCE(il.odoo_revision, ev.series_start)
           -- (not the base he left, standing for the series)
           AND (ev.user_id = %(uid)s OR ev.id IN (SELECT id FROM attended))
        UNION ALL
        SELECT l.event_id, l.id,
               CASE WHEN e.active THEN 'left' ELSE 'delete' END, NULL
          FROM own l
          LEFT JOIN calendar_event e ON e.id = l.event_id
         WHERE l.event_id IS NULL
            -- archived by a user (a revision newer than the link's), not by the sync
            OR (NOT e.active AND e.google_sync_revision > COALESCE(l.odoo_revision, 0))
            -- a meeting the user no longer attends (declined, or taken off it)
            OR (e.active AND l.recurring_event_id IS NULL
                AND l.event_id NOT IN (SELECT id FROM mine))
    """

    def outgoing(self, target):
        """What to push, see the engine; links to meetings the user no longer
        attends whose Google event is not a copy Odoo made are released here."""
        window_start = self.token._window_start()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                self.OUTGOING_SQL,
                uid=self.user.id,
                partner=self.partner.id,
                window_start=window_start,
                former=self.Calendar._former_account_sql(self.user.id),
            )
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return []
        events = self.Event.browse({row[0] for row in rows if row[0]})
        links = self.Link.browse(
            {link_id for row in rows for link_id in (row[1], row[3]) if link_id}
        )
        rows = self._release_left(rows, links)
        snapshots = self._outgoing_snapshots(events, rows)
        calendars = {}
        items = []
        for event_id, link_id, kind, series_link_id in rows:
            link = links.browse(link_id) if link_id else self.Link
            series_link = links.browse(series_link_id) if series_link_id else self.Link
            # A meeting the user left: his copy goes, the meeting stays.
            odoo = snapshots[kind].get(event_id)
            revisions = self.series_revisions if kind == "series" else self.revisions
            revision = revisions.get(event_id, 0)
            if kind == "occurrence":
                # Edited on its own (Odoo keeps follow_recurrence for edits that
                # do not move it): patched as an instance of its series.
                odoo = dataclasses.replace(odoo, follow_recurrence=False)
            calendar = self._calendar_for(link or series_link, calendars)
            items.append(
                engine.OutgoingItem(
                    key=(event_id, link_id, kind, series_link.google_event_id or None),
                    link=_link_state(link, odoo, revision) if link else None,
                    odoo=odoo,
                    calendar=calendar,
                    series_link=_link_state(series_link) if series_link else None,
                )
            )
        return items

    def _release_left(self, rows, links):
        """Links to meetings the user left (declined, or taken off the attendees)
        whose Google event Odoo did not make: the event is the user's own (or an
        invitation), so it stays in Google and only the link goes. The rows of
        the copies Odoo made are returned, to be deleted in Google."""
        kept, released = [], self.Link
        for row in rows:
            event_id, link_id, kind, _series = row
            link = links.browse(link_id)
            if kind == "left" and (
                link.readonly
                or engine.odoo_id_from_google_id(self.event_id_key, link.google_event_id)
                != event_id
            ):
                released |= link
            else:
                kept.append(row)
        released.unlink()
        return kept

    def _outgoing_snapshots(self, events, rows):
        ids = {kind: set() for kind in ("event", "series", "occurrence", "delete", "left")}
        for event_id, _link, kind, _series in rows:
            if event_id:
                ids[kind].add(event_id)
        plain = self._snapshots(events.browse(ids["event"] | ids["delete"]))
        return {
            "event": plain,
            "delete": plain,
            "left": {},
            "series": self._series_snapshots(events.browse(ids["series"])),
            "occurrence": self._snapshots(events.browse(ids["occurrence"]), occurrence=True),
        }

    def _calendar_for(self, link, calendars):
        if not link:
            return None
        calendar = calendars.get(link.calendar_id.id)
        if calendar is None:
            calendar = calendars[link.calendar_id.id] = self._calendar_state(link.calendar_id)
        return calendar

    def apply_outgoing(self, item, decision, result):
        event_id, link_id, kind, _series_id = item.key
        # exists(): the deletion of a series in this batch may have taken the
        # links of its instances with it.
        link = self.Link.browse(link_id).exists() if link_id else self.Link
        if link_id and not link:
            return
        event = self.Event.browse(event_id) if event_id else self.Event
        revisions = self.series_revisions if kind == "series" else self.revisions
        revision = revisions.get(event_id, 0)
        if decision.action == Action.NOOP:
            if link and event and decision.fingerprint:
                # Changed in Odoo but not in a mapped field: remember that.
                self._write_changed(
                    link, {"odoo_synced_at": event.write_date, "odoo_revision": revision}
                )
            return
        if decision.action == Action.SKIP:
            if link and decision.error:
                self._write_changed(link, {"state": "error", "error_message": decision.error})
            return
        if result is None:
            return
        if decision.action == Action.DELETE:
            self._deleted_in_google(link, result)
            return
        if not result.ok:
            if decision.action == Action.PATCH and result.not_found and link:
                # The Google copy is gone (e.g. its calendar was deleted): forget
                # the link, keep the event; the next push inserts it again into
                # the current target calendar, with its deterministic id.
                link.unlink()
                return
            link = self._remember_attempt(link, event, decision, result)
            self._push_failed(link, result)
            return
        body = result.body or {}
        values = {
            "etag": result.etag or body.get("etag") or False,
            "fingerprint": decision.fingerprint or False,
            "google_updated": _parse_google_time(body.get("updated")),
            "odoo_synced_at": event.write_date,
            "odoo_revision": revision,
            "state": "synced",
            "error_message": False,
        }
        if kind == "series" and item.odoo is not None:
            # Where the rule Google got starts, whichever occurrence Odoo's base is.
            recurrence = event.recurrence_id
            if recurrence.google_dtstart != item.odoo.start:
                recurrence.google_dtstart = item.odoo.start
        if link:
            self._write_changed(link, values)
        else:
            self._link_pushed(item, decision, event, values, body)

    def _deleted_in_google(self, link, result):
        if not (result.succeeded or result.not_found):
            self._push_failed(link, result)
            return
        if not link.recurring_event_id:
            # Google cancels a deleted series' instances itself.
            self.Link.search(
                [
                    ("calendar_id", "=", link.calendar_id.id),
                    ("recurring_event_id", "=", link.google_event_id),
                ]
            ).unlink()
        link.unlink()

    def _link_pushed(self, item, decision, event, values, body):
        """The link of an event Google got for the first time (an instance of a
        series: its link as an instance)."""
        _event_id, _link_id, kind, series_id = item.key
        calendar = self._own_calendar(decision.calendar_id)
        if kind == "occurrence":
            self._drop_instance_links(calendar.id, event)
            values["recurring_event_id"] = series_id
        existing = self.Link.search(
            [("calendar_id", "=", calendar.id), ("google_event_id", "=", decision.google_id)]
        )
        if existing:
            self._write_changed(existing, dict(values, event_id=event.id))
            return
        self.Link.create(
            dict(
                values,
                event_id=event.id,
                user_id=self.user.id,
                calendar_id=calendar.id,
                google_event_id=decision.google_id,
                ical_uid=(kind != "occurrence" and body.get("iCalUID")) or False,
            )
        )

    def _own_calendar(self, google_id):
        return self.Calendar.search(
            [("user_id", "=", self.user.id), ("google_id", "=", google_id)], limit=1
        )

    def _remember_attempt(self, link, event, decision, result):
        """A write whose answer never came (lost, timed out, server error) may have
        landed. Its fingerprint tells a later pull that what Google then holds is
        our own write, not a newer edit of the user's (see the planner); an insert
        gets its link for that, without etag until Google confirms it."""
        if not isinstance(result.error, errors.TransientError | errors.RetryBudgetExhausted):
            return link
        if link:
            self._write_changed(link, {"attempted_fingerprint": decision.fingerprint})
        elif decision.action == Action.INSERT and event:
            calendar = self._own_calendar(decision.calendar_id)
            link = self.Link.create(
                {
                    "event_id": event.id,
                    "user_id": self.user.id,
                    "calendar_id": calendar.id,
                    "google_event_id": decision.google_id,
                    "attempted_fingerprint": decision.fingerprint,
                }
            )
        return link

    def _push_failed(self, link, result):
        reason = engine.push_failure_reason(result)
        if link:
            self._write_changed(link, {"state": "error", "error_message": reason[:200]})
        if result.retry_later:
            return
        _logger.info("Pushing an event to Google failed: %s", reason)


def _parse_google_time(value):
    if not value:
        return False
    try:
        return fields.Datetime.to_datetime(value.replace("T", " ")[:19])
    except ValueError:
        return False
