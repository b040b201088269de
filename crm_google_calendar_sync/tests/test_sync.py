# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Two-way sync scenarios through the cron entry point, against the emulator."""

import json
from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..store.marks import SYNC_MARK_CONTEXT
from .common import SyncCase


def _google_time(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _rule_lines(rrule):
    return [line for line in (rrule or "").splitlines() if not line.startswith("DTSTART")]


@tagged("post_install", "-at_install")
class TestSync(SyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice, cls.alice_token = cls.connect_user("gcal_alice", "alice@example.com")

    def sync(self, token=None, expect_ran=True):
        return super().sync(token or self.alice_token, expect_ran)

    def events_of(self, user):
        return self.env["calendar.event"].search([("partner_ids", "in", user.partner_id.ids)])

    def test_pull_push_and_idle(self):
        now = datetime.utcnow().replace(microsecond=0, second=0)
        self._google_meeting(
            "Kick-off",
            now + timedelta(days=1),
            description="Line one\nLine two",
            location="Berlin",
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
        body = self._google_meeting("Original", start)
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

    # ------------------------------------------------------------------
    def _daily_series(self, name, start, count):
        """A daily series of ``count`` meetings created by Alice in Odoo."""
        return self.meeting(
            self.alice,
            name,
            start,
            recurrency=True,
            rrule_type="daily",
            interval=1,
            end_type="count",
            count=count,
        )

    def _google_instances(self, series_id):
        """The occurrences of a series in Alice's Google calendar."""
        service = self.alice_token._google_client().service
        request = service.events().instances(calendarId="alice@example.com", eventId=series_id)
        return request.execute()["items"]

    def _future(self, days):
        return datetime.utcnow().replace(microsecond=0, second=0) + timedelta(days=days)

    def _google_meeting(self, summary, start, hours=1, **fields):
        """A timed event in Alice's primary Google calendar (the emulator's body)."""
        return self.emulator.add_event(
            "alice@example.com",
            "alice@example.com",
            {
                "summary": summary,
                **fields,
                "start": {"dateTime": _google_time(start)},
                "end": {"dateTime": _google_time(start + timedelta(hours=hours))},
            },
        )

    def test_sync_now_reports_counts(self):
        self.meeting(self.alice, "Sync-now meeting", self._future(5))
        self.env.flush_all()
        action = self.alice.with_user(self.alice).action_google_sync_now()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("1 change(s) sent to Google", action["params"]["message"])

    def test_allday_event_both_ways(self):
        day = (datetime.utcnow() + timedelta(days=10)).date()
        self.emulator.add_event(
            "alice@example.com",
            "alice@example.com",
            {
                "summary": "Messe",
                "start": {"date": day.isoformat()},
                "end": {"date": (day + timedelta(days=3)).isoformat()},
            },
        )
        self.sync()
        fair = self.events_of(self.alice).filtered(lambda e: e.name == "Messe")
        self.assertTrue(fair.allday)
        self.assertEqual((fair.start_date, fair.stop_date), (day, day + timedelta(days=2)))
        holiday = self.meeting(
            self.alice,
            "Urlaub",
            self._future(20),
            allday=True,
            start_date=day + timedelta(days=10),
            stop_date=day + timedelta(days=11),
        )
        self.sync()
        google = self.emulator.get_event_raw(
            "alice@example.com", holiday.google_link_ids.google_event_id
        )
        self.assertEqual(google["start"], {"date": (day + timedelta(days=10)).isoformat()})
        self.assertEqual(google["end"], {"date": (day + timedelta(days=12)).isoformat()})

    def test_private_only_with_checkbox(self):
        start = self._future(6)
        secret = self.emulator.add_event(
            "alice@example.com",
            "alice@example.com",
            {
                "summary": "Arzttermin",
                "visibility": "private",
                "start": {"dateTime": _google_time(start)},
                "end": {"dateTime": _google_time(start + timedelta(hours=1))},
            },
        )
        private_odoo = self.meeting(self.alice, "Privat in Odoo", start, privacy="private")
        self.sync()
        self.assertFalse(self.events_of(self.alice).filtered(lambda e: e.name == "Arzttermin"))
        self.assertFalse(private_odoo.google_link_ids)
        # Turning the checkbox on (as Alice does in her preferences) brings them
        # in at the next sync, both ways, without importing the others again.
        before = self.events_of(self.alice)
        self.alice.with_user(self.alice).write({"google_sync_private": True})
        report = self.sync()
        arrived = self.events_of(self.alice) - before
        self.assertIn("Arzttermin", arrived.mapped("name"))
        self.assertLessEqual(set(arrived.mapped("privacy")), {"private", "confidential"})
        self.assertEqual(report.pulled_updated, 0, "known events are not imported again")
        self.assertTrue(private_odoo.google_link_ids)
        # Turning it off stops syncing them but deletes nothing.
        self.alice.with_user(self.alice).write({"google_sync_private": False})
        private_odoo.with_user(self.alice).write({"name": "Privat, geändert"})
        self.sync()
        google = self.emulator.get_event_raw(
            "alice@example.com", private_odoo.google_link_ids.google_event_id
        )
        self.assertEqual(google["summary"], "Privat in Odoo")
        self.assertEqual(google["status"], "confirmed")
        self.assertIsNotNone(self.emulator.get_event_raw("alice@example.com", secret["id"]))

    def test_conflict_newer_wins_and_is_noted(self):
        start = self._future(7)
        meeting = self.meeting(self.alice, "Planung", start)
        self.sync()
        google_id = meeting.google_link_ids.google_event_id
        # Odoo edit first, Google edit later: Google is newer and wins.
        meeting.with_user(self.alice).write({"location": "Odoo-Raum"})
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE calendar_event SET write_date = now() - interval '1 hour',"
            " google_sync_changed_at = now() - interval '1 hour' WHERE id = %s",
            [meeting.id],
        )
        client = self.alice_token._google_client()
        client.service.events().patch(
            calendarId="alice@example.com", eventId=google_id, body={"location": "Google-Raum"}
        ).execute()
        report = self.sync()
        self.assertEqual(report.conflicts, 1)
        self.assertEqual(meeting.location, "Google-Raum")
        note = meeting.message_ids.filtered(lambda m: "Odoo-Raum" in (m.body or ""))
        self.assertTrue(note, "the losing Odoo version is kept in the chatter")
        google = self.emulator.get_event_raw("alice@example.com", google_id)
        self.assertEqual(google["location"], "Google-Raum")

    def test_malformed_event_is_skipped_others_continue(self):
        start = self._future(8)
        good = {
            "summary": "Gut",
            "start": {"dateTime": _google_time(start)},
            "end": {"dateTime": _google_time(start + timedelta(hours=1))},
        }
        self.emulator.add_event("alice@example.com", "alice@example.com", good)
        bad = self.emulator.add_event(
            "alice@example.com",
            "alice@example.com",
            # Google accepts dates Odoo cannot store.
            dict(
                good,
                summary="Kaputt",
                start={"dateTime": "3500-01-01T10:00:00Z"},
                end={"dateTime": "3500-01-01T11:00:00Z"},
            ),
        )
        report = self.sync()
        names = self.events_of(self.alice).mapped("name")
        self.assertIn("Gut", names)
        self.assertNotIn("Kaputt", names)
        self.assertIn(bad["id"], [key for key, _reason in report.skipped])
        calendar = self.env["crm.google.calendar"].search(
            [("user_id", "=", self.alice.id), ("google_id", "=", "alice@example.com")]
        )
        self.assertTrue(calendar.sync_token, "the token advances past a skipped event")

    def test_full_resync_after_410_creates_no_duplicates(self):
        start = self._future(9)
        self._google_meeting("Einmalig", start)
        self.meeting(self.alice, "Aus Odoo", start)
        self.sync()
        self.emulator.invalidate_sync_tokens("alice@example.com")
        report = self.sync()
        self.assertEqual(report.full_resyncs, 1)
        self.assertEqual(report.pulled_created, 0)
        for name in ("Einmalig", "Aus Odoo"):
            self.assertEqual(
                len(self.events_of(self.alice).filtered(lambda e, n=name: e.name == n)), 1
            )
        google_names = [e["summary"] for e in self.emulator.list_events_raw("alice@example.com")]
        self.assertEqual(google_names.count("Aus Odoo"), 1)

    def test_lost_insert_response_creates_no_duplicate(self):
        meeting = self.meeting(self.alice, "Verloren", self._future(11))
        self.emulator.faults.add("lost_response", path=r".*/events$", in_batch=True, times=1)
        self.sync()
        self.sync()
        self.sync()
        google = [
            e
            for e in self.emulator.list_events_raw("alice@example.com")
            if e["summary"] == "Verloren"
        ]
        self.assertEqual(len(google), 1)
        self.assertEqual(meeting.google_link_ids.google_event_id, google[0]["id"])

    def test_shared_meeting_is_one_odoo_event(self):
        bob, bob_token = self.connect_user("gcal_bob", "bob@example.com")
        meeting = self.meeting(self.alice, "Gemeinsam", self._future(12))
        meeting.write({"partner_ids": [(4, bob.partner_id.id)]})
        self.sync()
        self.sync(bob_token)
        # Bob's Google copy of the meeting comes back as the same event.
        bob_google_id = (
            meeting.sudo()
            .google_link_ids.filtered(lambda link: link.user_id == bob)
            .google_event_id
        )
        self.assertTrue(bob_google_id)
        self.sync(bob_token)
        self.assertEqual(self.env["calendar.event"].search_count([("name", "=", "Gemeinsam")]), 1)
        # An event copied into both accounts with one iCalUID stays one event when
        # the second user already attends it in Odoo.
        start = self._future(13)
        body = {
            "summary": "Extern",
            "iCalUID": "external-123@example.org",
            "start": {"dateTime": _google_time(start)},
            "end": {"dateTime": _google_time(start + timedelta(hours=1))},
        }
        self.emulator.add_event("alice@example.com", "alice@example.com", dict(body))
        self.sync()
        external = self.env["calendar.event"].search([("name", "=", "Extern")])
        external.with_user(self.alice).write({"partner_ids": [(4, bob.partner_id.id)]})
        self.emulator.add_event("bob@example.com", "bob@example.com", dict(body))
        self.sync(bob_token)
        self.assertEqual(self.env["calendar.event"].search_count([("name", "=", "Extern")]), 1)
        self.assertEqual(len(external.google_link_ids), 2)

    def test_three_source_calendars_and_readonly(self):
        carol_email = "carol@example.com"
        self.emulator.add_account(carol_email, time_zone="Europe/Berlin")
        team = self.emulator.add_calendar(carol_email, summary="Team")
        travel = self.emulator.add_calendar(carol_email, summary="Reisen")
        holidays = self.emulator.add_calendar(
            carol_email, summary="Feiertage", access_role="reader"
        )
        carol, carol_token = self.connect_user(
            "gcal_carol", carol_email, sources=[carol_email, team, travel, holidays]
        )
        self.assertEqual(len(carol.google_sync_source_calendar_ids), 4)
        start = self._future(14)
        for calendar_id, name in ((team, "Teamtreffen"), (travel, "Flug"), (holidays, "Feiertag")):
            self.emulator.add_event(
                carol_email,
                calendar_id,
                {
                    "summary": name,
                    "start": {"dateTime": _google_time(start)},
                    "end": {"dateTime": _google_time(start + timedelta(hours=1))},
                },
            )
        self.emulator.reset_requests()
        self.sync(carol_token)
        calls = [r.api_call for r in self.emulator.requests if r.api_call == "events.list"]
        self.assertEqual(len(calls), 4)
        events = self.events_of(carol)
        self.assertEqual(sorted(events.mapped("name")), ["Feiertag", "Flug", "Teamtreffen"])
        holiday = events.filtered(lambda e: e.name == "Feiertag")
        self.assertTrue(holiday.google_link_ids.readonly)
        with self.assertRaises(UserError):
            holiday.with_user(carol).write({"name": "Mein Feiertag"})
        # An event from a source calendar is updated in place, never copied to the target.
        flight = events.filtered(lambda e: e.name == "Flug")
        flight.with_user(carol).write({"location": "BER"})
        self.sync(carol_token)
        in_travel = [e for e in self.emulator.list_events_raw(travel) if e["summary"] == "Flug"]
        self.assertEqual(in_travel[0]["location"], "BER")
        primary_names = [e["summary"] for e in self.emulator.list_events_raw(carol_email)]
        self.assertNotIn("Flug", primary_names)
        # The next cycle reads our own push back (an echo) and changes nothing.
        report = self.sync(carol_token)
        self.assertFalse(report.pulled or report.pushed, report)
        # A cycle with no changes: one list per calendar, nothing written.
        self.emulator.reset_requests()
        write_dates = """
            SELECT (SELECT max(write_date) FROM crm_google_event_link),
                   (SELECT max(write_date) FROM crm_google_calendar),
                   (SELECT max(write_date) FROM crm_google_token),
                   (SELECT max(write_date) FROM calendar_event),
                   (SELECT count(*) FROM calendar_event)"""
        self.env.cr.execute(write_dates)
        before = self.env.cr.fetchone()
        self.sync(carol_token)
        api_calls = [r.api_call for r in self.emulator.requests if r.api_call]
        self.assertEqual(api_calls, ["events.list"] * 4)
        self.env.cr.execute(write_dates)
        self.assertEqual(self.env.cr.fetchone(), before, "an idle cycle writes nothing")

    def test_recurring_series_both_ways(self):
        start = self._future(2).replace(hour=9, minute=0)
        self.emulator.add_event(
            "alice@example.com",
            "alice@example.com",
            {
                "summary": "Jour fixe",
                "start": {
                    "dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"),
                    "timeZone": "Europe/Berlin",
                },
                "end": {
                    "dateTime": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
                    "timeZone": "Europe/Berlin",
                },
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=5"],
            },
        )
        self.sync()
        series = self.events_of(self.alice).filtered(lambda e: e.name == "Jour fixe")
        self.assertEqual(len(series), 5)
        self.assertEqual(len(series.recurrence_id), 1)
        # A series created in Odoo goes to Google as one recurring event.
        base = self.meeting(
            self.alice,
            "Wochenplanung",
            self._future(3),
            recurrency=True,
            rrule_type="daily",
            interval=1,
            end_type="count",
            count=4,
        )
        self.sync()
        google = [
            e
            for e in self.emulator.list_events_raw("alice@example.com")
            if e.get("summary") == "Wochenplanung"
        ]
        self.assertEqual(len(google), 1)
        self.assertTrue(any("COUNT=4" in line for line in google[0]["recurrence"]))
        self.assertEqual(len(base.recurrence_id.calendar_event_ids), 4)

    def _google_series(self, name, start, count=5):
        local = start.strftime("%Y-%m-%dT%H:%M:%S")
        local_end = (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
        return self.emulator.add_event(
            "alice@example.com",
            "alice@example.com",
            {
                "summary": name,
                "start": {"dateTime": local, "timeZone": "UTC"},
                "end": {"dateTime": local_end, "timeZone": "UTC"},
                "recurrence": [f"RRULE:FREQ=WEEKLY;COUNT={count}"],
            },
        )

    def test_google_series_exceptions_flow_back(self):
        start = self._future(1).replace(hour=7, minute=0)
        series = self._google_series("Weekly", start)
        self.sync()
        service = self.alice_token._google_client().service
        instances = self._google_instances(series["id"])
        self.assertEqual(len(instances), 5)
        moved, cancelled = instances[1], instances[2]
        service.events().patch(
            calendarId="alice@example.com",
            eventId=moved["id"],
            body={
                "summary": "Weekly (verschoben)",
                "start": {"dateTime": _google_time(start + timedelta(days=8))},
                "end": {"dateTime": _google_time(start + timedelta(days=8, hours=1))},
            },
        ).execute()
        service.events().delete(calendarId="alice@example.com", eventId=cancelled["id"]).execute()
        self.sync()
        events = self.env["calendar.event"].search(
            [("name", "like", "Weekly"), ("partner_ids", "in", self.alice.partner_id.ids)],
            order="start",
        )
        self.assertEqual(len(events), 4, events.mapped("name"))
        moved_event = events.filtered(lambda e: e.name == "Weekly (verschoben)")
        self.assertEqual(moved_event.start, start + timedelta(days=8))
        self.assertFalse(moved_event.follow_recurrence)
        self.assertNotIn(start + timedelta(days=14), events.mapped("start"))
        # Stable afterwards: no more changes either way.
        report = self.sync()
        self.assertFalse(report.pulled or report.pushed, report)

    def test_odoo_occurrence_edit_and_delete_reach_google(self):
        start = self._future(1).replace(hour=8, minute=0)
        base = self._daily_series("Daily", start, 4)
        self.sync()
        series_id = base.google_link_ids.google_event_id
        occurrences = base.recurrence_id.calendar_event_ids.sorted("start")
        second, third = occurrences[1], occurrences[2]
        second.with_user(self.alice).write(
            {"name": "Daily (anders)", "recurrence_update": "self_only"}
        )
        third.with_user(self.alice).unlink()
        self.sync()
        instances = self._google_instances(series_id)
        self.assertEqual(len(instances), 3, [i.get("summary") for i in instances])
        self.assertIn("Daily (anders)", [i.get("summary") for i in instances])
        report = self.sync()
        self.assertFalse(report.pulled or report.pushed, report)
        self.assertEqual(len(base.recurrence_id.calendar_event_ids), 3)

    def test_cron_isolates_a_failing_user(self):
        dave, dave_token = self.connect_user("gcal_dave", "dave@example.com")
        erin, erin_token = self.connect_user("gcal_erin", "erin@example.com")
        self.meeting(dave, "Dave trifft", self._future(15))
        self.meeting(erin, "Erin trifft", self._future(15))
        self.emulator.revoke_all("dave@example.com")
        (dave_token | erin_token).write({"next_sync": False, "token_expiry": "2000-01-01"})
        other_tokens = self.env["crm.google.token"].search(
            [("id", "not in", (dave_token | erin_token).ids)]
        )
        other_tokens.write({"sync_enabled": False})
        self.env.flush_all()
        done = self.env["crm.google.sync.round"]._cron_sync()
        self.assertEqual(done, 2)
        self.env.invalidate_all()
        self.assertEqual(dave.google_sync_state, "error")
        self.assertIn("connect Google again", dave.google_sync_error)
        self.assertTrue(dave_token.auth_failed)
        self.assertEqual(erin.google_sync_state, "connected")
        erin_names = [e["summary"] for e in self.emulator.list_events_raw("erin@example.com")]
        self.assertIn("Erin trifft", erin_names)
        # The first visit without changes says so, once.
        rounds = self.env["crm.google.sync.round"].search([])
        rounds.write({"started": "2000-01-01 00:00:00", "finished": "2000-01-01 00:05:00"})
        self.env.flush_all()
        self.assertEqual(self.env["crm.google.sync.round"]._cron_sync(), 1)
        self.env.invalidate_all()
        self.assertIn("No changes", erin.google_sync_last_result)
        # Any further idle visit writes nothing for the user; the round shows it.
        erin_token.write({"next_sync": False, "last_sync": "2000-01-01 00:00:00"})
        self.env["crm.google.sync.round"].search([]).write(
            {"started": "2000-01-01 00:00:00", "finished": "2000-01-01 00:05:00"}
        )
        self.env.flush_all()
        self.assertEqual(self.env["crm.google.sync.round"]._cron_sync(), 1)
        self.env.invalidate_all()
        self.assertEqual(erin_token.last_sync.year, 2000)
        self.assertGreater(erin.google_sync_last_sync.year, 2000)
        # The failed user waits for a reconnect instead of failing every 5 minutes.
        self.assertNotIn(
            dave_token.id,
            self.env["crm.google.sync.round"]._shard_token_ids(0, 1, requested=True),
        )

    def test_this_and_following_split_in_odoo(self):
        start = self._future(1).replace(hour=10, minute=0)
        base = self._daily_series("Serie", start, 6)
        self.sync()
        occurrences = base.recurrence_id.calendar_event_ids.sorted("start")
        occurrences[3].with_user(self.alice).write(
            {"name": "Serie neu", "recurrence_update": "future_events"}
        )
        self.sync()
        google = [
            e
            for e in self.emulator.list_events_raw("alice@example.com")
            if (e.get("summary") or "").startswith("Serie") and e.get("recurrence")
        ]
        self.assertEqual(sorted(e["summary"] for e in google), ["Serie", "Serie neu"])
        counts = {e["summary"]: len(self._google_instances(e["id"])) for e in google}
        self.assertEqual(counts, {"Serie": 3, "Serie neu": 3})
        report = self.sync()
        self.assertFalse(report.pulled or report.pushed, report)

    def test_deleted_source_calendar_does_not_stop_the_others(self):
        frank_email = "frank@example.com"
        self.emulator.add_account(frank_email)
        project = self.emulator.add_calendar(frank_email, summary="Projekt")
        frank, frank_token = self.connect_user(
            "gcal_frank", frank_email, sources=[frank_email, project]
        )
        start = self._future(16)
        for calendar_id, name in ((project, "Projekttermin"), (frank_email, "Eigener Termin")):
            self.emulator.add_event(
                frank_email,
                calendar_id,
                {
                    "summary": name,
                    "start": {"dateTime": _google_time(start)},
                    "end": {"dateTime": _google_time(start + timedelta(hours=1))},
                },
            )
        self.sync(frank_token)
        self.assertEqual(len(self.events_of(frank)), 2)
        self.service(frank_email).calendars().delete(calendarId=project).execute()
        self.emulator.add_event(
            frank_email,
            frank_email,
            {
                "summary": "Danach",
                "start": {"dateTime": _google_time(start)},
                "end": {"dateTime": _google_time(start + timedelta(hours=2))},
            },
        )
        report = self.sync(frank_token)
        self.assertEqual(len(report.unavailable_calendars), 1)
        self.assertIn("Danach", self.events_of(frank).mapped("name"))
        self.assertIn("Projekttermin", self.events_of(frank).mapped("name"), "nothing deleted")
        self.assertEqual(frank.google_sync_state, "error")
        self.assertIn("Projekt", frank.google_sync_error)
        # Next cycle re-reads the calendar list: the deleted calendar is archived.
        self.sync(frank_token)
        calendar = (
            self.env["crm.google.calendar"]
            .with_context(active_test=False)
            .search([("google_id", "=", project)])
        )
        self.assertFalse(calendar.active)
        self.assertNotIn(
            calendar, frank.with_context(active_test=False).google_sync_source_calendar_ids
        )
        self.sync(frank_token)
        self.assertEqual(frank.google_sync_state, "error", "shown until the user saves choices")
        frank.with_user(frank).write({"google_sync_private": False})
        frank.invalidate_recordset()
        self.assertEqual(frank.google_sync_state, "connected")

    def test_this_and_following_split_in_google(self):
        start = self._future(1).replace(hour=6, minute=0)
        series = self._google_series("Sprint", start, count=6)
        self.sync()
        self.assertEqual(len(self.events_of(self.alice).filtered(lambda e: e.name == "Sprint")), 6)
        # Google's "this and following": the old series ends, a new one starts.
        split_at = start + timedelta(weeks=3)
        until = (split_at - timedelta(seconds=1)).strftime("%Y%m%dT%H%M%SZ")
        service = self.alice_token._google_client().service
        service.events().patch(
            calendarId="alice@example.com",
            eventId=series["id"],
            body={"recurrence": [f"RRULE:FREQ=WEEKLY;UNTIL={until}"]},
        ).execute()
        service.events().insert(
            calendarId="alice@example.com",
            body={
                "id": series["id"] + "r" + split_at.strftime("%Y%m%d"),
                "summary": "Sprint (neu)",
                "start": {"dateTime": split_at.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
                "end": {
                    "dateTime": (split_at + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
                    "timeZone": "UTC",
                },
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
            },
        ).execute()
        self.sync()
        events = self.events_of(self.alice)
        old = events.filtered(lambda e: e.name == "Sprint")
        new = events.filtered(lambda e: e.name == "Sprint (neu)")
        self.assertEqual((len(old), len(new)), (3, 3))
        self.assertNotEqual(old.recurrence_id, new.recurrence_id)
        report = self.sync()
        self.assertFalse(report.pulled or report.pushed, report)

    def test_quota_spreads_a_large_push_without_rate_limit_errors(self):
        gina, gina_token = self.connect_user("gcal_gina", "gina@example.com")
        self.env["ir.config_parameter"].sudo().set_param(
            "crm_google_calendar_sync.user_requests_per_minute", "60"
        )
        # Google (the emulator) enforces 60 calls a minute for this user.
        self.emulator.set_quota(user_per_minute=60)
        self.addCleanup(self.emulator.set_quota)
        start = self._future(17)
        self.env["calendar.event"].with_user(gina).create(
            [
                {
                    "name": f"Termin {index}",
                    "start": fields.Datetime.to_string(start + timedelta(hours=index)),
                    "stop": fields.Datetime.to_string(start + timedelta(hours=index, minutes=30)),
                    "partner_ids": [(6, 0, gina.partner_id.ids)],
                }
                for index in range(100)
            ]
        )
        self.emulator.reset_requests()
        report = self.sync(gina_token)
        self.assertGreater(report.waiting_outgoing, 0)
        # Whole batches only: 53 calls left after the list -> one batch of 50.
        self.assertEqual(report.pushed_inserted, 50)
        self.assertIn("still to send", gina.google_sync_last_result)
        # The next cycle (a minute later for Google) sends the rest.
        self.emulator.clock.advance(61)
        report = self.sync(gina_token)
        self.assertEqual(report.waiting_outgoing, 0)
        statuses = [r.status for r in self.emulator.requests]
        self.assertNotIn(403, statuses)
        self.assertNotIn(429, statuses)
        self.assertEqual(len(self.emulator.list_events_raw("gina@example.com")), 100)

    def test_google_gets_only_the_mapped_fields(self):
        other = self.env["res.partner"].create(
            {"name": "Externer Gast", "email": "gast@example.org"}
        )
        meeting = self.meeting(
            self.alice,
            "Vertraulich intern",
            self._future(18),
            description="<p>Agenda</p>",
            location="Raum 2",
            partner_ids=[(6, 0, (self.alice.partner_id | other).ids)],
        )
        meeting.message_post(body="Interne Notiz: Rabatt 30 %", message_type="comment")
        self.sync()
        body = self.emulator.get_event_raw(
            "alice@example.com", meeting.google_link_ids.google_event_id
        )
        sent = [
            r.body
            for r in self.emulator.requests
            if r.in_batch
            and r.method == "POST"
            and (r.body or {}).get("summary") == "Vertraulich intern"
        ]
        self.assertEqual(len(sent), 1)
        self.assertLessEqual(
            set(sent[0]),
            {
                "id",
                "status",
                "summary",
                "description",
                "location",
                "start",
                "end",
                "visibility",
                "transparency",
                "recurrence",
                # video link, reminders, the CRM record (test_meeting_extras.py)
                "conferenceData",
                "reminders",
                "source",
                # the organiser's copy carries the attendees (test_attendees.py)
                "attendees",
            },
        )
        self.assertNotIn("Rabatt", json.dumps(sent[0]))
        self.assertIn("gast@example.org", [a["email"] for a in body["attendees"]])
        self.assertEqual(body["description"].strip(), "Agenda")

    def test_allday_series_and_dst(self):
        # A weekly series at 09:00 Berlin time crossing the end of daylight saving
        # time keeps 09:00 local time in Odoo.
        start_local = "2027-10-22T09:00:00"
        self.emulator.add_event(
            "alice@example.com",
            "alice@example.com",
            {
                "summary": "Über die Zeitumstellung",
                "start": {"dateTime": start_local, "timeZone": "Europe/Berlin"},
                "end": {"dateTime": "2027-10-22T10:00:00", "timeZone": "Europe/Berlin"},
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
            },
        )
        self.emulator.add_event(
            "alice@example.com",
            "alice@example.com",
            {
                "summary": "Ganztägige Serie",
                "start": {"date": "2027-03-01"},
                "end": {"date": "2027-03-02"},
                "recurrence": ["RRULE:FREQ=MONTHLY;COUNT=3"],
            },
        )
        self.sync()
        weekly = (
            self.events_of(self.alice)
            .filtered(lambda e: e.name == "Über die Zeitumstellung")
            .sorted("start")
        )
        # 22 and 29 October 2027 are summer time (UTC+2), 5 November winter time.
        self.assertEqual([(e.start.hour, e.start.minute) for e in weekly], [(7, 0), (7, 0), (8, 0)])
        allday = self.events_of(self.alice).filtered(lambda e: e.name == "Ganztägige Serie")
        self.assertEqual(len(allday), 3)
        self.assertTrue(all(allday.mapped("allday")))
        self.assertEqual(
            sorted(allday.mapped("start_date")),
            [datetime(2027, m, 1).date() for m in (3, 4, 5)],
        )
        report = self.sync()
        self.assertFalse(report.pulled or report.pushed, report)

    def test_first_sync_starts_at_once_and_shows_progress(self):
        hugo, hugo_token = self.connect_user("gcal_hugo", "hugo@example.com")
        cron = self.env.ref("crm_google_calendar_sync.ir_cron_google_calendar_sync")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        hugo.with_user(hugo).write({"google_sync_private": True})
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            len(triggers),
            "saving the settings starts the sync right away",
        )
        hugo.invalidate_recordset()
        self.assertIn("First synchronisation in progress", hugo.google_sync_progress)
        self.sync(hugo_token)
        hugo.invalidate_recordset()
        self.assertFalse(hugo.google_sync_progress)

    def test_imported_weekly_series_is_not_sent_back(self):
        """A Google series with an offset time, a time zone and BYDAY comes in
        and stays put: no patch goes back to Google on the following cycles."""
        day = self._future(120)
        saturday = day + timedelta(days=(5 - day.weekday()) % 7)
        local = saturday.strftime("%Y-%m-%d")
        self.emulator.add_event(
            "alice@example.com",
            "alice@example.com",
            {
                "summary": "Samstagsrunde",
                "description": "Agenda: pipeline review, next steps.",
                "location": "Customer site",
                "start": {"dateTime": f"{local}T08:00:00+02:00", "timeZone": "Europe/Berlin"},
                "end": {"dateTime": f"{local}T09:00:00+02:00", "timeZone": "Europe/Berlin"},
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=8;BYDAY=SA"],
            },
        )
        self.sync()
        events = self.env["calendar.event"].search([("name", "=", "Samstagsrunde")])
        self.assertEqual(len(events), 8)
        self.assertEqual(events.mapped("location"), ["Customer site"] * 8)
        # Odoo recomputes the rule text of the new series outside the sync's
        # context; that must not count as a change made in Odoo.
        self.assertFalse(any(events.mapped("google_sync_revision")))
        for _cycle in range(2):
            report = self.sync()
            self.assertFalse(report.pulled or report.pushed, report)

    def test_mixed_page_links_each_event_to_its_own_record(self):
        """Series and single events of one page are created together; every link
        must still point at the Odoo event made from its own Google event."""
        start = self._future(40).replace(hour=9, minute=0)
        created = []
        for index in range(6):
            body = {
                "summary": f"Gemischt {index}",
                "start": {
                    "dateTime": _google_time(start + timedelta(days=index)),
                    "timeZone": "UTC",
                },
                "end": {
                    "dateTime": _google_time(start + timedelta(days=index, hours=1)),
                    "timeZone": "UTC",
                },
            }
            if index % 2 == 0:
                body["recurrence"] = ["RRULE:FREQ=WEEKLY;COUNT=3"]
            created.append(self.emulator.add_event("alice@example.com", "alice@example.com", body))
        self.sync()
        links = self.env["crm.google.event.link"].search(
            [("google_event_id", "in", [event["id"] for event in created])]
        )
        self.assertEqual(len(links), 6)
        for event in created:
            link = links.filtered(lambda lnk, e=event: lnk.google_event_id == e["id"])
            self.assertEqual(link.event_id.name, event["summary"])
            self.assertEqual(bool(link.event_id.recurrency), "recurrence" in event)
            # The links of a page are inserted in one statement: the events see
            # them, and the columns hold what the ORM would have stored.
            self.assertEqual(link.event_id.google_link_ids, link)
            self.assertEqual(link.event_id.with_user(self.alice).google_sync_status, "synced")
            self.assertEqual(link.user_id, self.alice)
            self.assertEqual(link.state, "synced")
            self.assertEqual(link.odoo_synced_at, link.event_id.write_date)
            self.assertTrue(link.etag and link.fingerprint and link.create_date)
        self.env.cr.execute(
            "SELECT count(*) FROM crm_google_event_link WHERE id IN %s"
            " AND (readonly IS NULL OR odoo_revision IS NULL OR create_uid IS NULL)",
            [tuple(links.ids)],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        report = self.sync()
        self.assertFalse(report.pulled or report.pushed, report)

    def test_series_of_one_page_expand_like_odoo_creates_them(self):
        """The import expands all new series of a page in one create. Each must
        come out as Odoo's own create makes a series from the same rule: the same
        recurrence, the same occurrences, the base event among them."""
        start = self._future(30).replace(hour=7, minute=30)
        rules = [
            "RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO,TH",
            "RRULE:FREQ=DAILY;INTERVAL=2;COUNT=3",
            "RRULE:FREQ=MONTHLY;COUNT=3;BYMONTHDAY=15",
            f"RRULE:FREQ=WEEKLY;UNTIL={(start + timedelta(days=20)):%Y%m%d}T235959Z",
        ]
        for index, rule in enumerate(rules):
            day = start + timedelta(days=index)
            self.emulator.add_event(
                "alice@example.com",
                "alice@example.com",
                {
                    "summary": f"Importreihe {index}",
                    "start": {"dateTime": _google_time(day), "timeZone": "Europe/Berlin"},
                    "end": {
                        "dateTime": _google_time(day + timedelta(hours=1)),
                        "timeZone": "Europe/Berlin",
                    },
                    "recurrence": [rule],
                },
            )
        self.sync()
        report = self.sync()
        self.assertFalse(report.pulled or report.pushed, report)
        Event = self.env["calendar.event"].with_context(
            no_mail_to_attendees=True, dont_notify=True, **SYNC_MARK_CONTEXT
        )
        for index in range(len(rules)):
            imported = self.env["calendar.event"].search([("name", "=", f"Importreihe {index}")])
            recurrence = imported.recurrence_id
            self.assertEqual(len(recurrence), 1, f"Importreihe {index}")
            self.assertIn(recurrence.base_event_id, imported)
            self.assertEqual(recurrence.calendar_event_ids, imported)
            self.assertTrue(all(imported.mapped("follow_recurrence")))
            self.assertEqual(
                imported.attendee_ids.partner_id, self.alice.partner_id, f"Importreihe {index}"
            )
            self.assertEqual(
                sorted(imported.mapped("google_original_start")),
                sorted(imported.mapped("start")),
            )
            base = recurrence.base_event_id
            rule_values = recurrence.read(list(Event._get_recurrent_fields() - {"weekday"}))[0]
            rule_values.pop("id")
            reference = Event.create(
                {
                    "name": f"Referenz {index}",
                    "start": base.start,
                    "stop": base.stop,
                    "partner_ids": [(6, 0, self.alice.partner_id.ids)],
                    "recurrency": True,
                    **rule_values,
                }
            )
            expected = reference.recurrence_id.calendar_event_ids
            # Odoo stamps the rule text with the second it computed it (DTSTART).
            self.assertEqual(
                _rule_lines(recurrence.rrule), _rule_lines(reference.recurrence_id.rrule)
            )
            self.assertEqual(
                sorted(imported.mapped(lambda e: (e.start, e.stop))),
                sorted(expected.mapped(lambda e: (e.start, e.stop))),
                f"Importreihe {index}",
            )

    def test_sync_attendance_subscribes_like_odoo(self):
        """The import skips Odoo's follower check for the user's own attendance
        (it would subscribe nobody); anyone else still becomes a follower."""
        start = self._future(50)
        self._google_meeting("Eigene Teilnahme", start)
        self.sync()
        event = self.env["calendar.event"].search([("name", "=", "Eigene Teilnahme")])
        self.assertEqual(event.attendee_ids.partner_id, self.alice.partner_id)
        self.assertFalse(event.message_partner_ids)
        guest = self.env["res.partner"].create({"name": "Gast", "email": "gast@example.com"})
        event.with_user(self.alice).sudo().with_context(**SYNC_MARK_CONTEXT).write(
            {"partner_ids": [(4, guest.id)]}
        )
        self.assertEqual(event.message_partner_ids, guest)
