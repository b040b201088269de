"""Fingerprints of the mapped fields, for echo suppression.

One function for both directions: the fingerprint is a hash of the *common normal form*
(:func:`mapping.common_from_odoo` / :func:`mapping.common_from_google`), which describes
an event as it looks in Google after our mapping. So when we write an event to one side
and read it back from there (an echo), the fingerprint is the same, whatever each side
did to the representation (HTML re-serialised, offsets rewritten, "confidential" shown as
"private", placeholder titles, ...).
"""

import hashlib
import json

from .mapping import common_from_google, common_from_odoo

# Bump when the normal form changes: stored fingerprints then differ once, which costs
# one extra comparison round (fields are compared again), never data.
FINGERPRINT_VERSION = 1


def fingerprint(common):
    """Stable hex digest of a common normal form (a JSON-able mapping)."""
    payload = json.dumps(
        {"v": FINGERPRINT_VERSION, "event": common},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:40]


def fingerprint_odoo(ev, *, user_tz="UTC"):
    """Fingerprint of an Odoo snapshot (:class:`mapping.OdooEvent`)."""
    return fingerprint(common_from_odoo(ev, user_tz=user_tz))


def fingerprint_google(event, *, user_tz="UTC", calendar_tz=None):
    """Fingerprint of a Google event resource (raises MappingError if unmappable)."""
    return fingerprint(common_from_google(event, user_tz=user_tz, calendar_tz=calendar_tz))
