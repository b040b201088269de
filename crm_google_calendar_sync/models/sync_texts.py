# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Sentences for what the sync stores as codes and numbers, in the reader's language.

The sync stores what happened (error codes with their arguments, counts, reason
codes, titles of changed meetings) and these functions word it when someone
reads it: the administrator reads a German user's status in English, the user
reads it in German.
"""

import re
from collections import Counter

from ..sync import errors

# The one action that ends an error state, offered next to the error.
FIX_RECONNECT = "reconnect"
FIX_SAVE = "save"
FIX_RETRY = "retry"

ERROR_FIXES = {
    "auth_revoked": FIX_RECONNECT,
    "no_offline_access": FIX_RECONNECT,
    "google_refused": FIX_RECONNECT,
    "calendars_gone": FIX_SAVE,
    "target_readonly": FIX_SAVE,
    "rate_limited": FIX_RETRY,
    "unreachable": FIX_RETRY,
    "google_error": FIX_RETRY,
    "unexpected": FIX_RETRY,
}


def not_connected_text(env):
    return env._("Connect your Google account first.")


def not_configured_text(env):
    return env._(
        "Google Calendar is not set up yet. An administrator must enter the "
        "Google OAuth client ID and secret in Settings first."
    )


def sync_failed_text(env):
    return env._("The synchronisation failed.")


def error_code_for(exc):
    """``(code, args)`` of a sync exception, for :func:`error_text`."""
    if isinstance(exc, errors.RetryBudgetExhausted) and exc.last_error:
        exc = exc.last_error
    if isinstance(exc, errors.InvalidGrant):
        return "auth_revoked", {}
    if isinstance(exc, errors.RateLimitError):
        return "rate_limited", {}
    if isinstance(exc, errors.TransientError):
        return "unreachable", {}
    if isinstance(exc, errors.Forbidden):
        return "google_refused", {"reason": exc.reason or str(exc.status)}
    return "google_error", {"reason": getattr(exc, "reason", "") or type(exc).__name__}


def error_text(env, code, args=None):
    """The sentence for an error ``code`` (see ``ERROR_FIXES``) in ``env``'s language."""
    args = args or {}
    texts = {
        "auth_revoked": lambda: env._(
            "Google no longer accepts the authorisation (access was revoked or has "
            "expired). Please connect Google again."
        ),
        "no_offline_access": lambda: env._(
            "Google did not grant offline access. Please connect again."
        ),
        "google_refused": lambda: env._(
            "Google refused the request: %(reason)s", reason=args.get("reason", "")
        ),
        "google_error": lambda: env._(
            "Google answered with an error: %(reason)s", reason=args.get("reason", "")
        ),
        "rate_limited": lambda: env._(
            "Google asks us to slow down. The synchronisation continues shortly."
        ),
        "unreachable": lambda: env._(
            "Google could not be reached. The synchronisation will try again."
        ),
        "unexpected": lambda: env._("The synchronisation failed unexpectedly. It will be retried."),
        "calendars_gone": lambda: env._(
            "Google no longer gives access to the calendar(s) “%(names)s” (deleted, "
            "unsubscribed or no longer shared). Nothing was deleted; please check your "
            "calendar choices in your preferences and save them.",
            names=args.get("names", ""),
        ),
        "target_readonly": lambda: env._(
            "Odoo can no longer write into the Google calendar “%(name)s” (you may only "
            "read it now). Nothing was deleted; please choose another calendar for your "
            "Odoo meetings in your preferences.",
            name=args.get("name", ""),
        ),
        "calendars_unreadable": lambda: env._(
            "%(count)s chosen Google calendar(s) could not be read (deleted, unsubscribed "
            "or no longer shared). Check your calendar choices.",
            count=args.get("count", 0),
        ),
    }
    text = texts.get(code)
    return text() if text else env._("The synchronisation failed. It will be retried.")


# ----------------------------------------------------------------------
# What a run did
# ----------------------------------------------------------------------
def summary_of(report):
    """The numbers and reason codes of an engine report, as stored JSON."""
    return {
        "pulled": report.pulled,
        "pushed": report.pushed,
        "conflicts": report.conflicts,
        "skipped": dict(Counter(reason for _key, reason in report.skipped if reason)),
        "waiting": report.waiting_outgoing,
        "incomplete": bool(report.incomplete),
    }


def summary_text(env, summary):
    """What a run did, in one paragraph (``summary`` from :func:`summary_of`)."""
    if not summary:
        return False
    parts = []
    if summary.get("pulled"):
        parts.append(
            env._("%(count)s change(s) from Google applied in Odoo.", count=summary["pulled"])
        )
    if summary.get("pushed"):
        parts.append(env._("%(count)s change(s) sent to Google.", count=summary["pushed"]))
    if summary.get("conflicts"):
        parts.append(
            env._(
                "%(count)s conflict(s) resolved (see the meetings' notes).",
                count=summary["conflicts"],
            )
        )
    skipped = summary.get("skipped") or {}
    if skipped:
        log = env["crm.google.sync.log"]
        reasons = sorted({log._reason_text(code, env) for code in skipped})
        parts.append(
            env._(
                "%(count)s event(s) skipped: %(reasons)s",
                count=sum(skipped.values()),
                reasons=" ".join(reasons),
            )
        )
    if summary.get("waiting"):
        parts.append(
            env._(
                "%(count)s change(s) still to send: they follow in the next synchronisations "
                "(Google limits the requests per minute).",
                count=summary["waiting"],
            )
        )
    elif summary.get("incomplete"):
        parts.append(env._("The rest follows within the next minutes."))
    return " ".join(parts) or env._("No changes: Odoo and Google were already the same.")


def left_out_text(env, count):
    """The quarantined Google events of a user, which no single run reports again."""
    if not count:
        return False
    return env._(
        "%(count)s event(s) from Google could not be saved in Odoo, even in several "
        "attempts. They are left out until they change in Google; see the sync log.",
        count=count,
    )


def interval_text(env, minutes):
    """Words for the configured interval between two syncs of a user ("every 5 minutes")."""
    minutes = round(minutes, 1)
    if minutes == 1:
        return env._("every minute")
    shown = int(minutes) if minutes == int(minutes) else minutes
    return env._("every %(minutes)s minutes", minutes=shown)


# Control characters (NUL cannot even be stored in PostgreSQL's jsonb).
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]+")


# ----------------------------------------------------------------------
# Which meetings changed
# ----------------------------------------------------------------------
def change_entries(report):
    """The changed meetings of a report as stored JSON: titles of private ones
    stay out of the log, which administrators read."""
    return [
        [side, action, None if private else CONTROL_CHARS.sub(" ", title)[:200]]
        for side, action, title, private in report.changes
    ]


def changes_text(env, changes):
    """One line per changed meeting, e.g. "Created in Odoo: Kundentermin"."""
    labels = {
        ("odoo", "created"): env._("Created in Odoo"),
        ("odoo", "updated"): env._("Updated in Odoo"),
        ("odoo", "deleted"): env._("Deleted in Odoo"),
        ("odoo", "conflict"): env._("Changed on both sides"),
        ("google", "created"): env._("Created in Google"),
        ("google", "updated"): env._("Updated in Google"),
        ("google", "deleted"): env._("Deleted in Google"),
    }
    lines = []
    for side, action, title in changes or []:
        label = labels.get((side, action), action)
        shown = env._("(private appointment)") if title is None else title or env._("(No title)")
        lines.append(f"{label}: {shown}")
    return "\n".join(lines)
