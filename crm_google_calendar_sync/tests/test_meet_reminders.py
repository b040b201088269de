# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A Google Meet asked for from Odoo (R8) and reminders from the master only (R2 of
docs/attendees.md), with two colleagues, each with his own Google account: the
organiser's button, Google's answer (at once or ``pending``), a retried request, a
colleague who tries the button on someone else's meeting; a guest's own reminders
that stay his. Google changes go through each user's own client; nobody is mailed."""

import itertools
from datetime import datetime, timedelta

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import SyncCase


def google_time(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@tagged("post_install", "-at_install")
class TestMeetAndReminders(SyncCase):
    _accounts = itertools.count(1)

    def setUp(self):
        super().setUp()
        run = next(self._accounts)
        self.users = {}
        for name in ("anna", "bob"):
            email = f"{name}.meet{run}@example.com"
            user, token = self.connect_user(f"gcal_meet_{name}", email)
            user.partner_id.email = email
            self.users[name] = (user, token, email)
        self.anna, self.bob = self.users["anna"][0], self.users["bob"][0]
        self.start = datetime.utcnow().replace(microsecond=0, second=0, minute=0) + timedelta(
            days=3
        )
        self.notifications = self.emulator.counters.get("notifications", 0)
        self.addCleanup(setattr, self.emulator, "conference_create_pending", False)

    def sync_user(self, name):
        """One sync of the named user; it mails nobody, in Odoo or through Google."""
        mails = self.env["mail.mail"].sudo().search_count([])
        report = self.sync(self.users[name][1])
        self.assertEqual(self.env["mail.mail"].sudo().search_count([]), mails)
        self.assertEqual(self.emulator.counters.get("notifications", 0), self.notifications)
        return report

    def assert_idle(self, name):
        """The user's next cycle writes nothing on either side (no echo)."""
        self.emulator.reset_requests()
        report = self.sync_user(name)
        self.assertFalse(report.pulled or report.pushed or report.conflicts, report)
        self.assertFalse(self.writes())

    def writes(self, call=None):
        return [
            r
            for r in self.emulator.requests
            if r.method in ("POST", "PATCH", "PUT")
            and r.api_call not in ("events.list", "batch")
            and (call is None or r.api_call == call)
        ]

    def google_copy(self, name, meeting):
        user, _token, email = self.users[name]
        link = meeting.google_link_ids.filtered(lambda link: link.user_id == user)
        self.assertEqual(len(link), 1)
        return self.emulator.get_event_raw(email, link.google_event_id)

    def meeting(self, name, *partners, **values):
        return (
            self.env["calendar.event"]
            .with_user(self.anna)
            .create(
                {
                    "name": name,
                    "start": self.start,
                    "stop": self.start + timedelta(hours=1),
                    "partner_ids": [(6, 0, [self.anna.partner_id.id, *(p.id for p in partners)])],
                    **values,
                }
            )
        )

    # ------------------------------------------------------------------
    # A new Meet from Odoo (R8)
    # ------------------------------------------------------------------
    def test_organiser_adds_a_google_meet_and_gets_its_link(self):
        meeting = self.meeting("Angebot besprechen", self.bob.partner_id)
        self.sync_user("anna")
        self.sync_user("bob")
        own = meeting.with_user(self.anna)
        self.assertTrue(own.google_meet_available)
        self.assertFalse(meeting.with_user(self.bob).google_meet_available)
        own.action_google_add_meet()
        self.assertFalse(own.google_meet_available, "asked once, the button goes")
        self.assertIn("Google Meet requested", own.google_sync_details)
        self.emulator.reset_requests()
        self.sync_user("anna")
        [patch] = self.writes("events.patch")
        self.assertEqual(patch.query.get("conferenceDataVersion"), "1")
        request = patch.body["conferenceData"]["createRequest"]
        self.assertEqual(request["conferenceSolutionKey"], {"type": "hangoutsMeet"})
        self.assertTrue(request["requestId"].startswith(f"odoo-meet-{meeting.id}-"))
        copy = self.google_copy("anna", meeting)
        self.assertTrue(copy["hangoutLink"].startswith("https://meet.google.com/"))
        # Google's answer is the meeting's video link at once, and the request is done.
        self.assertEqual(meeting.videocall_location, copy["hangoutLink"])
        self.assertFalse(meeting.sudo().google_meet_request)
        self.assertIn("Google Meet of the Google event", own.google_sync_details)
        self.assert_idle("anna")
        # Bob's invitation carries the same conference; his sync changes nothing.
        bob_copy = self.emulator.get_event_raw(self.users["bob"][2], copy["id"])
        self.assertEqual(bob_copy["hangoutLink"], copy["hangoutLink"])
        self.sync_user("bob")
        self.assert_idle("bob")
        self.assertEqual(meeting.videocall_location, copy["hangoutLink"])

    def test_a_pending_meet_comes_with_a_later_pull_and_a_retry_makes_no_second(self):
        self.emulator.conference_create_pending = True
        meeting = self.meeting("Neuer Kunde")
        own = meeting.with_user(self.anna)
        own.action_google_add_meet()
        self.sync_user("anna")  # the insert carries the request
        copy = self.google_copy("anna", meeting)
        self.assertEqual(
            copy["conferenceData"]["createRequest"]["status"], {"statusCode": "pending"}
        )
        request_id = copy["conferenceData"]["createRequest"]["requestId"]
        self.assertFalse(meeting.videocall_location)
        self.assert_idle("anna")
        # Anna renames the meeting while Google is still at it: the write repeats
        # the request, with the same id, which Google ignores.
        own.name = "Neuer Kunde (Erstgespräch)"
        self.emulator.reset_requests()
        self.sync_user("anna")
        [patch] = self.writes("events.patch")
        self.assertEqual(patch.body["conferenceData"]["createRequest"]["requestId"], request_id)
        self.assertEqual(self.emulator.complete_conference_requests(), 1)
        self.sync_user("anna")
        copy = self.google_copy("anna", meeting)
        self.assertEqual(copy["summary"], "Neuer Kunde (Erstgespräch)")
        self.assertEqual(meeting.videocall_location, copy["hangoutLink"])
        self.assertFalse(meeting.sudo().google_meet_request)
        self.assert_idle("anna")

    def test_a_colleague_cannot_ask_for_a_meet_on_someone_else_s_meeting(self):
        """Bob attends Anna's meeting and may edit it in Odoo, yet the Meet is the
        organiser's to ask for: the button refuses him, a request written over RPC is
        dropped, and his sync never sends a create request."""
        meeting = self.meeting("Internes Review", self.bob.partner_id)
        self.sync_user("anna")
        self.sync_user("bob")
        as_bob = meeting.with_user(self.bob)
        with self.assertRaises(UserError):
            as_bob.action_google_add_meet()
        as_bob.write({"google_meet_request": "odoo-meet-forged-1", "name": "Internes Review 2"})
        self.assertFalse(meeting.sudo().google_meet_request)
        self.emulator.reset_requests()
        self.sync_user("bob")
        self.sync_user("anna")
        sent = [r.body for r in self.writes() if isinstance(r.body, dict)]
        self.assertFalse([body for body in sent if "conferenceData" in body])
        self.assertNotIn("conferenceData", self.google_copy("anna", meeting))
        self.assertFalse(meeting.videocall_location)

    def test_the_button_shows_on_a_new_meeting_s_form(self):
        """The form of a meeting not saved yet offers the button to its organiser."""
        form = Form(self.env["calendar.event"].with_user(self.anna))
        form.name = "Neu im Formular"
        self.assertTrue(form.google_meet_available)
        meeting = form.save()
        self.assertTrue(meeting.with_user(self.anna).google_meet_available)

    def test_no_meet_for_a_meeting_with_a_video_link_or_a_series(self):
        linked = self.meeting("Mit Zoom", videocall_location="https://zoom.us/j/1")
        series = self.meeting("Jour fixe", recurrency=True, rrule_type="daily", count=3)
        for event in (linked, series.with_user(self.anna)):
            self.assertFalse(event.with_user(self.anna).google_meet_available)
            with self.assertRaises(UserError):
                event.with_user(self.anna).action_google_add_meet()

    # ------------------------------------------------------------------
    # Reminders from the master only (R2)
    # ------------------------------------------------------------------
    def test_a_guest_s_own_reminders_stay_his(self):
        """An invitation from a customer to Anna and Bob: Anna's sync brought it in,
        her reminders are the meeting's alarms; Bob's reminder change stays in his
        Google, is no change in Odoo and no echo."""
        anna_email, bob_email = self.users["anna"][2], self.users["bob"][2]
        customer = anna_email.replace("anna.", "kunde.").replace(
            "@example.com", "@customer.example"
        )
        self.emulator.add_account(customer)
        times = {
            "start": {"dateTime": google_time(self.start)},
            "end": {"dateTime": google_time(self.start + timedelta(hours=1))},
        }
        created = self.emulator.add_event(
            customer,
            customer,
            {
                **times,
                "summary": "Einladung vom Kunden",
                "attendees": [
                    {"email": customer, "organizer": True},
                    {"email": anna_email},
                    {"email": bob_email},
                ],
            },
        )
        event_id = created["id"]

        def set_reminders(name, minutes):
            self.service(self.users[name][2]).events().patch(
                calendarId=self.users[name][2],
                eventId=event_id,
                body={
                    "reminders": {
                        "useDefault": False,
                        "overrides": [{"method": "popup", "minutes": minutes}],
                    }
                },
            ).execute()

        set_reminders("anna", 30)
        self.sync_user("anna")
        meeting = self.env["calendar.event"].search([("name", "=", "Einladung vom Kunden")])
        self.assertEqual(len(meeting), 1)
        self.assertEqual([a.duration_minutes for a in meeting.alarm_ids], [30])
        self.sync_user("bob")
        self.assertEqual(len(meeting.google_link_ids), 2)
        # Bob wants to be reminded a day ahead, on his phone.
        set_reminders("bob", 1440)
        self.sync_user("bob")
        self.assertEqual([a.duration_minutes for a in meeting.alarm_ids], [30])
        bob_copy = self.emulator.get_event_raw(bob_email, event_id)
        self.assertEqual(bob_copy["reminders"]["overrides"], [{"method": "popup", "minutes": 1440}])
        self.assert_idle("bob")
        self.assert_idle("anna")
        # Anna changes hers: the meeting's alarms follow the master.
        set_reminders("anna", 10)
        self.sync_user("anna")
        self.assertEqual([a.duration_minutes for a in meeting.alarm_ids], [10])
        self.sync_user("bob")
        bob_copy = self.emulator.get_event_raw(bob_email, event_id)
        self.assertEqual(bob_copy["reminders"]["overrides"], [{"method": "popup", "minutes": 1440}])
        self.assert_idle("bob")

    # ------------------------------------------------------------------
    # Followers of imported meetings (one subscription per attendee)
    # ------------------------------------------------------------------
    def test_imported_attendees_follow_their_meetings_as_odoo_makes_them(self):
        """The sync subscribes a page's attendees at once: each meeting still gets
        exactly its own attendees as followers, as Odoo's create makes them."""
        anna_email = self.users["anna"][2]
        contacts = self.env["res.partner"].create(
            [
                {"name": "Kunde Eins", "email": f"eins.{anna_email}"},
                {"name": "Kunde Zwei", "email": f"zwei.{anna_email}"},
            ]
        )
        attendee_sets = (contacts, contacts[:1], contacts[1:] | self.bob.partner_id)
        for index, partners in enumerate(attendee_sets):
            start = self.start + timedelta(days=index)
            self.service(anna_email).events().insert(
                calendarId=anna_email,
                sendUpdates="none",
                body={
                    "summary": f"Folgetermin {index}",
                    "start": {"dateTime": google_time(start)},
                    "end": {"dateTime": google_time(start + timedelta(hours=1))},
                    "attendees": [
                        {"email": anna_email, "responseStatus": "accepted"},
                        *({"email": p.email} for p in partners),
                    ],
                },
            ).execute()
        self.sync_user("anna")
        for index, expected in enumerate(attendee_sets):
            meeting = self.env["calendar.event"].search([("name", "=", f"Folgetermin {index}")])
            self.assertEqual(len(meeting), 1)
            self.assertEqual(meeting.partner_ids, expected | self.anna.partner_id)
            # (Odoo never subscribes the user who creates the attendances, here Anna)
            self.assertEqual(meeting.message_partner_ids, expected)
