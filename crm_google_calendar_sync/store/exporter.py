# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Odoo's changes to send to Google, and the results of the push."""

import dataclasses
import logging

from odoo import fields
from odoo.tools import SQL

from ..sync import errors, google_client, ids, port
from ..sync.planner import Action
from .binder import _link_state

_logger = logging.getLogger(__name__)


class Exporter:
    """Part of OdooSyncStore: outgoing items and push results."""

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
        -- (an instance he is invited to alone, without its series: his answer)
        SELECT ev.id, il.id, 'occurrence', NULL
          FROM ev
          JOIN own il
            ON il.event_id = ev.id AND il.guest_copy AND il.recurring_event_id IS NOT NULL
         WHERE ev.active AND ev.recurrence_id IS NOT NULL AND ev.stop >= %(window_start)s
           AND ev.rev > COALESCE(il.odoo_revision, 0)
           AND NOT EXISTS (SELECT 1 FROM own sl
                            WHERE sl.event_id = ev.base_event_id
                              AND sl.recurring_event_id IS NULL)
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
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                self.OUTGOING_SQL,
                uid=self.user.id,
                partner=self.partner.id,
                window_start=self.scope.window_start,
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
                port.OutgoingItem(
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
                or ids.odoo_id_from_google_id(self.event_id_key, link.google_event_id) != event_id
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
        if decision.action in (Action.NOOP, Action.SKIP):
            self._record_unsent(link, event, decision, revision)
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
        answered = self.extras.meet_answered(event, item.odoo, body, decision.fingerprint)
        if answered:
            values["fingerprint"] = answered
        if kind == "series" and item.odoo is not None:
            # Where the rule Google got starts, whichever occurrence Odoo's base is.
            recurrence = event.recurrence_id
            if recurrence.google_dtstart != item.odoo.start:
                recurrence.google_dtstart = item.odoo.start
        if link:
            self._write_changed(link, values)
        else:
            self._link_pushed(item, decision, event, values, body)

    def _record_unsent(self, link, event, decision, revision):
        """A change that needed no call to Google (NOOP) or could not be sent (SKIP)."""
        if decision.action == Action.NOOP:
            if link and event and decision.fingerprint:
                # Changed in Odoo but not in a mapped field: remember that.
                self._write_changed(
                    link, {"odoo_synced_at": event.write_date, "odoo_revision": revision}
                )
        elif link and decision.error:
            self._write_changed(link, {"state": "error", "error_message": decision.error})

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
        reason = google_client.push_failure_reason(result)
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
