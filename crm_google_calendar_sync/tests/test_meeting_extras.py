# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The video link, the reminders and the CRM record of a meeting, both ways through
the emulator: Google changes made with the user's own API client, as his phone or
browser would make them; Odoo changes made as the user."""

import itertools
from datetime import datetime, timedelta

from odoo.tests import new_test_user, tagged

from .common import SyncCase

ZOOM = "https://zoom.us/j/987654?pwd=Abc"


def google_time(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@tagged("post_install", "-at_install")
class TestMeetingExtras(SyncCase):
    _accounts = itertools.count(1)

    def setUp(self):
        super().setUp()
        run = next(self._accounts)
        self.email = f"extras{run}@example.com"
        self.user, self.token = self.connect_user("gcal_extras_anna", self.email)
        self.user.groups_id |= self.env.ref("sales_team.group_sale_salesman")
        self.start = datetime.utcnow().replace(microsecond=0, second=0, minute=0) + timedelta(
            days=3
        )

    def events(self):
        return self.service(self.email).events()

    def google_copy(self, meeting):
        link = meeting.google_link_ids.filtered(lambda link: link.user_id == self.user)
        self.assertEqual(len(link), 1)
        return self.emulator.get_event_raw(self.email, link.google_event_id)

    def insert_in_google(self, body, **params):
        times = {
            "start": {"dateTime": google_time(self.start)},
            "end": {"dateTime": google_time(self.start + timedelta(hours=1))},
        }
        return (
            self.events()
            .insert(calendarId=self.email, body=dict(times, **body), **params)
            .execute()
        )

    def imported(self, summary):
        return self.env["calendar.event"].search([("name", "=", summary)])

    def assert_idle(self):
        """The next cycle changes nothing on either side (no echo)."""
        self.emulator.reset_requests()
        report = self.sync(self.token)
        self.assertFalse(report.pulled or report.pushed or report.conflicts, report)
        writes = [r for r in self.emulator.requests if r.method in ("POST", "PATCH", "PUT")]
        self.assertFalse([r for r in writes if r.api_call != "events.list"])

    # ------------------------------------------------------------------
    # Video link
    # ------------------------------------------------------------------
    def test_google_meet_becomes_the_video_link_and_stays_a_meet(self):
        created = self.insert_in_google(
            {
                "summary": "Kundentermin Meet",
                "conferenceData": {
                    "createRequest": {
                        "requestId": "req-1",
                        "conferenceSolutionKey": {"type": "hangoutsMeet"},
                    }
                },
            },
            conferenceDataVersion=1,
        )
        self.sync(self.token)
        meeting = self.imported("Kundentermin Meet")
        self.assertEqual(meeting.videocall_location, created["hangoutLink"])
        self.assertFalse(meeting.location)
        # Anna renames it in Odoo: Google keeps its Meet with the phone numbers, and
        # the link is not added as text.
        meeting.with_user(self.user).name = "Kundentermin Meet (verschoben)"
        self.sync(self.token)
        copy = self.google_copy(meeting)
        self.assertEqual(copy["summary"], "Kundentermin Meet (verschoben)")
        self.assertEqual(copy["conferenceData"], created["conferenceData"])
        self.assertFalse(copy.get("location"))
        self.assertNotIn(created["hangoutLink"], copy.get("description") or "")
        self.assert_idle()
        self.assertEqual(meeting.videocall_location, created["hangoutLink"])
        # She replaces the Meet with a Zoom link in Odoo: Google's Meet goes, the
        # link shows in the location.
        meeting.with_user(self.user).videocall_location = ZOOM
        self.sync(self.token)
        copy = self.google_copy(meeting)
        self.assertNotIn("conferenceData", copy)
        self.assertNotIn("hangoutLink", copy)
        self.assertEqual(copy["location"], ZOOM)
        self.assert_idle()
        self.assertEqual(meeting.videocall_location, ZOOM)
        self.assertFalse(meeting.location, "the link is not doubled into the location")

    def test_meet_link_set_in_odoo_becomes_the_google_meet(self):
        meet = "https://meet.google.com/kln-opqr-stu"
        meeting = self.meeting(self.user, "Meet aus Odoo", self.start, videocall_location=meet)
        self.sync(self.token)
        copy = self.google_copy(meeting)
        self.assertEqual(copy["hangoutLink"], meet)
        self.assertEqual(copy["conferenceData"]["conferenceId"], "kln-opqr-stu")
        self.assertFalse(copy.get("location"))
        self.assert_idle()
        self.assertIn("Google Meet", meeting.with_user(self.user).google_sync_details)

    def test_odoo_video_link_shows_in_google_and_comes_back_once(self):
        alone = self.meeting(self.user, "Videocall ohne Ort", self.start, videocall_location=ZOOM)
        with_room = self.meeting(
            self.user,
            "Videocall mit Raum",
            self.start + timedelta(hours=2),
            videocall_location=ZOOM,
            location="Raum 2",
            description="<p>Agenda</p>",
        )
        self.sync(self.token)
        self.assertEqual(self.google_copy(alone)["location"], ZOOM)
        copy = self.google_copy(with_room)
        self.assertEqual(copy["location"], "Raum 2")
        self.assertEqual(copy["description"], f"{ZOOM}\nAgenda")
        self.assertNotIn("conferenceData", copy)
        self.assert_idle()
        # Anna edits the agenda in Google: Odoo gets the agenda, the link once.
        self.events().patch(
            calendarId=self.email,
            eventId=copy["id"],
            body={"description": f"{ZOOM}\nAgenda, neu"},
        ).execute()
        self.sync(self.token)
        self.assertEqual(with_room.description, "<p>Agenda, neu</p>")
        self.assertEqual(with_room.videocall_location, ZOOM)
        self.assertEqual(with_room.location, "Raum 2")
        self.assert_idle()
        status = with_room.with_user(self.user).google_sync_details
        self.assertIn("first line of the Google event's description", status)
        self.env["res.lang"]._activate_lang("de_DE")
        self.env["ir.module.module"]._load_module_terms(
            ["crm_google_calendar_sync"], ["de_DE"], overwrite=True
        )
        german = with_room.with_user(self.user).with_context(lang="de_DE")
        german.invalidate_recordset(["google_sync_details"])
        self.assertIn("erste Zeile", german.google_sync_details)

    # ------------------------------------------------------------------
    # Reminders
    # ------------------------------------------------------------------
    def test_reminders_both_ways_and_the_default_reminders_untouched(self):
        calendar_list = self.service(self.email).calendarList()
        defaults = calendar_list.get(calendarId=self.email).execute()["defaultReminders"]
        quarter = self.env.ref("calendar.alarm_notif_1")  # notification, 15 minutes
        hours = self.env.ref("calendar.alarm_mail_1")  # e-mail, 3 hours
        reminded = self.meeting(
            self.user, "Mit Erinnerung", self.start, alarm_ids=[(6, 0, (quarter | hours).ids)]
        )
        plain = self.meeting(self.user, "Ohne Erinnerung", self.start + timedelta(hours=2))
        self.sync(self.token)
        self.assertEqual(
            self.google_copy(reminded)["reminders"],
            {
                "useDefault": False,
                "overrides": [
                    {"method": "email", "minutes": 180},
                    {"method": "popup", "minutes": 15},
                ],
            },
        )
        self.assertEqual(self.google_copy(plain)["reminders"], {"useDefault": True})
        self.assert_idle()
        # Anna changes the reminders of her copy on her phone: 45 minutes, no e-mail.
        self.events().patch(
            calendarId=self.email,
            eventId=self.google_copy(reminded)["id"],
            body={
                "reminders": {
                    "useDefault": False,
                    "overrides": [{"method": "popup", "minutes": 45}],
                }
            },
        ).execute()
        self.sync(self.token)
        self.assertEqual(
            [(a.alarm_type, a.duration_minutes) for a in reminded.alarm_ids],
            [("notification", 45)],
        )
        self.assertEqual(reminded.alarm_ids.interval, "minutes")
        self.assert_idle()
        # Back to her calendar's defaults in Google: no alarm in Odoo.
        self.events().patch(
            calendarId=self.email,
            eventId=self.google_copy(reminded)["id"],
            body={"reminders": {"useDefault": True, "overrides": []}},
        ).execute()
        self.sync(self.token)
        self.assertFalse(reminded.alarm_ids)
        self.assert_idle()
        self.assertEqual(
            calendar_list.get(calendarId=self.email).execute()["defaultReminders"], defaults
        )

    def test_more_alarms_than_google_keeps(self):
        alarms = self.env["calendar.alarm"].search(
            [("alarm_type", "in", ("notification", "email"))]
        )
        self.assertGreater(len(alarms), 5)
        meeting = self.meeting(
            self.user, "Viele Erinnerungen", self.start, alarm_ids=[(6, 0, alarms.ids)]
        )
        self.sync(self.token)
        self.assertEqual(len(self.google_copy(meeting)["reminders"]["overrides"]), 5)
        self.assertEqual(meeting.alarm_ids, alarms, "Odoo keeps all its alarms")
        self.assert_idle()
        details = meeting.with_user(self.user).google_sync_details
        self.assertIn("Google keeps at most 5", details)

    def test_reminders_of_an_invitation_are_the_user_s_own(self):
        """A customer's invitation is read-only, yet its reminders are the user's."""
        self.emulator.add_event_unvalidated(
            self.email,
            self.email,
            {
                **{
                    key: {"dateTime": google_time(moment)}
                    for key, moment in (
                        ("start", self.start),
                        ("end", self.start + timedelta(hours=1)),
                    )
                },
                "summary": "Einladung vom Kunden",
                "organizer": {"email": "kunde@example.org"},
                "attendees": [{"email": self.email, "self": True}],
                "reminders": {
                    "useDefault": False,
                    "overrides": [{"method": "email", "minutes": 120}],
                },
            },
        )
        self.sync(self.token)
        invitation = self.imported("Einladung vom Kunden")
        self.assertTrue(invitation.google_link_ids.readonly)
        self.assertEqual(
            [(a.alarm_type, a.duration_minutes) for a in invitation.alarm_ids], [("email", 120)]
        )
        quarter = self.env.ref("calendar.alarm_notif_1")
        invitation.with_user(self.user).alarm_ids = [(4, quarter.id)]
        self.assertIn(quarter, invitation.alarm_ids)

    # ------------------------------------------------------------------
    # The CRM record
    # ------------------------------------------------------------------
    def test_meeting_scheduled_from_an_opportunity_links_back_to_it(self):
        lead = (
            self.env["crm.lead"]
            .with_user(self.user)
            .create({"name": "Großauftrag Deco Addict", "type": "opportunity"})
        )
        # The pipeline's "Meeting" button opens the calendar with this context.
        context = lead.action_schedule_meeting()["context"]
        meeting = (
            self.env["calendar.event"]
            .with_user(self.user)
            .with_context(**context)
            .create(
                {
                    "name": "Angebot besprechen",
                    "start": self.start,
                    "stop": self.start + timedelta(hours=1),
                }
            )
        )
        self.assertEqual((meeting.res_model, meeting.res_id), ("crm.lead", lead.id))
        self.sync(self.token)
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        copy = self.google_copy(meeting)
        self.assertEqual(
            copy["source"],
            {"title": "Großauftrag Deco Addict", "url": f"{base_url}/odoo/crm.lead/{lead.id}"},
        )
        self.assert_idle()
        self.assertIn(
            "Google links to: Großauftrag Deco Addict",
            meeting.with_user(self.user).google_sync_details,
        )
        # Anna (the event's creator, the only one Google lets change it) points the
        # source elsewhere: the meeting still belongs to the opportunity.
        self.events().patch(
            calendarId=self.email,
            eventId=copy["id"],
            body={"source": {"title": "Fremd", "url": "https://evil.example.com/x"}},
        ).execute()
        self.sync(self.token)
        self.assertEqual((meeting.res_model, meeting.res_id), ("crm.lead", lead.id))
        # Her next change in Odoo sends the record's link again.
        meeting.with_user(self.user).res_id = lead.id
        meeting.with_user(self.user).name = "Angebot besprechen (neu)"
        self.sync(self.token)
        self.assertEqual(self.google_copy(meeting)["source"]["url"], copy["source"]["url"])

    def test_a_record_the_user_may_not_read_is_not_named_in_google(self):
        boss = new_test_user(
            self.env,
            login="gcal_extras_boss",
            groups="base.group_user,sales_team.group_sale_manager",
        )
        lead = (
            self.env["crm.lead"]
            .with_user(boss)
            .create({"name": "Geheime Übernahme", "type": "opportunity", "user_id": boss.id})
        )
        self.user.groups_id -= self.env.ref("sales_team.group_sale_salesman")
        meeting = self.meeting(
            self.user,
            "Termin zum Geheimprojekt",
            self.start,
            res_model_id=self.env.ref("crm.model_crm_lead").id,
            res_id=lead.id,
        )
        self.sync(self.token)
        self.assertNotIn("source", self.google_copy(meeting))
        self.assert_idle()
