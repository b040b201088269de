# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What Odoo 18's own google_calendar module leaves in Google, made in the emulator
with the module's own requests (both modules cannot be installed in one database).

The bodies follow the module's ``calendar.event._google_values`` and
``calendar.recurrence._google_values`` (addons/google_calendar/models/calendar.py and
calendar_recurrence_rule.py) field by field; they go out as its
``GoogleCalendarService.insert`` and ``patch`` send them (same URL and parameters,
the user's own token), so Google's side (organiser, invitations into the guests'
primary calendars, the Meet link) is the emulator's, as it was Google's. One
difference: the module sends its ids as JSON numbers, which Google stores as
strings and the emulator's schema check refuses, so they go as strings (as
``bench/gcbench/ref.py`` does). ``scripts/switch_check.py`` runs the module itself.
"""

import json
import re
import uuid

import pytz
import requests
from dateutil.relativedelta import relativedelta

from odoo.tools import html_sanitize, is_html_empty

TIMEOUT = 10


def _times(event):
    if event.allday:
        start = {"date": event.start_date.isoformat(), "dateTime": None}
        stop = event.stop_date + relativedelta(days=1)
        return start, {"date": stop.isoformat(), "dateTime": None}
    return (
        {"dateTime": pytz.utc.localize(event.start).isoformat(), "date": None},
        {"dateTime": pytz.utc.localize(event.stop).isoformat(), "date": None},
    )


def module_event_values(event, pusher, organizer_synced=True, guests_readonly=False):
    """The body the module sends for ``event`` when ``pusher`` (res.users) syncs;
    ``organizer_synced``: the Odoo organiser had a Google token of the module."""
    db = event.env.cr.dbname
    start, end = _times(event)
    attendees = sorted(
        (
            {"email": a.partner_id.email_normalized, "responseStatus": a.state or "needsAction"}
            for a in event.attendee_ids
            if a.partner_id.email_normalized
        ),
        key=lambda item: item["email"],
    )
    values = {
        "start": start,
        "end": end,
        "summary": event.name,
        "description": html_sanitize(event.description)
        if not is_html_empty(event.description)
        else "",
        "location": event.location or "",
        # guests_readonly is the module's own field (gone with it), False unless
        # the event came from a Google event that did not let guests modify it.
        "guestsCanModify": not guests_readonly,
        "organizer": {"email": event.user_id.email, "self": event.user_id == pusher},
        "attendees": attendees,
        "extendedProperties": {"shared": {f"{db}_odoo_id": str(event.id)}},
        "reminders": {
            "overrides": [
                {
                    "method": "email" if alarm.alarm_type == "email" else "popup",
                    "minutes": alarm.duration_minutes,
                }
                for alarm in event.alarm_ids
            ],
            "useDefault": False,
        },
    }
    if not event.videocall_location and not event.location:
        values["conferenceData"] = {"createRequest": {"requestId": uuid.uuid4().hex}}
    if event.privacy:
        values["visibility"] = event.privacy
    if event.show_as:
        values["transparency"] = "opaque" if event.show_as == "busy" else "transparent"
    if event.user_id and event.user_id != pusher and not organizer_synced:
        values["extendedProperties"]["shared"][f"{db}_owner_id"] = str(event.user_id.id)
    elif not event.user_id:
        keep = ("id", "summary", "attendees", "start", "end", "reminders")
        values = {key: value for key, value in values.items() if key in keep}
        values["extendedProperties"] = {"private": {f"{db}_odoo_id": str(event.id)}}
    return values


def module_recurrence_values(recurrence, pusher):
    """The body the module sends for a series (on its first event's values)."""
    event = recurrence.calendar_event_ids.sorted("start")[:1]
    values = module_event_values(event, pusher)
    if not event.allday:
        values["start"]["timeZone"] = recurrence.event_tz or "Etc/UTC"
        values["end"]["timeZone"] = recurrence.event_tz or "Etc/UTC"
    rrule = re.sub("DTSTART:[0-9]{8}T[0-9]{1,8}\\n", "", recurrence.rrule)
    rrule = re.sub(r"(UNTIL=\d{8}T\d{6})($|;)", r"\1Z\2", rrule)
    values["recurrence"] = [f"RRULE:{rrule}" if "RRULE:" not in rrule else rrule]
    scope = "shared" if event.user_id else "private"
    values["extendedProperties"] = {scope: {f"{event.env.cr.dbname}_odoo_id": str(recurrence.id)}}
    return values


def _answer(response):
    if not response.ok:
        raise AssertionError(f"{response.status_code}: {response.text[:500]}")
    return response.json()


class ModuleClient:
    """The module's requests, made with one user's Google token."""

    def __init__(self, emulator, email):
        self.root = emulator.base_url + "calendar/v3/calendars/primary/events"
        self.headers = {
            "Content-type": "application/json",
            "Authorization": "Bearer " + emulator.issue_tokens(email)["access_token"],
        }

    def insert(self, values):
        """``GoogleCalendarService.insert``: a client id, a Meet when asked for."""
        values = dict(values, id=values.get("id") or uuid.uuid4().hex)
        url = f"{self.root}?conferenceDataVersion=1&sendUpdates=all"
        response = requests.post(
            url, data=json.dumps(values), headers=self.headers, timeout=TIMEOUT
        )
        return _answer(response)

    def patch(self, google_id, values):
        """``GoogleCalendarService.patch``."""
        url = f"{self.root}/{google_id}?sendUpdates=all"
        response = requests.patch(
            url, data=json.dumps(values), headers=self.headers, timeout=TIMEOUT
        )
        return _answer(response)
