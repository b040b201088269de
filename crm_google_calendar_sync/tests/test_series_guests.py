# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Two syncing colleagues and an external customer at a weekly series (R1, R2, R6 of
docs/attendees.md for series): the organiser's Google series carries the attendees,
each guest's sync links Google's series in his primary calendar instead of pushing a
series of his own, answers travel both ways (the whole series and one occurrence),
and after every step each person holds the series once in Google. Nobody is mailed.
Each user acts through his own Google client or as himself in Odoo.
"""

from datetime import UTC, datetime, timedelta

from odoo import fields
from odoo.tests import tagged

from .guests_common import ColleaguesCase
from .recurring_common import next_weekday, utc

TITLE = "Weekly pipeline"


@tagged("post_install", "-at_install")
class TestSeriesGuests(ColleaguesCase):
    TAG = "sguest"

    def tearDown(self):
        self.assert_nobody_notified()
        super().tearDown()

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def sync_all(self, *names):
        for name in names or ("anna", "bob", "carol"):
            mails = self.env["mail.mail"].sudo().search_count([])
            self.sync(self.users[name][1])
            self.assertEqual(self.env["mail.mail"].sudo().search_count([]), mails, name)
        self.env.invalidate_all()

    def weekly(self, *partners, count=4):
        """Anna's weekly series in Odoo, with ``partners``."""
        start = utc(next_weekday(0, weeks=2), 9)
        return (
            self.env["calendar.event"]
            .with_user(self.anna)
            .create(
                {
                    "name": TITLE,
                    "start": fields.Datetime.to_string(start),
                    "stop": fields.Datetime.to_string(start + timedelta(hours=1)),
                    "partner_ids": [(6, 0, [self.anna.partner_id.id, *(p.id for p in partners)])],
                    "recurrency": True,
                    "rrule_type": "weekly",
                    "interval": 1,
                    "end_type": "count",
                    "count": count,
                    "mon": True,
                }
            )
        )

    def occurrences(self, base):
        return base.recurrence_id.calendar_event_ids.filtered("active").sorted("start")

    def master_link(self, base):
        return base.sudo().google_link_ids.filtered(
            lambda link: link.user_id == self.anna and not link.recurring_event_id
        )

    def google_series(self, name):
        """The live events titled TITLE in the user's primary calendar that are no
        exception of a series (a series counts once)."""
        return [
            item
            for item in self.emulator.list_events_raw(self.email(name))
            if item.get("summary") == TITLE
            and item.get("status") != "cancelled"
            and not item.get("recurringEventId")
        ]

    def assert_once_everywhere(self, base, names):
        """One Odoo series; one Google series (the master's id) for each of
        ``names``, none for the others; guests hold invitation links only."""
        self.env.invalidate_all()
        bases = self.env["calendar.recurrence"].sudo().search([("base_event_id.name", "=", TITLE)])
        self.assertEqual(len(bases), 1, "one Odoo series")
        master = self.master_link(base)
        self.assertEqual(len(master), 1)
        for name in ("anna", "bob", "carol"):
            copies = self.google_series(name)
            self.assertEqual(len(copies), 1 if name in names else 0, f"{name}: {copies}")
            if copies:
                self.assertEqual(copies[0]["id"], master.google_event_id)
                self.assertTrue(copies[0].get("recurrence"))
            if name != "anna":
                links = (
                    self.env["crm.google.event.link"]
                    .sudo()
                    .search(
                        [
                            ("user_id", "=", self.users[name][0].id),
                            ("recurring_event_id", "=", False),
                        ]
                    )
                )
                self.assertEqual(links.mapped("guest_copy"), [True] * len(links), name)

    def answers(self, base, name):
        """The user's answers on the series' occurrences, in order."""
        partner = self.users[name][0].partner_id
        return [
            event.attendee_ids.filtered(lambda a: a.partner_id == partner).state
            for event in self.occurrences(base)
        ]

    def master_answers(self, base):
        body = self.emulator.get_event_raw(
            self.email("anna"), self.master_link(base).google_event_id
        )
        return {entry["email"]: entry.get("responseStatus") for entry in body["attendees"]}

    def instances(self, name, base):
        """The instances of the series as the user's own Google client lists them."""
        email = self.email(name)
        return (
            self.service(email)
            .events()
            .instances(calendarId=email, eventId=self.master_link(base).google_event_id)
            .execute()["items"]
        )

    def own_answer(self, instance, name):
        for entry in instance.get("attendees") or ():
            if entry["email"] == self.email(name):
                return entry.get("responseStatus")
        return None

    # ------------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------------
    def test_one_series_per_person_and_answers_both_ways(self):
        base = self.weekly(self.bob.partner_id, self.carol.partner_id, self.customer, count=5)
        self.sync_all()
        # R1: Anna's series carries everybody (her own entry in her primary).
        self.assertEqual(
            set(self.master_answers(base)),
            {self.email(n) for n in ("anna", "bob", "carol")} | {self.customer.email},
        )
        self.assert_once_everywhere(base, ("anna", "bob", "carol"))
        master_id = self.master_link(base).google_event_id
        # Bob accepts the whole series in Google: every occurrence, and the master.
        self.answer_in_google("bob", master_id, "accepted")
        self.sync_all("bob", "anna")
        self.assertEqual(self.answers(base, "bob"), ["accepted"] * 5)
        self.assertEqual(self.master_answers(base)[self.email("bob")], "accepted")
        # Carol declines the whole series in Odoo.
        occurrences = self.occurrences(base)
        occurrences.attendee_ids.filtered(
            lambda a: a.partner_id == self.carol.partner_id
        ).with_user(self.carol).do_decline()
        self.sync_all("carol", "anna", "bob")
        self.assertEqual(self.master_answers(base)[self.email("carol")], "declined")
        self.assertEqual(self.answers(base, "carol"), ["declined"] * 5)
        # Bob declines the first occurrence in Google: that occurrence only (the
        # series keeps the answer most occurrences have).
        first = self.instances("bob", base)[0]
        self.answer_in_google("bob", first["id"], "declined")
        self.sync_all("bob", "anna", "carol")
        self.assertEqual(
            self.answers(base, "bob"), ["declined", "accepted", "accepted", "accepted", "accepted"]
        )
        self.assertEqual(self.master_answers(base)[self.email("bob")], "accepted")
        # Carol accepts the second occurrence in Odoo, Bob declines the last one
        # there: their instances, not the series; Bob's instance stays (declined).
        self.occurrences(base)[1].attendee_ids.filtered(
            lambda a: a.partner_id == self.carol.partner_id
        ).with_user(self.carol).do_accept()
        self.occurrences(base)[3].attendee_ids.filtered(
            lambda a: a.partner_id == self.bob.partner_id
        ).with_user(self.bob).do_decline()
        self.sync_all("carol", "bob", "anna", "bob")
        instances = self.instances("anna", base)
        self.assertEqual(self.own_answer(instances[1], "carol"), "accepted")
        self.assertEqual(self.own_answer(instances[2], "carol"), "declined")
        self.assertEqual(self.own_answer(instances[0], "bob"), "declined")
        self.assertEqual(self.own_answer(instances[3], "bob"), "declined")
        self.assertEqual(len(self.instances("bob", base)), 5)
        self.assertEqual(self.own_answer(self.instances("bob", base)[3], "bob"), "declined")
        self.assertEqual(self.master_answers(base)[self.email("carol")], "declined")
        self.assertEqual(
            self.answers(base, "carol"),
            ["declined", "accepted", "declined", "declined", "declined"],
        )
        self.assertEqual(
            self.answers(base, "bob"), ["declined", "accepted", "accepted", "declined", "accepted"]
        )
        self.assertEqual(self.master_answers(base)[self.email("bob")], "accepted")
        # (a declined invitation stays in Google, declined, as Google keeps it)
        self.assert_once_everywhere(base, ("anna", "bob", "carol"))
        # Nothing left to do for anybody.
        self.sync_all()
        for name in ("anna", "bob", "carol"):
            report = self.sync(self.users[name][1])
            self.assertFalse(report.pushed or report.pulled or report.errors, (name, report))

    def test_this_and_following_answered_moves_the_series_answer(self):
        base = self.weekly(self.bob.partner_id, self.customer, count=5)
        self.sync_all("anna", "bob")
        self.answer_in_google("bob", self.master_link(base).google_event_id, "accepted")
        self.sync_all("bob", "anna")
        # Bob declines the second and all following occurrences in Odoo: most of
        # them now have his decline, so the series does; the first one keeps his
        # acceptance, as its instance, in every copy.
        self.occurrences(base)[1].with_user(self.bob).change_attendee_status(
            "declined", "future_events"
        )
        self.sync_all("bob", "anna", "bob")
        expected = ["accepted"] + ["declined"] * 4
        self.assertEqual(self.answers(base, "bob"), expected)
        self.assertEqual(self.master_answers(base)[self.email("bob")], "declined")
        for name in ("anna", "bob"):
            shown = [self.own_answer(i, "bob") for i in self.instances(name, base)]
            self.assertEqual(shown, expected, name)
        self.assert_once_everywhere(base, ("anna", "bob"))

    def test_an_occurrence_moved_by_the_organiser_reaches_the_guests(self):
        base = self.weekly(self.bob.partner_id, self.customer)
        self.sync_all("anna", "bob")
        second = self.occurrences(base)[1]
        moved = second.start + timedelta(hours=2)
        second.with_user(self.anna).write(
            {"start": moved, "stop": moved + timedelta(hours=1), "recurrence_update": "self_only"}
        )
        self.sync_all("anna", "bob")
        bob_second = self.instances("bob", base)[1]
        start = datetime.fromisoformat(bob_second["start"]["dateTime"])
        self.assertEqual(start.astimezone(UTC).replace(tzinfo=None), moved)
        self.assertEqual(self.occurrences(base)[1].start, moved)
        self.assert_once_everywhere(base, ("anna", "bob"))
        # Bob's push had nothing to send for it (his answer is the series'), and
        # his link to the instance remembers that: the occurrence is settled.
        instance_link = (
            self.env["crm.google.event.link"]
            .sudo()
            .search(
                [("user_id", "=", self.bob.id), ("event_id", "=", self.occurrences(base)[1].id)]
            )
        )
        self.assertEqual(instance_link.google_event_id, bob_second["id"])
        self.assertTrue(instance_link.guest_copy)
        self.assertEqual(self.own_answer(self.instances("anna", base)[1], "bob"), "needsAction")

    def test_an_occurrences_own_list_and_a_guests_deleted_occurrence(self):
        base = self.weekly(self.bob.partner_id)
        self.sync_all("anna", "bob")
        # Anna invites the customer to the third occurrence only (in Odoo): that
        # instance carries him, the series does not.
        self.occurrences(base)[2].with_user(self.anna).write(
            {"partner_ids": [(4, self.customer.id)], "recurrence_update": "self_only"}
        )
        self.sync_all("anna", "bob")
        emails = [entry["email"] for entry in self.instances("bob", base)[2]["attendees"]]
        self.assertIn(self.customer.email, emails)
        self.assertNotIn(self.customer.email, self.master_answers(base))
        # Bob deletes the fourth occurrence from his Google, and renames the second
        # in his copy: he declines the fourth; his renaming stays his.
        fourth, second = self.instances("bob", base)[3], self.instances("bob", base)[1]
        events = self.service(self.email("bob")).events()
        events.delete(
            calendarId=self.email("bob"), eventId=fourth["id"], sendUpdates="none"
        ).execute()
        events.patch(
            calendarId=self.email("bob"),
            eventId=second["id"],
            sendUpdates="none",
            body={"summary": "Bob's own title"},
        ).execute()
        self.sync_all("bob", "anna", "bob")
        self.assertEqual(self.answers(base, "bob")[3], "declined")
        self.assertEqual(self.answers(base, "bob")[:3], ["needsAction"] * 3)
        self.assertIn(self.customer, self.occurrences(base)[2].partner_ids)
        self.assertNotIn(self.customer, self.occurrences(base)[1].partner_ids)
        self.assertEqual(set(self.occurrences(base).mapped("name")), {TITLE})
        self.assert_once_everywhere(base, ("anna", "bob"))

    def test_a_guests_own_series_from_before_moves_to_the_invitation(self):
        base = self.weekly(self.bob.partner_id)
        # Bob syncs before Anna: with no master yet, he pushes a series of his own.
        self.sync_all("bob")
        self.assertEqual(len(self.google_series("bob")), 1)
        self.sync_all("anna", "bob", "bob")
        self.assert_once_everywhere(base, ("anna", "bob"))
        self.assertEqual(len(self.occurrences(base)), 4)

    def test_deleting_removing_and_the_organisers_deletion(self):
        base = self.weekly(self.bob.partner_id, self.carol.partner_id)
        self.sync_all()
        # R6: Bob deletes his invitation in Google: he declines the whole series.
        master_id = self.master_link(base).google_event_id
        self.service(self.email("bob")).events().delete(
            calendarId=self.email("bob"), eventId=master_id, sendUpdates="none"
        ).execute()
        self.sync_all("bob", "anna", "carol")
        self.assertEqual(self.answers(base, "bob"), ["declined"] * 4)
        self.assertEqual(self.master_answers(base)[self.email("bob")], "declined")
        self.assert_once_everywhere(base, ("anna", "carol"))
        # He accepts the series again in Odoo: the master brings his invitation back.
        self.occurrences(base)[0].with_user(self.bob).change_attendee_status(
            "accepted", "all_events"
        )
        self.sync_all("bob", "anna", "bob")
        self.assertEqual(self.master_answers(base)[self.email("bob")], "accepted")
        self.assertEqual(self.answers(base, "bob"), ["accepted"] * 4)
        self.assert_once_everywhere(base, ("anna", "bob", "carol"))
        # Anna takes Carol off the series in Odoo: off the master's list.
        base.with_user(self.anna).write(
            {"partner_ids": [(3, self.carol.partner_id.id)], "recurrence_update": "all_events"}
        )
        self.sync_all("anna", "carol", "bob")
        self.assertNotIn(self.email("carol"), self.master_answers(base))
        self.assert_once_everywhere(base, ("anna", "bob"))
        # Anna deletes the series in Odoo: gone for everybody.
        self.env.invalidate_all()
        self.occurrences(base)[0].with_user(self.anna).action_mass_archive("all_events")
        self.sync_all()
        for name in ("anna", "bob", "carol"):
            self.assertEqual(self.google_series(name), [], name)

    def test_a_colleague_cannot_forge_a_series_invitation(self):
        base = self.weekly(self.carol.partner_id)
        self.sync_all("anna", "carol")
        master = self.emulator.get_event_raw(
            self.email("anna"), self.master_link(base).google_event_id
        )
        # Anna adds Bob in Odoo; before her next sync, Carol (a guest herself) puts
        # a series with the master's id, iCalUID and Anna's name as organiser into a
        # calendar of hers and invites Bob, who attends in Odoo.
        base.with_user(self.anna).write(
            {"partner_ids": [(4, self.bob.partner_id.id)], "recurrence_update": "all_events"}
        )
        forged_calendar = self.emulator.add_calendar(self.email("carol"), summary="Forge")
        self.service(self.email("carol")).events().insert(
            calendarId=forged_calendar,
            sendUpdates="none",
            body={
                "id": master["id"],
                "iCalUID": master["iCalUID"],
                "summary": "Forged",
                "start": master["start"],
                "end": master["end"],
                "recurrence": master["recurrence"],
                "organizer": {"email": self.email("anna")},
                "attendees": [{"email": self.email("bob"), "responseStatus": "needsAction"}],
            },
        ).execute()
        self.sync_all("bob")
        bob_links = self.env["crm.google.event.link"].sudo().search([("user_id", "=", self.bob.id)])
        self.assertFalse(
            bob_links.filtered(lambda link: link.event_id.recurrence_id == base.recurrence_id),
            "the forged series is not linked to Anna's",
        )
        self.assertEqual(set(self.occurrences(base).mapped("name")), {TITLE})
        self.assertEqual(len(self.occurrences(base)), 4)
        # Nor after Anna's next sync (Google leaves Bob's event with that id alone).
        self.sync_all("anna", "bob")
        self.assertEqual(set(self.occurrences(base).mapped("name")), {TITLE})
