# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Review probes of issue 16's attendees, invitations and copies, acted out as a sales
team and as a curious or hostile colleague would: Anna, Bob and Carol sync their
primary calendars, Dave syncs a "Work" calendar only (R3), Erin has no Google at
first. Each acts through his own Google client or as himself in Odoo; after every
scenario each person holds each meeting once, in Odoo and in Google, and nobody is
mailed.
"""

import unittest
from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import new_test_user, tagged

from .common import GOOGLE_TIME
from .guests_common import ColleaguesCase
from .recurring_common import next_weekday, utc
from .test_reliability import google_view

TITLE = "Review series"
SINGLE = "Review call"


@tagged("post_install", "-at_install")
class TestReviewGuests(ColleaguesCase):
    TAG = "review"

    def setUp(self):
        super().setUp()
        dave = f"dave.{self.TAG}{self.run_no}@example.com"
        self.emulator.add_account(dave, time_zone="Europe/Berlin")
        self.work = self.emulator.add_calendar(dave, "Work")
        self.dave = self.add_colleague("dave", sources=[self.work], target=self.work)

    def add_colleague(self, name, **options):
        email = f"{name}.{self.TAG}{self.run_no}@example.com"
        self.emulator.add_account(email, time_zone="Europe/Berlin")
        if name == "carol":
            # Carol also syncs a calendar of hers in which she forges events.
            self.forge = self.emulator.add_calendar(email, "Forge")
            options = {"sources": [email, self.forge]}
        return super().add_colleague(name, **options)

    def tearDown(self):
        self.assert_nobody_notified()
        super().tearDown()

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def sync_all(self, *names):
        reports = []
        for name in names:
            mails = self.env["mail.mail"].sudo().search_count([])
            reports.append(self.sync(self.users[name][1]))
            self.assertEqual(self.env["mail.mail"].sudo().search_count([]), mails, name)
        self.env.invalidate_all()
        return reports

    def assert_idle(self, *names):
        for name, report in zip(names, self.sync_all(*names), strict=True):
            self.assertFalse(
                report.pulled or report.pushed or report.conflicts or report.errors,
                (name, report),
            )

    def weekly(self, organiser, *partners, count=4, title=TITLE):
        start = utc(next_weekday(0, weeks=2), 9)
        return (
            self.env["calendar.event"]
            .with_user(organiser)
            .create(
                {
                    "name": title,
                    "start": fields.Datetime.to_string(start),
                    "stop": fields.Datetime.to_string(start + timedelta(hours=1)),
                    "partner_ids": [(6, 0, [organiser.partner_id.id, *(p.id for p in partners)])],
                    "recurrency": True,
                    "rrule_type": "weekly",
                    "interval": 1,
                    "end_type": "count",
                    "count": count,
                    "mon": True,
                }
            )
        )

    def single(self, organiser, *partners, title=SINGLE):
        start = datetime.utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
        return self.meeting(
            organiser,
            title,
            start,
            partner_ids=[(6, 0, [organiser.partner_id.id, *(p.id for p in partners)])],
        )

    def occurrences(self, title=TITLE):
        return (
            self.env["calendar.event"]
            .sudo()
            .search([("name", "=", title), ("recurrence_id", "!=", False)])
            .sorted("start")
        )

    def link(self, user, event, **extra):
        domain = [("user_id", "=", user.id), ("event_id", "=", event.id)]
        domain += [(key, "=", value) for key, value in extra.items()]
        return self.env["crm.google.event.link"].sudo().search(domain)

    def live(self, calendar, title, masters_only=True):
        """Live events titled ``title`` in ``calendar`` (a series counts once)."""
        return [
            item
            for item in self.emulator.list_events_raw(calendar)
            if item.get("summary") == title
            and item.get("status") != "cancelled"
            and not (masters_only and item.get("recurringEventId"))
        ]

    def google_starts(self, name, title=TITLE, calendar=None):
        """Starts of what the user sees in his Google calendar (series expanded)."""
        email = self.email(name)
        items = (
            self.service(email)
            .events()
            .list(
                calendarId=calendar or email,
                singleEvents=True,
                timeMin=datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
                maxResults=2500,
            )
            .execute()["items"]
        )
        return sorted(
            google_view(item)[2]
            for item in items
            if item.get("summary") == title and item.get("status") != "cancelled"
        )

    def odoo_starts(self, name, title=TITLE):
        """Starts of the occurrences the user attends in Odoo and has not declined."""
        partner = self.users[name][0].partner_id
        events = self.env["calendar.event"].sudo().search([("name", "=", title)])
        return sorted(
            event.start
            for event in events
            if event.attendee_ids.filtered(
                lambda a: a.partner_id == partner and a.state != "declined"
            )
        )

    def state(self, event, name):
        partner = self.users[name][0].partner_id
        event.invalidate_recordset()
        return event.attendee_ids.filtered(lambda a: a.partner_id == partner).state

    def answers(self, calendar, google_id):
        body = self.emulator.get_event_raw(calendar, google_id)
        return {entry["email"]: entry.get("responseStatus") for entry in body["attendees"]}

    def instances(self, name, google_id):
        email = self.email(name)
        return (
            self.service(email)
            .events()
            .instances(calendarId=email, eventId=google_id)
            .execute()["items"]
        )

    def own_answer(self, instance, name):
        for entry in instance.get("attendees") or ():
            if entry["email"].casefold() == self.email(name):
                return entry.get("responseStatus")
        return None

    def master_id(self, organiser, event):
        return self.link(organiser, event, recurring_event_id=False).google_event_id

    # ------------------------------------------------------------------
    # 1. R3 with a recurring meeting
    # ------------------------------------------------------------------
    def test_1_series_invitation_outside_the_synced_calendars(self):
        dave = self.email("dave")
        personal = self.seed_google_event(dave, dave, "Dentist", 2)
        base = self.weekly(self.anna, self.dave.partner_id, self.customer, count=5)
        self.sync_all("anna", "dave", "anna", "dave")
        gid = self.master_id(self.anna, base)
        # One series per person: his invitation in his primary, nothing in "Work".
        self.assertEqual([e["id"] for e in self.live(dave, TITLE)], [gid])
        self.assertFalse(self.live(self.work, TITLE))
        self.assertEqual(len(self.occurrences().recurrence_id), 1)
        self.assertTrue(self.link(self.dave, base, recurring_event_id=False).guest_copy)
        self.assertFalse(self.env["calendar.event"].sudo().search([("name", "=", "Dentist")]))
        self.assertFalse(
            self.env["crm.google.event.link"]
            .sudo()
            .search([("google_event_id", "=", personal["id"])])
        )
        # He accepts the series in Google; declines the second occurrence there.
        self.answer_in_google("dave", gid, "accepted")
        self.sync_all("dave", "anna")
        self.assertEqual([self.state(e, "dave") for e in self.occurrences()], ["accepted"] * 5)
        second = self.instances("dave", gid)[1]
        self.answer_in_google("dave", second["id"], "declined")
        self.sync_all("dave", "anna")
        expected = ["accepted", "declined", "accepted", "accepted", "accepted"]
        self.assertEqual([self.state(e, "dave") for e in self.occurrences()], expected)
        # In Odoo, he declines the fourth occurrence: Anna's instance shows it.
        self.occurrences()[3].attendee_ids.filtered(
            lambda a: a.partner_id == self.dave.partner_id
        ).with_user(self.dave).do_decline()
        self.sync_all("dave", "anna", "dave")
        shown = [self.own_answer(i, "dave") for i in self.instances("anna", gid)]
        expected[3] = "declined"
        self.assertEqual(shown, expected)
        self.assertEqual([self.state(e, "dave") for e in self.occurrences()], expected)
        self.assertEqual(self.answers(self.email("anna"), gid)[dave], "accepted")
        self.assertEqual([e["id"] for e in self.live(dave, TITLE)], [gid])
        self.assertFalse(self.live(self.work, TITLE))
        self.sync_all("anna", "dave")
        self.assert_idle("anna", "dave")

    # ------------------------------------------------------------------
    # 2. A guest attending later occurrences only
    # ------------------------------------------------------------------
    def test_2a_guest_added_to_one_occurrence(self):
        """Bob, added in Odoo to the third occurrence only, gets Google's
        invitation to that instance alone (no series in his primary); his sync
        links it to the occurrence (store/lone_instances.py). Failed before: it
        was imported as a meeting of its own, which Anna's sync pushed again:
        the occurrence three times in Odoo, twice in Anna's and Bob's Google."""
        base = self.weekly(self.anna, self.customer)
        self.sync_all("anna", "bob")
        self.occurrences()[2].with_user(self.anna).write(
            {"partner_ids": [(4, self.bob.partner_id.id)], "recurrence_update": "self_only"}
        )
        self.sync_all("anna", "bob", "anna", "bob")
        self.assertEqual(len(self.occurrences()), 4)
        self.assertEqual(self.google_starts("bob"), self.odoo_starts("bob"))
        self.assertEqual(len(self.odoo_starts("bob")), 1)
        self.assertEqual(self.google_starts("anna"), self.odoo_starts("anna"))
        # His answer in Google reaches the organiser's instance and Odoo.
        gid = self.master_id(self.anna, base)
        instance = self.instances("anna", gid)[2]
        self.answer_in_google("bob", instance["id"], "accepted")
        self.sync_all("bob", "anna")
        self.assertEqual(self.state(self.occurrences()[2], "bob"), "accepted")
        self.assertEqual(self.own_answer(self.instances("anna", gid)[2], "bob"), "accepted")
        self.assertEqual(self.google_starts("bob"), self.odoo_starts("bob"))
        self.assert_idle("anna", "bob")
        # His answer in Odoo goes through his instance alone.
        self.occurrences()[2].attendee_ids.filtered(
            lambda a: a.partner_id == self.bob.partner_id
        ).with_user(self.bob).do_tentative()
        self.sync_all("bob", "anna")
        self.assertEqual(self.own_answer(self.instances("anna", gid)[2], "bob"), "tentative")
        self.assertEqual(self.state(self.occurrences()[2], "bob"), "tentative")
        self.assertEqual(len(self.live(self.email("bob"), TITLE, masters_only=False)), 1)
        self.assert_idle("anna", "bob")

    def test_2b_guest_added_to_this_and_following(self):
        self.weekly(self.anna, self.customer, count=5)
        self.sync_all("anna", "bob")
        self.occurrences()[2].with_user(self.anna).write(
            {"partner_ids": [(4, self.bob.partner_id.id)], "recurrence_update": "future_events"}
        )
        self.sync_all("anna", "bob", "anna", "bob")
        self.assertEqual(len(self.occurrences()), 5)
        self.assertEqual(len(self.odoo_starts("bob")), 3)
        self.assertEqual(self.google_starts("bob"), self.odoo_starts("bob"))
        self.assertEqual(self.google_starts("anna"), self.odoo_starts("anna"))
        self.assert_idle("anna", "bob")

    def test_2c_organiser_invites_to_one_instance_in_google(self):
        """As test_2a: Anna adds Bob to the second instance in her Google; Anna's
        pull puts him on that occurrence, Bob's sync links his instance
        invitation to it. Failed before: Bob attended that occurrence three
        times in Odoo."""
        self.invite_bob_to_second_instance_in_google()
        self.sync_all("anna", "bob", "anna", "bob")
        self.assertEqual(len(self.occurrences()), 4)
        self.assertIn(self.bob.partner_id, self.occurrences()[1].partner_ids)
        self.assertEqual(len(self.odoo_starts("bob")), 1)
        self.assertEqual(self.google_starts("bob"), self.odoo_starts("bob"))
        self.assertEqual(self.google_starts("anna"), self.odoo_starts("anna"))
        self.assert_idle("anna", "bob")

    def test_2e_lone_instance_seen_before_odoo_ties_him(self):
        """As test_2c, but Bob's sync reads his instance invitation before Anna's
        pull puts him on the occurrence: it is Google's instance of an Odoo
        series, so it is left alone, not imported as a meeting of its own."""
        self.invite_bob_to_second_instance_in_google()
        self.sync_all("bob", "anna", "bob", "anna", "bob")
        self.assertEqual(len(self.occurrences()), 4)
        self.assertFalse(
            self.env["calendar.event"].sudo().search([("name", "=", TITLE)]) - self.occurrences()
        )
        self.assertEqual(len(self.odoo_starts("bob")), 1)
        self.assertEqual(self.google_starts("bob"), self.odoo_starts("bob"))
        self.assertEqual(self.google_starts("anna"), self.odoo_starts("anna"))
        self.assert_idle("anna", "bob")

    def invite_bob_to_second_instance_in_google(self):
        """Anna's weekly series, synced; then she adds Bob to its second instance
        in her Google."""
        base = self.weekly(self.anna, self.customer)
        self.sync_all("anna", "bob")
        gid = self.master_id(self.anna, base)
        anna = self.email("anna")
        second = self.instances("anna", gid)[1]
        self.service(anna).events().patch(
            calendarId=anna,
            eventId=second["id"],
            sendUpdates="none",
            body={"attendees": [*second["attendees"], {"email": self.email("bob")}]},
        ).execute()

    def test_2d_forged_lone_instance_links_nothing(self):
        """Carol, hostile, makes a series of her own under the id of Anna's
        master and invites Bob to one instance of it only, the occurrence Anna
        just added him to in Odoo: his instance claims Anna's series (its
        ``recurringEventId`` and instance id) but its organiser is Carol. It is
        not linked to Anna's occurrence, and his answer there changes nothing."""
        base = self.weekly(self.anna, self.customer)
        self.sync_all("anna", "bob")
        gid = self.master_id(self.anna, base)
        second = self.occurrences()[1]
        second.with_user(self.anna).write(
            {"partner_ids": [(4, self.bob.partner_id.id)], "recurrence_update": "self_only"}
        )
        master = self.emulator.get_event_raw(self.email("anna"), gid)
        carol = self.service(self.email("carol"))
        forged = {key: master[key] for key in ("start", "end", "recurrence")}
        carol.events().insert(
            calendarId=self.email("carol"),
            sendUpdates="none",
            body=dict(forged, id=gid, summary="Forged"),
        ).execute()
        instance = self.instances("carol", gid)[1]
        carol.events().patch(
            calendarId=self.email("carol"),
            eventId=instance["id"],
            sendUpdates="none",
            body={"attendees": [{"email": self.email("bob")}]},
        ).execute()
        claimed = self.emulator.get_event_raw(self.email("bob"), instance["id"])
        self.assertEqual(claimed["recurringEventId"], gid)
        self.sync_all("bob")
        self.assertFalse(self.link(self.bob, second))
        self.answer_in_google("bob", instance["id"], "accepted")
        self.sync_all("bob")
        self.assertEqual(self.state(second, "bob"), "needsAction")
        self.assertFalse(self.link(self.bob, second))
        self.assertEqual(len(self.occurrences()), 4)
        self.assertNotIn(self.carol.partner_id, self.occurrences().partner_ids)

    # ------------------------------------------------------------------
    # 3. An organiser without Google, a series, then connecting
    # ------------------------------------------------------------------
    def test_3_series_of_an_organiser_without_google_then_connecting(self):
        erin = new_test_user(self.env, login="gcal_review_erin", groups="base.group_user")
        erin_email = self.email("anna").replace("anna.", "erin.")
        erin.partner_id.email = erin_email
        self.emulator.add_account(erin_email)
        self.users["erin"] = (erin, None, erin_email)
        base = self.weekly(erin, self.bob.partner_id, self.carol.partner_id)
        self.sync_all("bob", "carol", "bob", "carol")
        for name in ("bob", "carol"):
            self.assertEqual(len(self.live(self.email(name), TITLE)), 1, name)
            self.assertEqual(self.google_starts(name), self.odoo_starts(name), name)
        self.assertFalse(self.live(erin_email, TITLE))
        # Erin connects: her series becomes the master, the others link it.
        token = self.consent(erin, erin_email)
        self.users["erin"] = (erin, token, erin_email)
        self.sync_all("erin", "bob", "carol", "bob", "carol")
        gid = self.master_id(erin, base)
        self.assertTrue(gid)
        for name in ("erin", "bob", "carol"):
            self.assertEqual([e["id"] for e in self.live(self.email(name), TITLE)], [gid], name)
            self.assertEqual(self.google_starts(name), self.odoo_starts(name), name)
        self.assertEqual(len(self.occurrences()), 4)
        self.assertEqual(len(self.occurrences().recurrence_id), 1)
        self.assert_idle("erin", "bob", "carol")

    # ------------------------------------------------------------------
    # 4. The organiser changes the list in Google
    # ------------------------------------------------------------------
    def anna_swaps_bob_for_carol_in_google(self, meeting):
        """Anna, in her Google Calendar, takes Bob off her meeting's list and puts
        Carol on it; then everybody syncs twice. Returns the master's id."""
        gid = self.master_id(self.anna, meeting)
        anna = self.email("anna")
        body = self.emulator.get_event_raw(anna, gid)
        attendees = [e for e in body["attendees"] if e["email"] != self.email("bob")]
        attendees.append({"email": self.email("carol")})
        self.service(anna).events().patch(
            calendarId=anna, eventId=gid, sendUpdates="none", body={"attendees": attendees}
        ).execute()
        self.sync_all("anna", "bob", "carol", "anna", "bob", "carol")
        return gid

    def test_4_organiser_changes_the_list_in_google(self):
        meeting = self.single(self.anna, self.bob.partner_id, self.customer)
        self.sync_all("anna", "bob", "carol")
        gid = self.anna_swaps_bob_for_carol_in_google(meeting)
        meeting.invalidate_recordset()
        self.assertEqual(
            set(meeting.partner_ids.ids),
            {self.anna.partner_id.id, self.carol.partner_id.id, self.customer.id},
        )
        self.assertEqual(len(self.env["calendar.event"].search([("name", "=", SINGLE)])), 1)
        self.assertEqual([e["id"] for e in self.live(self.email("carol"), SINGLE)], [gid])
        self.assertFalse(self.live(self.email("bob"), SINGLE))
        self.assertTrue(self.link(self.carol, meeting).guest_copy)
        self.assertFalse(self.link(self.bob, meeting))
        self.assert_idle("anna", "bob", "carol")

    def test_4b_organiser_changes_the_series_list_in_google(self):
        base = self.weekly(self.anna, self.bob.partner_id, self.customer)
        self.sync_all("anna", "bob", "carol")
        gid = self.anna_swaps_bob_for_carol_in_google(base)
        self.assertEqual(len(self.occurrences()), 4)
        for occurrence in self.occurrences():
            self.assertIn(self.carol.partner_id, occurrence.partner_ids)
            self.assertNotIn(self.bob.partner_id, occurrence.partner_ids)
        self.assertEqual([e["id"] for e in self.live(self.email("carol"), TITLE)], [gid])
        self.assertFalse(self.live(self.email("bob"), TITLE))
        self.assertTrue(self.link(self.carol, base, recurring_event_id=False).guest_copy)
        for name in ("anna", "bob", "carol"):
            self.assertEqual(self.google_starts(name), self.odoo_starts(name), name)
        self.assert_idle("anna", "bob", "carol")

    # ------------------------------------------------------------------
    # 5. A hostile colleague
    # ------------------------------------------------------------------
    def carol_forges(self, master, attendees, **extra):
        """Carol inserts into her "Forge" calendar an event made to look like
        Anna's ``master`` (its iCalUID and times, Anna named as organiser)."""
        self.service(self.email("carol")).events().insert(
            calendarId=self.forge,
            sendUpdates="none",
            body={
                "summary": "Forged",
                "iCalUID": master["iCalUID"],
                "start": master["start"],
                "end": master["end"],
                "organizer": {"email": self.email("anna")},
                "attendees": attendees,
                **extra,
            },
        ).execute()

    def test_5a_forged_private_copy_with_the_masters_id(self):
        """Carol, a guest, puts into her synced "Forge" calendar private copies with
        the iCalUID of Anna's meeting (one also with its id), Anna named as
        organiser (Google makes Forge the organiser), Bob declined. Bob's answer
        is untouched everywhere and he keeps one event. (Her own event with the
        meeting's iCalUID is her copy of a meeting she attends: its edits count as
        hers, as her edits in Odoo would, where every employee may edit a meeting
        that is not private; README "Trust boundary".)"""
        meeting = self.single(self.anna, self.bob.partner_id, self.carol.partner_id)
        self.sync_all("anna", "bob", "carol")
        gid = self.master_id(self.anna, meeting)
        master = self.emulator.get_event_raw(self.email("anna"), gid)
        attendees = [
            {"email": self.email("anna"), "responseStatus": "accepted"},
            {"email": self.email("bob"), "responseStatus": "declined"},
            {"email": self.email("carol"), "responseStatus": "accepted"},
        ]
        self.carol_forges(master, attendees, id=gid, privateCopy=True)
        self.carol_forges(master, attendees, privateCopy=True)
        self.sync_all("carol", "anna", "bob", "carol")
        meeting.invalidate_recordset()
        self.assertEqual(self.state(meeting, "bob"), "needsAction")
        self.assertEqual(self.answers(self.email("anna"), gid)[self.email("bob")], "needsAction")
        self.assertEqual(len(self.live(self.email("bob"), meeting.name)), 1)

    def test_5b_invitation_claiming_a_meeting_he_is_not_on(self):
        """Carol invites Bob to an event in her "Forge" calendar with the id and
        iCalUID of Anna's meeting (Bob does not attend it), Anna named as
        organiser: Bob's sync does not tie him to Anna's meeting, and its list in
        Google stays Anna's."""
        meeting = self.single(self.anna, self.carol.partner_id)
        self.sync_all("anna", "carol")
        gid = self.master_id(self.anna, meeting)
        master = self.emulator.get_event_raw(self.email("anna"), gid)
        attendees = [{"email": self.email("bob"), "responseStatus": "accepted"}]
        self.carol_forges(master, attendees, id=gid)
        self.sync_all("bob", "anna", "carol", "bob")
        meeting.invalidate_recordset()
        self.assertNotIn(self.bob.partner_id, meeting.partner_ids)
        self.assertFalse(self.link(self.bob, meeting))
        self.assertEqual(
            set(self.answers(self.email("anna"), gid)), {self.email("anna"), self.email("carol")}
        )

    def invite_bob(self, attendees, title):
        """Carol, in her Google Calendar, invites Bob (and whoever is listed)."""
        carol = self.email("carol")
        start = datetime.utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=6)
        return (
            self.service(carol)
            .events()
            .insert(
                calendarId=carol,
                sendUpdates="none",
                body={
                    "summary": title,
                    "start": {"dateTime": start.strftime(GOOGLE_TIME)},
                    "end": {"dateTime": (start + timedelta(hours=1)).strftime(GOOGLE_TIME)},
                    "attendees": attendees,
                },
            )
            .execute()
        )

    def crowd(self):
        """Carol's meeting with Bob and 4,998 others (seeded: Google refuses more
        than 1,000 guests from a client, yet may hold more)."""
        crowd = [{"email": f"guest{i}.r{self.run_no}@crowd.example"} for i in range(4998)]
        start = datetime.utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=6)
        carol = self.email("carol")
        return self.emulator.add_event(
            carol,
            carol,
            {
                "summary": "Crowd",
                "start": {"dateTime": start.strftime(GOOGLE_TIME)},
                "end": {"dateTime": (start + timedelta(hours=1)).strftime(GOOGLE_TIME)},
                "attendees": [{"email": carol}, {"email": self.email("bob")}, *crowd],
            },
        )

    def test_5c_five_thousand_attendees(self):
        self.crowd()
        partners = self.env["res.partner"].search_count([])
        (report,) = self.sync_all("bob")
        self.assertFalse(report.errors, report)
        meeting = self.env["calendar.event"].search([("name", "=", "Crowd")])
        self.assertEqual(len(meeting), 1)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertLessEqual(len(meeting.partner_ids), 1000)
        self.assertIn(self.bob.partner_id, meeting.partner_ids)
        self.assertEqual(self.state(meeting, "bob"), "needsAction")
        self.assert_idle("bob")

    @unittest.expectedFailure
    def test_5c_answer_to_five_thousand_attendees(self):
        """FAILS: Bob accepts in Odoo a meeting with 5,000 guests; his push (a
        patch of his own entry, ``attendeesOmitted``) is refused by the emulator
        with 400 "Too many attendees." (it applies the 1,000-guest limit of a
        client's list to the merged list). The sync reports the error "invalid"
        at every run and the link stays in error; Google keeps needsAction.
        Whether live Google refuses such a patch is unknown."""
        gid = self.crowd()["id"]
        self.sync_all("bob")
        meeting = self.env["calendar.event"].search([("name", "=", "Crowd")])
        meeting.attendee_ids.filtered(lambda a: a.partner_id == self.bob.partner_id).with_user(
            self.bob
        ).do_accept()
        (report,) = self.sync_all("bob")
        self.assertFalse(report.errors, report)
        self.assertEqual(self.answers(self.email("carol"), gid)[self.email("bob")], "accepted")
        self.assert_idle("bob")

    def test_5d_his_address_many_times_in_different_case(self):
        bob = self.email("bob")
        # Through Google's API: Google keeps the first entry of an address.
        gid = self.invite_bob(
            [
                {"email": bob.upper(), "responseStatus": "needsAction"},
                {"email": bob, "responseStatus": "declined"},
                {"email": bob.capitalize(), "responseStatus": "accepted"},
            ],
            "Echo",
        )["id"]
        self.sync_all("bob", "bob")
        meeting = self.env["calendar.event"].search([("name", "=", "Echo")])
        self.assertEqual(len(meeting), 1)
        self.assertEqual(meeting.partner_ids, self.bob.partner_id)
        self.assertEqual(len(meeting.attendee_ids), 1)
        self.assertEqual(len(self.live(bob, "Echo")), 1)
        meeting.attendee_ids.filtered(lambda a: a.partner_id == self.bob.partner_id).with_user(
            self.bob
        ).do_decline()
        self.sync_all("bob")
        self.assertEqual(self.state(meeting, "bob"), "declined")
        answers = self.answers(self.email("carol"), gid)
        self.assertEqual(list(answers.values()).count("declined"), 1, answers)
        self.assert_idle("bob")
        # A list Google would not hold (stored as is): still one attendance.
        start = datetime.utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=8)
        self.emulator.add_event_unvalidated(
            bob,
            bob,
            {
                "summary": "Echo twice",
                "start": {"dateTime": start.strftime(GOOGLE_TIME)},
                "end": {"dateTime": (start + timedelta(hours=1)).strftime(GOOGLE_TIME)},
                "organizer": {"email": self.email("carol")},
                "attendees": [
                    {"email": bob.upper(), "responseStatus": "declined"},
                    {"email": bob, "responseStatus": "accepted"},
                    {"email": bob.capitalize(), "responseStatus": "tentative"},
                    {"email": f" {bob} ", "responseStatus": "needsAction"},
                ],
            },
        )
        (report,) = self.sync_all("bob")
        self.assertFalse(report.errors, report)
        meeting = self.env["calendar.event"].search([("name", "=", "Echo twice")])
        self.assertEqual(len(meeting), 1)
        self.assertEqual(len(meeting.attendee_ids), 1)
        self.assertEqual(meeting.partner_ids, self.bob.partner_id)

    # ------------------------------------------------------------------
    # 6. The organiser changes in Odoo
    # ------------------------------------------------------------------
    def test_6_meeting_moved_to_another_organiser(self):
        meeting = self.single(self.anna, self.bob.partner_id, self.carol.partner_id)
        self.sync_all("anna", "bob", "carol")
        gid = self.master_id(self.anna, meeting)
        meeting.with_user(self.anna).write({"user_id": self.carol.id})
        self.sync_all("anna", "carol", "bob", "anna", "carol", "bob")
        self.assertEqual(len(self.env["calendar.event"].search([("name", "=", SINGLE)])), 1)
        for name in ("anna", "bob", "carol"):
            self.assertEqual(len(self.live(self.email(name), SINGLE)), 1, name)
        # A change in Odoo still reaches everybody; nobody's answer is lost.
        meeting.attendee_ids.filtered(lambda a: a.partner_id == self.bob.partner_id).with_user(
            self.bob
        ).do_accept()
        meeting.with_user(self.carol).write({"location": "Room 9"})
        self.sync_all("carol", "anna", "bob", "carol", "anna", "bob")
        for name in ("anna", "bob", "carol"):
            events = self.live(self.email(name), SINGLE)
            self.assertEqual(len(events), 1, name)
            self.assertEqual(events[0].get("location"), "Room 9", name)
        for name in ("anna", "bob", "carol"):
            event = self.live(self.email(name), SINGLE)[0]
            self.assertEqual(self.own_answer(event, "bob"), "accepted", name)
        self.assertEqual(self.state(meeting, "bob"), "accepted")
        self.assertTrue(gid)
        self.assert_idle("anna", "bob", "carol")
