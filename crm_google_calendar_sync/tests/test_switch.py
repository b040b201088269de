# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Switching from Odoo's own google_calendar (issue 16, R7 of docs/attendees.md).

The emulator is filled as the module left it (its requests, with each user's own
token, see switch_common), the Odoo meetings as it left them; then each user
connects as users do (Google's consent) and syncs. Nothing is imported or pushed
twice; a colleague's marks reach nothing of others.
"""

import itertools
from datetime import datetime, timedelta

from odoo.tests import new_test_user, tagged

from .common import GOOGLE_TIME, SyncCase
from .switch_common import ModuleClient, module_event_values, module_recurrence_values
from .test_reliability import google_view, odoo_view

WRITES = ("events.insert", "events.import", "events.patch", "events.update", "events.delete")


@tagged("post_install", "-at_install")
class TestSwitchFromGoogleCalendar(SyncCase):
    _runs = itertools.count(1)

    def setUp(self):
        super().setUp()
        # Fresh Google accounts per test: the emulator keeps them for the class.
        run = next(self._runs)
        self.anna = self.colleague("gcal_switch_anna", f"switch-anna{run}@example.com")
        self.bob = self.colleague("gcal_switch_bob", f"switch-bob{run}@example.com")
        self.carol = self.colleague("gcal_switch_carol", f"switch-carol{run}@example.com")
        self.customer_email = f"switch-kunde{run}@example.org"
        self.emulator.add_account(self.customer_email)
        self.customer = self.env["res.partner"].create(
            {"name": "Kundin Weber", "email": self.customer_email}
        )

    def colleague(self, login, email):
        """An Odoo user whose contact address is his Google account (so the
        module's invitations reach him), with an account in the emulator."""
        user = new_test_user(
            self.env, login=login, groups="base.group_user", tz="Europe/Berlin", email=email
        )
        self.emulator.add_account(email, time_zone="Europe/Berlin")
        return user

    @staticmethod
    def future(days, hour=9):
        base = datetime.utcnow().replace(hour=hour, minute=0, second=0, microsecond=0)
        return base + timedelta(days=days)

    def organised(self, user, name, start, *guests, **values):
        if values.get("rrule_type") == "weekly":
            values[("mon", "tue", "wed", "thu", "fri", "sat", "sun")[start.weekday()]] = True
        partners = user.partner_id
        for guest in guests:
            partners |= guest
        return self.meeting(user, name, start, partner_ids=[(6, 0, partners.ids)], **values)

    # ------------------------------------------------------------------ the module
    def module_push(self, event, pusher, organizer_synced=True):
        """The module's push of ``event`` by ``pusher``, and what its next pull
        wrote back (the Meet link Google made)."""
        values = module_event_values(event, pusher, organizer_synced)
        pushed = ModuleClient(self.emulator, pusher.email).insert(values)
        if pushed.get("hangoutLink"):
            event.videocall_location = pushed["hangoutLink"]
        return pushed

    def module_push_series(self, recurrence, pusher):
        values = module_recurrence_values(recurrence, pusher)
        return ModuleClient(self.emulator, pusher.email).insert(values)

    def outside_invitation(self, name, start, *guests):
        """A meeting the customer organises in her Google; the module imported it
        for the guests (no organiser in Odoo) and, after an edit in Odoo, wrote
        its private mark on each guest's copy."""
        body = {
            "summary": name,
            "location": "Bei Weber",
            "start": {"dateTime": start.strftime(GOOGLE_TIME)},
            "end": {"dateTime": (start + timedelta(hours=1)).strftime(GOOGLE_TIME)},
            "attendees": [{"email": self.customer_email, "responseStatus": "accepted"}]
            + [{"email": guest.email} for guest in guests],
        }
        google = self.emulator.add_event(self.customer_email, self.customer_email, body)
        partners = self.customer
        for guest in guests:
            partners |= guest.partner_id
        event = self.env["calendar.event"].create(
            {
                "name": name,
                "location": "Bei Weber",
                "start": start,
                "stop": start + timedelta(hours=1),
                "user_id": False,
                "partner_ids": [(6, 0, partners.ids)],
            }
        )
        for guest in guests:
            values = module_event_values(event, guest)
            ModuleClient(self.emulator, guest.email).patch(google["id"], values)
        return event

    # ------------------------------------------------------------------ our addon
    def connect(self, user):
        """The user connects in his preferences (Google's consent) and syncs."""
        token = self.consent(user, user.email)
        return self.sync(token)

    def token(self, user):
        return self.env["crm.google.token"].search([("user_id", "=", user.id)])

    def links(self, user):
        return self.env["crm.google.event.link"].sudo().search([("user_id", "=", user.id)])

    def link_to(self, user, event):
        """The user's link of ``event`` (a series: its master's)."""
        return self.links(user).filtered(
            lambda link: link.event_id == event and not link.recurring_event_id
        )

    def primary(self, user):
        return self.emulator.list_events_raw(user.email)

    def writes(self):
        return [r for r in self.emulator.requests if r.api_call in WRITES]

    def assert_linked(self, user, events):
        links = self.links(user).filtered(lambda link: not link.recurring_event_id)
        self.assertEqual(links.event_id, events, user.login)
        for link in links:
            self.assertEqual(link.calendar_id.google_id, user.email)

    # ------------------------------------------------------------------ tests
    def test_switch_links_every_pushed_meeting_and_copies_nothing(self):
        offer = self.organised(
            self.anna,
            "Angebot",
            self.future(3),
            self.bob.partner_id,
            self.customer,
            location="Hamburg",
        )
        call = self.organised(self.anna, "Telefonkonferenz", self.future(4), self.bob.partner_id)
        weekly = self.organised(
            self.anna,
            "Wochenrunde",
            self.future(2, hour=7),
            self.bob.partner_id,
            location="Raum 2",
            recurrency=True,
            rrule_type="weekly",
            end_type="count",
            count=4,
        )
        dave = new_test_user(self.env, login="gcal_switch_dave", groups="base.group_user")
        deputy = self.organised(
            dave, "Messeplanung", self.future(5), self.anna.partner_id, location="Halle 3"
        )
        carols = self.organised(self.carol, "Carols Termin", self.future(6), location="Büro")
        for event in (offer, call):
            self.module_push(event, self.anna)
        self.module_push_series(weekly.recurrence_id, self.anna)
        # Dave never synced: Anna's module pushed his meeting as its deputy.
        self.module_push(deputy, self.anna, organizer_synced=False)
        self.module_push(carols, self.carol)
        visit = self.outside_invitation("Besuch bei Weber", self.future(7), self.anna, self.bob)
        meetings = self.env["calendar.event"].search_count([])
        google = {user: len(self.primary(user)) for user in (self.anna, self.bob, self.carol)}
        self.assertEqual(google, {self.anna: 5, self.bob: 4, self.carol: 1})
        self.emulator.reset_requests()

        # The switch: Google's module is gone, each user connects, the guest first.
        for user in (self.bob, self.anna, self.carol):
            report = self.connect(user)
            self.assertFalse(report.errors, user.login)
            self.assertEqual(report.pulled_created, 0, user.login)
            self.assertEqual(report.pushed, 0, user.login)
        self.assertEqual(self.writes(), [], "nothing is inserted or changed in Google")
        self.assertEqual(self.env["calendar.event"].search_count([]), meetings)
        self.assertEqual(
            {user: len(self.primary(user)) for user in google}, google, "no new Google event"
        )
        self.assert_linked(self.anna, offer | call | weekly | deputy | visit)
        self.assert_linked(self.bob, offer | call | weekly | visit)
        self.assert_linked(self.carol, carols)
        masters = self.links(self.anna).filtered(lambda link: link.event_id in offer | weekly)
        self.assertFalse(any(masters.mapped("readonly")), "Anna's own events stay hers")
        self.assertTrue(self.link_to(self.anna, visit).readonly)
        self.assertEqual(self.emulator.counters.get("notifications", 0), 0)

        # A second round has nothing to do.
        for user in (self.anna, self.bob, self.carol):
            report = self.sync(self.token(user))
            self.assertFalse(report.pulled or report.pushed or report.conflicts, user.login)

        # Later edits travel: Anna's in Odoo to every copy, Anna's in Google to Odoo.
        offer.with_user(self.anna).write({"name": "Angebot (neu)"})
        google_call = self.link_to(self.anna, call)
        self.service(self.anna.email).events().patch(
            calendarId=self.anna.email,
            eventId=google_call.google_event_id,
            body={"summary": "Telefonkonferenz verschoben", "location": "Telefon"},
        ).execute()
        for user in (self.anna, self.bob, self.carol):
            self.sync(self.token(user))
        self.assertEqual(call.name, "Telefonkonferenz verschoben")
        for user in (self.anna, self.bob):
            copy = {e["id"]: e for e in self.primary(user)}
            link = self.link_to(user, offer)
            self.assertEqual(google_view(copy[link.google_event_id]), odoo_view(offer))
        inserts = [r for r in self.emulator.requests if r.api_call == "events.insert"]
        self.assertEqual(inserts, [])
        self.assertEqual(self.env["calendar.event"].search_count([]), meetings)
        self.assertEqual({user: len(self.primary(user)) for user in google}, google)

    def test_marks_of_a_colleague_reach_nothing(self):
        """Mallory writes the ids of meetings he has no part in into his own
        Google: as his own events, into a private mark, and into an invitation
        to Bob (who attends the meeting named)."""
        mallory = self.colleague("gcal_switch_mallory", "switch-mallory@example.com")
        salaries = self.organised(self.anna, "Gehälter", self.future(3), location="Chefbüro")
        team = self.organised(
            self.anna, "Teamrunde", self.future(4), self.bob.partner_id, location="Raum 1"
        )
        weekly = self.organised(
            self.anna,
            "Vorstand",
            self.future(2),
            location="Raum 9",
            recurrency=True,
            rrule_type="weekly",
            end_type="count",
            count=3,
        )
        before = {event: odoo_view(event) for event in (salaries, team, weekly)}
        db = self.env.cr.dbname
        mallorys = self.service(mallory.email).events()

        def forge(summary, days, properties, **extra):
            start = self.future(days, hour=11)
            body = {
                "summary": summary,
                "start": {"dateTime": start.strftime(GOOGLE_TIME), "timeZone": "UTC"},
                "end": {
                    "dateTime": (start + timedelta(hours=1)).strftime(GOOGLE_TIME),
                    "timeZone": "UTC",
                },
                "extendedProperties": properties,
                **extra,
            }
            mallorys.insert(calendarId=mallory.email, body=body).execute()

        forge("Übernahme", 5, {"shared": {f"{db}_odoo_id": str(salaries.id)}})
        forge("Privat übernommen", 6, {"private": {f"{db}_odoo_id": str(salaries.id)}})
        forge(
            "Serie übernommen",
            7,
            {"shared": {f"{db}_odoo_id": str(weekly.recurrence_id.id)}},
            recurrence=["RRULE:FREQ=WEEKLY;COUNT=2"],
        )
        forge(
            "Einladung an Bob",
            8,
            {"shared": {f"{db}_odoo_id": str(team.id)}},
            attendees=[{"email": self.bob.email}],
            guestsCanModify=True,
        )
        forge("Zu groß", 9, {"shared": {f"{db}_odoo_id": "9" * 40}})
        # Anna's module pushed the meeting after Mallory's invitation reached Bob.
        self.module_push(team, self.anna)
        for user in (mallory, self.bob):
            report = self.connect(user)
            self.assertFalse(report.errors, user.login)
        for event, view in before.items():
            self.assertEqual(odoo_view(event), view, event.name)
            self.assertFalse(self.link_to(mallory, event))
        # Bob links the genuine copy of the team meeting, not Mallory's invitation.
        bob_team = self.link_to(self.bob, team)
        self.assertEqual(len(bob_team), 1)
        copy = self.emulator.get_event_raw(self.bob.email, bob_team.google_event_id)
        self.assertEqual(copy["organizer"]["email"], self.anna.email)
        # What Mallory made are events of his own; his invitation is one for Bob.
        own = self.env["calendar.event"].search([("name", "in", ("Übernahme", "Zu groß"))])
        self.assertEqual(own.partner_ids, mallory.partner_id)
        invitation = self.env["calendar.event"].search([("name", "=", "Einladung an Bob")])
        self.assertNotIn(team, invitation)
        self.assertEqual(team.partner_ids, self.anna.partner_id | self.bob.partner_id)

    def test_database_restored_under_another_name(self):
        """The module's marks carry the database's name of then: the administrator
        names it when the database runs under another name now."""
        offer = self.organised(
            self.anna, "Angebot", self.future(3), self.bob.partner_id, location="Hamburg"
        )
        values = module_event_values(offer, self.anna)
        values["extendedProperties"] = {"shared": {"altdb_odoo_id": str(offer.id)}}
        ModuleClient(self.emulator, self.anna.email).insert(values)
        self.emulator.reset_requests()
        self.env["ir.config_parameter"].set_param(
            "crm_google_calendar_sync.switch_database", "altdb"
        )
        for user in (self.anna, self.bob):
            report = self.connect(user)
            self.assertEqual((report.pulled_created, report.pushed), (0, 0), user.login)
        self.assert_linked(self.anna, offer)
        self.assert_linked(self.bob, offer)
        self.assertEqual(self.writes(), [])

    def test_a_declined_meeting_stays_declined(self):
        """Bob declined Anna's meeting in Odoo; the module showed it declined in his
        invitation. The switch changes neither his answer nor his Google."""
        meeting = self.organised(
            self.anna, "Absage", self.future(3), self.bob.partner_id, location="Raum 4"
        )
        pushed = self.module_push(meeting, self.anna)
        # Bob declines in Odoo; the module sends the new answers with Anna's token.
        self.attendance(self.bob, meeting).with_user(self.bob).do_decline()
        values = module_event_values(meeting, self.anna)
        ModuleClient(self.emulator, self.anna.email).patch(pushed["id"], values)
        copy = {e["id"]: e for e in self.primary(self.bob)}
        self.assertEqual(
            [
                a["responseStatus"]
                for c in copy.values()
                for a in c["attendees"]
                if a["email"] == self.bob.email
            ],
            ["declined"],
        )
        self.emulator.reset_requests()
        meetings = self.env["calendar.event"].search_count([])
        for user in (self.bob, self.anna, self.bob):
            report = self.connect(user) if not self.token(user) else self.sync(self.token(user))
            self.assertEqual((report.pulled_created, report.pushed), (0, 0), user.login)
        self.assertEqual(self.attendance(self.bob, meeting).state, "declined")
        self.assertEqual(self.writes(), [])
        self.assertEqual(self.env["calendar.event"].search_count([]), meetings)
        self.assertEqual(len(self.primary(self.bob)), 1)
        self.assert_linked(self.anna, meeting)

    def attendance(self, user, event):
        return event.attendee_ids.filtered(lambda a: a.partner_id == user.partner_id)

    def test_a_shared_calendar_is_not_the_users_word(self):
        """Mallory shares a calendar with Bob, who syncs it into Odoo: its events
        are Mallory's (Google calls him their organiser there, ``self``), whatever
        marks they carry; the module only ever wrote into primary calendars."""
        mallory = self.colleague("gcal_switch_mallory", "switch-mallory2@example.com")
        team = self.organised(
            self.anna, "Teamrunde", self.future(4), self.bob.partner_id, location="Raum 1"
        )
        before = odoo_view(team)
        shared = self.emulator.add_calendar(mallory.email, summary="Team Mallory")
        self.emulator.share_calendar(shared, self.bob.email, "reader")
        db = self.env.cr.dbname
        for scope, days in (("shared", 5), ("private", 6)):
            start = self.future(days, hour=11)
            self.emulator.add_event(
                mallory.email,
                shared,
                {
                    "summary": f"Übernahme ({scope})",
                    "start": {"dateTime": start.strftime(GOOGLE_TIME)},
                    "end": {"dateTime": (start + timedelta(hours=1)).strftime(GOOGLE_TIME)},
                    "extendedProperties": {scope: {f"{db}_odoo_id": str(team.id)}},
                },
            )
        token = self.consent(self.bob, self.bob.email)
        calendar = self.env["crm.google.calendar"].search(
            [("user_id", "=", self.bob.id), ("google_id", "=", shared)]
        )
        self.bob.with_user(self.bob).write({"google_sync_source_calendar_ids": [(4, calendar.id)]})
        self.sync(token)
        self.assertEqual(odoo_view(team), before)
        # (Bob's own copy of the meeting went to his primary calendar, as always.)
        self.assertNotEqual(self.link_to(self.bob, team).calendar_id, calendar)
        self.assertEqual(
            self.env["calendar.event"].search_count([("name", "like", "Übernahme")]), 2
        )
