# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Odoo 18's own Odoo -> Google scenarios (``google_calendar/tests/test_sync_odoo2google.py``)
through our real flow.

Each test names the Odoo test it comes from: the user changes Odoo through the ORM
with their own rights, with the values Odoo's calendar sends (``recurrence_update``,
``action_mass_archive``), then the cron's entry point syncs and the test reads what
Google (the emulator) now holds. Odoo's module asserts the request bodies it sends;
we assert the outcome in Google, which is what those bodies are for. Dates lie a few
weeks ahead, inside the sync window. The scenarios left out are listed in
``docs/conformance.md``.
"""

from datetime import datetime, timedelta

from odoo.tests import tagged
from odoo.tools import html_sanitize

from .recurring_common import SeriesCase, google_start, next_weekday

HOSTILE_DESCRIPTION = (
    '<script>alert("boom")</script><p style="white-space: pre"><h1>HELLO</h1></p>'
    "<ul><li>item 1</li><li>item 2</li></ul>"
)
WRITES = ("events.insert", "events.patch", "events.update", "events.delete")


@tagged("post_install", "-at_install", "crm_gcal_conformance")
class TestConformanceOdoo2Google(SeriesCase):
    def setUp(self):
        super().setUp()
        # Odoo's Wednesday 2020-01-15, a few weeks ahead.
        self.wednesday = next_weekday(2, weeks=2)
        self.at_eight = datetime.combine(self.wednesday, datetime.min.time()).replace(hour=8)

    def meeting_of_user(self, **values):
        values.setdefault("partner_ids", [(6, 0, self.user.partner_id.ids)])
        return self.env["calendar.event"].with_user(self.user).create(values)

    def allday_values(self, day=None, **values):
        day = day or self.wednesday
        start = datetime.combine(day, datetime.min.time())
        return dict(
            {"allday": True, "start": start, "stop": start, "start_date": day, "stop_date": day},
            **values,
        )

    def weekly(self, count, name="Event", day="wed", **times):
        """A weekly series of ``count`` meetings the user creates in Odoo's form
        (all-day on Wednesdays unless ``times`` say otherwise)."""
        values = times or self.allday_values()
        return self.meeting_of_user(
            name=name,
            **values,
            recurrency=True,
            rrule_type="weekly",
            end_type="count",
            count=count,
            **{day: True},
        )

    def google_of(self, event):
        return self.g_get(event.google_link_ids.google_event_id)

    def google_writes(self):
        return [r.api_call for r in self.emulator.requests if r.api_call in WRITES]

    def instances(self, event):
        return self.g_instances(event.google_link_ids.google_event_id)

    # ------------------------------------------------------------------
    def test_event_creation(self):
        """From test_event_creation (attendees, reminders and Odoo's extended
        properties left out). A private meeting travels only when the user chose to
        synchronise private appointments (our contract); the description is sanitised
        and sent without inline styles."""
        self.user.with_user(self.user).write({"google_sync_private": True})
        event = self.meeting_of_user(
            name="Event",
            start=self.at_eight,
            stop=self.at_eight.replace(hour=18),
            privacy="private",
            description=HOSTILE_DESCRIPTION,
        )
        self.sync()
        google = self.google_of(event)
        self.assertEqual(google_start(google), self.at_eight.isoformat())
        self.assertEqual(
            google_start({"start": google["end"]}), self.at_eight.replace(hour=18).isoformat()
        )
        self.assertEqual(google["summary"], "Event")
        self.assertEqual(google["visibility"], "private")
        self.assertEqual(google["transparency"], "opaque")
        self.assertFalse(google.get("location"))
        self.assertNotIn("script", google["description"])
        self.assertEqual(
            html_sanitize(google["description"], strip_style=True),
            html_sanitize(HOSTILE_DESCRIPTION, strip_style=True),
        )

    def test_event_allday_creation(self):
        """From test_event_allday_creation."""
        event = self.meeting_of_user(name="Event", **self.allday_values())
        self.sync()
        google = self.google_of(event)
        self.assertEqual(google["start"], {"date": str(self.wednesday)})
        self.assertEqual(google["end"], {"date": str(self.wednesday + timedelta(days=1))})
        self.assertEqual(google["summary"], "Event")

    def test_inactive_event(self):
        """From test_inactive_event: an archived meeting never synced is not sent."""
        self.meeting_of_user(name="Event", start=self.at_eight, stop=self.at_eight, active=False)
        self.emulator.reset_requests()
        self.sync()
        self.assertEqual(self.google_writes(), [])
        self.assertFalse(self.emulator.list_events_raw(self.email, include_deleted=True))

    def test_synced_inactive_event(self):
        """From test_synced_inactive_event: archiving a synced meeting deletes it."""
        event = self.meeting_of_user(name="Event", **self.allday_values())
        self.sync()
        google_id = event.google_link_ids.google_event_id
        event.with_user(self.user).action_archive()
        self.sync()
        self.assertEqual(self.emulator.get_event_raw(self.email, google_id)["status"], "cancelled")

    def test_recurrence(self):
        """From test_recurrence."""
        event = self.weekly(2)
        self.sync()
        google = self.google_of(event)
        self.assertEqual(google["recurrence"], ["RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=2"])
        self.assertEqual(google["start"], {"date": str(self.wednesday)})
        self.assertEqual(google["end"], {"date": str(self.wednesday + timedelta(days=1))})
        self.assertEqual(len(self.instances(event)), 2)
        self.assertSameOnBothSides(["Event"])
        self.assertIdle()

    def test_event_added_to_recurrence(self):
        """From test_event_added_to_recurrence: a synced meeting made weekly. Odoo's
        module deletes its Google event and inserts a new series; ours turns the same
        Google event into the series (one request, the same outcome in the calendar:
        one series of two, no leftover)."""
        event = self.meeting_of_user(name="Event", **self.allday_values())
        self.sync()
        google_id = event.google_link_ids.google_event_id
        event.with_user(self.user).write(
            {
                "recurrency": True,
                "rrule_type": "weekly",
                "wed": True,
                "end_type": "count",
                "count": 2,
            }
        )
        self.sync()
        self.assertEqual(
            self.g_get(google_id)["recurrence"], ["RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=2"]
        )
        self.assertEqual(len(self.g_instances(google_id)), 2)
        self.assertEqual(len(self.emulator.list_events_raw(self.email)), 1)
        self.assertSameOnBothSides(["Event"])
        self.assertIdle()

    def _allday_series(self, count=2):
        event = self.weekly(count)
        self.sync()
        return event

    def test_following_event_updated(self):
        """From test_following_event_updated: "this and following" from the second
        occurrence with a new name gives Google a new series of one."""
        base = self._allday_series()
        second = base.recurrence_id.calendar_event_ids.sorted("start")[1]
        second.with_user(self.user).write(
            {"name": "New name", "recurrence_update": "future_events"}
        )
        self.sync()
        new = self.google_of(second)
        self.assertEqual(new["summary"], "New name")
        self.assertEqual(new["recurrence"], ["RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=1"])
        self.assertEqual(new["start"], {"date": str(self.wednesday + timedelta(weeks=1))})
        self.assertEqual(len(self.instances(base)), 1)
        self.assertSameOnBothSides(["Event", "New name"])
        self.assertIdle()

    def test_all_event_updated(self):
        """From test_all_event_updated: renaming all occurrences renames the series.
        Odoo's module inserts a new series; ours patches the existing one."""
        base = self._allday_series()
        google_id = base.google_link_ids.google_event_id
        base.with_user(self.user).write({"name": "New name", "recurrence_update": "all_events"})
        self.sync()
        google = self.g_get(google_id)
        self.assertEqual(google["summary"], "New name")
        self.assertEqual(google["recurrence"], ["RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=2"])
        self.assertEqual(
            [item["summary"] for item in self.g_instances(google_id)], ["New name"] * 2
        )
        self.assertEqual(len(self.emulator.list_events_raw(self.email)), 1)
        self.assertIdle()

    def test_event_until_utc(self):
        """From test_event_until_utc: the end date of a rule reaches Google as UNTIL, in
        UTC (ending with Z) for a timed series. For an all-day series Google gets
        RFC 5545's date form (Odoo's module sends a UTC time there too); both end on
        the same day."""
        until = self.wednesday + timedelta(days=2)
        timed_event = self.meeting_of_user(
            name="Timed",
            start=self.at_eight,
            stop=self.at_eight + timedelta(hours=1),
            recurrency=True,
            rrule_type="daily",
            end_type="end_date",
            until=until,
        )
        allday_event = self.meeting_of_user(
            name="All day",
            **self.allday_values(),
            recurrency=True,
            rrule_type="daily",
            end_type="end_date",
            until=until,
        )
        self.sync()
        rule = self.google_of(timed_event)["recurrence"][0]
        self.assertRegex(rule, r"^RRULE:FREQ=DAILY;UNTIL=\d{8}T\d{6}Z$")
        self.assertEqual(
            self.google_of(allday_event)["recurrence"], [f"RRULE:FREQ=DAILY;UNTIL={until:%Y%m%d}"]
        )
        for event in (timed_event, allday_event):
            self.assertEqual(len(self.instances(event)), 3)
        # A new interval keeps the end: "RRULE:...;UNTIL=...Z;INTERVAL=3" in Odoo's test.
        timed_event.with_user(self.user).write({"interval": 3, "recurrence_update": "all_events"})
        self.sync()
        rule = self.google_of(timed_event)["recurrence"][0]
        self.assertRegex(rule, r"^RRULE:FREQ=DAILY;INTERVAL=3;UNTIL=\d{8}T\d{6}Z$")
        self.assertEqual(len(self.instances(timed_event)), 1)
        self.assertSameOnBothSides(["Timed", "All day"])
        self.assertIdle()

    def test_write_unsynced_field(self):
        """From test_write_unsynced_field: a change of fields Google does not get
        (here the meeting types, for all occurrences) sends nothing."""
        base = self._allday_series()
        kind = self.env["calendar.event.type"].create({"name": "type"})
        base.with_user(self.user).write(
            {"categ_ids": [(4, kind.id)], "recurrence_update": "all_events"}
        )
        self.assertTrue(all(e.categ_ids == kind for e in base.recurrence_id.calendar_event_ids))
        self.emulator.reset_requests()
        self.sync()
        self.assertEqual(self.google_writes(), [])

    def test_all_event_with_tz_updated(self):
        """From test_all_event_with_tz_updated: renaming a timed series keeps its
        instants and sends the series' zone (the user's, as in Odoo's test)."""
        base = self.weekly(2, start=self.at_eight, stop=self.at_eight + timedelta(hours=1))
        self.sync()
        base.with_user(self.user).write({"name": "New name", "recurrence_update": "all_events"})
        self.sync()
        google = self.google_of(base)
        self.assertEqual(google["summary"], "New name")
        self.assertEqual(google["start"]["timeZone"], self.user.tz)
        self.assertEqual(google_start(google), self.at_eight.isoformat())
        self.assertEqual(google["recurrence"], ["RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=2"])
        self.assertIdle()

    def test_not_send_update_do_request(self):
        """From test_not_send_update_do_request: the sync never e-mails attendees
        (``sendUpdates=none``); our contract has no way to ask for the opposite."""
        self.meeting_of_user(name="Event", **self.allday_values())
        self.emulator.reset_requests()
        self.sync()
        inserts = [r for r in self.emulator.requests if r.api_call == "events.insert"]
        self.assertEqual(len(inserts), 1)
        self.assertEqual(inserts[0].query.get("sendUpdates"), "none")

    def test_recurrence_delete_single_events(self):
        """From test_recurrence_delete_single_events: "Delete, this event" of the first
        occurrence cancels that instance in Google and makes the second one the base;
        deleting the last one too ends the series (Odoo's module patches the instance
        with ``status: cancelled``; we delete it, which Google records the same way)."""
        start = datetime.combine(next_weekday(3, weeks=2), datetime.min.time()).replace(hour=10)
        event_1 = self.weekly(2, day="thu", start=start, stop=start)
        self.sync()
        recurrence = event_1.recurrence_id
        event_2 = recurrence.calendar_event_ids.sorted("start")[1]
        google_id = event_1.google_link_ids.google_event_id
        event_1.with_user(self.user).action_mass_archive("self_only")
        self.assertFalse(event_1.active)
        self.assertEqual(recurrence.base_event_id, event_2)
        self.assertEqual(recurrence.calendar_event_ids, event_2)
        self.sync()
        instances = self.g_instances(google_id)
        self.assertEqual([google_start(item) for item in instances], [event_2.start.isoformat()])
        self.assertEqual(
            self.g_get(google_id)["recurrence"], ["RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=2"]
        )
        self.assertSameOnBothSides(["Event"])
        event_2.with_user(self.user).action_mass_archive("self_only")
        self.assertFalse(event_2.active)
        # Odoo's module archives the recurrence (its sync mixin adds ``active``);
        # Odoo's calendar alone deletes it.
        self.assertFalse(recurrence.exists())
        self.sync()
        self.assertEqual(self.google_view(), [])
        self.assertIdle()

    def test_event_available_privacy(self):
        """From test_event_available_privacy."""
        event = self.meeting_of_user(
            name="Event", start=self.at_eight, stop=self.at_eight, show_as="free"
        )
        self.sync()
        self.assertEqual(self.google_of(event)["transparency"], "transparent")

    def test_event_busy_privacy(self):
        """From test_event_busy_privacy."""
        event = self.meeting_of_user(
            name="Event", start=self.at_eight, stop=self.at_eight, show_as="busy"
        )
        self.sync()
        self.assertEqual(self.google_of(event)["transparency"], "opaque")

    def test_allday_duplicated_first_event_in_recurrence(self):
        """From test_allday_duplicated_first_event_in_recurrence: an all-day series of
        one goes to Google once, as a series, without a copy of its first day."""
        event = self.weekly(1, name="All Day Recurrent Event")
        self.emulator.reset_requests()
        self.sync()
        self.assertEqual(self.google_writes(), ["events.insert"])
        google = self.google_of(event)
        self.assertEqual(google["recurrence"], ["RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=1"])
        self.assertEqual(google["start"], {"date": str(self.wednesday)})
        self.assertEqual(len(self.emulator.list_events_raw(self.email)), 1)
        self.assertIdle()
