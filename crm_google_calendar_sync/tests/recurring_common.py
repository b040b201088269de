# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Helpers of the recurring-series tests: Google changes made through the user's own
API client (as a person's calendar app would), Odoo changes as the user, and the
comparison of what each side shows."""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from odoo import fields

from .common import SyncCase

# The emulator's demo data (common made the emulator importable).
from google_calendar_emulator.seed import seed_account  # noqa: F401  isort: skip

TZ = "Europe/Berlin"


def local_iso(day, hour=9, minute=0):
    """Wall-clock ``dateTime`` (without offset) of a Google body in ``TZ``."""
    return datetime.combine(day, time(hour, minute)).strftime("%Y-%m-%dT%H:%M:%S")


def timed(day, hour=9, hours=1, tz=TZ, minute=0):
    """Google ``start``/``end`` of a timed event in the zone ``tz``."""
    start = datetime.combine(day, time(hour, minute))
    return {
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": tz},
        "end": {
            "dateTime": (start + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S"),
            "timeZone": tz,
        },
    }


def allday(day, days=1):
    return {
        "start": {"date": day.isoformat()},
        "end": {"date": (day + timedelta(days=days)).isoformat()},
    }


def utc(day, hour, tz=TZ, minute=0):
    """Naive UTC of a wall-clock time in ``tz`` (what Odoo stores)."""
    aware = datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tz))
    return aware.astimezone(timezone.utc).replace(tzinfo=None)


def next_weekday(weekday, weeks=1):
    """The ``weekday`` (0 = Monday) at least ``weeks`` weeks from today."""
    day = date.today() + timedelta(weeks=weeks)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def google_start(event):
    """Start of a Google event body in ISO form: a UTC date-time, or the date of an
    all-day event (comparable and sortable with :func:`odoo_start`)."""
    start = event["start"]
    if start.get("date"):
        return start["date"]
    moment = datetime.fromisoformat(start["dateTime"].replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat()


def odoo_start(event):
    return (event.start_date if event.allday else event.start).isoformat()


class SeriesCase(SyncCase):
    """Each test: a user with a Google account of their own in the class's emulator
    (whose data outlives the tests); both sides as the user sees them."""

    accounts = 0

    def setUp(self):
        super().setUp()
        self.new_account()

    def new_account(self):
        """Switch to a new user with an empty Google account."""
        SeriesCase.accounts += 1
        self.email = f"serien{SeriesCase.accounts}@example.com"
        self.user, self.token = self.connect_user(
            f"gcal_serien{SeriesCase.accounts}", self.email, tz=TZ
        )

    def sync(self, token=None, expect_ran=True):
        return super().sync(token or self.token, expect_ran)

    # ------------------------------------------------------------------
    # Google, as the user's calendar app changes it
    # ------------------------------------------------------------------
    def events_api(self, token=None):
        return (token or self.token)._google_client().service.events()

    def g_insert(self, body, calendar=None, token=None):
        return (
            self.events_api(token)
            .insert(calendarId=calendar or self.email, body=body, sendUpdates="none")
            .execute()
        )

    def g_patch(self, event_id, body, calendar=None, token=None):
        return (
            self.events_api(token)
            .patch(calendarId=calendar or self.email, eventId=event_id, body=body)
            .execute()
        )

    def g_delete(self, event_id, calendar=None, token=None):
        self.events_api(token).delete(calendarId=calendar or self.email, eventId=event_id).execute()

    def g_instances(self, series_id, calendar=None, token=None):
        """The live instances of a Google series, in order."""
        return (
            self.events_api(token)
            .instances(calendarId=calendar or self.email, eventId=series_id)
            .execute()["items"]
        )

    def g_get(self, event_id, calendar=None, token=None):
        return (
            self.events_api(token)
            .get(calendarId=calendar or self.email, eventId=event_id)
            .execute()
        )

    def g_series(self, summary, day, rule, *, hour=9, count=None, body=None, calendar=None):
        """A series the user creates in Google (``rule`` without ``RRULE:``)."""
        values = {"summary": summary, **(body or timed(day, hour))}
        values["recurrence"] = [f"RRULE:{rule}"]
        return self.g_insert(values, calendar=calendar)

    # ------------------------------------------------------------------
    # What each side shows
    # ------------------------------------------------------------------
    def google_view(self, calendar=None, token=None):
        """Every event the user sees in Google (series expanded): sorted
        ``(start, summary)`` pairs, from the sync window on."""
        service = self.events_api(token)
        window = fields.Datetime.now() - timedelta(days=30)
        items, page_token = [], None
        while True:
            page = service.list(
                calendarId=calendar or self.email,
                singleEvents=True,
                timeMin=window.strftime("%Y-%m-%dT%H:%M:%SZ"),
                maxResults=2500,
                pageToken=page_token,
            ).execute()
            items += page["items"]
            page_token = page.get("nextPageToken")
            if not page_token:
                break
        return sorted(
            (google_start(item), item.get("summary") or "")
            for item in items
            if item.get("status") != "cancelled"
        )

    def odoo_events(self, user=None, name=None):
        domain = [("partner_ids", "in", (user or self.user).partner_id.ids)]
        if name is not None:
            domain.append(("name", "=", name))
        return self.env["calendar.event"].search(domain, order="start")

    def odoo_view(self, user=None, names=None):
        """The user's active Odoo meetings from the sync window on, like google_view."""
        window = fields.Datetime.now() - timedelta(days=30)
        events = self.odoo_events(user).filtered(lambda e: e.stop >= window)
        if names is not None:
            events = events.filtered(lambda e: e.name in names)
        return sorted((odoo_start(event), event.name) for event in events)

    def assertSameOnBothSides(self, names=None, user=None, token=None, calendar=None):
        google = self.google_view(calendar, token)
        if names is not None:
            google = [item for item in google if item[1] in names]
        self.assertEqual(self.odoo_view(user, names), google)

    def assertIdle(self, token=None):
        """Another cycle changes nothing on either side."""
        report = self.sync(token)
        self.assertFalse(report.pulled or report.pushed or report.errors, report)
        return report

    def assertRule(self, recurrence, rule):
        """Odoo's rule text of ``recurrence`` says ``rule`` (Odoo writes its own text,
        with DTSTART and the week start of the user's language)."""
        text = recurrence.rrule.split("RRULE:")[-1]
        parts = {part for part in text.split(";") if not part.startswith("WKST=")}
        self.assertEqual(parts, set(rule.split(";")), recurrence.rrule)

    def calendar_of(self, user=None, google_id=None):
        user = user or self.user
        return (
            self.env["crm.google.calendar"]
            .sudo()
            .search([("user_id", "=", user.id), ("google_id", "=", google_id or self.email)])
        )

    # ------------------------------------------------------------------
    # Odoo, as the user changes it
    # ------------------------------------------------------------------
    def odoo_series(self, name, start, *, hours=1, user=None, **rule):
        """A series the user creates in Odoo's form (recurrency and rule fields)."""
        user = user or self.user
        values = {
            "name": name,
            "start": fields.Datetime.to_string(start),
            "stop": fields.Datetime.to_string(start + timedelta(hours=hours)),
            "partner_ids": [(6, 0, user.partner_id.ids)],
            "recurrency": True,
            "interval": 1,
            **rule,
        }
        if values.get("allday"):
            # The form sends the days of an all-day meeting.
            values.update(start_date=start.date(), stop_date=start.date())
        return self.env["calendar.event"].with_user(user).create(values)
