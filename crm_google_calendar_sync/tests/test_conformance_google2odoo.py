# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Odoo 18's own Google -> Odoo scenarios (``google_calendar/tests/test_sync_google2odoo.py``)
through our real flow.

Each test names the Odoo test it comes from, starts from the same state and checks
Odoo's assertions; the Google side is changed as a person's calendar app changes it
(the user's API client against the emulator), then the cron's entry point syncs. Odoo's
dates lie in 2020-2024; ours lie in the same weekdays a few weeks ahead, inside the sync
window (our contract synchronises the last 30 days and everything ahead). Where our
documented contract differs on purpose, the test says so and asserts our rule. The
scenarios left out (attendees and answers, partner creation, alarms, video links,
owner properties, sync pause) are listed in ``docs/conformance.md``.
"""

from datetime import date, datetime, timedelta

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import html_sanitize

from ..sync import recurrence
from .recurring_common import SeriesCase, allday, next_weekday, timed, utc

# Odoo's HTML description of test_new_google_event.
HOSTILE_DESCRIPTION = (
    '<script>alert("boom")</script><p style="white-space: pre"><h1>HELLO</h1></p>'
    "<ul><li>item 1</li><li>item 2</li></ul>"
)


@tagged("post_install", "-at_install", "crm_gcal_conformance")
class TestConformanceGoogle2Odoo(SeriesCase):
    def setUp(self):
        super().setUp()
        # Odoo's Monday 2020-01-06 and its Wednesday 2020-01-01, a few weeks ahead.
        self.monday = next_weekday(0, weeks=2)
        self.wednesday = next_weekday(2, weeks=2)

    def week(self, day, weeks):
        return day + timedelta(weeks=weeks)

    def instance_ids(self, series_id, events):
        """Google's ids of the occurrences ``events`` of a series (Odoo's google_id)."""
        return [
            recurrence.instance_id(series_id, event.google_original_start, event.allday)
            for event in events
        ]

    def odoo_series_in_google(self, name, day, rule, **values):
        """A series created in Odoo by the user and sent to Google by one sync (Odoo's
        tests start from a recurrence that already has a google_id)."""
        event = self.odoo_series(name, day, **rule, **values)
        self.sync()
        return event, event.recurrence_id, event.google_link_ids.google_event_id

    # ------------------------------------------------------------------
    def test_new_google_event(self):
        """From test_new_google_event (attendee assertions left out). Google's HTML
        is sanitised as Odoo's sanitiser does it, and our contract also drops inline
        styles (Odoo's module keeps ``style="white-space: pre"``)."""
        self.g_insert(
            {
                "summary": "Pricing new update",
                "description": HOSTILE_DESCRIPTION,
                "visibility": "public",
                **timed(self.monday, 16, 3, tz="Europe/Brussels", minute=55),
            }
        )
        self.sync()
        event = self.odoo_events(name="Pricing new update")
        self.assertEqual(len(event), 1)
        self.assertFalse(event.allday)
        self.assertEqual(event.description, html_sanitize(HOSTILE_DESCRIPTION, strip_style=True))
        self.assertEqual(event.start, utc(self.monday, 16, "Europe/Brussels", 55))
        self.assertEqual(event.stop, utc(self.monday, 19, "Europe/Brussels", 55))

    def test_cancelled(self):
        """From test_cancelled. Odoo deletes the meeting; our contract archives it (a
        deletion in Google never destroys data in Odoo)."""
        created = self.g_insert({"summary": "coucou", **allday(self.monday)})
        self.sync()
        event = self.odoo_events(name="coucou")
        self.g_delete(created["id"])
        self.sync()
        self.assertTrue(event.exists())
        self.assertFalse(event.active)

    def test_recurrence(self):
        """From test_recurrence."""
        series = self.g_series(
            "Pricing new update",
            self.monday,
            "FREQ=WEEKLY;WKST=SU;COUNT=3;BYDAY=MO",
            body=allday(self.monday),
        )
        self.sync()
        events = self.odoo_events(name="Pricing new update")
        self.assertEqual(len(events), 3)
        self.assertEqual(len(events.recurrence_id), 1)
        self.assertTrue(all(events.mapped("recurrency")))
        self.assertEqual(events.mapped("start_date"), [self.week(self.monday, i) for i in range(3)])
        self.assertEqual(
            self.instance_ids(series["id"], events),
            [f"{series['id']}_{self.week(self.monday, i):%Y%m%d}" for i in range(3)],
        )
        self.assertIdle()

    def test_recurrence_datetime(self):
        """From test_recurrence_datetime."""
        series = self.g_series(
            "Pricing new update",
            self.monday,
            "FREQ=WEEKLY;WKST=SU;COUNT=3;BYDAY=MO",
            body=timed(self.monday, 18, tz="Europe/Brussels"),
        )
        self.sync()
        events = self.odoo_events(name="Pricing new update")
        starts = [utc(self.week(self.monday, i), 18, "Europe/Brussels") for i in range(3)]
        self.assertEqual(events.mapped("start"), starts)
        self.assertTrue(all(events.mapped("recurrency")))
        self.assertEqual(
            self.instance_ids(series["id"], events),
            [f"{series['id']}_{start:%Y%m%dT%H%M%SZ}" for start in starts],
        )
        self.assertIdle()

    def _weekly_allday(self, name="Pricing new update", count=3, day=None):
        day = day or self.monday
        rule = f"FREQ=WEEKLY;WKST=SU;COUNT={count};BYDAY={('MO', 'WE')[day.weekday() == 2]}"
        return self.g_series(name, day, rule, body=allday(day))

    def test_recurrence_exdate(self):
        """From test_recurrence_exdate: the second occurrence is cancelled in Google
        before the first sync (the same page as its series)."""
        series = self._weekly_allday()
        self.g_delete(self.g_instances(series["id"])[1]["id"])
        self.sync()
        events = self.odoo_events(name="Pricing new update")
        self.assertEqual(events.mapped("start_date"), [self.monday, self.week(self.monday, 2)])
        self.assertIdle()

    def test_recurrence_first_exdate(self):
        """From test_recurrence_first_exdate: the first occurrence is cancelled."""
        series = self._weekly_allday("r rul")
        self.g_delete(self.g_instances(series["id"])[0]["id"])
        self.sync()
        events = self.odoo_events(name="r rul")
        self.assertEqual(
            events.mapped("start_date"), [self.week(self.monday, 1), self.week(self.monday, 2)]
        )
        self.assertSameOnBothSides(["r rul"])
        self.assertIdle()

    def test_recurrencde_first_updated(self):
        """From test_recurrencde_first_updated (sic): the first occurrence renamed on
        the same page as its new series."""
        series = self._weekly_allday("rrule", day=self.wednesday)
        self.g_patch(self.g_instances(series["id"])[0]["id"], {"summary": "edited"})
        self.sync()
        events = self.odoo_events().filtered(lambda e: e.name in ("rrule", "edited"))
        self.assertEqual(len(events.recurrence_id), 1)
        self.assertEqual(events.mapped("name"), ["edited", "rrule", "rrule"])
        self.assertIdle()

    def test_existing_recurrence_first_updated(self):
        """From test_existing_recurrence_first_updated."""
        _base, rec, series_id = self.odoo_series_in_google(
            "coucou",
            datetime.combine(self.monday, datetime.min.time()),
            {"allday": True, "rrule_type": "weekly", "mon": True, "end_type": "count", "count": 3},
        )
        first = self.g_instances(series_id)[0]
        self.g_patch(first["id"], {"summary": "edited"})
        self.sync()
        events = rec.calendar_event_ids.sorted("start")
        self.assertEqual(events.mapped("name"), ["edited", "coucou", "coucou"])
        self.assertIdle()

    def test_recurrence_outlier(self):
        """From test_recurrence_outlier: the second occurrence moved to Saturday."""
        series = self._weekly_allday()
        second = self.g_instances(series["id"])[1]
        self.g_patch(second["id"], allday(self.monday + timedelta(days=12)))
        self.sync()
        events = self.odoo_events(name="Pricing new update")
        self.assertEqual(
            events.mapped("start_date"),
            [self.monday, self.monday + timedelta(days=12), self.week(self.monday, 2)],
        )
        self.assertEqual(len(events.recurrence_id), 1)
        self.assertIdle()

    def test_recurrence_moved(self):
        """From test_recurrence_moved: Google moves the whole series to Wednesdays."""
        _base, rec, series_id = self.odoo_series_in_google(
            "coucou",
            datetime.combine(self.monday, datetime.min.time()),
            {"allday": True, "rrule_type": "weekly", "mon": True, "end_type": "count", "count": 2},
        )
        wednesday = self.monday + timedelta(days=2)
        self.g_patch(
            series_id,
            {"recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2;BYDAY=WE"], **allday(wednesday)},
        )
        self.sync()
        events = rec.calendar_event_ids.sorted("start")
        self.assertRule(rec, "FREQ=WEEKLY;COUNT=2;BYDAY=WE")
        self.assertEqual(events.mapped("start_date"), [wednesday, self.week(wednesday, 1)])
        self.assertEqual(
            self.instance_ids(series_id, events),
            [f"{series_id}_{day:%Y%m%d}" for day in (wednesday, self.week(wednesday, 1))],
        )
        self.assertSameOnBothSides(["coucou"])
        self.assertIdle()

    def test_recurrence_name_updated(self):
        """From test_recurrence_name_updated."""
        _base, rec, series_id = self.odoo_series_in_google(
            "coucou",
            datetime.combine(self.monday, datetime.min.time()),
            {"allday": True, "rrule_type": "weekly", "mon": True, "end_type": "count", "count": 2},
        )
        self.g_patch(series_id, {"summary": "coucou again"})
        self.sync()
        events = rec.calendar_event_ids.sorted("start")
        self.assertRule(rec, "FREQ=WEEKLY;COUNT=2;BYDAY=MO")
        self.assertEqual(events.mapped("name"), ["coucou again", "coucou again"])
        self.assertEqual(events.mapped("start_date"), [self.monday, self.week(self.monday, 1)])
        self.assertEqual(
            self.instance_ids(series_id, events),
            [f"{series_id}_{self.week(self.monday, i):%Y%m%d}" for i in range(2)],
        )
        self.assertIdle()

    def _odoo_timed_series(self, count=3):
        start = datetime.combine(self.monday, datetime.min.time()).replace(hour=8)
        return self.odoo_series_in_google(
            "coucou",
            start,
            {"rrule_type": "weekly", "mon": True, "end_type": "count", "count": count},
            hours=2,
        )

    def test_recurrence_write_with_outliers(self):
        """From test_recurrence_write_with_outliers: an occurrence moved in Odoo, then
        (before the next sync) the series renamed in Google: all three take the new
        name, the moved one keeps its time, and Google's ids stay."""
        _base, rec, series_id = self._odoo_timed_series()
        middle = rec.calendar_event_ids.sorted("start")[1]
        middle.with_user(self.user).write(
            {
                "start": middle.start.replace(hour=16),
                "stop": middle.stop.replace(hour=18),
                "recurrence_update": "self_only",
            }
        )
        self.g_patch(series_id, {"summary": "coucou again"})
        self.sync()
        events = rec.calendar_event_ids.sorted("start")
        self.assertRule(rec, "FREQ=WEEKLY;COUNT=3;BYDAY=MO")
        self.assertEqual(events.mapped("name"), ["coucou again"] * 3)
        self.assertEqual([event.start.hour for event in events], [8, 16, 8], events.mapped("start"))
        self.assertEqual(
            self.instance_ids(series_id, events),
            [f"{series_id}_{self.week(self.monday, i):%Y%m%d}T080000Z" for i in range(3)],
        )
        self.assertSameOnBothSides(["coucou again"])
        self.assertIdle()

    def test_recurrence_write_time_fields(self):
        """From test_recurrence_write_time_fields: Google moves the series to 12:00
        Brussels time (one more occurrence, a new title): every occurrence follows."""
        _base, _rec, series_id = self._odoo_timed_series()
        self.g_patch(
            series_id,
            {
                "summary": "It's me again",
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO"],
                **timed(self.monday, 12, 3, tz="Europe/Brussels"),
            },
        )
        self.sync()
        events = self.odoo_events(name="It's me again")
        self.assertEqual(
            events.mapped("start"),
            [utc(self.week(self.monday, i), 12, "Europe/Brussels") for i in range(4)],
        )
        self.assertFalse(self.odoo_events(name="coucou"))
        self.assertSameOnBothSides(["It's me again"])
        self.assertIdle()

    def test_recurrence_deleted(self):
        """From test_recurrence_deleted. Odoo deletes the recurrence and its events; our
        contract archives every occurrence (nothing is destroyed by a Google deletion)."""
        _base, rec, series_id = self._odoo_timed_series()
        events = rec.calendar_event_ids
        self.g_delete(series_id)
        self.sync()
        self.assertTrue(events.exists())
        self.assertFalse(events.filtered("active"))
        self.assertIdle()

    def test_recurrence_timezone(self):
        """From test_recurrence_timezone: the series' zone is kept on the recurrence."""
        self.g_series(
            "Event with",
            self.monday,
            "FREQ=WEEKLY;WKST=SU;COUNT=3;BYDAY=MO",
            body=timed(self.monday, 18, tz="Pacific/Auckland"),
        )
        self.sync()
        rec = self.odoo_events(name="Event with").recurrence_id
        self.assertEqual(rec.event_tz, "Pacific/Auckland")

    def test_recurrence_no_duplicate(self):
        """From test_recurrence_no_duplicate: two endless weekly series (Saturday and
        Sunday); the first day has exactly one meeting."""
        saturday = next_weekday(5, weeks=2)
        self.g_series(
            "Weekly test",
            saturday,
            "FREQ=WEEKLY;BYDAY=SA",
            body=timed(saturday, 15, tz="Europe/Zurich", minute=30),
        )
        self.g_series(
            "Weekly test 2",
            saturday + timedelta(days=1),
            "FREQ=WEEKLY;BYDAY=SU",
            body=timed(saturday + timedelta(days=1), 14, tz="Europe/Zurich", minute=30),
        )
        self.sync()
        first_day = self.odoo_events(name="Weekly test").filtered(
            lambda e: e.start.date() == saturday
        )
        self.assertEqual(len(first_day), 1)
        self.assertIdle()

    def test_recurrence_list_contains_more_items(self):
        """From test_recurrence_list_contains_more_items: a rule with X- parameters and
        an EXDATE with TZID (as Evolution writes them), stored by Google as given. Odoo's
        module ignores the EXDATE and shows three dates; our contract shows what Google
        shows: the excluded Monday is not there."""
        monday = self.monday
        self.sync()  # it comes with an incremental list
        self.emulator.add_event_unvalidated(
            self.email,
            self.email,
            {
                "summary": "Pricing new update",
                "recurrence": [
                    f"EXDATE;TZID=Europe/Rome:{self.week(monday, 1):%Y%m%d}",
                    f"RRULE;X-EVOLUTION-ENDDATE={self.week(monday, 2):%Y%m%d}:"
                    "FREQ=WEEKLY;COUNT=3;BYDAY=MO;X-RELATIVE=1",
                ],
                **allday(monday),
            },
        )
        self.sync()
        events = self.odoo_events(name="Pricing new update")
        self.assertEqual(events.mapped("start_date"), [monday, self.week(monday, 2)])
        self.assertEqual(events.mapped("stop_date"), [monday, self.week(monday, 2)])
        self.assertTrue(all(events.mapped("recurrency")))

    def test_simple_event_into_recurrency(self):
        """From test_simple_event_into_recurrency: a synced single event becomes a
        series in Google. Odoo's module replaces the event by a new series; ours turns
        the same event into the series' first occurrence: three meetings, no leftover."""
        single = self.g_insert(
            {
                "summary": "Pricing new update",
                "description": "Small mini desc",
                "visibility": "public",
                "start": {
                    "dateTime": f"{self.monday}T18:00:00",
                    "timeZone": "Europe/Brussels",
                },
                "end": {
                    "dateTime": f"{self.week(self.monday, 1)}T19:55:00",
                    "timeZone": "Europe/Brussels",
                },
            }
        )
        self.sync()
        self.g_patch(
            single["id"],
            {
                "summary": "Event with",
                "description": "",
                "recurrence": ["RRULE:FREQ=WEEKLY;WKST=SU;COUNT=3;BYDAY=MO"],
                **timed(self.monday, 18, tz="Europe/Brussels"),
            },
        )
        self.sync()
        events = self.odoo_events(name="Event with")
        self.assertEqual(len(events), 3)
        self.assertEqual(len(events.recurrence_id), 1)
        self.assertFalse(self.odoo_events(name="Pricing new update"))
        self.assertIdle()

    def test_recurrence_reduced(self):
        """From test_recurrence_reduced: a Friday series of two, then "this and
        following" from the second in Google (the old series ends, a new one starts
        with its first instance changed on its own): two meetings, never three."""
        friday = next_weekday(4, weeks=2)
        until = self.week(friday, 1) + timedelta(days=6)
        series = self.g_series(
            "coucou",
            friday,
            f"FREQ=WEEKLY;WKST=MO;UNTIL={until:%Y%m%d}T215959Z;BYDAY=FR",
            body=timed(friday, 8, 2, tz="UTC"),
        )
        self.sync()
        self.assertEqual(len(self.odoo_events(name="coucou")), 2)
        split = self.week(friday, 1)
        self.g_patch(
            series["id"],
            {
                "recurrence": [
                    f"RRULE:FREQ=WEEKLY;WKST=MO;UNTIL={split - timedelta(days=1):%Y%m%d}"
                    "T215959Z;BYDAY=FR"
                ]
            },
        )
        new = self.g_series(
            "coucou",
            split,
            f"FREQ=WEEKLY;WKST=MO;UNTIL={until:%Y%m%d}T215959Z;BYDAY=FR",
            body=timed(split, 8, 2, tz="UTC"),
        )
        self.g_patch(self.g_instances(new["id"])[0]["id"], {"summary": "coucou"})
        self.sync()
        self.assertEqual(len(self.odoo_events(name="coucou")), 2)
        self.assertSameOnBothSides(["coucou"])
        self.assertIdle()

    def test_event_with_availability(self):
        """From test_event_with_availability."""
        self.g_insert(
            {
                "summary": "Pricing new update",
                "transparency": "transparent",
                **timed(self.monday, 16, 3, tz="Europe/Brussels", minute=55),
            }
        )
        self.sync()
        self.assertEqual(self.odoo_events(name="Pricing new update").show_as, "free")

    def test_recurrence_range_start_date_in_other_dst_period(self):
        """From test_recurrence_range_start_date_in_other_dst_period: a monthly series
        starting the day after summer time began has one meeting that day."""
        year = date.today().year + 1
        last_sunday = date(year, 3, 31) - timedelta(days=(date(year, 3, 31).weekday() + 1) % 7)
        day = last_sunday + timedelta(days=1)
        self.g_series(
            "Start date in DST period",
            day,
            "FREQ=MONTHLY;COUNT=1",
            body=timed(day, 9, tz="Europe/Brussels"),
        )
        self.sync()
        events = self.odoo_events(name="Start date in DST period").filtered(
            lambda e: e.start.date() == day
        )
        self.assertEqual(len(events), 1)
        self.assertEqual(events.start, utc(day, 9, "Europe/Brussels"))

    def test_recurrence_edit_specific_event(self):
        """From test_recurrence_edit_specific_event: a series split in Google ("this and
        following" from its second Friday, with a new title) and one instance of the new
        series moved an hour earlier: one meeting that day."""
        friday = next_weekday(4, weeks=2)
        first = self.g_series(
            "First title",
            friday,
            "FREQ=WEEKLY;WKST=SU;COUNT=3;BYDAY=FR",
            body=timed(friday, 9, tz="Europe/Brussels"),
        )
        self.g_patch(
            first["id"],
            {
                "recurrence": [
                    f"RRULE:FREQ=WEEKLY;WKST=SU;UNTIL={friday + timedelta(days=6):%Y%m%d}"
                    "T215959Z;BYDAY=FR"
                ]
            },
        )
        second = self.g_series(
            "Second title",
            self.week(friday, 1),
            "FREQ=WEEKLY;WKST=SU;COUNT=2;BYDAY=FR",
            body=timed(self.week(friday, 1), 9, tz="Europe/Brussels"),
        )
        moved_day = self.week(friday, 2)
        self.g_patch(
            self.g_instances(second["id"])[1]["id"], timed(moved_day, 8, tz="Europe/Brussels")
        )
        self.sync()
        same_day = self.odoo_events(name="Second title").filtered(
            lambda e: e.start.date() == moved_day
        )
        self.assertEqual(len(same_day), 1)
        self.assertEqual(same_day.start, utc(moved_day, 8, "Europe/Brussels"))
        self.assertSameOnBothSides(["First title", "Second title"])
        self.assertIdle()

    def test_event_guest_modify_permission(self):
        """From test_event_guest_modify_permission: a guest may change an event of
        another organiser only when Google lets guests modify it. Ours: such events come
        in read-only, and the user is told so when editing one (Odoo's module raises a
        ValidationError). The sync pause part is Odoo-specific and left out."""
        # Invitations of another organiser, as Google itself puts them into the
        # guest's calendar (the API does not let anyone write them).
        for summary, can_modify in (
            ("Editable only by organizer", False),
            ("Editable by everyone", True),
        ):
            self.emulator.add_event_unvalidated(
                self.email,
                self.email,
                {
                    "summary": summary,
                    "guestsCanModify": can_modify,
                    "organizer": {"email": "organizer@example.com"},
                    "attendees": [{"email": self.email, "responseStatus": "accepted"}],
                    **timed(self.monday, 16, 3, tz="Europe/Brussels", minute=55),
                },
            )
        self.sync()
        locked = self.odoo_events(name="Editable only by organizer")
        editable = self.odoo_events(name="Editable by everyone")
        self.assertTrue(locked.google_link_ids.readonly)
        self.assertFalse(editable.google_link_ids.readonly)
        with self.assertRaises(UserError):
            locked.with_user(self.user).write({"name": "Edited by attendee!"})
        editable.with_user(self.user).write({"name": "Edited by attendee!"})
        self.sync()
        link = editable.google_link_ids
        self.assertEqual(self.g_get(link.google_event_id)["summary"], "Edited by attendee!")

    def test_create_event_with_default_and_undefined_privacy(self):
        """From test_create_event_with_default_and_undefined_privacy."""
        self.g_insert({"summary": "Undefined", **timed(self.monday, 10)})
        self.g_insert({"summary": "Default", "visibility": "default", **timed(self.monday, 11)})
        self.sync()
        self.assertFalse(self.odoo_events(name="Undefined").privacy)
        self.assertFalse(self.odoo_events(name="Default").privacy)

    def test_keep_organizer_attendee_writing_recurrence_from_google(self):
        """From test_keep_organizer_attendee_writing_recurrence_from_google: Google
        changes the rule, the start and the title of the user's series (without
        attendees): three meetings, each with the user as its only attendee, so they
        stay in the user's calendar."""
        start = datetime.combine(self.monday, datetime.min.time()).replace(hour=9)
        _base, rec, series_id = self.odoo_series_in_google(
            "rec", start, {"rrule_type": "daily", "end_type": "count", "count": 4}
        )
        third_day = self.monday + timedelta(days=2)
        self.g_patch(
            series_id,
            {
                "summary": "updated_rec",
                "recurrence": ["RRULE:FREQ=DAILY;INTERVAL=1;COUNT=3"],
                **timed(third_day, 8, tz="Europe/Brussels"),
            },
        )
        self.sync()
        events = self.odoo_events(name="updated_rec")
        self.assertEqual(len(events), 3)
        for event in events:
            self.assertEqual(event.attendee_ids.partner_id, self.user.partner_id)
        self.assertEqual(events.recurrence_id, rec)
        self.assertSameOnBothSides(["updated_rec"])
        self.assertIdle()
