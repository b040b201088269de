# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One line per synchronisation run of one user that changed something, failed,
was started by hand, or was the first run without changes after one with.

Further idle scheduled runs write nothing, so that thousands of users
synchronised every few minutes do not fill the table (the user's "last
synchronisation" still shows them). Lines keep counts and codes and are worded
in the reader's language; lines older than the retention period are removed by
the daily autovacuum.
"""

from collections import Counter
from datetime import timedelta

from odoo import api, fields, models

from . import sync_texts

DEFAULT_RETENTION_DAYS = 30
# Google reasons that mean "try again later"; their text says so.
TEMPORARY_REASONS = frozenset({"backendError", "internalError"})
REFUSED_REASONS = frozenset({"forbidden", "requiredAccessLevel", "insufficientPermissions"})


def _reason_texts(env):
    """Plain-language texts for the reason codes of the sync engine (Google's
    error reasons, mapping errors, push outcomes), in ``env``'s language."""
    refused = env._(
        "Google refused the change: you may only read this calendar or event. Ask its "
        "owner for write access or choose another calendar."
    )
    slow_down = env._(
        "Google asked to slow down. The remaining changes follow in the next synchronisations."
    )
    gone = env._("The event no longer exists in Google.")
    rejected = env._("Google did not accept the event's data.")
    texts = {
        # Pulling from Google
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
        # Pushing to Google
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
        "network": sync_texts.error_text(env, "unreachable"),
        "rateLimitExceeded": slow_down,
        "userRateLimitExceeded": slow_down,
        "quotaExceeded": slow_down,
        "notFound": gone,
        "http_404": gone,
        "invalid": rejected,
        "http_400": rejected,
    }
    texts.update(dict.fromkeys(REFUSED_REASONS, refused))
    return texts


class CrmGoogleSyncLog(models.Model):
    _name = "crm.google.sync.log"
    _description = "Google Calendar Synchronisation Log"
    _order = "date_start desc, id desc"
    _rec_name = "user_id"

    user_id = fields.Many2one(
        "res.users", required=True, ondelete="cascade", index=True, readonly=True
    )
    date_start = fields.Datetime("Started", required=True, index=True, readonly=True)
    duration = fields.Float("Duration (s)", digits=(16, 2), readonly=True)
    trigger = fields.Selection(
        [("cron", "Scheduled"), ("manual", "Manual")],
        required=True,
        default="cron",
        readonly=True,
    )
    state = fields.Selection(
        [("success", "Success"), ("partial", "Partly failed"), ("failed", "Failed")],
        string="Result",
        required=True,
        default="success",
        readonly=True,
    )
    pulled_created = fields.Integer("Created in Odoo", readonly=True)
    pulled_updated = fields.Integer("Updated in Odoo", readonly=True)
    pulled_deleted = fields.Integer("Deleted in Odoo", readonly=True)
    pushed_inserted = fields.Integer("Created in Google", readonly=True)
    pushed_updated = fields.Integer("Updated in Google", readonly=True)
    pushed_deleted = fields.Integer("Deleted in Google", readonly=True)
    pulled_total = fields.Integer(
        "From Google", compute="_compute_totals", store=True, help="Changes applied in Odoo."
    )
    pushed_total = fields.Integer(
        "To Google", compute="_compute_totals", store=True, help="Changes sent to Google."
    )
    conflicts = fields.Integer(
        readonly=True,
        help="Events changed on both sides; the newer change won and the other version "
        "was noted on the meeting.",
    )
    skipped_count = fields.Integer("Skipped", readonly=True)
    skipped_codes = fields.Json(readonly=True)  # {reason code: count}
    skipped_reasons = fields.Text("Skipped Events", compute="_compute_texts")
    incomplete = fields.Boolean(
        "Unfinished, Continued in the Next Run",
        readonly=True,
        help="The run stopped before everything was done (time or Google's request limit); "
        "the next runs continue where it stopped.",
    )
    # [["reason", code, count] | ["error", code, args] | ["text", text]]
    problems = fields.Json(readonly=True)
    error_message = fields.Text("Errors", compute="_compute_texts")
    changes = fields.Json(readonly=True)  # sync_texts.change_entries
    change_lines = fields.Text(
        "Changed Meetings",
        compute="_compute_texts",
        help="The meetings this run created, updated or deleted (the first 50).",
    )
    summary = fields.Char(compute="_compute_texts")

    @api.depends(
        "pulled_created",
        "pulled_updated",
        "pulled_deleted",
        "pushed_inserted",
        "pushed_updated",
        "pushed_deleted",
    )
    def _compute_totals(self):
        for log in self:
            log.pulled_total = log.pulled_created + log.pulled_updated + log.pulled_deleted
            log.pushed_total = log.pushed_inserted + log.pushed_updated + log.pushed_deleted

    @api.depends_context("lang")
    @api.depends("skipped_codes", "problems", "changes", "state")
    def _compute_texts(self):
        """Word the stored codes and titles in the reader's language."""
        env = self.env
        for log in self:
            skipped = log.skipped_codes or {}
            log.skipped_reasons = "\n".join(self._count_lines(env, Counter(skipped))) or False
            log.error_message = "\n".join(log._problem_lines()) or False
            log.change_lines = sync_texts.changes_text(env, log.changes) or False
            if log.state == "failed":
                # No counts to tell: what stopped the run is the summary.
                log.summary = (log.error_message or "").split("\n")[0] or (
                    sync_texts.sync_failed_text(env)
                )
                continue
            log.summary = sync_texts.summary_text(
                env,
                {
                    "pulled": log.pulled_total,
                    "pushed": log.pushed_total,
                    "conflicts": log.conflicts,
                    "skipped": skipped,
                    "incomplete": log.incomplete,
                },
            )

    def _problem_lines(self):
        env = self.env
        lines = []
        for kind, value, *rest in self.problems or []:
            if kind == "reason":
                lines.extend(self._count_lines(env, Counter({value: rest[0] if rest else 1})))
            elif kind == "error":
                lines.append(sync_texts.error_text(env, value, rest[0] if rest else None))
            else:
                lines.append(value)
        return lines

    # ------------------------------------------------------------------
    # Recording
    # ------------------------------------------------------------------
    @api.model
    def _record(self, token, report, duration, trigger, error_message=None):
        """Record the outcome of one run of ``token``'s user; called after every sync.

        Keeps the user's last result (counts and codes, written only when it
        differs from the one before) and writes a log line for a run that
        changed something, failed, was started by hand, or is the first without
        changes after one with. So a scheduled idle run writes nothing.

        ``report``: the engine's ``SyncReport``, or None when Google could not be
        used (the reason is ``error_message``, else the token's error state).
        Returns the new log line or an empty recordset.
        """
        token = token.sudo()
        summary = sync_texts.summary_of(report) if report is not None else token.last_summary
        changed_result = summary != token.last_summary
        if report is not None and (report.changed_anything or changed_result):
            token.write({"last_summary": summary, "last_sync": fields.Datetime.now()})
        worth_a_line = (
            report is None
            or report.changed_anything
            or error_message
            or changed_result
            or trigger == "manual"
        )
        if not worth_a_line:
            return self.browse()
        duration = max(float(duration or 0.0), 0.0)
        values = {
            "user_id": token.user_id.id,
            "date_start": fields.Datetime.now() - timedelta(seconds=duration),
            "duration": duration,
            "trigger": "manual" if trigger == "manual" else "cron",
        }
        values.update(self._outcome_values(token, report, error_message))
        return self.sudo().create(values)

    @api.model
    def _outcome_values(self, token, report, error_message):
        """Counts, codes and changed meetings of a run, as stored on its line."""
        problems = [["text", error_message]] if error_message else []
        if report is None:
            if not error_message:
                problems.append(
                    ["error", token.error_code, token.error_args]
                    if token.error_code
                    else ["text", token.error_message]
                    if token.error_message
                    else ["error", "unexpected", None]
                )
            return {"state": "failed", "problems": problems}
        problems += [["reason", code, count] for code, count in Counter(report.errors).items()]
        if report.unavailable_calendars:
            problems.append(
                ["error", "calendars_unreadable", {"count": len(report.unavailable_calendars)}]
            )
        partial = problems or report.skipped
        return {
            "state": "partial" if partial else "success",
            "problems": problems or False,
            "pulled_created": report.pulled_created,
            "pulled_updated": report.pulled_updated,
            "pulled_deleted": report.pulled_deleted,
            "pushed_inserted": report.pushed_inserted,
            "pushed_updated": report.pushed_updated,
            "pushed_deleted": report.pushed_deleted,
            "conflicts": report.conflicts,
            "skipped_count": len(report.skipped),
            "skipped_codes": sync_texts.summary_of(report)["skipped"] or False,
            "incomplete": report.incomplete,
            "changes": sync_texts.change_entries(report) or False,
        }

    @api.model
    def _count_lines(self, env, counts):
        """One plain-language line per reason code of ``counts`` (a Counter),
        with how often it occurred."""
        lines = []
        for code, count in counts.most_common():
            if not code:
                continue
            text = self._reason_text(code, env)
            if count > 1:
                text = env._("%(text)s (%(count)s times)", text=text, count=count)
            lines.append(text)
        return lines

    @api.model
    def _reason_text(self, code, env=None):
        """A plain-language text for a sync reason code (Google reason, mapping error)."""
        env = env or self.env
        if not code:
            return ""
        text = _reason_texts(env).get(code)
        if text:
            return text
        if code in TEMPORARY_REASONS or code.startswith("http_5"):
            return env._("Google had a temporary problem. It is tried again automatically.")
        return env._("Google reported a problem (%(code)s).", code=code)

    # ------------------------------------------------------------------
    # Clean-up
    # ------------------------------------------------------------------
    @api.model
    def _retention_days(self):
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("crm_google_calendar_sync.log_retention_days", DEFAULT_RETENTION_DAYS)
        )
        try:
            return max(int(value), 1)
        except (TypeError, ValueError):
            return DEFAULT_RETENTION_DAYS

    @api.autovacuum
    def _gc_old_logs(self):
        """Remove log lines older than the retention period (30 days by default)."""
        limit = fields.Datetime.now() - timedelta(days=self._retention_days())
        self.sudo().search([("date_start", "<", limit)]).unlink()
