# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Attendees both ways (docs/attendees.md, R1 and R5): the Odoo organiser's sync
carries the meeting's attendees and their answers to Google, Google's attendees come
back matched to contacts by address, unknown addresses stay visible on the meeting,
and nobody is ever e-mailed. Google changes go through the organiser's own API
client, Odoo changes through the ORM as the users who make them.
"""

import itertools
from datetime import datetime, timedelta

from odoo.tests import new_test_user, tagged

from .common import SyncCase


def google_time(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@tagged("post_install", "-at_install")
class TestAttendees(SyncCase):
    _accounts = itertools.count(1)

    def setUp(self):
        super().setUp()
        run = next(self._accounts)
        self.gmail = f"anna.att{run}@example.com"
        self.anna, self.token = self.connect_user("gcal_att_anna", self.gmail)
        self.anna.partner_id.email = self.gmail
        # A colleague who does not sync, and two customers.
        self.bob = new_test_user(self.env, login="gcal_att_bob", groups="base.group_user")
        self.bob.partner_id.email = "Bob.Builder@Corp.example"
        Partner = self.env["res.partner"]
        self.customer = Partner.create(
            {"name": "Carla Customer", "email": "carla@customer.example"}
        )
        self.customer_twin = Partner.create(
            {"name": "Carla (old)", "email": "CARLA@customer.example"}
        )
        self.notifications_before = self.emulator.counters.get("notifications", 0)

    def sync(self, token, expect_ran=True):
        """One sync cycle, which mails nobody: no ``mail.mail`` from Odoo, and no
        Google notification (its parameters say so on every write)."""
        mails = self.env["mail.mail"].sudo().search_count([])
        report = super().sync(token, expect_ran)
        self.assertEqual(self.env["mail.mail"].sudo().search_count([]), mails)
        self.assertEqual(self.emulator.counters.get("notifications", 0), self.notifications_before)
        return report

    # ------------------------------------------------------------------
    def start(self, days=3):
        base = datetime.utcnow().replace(minute=0, second=0, microsecond=0)
        return base + timedelta(days=days)

    def anna_meeting(self, *partners, name="Offer review"):
        partner_ids = self.anna.partner_id.ids + [p.id for p in partners]
        return self.meeting(self.anna, name, self.start(), partner_ids=[(6, 0, partner_ids)])

    def google_copy(self, event):
        link = event.google_link_ids.filtered(lambda link: link.user_id == self.anna)
        self.assertEqual(len(link), 1)
        return self.emulator.get_event_raw(link.calendar_id.google_id, link.google_event_id)

    def google_attendees(self, event):
        return {
            entry["email"]: entry.get("responseStatus")
            for entry in self.google_copy(event).get("attendees") or []
        }

    def events(self):
        return self.service(self.gmail).events()

    def sync_idle(self):
        report = self.sync(self.token)
        self.assertFalse(report.pulled or report.pushed or report.conflicts, report)

    def attendance(self, event, partner):
        return event.attendee_ids.filtered(lambda a: a.partner_id == partner)

    # ------------------------------------------------------------------
    def test_organiser_push_carries_attendees_and_answers(self):
        meeting = self.anna_meeting(self.bob.partner_id, self.customer)
        # The customer accepts through Odoo's invitation link (as its route does).
        self.attendance(meeting, self.customer).sudo().do_accept()
        self.sync(self.token)
        self.assertEqual(
            self.google_attendees(meeting),
            {
                "bob.builder@corp.example": "needsAction",
                "carla@customer.example": "accepted",
                # Her own entry: her target is her primary calendar.
                self.gmail: self.attendance(meeting, self.anna.partner_id).state,
            },
        )
        self.assertTrue(self.google_copy(meeting)["organizer"]["email"] == self.gmail)
        self.sync_idle()
        # Bob answers in Odoo as himself: the organiser's next push carries it.
        self.attendance(meeting, self.bob.partner_id).with_user(self.bob).do_tentative()
        self.sync(self.token)
        self.assertEqual(self.google_attendees(meeting)["bob.builder@corp.example"], "tentative")
        self.sync_idle()

    def test_colleague_added_and_removed_in_odoo(self):
        meeting = self.anna_meeting(self.customer)
        self.sync(self.token)
        meeting.with_user(self.anna).write({"partner_ids": [(4, self.bob.partner_id.id)]})
        self.sync(self.token)
        self.assertIn("bob.builder@corp.example", self.google_attendees(meeting))
        meeting.with_user(self.anna).write({"partner_ids": [(3, self.bob.partner_id.id)]})
        self.sync(self.token)
        self.assertNotIn("bob.builder@corp.example", self.google_attendees(meeting))
        self.assertIn("carla@customer.example", self.google_attendees(meeting))
        self.sync_idle()

    def test_google_attendees_come_back_matched(self):
        meeting = self.anna_meeting()
        self.sync(self.token)
        copy = self.google_copy(meeting)
        partners_before = self.env["res.partner"].search_count([])
        self.events().patch(
            calendarId=self.gmail,
            eventId=copy["id"],
            body={
                "attendees": [
                    *copy.get("attendees", []),
                    {"email": " Carla@Customer.EXAMPLE ", "responseStatus": "declined"},
                    {"email": "bob.builder@corp.example", "responseStatus": "accepted"},
                    {"email": "stranger@nowhere.example"},
                ]
            },
        ).execute()
        self.sync(self.token)
        meeting.invalidate_recordset()
        # Two contacts share Carla's address: the older one, every time.
        self.assertEqual(
            meeting.partner_ids,
            self.anna.partner_id | self.bob.partner_id | self.customer,
        )
        self.assertEqual(self.attendance(meeting, self.customer).state, "declined")
        self.assertEqual(self.attendance(meeting, self.bob.partner_id).state, "accepted")
        # The unknown address made no contact, and stays visible on the meeting.
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
        self.assertEqual(
            meeting.with_user(self.anna).google_unmatched_attendees_note,
            "1 attendees not matched to contacts: stranger@nowhere.example",
        )
        self.sync_idle()
        # Anna renames it in Odoo: the unknown guest stays on Google's list.
        meeting.with_user(self.anna).name = "Offer review (final)"
        self.sync(self.token)
        self.assertEqual(self.google_attendees(meeting)["stranger@nowhere.example"], "needsAction")
        self.sync_idle()

    def test_a_user_contact_wins_a_shared_address(self):
        self.env["res.partner"].create({"name": "Bob's twin", "email": "bob.builder@corp.example"})
        self.seed_google_event(
            self.gmail,
            self.gmail,
            "From Google",
            3,
            attendees=[{"email": "BOB.builder@corp.example", "responseStatus": "tentative"}],
        )
        self.sync(self.token)
        event = self.env["calendar.event"].search([("name", "=", "From Google")])
        self.assertEqual(event.partner_ids, self.anna.partner_id | self.bob.partner_id)
        self.assertEqual(self.attendance(event, self.bob.partner_id).state, "tentative")
        self.assertFalse(event.with_user(self.anna).google_unmatched_attendees_note)
        self.sync_idle()

    def test_create_contacts_setting(self):
        admin = self.env.ref("base.user_admin")
        settings = self.env["res.config.settings"].with_user(admin).create({})
        self.assertFalse(settings.crm_google_create_attendee_contacts)
        settings.crm_google_create_attendee_contacts = True
        settings.execute()
        self.seed_google_event(
            self.gmail,
            self.gmail,
            "Supplier call",
            3,
            attendees=[{"email": "New.Supplier@Vendor.example", "responseStatus": "accepted"}],
        )
        self.sync(self.token)
        event = self.env["calendar.event"].search([("name", "=", "Supplier call")])
        supplier = event.partner_ids - self.anna.partner_id
        self.assertEqual(supplier.email, "new.supplier@vendor.example")
        self.assertEqual(self.attendance(event, supplier).state, "accepted")
        self.assertFalse(event.with_user(self.anna).google_unmatched_attendees_note)
        self.sync_idle()

    def test_unmatched_addresses_are_the_syncs_to_write(self):
        meeting = self.anna_meeting()
        meeting.with_user(self.anna).write(
            {"google_unmatched_attendees": [["victim@elsewhere.example", "accepted"]]}
        )
        self.assertFalse(meeting.google_unmatched_attendees)

    def test_secondary_target_leaves_out_the_organisers_address(self):
        email = self.gmail.replace("anna", "dora")
        sales = self.emulator.add_calendar(email, "Sales")
        dora, token = self.connect_user("gcal_att_dora", email, target=sales)
        dora.partner_id.email = email
        meeting = self.meeting(
            dora,
            "Offer review",
            self.start(),
            partner_ids=[(6, 0, (dora.partner_id | self.customer).ids)],
        )
        self.sync(token)
        link = meeting.google_link_ids
        self.assertEqual(link.calendar_id.google_id, sales)
        copy = self.emulator.get_event_raw(sales, link.google_event_id)
        # Google names the calendar as organiser; her own address would put a
        # second copy into her primary calendar.
        self.assertEqual([a["email"] for a in copy["attendees"]], ["carla@customer.example"])
        self.assertFalse(self.emulator.list_events_raw(email))
        report = self.sync(token)
        self.assertFalse(report.pulled or report.pushed, report)

    def test_addresses_google_would_refuse_stay_in_odoo(self):
        Partner = self.env["res.partner"]
        odd = Partner.create({"name": "Local", "email": "admin@localhost"})
        broken = Partner.create({"name": "Broken", "email": "not an address"})
        meeting = self.anna_meeting(odd, broken, self.customer)
        report = self.sync(self.token)
        self.assertFalse(report.errors, report)
        self.assertEqual(
            set(self.google_attendees(meeting)), {"carla@customer.example", self.gmail}
        )
        self.sync_idle()
        self.assertEqual(meeting.partner_ids, self.anna.partner_id | odd | broken | self.customer)
