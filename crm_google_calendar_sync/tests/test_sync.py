# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Two-way sync scenarios through the cron entry point, against the emulator."""

from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged

from .common import EmulatorMixin


def _google_time(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


@tagged("post_install", "-at_install")
class TestSync(EmulatorMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice, cls.alice_token = cls.connect_user("gcal_alice", "alice@example.com")

    def setUp(self):
        super().setUp()
        # Cron cursors share the test transaction.
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        self.emulator.faults.clear()

    def sync(self, token=None):
        token = token or self.alice_token
        token.next_sync = False
        # The cron works in a cursor of its own: hand it what this test wrote.
        self.env.flush_all()
        ran, report = self.env["crm.google.token"]._sync_token_isolated(token.id)
        self.assertTrue(ran)
        self.env.invalidate_all()
        return report

    def events_of(self, user):
        return self.env["calendar.event"].search([("partner_ids", "in", user.partner_id.ids)])

    def test_pull_push_and_idle(self):
        now = datetime.utcnow().replace(microsecond=0, second=0)
        self.emulator.add_event(
            "alice@example.com",
            "alice@example.com",
            {
                "summary": "Kick-off",
                "description": "Line one\nLine two",
                "location": "Berlin",
                "start": {"dateTime": _google_time(now + timedelta(days=1))},
                "end": {"dateTime": _google_time(now + timedelta(days=1, hours=1))},
            },
        )
        self.sync()
        event = self.events_of(self.alice).filtered(lambda e: e.name == "Kick-off")
        self.assertEqual(len(event), 1)
        self.assertEqual(event.location, "Berlin")
        self.assertEqual(event.start, now + timedelta(days=1))
        link = event.google_link_ids
        self.assertEqual(len(link), 1)

        # An Odoo meeting goes to the target calendar with a deterministic id.
        meeting = (
            self.env["calendar.event"]
            .with_user(self.alice)
            .create(
                {
                    "name": "Angebot besprechen",
                    "start": fields.Datetime.to_string(now + timedelta(days=2)),
                    "stop": fields.Datetime.to_string(now + timedelta(days=2, hours=2)),
                    "partner_ids": [(6, 0, self.alice.partner_id.ids)],
                }
            )
        )
        self.emulator.reset_requests()
        self.sync()
        self.assertEqual(len(meeting.google_link_ids), 1)
        google_id = meeting.google_link_ids.google_event_id
        pushed = self.emulator.get_event_raw("alice@example.com", google_id)
        self.assertEqual(pushed["summary"], "Angebot besprechen")
        writes = [r for r in self.emulator.requests if r.method in ("POST", "PATCH", "PUT")]
        self.assertTrue(all(r.query.get("sendUpdates") == "none" for r in writes if r.in_batch))

        # Idle: one list per calendar, no writes anywhere.
        self.emulator.reset_requests()
        self.sync()
        calls = [r.api_call for r in self.emulator.requests if r.api_call]
        self.assertEqual(calls.count("events.list"), 1, calls)
        self.assertNotIn("events.insert", calls)
        self.assertNotIn("events.patch", calls)

    def test_google_edit_and_delete_flow_back(self):
        start = datetime.utcnow().replace(microsecond=0, second=0) + timedelta(days=3)
        body = self.emulator.add_event(
            "alice@example.com",
            "alice@example.com",
            {
                "summary": "Original",
                "start": {"dateTime": _google_time(start)},
                "end": {"dateTime": _google_time(start + timedelta(hours=1))},
            },
        )
        self.sync()
        event = self.events_of(self.alice).filtered(lambda e: e.name == "Original")
        self.assertTrue(event)
        google_id = body["id"]
        client = self.alice_token._google_client()
        client.service.events().patch(
            calendarId="alice@example.com", eventId=google_id, body={"summary": "Renamed"}
        ).execute()
        self.sync()
        self.assertEqual(event.name, "Renamed")
        client.service.events().delete(calendarId="alice@example.com", eventId=google_id).execute()
        self.sync()
        self.assertFalse(event.active)

    def test_odoo_edit_and_delete_reach_google(self):
        start = datetime.utcnow().replace(microsecond=0, second=0) + timedelta(days=4)
        meeting = (
            self.env["calendar.event"]
            .with_user(self.alice)
            .create(
                {
                    "name": "Budget",
                    "start": fields.Datetime.to_string(start),
                    "stop": fields.Datetime.to_string(start + timedelta(hours=1)),
                    "partner_ids": [(6, 0, self.alice.partner_id.ids)],
                }
            )
        )
        self.sync()
        google_id = meeting.google_link_ids.google_event_id
        meeting.with_user(self.alice).write({"name": "Budget 2027", "location": "Raum 1"})
        self.sync()
        google = self.emulator.get_event_raw("alice@example.com", google_id)
        self.assertEqual((google["summary"], google["location"]), ("Budget 2027", "Raum 1"))
        meeting.with_user(self.alice).unlink()
        self.sync()
        self.assertEqual(
            self.emulator.get_event_raw("alice@example.com", google_id)["status"], "cancelled"
        )
        self.assertFalse(
            self.env["crm.google.event.link"].search([("google_event_id", "=", google_id)])
        )
