"""Expansion of Google recurrence lines (RRULE/EXRULE/RDATE/EXDATE) with dateutil.

Occurrences are computed in naive local wall-clock time of the series' time zone, which is
what Google does (a weekly 10:00 meeting stays at 10:00 across DST changes).
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from dateutil import rrule

MAX_INSTANCES = 2000


class RecurrenceError(ValueError):
    pass


def _parse_value(value, params, tz, start_local, all_day):
    """One RDATE/EXDATE/UNTIL value -> naive local datetime in tz."""
    value = value.strip()
    if params.get("VALUE") == "DATE" or re.fullmatch(r"\d{8}", value):
        day = dt.datetime.strptime(value, "%Y%m%d")
        if all_day:
            return day
        return day.replace(
            hour=start_local.hour, minute=start_local.minute, second=start_local.second
        )
    if value.endswith("Z"):
        moment = dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
        try:
            local = moment.astimezone(tz).replace(tzinfo=None)
        except OverflowError:  # the end of year 9999, east of UTC: still "for ever"
            local = moment.replace(tzinfo=None)
    else:
        local = dt.datetime.strptime(value, "%Y%m%dT%H%M%S")
        if params.get("TZID"):
            local = local.replace(tzinfo=ZoneInfo(params["TZID"])).astimezone(tz)
            local = local.replace(tzinfo=None)
    if all_day:
        return dt.datetime(local.year, local.month, local.day)
    return local


def _split_line(line):
    head, _, values = line.partition(":")
    name, *param_parts = head.split(";")
    params = {}
    for part in param_parts:
        key, _, val = part.partition("=")
        params[key.upper()] = val
    return name.upper(), params, values


def build_ruleset(lines, start_local, tz, all_day):
    """Build a dateutil rruleset; raise RecurrenceError for anything Google would reject."""
    rset = rrule.rruleset()
    has_rule = False
    try:
        for line in lines:
            if not isinstance(line, str) or ":" not in line:
                raise RecurrenceError(line)
            name, params, values = _split_line(line.strip())
            if name in ("RRULE", "EXRULE"):
                parts = []
                for item in values.split(";"):
                    key, _, val = item.partition("=")
                    if key.upper() == "UNTIL":
                        until = _parse_value(val, {}, tz, start_local, all_day)
                        if re.fullmatch(r"\d{8}", val.strip()) and not all_day:
                            until = until.replace(hour=23, minute=59, second=59)
                        val = until.strftime("%Y%m%dT%H%M%S")
                    parts.append(f"{key}={val}")
                rule = rrule.rrulestr(";".join(parts), dtstart=start_local)
                if name == "RRULE":
                    rset.rrule(rule)
                    has_rule = True
                else:
                    rset.exrule(rule)
            elif name in ("RDATE", "EXDATE"):
                for value in values.split(","):
                    moment = _parse_value(value, params, tz, start_local, all_day)
                    if name == "RDATE":
                        rset.rdate(moment)
                        has_rule = True
                    else:
                        rset.exdate(moment)
            else:
                raise RecurrenceError(line)
    except (ValueError, KeyError, TypeError) as exc:
        raise RecurrenceError(str(exc)) from exc
    if not has_rule:
        raise RecurrenceError("no RRULE or RDATE")
    return rset
