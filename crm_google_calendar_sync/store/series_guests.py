# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Guests' invitations to recurring meetings (R1, R2, R6 of docs/attendees.md for
series).

The organiser's Google series carries the attendee list; Google puts the series
into every attendee's primary calendar with the master's id and the same instance
ids. A guest's sync links that series (``store/guest_copies.py`` finds it like a
single invitation) and carries only his answers through it: the whole series' answer
on the master, an occurrence's answer on its instance (``attendeesOmitted``, his entry
alone). Nothing else of his copy or of its instances reaches Odoo, and he never
pushes a series or an instance of his own for a meeting whose master exists.

Answers of a series: the master carries, per attendee, the answer most of the
series' occurrences have (``sync.series.series_answers``); an occurrence answered
otherwise goes as its instance.
"""

import dataclasses

from ..sync import attendees as attendees_mod
from ..sync import port, recurrence
from ..sync.planner import Action, answer_fingerprint
from .guest_copies import GuestInvitation


class GuestInstance:
    """``Linked.ref`` of an instance of a series the user holds an invitation to."""

    def __init__(self, occurrence, link):
        self.occurrence = occurrence  # the Odoo occurrence (may be empty)
        self.link = link  # his link to the instance, if any


class SeriesGuests:
    """Part of OdooSyncStore: series invitations (before GuestCopies in the MRO)."""

    # ------------------------------------------------------------------
    # Pull
    # ------------------------------------------------------------------
    def _apply_invitation(self, calendar, item, linked):
        """His answer to the whole series is his answer on each occurrence; the
        links of its instances go with the series'."""
        before = linked.ref.fingerprint if linked.link is not None else None
        if item.get("status") == "cancelled" and linked.link is not None:
            self._drop_guest_instance_links(calendar.key, item["id"])
        changed = super()._apply_invitation(calendar, item, linked)
        answer = attendees_mod.own_answer(item)
        if item.get("status") == "cancelled" or not answer or answer_fingerprint(answer) == before:
            return changed
        event = self.Event.browse(linked.odoo.id)
        if not event.recurrence_id:
            return changed
        attendance = event.recurrence_id.calendar_event_ids.filtered("active").attendee_ids
        attendance = attendance.filtered(
            lambda a: a.partner_id == self.partner and a.state != answer
        )
        attendance.write({"state": answer})
        return changed or bool(attendance)

    def _series_invitation_instances(self, calendar, google_events, result):
        """Instances of his series invitations get a ``GuestInstance`` ref: only his
        answer comes through them (an instance without occurrence stands for the
        series' base, so that it is never imported on its own)."""
        instances = [item for item in google_events if item.get("recurringEventId")]
        if not instances or not self._is_primary(calendar):
            return  # (invitations are in his primary calendar only)
        series_links = self.Link.search(
            [
                ("calendar_id", "=", calendar.key),
                ("google_event_id", "in", list({i["recurringEventId"] for i in instances})),
                ("recurring_event_id", "=", False),
                ("guest_copy", "=", True),
                ("event_id", "!=", False),
            ]
        )
        if not series_links:
            return
        by_id = {link.google_event_id: link for link in series_links}
        bases = self._snapshots(series_links.event_id)
        for item in instances:
            series_link = by_id.get(item["recurringEventId"])
            if not series_link:
                continue
            linked = result.get(item["id"])
            own = linked.ref if linked is not None and linked.link is not None else self.Link
            if linked is not None and linked.odoo is not None:
                occurrence = self.Event.browse(linked.odoo.id)
                odoo, state = linked.odoo, linked.link
            else:
                occurrence = self.Event
                odoo, state = bases.get(series_link.event_id.id), None
            if odoo is not None:
                result[item["id"]] = port.Linked(state, odoo, GuestInstance(occurrence, own))

    def _without_forged_invitations(self, google_events, result):
        """An event found (by id or iCalUID) for a meeting another user's sync holds
        the master of, under another organiser than the master's calendar: not
        Google's invitation but a colleague's event claiming to be it. It is not
        linked to the meeting (it stays his own event)."""
        found = {
            item["id"]: (item, result[item["id"]])
            for item in google_events
            if item["id"] in result
            and result[item["id"]].link is None
            and result[item["id"]].odoo is not None
            and not isinstance(result[item["id"]].ref, GuestInvitation)
            and not item.get("recurringEventId")
            and not (item.get("organizer") or {}).get("self")
        }
        if not found:
            return
        masters = self.Link.search(
            [
                ("event_id", "in", [linked.odoo.id for _item, linked in found.values()]),
                ("user_id", "!=", self.user.id),
                ("recurring_event_id", "=", False),
                ("guest_copy", "=", False),
                ("readonly", "=", False),
            ]
        ).filtered(lambda link: link.event_id.user_id == link.user_id)
        calendars = {link.event_id.id: link.calendar_id.google_id.casefold() for link in masters}
        for google_id, (item, linked) in found.items():
            organizer = ((item.get("organizer") or {}).get("email") or "").casefold()
            if calendars.get(linked.odoo.id, organizer) != organizer:
                del result[google_id]

    def _apply_guest_instance(self, item, linked):
        """His answer to one occurrence, from his instance. A cancelled instance
        is the organiser's cancellation, his removal or his decline: the master
        tells which (R6). Returns whether Odoo changed."""
        ref = linked.ref
        answer = attendees_mod.own_answer(item)
        if item.get("status") == "cancelled":
            ref.link.unlink()
            return False
        if not answer or not ref.occurrence:
            return False
        attendance = ref.occurrence.attendee_ids.filtered(
            lambda a: a.partner_id == self.partner and a.state != answer
        )
        attendance.write({"state": answer})
        if ref.link:
            self._write_changed(
                ref.link,
                {
                    "etag": item.get("etag") or False,
                    "fingerprint": answer_fingerprint(answer),
                    "odoo_revision": max(
                        self.revisions.get(ref.occurrence.id, 0),
                        ref.occurrence.google_sync_revision,
                    ),
                },
            )
        return bool(attendance)

    # ------------------------------------------------------------------
    # Push
    # ------------------------------------------------------------------
    def _series_guest_items(self, items):
        """Occurrences of a series he is invited to go as his answer on their
        instance (never as a changed instance of his own). An instance he never
        answered on its own has the series' answer (as the master shows it after
        this push)."""
        guest = [
            item
            for item in items
            if item.key[2] == "occurrence" and item.series_link and item.series_link.guest
        ]
        if not guest:
            return items
        series_answer = self._guest_series_answers({item.key[3] for item in guest})
        guest = {id(item) for item in guest}
        result = []
        for item in items:
            series_link = item.series_link
            if id(item) not in guest:
                result.append(item)
                continue
            odoo = item.odoo
            original = odoo.original_start or odoo.start
            google_id = recurrence.instance_id(series_link.google_id, original, odoo.allday)
            link = item.link or port.LinkState(
                google_id, series_link.calendar_id, fingerprint=series_answer.get(item.key[3])
            )
            result.append(dataclasses.replace(item, link=dataclasses.replace(link, guest=True)))
        return result

    def _guest_series_answers(self, series_ids):
        """``{series google id: fingerprint}`` of his answer to each of these series
        he is invited to, as its master carries it (the most common one)."""
        links = self.Link.search(
            [
                ("user_id", "=", self.user.id),
                ("google_event_id", "in", list(series_ids)),
                ("recurring_event_id", "=", False),
                ("guest_copy", "=", True),
                ("event_id", "!=", False),
            ]
        )
        masters = self._series_snapshots(links.event_id)
        answers = {}
        for link in links:
            own = getattr(masters.get(link.event_id.id), "own_attendee", None)
            if own and own[1]:
                answers[link.google_event_id] = answer_fingerprint(own[1])
        return answers

    def apply_outgoing(self, item, decision, result):
        """His answer on an instance: its link remembers it. When nothing had to be
        sent, a link without fingerprint settles the occurrence (it is not looked
        at again until it changes; the master may change its answer meanwhile)."""
        if not self._guest_occurrence(item):
            return super().apply_outgoing(item, decision, result)
        event_id, link_id, _kind, series_id = item.key
        if decision.action == Action.NOOP and not link_id and decision.fingerprint:
            calendar = self._own_calendar(decision.calendar_id)
            self._drop_instance_links(calendar.id, self.Event.browse(event_id))
            self.Link.create(
                {
                    "event_id": event_id,
                    "user_id": self.user.id,
                    "calendar_id": calendar.id,
                    "google_event_id": decision.google_id,
                    "recurring_event_id": series_id,
                    "guest_copy": True,
                    "odoo_revision": self.revisions.get(event_id, 0),
                }
            )
            return None
        super().apply_outgoing(item, decision, result)
        link = self.Link.search(
            [("user_id", "=", self.user.id), ("google_event_id", "=", decision.google_id)]
        ).filtered(lambda link: not link.guest_copy)
        link.write({"guest_copy": True})
        return None

    @staticmethod
    def _guest_occurrence(item):
        return item.key[2] == "occurrence" and item.link is not None and item.link.guest

    def _drop_guest_instance_links(self, calendar_id, series_id):
        self.Link.search(
            [
                ("calendar_id", "=", calendar_id),
                ("user_id", "=", self.user.id),
                ("recurring_event_id", "=", series_id),
            ]
        ).unlink()
