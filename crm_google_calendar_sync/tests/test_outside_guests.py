# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Meetings whose organiser does not sync, and answers given in Odoo (R4, R6 of
docs/attendees.md): a customer invites two colleagues who both sync; each holds
Google's invitation, Odoo holds one meeting, and each colleague's answer travels
both ways through his own copy. A guest's answer given in Odoo reaches Google and
is not undone by the organiser's sync. Nobody is mailed; each user acts through his
own Google client or as himself in Odoo.
"""

from datetime import datetime, timedelta

from odoo.tests import new_test_user, tagged

from ..store import user_run
from .common import GOOGLE_TIME
from .guests_common import ColleaguesCase
from .test_scheduling import IDLE_USER_STATEMENTS


@tagged("post_install", "-at_install")
class TestOutsideGuests(ColleaguesCase):
    TAG = "outside"

    def setUp(self):
        super().setUp()
        # Dave syncs a calendar "Work" only (source and target): Google still
        # invites him into his primary calendar (R3).
        email = f"dave.{self.TAG}{self.run_no}@example.com"
        self.emulator.add_account(email, time_zone="Europe/Berlin")
        self.work = self.emulator.add_calendar(email, "Work")
        self.dave = self.add_colleague("dave", sources=[self.work], target=self.work)
        self.emulator.add_account(self.customer_email)

    def sync_user(self, name):
        """One sync of the named user; it mails nobody, in Odoo or through Google."""
        mails = self.env["mail.mail"].sudo().search_count([])
        notifications = self.emulator.counters.get("notifications", 0)
        report = self.sync(self.users[name][1])
        self.assertEqual(self.env["mail.mail"].sudo().search_count([]), mails)
        self.assertEqual(self.emulator.counters.get("notifications", 0), notifications)
        return report

    def sync_all(self, *names):
        for name in names or ("anna", "bob", "carol"):
            self.sync_user(name)

    def customer_invites(self, *names, summary="Supplier call"):
        """The customer, in her own Google Calendar, invites the named colleagues."""
        start = datetime.utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=4)
        return (
            self.service(self.customer_email)
            .events()
            .insert(
                calendarId=self.customer_email,
                sendUpdates="none",
                body={
                    "summary": summary,
                    "start": {"dateTime": start.strftime(GOOGLE_TIME)},
                    "end": {"dateTime": (start + timedelta(hours=1)).strftime(GOOGLE_TIME)},
                    "attendees": [
                        {"email": self.customer_email, "responseStatus": "accepted"},
                        *({"email": self.email(name)} for name in names),
                    ],
                },
            )
            .execute()
        )

    def google_events(self, email, summary):
        return [
            item
            for item in self.emulator.list_events_raw(email)
            if item.get("summary") == summary and item.get("status") != "cancelled"
        ]

    def meetings(self, summary):
        self.env.invalidate_all()
        return (
            self.env["calendar.event"]
            .sudo()
            .with_context(active_test=True)
            .search([("name", "=", summary)])
        )

    def assert_once_everywhere(self, summary, google_id, names):
        """One Odoo meeting; one Google event with ``google_id`` for each of
        ``names``, none for the other colleagues."""
        meetings = self.meetings(summary)
        self.assertEqual(len(meetings), 1, "one Odoo meeting")
        for name in ("anna", "bob", "carol"):
            copies = self.google_events(self.email(name), summary)
            self.assertEqual(len(copies), 1 if name in names else 0, f"{name}: {copies}")
            if copies:
                self.assertEqual(copies[0]["id"], google_id)
        return meetings

    def answers(self, calendar_email, google_id):
        body = self.emulator.get_event_raw(calendar_email, google_id)
        return {entry["email"]: entry.get("responseStatus") for entry in body["attendees"]}

    def state(self, meeting, user):
        meeting.invalidate_recordset()
        return meeting.attendee_ids.filtered(lambda a: a.partner_id == user.partner_id).state

    def assert_idle(self, *names):
        for name in names:
            report = self.sync_user(name)
            self.assertFalse(report.pulled or report.pushed or report.conflicts, (name, report))

    # ------------------------------------------------------------------
    # R4: the organiser is outside Odoo
    # ------------------------------------------------------------------
    def test_customer_invites_two_colleagues_one_meeting_answers_both_ways(self):
        invitation = self.customer_invites("anna", "bob")
        gid = invitation["id"]
        self.sync_all("anna", "bob", "carol")
        meeting = self.assert_once_everywhere("Supplier call", gid, ("anna", "bob"))
        self.assertFalse(meeting.user_id)
        self.assertEqual(
            set(meeting.partner_ids.ids),
            {self.anna.partner_id.id, self.bob.partner_id.id, self.customer.id},
        )
        links = meeting.google_link_ids
        self.assertEqual(sorted(links.user_id.ids), sorted((self.anna | self.bob).ids))
        self.assertEqual(set(links.mapped("google_event_id")), {gid})
        # Bob accepts in Odoo: only his entry goes to Google, through his own copy.
        meeting.attendee_ids.filtered(lambda a: a.partner_id == self.bob.partner_id).with_user(
            self.bob
        ).do_accept()
        self.sync_all("bob", "anna", "bob")
        self.assertEqual(self.answers(self.customer_email, gid)[self.email("bob")], "accepted")
        self.assertEqual(self.state(meeting, self.bob), "accepted")
        self.assertEqual(self.state(meeting, self.anna), "needsAction")
        # Anna declines in her Google Calendar: Odoo takes it, nobody undoes it.
        self.answer_in_google("anna", gid, "declined")
        self.sync_all("anna", "bob", "anna")
        self.assertEqual(self.state(meeting, self.anna), "declined")
        self.assertEqual(self.state(meeting, self.bob), "accepted")
        self.assertEqual(self.answers(self.customer_email, gid)[self.email("anna")], "declined")
        self.assertEqual(self.answers(self.customer_email, gid)[self.email("bob")], "accepted")
        self.assert_once_everywhere("Supplier call", gid, ("anna", "bob"))
        self.sync_all()
        self.assert_idle("anna", "bob", "carol")
        # The shared fields are the customer's: her change reaches Odoo.
        self.service(self.customer_email).events().patch(
            calendarId=self.customer_email,
            eventId=gid,
            sendUpdates="none",
            body={"summary": "Supplier call (moved)"},
        ).execute()
        self.sync_all("anna", "bob")
        meeting = self.assert_once_everywhere("Supplier call (moved)", gid, ("anna", "bob"))
        self.assertEqual(self.state(meeting, self.bob), "accepted")
        self.assertEqual(self.state(meeting, self.anna), "declined")

    def test_a_colleagues_sync_does_not_undo_an_answer_given_in_odoo(self):
        gid = self.customer_invites("anna", "bob")["id"]
        self.sync_all("anna", "bob")
        meeting = self.meetings("Supplier call")
        meeting.attendee_ids.filtered(lambda a: a.partner_id == self.bob.partner_id).with_user(
            self.bob
        ).do_decline()
        # Before Bob syncs, the customer changes her meeting and Anna syncs it.
        self.service(self.customer_email).events().patch(
            calendarId=self.customer_email,
            eventId=gid,
            sendUpdates="none",
            body={"location": "Room 4"},
        ).execute()
        self.sync_all("anna")
        self.assertEqual(self.state(meeting, self.bob), "declined")
        self.sync_all("bob", "anna", "bob")
        self.assertEqual(self.state(meeting, self.bob), "declined")
        self.assertEqual(self.answers(self.customer_email, gid)[self.email("bob")], "declined")
        self.assertEqual(meeting.location, "Room 4")
        # His answer in Google comes back through his own copy only.
        self.answer_in_google("bob", gid, "tentative")
        self.sync_all("anna", "bob")
        self.assertEqual(self.state(meeting, self.bob), "tentative")
        self.sync_all()
        self.assert_idle("anna", "bob")

    def test_a_guest_deleting_the_customers_invitation_declines(self):
        gid = self.customer_invites("anna", "bob")["id"]
        self.sync_all("anna", "bob")
        self.service(self.email("bob")).events().delete(
            calendarId=self.email("bob"), eventId=gid, sendUpdates="none"
        ).execute()
        self.sync_all("bob", "anna", "bob")
        meeting = self.meetings("Supplier call")
        self.assertTrue(meeting)
        self.assertEqual(self.state(meeting, self.bob), "declined")
        self.assertEqual(self.answers(self.customer_email, gid)[self.email("bob")], "declined")
        self.assert_once_everywhere("Supplier call", gid, ("anna",))
        # He accepts again in Odoo: his answer brings his copy back (R6).
        meeting.attendee_ids.filtered(lambda a: a.partner_id == self.bob.partner_id).with_user(
            self.bob
        ).do_accept()
        self.sync_all("bob", "anna", "bob")
        self.assertEqual(self.answers(self.customer_email, gid)[self.email("bob")], "accepted")
        self.assert_once_everywhere("Supplier call", gid, ("anna", "bob"))
        self.assertEqual(self.state(meeting, self.bob), "accepted")

    def test_a_colleague_cannot_take_over_a_customers_meeting(self):
        """Carol, who is not invited, copies the customer's invitation into her
        own calendar (same id and iCalUID, the customer named as organiser, a
        private copy too): she gets no link to Bob's meeting, changes nothing."""
        invitation = self.customer_invites("anna", "bob")
        gid = invitation["id"]
        self.sync_all("anna", "bob")
        carol = self.email("carol")
        body = {
            "summary": "Forged",
            "start": invitation["start"],
            "end": invitation["end"],
            "organizer": {"email": self.customer_email},
            "attendees": [
                {"email": carol, "responseStatus": "accepted"},
                {"email": self.email("bob"), "responseStatus": "declined"},
            ],
        }
        self.service(carol).events().insert(
            calendarId=carol, body=dict(body, id=gid, iCalUID=invitation["iCalUID"])
        ).execute()
        self.service(carol).events().import_(
            calendarId=carol, body=dict(body, iCalUID=invitation["iCalUID"], privateCopy=True)
        ).execute()
        self.sync_all("carol", "anna", "bob")
        meeting = self.meetings("Supplier call")
        self.assertEqual(len(meeting), 1)
        self.assertNotIn(self.carol.partner_id, meeting.partner_ids)
        self.assertEqual(self.state(meeting, self.bob), "needsAction")
        self.assertFalse(meeting.google_link_ids.filtered(lambda link: link.user_id == self.carol))
        self.assertEqual(self.answers(self.customer_email, gid)[self.email("bob")], "needsAction")

    # ------------------------------------------------------------------
    # R2/R6: a guest's answer given in Odoo, the organiser in Odoo
    # ------------------------------------------------------------------
    def odoo_meeting(self):
        start = datetime.utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
        return (
            self.env["calendar.event"]
            .with_user(self.anna)
            .create(
                {
                    "name": "Offer review",
                    "start": start,
                    "stop": start + timedelta(hours=1),
                    "partner_ids": [(6, 0, (self.anna.partner_id | self.bob.partner_id).ids)],
                }
            )
        )

    def test_a_guests_decline_in_odoo_reaches_google_and_stays(self):
        meeting = self.odoo_meeting()
        self.sync_all("anna", "bob")
        master = meeting.google_link_ids.filtered(lambda link: link.user_id == self.anna)
        gid = master.google_event_id
        meeting.attendee_ids.filtered(lambda a: a.partner_id == self.bob.partner_id).with_user(
            self.bob
        ).do_decline()
        self.sync_all("bob", "anna", "bob", "anna")
        self.assertEqual(self.answers(self.email("anna"), gid)[self.email("bob")], "declined")
        self.assertEqual(self.state(meeting, self.bob), "declined")
        # His invitation stays in his Google, declined, as Google keeps it.
        self.assertEqual(len(self.google_events(self.email("bob"), "Offer review")), 1)
        self.sync_all()
        self.assert_idle("anna", "bob")
        self.assertEqual(self.state(meeting, self.bob), "declined")
        # He accepts again in Odoo.
        meeting.attendee_ids.filtered(lambda a: a.partner_id == self.bob.partner_id).with_user(
            self.bob
        ).do_accept()
        self.sync_all("bob", "anna", "bob")
        self.assertEqual(self.answers(self.email("anna"), gid)[self.email("bob")], "accepted")
        self.assertEqual(self.state(meeting, self.bob), "accepted")
        self.assert_once_everywhere("Offer review", gid, ("anna", "bob"))

    # ------------------------------------------------------------------
    # R3: invitations reach the primary calendar, which he does not sync
    # ------------------------------------------------------------------
    def test_invitations_outside_the_synced_calendars_are_linked(self):
        dave = self.email("dave")
        personal = self.seed_google_event(dave, dave, "Dentist", 2)
        meeting = self.odoo_meeting()
        meeting.with_user(self.anna).write({"partner_ids": [(4, self.dave.partner_id.id)]})
        # Dave syncs before Anna's master exists: a copy of his own in "Work".
        self.sync_all("dave")
        self.assertEqual(len(self.google_events(self.work, "Offer review")), 1)
        self.sync_all("anna", "dave", "anna", "dave")
        gid = meeting.google_link_ids.filtered(lambda link: link.user_id == self.anna)
        gid = gid.google_event_id
        # His invitation in his primary calendar is linked, his own copy is gone.
        self.assertEqual([e["id"] for e in self.google_events(dave, "Offer review")], [gid])
        self.assertFalse(self.google_events(self.work, "Offer review"))
        link = (
            self.env["crm.google.event.link"]
            .sudo()
            .search([("user_id", "=", self.dave.id), ("event_id", "=", meeting.id)])
        )
        self.assertEqual(len(link), 1)
        self.assertTrue(link.guest_copy)
        self.assertEqual(link.calendar_id.google_id, dave)
        # Nothing else comes from his primary calendar.
        self.assertFalse(self.meetings("Dentist"))
        self.assertFalse(
            self.env["crm.google.event.link"]
            .sudo()
            .search([("google_event_id", "=", personal["id"])])
        )
        # His answers travel both ways.
        meeting.attendee_ids.filtered(lambda a: a.partner_id == self.dave.partner_id).with_user(
            self.dave
        ).do_accept()
        self.sync_all("dave", "anna")
        self.assertEqual(self.answers(self.email("anna"), gid)[dave], "accepted")
        self.answer_in_google("dave", gid, "tentative")
        self.sync_all("dave", "anna")
        self.assertEqual(self.state(meeting, self.dave), "tentative")
        self.assertEqual(self.answers(self.email("anna"), gid)[dave], "tentative")
        self.sync_all("anna", "dave")
        self.assert_idle("anna", "dave")
        written = self.rows_written_by(lambda: self.sync_user("dave"))
        self.assertFalse(written, written)
        # Idle, his primary calendar costs one list more, and two statements: its
        # calendar row and the project quota's booking of that list.
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        ran, report = user_run.sync_user(self.env, self.users["dave"][1].id)
        queries = self.env.cr.sql_log_count - before
        self.assertTrue(ran)
        self.assertFalse(report.changed_anything)
        self.assertLessEqual(queries, IDLE_USER_STATEMENTS + 2)

    def test_a_customers_invitation_outside_the_synced_calendars(self):
        dave = self.email("dave")
        gid = self.customer_invites("anna", "dave")["id"]
        self.sync_all("anna", "dave", "anna", "dave")
        meeting = self.assert_once_everywhere("Supplier call", gid, ("anna",))
        self.assertEqual([e["id"] for e in self.google_events(dave, "Supplier call")], [gid])
        self.assertFalse(self.google_events(self.work, "Supplier call"))
        meeting.attendee_ids.filtered(lambda a: a.partner_id == self.dave.partner_id).with_user(
            self.dave
        ).do_decline()
        self.sync_all("dave", "anna")
        self.assertEqual(self.answers(self.customer_email, gid)[dave], "declined")
        self.assertEqual(self.state(meeting, self.dave), "declined")
        self.answer_in_google("dave", gid, "accepted")
        self.sync_all("dave", "anna")
        self.assertEqual(self.state(meeting, self.dave), "accepted")
        self.assertFalse(self.google_events(self.work, "Supplier call"))
        self.assert_idle("anna", "dave")

    # ------------------------------------------------------------------
    # R4: the Odoo organiser has no Google connection
    # ------------------------------------------------------------------
    def erin_meeting(self):
        """Erin, an Odoo user without Google, organises a meeting with Bob, Carol
        and the customer."""
        erin = new_test_user(self.env, login="gcal_outside_erin", groups="base.group_user")
        erin_email = self.email("anna").replace("anna.", "erin.")
        erin.partner_id.email = erin_email
        self.emulator.add_account(erin_email)
        self.users["erin"] = (erin, None, erin_email)
        start = datetime.utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=5)
        meeting = (
            self.env["calendar.event"]
            .with_user(erin)
            .create(
                {
                    "name": "Team lunch",
                    "start": start,
                    "stop": start + timedelta(hours=1),
                    "partner_ids": [
                        (
                            6,
                            0,
                            (
                                erin.partner_id
                                | self.bob.partner_id
                                | self.carol.partner_id
                                | self.customer
                            ).ids,
                        )
                    ],
                }
            )
        )
        return erin, meeting

    def erin_connects(self, erin):
        token = self.consent(erin, self.email("erin"))
        self.users["erin"] = (erin, token, self.email("erin"))

    def test_an_organiser_without_google_then_connecting(self):
        erin, meeting = self.erin_meeting()
        erin_email = self.email("erin")
        self.sync_all("bob", "carol", "bob", "carol")
        copies = {}
        for name in ("bob", "carol"):
            events = self.google_events(self.email(name), "Team lunch")
            self.assertEqual(len(events), 1, (name, events))
            copies[name] = events[0]
            # A private copy with the attendees: Google invites nobody.
            self.assertTrue(events[0].get("privateCopy"))
            listed = {entry["email"] for entry in events[0]["attendees"]}
            self.assertEqual(
                listed, {erin_email, self.email("bob"), self.email("carol"), self.customer_email}
            )
        self.assertNotEqual(copies["bob"]["id"], copies["carol"]["id"])
        self.assertFalse(self.emulator.list_events_raw(self.customer_email))
        # Erin's change reaches both copies; Bob edits his copy in Google: it is
        # his own (made by the sync), so the change comes to Odoo and to Carol.
        meeting.with_user(erin).write({"location": "Canteen"})
        self.sync_all("bob", "carol")
        for name in ("bob", "carol"):
            self.assertEqual(
                self.google_events(self.email(name), "Team lunch")[0]["location"], "Canteen"
            )
        self.service(self.email("bob")).events().patch(
            calendarId=self.email("bob"), eventId=copies["bob"]["id"], body={"location": "Roof"}
        ).execute()
        self.sync_all("bob", "carol")
        meeting.invalidate_recordset()
        self.assertEqual(meeting.location, "Roof")
        self.assertEqual(
            self.google_events(self.email("carol"), "Team lunch")[0]["location"], "Roof"
        )
        self.assert_idle("bob", "carol")
        # Erin connects: her sync creates the master, the colleagues link its
        # invitations and their private copies go.
        self.erin_connects(erin)
        self.sync_all("erin", "bob", "carol", "bob", "carol")
        master = (
            self.env["crm.google.event.link"]
            .sudo()
            .search([("user_id", "=", erin.id), ("event_id", "=", meeting.id)])
        )
        self.assertEqual(len(master), 1)
        for name in ("erin", "bob", "carol"):
            events = self.google_events(self.email(name), "Team lunch")
            self.assertEqual([e["id"] for e in events], [master.google_event_id], name)
        for name in ("bob", "carol"):
            gone = self.emulator.get_event_raw(self.email(name), copies[name]["id"])
            self.assertEqual(gone["status"], "cancelled")
        self.assertEqual(len(self.meetings("Team lunch")), 1)
        self.sync_all("erin", "bob", "carol")
        self.assert_idle("erin", "bob", "carol")

    def test_copies_pushed_before_get_no_list_then_give_way_to_the_master(self):
        """A copy pushed as an ordinary event (before this rule, or while the
        organiser was connected) does not get the list: Google would invite
        everybody on it. It gives way to the master once there is one."""
        erin, meeting = self.erin_meeting()
        self.erin_connects(erin)
        # Bob syncs before Erin ever does: a copy of his own, as before.
        self.sync_all("bob")
        old = self.google_events(self.email("bob"), "Team lunch")
        self.assertEqual(len(old), 1)
        self.assertFalse(old[0].get("attendees"))
        # Erin disconnects before her first sync.
        erin.with_user(erin).action_google_sync_revoke()
        self.assertFalse(self.env["crm.google.token"].search([("user_id", "=", erin.id)]))
        meeting.with_user(erin).write({"location": "Canteen"})
        self.sync_all("bob", "carol", "bob", "carol")
        bob_copy = self.google_events(self.email("bob"), "Team lunch")
        self.assertEqual([e["id"] for e in bob_copy], [old[0]["id"]])
        self.assertFalse(bob_copy[0].get("attendees"))
        self.assertEqual(bob_copy[0]["location"], "Canteen")
        carol_copy = self.google_events(self.email("carol"), "Team lunch")
        self.assertEqual(len(carol_copy), 1)
        self.assertTrue(carol_copy[0].get("privateCopy"))
        self.assertFalse(self.emulator.list_events_raw(self.customer_email))
        self.assertEqual(len(self.meetings("Team lunch").partner_ids), 4)
        self.assert_idle("bob", "carol")
        # Erin connects again and syncs: one event per person, the master's.
        self.erin_connects(erin)
        self.sync_all("erin", "bob", "carol", "bob", "carol")
        master = (
            self.env["crm.google.event.link"]
            .sudo()
            .search([("user_id", "=", erin.id), ("event_id", "=", meeting.id)])
        )
        for name in ("erin", "bob", "carol"):
            events = self.google_events(self.email(name), "Team lunch")
            self.assertEqual([e["id"] for e in events], [master.google_event_id], name)
        self.assertEqual(len(self.meetings("Team lunch").partner_ids), 4)

    def test_a_colleague_cannot_slip_a_forged_copy_into_a_victims_calendar(self):
        """Carol, not invited, invites Bob and Dave (who reads his primary calendar
        for invitations only) to events of hers that copy the customer's meeting
        (its iCalUID, the customer named as organiser, a private copy claimed)
        before their first sync: they link the customer's invitation only, and
        the meeting keeps the customer's fields and answers."""
        invitation = self.customer_invites("anna", "bob", "dave")
        gid = invitation["id"]
        self.sync_all("anna")
        carol = self.email("carol")
        for extra in ({}, {"privateCopy": True}):
            self.service(carol).events().insert(
                calendarId=carol,
                sendUpdates="none",
                body={
                    "summary": "Forged",
                    "iCalUID": invitation["iCalUID"],
                    "start": invitation["start"],
                    "end": invitation["end"],
                    "organizer": {"email": self.customer_email},
                    "attendees": [
                        {"email": self.email("bob"), "responseStatus": "accepted"},
                        {"email": self.email("dave"), "responseStatus": "accepted"},
                    ],
                    **extra,
                },
            ).execute()
        self.sync_all("carol", "bob", "dave", "anna", "bob", "dave")
        meeting = self.meetings("Supplier call")
        self.assertEqual(len(meeting), 1)
        # (Carol's invitation is a meeting of its own for Bob, as any invitation.)
        self.assertNotIn(
            gid, self.meetings("Forged").sudo().google_link_ids.mapped("google_event_id")
        )
        links = self.env["crm.google.event.link"].sudo().search([("event_id", "=", meeting.id)])
        self.assertEqual(set(links.mapped("google_event_id")), {gid})
        self.assertNotIn(self.carol.partner_id, meeting.partner_ids)
        self.assertEqual(self.state(meeting, self.bob), "needsAction")
        # Bob's answer goes to the customer's event, not to Carol's.
        meeting.attendee_ids.filtered(lambda a: a.partner_id == self.bob.partner_id).with_user(
            self.bob
        ).do_decline()
        self.sync_all("bob")
        self.assertEqual(self.answers(self.customer_email, gid)[self.email("bob")], "declined")
