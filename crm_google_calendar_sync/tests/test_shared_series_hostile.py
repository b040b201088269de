# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A hostile colleague and recurring meetings: Bob attends Anna's weekly "Board" but
not her weekly "Secret". He knows the Google ids of Anna's copies (she shared her
calendar with him, or forwarded an invitation) and puts events into his own Google
calendar that carry them: her series and instance ids, ``recurringEventId`` and
``originalStartTime`` of her instances, cancelled instances, her iCalUIDs, Odoo's
extended properties. None of it may change, cancel or attach to Anna's meetings,
except Bob's own attendance of the meeting he attends."""

from datetime import timedelta

from odoo.tests import tagged

from .recurring_common import timed
from .shared_series_common import PREFIX, SharedSeriesCase
from .test_reliability import odoo_view


@tagged("post_install", "-at_install")
class TestSharedSeriesHostile(SharedSeriesCase):
    def setUp(self):
        super().setUp()
        self.board = self.weekly("Board", self.bob, self.carol, count=5)
        self.secret = self.weekly("Secret", self.carol, count=5, hour=11)
        self.sync_all(self.anna, self.bob, self.carol)
        self.before = self.state()

    def state(self):
        """Everything of Anna's two series that Bob must not reach: each occurrence
        as the mapping sees it, who attends it how, and every user's links."""
        events = (
            (self.board | self.secret)
            .recurrence_id.with_context(active_test=False)
            .calendar_event_ids
        )
        return {
            event.id: (
                event.active,
                odoo_view(event),
                sorted((a.partner_id.id, a.state) for a in event.attendee_ids),
                sorted(
                    (link.user_id.id, link.google_event_id, link.recurring_event_id or "")
                    for link in self.links_of(self.anna | self.carol, event)
                ),
            )
            for event in events.sorted("id")
        }

    def assert_untouched(self, but_bob_declines=()):
        """Anna's series are as before, but for Bob's own answers to ``but_bob_declines``."""
        after = self.state()
        for event_id, (active, view, before, links) in self.before.items():
            attendees = before
            if event_id in but_bob_declines:
                attendees = sorted(
                    (partner, "declined" if partner == self.bob.partner_id.id else state)
                    for partner, state in before
                )
            self.assertEqual(after[event_id], (active, view, attendees, links), event_id)
        for user in (self.anna, self.carol):
            self.sync(self.token_of(user))
        self.assertEqual(self.state(), after, "the next syncs of Anna and Carol change nothing")
        self.assert_one_truth(self.anna, self.bob, self.carol, prefix=PREFIX + "Board")
        self.assert_one_truth(self.anna, self.carol, prefix=PREFIX + "Secret")

    def bob_insert(self, body, **params):
        return (
            self.events(self.bob)
            .insert(calendarId=self.gmail(self.bob), body=body, **params)
            .execute()
        )

    def own_meetings_of_bob(self, name):
        events = self.env["calendar.event"].search([("name", "=", name)])
        for event in events:
            self.assertEqual(event.partner_ids, self.bob.partner_id, name)
            self.assertNotIn(event.recurrence_id, (self.board | self.secret).recurrence_id)
        return events

    # ------------------------------------------------------------------
    def test_copies_share_no_id(self):
        """Each attendee's copy has ids of its own: Bob sees none of Anna's."""
        anna, bob = self.g_master(self.anna, self.board), self.g_master(self.bob, self.board)
        self.assertNotEqual(anna["id"], bob["id"])
        self.assertNotEqual(anna["iCalUID"], bob["iCalUID"])
        anna_ids = {i["id"] for i in self.g_instances(self.anna, self.board)}
        bob_ids = {i["id"] for i in self.g_instances(self.bob, self.board)}
        self.assertFalse(anna_ids & bob_ids)

    def test_anna_ids_in_bobs_calendar(self):
        """Her series ids as his event ids, her instances named in recurringEventId
        and originalStartTime (confirmed and cancelled), her ids in extended
        properties."""
        secret, board = self.g_master(self.anna, self.secret), self.g_master(self.anna, self.board)
        instances = self.g_instances(self.anna, self.secret)
        board_instances = self.g_instances(self.anna, self.board)
        day = self.monday + timedelta(days=1)
        self.bob_insert({"id": secret["id"], "summary": PREFIX + "Bob 1", **timed(day)})
        self.bob_insert({"id": board["id"], "summary": PREFIX + "Bob 2", **timed(day, hour=12)})
        for index, (target, instance) in enumerate(
            [(secret, instances[1]), (board, board_instances[2])]
        ):
            for status in ("confirmed", "cancelled"):
                self.bob_insert(
                    {
                        "summary": PREFIX + f"Bob {index}{status}",
                        "status": status,
                        "recurringEventId": target["id"],
                        "originalStartTime": instance["originalStartTime"],
                        **timed(day + timedelta(days=1), hour=8 + index),
                    }
                )
        self.bob_insert(
            {
                "summary": PREFIX + "Bob 5",
                "extendedProperties": {
                    "shared": {
                        f"{self.env.cr.dbname}_odoo_id": str(self.secret.id),
                        f"{self.env.cr.dbname}_owner_id": str(self.anna.id),
                    },
                    "private": {"odoo_id": str(self.board.id)},
                },
                **timed(day, hour=15),
            }
        )
        self.sync(self.bob_token)
        self.assert_untouched()
        self.assertEqual(len(self.own_meetings_of_bob(PREFIX + "Bob 1")), 1)
        self.assertEqual(len(self.own_meetings_of_bob(PREFIX + "Bob 5")), 1)

    def test_cancelled_instances_with_anna_ids(self):
        """Cancelled instances with her instance ids, in Bob's calendar: as Google
        would deliver them had he a copy of her series with her ids (stored with
        the emulator's seeding API: Google's API makes them only for a series of
        his own)."""
        for base in (self.secret, self.board):
            for instance in self.g_instances(self.anna, base)[:2]:
                self.emulator.add_event_unvalidated(
                    self.gmail(self.bob),
                    self.gmail(self.bob),
                    {
                        "id": instance["id"],
                        "status": "cancelled",
                        "recurringEventId": instance["recurringEventId"],
                        "originalStartTime": instance["originalStartTime"],
                        "start": instance["start"],
                        "end": instance["end"],
                    },
                )
        self.sync(self.bob_token)
        self.assert_untouched()

    def test_series_with_the_ical_uid_of_annas_series(self):
        """events.import of a series with her series' iCalUID and her as organiser:
        a series of Bob's own, whichever of her series it names."""
        for index, base in enumerate((self.secret, self.board)):
            master = self.g_master(self.anna, base)
            self.events(self.bob).import_(
                calendarId=self.gmail(self.bob),
                body={
                    "iCalUID": master["iCalUID"],
                    "organizer": {"email": self.gmail(self.anna)},
                    "summary": PREFIX + f"Bob import {index}",
                    "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"],
                    **timed(self.monday + timedelta(days=1), hour=7 + index),
                },
            ).execute()
        self.sync(self.bob_token)
        self.assert_untouched()
        for index in range(2):
            own = self.own_meetings_of_bob(PREFIX + f"Bob import {index}")
            self.assertEqual(len(own), 3)

    def test_his_own_copy_is_only_his_answer(self):
        """What Bob does to his own copy of the Board stays his own answer when it
        deletes: a cancelled instance and his deleted series decline."""
        bob_instances = self.g_instances(self.bob, self.board)
        self.events(self.bob).delete(
            calendarId=self.gmail(self.bob), eventId=bob_instances[1]["id"]
        ).execute()
        self.sync(self.bob_token)
        second = self.occurrences(self.board)[1]
        self.assert_untouched(but_bob_declines={second.id})
        self.events(self.bob).delete(
            calendarId=self.gmail(self.bob),
            eventId=self.series_link(self.bob, self.board).google_event_id,
        ).execute()
        self.sync(self.bob_token)
        self.assert_untouched(but_bob_declines=set(self.occurrences(self.board).ids))

    def test_an_occurrence_bob_was_taken_off(self):
        """Anna takes Bob off the third Board meeting: his copy loses it, and what he
        does with the instance in his Google no longer reaches it."""
        third = self.occurrences(self.board)[2]
        third.with_user(self.anna).write({"partner_ids": [(3, self.bob.partner_id.id)]})
        self.sync_all(self.anna, self.bob, self.carol)
        self.assertEqual(len(self.g_instances(self.bob, self.board)), 4)
        self.before = self.state()
        self.assert_untouched()
        # He recreates it from his own copy's instance id (cancelled now) and edits it.
        link = self.series_link(self.bob, self.board)
        instance_id = f"{link.google_event_id}_{third.start:%Y%m%dT%H%M%S}Z"
        self.events(self.bob).patch(
            calendarId=self.gmail(self.bob),
            eventId=instance_id,
            body={"status": "confirmed", "summary": PREFIX + "Board (Bob)"},
        ).execute()
        self.sync(self.bob_token)
        self.assertEqual(third.name, PREFIX + "Board")
        self.assertNotIn(self.bob.partner_id, third.partner_ids)

    def bob_second_calendar(self):
        """A second Google calendar of Bob's, synchronised into Odoo too."""
        calendar_id = self.emulator.add_calendar(self.gmail(self.bob), summary="Privat")
        self.bob_token.calendar_list_checked = False
        self.sync(self.bob_token)
        calendars = self.env["crm.google.calendar"].search([("user_id", "=", self.bob.id)])
        self.bob.with_user(self.bob).write(
            {"google_sync_source_calendar_ids": [(6, 0, calendars.ids)]}
        )
        return calendar_id

    def test_single_events_with_the_ical_uid_of_a_series_he_attends(self):
        """Bob attends the Board: a single event in his second calendar with the
        iCalUID of a copy of it is a meeting of his own, not the series (which a
        single event would end for everybody)."""
        calendar_id = self.bob_second_calendar()
        for index, user in enumerate((self.anna, self.bob)):
            master = self.g_master(user, self.board)
            self.events(self.bob).import_(
                calendarId=calendar_id,
                body={
                    "iCalUID": master["iCalUID"],
                    "organizer": {"email": self.gmail(user)},
                    "summary": PREFIX + f"Bobs single {index}",
                    **timed(self.monday + timedelta(days=2), hour=7 + index),
                },
            ).execute()
        self.emulator.clock.advance(60)
        self.sync(self.bob_token)
        self.assert_untouched()
        self.assertEqual(len(self.occurrences(self.board)), 5)
        for index in range(2):
            self.assertEqual(len(self.own_meetings_of_bob(PREFIX + f"Bobs single {index}")), 1)
