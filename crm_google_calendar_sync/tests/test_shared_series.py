# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Many users, one recurring meeting: Anna organises a weekly series with Bob and
Carol, all three sync it, and then each edits it the ways Odoo's and Google's
calendars allow. After each story: every attendee's Google shows exactly what he
attends in Odoo (one meeting, one truth), nothing is duplicated or reverted
silently, and only the organiser's deletion deletes."""

from datetime import timedelta

from odoo.tests import tagged

from .recurring_common import timed, utc
from .shared_series_common import PREFIX, SharedSeriesCase


@tagged("post_install", "-at_install")
class TestSharedSeries(SharedSeriesCase):
    def setUp(self):
        super().setUp()
        self.users = (self.anna, self.bob, self.carol)

    def shared_weekly(self, name, count=6):
        base = self.weekly(name, self.bob, self.carol, count=count)
        self.sync_all(*self.users)
        self.assertEqual(len(self.occurrences(base)), count)
        self.assert_one_truth(*self.users)
        return base

    # ------------------------------------------------------------------
    # Attendees edit their own Google copy
    # ------------------------------------------------------------------
    def test_bob_moves_one_occurrence_in_google(self):
        base = self.shared_weekly("Vertrieb")
        third = self.occurrences(base)[2]
        instance = self.g_instances(self.bob, base)[2]
        self.events(self.bob).patch(
            calendarId=self.gmail(self.bob),
            eventId=instance["id"],
            body=timed(self.monday + timedelta(weeks=2), hour=11),
        ).execute()
        self.sync_all(self.bob, self.anna, self.carol)
        self.assertEqual(third.start, utc(self.monday + timedelta(weeks=2), 11))
        self.assertEqual(len(self.occurrences(base)), 6)
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)

    def test_bob_renames_the_whole_series_in_google(self):
        base = self.shared_weekly("Jour fixe")
        self.events(self.bob).patch(
            calendarId=self.gmail(self.bob),
            eventId=self.series_link(self.bob, base).google_event_id,
            body={"summary": PREFIX + "Jour fixe (Bob)"},
        ).execute()
        self.sync_all(self.bob, self.anna, self.carol)
        self.assertEqual(self.names(base), [PREFIX + "Jour fixe (Bob)"] * 6)
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)

    def _rename_all_while_bob_edits_one(self, bob_syncs_first):
        base = self.shared_weekly("Planung")
        self.emulator.clock.advance(60)
        # Anna renames the series in Odoo ("all events") ...
        base.with_user(self.anna).write(
            {"name": PREFIX + "Planung Q3", "recurrence_update": "all_events"}
        )
        self.emulator.clock.advance(60)
        # ... while Bob moves the fourth occurrence in his Google, later.
        instance = self.g_instances(self.bob, base)[3]
        self.events(self.bob).patch(
            calendarId=self.gmail(self.bob),
            eventId=instance["id"],
            body=timed(self.monday + timedelta(weeks=3), hour=14),
        ).execute()
        order = (self.bob, self.anna) if bob_syncs_first else (self.anna, self.bob)
        self.sync_all(*order, self.carol, *order)
        fourth = self.occurrences(base)[3]
        self.assertEqual(fourth.start, utc(self.monday + timedelta(weeks=3), 14))
        self.assertEqual(
            self.names(base), [PREFIX + "Planung Q3"] * 6, "Bob's move keeps Anna's new title"
        )
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)

    def test_rename_all_in_odoo_while_bob_moves_one_in_google_bob_syncs_first(self):
        self._rename_all_while_bob_edits_one(bob_syncs_first=True)

    def test_rename_all_in_odoo_while_bob_moves_one_in_google_anna_syncs_first(self):
        self._rename_all_while_bob_edits_one(bob_syncs_first=False)

    def test_rename_all_in_odoo_and_rename_one_in_google(self):
        """Anna renames the series in Odoo, Bob renames one occurrence in his Google
        later: his occurrence keeps his newer title, the rest take Anna's."""
        base = self.shared_weekly("Kunden")
        self.emulator.clock.advance(60)
        base.with_user(self.anna).write(
            {"name": PREFIX + "Kunden neu", "recurrence_update": "all_events"}
        )
        self.emulator.clock.advance(60)
        instance = self.g_instances(self.bob, base)[1]
        self.events(self.bob).patch(
            calendarId=self.gmail(self.bob),
            eventId=instance["id"],
            body={"summary": PREFIX + "Kunden (Bob)"},
        ).execute()
        self.sync_all(self.bob, self.anna, self.carol, self.bob)
        names = [PREFIX + "Kunden neu"] * 6
        names[1] = PREFIX + "Kunden (Bob)"
        self.assertEqual(self.names(base), names)
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)

    # ------------------------------------------------------------------
    # Who may delete
    # ------------------------------------------------------------------
    def test_bob_deletes_one_occurrence_in_google(self):
        base = self.shared_weekly("Teamrunde")
        second = self.occurrences(base)[1]
        instance = self.g_instances(self.bob, base)[1]
        self.events(self.bob).delete(
            calendarId=self.gmail(self.bob), eventId=instance["id"]
        ).execute()
        self.sync_all(self.bob, self.anna, self.carol)
        self.assertTrue(second.active, "an attendee's deletion declines")
        self.assertEqual(self.attendance(self.bob, second).state, "declined")
        self.assertEqual(len(self.occurrences(base)), 6)
        self.assertEqual(len(self.g_instances(self.bob, base)), 5, "not pushed back to him")
        self.assertEqual(len(self.g_instances(self.anna, base)), 6)
        self.assertEqual(len(self.g_instances(self.carol, base)), 6)
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)
        # A later change of the series does not bring his occurrence back.
        base.with_user(self.anna).write({"location": "Raum 7", "recurrence_update": "all_events"})
        self.sync_all(self.anna, self.bob, self.carol)
        self.assertEqual(len(self.g_instances(self.bob, base)), 5)
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)

    def test_bob_deletes_his_whole_series_copy(self):
        base = self.shared_weekly("Montagsrunde")
        bob_series = self.series_link(self.bob, base).google_event_id
        self.events(self.bob).delete(calendarId=self.gmail(self.bob), eventId=bob_series).execute()
        self.sync_all(self.bob, self.anna, self.carol)
        occurrences = self.occurrences(base)
        self.assertEqual(len(occurrences), 6, "the series stays for the others")
        self.assertEqual(
            set(occurrences.mapped(lambda e: self.attendance(self.bob, e).state)), {"declined"}
        )
        self.assertEqual(
            self.emulator.get_event_raw(self.gmail(self.bob), bob_series)["status"], "cancelled"
        )
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)
        # Anna changes the series in Odoo, time included: still nothing for Bob.
        base.with_user(self.anna).write(
            {"name": PREFIX + "Montagsrunde neu", "recurrence_update": "all_events"}
        )
        self.sync_all(self.anna, self.bob, self.carol)
        self.assertEqual(
            self.emulator.get_event_raw(self.gmail(self.bob), bob_series)["status"], "cancelled"
        )
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)
        first = self.occurrences(base)[0]
        first.with_user(self.anna).write(
            {
                "start": first.start + timedelta(hours=1),
                "stop": first.stop + timedelta(hours=1),
                "recurrence_update": "all_events",
            }
        )
        # Odoo asks everybody again when the series moves (it resets their answers
        # and e-mails the new invitation): Bob's copy comes back, at the new time.
        self.assertEqual(
            set(self.occurrences(base).mapped(lambda e: self.attendance(self.bob, e).state)),
            {"needsAction"},
        )
        self.sync_all(self.anna, self.bob, self.carol)
        self.assertEqual(len(self.g_instances(self.bob, base)), 6)
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)

    def test_anna_deletes_one_occurrence_in_odoo_and_another_in_google(self):
        base = self.shared_weekly("Review")
        second, fourth = self.occurrences(base)[1], self.occurrences(base)[3]
        second.with_user(self.anna).action_mass_archive("self_only")
        instance = self.g_instances(self.anna, base)[3]
        self.events(self.anna).delete(
            calendarId=self.gmail(self.anna), eventId=instance["id"]
        ).execute()
        self.sync_all(self.anna, self.bob, self.carol)
        self.assertFalse(second.active)
        self.assertFalse(fourth.exists() and fourth.active)
        self.assertEqual(len(self.occurrences(base).filtered("active")), 4)
        for user in self.users:
            self.assertEqual(len(self.g_instances(user, base)), 4, user.login)
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)

    # ------------------------------------------------------------------
    # The organiser changes the series
    # ------------------------------------------------------------------
    def test_anna_this_and_following_in_odoo(self):
        base = self.shared_weekly("Sprint")
        fourth = self.occurrences(base)[3]
        fourth.with_user(self.anna).write(
            {"name": PREFIX + "Sprint neu", "recurrence_update": "future_events"}
        )
        self.sync_all(self.anna, self.bob, self.carol)
        events = self.env["calendar.event"].search([("name", "=like", PREFIX + "Sprint%")])
        self.assertEqual(
            sorted(events.mapped("name")), [PREFIX + "Sprint"] * 3 + [PREFIX + "Sprint neu"] * 3
        )
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)

    def test_anna_this_and_following_in_odoo_with_a_new_time(self):
        base = self.shared_weekly("Daily")
        fourth = self.occurrences(base)[3]
        fourth.with_user(self.anna).write(
            {
                "start": fourth.start + timedelta(hours=2),
                "stop": fourth.stop + timedelta(hours=2),
                "recurrence_update": "future_events",
            }
        )
        self.sync_all(self.anna, self.bob, self.carol)
        self.assertEqual(
            len(self.env["calendar.event"].search([("name", "=like", PREFIX + "%")])), 6
        )
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)

    def test_anna_this_and_following_in_google(self):
        base = self.shared_weekly("Retro")
        anna_series = self.series_link(self.anna, base).google_event_id
        split = self.monday + timedelta(weeks=3)
        until = utc(split, 9) - timedelta(seconds=1)
        events, calendar = self.events(self.anna), self.gmail(self.anna)
        master = events.get(calendarId=calendar, eventId=anna_series).execute()
        rule = next(line for line in master["recurrence"] if line.startswith("RRULE:"))
        head = ";".join(part for part in rule[6:].split(";") if not part.startswith("COUNT="))
        events.patch(
            calendarId=calendar,
            eventId=anna_series,
            body={"recurrence": [f"RRULE:{head};UNTIL={until:%Y%m%dT%H%M%SZ}"]},
        ).execute()
        events.insert(
            calendarId=calendar,
            body={
                "summary": PREFIX + "Retro neu",
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
                **timed(split, hour=10),
            },
        ).execute()
        self.sync_all(self.anna, self.bob, self.carol)
        retro = self.env["calendar.event"].search([("name", "=like", PREFIX + "Retro%")])
        self.assertEqual(
            sorted(retro.mapped("name")), [PREFIX + "Retro"] * 3 + [PREFIX + "Retro neu"] * 3
        )
        # The new series is Anna's own (Google does not tell us its guests); the
        # old one ends for everybody after the third week.
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)

    def test_anna_ends_the_series(self):
        base = self.shared_weekly("Projekt")
        base.with_user(self.anna).write({"recurrency": False, "recurrence_update": "all_events"})
        self.sync_all(self.anna, self.bob, self.carol)
        events = self.env["calendar.event"].search([("name", "=like", PREFIX + "Projekt%")])
        self.assertEqual(len(events), 1)
        for user in self.users:
            master = self.emulator.get_event_raw(
                self.gmail(user), self.links_of(user, events).google_event_id
            )
            self.assertFalse(master.get("recurrence"), user.login)
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)

    def test_anna_ends_the_series_in_google(self):
        base = self.shared_weekly("Ende")
        self.events(self.anna).patch(
            calendarId=self.gmail(self.anna),
            eventId=self.series_link(self.anna, base).google_event_id,
            body={"recurrence": []},
        ).execute()
        self.sync_all(self.anna, self.bob, self.carol)
        events = self.env["calendar.event"].search([("name", "=like", PREFIX + "Ende%")])
        self.assertEqual(len(events), 1)
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)

    def test_a_fourth_user_joins_the_series_later(self):
        base = self.shared_weekly("Kreis")
        # An exception and a cancellation before Dave joins.
        third = self.occurrences(base)[2]
        third.with_user(self.anna).write(
            {"start": third.start + timedelta(hours=1), "stop": third.stop + timedelta(hours=1)}
        )
        self.occurrences(base)[4].with_user(self.anna).action_mass_archive("self_only")
        self.sync_all(*self.users)
        dave, _dave_token = self.connect_user("gcal_ss_dave", f"ss.dave{self.run_no}@example.com")
        base.with_user(self.anna).write(
            {"partner_ids": [(4, dave.partner_id.id)], "recurrence_update": "all_events"}
        )
        self.sync_all(self.anna, dave, self.bob, self.carol)
        self.assertEqual(len(self.g_instances(dave, base)), 5)
        self.assert_one_truth(*self.users, dave)
        self.sync_idle(*self.users, dave)

    # ------------------------------------------------------------------
    # Attending single occurrences
    # ------------------------------------------------------------------
    def test_bob_declines_one_occurrence_in_odoo_and_accepts_again(self):
        base = self.shared_weekly("Abstimmung")
        second = self.occurrences(base)[1]
        self.attendance(self.bob, second).with_user(self.bob).do_decline()
        self.sync_all(self.bob, self.anna, self.carol)
        self.assertEqual(len(self.g_instances(self.bob, base)), 5, "his copy loses it")
        self.assertEqual(len(self.g_instances(self.anna, base)), 6)
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)
        self.attendance(self.bob, second).with_user(self.bob).do_accept()
        self.sync_all(self.bob, self.anna, self.carol)
        self.assertEqual(len(self.g_instances(self.bob, base)), 6, "and gets it back")
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)

    def _take_bob_off(self, index):
        base = self.shared_weekly(f"Runde {index}")
        occurrence = self.occurrences(base)[index]
        occurrence.with_user(self.anna).write({"partner_ids": [(3, self.bob.partner_id.id)]})
        self.sync_all(self.anna, self.bob, self.carol)
        self.assertEqual(len(self.g_instances(self.bob, base)), 5)
        self.assertEqual(len(self.g_instances(self.carol, base)), 6)
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)
        # Later changes of the series still reach him.
        base.with_user(self.anna).write({"location": "Raum 9", "recurrence_update": "all_events"})
        self.sync_all(self.anna, self.bob, self.carol)
        self.assertEqual({i.get("location") for i in self.g_instances(self.bob, base)}, {"Raum 9"})
        self.assert_one_truth(*self.users)
        occurrence.with_user(self.anna).write({"partner_ids": [(4, self.bob.partner_id.id)]})
        self.sync_all(self.anna, self.bob, self.carol)
        self.assertEqual(len(self.g_instances(self.bob, base)), 6)
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)

    def test_anna_takes_bob_off_one_occurrence(self):
        self._take_bob_off(2)

    def test_anna_takes_bob_off_the_first_occurrence(self):
        self._take_bob_off(0)

    def test_bob_restores_his_deleted_series_copy(self):
        """Bob deletes his copy of the series (declines it), Anna renames the series
        later, then Bob takes his copy back out of Google's bin: he attends again,
        and his copy shows Anna's series, not his old copy's title."""
        base = self.shared_weekly("Wiederkehr")
        bob_series = self.series_link(self.bob, base).google_event_id
        events, calendar = self.events(self.bob), self.gmail(self.bob)
        events.delete(calendarId=calendar, eventId=bob_series).execute()
        self.sync_all(self.bob, self.anna, self.carol)
        self.emulator.clock.advance(60)
        base.with_user(self.anna).write(
            {"name": PREFIX + "Wiederkehr neu", "recurrence_update": "all_events"}
        )
        self.sync_all(self.anna, self.carol)
        self.emulator.clock.advance(60)
        events.patch(
            calendarId=calendar, eventId=bob_series, body={"status": "confirmed"}
        ).execute()
        self.sync_all(self.bob, self.anna, self.carol)
        self.assertEqual(self.names(base), [PREFIX + "Wiederkehr neu"] * 6)
        self.assertEqual(
            {self.attendance(self.bob, e).state for e in self.occurrences(base)}, {"needsAction"}
        )
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)

    def _extend_in_odoo_while_bob_renames(self, bob_syncs_first):
        base = self.shared_weekly("Verlängert")
        self.emulator.clock.advance(60)
        base.with_user(self.anna).write({"count": 8, "recurrence_update": "all_events"})
        self.assertEqual(len(self.occurrences(base)), 8)
        self.emulator.clock.advance(60)
        self.events(self.bob).patch(
            calendarId=self.gmail(self.bob),
            eventId=self.series_link(self.bob, base).google_event_id,
            body={"summary": PREFIX + "Verlängert (Bob)"},
        ).execute()
        order = (self.bob, self.anna) if bob_syncs_first else (self.anna, self.bob)
        self.sync_all(*order, self.carol, *order)
        self.assertEqual(self.names(base), [PREFIX + "Verlängert (Bob)"] * 8)
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)

    def test_anna_extends_in_odoo_while_bob_renames_in_google_bob_first(self):
        self._extend_in_odoo_while_bob_renames(bob_syncs_first=True)

    def test_anna_extends_in_odoo_while_bob_renames_in_google_anna_first(self):
        self._extend_in_odoo_while_bob_renames(bob_syncs_first=False)

    def test_anna_moves_the_series_in_odoo_while_bob_renames_it_in_google(self):
        base = self.shared_weekly("Verschoben")
        self.emulator.clock.advance(60)
        first = self.occurrences(base)[0]
        first.with_user(self.anna).write(
            {
                "start": first.start + timedelta(hours=2),
                "stop": first.stop + timedelta(hours=2),
                "recurrence_update": "all_events",
            }
        )
        self.emulator.clock.advance(60)
        self.events(self.bob).patch(
            calendarId=self.gmail(self.bob),
            eventId=self.series_link(self.bob, base).google_event_id,
            body={"summary": PREFIX + "Verschoben (Bob)"},
        ).execute()
        self.sync_all(self.bob, self.anna, self.carol, self.bob)
        base = self.env["calendar.event"].search(
            [("name", "=like", PREFIX + "Verschoben%")], order="start", limit=1
        )
        self.assertEqual(self.names(base), [PREFIX + "Verschoben (Bob)"] * 6)
        self.assertEqual(self.starts(base)[0], utc(self.monday, 11))
        self.assert_one_truth(*self.users)
        self.sync_idle(*self.users)

    def test_bob_restores_his_deleted_copy_of_a_single_meeting(self):
        """The same for a meeting that does not repeat."""
        start = utc(self.monday, 15)
        meeting = (
            self.env["calendar.event"]
            .with_user(self.anna)
            .create(
                {
                    "name": PREFIX + "Einzeln",
                    "start": start,
                    "stop": start + timedelta(hours=1),
                    "partner_ids": [(6, 0, (self.anna | self.bob).partner_id.ids)],
                }
            )
        )
        self.sync_all(self.anna, self.bob)
        bob_copy = self.links_of(self.bob, meeting).google_event_id
        events, calendar = self.events(self.bob), self.gmail(self.bob)
        events.delete(calendarId=calendar, eventId=bob_copy).execute()
        self.sync_all(self.bob, self.anna)
        self.emulator.clock.advance(60)
        meeting.with_user(self.anna).write({"name": PREFIX + "Einzeln neu"})
        self.sync_all(self.anna)
        self.emulator.clock.advance(60)
        events.patch(calendarId=calendar, eventId=bob_copy, body={"status": "confirmed"}).execute()
        self.sync_all(self.bob, self.anna)
        self.assertEqual(meeting.name, PREFIX + "Einzeln neu")
        self.assertEqual(self.attendance(self.bob, meeting).state, "needsAction")
        self.assert_one_truth(self.anna, self.bob)
        self.sync_idle(self.anna, self.bob)
