"""An event's attendee list as Google keeps it: validated, duplicates collapsed, flags.

Google's reference (Event resource, ``attendees[]``): ``email`` is required when adding an
attendee and must be a valid address; ``responseStatus`` defaults to ``needsAction``;
``resource`` can only be set when the attendee is added and later changes are ignored;
``self`` and ``organizer`` are read-only (computed per calendar copy when read).
"""

import re

from .errors import bad_request

ANSWER_FIELDS = ("responseStatus", "comment", "additionalGuests")
# Read-only flags a client may echo back; Google computes them for each copy it shows.
COMPUTED_FLAGS = ("self", "organizer")
# Google does not publish its guest limit in the API reference; see emulator/README.md.
DEFAULT_MAX_ATTENDEES = 1000
MAX_EMAIL_LENGTH = 254

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@" + _LABEL + r"(?:\." + _LABEL + r")+$")


def fold(email):
    """The key Google compares addresses by (case does not matter)."""
    return email.casefold() if isinstance(email, str) else ""


def find(attendees, email):
    """The entry of ``email`` in an attendee list, or None."""
    key = fold(email)
    for entry in attendees or []:
        if isinstance(entry, dict) and fold(entry.get("email")) == key:
            return entry
    return None


def by_address(body):
    """{folded e-mail: entry} of an event body (empty when it has no valid list)."""
    attendees = (body or {}).get("attendees")
    if not isinstance(attendees, list):
        return {}
    return {
        fold(entry["email"]): entry
        for entry in attendees
        if isinstance(entry, dict) and isinstance(entry.get("email"), str)
    }


def _checked_email(value):
    if not isinstance(value, str) or not value.strip():
        raise bad_request("Missing attendee email.", reason="required")
    email = value.strip()
    if len(email) > MAX_EMAIL_LENGTH or not EMAIL_RE.match(email):
        raise bad_request("Invalid attendee email.")
    return email


def normalize(attendees, previous=None, limit=None):
    """Validated list: one entry per address (the first wins), defaults set.

    ``previous`` is the stored list (``resource`` keeps its first value); ``limit`` is the
    most entries a client may write (None when seeding what Google itself may hold).
    """
    if attendees is None:
        return None
    if not isinstance(attendees, list) or not all(isinstance(e, dict) for e in attendees):
        raise bad_request("Invalid attendees.")  # only stored (injected) data can be so
    if limit is not None and len(attendees) > limit:
        raise bad_request("Too many attendees.", reason="invalid")
    known = by_address({"attendees": previous})
    seen = set()
    result = []
    for entry in attendees:
        email = _checked_email(entry.get("email"))
        key = fold(email)
        if key in seen:
            continue
        seen.add(key)
        clean = {k: v for k, v in entry.items() if k not in COMPUTED_FLAGS}
        clean["email"] = email
        clean.setdefault("responseStatus", "needsAction")
        if clean.get("additionalGuests") is not None and clean["additionalGuests"] < 0:
            raise bad_request("Invalid value for attendee additionalGuests.")
        if key in known:
            if known[key].get("resource"):
                clean["resource"] = True
            else:
                clean.pop("resource", None)
        result.append(clean)
    return result


def merge_partial(stored, given):
    """``attendeesOmitted`` writes: the given entries update the stored list by address."""
    merged = [dict(entry) for entry in stored or [] if isinstance(entry, dict)]
    index = {fold(entry.get("email")): entry for entry in merged}
    for entry in given or []:
        current = index.get(fold(entry.get("email")))
        if current is None:
            merged.append(dict(entry))
        else:
            current.update(entry)
    return merged


def render(attendees, calendar_id, organizer_email, *, only_self=False, limit=None):
    """What one calendar copy shows: ``self``/``organizer`` flags, omitted guests.

    -> (list, omitted) where omitted says whether other guests were left out.
    """
    own, organizer = fold(calendar_id), fold(organizer_email)
    shown = []
    for entry in attendees:
        if not isinstance(entry, dict):
            shown.append(entry)
            continue
        key = fold(entry.get("email"))
        if key and key == own:
            entry["self"] = True
        if key and key == organizer:
            entry["organizer"] = True
        shown.append(entry)
    if only_self or (limit is not None and len(shown) > limit):
        return [e for e in shown if isinstance(e, dict) and e.get("self")], True
    return shown, False
