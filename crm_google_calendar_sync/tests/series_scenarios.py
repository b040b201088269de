# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Random recurring series and what people do to them in Google: moved, renamed and
cancelled occurrences, "this and following" splits, changed titles, times and counts.

Plain Python (no Odoo): the engine's property tests and the Odoo integration tests
play the same scenarios through a Google API ``events()`` resource (the user's own
client against the emulator) and compare what both sides show.
"""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

TZ = "Europe/Berlin"
TITLES = ("Jour fixe", "Vertrieb", "Review", "Planung")


def make_series(rng, number):
    """One random series: a daily or weekly rule of two to six occurrences."""
    weekly = rng.random() < 0.6
    rule = "FREQ=WEEKLY" if weekly else "FREQ=DAILY"
    if rng.random() < 0.3:
        rule += ";INTERVAL=2"
    day = date.today() + timedelta(days=rng.randint(-12, 20))
    if weekly and rng.random() < 0.4:
        # Sometimes on other weekdays than the first start's.
        days = sorted(rng.sample(range(7), rng.randint(1, 2)))
        rule += ";BYDAY=" + ",".join(("MO", "TU", "WE", "TH", "FR", "SA", "SU")[d] for d in days)
    return {
        "op": "series",
        "key": f"s{number}",
        "title": f"{rng.choice(TITLES)} {number}",
        "day": day.isoformat(),
        "hour": rng.randint(6, 18),
        "allday": rng.random() < 0.25,
        "rule": rule,
        "count": rng.randint(2, 6),
    }


def make_change(rng, keys):
    """One random change of a series that exists in Google."""
    key = rng.choice(keys)
    kind = rng.choice(
        ("move", "move", "rename", "cancel", "cancel", "split", "retitle", "retime", "recount")
    )
    change = {"op": kind, "series": key, "index": rng.randint(0, 5)}
    if kind == "move":
        change["hours"] = rng.choice((-26, -2, 1, 3, 25))
    elif kind in ("rename", "retitle", "split"):
        change["title"] = f"{rng.choice(TITLES)} {rng.randint(10, 99)}"
    elif kind == "retime":
        change["hours"] = rng.choice((-1, 1, 2))
    elif kind == "recount":
        change["count"] = rng.randint(1, 7)
    return change


def make_scenario(rng):
    """Steps of Google changes, a sync after each: new series with changes before
    the first sync (one page), then changes of the synced series."""
    series = [make_series(rng, number) for number in range(1, rng.randint(1, 3) + 1)]
    keys = [entry["key"] for entry in series]
    first = series + [make_change(rng, keys) for _ in range(rng.randint(0, 3))]
    later = [make_change(rng, keys) for _ in range(rng.randint(1, 4))]
    return [first, later]


def moved_back_scenario(allday, hours):
    """A case Hypothesis found: the first occurrence of a series from this week's
    Monday moved by ``hours`` and back again (Google keeps it as an exception that
    looks like the series), then the series retitled."""
    monday = date.today() - timedelta(days=date.today().weekday())
    series = {
        "op": "series",
        "key": "s1",
        "title": "Jour fixe 1",
        "day": monday.isoformat(),
        "hour": 6,
        "allday": allday,
        "rule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
        "count": 2,
    }
    moves = [{"op": "move", "series": "s1", "index": 0, "hours": shift} for shift in hours]
    retitle = {"op": "retitle", "series": "s1", "index": 0, "title": "Jour fixe 10"}
    return [[series, *moves], [retitle]]


# ----------------------------------------------------------------------
# Playing them against Google
# ----------------------------------------------------------------------
def _times(day, hour, allday, hours=1):
    if allday:
        return (
            {"date": day.isoformat()},
            {"date": (day + timedelta(days=1)).isoformat()},
        )
    start = datetime.combine(day, time(hour))
    end = start + timedelta(hours=hours)
    return (
        {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": TZ},
        {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": TZ},
    )


def _shift(part, hours):
    """A Google start/end moved by ``hours`` (all-day ones by whole days)."""
    if part.get("date"):
        day = date.fromisoformat(part["date"]) + timedelta(days=round(hours / 24) or 1)
        return {"date": day.isoformat()}
    moment = datetime.fromisoformat(part["dateTime"]) + timedelta(hours=hours)
    return {"dateTime": moment.isoformat(), "timeZone": part.get("timeZone") or TZ}


class GooglePlayer:
    """Plays scenario steps with a person's API client (``service.events()``)."""

    def __init__(self, events, calendar_id):
        self.events = events
        self.calendar_id = calendar_id
        self.series = {}  # scenario key -> Google master id

    def play(self, ops):
        for op in ops:
            if op["op"] == "series" or self._master(op).get("status") != "cancelled":
                getattr(self, "_" + op["op"])(op)

    def _call(self, method, **kwargs):
        return getattr(self.events, method)(calendarId=self.calendar_id, **kwargs).execute()

    def _master(self, op):
        return self._call("get", eventId=self.series[op["series"]])

    def _instance(self, op):
        items = self._call("instances", eventId=self.series[op["series"]])["items"]
        return items[op["index"] % len(items)] if items else None

    def _series(self, op):
        start, end = _times(date.fromisoformat(op["day"]), op["hour"], op["allday"])
        body = {
            "summary": op["title"],
            "start": start,
            "end": end,
            "recurrence": [f"RRULE:{op['rule']};COUNT={op['count']}"],
        }
        self.series[op["key"]] = self._call("insert", body=body)["id"]

    def _move(self, op):
        instance = self._instance(op)
        if instance:
            body = {key: _shift(instance[key], op["hours"]) for key in ("start", "end")}
            self._call("patch", eventId=instance["id"], body=body)

    def _rename(self, op):
        instance = self._instance(op)
        if instance:
            self._call("patch", eventId=instance["id"], body={"summary": op["title"]})

    def _cancel(self, op):
        instance = self._instance(op)
        if instance:
            self._call("delete", eventId=instance["id"])

    def _retitle(self, op):
        self._call("patch", eventId=self.series[op["series"]], body={"summary": op["title"]})

    def _retime(self, op):
        master = self._master(op)
        body = {key: _shift(master[key], op["hours"]) for key in ("start", "end")}
        if "date" in master["start"]:
            return  # all-day series keep their days
        self._call("patch", eventId=master["id"], body=body)

    def _recount(self, op):
        master = self._master(op)
        rule = _rule_without_end(master["recurrence"])
        self._call(
            "patch", eventId=master["id"], body={"recurrence": [f"{rule};COUNT={op['count']}"]}
        )

    def _split(self, op):
        """Google's "this and following" from one instance: the series ends before
        it, a new series with the new title starts there."""
        master = self._master(op)
        items = self._call("instances", eventId=master["id"])["items"]
        originals = [item["originalStartTime"] for item in items]
        index = op["index"] % len(originals) if originals else 0
        if index == 0:
            return
        rule = _rule_without_end(master["recurrence"])
        at = originals[index]
        self._call(
            "patch", eventId=master["id"], body={"recurrence": [f"{rule};UNTIL={_until(at)}"]}
        )
        if "dateTime" in at:
            start = {"dateTime": at["dateTime"], "timeZone": master["start"].get("timeZone")}
            end = _shift(start, _length(master))
        else:
            start, end = at, _shift(at, 24)
        body = {
            "summary": op["title"],
            "start": start,
            "end": end,
            "recurrence": [f"{rule};COUNT={len(originals) - index}"],
        }
        self.series[op["series"]] = self._call("insert", body=body)["id"]


def _rule_without_end(lines):
    rule = next(line for line in lines if line.startswith("RRULE:"))
    return ";".join(part for part in rule.split(";") if not part.startswith(("COUNT=", "UNTIL=")))


def _until(original):
    """UNTIL just before an instance's original start."""
    if original.get("date"):
        return (date.fromisoformat(original["date"]) - timedelta(days=1)).strftime("%Y%m%d")
    moment = datetime.fromisoformat(original["dateTime"]).astimezone(timezone.utc)
    return (moment - timedelta(seconds=1)).strftime("%Y%m%dT%H%M%SZ")


def _length(master):
    start = datetime.fromisoformat(master["start"]["dateTime"])
    end = datetime.fromisoformat(master["end"]["dateTime"])
    return (end - start).total_seconds() / 3600


# ----------------------------------------------------------------------
# What Google shows
# ----------------------------------------------------------------------
def start_key(part):
    """A Google start as a comparable text: the date of all-day events, else UTC."""
    if part.get("date"):
        return part["date"]
    moment = datetime.fromisoformat(part["dateTime"].replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(part.get("timeZone") or "UTC"))
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat()


def google_view(events, calendar_id):
    """Sorted ``(start, title)`` of every instance the calendar shows, series
    expanded by Google itself (the scenarios stay inside the sync window)."""
    items = events.list(calendarId=calendar_id, maxResults=2500).execute()["items"]
    view = []
    for item in items:
        if item.get("status") == "cancelled" or item.get("recurringEventId"):
            continue
        if item.get("recurrence"):
            instances = events.instances(calendarId=calendar_id, eventId=item["id"]).execute()
            shown = instances["items"]
        else:
            shown = [item]
        view += [(start_key(one["start"]), one.get("summary") or "") for one in shown]
    return sorted(view)
