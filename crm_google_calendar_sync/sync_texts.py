# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Sentences for what the sync stores as codes and numbers, in the reader's language.

The sync stores what happened (error codes with their arguments, counts, reason
codes, titles of changed meetings) and these functions word it when someone
reads it: the administrator reads a German user's status in English, the user
reads it in German.
"""

import re
from collections import Counter

from .sync import errors

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
# Why an event was left out
# ----------------------------------------------------------------------
# Google reasons that mean the user may not write there (see reason_texts).
REFUSED_REASONS = frozenset({"forbidden", "requiredAccessLevel", "insufficientPermissions"})


def reason_texts(env):
    """Plain-language texts for the reason codes of the sync engine (Google's
    error reasons, mapping errors, push outcomes), in ``env``'s language."""
    texts = dict(_pull_reason_texts(env), **_push_reason_texts(env))
    refused = env._(
        "Google refused the change: you may only read this calendar or event. Ask its "
        "owner for write access or choose another calendar."
    )
    texts.update(dict.fromkeys(REFUSED_REASONS, refused))
    return texts


def _pull_reason_texts(env):
    """Texts of the reasons an event from Google was left out."""
    return {
        "apply_failed": env._(
            "An event from Google could not be saved in Odoo. It is tried again in the next "
            "synchronisation."
        ),
        "quarantined": env._(
            "An event from Google could not be saved in Odoo in several attempts. It is "
            "left out until it changes in Google; the other events are synchronised."
        ),
        "not_an_event": env._("Google sent an entry that is not a calendar event."),
        "invalid_field": env._("The event contains a field that Odoo cannot read."),
        "invalid_datetime": env._("The event has an invalid date or time."),
        "invalid_date": env._("The event has an invalid date."),
        "date_out_of_range": env._("The event's date lies outside the supported years."),
        "unknown_timezone": env._("The event uses a time zone that Odoo does not know."),
        "missing_start": env._("The event has no start date."),
        "missing_end": env._("The event has no end date."),
        "date_and_datetime": env._("The event has both an all-day date and a time."),
        "mixed_date_types": env._(
            "The event mixes an all-day date and a time for its start and end."
        ),
        "end_before_start": env._("The event ends before it starts."),
        "cancelled_event": env._("The event was cancelled in Google."),
        "private_event": env._(
            "The event is private; private appointments are not synchronised (see your "
            "preferences)."
        ),
        "invalid_rrule": env._("The repetition rule of the series cannot be read."),
        "unsupported_recurrence": env._(
            "Odoo cannot represent the repetition of this series; only its first date is kept."
        ),
        "invalid_original_start": env._(
            "A changed date of a series cannot be matched with its series."
        ),
    }


def _push_reason_texts(env):
    """Texts of the reasons an Odoo change did not reach Google."""
    slow_down = env._(
        "Google asked to slow down. The remaining changes follow in the next synchronisations."
    )
    gone = env._("The event no longer exists in Google.")
    rejected = env._("Google did not accept the event's data.")
    return {
        "series_not_synced": env._(
            "This date of a series is sent once its series has been synchronised."
        ),
        "no_writable_calendar": env._(
            "No Google calendar that Odoo may write into is chosen. Choose one in your "
            "preferences (External services)."
        ),
        "conditionNotMet": env._(
            "The event was changed in Google at the same time. Both versions are compared "
            "again in the next synchronisation."
        ),
        "network": error_text(env, "unreachable"),
        "rateLimitExceeded": slow_down,
        "userRateLimitExceeded": slow_down,
        "quotaExceeded": slow_down,
        "notFound": gone,
        "http_404": gone,
        "invalid": rejected,
        "http_400": rejected,
    }


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
