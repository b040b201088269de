"""What Odoo's own ``google_calendar`` module left in Google: the Odoo record that
each event it pushed names (rule R7 of docs/attendees.md).

The module writes ``<dbname>_odoo_id`` into ``extendedProperties.shared`` (meetings
organised in Odoo; every guest's copy carries it too) or, for meetings organised
outside Odoo, into ``extendedProperties.private`` of the user's own copy. On a
series it names the ``calendar.recurrence``, on anything else the
``calendar.event``. Google's data is untrusted: what this returns is a claim,
which the Odoo side checks against the user's own meetings.
"""

from dataclasses import dataclass

# Odoo ids are PostgreSQL integers: anything larger names no record.
MAX_ODOO_ID = 2**31 - 1
MAX_ID_DIGITS = len(str(MAX_ODOO_ID))


@dataclass(frozen=True)
class LegacyMark:
    """The Odoo record a Google event of Odoo's module names."""

    odoo_id: int
    series: bool  # a calendar.recurrence id (the Google event is a series)
    private: bool  # written on the user's own copy only (organiser outside Odoo)


def _parse_id(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_DIGITS:
        return None
    if not (value.isascii() and value.isdigit()):  # int() reads other digits too
        return None
    odoo_id = int(value)
    return odoo_id if 0 < odoo_id <= MAX_ODOO_ID else None


def legacy_mark(google_event, dbname):
    """The :class:`LegacyMark` Odoo's module wrote into ``google_event`` for the
    database ``dbname``, or None. Shared first, as the module reads it."""
    properties = google_event.get("extendedProperties")
    if not isinstance(properties, dict) or not dbname:
        return None
    key = f"{dbname}_odoo_id"
    for scope in ("shared", "private"):
        values = properties.get(scope)
        odoo_id = _parse_id(values.get(key)) if isinstance(values, dict) else None
        if odoo_id:
            return LegacyMark(odoo_id, bool(google_event.get("recurrence")), scope == "private")
    return None
