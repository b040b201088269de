"""Attendee lists between Google and Odoo: normalised addresses, answers, bounds.

An attendee list travels as a tuple of ``(address, answer)`` pairs, sorted, one per
normalised address (stripped, case folded), without the syncing user's own entry
(his answer is his, see docs/attendees.md). ``None`` means "not carried": the
list is not this user's to write (he does not hold the meeting's master copy) or
Google left guests out (``attendeesOmitted``).
"""

import re

# Google's guest limit (emulator/README.md); entries beyond it are not read, so a
# list of any size costs bounded work.
MAX_ATTENDEES = 1000
MAX_EMAIL_LENGTH = 254
ANSWERS = ("needsAction", "declined", "tentative", "accepted")
DEFAULT_ANSWER = "needsAction"

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# What Google accepts as an attendee address (a local part, "@", a dotted domain);
# anything else would make Google refuse the whole write (400 "Invalid attendee email").
_EMAIL_RE = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@" + _LABEL + r"(?:\." + _LABEL + r")+")


def normalize_email(value):
    """The address as compared and sent (stripped, case folded), or None if Google
    would refuse it."""
    if not isinstance(value, str) or len(value) > MAX_EMAIL_LENGTH + 64:
        return None
    email = value.strip().casefold()
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL_RE.fullmatch(email):
        return None
    return email


def normalize_answer(value):
    return value if value in ANSWERS else DEFAULT_ANSWER


def attendee_list(entries):
    """Sorted, one entry per address (the first wins), at most MAX_ATTENDEES:
    ``entries`` are ``(address, answer)`` pairs, malformed addresses dropped.
    Returns (list, dropped) where ``dropped`` counts what was left out."""
    seen = {}
    dropped = 0
    for raw, answer in entries:
        email = normalize_email(raw)
        if email is None or len(seen) >= MAX_ATTENDEES:
            dropped += 1
        elif email not in seen:
            seen[email] = normalize_answer(answer)
    return tuple(sorted(seen.items())), dropped


def from_google(event):
    """The attendee list of a Google event and the warnings about it.

    Leaves out the reader's own entry (``self``) and resources (rooms). Reads at
    most MAX_ATTENDEES entries more than it keeps: hostile lists cost bounded work.
    Returns (list or None, warnings)."""
    raw = event.get("attendees")
    if event.get("attendeesOmitted"):
        return None, ("attendees_omitted",)
    if raw is None:
        return (), ()
    if not isinstance(raw, list):
        return (), ("attendees_invalid",)
    pairs, invalid = [], 0
    for entry in raw[: 2 * MAX_ATTENDEES]:
        if not isinstance(entry, dict):
            invalid += 1
        elif not (entry.get("self") or entry.get("resource")):
            pairs.append((entry.get("email"), entry.get("responseStatus")))
    attendees, dropped = attendee_list(pairs)
    warnings = ("attendees_invalid",) if invalid or dropped or len(raw) > 2 * MAX_ATTENDEES else ()
    return attendees, warnings


def own_answer(event):
    """The reader's own answer in a Google event (his ``self`` entry), if any."""
    raw = event.get("attendees")
    if not isinstance(raw, list):
        return None
    for entry in raw[: 2 * MAX_ATTENDEES]:
        if isinstance(entry, dict) and entry.get("self"):
            answer = entry.get("responseStatus")
            return answer if answer in ANSWERS else None
    return None


def to_google(attendees, own=None):
    """Google's ``attendees`` for a list, with the organiser's own entry ``own``
    (``(address, answer)``) when his calendar is his primary one (R1)."""
    body = [{"email": email, "responseStatus": answer} for email, answer in attendees]
    if own is not None:
        email = normalize_email(own[0])
        if email and email not in dict(attendees):
            body.append({"email": email, "responseStatus": normalize_answer(own[1])})
    return body
