"""Deterministic Google event ids for Odoo records, and the way back."""

import base64
import binascii
import hashlib
import hmac

# base32hex of a 16-byte tag and the 8-byte Odoo id, without padding.
EVENT_ID_LENGTH = 39


def google_event_id_for(id_key, odoo_id):
    """Deterministic Google event id for Odoo record ``odoo_id``, keyed by ``id_key``.

    ``id_key`` is a secret of one user in one database: a retried insert always
    uses the same id (Google answers 409 instead of making a duplicate), yet
    nobody who lacks the key can make the id of another user's copy of a
    meeting. base32hex (``0-9a-v``, as Google requires) of a 16-byte HMAC of the
    Odoo id followed by the 8-byte id: 39 characters.
    """
    if not isinstance(odoo_id, int) or not 0 <= odoo_id < 2**64:
        raise ValueError("odoo_id must be a non-negative 64-bit integer")
    if not id_key:
        raise ValueError("id_key is required")
    raw_id = odoo_id.to_bytes(8, "big")
    tag = hmac.new(str(id_key).encode(), raw_id, hashlib.sha256).digest()[:16]
    return base64.b32hexencode(tag + raw_id).decode("ascii").rstrip("=").lower()


def odoo_id_from_google_id(event_id_key: str, google_id: str) -> int | None:
    """The Odoo id inside one of this user's deterministic event ids, if it is one.

    Lets a pulled event that we inserted ourselves (whose insert response may
    have been lost) find its Odoo record instead of being imported twice. Ids
    made for another user, or made up, give None.
    """
    if not google_id or len(google_id) != EVENT_ID_LENGTH or not event_id_key:
        return None
    try:
        raw = base64.b32hexdecode(google_id.upper() + "=" * 1)
    except (ValueError, binascii.Error):
        return None
    odoo_id = int.from_bytes(raw[16:24], "big")
    if odoo_id and hmac.compare_digest(google_event_id_for(event_id_key, odoo_id), google_id):
        return odoo_id
    return None
