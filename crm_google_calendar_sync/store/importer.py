# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Incoming decisions applied to Odoo: new, changed and deleted single events,
conflicts, declines and attendances."""

from markupsafe import Markup, escape

from odoo import fields

from ..sync import mapping
from ..sync.planner import Action
from .binder import ALREADY_TIED


class Importer:
    """Part of OdooSyncStore: what the planner decided for Google's events."""

    def apply_incoming(self, calendar, google_event, decision, linked):
        link = linked.ref if linked.link is not None else self.Link
        event = self.Event.browse(linked.odoo.id) if linked.odoo is not None else self.Event
        action = decision.action
        if action == Action.SKIP:
            self._skipped_incoming(link, decision)
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
        else:
            event = self._apply_change(calendar, google_event, decision, event, is_series)
        if action == Action.CONFLICT:
            self._note_conflict(event, decision)
        if not link and linked.odoo is not None and linked.ref != ALREADY_TIED:
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

    def _skipped_incoming(self, link, decision):
        """What a skipped Google event leaves on its link."""
        if link and decision.error:
            self._write_changed(link, {"state": "error", "error_message": decision.error})
        elif link and decision.reason == "deleted_in_odoo" and decision.etag:
            # Changed in Google without touching what we map (e.g. a guest's
            # answer): the pending deletion must carry the new etag.
            self._write_changed(link, {"etag": decision.etag})

    def _apply_change(self, calendar, google_event, decision, event, is_series):
        """A new or changed event or series from Google; returns the event its
        link belongs to."""
        action = decision.action
        if action == Action.CREATE:
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
            self._pulled_attendees(event, decision)
        return event

    def _pulled_attendees(self, event, decision):
        """The attendee list of a meeting whose master this user holds, from Google
        (a series: on every occurrence)."""
        if decision.attendees is None or not event:
            return
        if event.recurrence_id:
            event = event.recurrence_id.calendar_event_ids.filtered("active")
        self.attendees.apply(event, decision.attendees)

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
        if decision.attendees is not None:
            values.update(self.attendees.create_values(decision.attendees))
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
        self._created_answers(entries, linked)
        return linked

    def _created_answers(self, entries, events):
        """The Google answers on the attendances of new meetings (Odoo's create
        leaves them all unanswered), for the whole page at once."""
        meetings = []
        for (_item, decision), event in zip(entries, events, strict=True):
            if decision.attendees:
                answers = self.attendees.resolve(decision.attendees)[0]
                meetings.append((event.recurrence_id.calendar_event_ids or event, answers))
        self.attendees.set_answers(meetings)

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
