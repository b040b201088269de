"""Recurring series: Google ``recurrence`` lines <-> Odoo ``calendar.recurrence`` values.

Rules Odoo cannot store raise ``MappingError("unsupported_recurrence")``, syntax errors
``invalid_rrule``; see docs/architecture.md, "Series".
"""

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from itertools import islice

from dateutil import rrule as du_rrule

from .errors import MappingError
from .timeutil import (
    format_date_compact,
    format_utc_compact,
    get_zone,
    local_to_utc,
    parse_date,
    parse_datetime,
    utc_to_local,
)

WEEKDAY_FIELDS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The values of a calendar.recurrence (shown on its events) that make up the rule
# Google receives for a series.
RULE_FIELDS = (
    *("rrule_type", "interval", "count", "until", "end_type"),
    *WEEKDAY_FIELDS,
    *("month_by", "day", "byday", "weekday", "event_tz"),
)
ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ODOO_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
ODOO_BYDAY = ("1", "2", "3", "4", "-1")
RRULE_TYPES = ("daily", "weekly", "monthly", "yearly")
END_TYPES = ("count", "end_date", "forever")
# Odoo creates at most this many occurrences per series (MAX_RECURRENT_EVENT).
ODOO_MAX_OCCURRENCES = 720
MAX_LINES = 200
MAX_EXDATES = 5000
# Upper bound of occurrences expanded by the helpers below (window checks, splits).
MAX_EXPANSION = 10000

_FREQS = {"DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "monthly", "YEARLY": "yearly"}
_DU_FREQ = {
    "daily": du_rrule.DAILY,
    "weekly": du_rrule.WEEKLY,
    "monthly": du_rrule.MONTHLY,
    "yearly": du_rrule.YEARLY,
}
_UNSUPPORTED_PARTS = {"BYHOUR", "BYMINUTE", "BYSECOND", "BYYEARDAY", "BYWEEKNO"}
_KNOWN_PARTS = {
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYDAY",
    "BYMONTHDAY",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
} | _UNSUPPORTED_PARTS
_BYDAY_RE = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_ICAL_DT_RE = re.compile(r"^(\d{8})(?:T(\d{6})(Z)?)?$")
_INSTANCE_RE = re.compile(r"^(?P<series>.+)_(?P<day>\d{8})(?:T(?P<time>\d{6})Z)?$")


@dataclass(frozen=True)
class Recurrence:
    """Plain ``calendar.recurrence`` values (Odoo field names) plus exception dates."""

    rrule_type: str
    interval: int = 1
    end_type: str = "forever"
    count: int = 0
    until: date | None = None
    mon: bool = False
    tue: bool = False
    wed: bool = False
    thu: bool = False
    fri: bool = False
    sat: bool = False
    sun: bool = False
    month_by: str | None = None  # "date" | "day" (monthly rules only)
    day: int = 0  # day of month for month_by == "date"
    weekday: str | None = None  # "MON".."SUN" for month_by == "day"
    byday: str | None = None  # "1".."4", "-1" for month_by == "day"
    event_tz: str | None = None
    exdates: tuple = field(default=())  # sorted naive UTC datetimes or dates
    wkst: str | None = None  # "MO".."SU": the week's first day (None = Monday)

    def weekdays(self):
        """Indexes (0 = Monday) of the weekly days."""
        return tuple(i for i, name in enumerate(WEEKDAY_FIELDS) if getattr(self, name))

    def odoo_values(self):
        """Values to write on a ``calendar.event`` (with ``recurrency``) or recurrence."""
        values = {
            "recurrency": True,
            "rrule_type": self.rrule_type,
            "interval": self.interval,
            "end_type": self.end_type,
            "count": self.count if self.end_type == "count" else 1,
            "until": self.until if self.end_type == "end_date" else False,
            "month_by": self.month_by or "date",
            "day": self.day or 1,
            "weekday": self.weekday or False,
            "byday": self.byday or False,
        }
        values.update({name: getattr(self, name) for name in WEEKDAY_FIELDS})
        if self.event_tz:
            values["event_tz"] = self.event_tz
        return values

    def rrule_value(self, *, allday=False, tz=None):
        """The RRULE value (without ``RRULE:``) as Google expects it."""
        parts = [f"FREQ={self.rrule_type.upper()}"]
        if self.interval > 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.rrule_type == "weekly":
            parts.append("BYDAY=" + ",".join(ICAL_DAYS[i] for i in self.weekdays()))
        elif self.rrule_type == "monthly" and self.month_by == "day":
            day = ICAL_DAYS[ODOO_WEEKDAYS.index(self.weekday)]
            parts.append(f"BYDAY={int(self.byday)}{day}")
        elif self.rrule_type == "monthly":
            parts.append(f"BYMONTHDAY={self.day}")
        if self._week_start_matters():
            parts.append(f"WKST={self.wkst}")
        if self.end_type == "count":
            parts.append(f"COUNT={self.count}")
        elif self.end_type == "end_date":
            if allday or not tz:
                parts.append(f"UNTIL={format_date_compact(self.until)}")
            else:
                # RFC 5545: with a zoned DTSTART, UNTIL is UTC. The whole last day counts.
                parts.append(f"UNTIL={format_utc_compact(_utc_end_of_day(self.until, tz))}")
        return ";".join(parts)

    def _week_start_matters(self):
        """A week start other than Monday changes only weekly rules every few weeks."""
        return self.rrule_type == "weekly" and self.interval > 1 and self.wkst not in (None, "MO")

    def canonical(self):
        """JSON-able normal form (for fingerprints and comparisons)."""
        data = {
            "type": self.rrule_type,
            "interval": self.interval,
            "end": self.end_type,
            "count": self.count if self.end_type == "count" else None,
            "until": self.until.isoformat() if self.end_type == "end_date" else None,
            "days": list(self.weekdays()) if self.rrule_type == "weekly" else None,
            "month_by": self.month_by if self.rrule_type == "monthly" else None,
            "day": self.day if self.rrule_type == "monthly" and self.month_by == "date" else None,
            "weekday": self.weekday if self.month_by == "day" else None,
            "byday": self.byday if self.month_by == "day" else None,
            "exdates": [_stamp(x) for x in self.exdates],
        }
        if self._week_start_matters():
            data["wkst"] = self.wkst
        return data


def _utc_end_of_day(day, tz):
    """The last second of ``day`` in ``tz`` as naive UTC; the end of year 9999 (an
    "endless" UNTIL some calendars write) where UTC would leave the calendar."""
    try:
        return local_to_utc(datetime.combine(day, time(23, 59, 59)), tz)
    except OverflowError:
        return datetime.max.replace(microsecond=0)


def _stamp(value):
    if isinstance(value, datetime):
        return format_utc_compact(value)
    return format_date_compact(value)


def _invalid(message):
    return MappingError("invalid_rrule", message)


def _unsupported(message):
    return MappingError("unsupported_recurrence", message)


def _int(value, name, low, high):
    if not re.fullmatch(r"[+-]?\d{1,6}", value or ""):
        raise _invalid(f"{name} is not an integer")
    number = int(value)
    if not low <= number <= high or number == 0:
        raise _invalid(f"{name} out of range")
    return number


def _int_list(value, name, low, high):
    return [_int(v, name, low, high) for v in value.split(",")]


def parse_rrule(value):
    """Parse an RRULE value (``FREQ=...;...``) to a dict of parts; syntax checks only."""
    value = value.strip()
    if value.upper().startswith("RRULE:"):
        value = value[6:]
    if not value or len(value) > 2000:
        raise _invalid("empty or oversized RRULE")
    parts = {}
    for chunk in value.split(";"):
        if not chunk:
            continue
        key, sep, val = chunk.partition("=")
        key = key.strip().upper()
        if not sep or not val:
            raise _invalid(f"malformed RRULE part {chunk!r:.40}")
        if key.startswith("X-"):
            continue
        if key not in _KNOWN_PARTS:
            raise _invalid(f"unknown RRULE part {key!r:.20}")
        if key in parts:
            raise _invalid(f"duplicate RRULE part {key}")
        parts[key] = val.strip().upper()
    if "FREQ" not in parts:
        raise _invalid("RRULE without FREQ")
    if "COUNT" in parts and "UNTIL" in parts:
        raise _invalid("RRULE with both COUNT and UNTIL")
    return parts


def _parse_byday(value):
    result = []
    for item in value.split(","):
        match = _BYDAY_RE.match(item.strip())
        if not match:
            raise _invalid(f"invalid BYDAY {item!r:.20}")
        ordinal = int(match.group(1)) if match.group(1) else None
        if ordinal is not None and not (1 <= abs(ordinal) <= 53):
            raise _invalid("BYDAY ordinal out of range")
        result.append((ordinal, ICAL_DAYS.index(match.group(2))))
    return result


def _parse_ical_datetime(value, tzid, default_tz, allday):
    """iCalendar DATE/DATE-TIME -> naive UTC datetime, or date when ``allday``."""
    match = _ICAL_DT_RE.match(value.strip())
    if not match:
        raise _invalid(f"invalid date {value!r:.30}")
    try:
        day = datetime.strptime(match.group(1), "%Y%m%d").date()
        clock = datetime.strptime(match.group(2), "%H%M%S").time() if match.group(2) else None
    except ValueError as exc:
        raise _invalid(f"invalid date {value!r:.30}") from exc
    if clock is None:
        return day if allday else ("date", day)
    local = datetime.combine(day, clock)
    if allday:  # a date-time exception on an all-day series: its local day counts
        if match.group(3) and default_tz:
            return utc_to_local(local, default_tz).date()
        return local.date()
    if match.group(3):  # UTC
        return local
    tz = tzid or default_tz
    return local_to_utc(local, tz) if tz else local


def _until_to_odoo(value, start_local, allday, tz):
    """Google UNTIL -> Odoo's inclusive ``until`` date (last day with an occurrence)."""
    match = _ICAL_DT_RE.match(value)
    if not match:
        raise _invalid(f"invalid UNTIL {value!r:.30}")
    try:
        day = datetime.strptime(match.group(1), "%Y%m%d").date()
        clock = datetime.strptime(match.group(2), "%H%M%S").time() if match.group(2) else None
    except ValueError as exc:
        raise _invalid(f"invalid UNTIL {value!r:.30}") from exc
    if clock is None or allday:
        if allday and clock is not None and match.group(3) and tz:
            return _local_or_same(datetime.combine(day, clock), tz).date()
        return day
    local = datetime.combine(day, clock)
    if match.group(3) and tz:
        local = _local_or_same(local, tz)
    # An occurrence on the UNTIL day is included only when it starts at or before UNTIL.
    if local.time() < start_local.time():
        return local.date() - timedelta(days=1)
    return local.date()


def _local_or_same(utc_naive, tz):
    """Wall-clock time of a UTC UNTIL; the UTC value itself at the end of year 9999,
    where the zone's offset would leave the calendar."""
    try:
        return utc_to_local(utc_naive, tz)
    except OverflowError:
        return utc_naive


def from_google(lines, *, start_local, allday, tz):
    """Google ``recurrence`` lines -> Recurrence.

    ``start_local``: wall-clock start of the series (date for all-day series);
    ``tz``: the series' IANA zone (Google's ``start.timeZone``).
    """
    if not isinstance(lines, (list, tuple)) or not lines:
        raise _invalid("recurrence is not a non-empty list")
    if len(lines) > MAX_LINES:
        raise _unsupported("too many recurrence lines")
    rrule_lines, exdates = [], []
    for line in lines:
        if not isinstance(line, str):
            raise _invalid("recurrence line is not a string")
        head, sep, value = line.strip().partition(":")
        if not sep:
            raise _invalid(f"malformed recurrence line {line!r:.40}")
        name, *params = head.split(";")
        name = name.strip().upper()
        if name == "RRULE":
            rrule_lines.append(value)
        elif name == "EXDATE":
            exdates.extend(_parse_exdate(params, value, start_local, allday, tz))
        elif name in ("RDATE", "EXRULE"):
            raise _unsupported(f"{name} is not supported by Odoo")
        else:
            raise _invalid(f"unknown recurrence property {name!r:.20}")
    if len(rrule_lines) != 1:
        raise _unsupported("exactly one RRULE is supported")
    if len(exdates) > MAX_EXDATES:
        raise _unsupported("too many EXDATEs")
    rec = _rule_to_recurrence(parse_rrule(rrule_lines[0]), start_local, allday, tz)
    _check_with_dateutil(rec, start_local, allday)
    return replace(rec, exdates=tuple(sorted(set(exdates))))


def _parse_exdate(params, value, start_local, allday, tz):
    tzid = None
    for param in params:
        key, _sep, val = param.partition("=")
        if key.strip().upper() == "TZID":
            tzid = val.strip().strip('"')
            get_zone(tzid)
    result = []
    for item in value.split(","):
        if not item.strip():
            continue
        parsed = _parse_ical_datetime(item, tzid, tz, allday)
        if isinstance(parsed, tuple):  # a DATE exception on a timed series
            local = datetime.combine(parsed[1], start_local.time())
            parsed = local_to_utc(local, tz) if tz else local
        result.append(parsed)
    return result


@dataclass(frozen=True)
class _Filters:
    """The BY* parts of an RRULE, parsed."""

    byday: list  # [(ordinal or None, weekday index)]
    bymonthday: list
    bymonth: list
    bysetpos: list


def _rule_to_recurrence(parts, start_local, allday, tz):
    rrule_type = _rule_type(parts)
    interval = _int(parts.get("INTERVAL", "1"), "INTERVAL", 1, 10000)
    filters = _rule_filters(parts)
    start_day = (
        start_local
        if isinstance(start_local, date) and not isinstance(start_local, datetime)
        else start_local.date()
    )
    values = {"rrule_type": rrule_type, "interval": interval, "event_tz": tz}
    if parts.get("WKST", "MO") != "MO":
        values["wkst"] = parts["WKST"]
    if rrule_type == "daily" and filters.byday:
        # "Every weekday" is sometimes written as a daily rule filtered by days.
        if interval != 1 or _other_filters(filters) or any(o for o, _d in filters.byday):
            raise _unsupported("daily rule with filters")
        rrule_type = values["rrule_type"] = "weekly"
    if rrule_type == "daily":
        if _other_filters(filters):
            raise _unsupported("daily rule with filters")
    elif rrule_type == "weekly":
        values.update(_weekly_values(filters, start_day))
    elif rrule_type == "monthly":
        values.update(_monthly_values(filters, start_day))
    else:
        _check_yearly(filters, start_day)
    values.update(_rule_end(parts, start_local, allday, tz))
    return Recurrence(**values)


def _rule_type(parts):
    """Odoo's ``rrule_type`` of an RRULE; MappingError for rules Odoo cannot store."""
    freq = parts["FREQ"]
    if freq not in _FREQS:
        if freq in ("SECONDLY", "MINUTELY", "HOURLY"):
            raise _unsupported(f"FREQ={freq} is not supported by Odoo")
        raise _invalid(f"invalid FREQ {freq!r:.20}")
    unsupported = _UNSUPPORTED_PARTS & parts.keys()
    if unsupported:
        raise _unsupported(f"{sorted(unsupported)[0]} is not supported by Odoo")
    return _FREQS[freq]


def _rule_filters(parts):
    byday = _parse_byday(parts["BYDAY"]) if "BYDAY" in parts else []
    bymonthday = (
        _int_list(parts["BYMONTHDAY"], "BYMONTHDAY", -31, 31) if "BYMONTHDAY" in parts else []
    )
    bymonth = _int_list(parts["BYMONTH"], "BYMONTH", 1, 12) if "BYMONTH" in parts else []
    bysetpos = _int_list(parts["BYSETPOS"], "BYSETPOS", -366, 366) if "BYSETPOS" in parts else []
    if "WKST" in parts and parts["WKST"] not in ICAL_DAYS:
        raise _invalid("invalid WKST")
    return _Filters(byday, bymonthday, bymonth, bysetpos)


def _other_filters(filters):
    """Any filter besides BYDAY."""
    return bool(filters.bymonthday or filters.bymonth or filters.bysetpos)


def _weekly_values(filters, start_day):
    if _other_filters(filters) or any(o for o, _d in filters.byday):
        raise _unsupported("weekly rule with filters Odoo cannot store")
    days = {d for _o, d in filters.byday} or {start_day.weekday()}
    return {WEEKDAY_FIELDS[d]: True for d in days}


def _monthly_values(filters, start_day):
    byday, bymonthday, bysetpos = filters.byday, filters.bymonthday, filters.bysetpos
    if filters.bymonth:
        raise _unsupported("monthly rule with BYMONTH")
    if bymonthday and not byday and not bysetpos:
        if len(bymonthday) != 1 or bymonthday[0] < 1:
            raise _unsupported("monthly rule on several or negative month days")
        return {"month_by": "date", "day": bymonthday[0]}
    if byday and not bymonthday:
        if len(byday) != 1:
            raise _unsupported("monthly rule on several weekdays")
        ordinal, weekday = byday[0]
        if bysetpos:
            if ordinal is not None or len(bysetpos) != 1:
                raise _unsupported("monthly rule with BYSETPOS combination")
            ordinal = bysetpos[0]
        if ordinal is None or str(ordinal) not in ODOO_BYDAY:
            raise _unsupported("monthly weekday rule Odoo cannot store")
        return {"month_by": "day", "weekday": ODOO_WEEKDAYS[weekday], "byday": str(ordinal)}
    if not byday and not bymonthday and not bysetpos:
        return {"month_by": "date", "day": start_day.day}
    raise _unsupported("monthly rule with filters Odoo cannot store")


def _check_yearly(filters, start_day):
    """Odoo repeats a yearly series on the start's month and day only."""
    bymonth, bymonthday = filters.bymonth, filters.bymonthday
    if filters.byday or filters.bysetpos or len(bymonth) > 1 or len(bymonthday) > 1:
        raise _unsupported("yearly rule with filters Odoo cannot store")
    if (bymonth and bymonth[0] != start_day.month) or (
        bymonthday and bymonthday[0] != start_day.day
    ):
        raise _unsupported("yearly rule on another day than the start")


def _rule_end(parts, start_local, allday, tz):
    if "COUNT" in parts:
        return {"end_type": "count", "count": _int(parts["COUNT"], "COUNT", 1, 100000)}
    if "UNTIL" in parts:
        return {
            "end_type": "end_date",
            "until": _until_to_odoo(parts["UNTIL"], _as_datetime(start_local), allday, tz),
        }
    return {"end_type": "forever"}


def _as_datetime(value):
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time())


def _du_rule(rec, start_local, *, count_cap=MAX_EXPANSION):
    """dateutil rule expanding ``rec`` in wall-clock time from ``start_local``."""
    dtstart = _as_datetime(start_local)
    kwargs = {"dtstart": dtstart, "interval": rec.interval}
    if rec.wkst:
        kwargs["wkst"] = ICAL_DAYS.index(rec.wkst)
    if rec.rrule_type == "weekly":
        kwargs["byweekday"] = rec.weekdays() or (dtstart.weekday(),)
    elif rec.rrule_type == "monthly" and rec.month_by == "day":
        weekday = du_rrule.weekday(ODOO_WEEKDAYS.index(rec.weekday))
        kwargs["byweekday"] = weekday(int(rec.byday))
    elif rec.rrule_type == "monthly":
        kwargs["bymonthday"] = rec.day or dtstart.day
    if rec.end_type == "count":
        kwargs["count"] = min(rec.count, count_cap)
    elif rec.end_type == "end_date":
        kwargs["until"] = datetime.combine(rec.until, time.max)
    return du_rrule.rrule(_DU_FREQ[rec.rrule_type], **kwargs)


def _check_with_dateutil(rec, start_local, allday):
    try:
        rule = _du_rule(rec, start_local)
        next(iter(rule), None)
    except (ValueError, TypeError, OverflowError) as exc:
        raise _invalid(f"rule rejected: {exc}") from exc


def to_google(rec, *, start_local, allday, tz):
    """Recurrence -> Google ``recurrence`` lines (RRULE and at most one EXDATE line)."""
    del start_local  # the rule is anchored by the event's start, not by DTSTART
    lines = ["RRULE:" + rec.rrule_value(allday=allday, tz=tz)]
    if rec.exdates:
        if allday:
            days = sorted({x if not isinstance(x, datetime) else x.date() for x in rec.exdates})
            lines.append("EXDATE;VALUE=DATE:" + ",".join(format_date_compact(d) for d in days))
        else:
            # Google writes exceptions as wall-clock time with TZID; do the same.
            stamps = sorted(
                utc_to_local(_as_datetime(x), tz) if tz else _as_datetime(x) for x in rec.exdates
            )
            prefix = f"EXDATE;TZID={tz}:" if tz else "EXDATE:"
            fmt = "%Y%m%dT%H%M%S" if tz else "%Y%m%dT%H%M%SZ"
            lines.append(prefix + ",".join(s.strftime(fmt) for s in stamps))
    return lines


def from_odoo_fields(fields, *, start_local):
    """Recurrence from the Odoo field values of a recurring event (dict-like).

    Applies Odoo's defaults and quirks: weekly rules without days run on the start's
    weekday, monthly rules without ``month_by`` run on the start's day of month.
    """
    rrule_type = fields.get("rrule_type")
    if rrule_type not in RRULE_TYPES:
        raise _invalid(f"unknown rrule_type {rrule_type!r:.20}")
    start_day = start_local.date() if isinstance(start_local, datetime) else start_local
    end_type = fields.get("end_type") or "forever"
    if end_type not in END_TYPES:
        raise _invalid(f"unknown end_type {end_type!r:.20}")
    values = {
        "rrule_type": rrule_type,
        "interval": max(int(fields.get("interval") or 1), 1),
        "end_type": end_type,
        "event_tz": fields.get("event_tz") or None,
    }
    if end_type == "count":
        values["count"] = max(int(fields.get("count") or 1), 1)
    elif end_type == "end_date":
        until = fields.get("until")
        if not until:
            raise _invalid("end_date recurrence without until")
        values["until"] = until
    if rrule_type == "weekly":
        days = [name for name in WEEKDAY_FIELDS if fields.get(name)]
        if not days:
            days = [WEEKDAY_FIELDS[start_day.weekday()]]
        values.update(dict.fromkeys(days, True))
    elif rrule_type == "monthly":
        if fields.get("month_by") == "day":
            weekday = fields.get("weekday")
            byday = str(fields.get("byday") or "")
            if weekday not in ODOO_WEEKDAYS or byday not in ODOO_BYDAY:
                raise _invalid("monthly-by-day recurrence without weekday/byday")
            values.update(month_by="day", weekday=weekday, byday=byday)
        else:
            values.update(month_by="date", day=int(fields.get("day") or start_day.day))
    exdates = tuple(sorted(set(fields.get("exdates") or ())))
    if fields.get("wkst") in ICAL_DAYS[1:]:
        values["wkst"] = fields["wkst"]
    return Recurrence(exdates=exdates, **values)


# --- occurrences ---------------------------------------------------------------------


def occurrences(rec, *, start_local, allday, tz, include_excluded=False, limit=MAX_EXPANSION):
    """Occurrence starts: naive UTC datetimes (timed) or dates (all-day), in order."""
    excluded = set(rec.exdates)
    rule = _du_rule(rec, start_local)
    for local in islice(rule, limit):
        value = local.date() if allday else (local_to_utc(local, tz) if tz else local)
        if include_excluded or value not in excluded:
            yield value


def series_in_window(rec, *, start_local, duration, allday, tz, window_start):
    """True when any occurrence ends at or after ``window_start`` (naive UTC).

    Looks at no more than MAX_EXPANSION occurrences: a series that is still going
    after them counts as reaching the window (a daily rule until the year 9999 costs
    one step, not three million).
    """
    if rec.end_type == "forever":
        return True
    for index, local in enumerate(_du_rule(rec, start_local)):
        if index >= MAX_EXPANSION:
            return True
        if allday:
            start = datetime.combine(local.date(), time())
        else:
            start = local_to_utc(local, tz) if tz else local
        if start + duration >= window_start:
            return True
    return False


# --- instance ids --------------------------------------------------------------------


def instance_id(series_id, original_start, allday):
    """Google's id of one occurrence: ``<series>_<YYYYMMDD>`` or ``<series>_<UTC stamp>Z``."""
    if allday:
        day = original_start.date() if isinstance(original_start, datetime) else original_start
        return f"{series_id}_{format_date_compact(day)}"
    return f"{series_id}_{format_utc_compact(original_start)}"


def parse_instance_id(event_id):
    """``(series_id, original_start)`` of an instance id, or None."""
    match = _INSTANCE_RE.match(event_id or "")
    if not match:
        return None
    try:
        day = datetime.strptime(match.group("day"), "%Y%m%d")
        if match.group("time"):
            return match.group("series"), datetime.strptime(
                match.group("day") + match.group("time"), "%Y%m%d%H%M%S"
            )
    except ValueError:
        return None
    return match.group("series"), day.date()


def parse_original_start(original_start, *, default_tz=None):
    """Google ``originalStartTime`` -> naive UTC datetime or date."""
    if not isinstance(original_start, dict):
        raise MappingError("invalid_original_start", "originalStartTime is not an object")
    if original_start.get("dateTime"):
        return parse_datetime(
            original_start["dateTime"], original_start.get("timeZone") or default_tz
        )
    if original_start.get("date"):
        return parse_date(original_start["date"])
    raise MappingError("invalid_original_start", "originalStartTime without date")
