# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The mark the sync's own writes carry in their context."""

# Compared by identity: JSON-RPC and XML-RPC clients send plain values only, so no
# client can pass for the sync (skip the read-only check, keep a change from Google).
SYNC_MARK = object()
SYNC_MARK_CONTEXT = {"crm_google_sync": SYNC_MARK}


def is_sync_write(env):
    """Whether the running write is the addon's own (the sync, its bookkeeping)."""
    return env.context.get("crm_google_sync") is SYNC_MARK
