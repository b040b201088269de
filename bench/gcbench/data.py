"""Deterministic benchmark events, as Google bodies and as Odoo ``calendar.event`` values.

Mix: 10 % all-day, 5 % weekly recurring series with COUNT, the rest timed single events,
spread from 20 days ago to ~300 days ahead (inside both implementations' windows:
ours reads from now - 30 days, Odoo's module from now - 365 to now + 365 days).
"""

import datetime as dt
import random
from zoneinfo import ZoneInfo

TZ = "Europe/Berlin"
SERIES_COUNT = 8
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def event_id(prefix, index):
    """A valid Google event id (base32hex alphabet a-v0-9, 5+ chars)."""
    return f"{prefix}{index:07d}"


def kind_of(index):
    if index % 20 == 0:
        return "series"
    if index % 10 == 1:
        return "allday"
    return "timed"


def make_events(count, *, seed=7, id_prefix="bench", today=None):
    """``count`` specs: dicts with ``google`` (insert body) and ``odoo`` (create values
    without user/partner) and ``kind``."""
    rng = random.Random(seed)
    zone = ZoneInfo(TZ)
    today = today or dt.datetime.now(zone).date()
    specs = []
    for index in range(count):
        kind = kind_of(index)
        day = today + dt.timedelta(days=rng.randint(-20, 300))
        name = f"Bench meeting {index}"
        description = f"Agenda item {index}: pipeline review, next steps."
        location = rng.choice(["", "Room 1", "Online", "Customer site"])
        google = {"id": event_id(id_prefix, index), "summary": name, "description": description}
        odoo = {"name": name, "description": f"<p>{description}</p>"}
        if location:
            google["location"] = location
            odoo["location"] = location
        if kind == "allday":
            days = rng.choice([1, 1, 2])
            end_day = day + dt.timedelta(days=days)
            google["start"] = {"date": day.isoformat()}
            google["end"] = {"date": end_day.isoformat()}
            odoo.update(
                allday=True,
                start=dt.datetime.combine(day, dt.time(8)),
                stop=dt.datetime.combine(end_day - dt.timedelta(days=1), dt.time(18)),
            )
        else:
            start = dt.datetime.combine(day, dt.time(rng.randint(8, 17)), tzinfo=zone)
            end = start + dt.timedelta(minutes=rng.choice([30, 60, 90]))
            google["start"] = {"dateTime": start.isoformat(), "timeZone": TZ}
            google["end"] = {"dateTime": end.isoformat(), "timeZone": TZ}
            utc = dt.timezone.utc
            odoo.update(
                allday=False,
                start=start.astimezone(utc).replace(tzinfo=None),
                stop=end.astimezone(utc).replace(tzinfo=None),
            )
            if kind == "series":
                weekday = start.weekday()
                google["recurrence"] = [
                    f"RRULE:FREQ=WEEKLY;COUNT={SERIES_COUNT};BYDAY={RRULE_DAYS[weekday]}"
                ]
                odoo.update(
                    recurrency=True,
                    rrule_type="weekly",
                    interval=1,
                    end_type="count",
                    count=SERIES_COUNT,
                    event_tz=TZ,
                    **{WEEKDAYS[weekday]: True},
                )
        specs.append({"kind": kind, "google": google, "odoo": odoo})
    return specs


def expected_odoo_events(specs):
    """How many calendar.event rows the specs become (series expanded)."""
    return sum(SERIES_COUNT if spec["kind"] == "series" else 1 for spec in specs)


def create_users(env, logins, tz=TZ):
    """Internal users for a benchmark, created in one call."""
    group = env.ref("base.group_user")
    return (
        env["res.users"]
        .with_context(no_reset_password=True, mail_create_nolog=True, tracking_disable=True)
        .create(
            [
                {
                    "name": login,
                    "login": login,
                    "email": f"{login}@bench.test",
                    "tz": tz,
                    "groups_id": [(6, 0, group.ids)],
                }
                for login in logins
            ]
        )
    )
