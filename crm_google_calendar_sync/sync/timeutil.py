"""Date/time helpers of the engine. Odoo datetimes are naive UTC, "local" ones
naive wall-clock time in an IANA zone, Google's RFC 3339 strings with an offset.
"""

import functools
import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from .errors import MappingError

UTC = timezone.utc

# Outside this range time zone arithmetic and Google's API behave oddly, and no CRM
# meeting legitimately lives there; such events are rejected instead of half-imported.
MIN_YEAR = 1900
MAX_YEAR = 2999

_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$"
)


@functools.lru_cache(maxsize=512)
def _zone(name):
    return ZoneInfo(name)


def get_zone(name):
    """Return the ZoneInfo for an IANA name or raise MappingError('unknown_timezone')."""
    if not isinstance(name, str) or not name or len(name) > 64:
        raise MappingError("unknown_timezone", f"invalid time zone {name!r:.80}")
    try:
        return _zone(name)
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError for odd paths, ...
        raise MappingError("unknown_timezone", f"unknown time zone {name!r:.80}") from exc


def valid_tz(name):
    try:
        get_zone(name)
    except MappingError:
        return False
    return True


def _check_year(year, raw):
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise MappingError("date_out_of_range", f"date out of supported range: {raw!r:.40}")


def parse_date(raw):
    """Parse ``YYYY-MM-DD``."""
    match = _DATE_RE.match(raw) if isinstance(raw, str) else None
    if not match:
        raise MappingError("invalid_date", f"invalid date {raw!r:.40}")
    year, month, day = (int(g) for g in match.groups())
    _check_year(year, raw)
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise MappingError("invalid_date", f"invalid date {raw!r:.40}") from exc


def parse_datetime(raw, tz_name=None):
    """Parse an RFC 3339 date-time to a naive UTC datetime (seconds precision).

    A value without offset is wall-clock time in ``tz_name`` (Google allows that in
    requests when ``timeZone`` is given); without either it is an error.
    """
    match = _DATETIME_RE.match(raw) if isinstance(raw, str) else None
    if not match:
        raise MappingError("invalid_datetime", f"invalid date-time {raw!r:.40}")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    _check_year(year, raw)
    zulu, sign, off_h, off_m = match.group(8), match.group(9), match.group(10), match.group(11)
    try:
        naive = datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError as exc:
        raise MappingError("invalid_datetime", f"invalid date-time {raw!r:.40}") from exc
    if zulu:
        return naive
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        if offset > timedelta(hours=18):
            raise MappingError("invalid_datetime", f"invalid offset in {raw!r:.40}")
        return naive - offset if sign == "+" else naive + offset
    if not tz_name:
        raise MappingError("invalid_datetime", f"date-time without offset or zone {raw!r:.40}")
    return local_to_utc(naive, tz_name)


def local_to_utc(local, tz_name):
    """Wall-clock time in ``tz_name`` -> naive UTC.

    Ambiguous times (DST fall-back) take the first occurrence, times inside a
    spring-forward gap are shifted forward, like Google does.
    """
    aware = local.replace(tzinfo=get_zone(tz_name), fold=0)
    return aware.astimezone(UTC).replace(tzinfo=None)


def utc_to_local(utc_naive, tz_name):
    """Naive UTC -> naive wall-clock time in ``tz_name``."""
    return utc_naive.replace(tzinfo=UTC).astimezone(get_zone(tz_name)).replace(tzinfo=None)


def format_rfc3339(utc_naive, tz_name):
    """Naive UTC -> RFC 3339 with the zone's offset at that instant."""
    aware = utc_naive.replace(tzinfo=UTC, microsecond=0).astimezone(get_zone(tz_name))
    return aware.isoformat(timespec="seconds")


def format_utc_compact(utc_naive):
    """Naive UTC -> ``YYYYMMDDTHHMMSSZ`` (iCalendar UTC form, Google instance ids)."""
    return utc_naive.strftime("%Y%m%dT%H%M%SZ")


def format_date_compact(day):
    return day.strftime("%Y%m%d")


def to_naive_utc(value):
    """Accept aware or naive (UTC) datetimes; return naive UTC without microseconds."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=0)
