# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Each attendee's own copy of a meeting organised outside Odoo (R4, R6 of
docs/attendees.md).

A customer's invitation reaches every colleague's primary calendar under one id;
the first colleague's pull imports the meeting (without an Odoo organiser,
read-only), the others' syncs find it by its iCalUID and link their own copies.
The meeting's shared fields are the customer's and come in as for any read-only
event; through each copy travels his own answer, both ways: Google → Odoo his
``self`` entry's ``responseStatus``, Odoo → Google a patch of his entry alone
(as for the invitations of R2). The link remembers the answer both sides last had
(``google_answer``), so that neither side's change is undone by the other's
unchanged one. Deleting his copy declines him; the link stays, so that accepting
again in Odoo brings the copy back.

Only links the user already holds carry answers: nothing here links an event.
"""

import dataclasses

from ..sync import attendees as attendees_mod
from ..sync.planner import Action, answer_fingerprint

# The answer of a guest who deleted his copy (Google declines him).
DECLINED = "declined"


class OutsideCopies:
    """Part of OdooSyncStore: answers through the copies of outside meetings."""

    def _outside_links(self, calendar, google_ids):
        """``{google id: link}`` of the user's read-only links in his primary
        calendar ``calendar`` (a CalendarState) to meetings without an Odoo
        organiser."""
        if not google_ids or not self._is_primary(calendar):
            return {}
        links = self.Link.search(
            [
                ("calendar_id", "=", calendar.key),
                ("google_event_id", "in", list(google_ids)),
                ("recurring_event_id", "=", False),
                ("guest_copy", "=", False),
                ("readonly", "=", True),
                ("event_id.user_id", "=", False),
            ]
        )
        return {link.google_event_id: link for link in links}

    def _answers_only(self, link):
        """Does only his answer travel through ``link`` (his copy of an outside
        meeting)?"""
        return bool(
            link.readonly
            and not link.guest_copy
            and not link.recurring_event_id
            and link.event_id
            and not link.event_id.user_id
            and self._is_primary(link.calendar_id)
        )

    # ------------------------------------------------------------------
    # Pull
    # ------------------------------------------------------------------
    def _note_pulled_answers(self, calendar, google_events):
        """Remember a page's events: their answers are taken at the checkpoint,
        once the page's meetings and links exist (one query per page)."""
        if self._is_primary(calendar):
            self._pulled_answers.append((calendar, list(google_events)))

    def _take_pulled_answers(self):
        pending, self._pulled_answers = self._pulled_answers, []
        by_calendar = {}
        for calendar, google_events in pending:
            by_calendar.setdefault(calendar.key, (calendar, []))[1].extend(google_events)
        for calendar, google_events in by_calendar.values():
            self._pull_own_answers(calendar, google_events)

    def _pull_own_answers(self, calendar, google_events):
        """His answers in his copies of outside meetings become his attendances,
        where Google's answer changed since the last sync."""
        answers = {
            item["id"]: attendees_mod.own_answer(item)
            for item in google_events
            if item.get("status") != "cancelled"
            and not (item.get("organizer") or {}).get("self")
            and not item.get("recurringEventId")
        }
        answers = {google_id: answer for google_id, answer in answers.items() if answer}
        for google_id, link in self._outside_links(calendar, answers).items():
            answer = answers[google_id]
            attendance = link.event_id.attendee_ids.filtered(lambda a: a.partner_id == self.partner)
            if answer == link.google_answer:
                if attendance and attendance[0].state != answer:
                    # Answered in Odoo since (the pull took the link's revision
                    # along with the meeting's change): still to be sent.
                    link.odoo_revision = 0
                continue
            attendance.filtered(lambda a, answer=answer: a.state != answer).write({"state": answer})
            link.google_answer = answer

    def _outside_declined(self, calendar, google_event, linked):
        """His copy of an outside meeting cancelled: he declined (the meeting
        stays for the others). Returns whether it was such a copy; its link
        stays, so that accepting again in Odoo brings the copy back."""
        if google_event.get("status") != "cancelled" or not (linked.link and linked.link.readonly):
            return False
        link = self._outside_links(calendar, [google_event["id"]]).get(google_event["id"])
        if not link or not (link.event_id.partner_ids - self.partner):
            return False  # (a meeting of his alone: deleting it deletes it)
        self._decline(link.event_id)
        self._write_changed(
            link, {"google_answer": DECLINED, "etag": google_event.get("etag") or False}
        )
        return True

    def _pulled_attendees(self, event, decision):
        """The list of an outside meeting from his copy: the answers of colleagues
        who hold copies of their own come through theirs (a colleague's answer
        given in Odoo and not yet sent stays)."""
        if decision.attendees is None or not event or event.user_id or event.recurrence_id:
            return super()._pulled_attendees(event, decision)
        holders = self.Link.search(
            [
                ("event_id", "=", event.id),
                ("user_id", "!=", self.user.id),
                ("google_answer", "!=", False),
            ]
        ).user_id.partner_id
        self.attendees.apply(event, decision.attendees, own_answers=set(holders.ids))
        return None

    # ------------------------------------------------------------------
    # Push
    # ------------------------------------------------------------------
    def _declined_outside_rows(self, rows, links):
        """Rows of outside meetings he declined in Odoo and not yet in Google
        (``left``: he still attends them) become answers to send; the others
        are returned as they are."""
        result = []
        for row in rows:
            link = links.browse(row[1]) if row[1] else links.browse()
            if (
                row[2] == "left"
                and self._answers_only(link)
                and self.partner in link.event_id.partner_ids
            ):
                if link.google_answer != DECLINED:
                    result.append((row[0], row[1], "event", None))
                continue  # (kept: not released)
            result.append(row)
        return result

    def _with_outside_answers(self, items):
        """Outgoing items of outside copies carry only his answer: planned as an
        invitation's (``plan_answer``) against the answer last synced."""
        return [self._answer_item(item) for item in items]

    def _answer_item(self, item):
        link = self.Link.browse(item.key[1]) if item.key[1] else self.Link
        if item.key[2] != "event" or not link or not self._answers_only(link):
            return item
        self._answer_keys.add(item.key)
        last = answer_fingerprint(link.google_answer) if link.google_answer else None
        return dataclasses.replace(
            item, link=dataclasses.replace(item.link, guest=True, fingerprint=last)
        )

    def _outside_answer_pushed(self, item, decision, result):
        """After the push of his answer the link remembers it; its fingerprint
        stays the meeting's. Returns whether this was such a push."""
        if item.key not in self._answer_keys or decision.action != Action.PATCH:
            return False
        if result is None or not result.ok:
            return False
        link = self.Link.browse(item.key[1]).exists()
        if link:
            body = result.body or {}
            self._write_changed(
                link,
                {
                    "google_answer": decision.body["attendees"][0]["responseStatus"],
                    "etag": result.etag or body.get("etag") or link.etag,
                    "odoo_revision": self.revisions.get(item.key[0], 0),
                    "state": "synced",
                    "error_message": False,
                },
            )
        return True
