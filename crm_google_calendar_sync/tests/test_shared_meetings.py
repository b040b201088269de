# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Many users, one meeting: every syncing attendee's Google copy tells the same truth,
only the organiser deletes, and nothing from one user's Google reaches a meeting that
is not already his. Three users, each with their own Google account in the emulator;
what they do in Google goes through their own API client, as a person (or a curious
colleague) would do it.
"""

import base64
import itertools
from datetime import datetime, timedelta

from odoo.tests import tagged

from .common import SyncCase
from .test_reliability import google_view, odoo_view


def google_time(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def timed(start, hours=1):
    return {
        "start": {"dateTime": google_time(start)},
        "end": {"dateTime": google_time(start + timedelta(hours=hours))},
    }


@tagged("post_install", "-at_install")
class TestSharedMeetings(SyncCase):
    _accounts = itertools.count(1)

    def setUp(self):
        super().setUp()
        # Fresh Google accounts for each test: the emulator keeps its calendars
        # for the whole class, Odoo's data goes back after each test.
        run = next(self._accounts)
        self.anna, self.anna_token = self.connect_user("gcal_share_anna", f"anna{run}@example.com")
        self.bob, self.bob_token = self.connect_user("gcal_share_bob", f"bob{run}@example.com")
        self.carol, self.carol_token = self.connect_user(
            "gcal_share_carol", f"carol{run}@example.com"
        )

    def gmail(self, user):
        """The user's Google address, also the id of his primary calendar."""
        return self.env["crm.google.token"].search([("user_id", "=", user.id)]).google_email

    def events(self, user):
        """The events resource of the user's own Google client."""
        return self.service(self.gmail(user)).events()

    @staticmethod
    def future(days, hour=9):
        base = datetime.utcnow().replace(hour=hour, minute=0, second=0, microsecond=0)
        return base + timedelta(days=days)

    def shared(self, name, start, *guests, **values):
        """A meeting Anna organises in Odoo, with ``guests`` as attendees."""
        partners = self.anna.partner_id
        for guest in guests:
            partners |= guest.partner_id
        return self.meeting(self.anna, name, start, partner_ids=[(6, 0, partners.ids)], **values)

    def link_of(self, user, event):
        return (
            self.env["crm.google.event.link"]
            .sudo()
            .search([("user_id", "=", user.id), ("event_id", "=", event.id)])
        )

    def copy_of(self, user, event):
        """The user's Google copy of ``event`` (the emulator's stored body)."""
        link = self.link_of(user, event)
        self.assertEqual(len(link), 1, f"{user.login} has one link to {event.name}")
        return self.emulator.get_event_raw(link.calendar_id.google_id, link.google_event_id)

    def attendance(self, user, event):
        return event.attendee_ids.filtered(lambda a: a.partner_id == user.partner_id)

    def assert_every_copy_is(self, event, users):
        expected = odoo_view(event)
        for user in users:
            copy = self.copy_of(user, event)
            self.assertEqual(copy["status"], "confirmed", user.login)
            self.assertEqual(google_view(copy), expected, f"{user.login}'s Google copy")

    def sync_idle(self, *tokens):
        for token in tokens:
            report = self.sync(token)
            self.assertFalse(
                report.pulled or report.pushed or report.conflicts, (token.user_id.login, report)
            )

    def chatter_notes(self, event):
        """The notes the sync posted (conflicts, declines), as one text."""
        notes = event.message_ids.filtered(lambda m: "Google" in (m.body or ""))
        return " ".join(notes.mapped("body"))

    def sync_all(self, *users):
        """One sync of each user, in this order."""
        for user in users:
            self.sync(self.env["crm.google.token"].search([("user_id", "=", user.id)]))

    def edit_copy(self, user, event, body):
        """``user`` edits his Google copy of ``event`` in Google."""
        self.events(user).patch(
            calendarId=self.gmail(user), eventId=self.copy_of(user, event)["id"], body=body
        ).execute()

    # ------------------------------------------------------------------
    # Trust boundary: ids and iCalUIDs from one user's Google
    # ------------------------------------------------------------------
    def test_forged_event_id_does_not_take_over_a_colleagues_meeting(self):
        victims = self.env["calendar.event"]
        for hour, name in ((8, "Vorstand"), (10, "Strategie"), (12, "Gehälter")):
            victims |= self.meeting(self.anna, name, self.future(3, hour=hour))
        board, strategy, salaries = victims
        before = {victim: odoo_view(victim) for victim in victims}
        shared = self.shared("Teamrunde", self.future(4), self.bob)
        self.sync(self.anna_token)
        self.sync(self.bob_token)
        bob_events, bob_calendar = self.events(self.bob), self.gmail(self.bob)
        # Bob learnt the id of Anna's copy (an invitation she forwarded shows it) and
        # puts an event with that id into his own calendar.
        board_id = self.copy_of(self.anna, board)["id"]
        bob_events.insert(
            calendarId=bob_calendar,
            body={"id": board_id, "summary": "Übernommen", **timed(self.future(5))},
        ).execute()
        # One with the iCalUID of another copy of Anna's, "organised" by Anna
        # (events.import lets anyone write both).
        bob_events.import_(
            calendarId=bob_calendar,
            body={
                "iCalUID": self.copy_of(self.anna, strategy)["iCalUID"],
                "organizer": {"email": self.gmail(self.anna)},
                "summary": "Übernommen per iCalUID",
                **timed(self.future(6)),
            },
        ).execute()
        # And one whose id he made from the id of his own copy of a meeting he
        # attends, with the Odoo id of a third meeting of Anna's in place of that one's.
        raw = base64.b32hexdecode(self.copy_of(self.bob, shared)["id"].upper() + "=")
        forged = raw[:-8] + salaries.id.to_bytes(8, "big")
        forged_id = base64.b32hexencode(forged).decode().rstrip("=").lower()
        bob_events.insert(
            calendarId=bob_calendar,
            body={"id": forged_id, "summary": "Übernommen per Muster", **timed(self.future(7))},
        ).execute()
        self.sync(self.bob_token)
        for victim in victims:
            self.assertEqual(odoo_view(victim), before[victim], "Anna's meeting is untouched")
            self.assertTrue(victim.active)
            self.assertFalse(self.link_of(self.bob, victim))
            self.assertNotIn(self.bob.partner_id, victim.partner_ids)
        # What Bob put into his calendar are meetings of his own.
        for name in ("Übernommen", "Übernommen per iCalUID", "Übernommen per Muster"):
            own = self.env["calendar.event"].search([("name", "=", name)])
            self.assertEqual(len(own), 1, name)
            self.assertEqual(own.partner_ids, self.bob.partner_id, name)
        # Deleting them in his Google deletes only them.
        for google_id in (board_id, forged_id):
            bob_events.delete(calendarId=bob_calendar, eventId=google_id).execute()
        self.sync(self.bob_token)
        for victim in victims:
            self.assertTrue(victim.active)
            self.assertEqual(self.attendance(self.anna, victim).state, "accepted")
        self.sync_idle(self.anna_token)
        for victim in victims:
            self.assertEqual(google_view(self.copy_of(self.anna, victim)), before[victim])

    def test_ical_uid_of_an_untied_colleague_does_not_merge(self):
        """The same iCalUID in two calendars (an outside invitation, or a copy a
        colleague made) does not join a meeting neither user's Odoo ties him to."""
        body = {"summary": "Extern", "iCalUID": "external-123@example.org"}
        body.update(timed(self.future(8)))
        self.emulator.add_event(*[self.gmail(self.anna)] * 2, dict(body))
        self.emulator.add_event(*[self.gmail(self.bob)] * 2, dict(body))
        self.sync(self.anna_token)
        self.sync(self.bob_token)
        external = self.env["calendar.event"].search([("name", "=", "Extern")])
        self.assertEqual(len(external), 2)
        annas = external.filtered(lambda e: self.anna.partner_id in e.partner_ids)
        self.assertEqual(annas.partner_ids, self.anna.partner_id)
        bob_copy = self.copy_of(self.bob, external - annas)
        self.events(self.bob).patch(
            calendarId=self.gmail(self.bob), eventId=bob_copy["id"], body={"summary": "Bobs Extern"}
        ).execute()
        self.sync(self.bob_token)
        self.assertEqual(annas.name, "Extern")
        # Carol, whom Bob invites in Odoo, gets the invitation too: it joins his.
        bobs = external - annas
        bobs.with_user(self.bob).write({"partner_ids": [(4, self.carol.partner_id.id)]})
        self.emulator.add_event(*[self.gmail(self.carol)] * 2, dict(body))
        self.sync(self.carol_token)
        self.assertEqual(self.env["calendar.event"].search_count([("name", "like", "Extern")]), 2)
        self.assertTrue(self.link_of(self.carol, bobs))
        self.assertNotIn(self.carol.partner_id, annas.partner_ids)

    def test_ical_uid_merge_makes_a_tied_user_attend(self):
        """Bob organises the meeting in Odoo without attending it; the invitation
        Google delivers to him (the iCalUID of Anna's copy) joins it, and he attends."""
        meeting = self.shared("Kundentermin", self.future(9), user_id=self.bob.id)
        self.assertNotIn(self.bob.partner_id, meeting.partner_ids)
        self.sync(self.anna_token)
        anna_copy = self.copy_of(self.anna, meeting)
        invitation = {
            "summary": "Kundentermin",
            "iCalUID": anna_copy["iCalUID"],
            "organizer": {"email": self.gmail(self.anna)},
            "start": anna_copy["start"],
            "end": anna_copy["end"],
        }
        self.emulator.add_event(*[self.gmail(self.bob)] * 2, invitation)
        self.sync(self.bob_token)
        Event = self.env["calendar.event"]
        self.assertEqual(Event.search_count([("name", "=", "Kundentermin")]), 1)
        self.assertIn(self.bob.partner_id, meeting.partner_ids)
        self.assertTrue(self.link_of(self.bob, meeting))
        names = [e.get("summary") for e in self.emulator.list_events_raw(self.gmail(self.bob))]
        self.assertEqual(names.count("Kundentermin"), 1, "no second copy for Bob")

    # ------------------------------------------------------------------
    # One meeting, one truth
    # ------------------------------------------------------------------
    def test_a_change_in_any_copy_reaches_every_copy(self):
        start = self.future(10)
        meeting = self.shared("Quartalsplanung", start, self.bob, self.carol)
        users = (self.anna, self.bob, self.carol)
        self.sync_all(self.anna, self.bob, self.carol)
        self.assert_every_copy_is(meeting, users)
        # Bob moves it in his own Google calendar: Odoo follows at his sync, and
        # each other copy at its user's next sync.
        self.edit_copy(self.bob, meeting, timed(start + timedelta(hours=2)))
        self.sync_all(self.bob, self.anna, self.carol)
        self.assertEqual(meeting.start, start + timedelta(hours=2))
        self.assert_every_copy_is(meeting, users)
        # Carol renames it in Odoo while Anna changes the place in her Google:
        # two edits of the same meeting, both kept.
        meeting.with_user(self.carol).write({"name": "Quartalsplanung Q3"})
        self.edit_copy(self.anna, meeting, {"location": "Raum 4"})
        self.sync_all(self.anna, self.bob, self.carol)
        self.assertEqual((meeting.name, meeting.location), ("Quartalsplanung Q3", "Raum 4"))
        self.assert_every_copy_is(meeting, users)
        self.assertFalse(self.chatter_notes(meeting), "a merge is no conflict")
        self.sync_idle(self.anna_token, self.bob_token, self.carol_token)

    def test_a_move_and_an_edit_in_a_stale_copy_are_merged(self):
        """Bob moves the meeting in his Google; before Anna's copy follows, she
        renames it in that stale copy. Her edit does not put the old time back."""
        start = self.future(11)
        meeting = self.shared("Abstimmung", start, self.bob, self.carol)
        self.sync_all(self.anna, self.bob, self.carol)
        self.edit_copy(self.bob, meeting, timed(start + timedelta(hours=3)))
        self.emulator.clock.advance(120)
        self.edit_copy(self.anna, meeting, {"summary": "Abstimmung Vertrieb"})
        self.sync_all(self.bob, self.anna, self.carol, self.bob)
        self.assertEqual(
            (meeting.name, meeting.start), ("Abstimmung Vertrieb", start + timedelta(hours=3))
        )
        self.assert_every_copy_is(meeting, (self.anna, self.bob, self.carol))
        self.assertFalse(self.chatter_notes(meeting))
        self.sync_idle(self.anna_token, self.bob_token, self.carol_token)

    def _rename_race(self, name, anna_renames_last):
        """Bob and Anna rename the meeting in their own copies, Bob syncs first;
        ``anna_renames_last``: hers is the newer change."""
        meeting = self.shared(name, self.future(12), self.bob, self.carol)
        self.sync_all(self.anna, self.bob, self.carol)
        first, second = (self.bob, self.anna) if anna_renames_last else (self.anna, self.bob)
        self.edit_copy(first, meeting, {"summary": f"{name} ({first.name})"})
        self.emulator.clock.advance(120)
        self.edit_copy(second, meeting, {"summary": f"{name} ({second.name})"})
        self.sync(self.bob_token)
        report = self.sync(self.anna_token)
        self.assertEqual(report.conflicts, 1, "Anna's stale copy is a conflict, not an update")
        self.sync_all(self.bob, self.carol)
        self.assert_every_copy_is(meeting, (self.anna, self.bob, self.carol))
        self.sync_idle(self.anna_token, self.bob_token, self.carol_token)
        self.assertEqual(meeting.name, f"{name} ({second.name})", "the newer change wins")
        self.assertIn(f"{name} ({first.name})", self.chatter_notes(meeting), "the loser is kept")

    def test_rename_race_newer_copy_wins(self):
        self._rename_race("Rückblick", anna_renames_last=True)

    def test_rename_race_newer_pulled_change_wins(self):
        """Bob's rename is newer, though Anna's sync meets it second: the time of the
        change in Google counts, not when a sync wrote it into Odoo."""
        self._rename_race("Vorschau", anna_renames_last=False)

    # ------------------------------------------------------------------
    # Who may delete
    # ------------------------------------------------------------------
    def test_attendee_deleting_his_copy_declines(self):
        meeting = self.shared("Messeplanung", self.future(12), self.bob, self.carol)
        # Only Bob and Carol sync at first: no link of the organiser yet.
        self.sync(self.bob_token)
        self.sync(self.carol_token)
        bob_copy = self.copy_of(self.bob, meeting)
        self.events(self.bob).delete(
            calendarId=self.gmail(self.bob), eventId=bob_copy["id"]
        ).execute()
        self.sync(self.bob_token)
        self.assertTrue(meeting.active, "an attendee's deletion does not delete the meeting")
        self.assertEqual(self.attendance(self.bob, meeting).state, "declined")
        self.assertNotEqual(self.attendance(self.carol, meeting).state, "declined")
        self.assertFalse(self.link_of(self.bob, meeting))
        # It is not pushed back to him, and the others keep it.
        self.sync_idle(self.bob_token)
        bob_google = self.emulator.get_event_raw(self.gmail(self.bob), bob_copy["id"])
        self.assertEqual(bob_google["status"], "cancelled")
        self.sync(self.anna_token)
        self.assert_every_copy_is(meeting, (self.anna, self.carol))
        # The organiser's deletion deletes it for everyone.
        anna_copy = self.copy_of(self.anna, meeting)
        self.events(self.anna).delete(
            calendarId=self.gmail(self.anna), eventId=anna_copy["id"]
        ).execute()
        self.sync(self.anna_token)
        self.assertFalse(meeting.active)
        carol_copy = self.copy_of(self.carol, meeting)
        self.sync(self.carol_token)
        carol_google = self.emulator.get_event_raw(self.gmail(self.carol), carol_copy["id"])
        self.assertEqual(carol_google["status"], "cancelled")

    def test_declined_attendee_restoring_his_copy_attends_again(self):
        meeting = self.shared("Werksbesuch", self.future(13), self.bob)
        self.sync(self.bob_token)
        bob_copy = self.copy_of(self.bob, meeting)
        events = self.events(self.bob)
        events.delete(calendarId=self.gmail(self.bob), eventId=bob_copy["id"]).execute()
        self.sync(self.bob_token)
        self.assertEqual(self.attendance(self.bob, meeting).state, "declined")
        # He takes it back out of Google's bin.
        events.patch(
            calendarId=self.gmail(self.bob), eventId=bob_copy["id"], body={"status": "confirmed"}
        ).execute()
        self.sync(self.bob_token)
        self.assertNotEqual(self.attendance(self.bob, meeting).state, "declined")
        self.assertTrue(self.link_of(self.bob, meeting))

    def test_leaving_a_meeting_in_odoo_removes_the_copy(self):
        meeting = self.shared("Projektstart", self.future(15), self.bob, self.carol)
        self.sync_all(self.anna, self.bob, self.carol)
        bob_copy, carol_copy = self.copy_of(self.bob, meeting), self.copy_of(self.carol, meeting)
        # Anna takes Bob off the meeting; Carol declines it in Odoo.
        meeting.with_user(self.anna).write({"partner_ids": [(3, self.bob.partner_id.id)]})
        self.attendance(self.carol, meeting).with_user(self.carol).do_decline()
        self.sync_all(self.bob, self.carol)
        for user, copy in ((self.bob, bob_copy), (self.carol, carol_copy)):
            google = self.emulator.get_event_raw(self.gmail(user), copy["id"])
            self.assertEqual(google["status"], "cancelled", user.login)
            self.assertFalse(self.link_of(user, meeting))
        self.assertTrue(meeting.active)
        # Later changes reach only Anna; Bob, invited again, gets his copy back.
        meeting.with_user(self.anna).write({"name": "Projektstart (neu)"})
        self.sync_all(self.anna, self.bob, self.carol)
        self.assert_every_copy_is(meeting, [self.anna])
        self.assertFalse(self.link_of(self.carol, meeting))
        meeting.with_user(self.anna).write({"partner_ids": [(4, self.bob.partner_id.id)]})
        self.sync(self.bob_token)
        self.assert_every_copy_is(meeting, [self.anna, self.bob])
        self.assertEqual(self.copy_of(self.bob, meeting)["id"], bob_copy["id"])
        self.sync_idle(self.anna_token, self.bob_token, self.carol_token)

    def test_attendee_deleting_an_occurrence_declines_it(self):
        start = self.future(14, hour=8)
        base = self.shared(
            "Daily",
            start,
            self.bob,
            recurrency=True,
            rrule_type="daily",
            interval=1,
            end_type="count",
            count=4,
        )
        occurrences = base.recurrence_id.calendar_event_ids.sorted("start")
        self.sync(self.anna_token)
        self.sync(self.bob_token)
        series_id = self.link_of(self.bob, base).google_event_id
        service = self.service(self.gmail(self.bob))
        instances = service.events().instances(calendarId=self.gmail(self.bob), eventId=series_id)
        second = instances.execute()["items"][1]
        service.events().delete(calendarId=self.gmail(self.bob), eventId=second["id"]).execute()
        self.sync(self.bob_token)
        self.assertTrue(occurrences[1].exists(), "Anna's occurrence is not deleted")
        self.assertTrue(occurrences[1].active)
        self.assertEqual(self.attendance(self.bob, occurrences[1]).state, "declined")
        self.assertNotEqual(self.attendance(self.anna, occurrences[1]).state, "declined")
        anna_series = self.link_of(self.anna, base).google_event_id
        anna_events, anna_calendar = self.events(self.anna), self.gmail(self.anna)
        anna_instances = anna_events.instances(
            calendarId=anna_calendar, eventId=anna_series
        ).execute()["items"]
        self.assertEqual(len(anna_instances), 4)
        # The organiser moves the third occurrence in her Google and deletes the
        # fourth: Odoo follows, and so does Bob's copy of the series.
        third = start + timedelta(days=2)
        anna_events.patch(
            calendarId=anna_calendar,
            eventId=anna_instances[2]["id"],
            body=timed(third + timedelta(hours=1)),
        ).execute()
        anna_events.delete(calendarId=anna_calendar, eventId=anna_instances[3]["id"]).execute()
        self.sync_all(self.anna, self.bob)
        self.assertFalse(occurrences[3].exists(), "the organiser's deletion deletes")
        self.assertEqual(occurrences[2].start, third + timedelta(hours=1))
        bob_instances = (
            service.events()
            .instances(calendarId=self.gmail(self.bob), eventId=series_id)
            .execute()["items"]
        )
        self.assertEqual(
            [google_view(i)[2] for i in bob_instances],
            [start, third + timedelta(hours=1)],
            "Bob's series: his declined occurrence and Anna's deletion gone, her move made",
        )
        self.sync_idle(self.anna_token, self.bob_token)
