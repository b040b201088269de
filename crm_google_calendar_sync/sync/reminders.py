"""Reminders: Odoo's alarms (``alarm_ids``) and the user's Google copy's ``reminders``.

An Odoo alarm is ``(kind, minutes)``: kind ``notification`` (Google ``popup``) or
``email``; other kinds (text messages) stay in Odoo. A meeting without such alarms
leaves Google at the calendar's default reminders (``useDefault``), which the sync never
writes; and Google's default reminders are no Odoo alarms, so a person is not reminded
twice. Google keeps at most 5 reminders, each 0 to 40,320 minutes (four weeks) ahead.
"""

MAX_REMINDERS = 5
MAX_MINUTES = 40320
ALARM_KINDS = ("notification", "email")
_TO_GOOGLE = {"notification": "popup", "email": "email"}
_TO_ODOO = {method: kind for kind, method in _TO_GOOGLE.items()}
# Overrides read from one event: Google holds 5, a hostile event may carry thousands.
_MAX_SCANNED = 50


def normal_alarms(alarms):
    """Alarms as they reach Google: known kinds, minutes in range, each once, the
    nearest first, at most 5. Returns ``(alarms, dropped)``."""
    kept = sorted(
        {
            (kind, min(max(int(minutes), 0), MAX_MINUTES))
            for kind, minutes in alarms
            if kind in ALARM_KINDS
        },
        key=lambda alarm: (alarm[1], alarm[0]),
    )
    return tuple(kept[:MAX_REMINDERS]), max(len(kept) - MAX_REMINDERS, 0)


def reminders_to_google(alarms):
    """Google ``reminders`` for Odoo alarms; none: the calendar's defaults (an empty
    override list so that a patch also clears overrides Google had)."""
    kept, _dropped = normal_alarms(alarms)
    if not kept:
        return {"useDefault": True, "overrides": []}
    return {
        "useDefault": False,
        "overrides": [{"method": _TO_GOOGLE[kind], "minutes": minutes} for kind, minutes in kept],
    }


def alarms_from_google(event):
    """``(alarms, warnings)`` of a Google event's own reminders: its overrides, or none
    when it uses the calendar's defaults."""
    reminders = event.get("reminders")
    if not isinstance(reminders, dict) or reminders.get("useDefault") is not False:
        return (), ()
    overrides = reminders.get("overrides")
    if not isinstance(overrides, list):
        return (), ()
    alarms = []
    for item in overrides[:_MAX_SCANNED]:
        if not isinstance(item, dict):
            continue
        minutes, kind = item.get("minutes"), _TO_ODOO.get(item.get("method"))
        if kind and isinstance(minutes, int) and not isinstance(minutes, bool):
            alarms.append((kind, minutes))
    kept, dropped = normal_alarms(alarms)
    cut = dropped or len(overrides) > _MAX_SCANNED
    return kept, ("reminders_truncated",) if cut else ()


def common_reminders(alarms):
    """The reminders' part of the normal form (None: the calendar's defaults)."""
    kept, _dropped = normal_alarms(alarms)
    return [list(alarm) for alarm in kept] or None
