"""Fingerprints of the mapped fields, one short hash per aspect, for echo
suppression and three-way merges (see docs/architecture.md, "Mapping").
"""

import hashlib
import json

from .mapping import common_from_google, common_from_odoo

# Bump when the normal form changes: stored fingerprints then differ once, which costs
# one extra comparison round (fields are compared again), never data.
FINGERPRINT_VERSION = 4

# The parts of the normal form that change together, in the order of the fingerprint.
# Keys of the normal form not listed here fall into "other".
ASPECTS = {
    "name": ("summary",),
    "description": ("description",),
    "location": ("location",),
    "privacy": ("visibility",),
    "show_as": ("transparency",),
    "time": ("allday", "start", "end", "tz"),
    "recurrence": ("recurrence",),
    "attendees": ("attendees",),
    "video": ("video",),
    "reminders": ("reminders",),
    "source": ("source",),
}
OTHER = "other"
ASPECT_NAMES = (*ASPECTS, OTHER)
_HASH_CHARS = 10  # per aspect: 40 bits, an unnoticed change is a 1 in 10^12 event


# One encoder for every digest: ``json.dumps`` with options builds a new one per call,
# which cost about half of a fingerprint (12 digests per event, twice per import).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
_LISTED = frozenset(key for keys in ASPECTS.values() for key in keys)
_ASPECT_KEYS = tuple(ASPECTS.values())


def _digest(value):
    payload = _ENCODER.encode({"v": FINGERPRINT_VERSION, "value": value})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:_HASH_CHARS]


def fingerprint(common):
    """Stable digest of a common normal form (a JSON-able mapping), aspect by aspect."""
    parts = [_digest({key: common.get(key) for key in keys}) for keys in _ASPECT_KEYS]
    parts.append(_digest({key: value for key, value in common.items() if key not in _LISTED}))
    return "".join(parts)


def changed_aspects(stored, current):
    """The aspects in which two fingerprints differ; None when either is not one
    of this version (e.g. stored by an older release): then nothing is known."""
    size = _HASH_CHARS * len(ASPECT_NAMES)
    if not stored or not current or len(stored) != size or len(current) != size:
        return None
    return {
        name
        for index, name in enumerate(ASPECT_NAMES)
        if stored[index * _HASH_CHARS : (index + 1) * _HASH_CHARS]
        != current[index * _HASH_CHARS : (index + 1) * _HASH_CHARS]
    }


def aspect_part(value, aspect):
    """The part of fingerprint ``value`` for ``aspect`` (None if it is none of this
    version)."""
    if not value or len(value) != _HASH_CHARS * len(ASPECT_NAMES):
        return None
    index = ASPECT_NAMES.index(aspect)
    return value[index * _HASH_CHARS : (index + 1) * _HASH_CHARS]


def with_parts(value, parts):
    """Fingerprint ``value`` with the aspects of ``parts`` ({aspect: part}) replaced;
    ``UNKNOWN_PART`` equals no part of a real fingerprint."""
    return "".join(parts.get(name) or aspect_part(value, name) for name in ASPECT_NAMES)


# A part no digest has (hex digits only): the aspect changed, nobody knows how.
UNKNOWN_PART = "?" * _HASH_CHARS


def fingerprint_odoo(ev, *, user_tz="UTC"):
    """Fingerprint of an Odoo snapshot (:class:`mapping.OdooEvent`)."""
    return fingerprint(common_from_odoo(ev, user_tz=user_tz))


def fingerprint_google(event, *, user_tz="UTC", calendar_tz=None):
    """Fingerprint of a Google event resource (raises MappingError if unmappable)."""
    return fingerprint(common_from_google(event, user_tz=user_tz, calendar_tz=calendar_tz))
