"""Event reminders and a calendar's default reminders as Google stores them.

Google's reference: ``reminders.overrides`` holds at most 5 reminders, ``minutes`` lies
between 0 and 40320 (four weeks), ``method`` is ``email`` or ``popup``; reminders are those
"for the authenticated user" and changing them "does not also change the updated property
of the enclosing event". Observed on the live API (see emulator/README.md): a sixth
override and ``useDefault`` together with overrides are refused (domain ``calendar``);
offsets out of range are clamped, duplicates collapsed, unknown methods dropped; an empty
override list is not returned and the order sent is not kept.
"""

from .errors import ApiError, bad_request

MAX_OVERRIDES = 5
MAX_MINUTES = 40320
METHODS = ("email", "popup")
PRIMARY_DEFAULTS = ({"method": "popup", "minutes": 10},)


def too_many():
    return ApiError(
        400,
        "eventRemindersCountExceedsLimit",
        "The event exceeds the allowed maximum number of reminders.",
        domain="calendar",
    )


def default_and_overrides():
    return ApiError(
        400,
        "cannotUseDefaultRemindersAndSpecifyOverride",
        "Cannot specify both default reminders and overrides at the same time.",
        domain="calendar",
    )


def clean_overrides(overrides):
    """Checked as sent (count), then stored as Google stores them (sorted, deduplicated)."""
    if len(overrides) > MAX_OVERRIDES:
        raise too_many()
    kept = set()
    for reminder in overrides:
        if reminder.get("minutes") is None:
            raise bad_request("Missing reminder minutes.", reason="required")
        if reminder.get("method") is None:
            raise bad_request("Missing reminder method.", reason="required")
        if reminder["method"] in METHODS:
            kept.add((min(max(reminder["minutes"], 0), MAX_MINUTES), reminder["method"]))
    # Google's order is not the order sent; largest offset first keeps ours deterministic.
    ordered = sorted(kept, key=lambda item: (-item[0], item[1]))
    return [{"method": method, "minutes": minutes} for minutes, method in ordered]


def normalize(reminders):
    """An event's stored ``reminders`` (absent or empty: the calendar's defaults)."""
    if not reminders:
        return {"useDefault": True}
    overrides = reminders.get("overrides") if isinstance(reminders, dict) else None
    overrides = overrides or []
    if not isinstance(reminders, dict) or not all(isinstance(o, dict) for o in overrides):
        raise bad_request("Invalid reminders.")  # only stored (injected) data can be so
    use_default = bool(reminders.get("useDefault"))
    if use_default and overrides:
        if len(overrides) > MAX_OVERRIDES:
            raise too_many()
        raise default_and_overrides()
    result = {"useDefault": use_default}
    cleaned = clean_overrides(overrides)
    if cleaned:
        result["overrides"] = cleaned
    return result
