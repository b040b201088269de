"""Demo data for the standalone emulator (CLI)."""

import datetime as dt
from zoneinfo import ZoneInfo

_TIMED = [
    # (day offset, hour, duration hours, summary, location)
    (-12, 9, 1, "Kick-off with ACME", "ACME HQ"),
    (-9, 14, 1, "Quarterly review", "Room 1"),
    (-6, 10, 2, "Workshop: pipeline hygiene", "Room 2"),
    (-4, 16, 1, "Call with supplier", ""),
    (-2, 11, 1, "Lunch with Maria", "Cafe Central"),
    (-1, 15, 1, "Contract negotiation", "Online"),
    (0, 10, 1, "Sales stand-up", "Room 1"),
    (0, 14, 2, "Customer demo", "Online"),
    (1, 9, 1, "Interview: sales assistant", "Room 3"),
    (2, 13, 1, "Follow-up Globex", "Phone"),
    (3, 10, 3, "Trade fair preparation", "Warehouse"),
    (5, 8, 1, "Breakfast meeting", "Hotel Bellevue"),
    (7, 11, 1, "Budget planning", "Room 1"),
    (10, 15, 1, "Partner meeting Initech", "Initech office"),
    (14, 9, 2, "Training: new CRM features", "Room 2"),
    (21, 10, 1, "Offer presentation", "Online"),
]


def _timed(tz_name, day, hour, hours, **extra):
    zone = ZoneInfo(tz_name)
    start = dt.datetime.combine(day, dt.time(hour), tzinfo=zone)
    end = start + dt.timedelta(hours=hours)
    body = {
        "start": {"dateTime": start.isoformat(), "timeZone": tz_name},
        "end": {"dateTime": end.isoformat(), "timeZone": tz_name},
    }
    body.update(extra)
    return body


def seed_account(server, email, time_zone="Europe/Berlin", today=None):
    """Primary calendar with ~20 events around today, a 'Team' and a read-only 'Holidays'."""
    server.add_account(email, time_zone=time_zone)
    today = today or server.clock.now().astimezone(ZoneInfo(time_zone)).date()
    for offset, hour, hours, summary, location in _TIMED:
        body = _timed(
            time_zone,
            today + dt.timedelta(days=offset),
            hour,
            hours,
            summary=summary,
            description=f"Demo event: {summary}",
        )
        if location:
            body["location"] = location
        server.add_event(email, email, body)
    server.add_event(
        email,
        email,
        {
            "summary": "Company offsite",
            "start": {"date": (today + dt.timedelta(4)).isoformat()},
            "end": {"date": (today + dt.timedelta(6)).isoformat()},
            "transparency": "transparent",
        },
    )
    server.add_event(
        email,
        email,
        _timed(
            time_zone,
            today + dt.timedelta(days=1),
            18,
            1,
            summary="Doctor's appointment",
            visibility="private",
        ),
    )
    # Weekly series on the weekday of three weeks ago, with one moved and one cancelled
    # instance.
    first = today - dt.timedelta(days=21)
    series = server.add_event(
        email,
        email,
        _timed(
            time_zone,
            first,
            9,
            1,
            summary="Weekly team sync",
            location="Room 1",
            recurrence=["RRULE:FREQ=WEEKLY;COUNT=10"],
        ),
    )
    with server.lock:
        backend = server.backend
        calendar = backend.calendars[email]
        instances = backend._expand(calendar, series)
        moved = instances[3]
        moved["summary"] = "Weekly team sync (moved)"
        start = dt.datetime.fromisoformat(moved["start"]["dateTime"]) + dt.timedelta(hours=1)
        end = dt.datetime.fromisoformat(moved["end"]["dateTime"]) + dt.timedelta(hours=1)
        moved["start"]["dateTime"] = start.isoformat()
        moved["end"]["dateTime"] = end.isoformat()
        backend._store(calendar, None, moved["id"], moved, True)
        cancelled = instances[5]
        cancelled["status"] = "cancelled"
        backend._store(calendar, None, cancelled["id"], cancelled, False)
    team = server.add_calendar(email, summary="Team", access_role="owner", time_zone=time_zone)
    for offset, hour, summary in (
        (-3, 10, "Team retro"),
        (1, 16, "Team planning"),
        (8, 12, "Team lunch"),
    ):
        server.add_event(
            email,
            team,
            _timed(time_zone, today + dt.timedelta(days=offset), hour, 1, summary=summary),
        )
    holidays = server.add_calendar(
        email, summary="Holidays", access_role="reader", time_zone=time_zone
    )
    for offset, summary in ((-15, "Public holiday"), (12, "Bank holiday")):
        day = today + dt.timedelta(days=offset)
        server.add_event(
            email,
            holidays,
            {
                "summary": summary,
                "start": {"date": day.isoformat()},
                "end": {"date": (day + dt.timedelta(days=1)).isoformat()},
                "transparency": "transparent",
            },
        )
    return {"primary": email, "team": team, "holidays": holidays}


CUSTOMER = {"email": "laura.baker@deco-addict.example", "displayName": "Laura Baker"}


def _guests(emails, answers=()):
    answers = list(answers)
    return [
        {"email": email, "responseStatus": answers[i] if i < len(answers) else "needsAction"}
        for i, email in enumerate(emails)
    ]


def seed_meetings(server, emails, time_zone="Europe/Berlin", today=None):
    """Meetings between the demo accounts and a customer: invitations, a Meet link, reminders.

    The first account organizes two of them (the others and the customer invited); the
    second, if any, invites the first. Each guest finds his copy in his primary calendar.
    """
    organizer, colleagues = emails[0], list(emails[1:])
    today = today or server.clock.now().astimezone(ZoneInfo(time_zone)).date()
    day = today + dt.timedelta(days=2)
    server.add_event(
        organizer,
        organizer,
        _timed(
            time_zone,
            day,
            11,
            1,
            summary="Pipeline review",
            description="Demo event: video call with invitations and reminders",
            attendees=_guests([organizer, *colleagues], ["accepted", "accepted"]),
            conferenceData={
                "createRequest": {
                    "requestId": "demo-pipeline-review",
                    "conferenceSolutionKey": {"type": "hangoutsMeet"},
                }
            },
            reminders={
                "useDefault": False,
                "overrides": [
                    {"method": "popup", "minutes": 15},
                    {"method": "email", "minutes": 60},
                ],
            },
        ),
    )
    server.add_event(
        organizer,
        organizer,
        _timed(
            time_zone,
            day + dt.timedelta(days=1),
            15,
            1,
            summary="Offer walkthrough with Deco Addict",
            location="Deco Addict, Showroom",
            attendees=[
                *_guests([organizer, *colleagues], ["accepted"]),
                {**CUSTOMER, "responseStatus": "accepted"},
            ],
        ),
    )
    if colleagues:
        server.add_event(
            colleagues[0],
            colleagues[0],
            _timed(
                time_zone,
                day + dt.timedelta(days=2),
                9,
                1,
                summary="Account planning",
                attendees=_guests([colleagues[0], organizer], ["accepted", "tentative"]),
            ),
        )
