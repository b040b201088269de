# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Two syncing colleagues and an external customer at one meeting (R1, R2, R5 of
docs/attendees.md): the organiser's sync holds the Google master with the attendees,
the guest's sync links Google's invitation in his primary calendar instead of pushing
a copy of his own, answers travel both ways, and after every step each side holds the
meeting once: one Odoo meeting, one Google event per participant. Nobody is mailed.
Each user acts through his own Google client or as himself in Odoo.
"""

from datetime import datetime, timedelta

from odoo.tests import tagged

from .guests_common import ColleaguesCase


@tagged("post_install", "-at_install")
class TestAttendeeGuests(ColleaguesCase):
    TAG = "guest"

    def sync_user(self, name):
        """One sync of the named user; it mails nobody, in Odoo or through Google."""
        _user, token, _email = self.users[name]
        mails = self.env["mail.mail"].sudo().search_count([])
        report = self.sync(token)
        self.assertEqual(self.env["mail.mail"].sudo().search_count([]), mails)
        self.assertEqual(self.emulator.counters.get("notifications", 0), self.notifications)
        return report

    def sync_all(self, *names):
        for name in names or ("anna", "bob", "carol"):
            self.sync_user(name)

    def meeting(self, *partners, name="Offer review"):
        start = datetime.utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
        return (
            self.env["calendar.event"]
            .with_user(self.anna)
            .create(
                {
                    "name": name,
                    "start": start,
                    "stop": start + timedelta(hours=1),
                    "partner_ids": [(6, 0, (self.anna.partner_id | partners[0]).ids)]
                    if len(partners) == 1
                    else [(6, 0, [self.anna.partner_id.id, *(p.id for p in partners)])],
                }
            )
        )

    def google_events(self, name, summary):
        """The confirmed events of ``summary`` in the user's primary calendar."""
        email = self.users[name][2]
        return [
            item
            for item in self.emulator.list_events_raw(email)
            if item.get("summary") == summary and item.get("status") != "cancelled"
        ]

    def assert_once_everywhere(self, summary, names):
        """One Odoo meeting; one Google event (the master's id) for each of
        ``names``; none for the others."""
        self.env.invalidate_all()
        meetings = (
            self.env["calendar.event"]
            .sudo()
            .with_context(active_test=True)
            .search([("name", "=", summary)])
        )
        self.assertEqual(len(meetings), 1, "one Odoo meeting")
        master = meetings.google_link_ids.filtered(lambda link: link.user_id == self.anna)
        for name in ("anna", "bob", "carol"):
            copies = self.google_events(name, summary)
            expected = 1 if name in names else 0
            self.assertEqual(len(copies), expected, f"{name}'s Google: {copies}")
            if copies:
                self.assertEqual(copies[0]["id"], master.google_event_id)
        return meetings

    def attendance(self, meeting, who):
        """The attendance of a user or a contact."""
        partner = who.partner_id if who._name == "res.users" else who
        return meeting.attendee_ids.filtered(lambda a: a.partner_id == partner)

    def master_answers(self, meeting):
        email = self.users["anna"][2]
        link = meeting.google_link_ids.filtered(lambda link: link.user_id == self.anna)
        body = self.emulator.get_event_raw(email, link.google_event_id)
        return {entry["email"]: entry.get("responseStatus") for entry in body["attendees"]}

    # ------------------------------------------------------------------
    def test_guest_links_the_invitation_and_answers_travel_both_ways(self):
        meeting = self.meeting(self.bob.partner_id, self.customer)
        self.sync_all("anna", "bob", "carol")
        meeting = self.assert_once_everywhere("Offer review", ("anna", "bob"))
        guest = meeting.google_link_ids.filtered(lambda link: link.user_id == self.bob)
        self.assertTrue(guest.guest_copy)
        # Bob accepts in Odoo, as himself: his invitation carries it to the master.
        self.attendance(meeting, self.bob).with_user(self.bob).do_accept()
        self.sync_all("bob")
        bob_email = self.users["bob"][2]
        self.assertEqual(self.master_answers(meeting)[bob_email], "accepted")
        self.sync_all()
        self.assert_once_everywhere("Offer review", ("anna", "bob"))
        # He declines in Google: his answer comes back to Odoo.
        self.answer_in_google("bob", self.google_events("bob", meeting.name)[0]["id"], "declined")
        self.sync_all("bob", "anna")
        meeting.invalidate_recordset()
        self.assertEqual(self.attendance(meeting, self.bob).state, "declined")
        self.assertEqual(self.master_answers(meeting)[bob_email], "declined")
        self.sync_all()
        self.assert_once_everywhere("Offer review", ("anna", "bob"))
        # The customer answers Google's invitation: the master shows it, Odoo takes it.
        anna_email = self.users["anna"][2]
        master = meeting.google_link_ids.filtered(lambda link: link.user_id == self.anna)
        body = self.emulator.get_event_raw(anna_email, master.google_event_id)
        attendees = [
            dict(entry, responseStatus="accepted")
            if entry["email"] == self.customer_email
            else entry
            for entry in body["attendees"]
        ]
        self.service(anna_email).events().patch(
            calendarId=anna_email, eventId=master.google_event_id, body={"attendees": attendees}
        ).execute()
        self.sync_all("anna", "bob")
        meeting.invalidate_recordset()
        self.assertEqual(self.attendance(meeting, self.customer).state, "accepted")
        self.assertEqual(self.attendance(meeting, self.bob).state, "declined")
        self.assert_once_everywhere("Offer review", ("anna", "bob"))
        for name in ("anna", "bob"):
            report = self.sync_user(name)
            self.assertFalse(report.pulled or report.pushed or report.conflicts, (name, report))

    def test_a_colleague_added_and_removed_in_odoo(self):
        meeting = self.meeting(self.customer)
        self.sync_all()
        self.assert_once_everywhere("Offer review", ("anna",))
        meeting.with_user(self.anna).write({"partner_ids": [(4, self.carol.partner_id.id)]})
        self.sync_all()
        self.assert_once_everywhere("Offer review", ("anna", "carol"))
        self.sync_all()
        self.assert_once_everywhere("Offer review", ("anna", "carol"))
        meeting.with_user(self.anna).write({"partner_ids": [(3, self.carol.partner_id.id)]})
        self.sync_all()
        self.assert_once_everywhere("Offer review", ("anna",))
        self.assertFalse(
            self.env["crm.google.event.link"].sudo().search([("user_id", "=", self.carol.id)])
        )

    def test_a_guests_own_copy_from_before_moves_to_the_invitation(self):
        meeting = self.meeting(self.bob.partner_id)
        # Bob syncs before Anna's master exists: a copy of his own, as before.
        self.sync_all("bob")
        own = self.google_events("bob", "Offer review")
        self.assertEqual(len(own), 1)
        self.sync_all("anna", "bob")
        self.assert_once_everywhere("Offer review", ("anna", "bob"))
        self.assertEqual(
            self.emulator.get_event_raw(own[0]["organizer"]["email"], own[0]["id"])["status"],
            "cancelled",
        )
        self.sync_all()
        self.assert_once_everywhere("Offer review", ("anna", "bob"))
        self.assertTrue(meeting.active)

    def test_a_guests_edit_in_odoo_reaches_everybody_through_the_master(self):
        meeting = self.meeting(self.bob.partner_id)
        self.sync_all("anna", "bob")
        meeting.with_user(self.bob).write({"name": "Offer review (moved)"})
        self.sync_all("bob", "anna", "bob")
        for name in ("anna", "bob"):
            self.assertEqual(len(self.google_events(name, "Offer review (moved)")), 1, name)
        self.assert_once_everywhere("Offer review (moved)", ("anna", "bob"))
        for name in ("anna", "bob"):
            report = self.sync_user(name)
            self.assertFalse(report.pulled or report.pushed or report.conflicts, (name, report))

    def test_shared_fields_in_a_guests_copy_are_not_applied(self):
        meeting = self.meeting(self.bob.partner_id)
        self.sync_all("anna", "bob")
        bob_email = self.users["bob"][2]
        gid = self.google_events("bob", "Offer review")[0]["id"]
        # Without guestsCanModify Google keeps this in Bob's copy only.
        self.service(bob_email).events().patch(
            calendarId=bob_email, eventId=gid, body={"summary": "Bob's own title"}
        ).execute()
        self.sync_all("bob", "anna")
        meeting.invalidate_recordset()
        self.assertEqual(meeting.name, "Offer review")

    def test_a_colleague_cannot_forge_an_invitation(self):
        meeting = self.meeting(self.bob.partner_id)
        self.sync_all("anna", "bob")
        master = meeting.google_link_ids.filtered(lambda link: link.user_id == self.anna)
        carol_email = self.users["carol"][2]
        copy = self.emulator.get_event_raw(self.users["anna"][2], master.google_event_id)
        # Carol, who does not attend, puts an event with the master's id and
        # iCalUID into her own calendar, naming Anna as organiser where she can.
        self.service(carol_email).events().insert(
            calendarId=carol_email,
            body={
                "id": master.google_event_id,
                "iCalUID": copy["iCalUID"],
                "summary": "Forged",
                "start": copy["start"],
                "end": copy["end"],
                "organizer": {"email": self.users["anna"][2]},
                "attendees": [{"email": carol_email, "responseStatus": "accepted"}],
            },
        ).execute()
        self.sync_all("carol", "anna", "bob")
        meeting.invalidate_recordset()
        self.assertEqual(meeting.name, "Offer review")
        self.assertNotIn(self.carol.partner_id, meeting.partner_ids)
        self.assertFalse(
            meeting.sudo().google_link_ids.filtered(lambda link: link.user_id == self.carol)
        )
        self.assert_once_everywhere("Offer review", ("anna", "bob"))

    def test_a_guest_deleting_his_invitation_declines_and_can_accept_again(self):
        meeting = self.meeting(self.bob.partner_id)
        self.sync_all("anna", "bob")
        bob_email = self.users["bob"][2]
        gid = self.google_events("bob", "Offer review")[0]["id"]
        # Deleting his invitation in Google declines him (R6); the meeting stays.
        self.service(bob_email).events().delete(calendarId=bob_email, eventId=gid).execute()
        self.sync_all("bob", "anna", "bob")
        meeting.invalidate_recordset()
        self.assertTrue(meeting.active)
        self.assertEqual(self.attendance(meeting, self.bob).state, "declined")
        self.assertEqual(self.master_answers(meeting)[bob_email], "declined")
        self.assert_once_everywhere("Offer review", ("anna",))
        # He accepts again in Odoo: the master brings his invitation back.
        self.attendance(meeting, self.bob).with_user(self.bob).do_accept()
        self.sync_all("bob", "anna", "bob")
        self.assertEqual(self.master_answers(meeting)[bob_email], "accepted")
        self.assert_once_everywhere("Offer review", ("anna", "bob"))
        self.sync_all()
        self.assert_once_everywhere("Offer review", ("anna", "bob"))

    def test_a_guests_decline_in_odoo_goes_through_his_own_invitation(self):
        """His decline reaches the master through his own patch, with no sync of the
        organiser in between (she may be away for days), and only once."""
        meeting = self.meeting(self.bob.partner_id, self.customer)
        self.sync_all("anna", "bob")
        bob_email = self.users["bob"][2]
        self.attendance(meeting, self.bob).with_user(self.bob).do_decline()
        report = self.sync_user("bob")
        self.assertEqual(report.pushed, 1, report)
        self.assertEqual(self.master_answers(meeting)[bob_email], "declined")
        # His invitation stays in his calendar, declined, as in Google.
        self.assertEqual(len(self.google_events("bob", "Offer review")), 1)
        report = self.sync_user("bob")
        self.assertFalse(report.pulled or report.pushed, report)
        # The organiser's sync agrees and leaves it; accepting again goes the same way.
        self.sync_user("anna")
        self.assertEqual(self.master_answers(meeting)[bob_email], "declined")
        self.attendance(meeting, self.bob).with_user(self.bob).do_accept()
        self.sync_user("bob")
        self.assertEqual(self.master_answers(meeting)[bob_email], "accepted")
        self.sync_all("anna", "bob")
        meeting.invalidate_recordset()
        self.assertEqual(self.attendance(meeting, self.bob).state, "accepted")
        self.assert_once_everywhere("Offer review", ("anna", "bob"))
