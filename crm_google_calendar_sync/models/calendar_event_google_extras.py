# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from ..sync import conference, reminders
from .meeting_extras import MeetingExtras


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    google_sync_details = fields.Text(
        "Shown in Google",
        compute="_compute_google_sync_details",
        groups="base.group_user",
        help="How the video link, the reminders and the linked record of this meeting "
        "appear in your Google Calendar.",
    )

    @api.depends_context("uid")
    @api.depends("videocall_location", "location", "alarm_ids", "res_model", "res_id")
    @api.depends("google_sync_status")
    def _compute_google_sync_details(self):
        """What the sync makes of the extras in the current user's Google copy, for
        the meetings it sends there (read in batch: the alarms once, the records once
        per model)."""
        self.google_sync_details = False
        synced = self.filtered(lambda event: event.google_sync_status != "not_synced")
        if not synced:
            return
        extras = MeetingExtras(self.env, self.env.user)
        rows = [
            {
                "id": event.id,
                "videocall_location": event.videocall_location,
                "alarm_ids": event.alarm_ids.ids,
                "res_model": event.res_model,
                "res_id": event.res_id,
            }
            for event in synced
        ]
        values = extras.snapshot_values(rows)
        for event in synced:
            lines = [
                event._google_video_line(values[event.id]["videocall_location"]),
                event._google_reminders_line(values[event.id]["alarms"]),
                event._google_record_line(values[event.id]["source_title"]),
            ]
            event.google_sync_details = "\n".join(line for line in lines if line) or False

    def _google_video_line(self, link):
        if not link:
            return ""
        url = conference.web_url(link)
        if not url:
            return self.env._(
                "The video link does not go to Google: only web addresses (http, https) "
                "of up to 1,024 characters do."
            )
        if conference.is_meet(url):
            return self.env._("Video link: the Google Meet of the Google event.")
        if not (self.location or "").strip():
            return self.env._("Video link: in the location of the Google event.")
        return self.env._("Video link: first line of the Google event's description.")

    def _google_reminders_line(self, alarms):
        kept, dropped = reminders.normal_alarms(alarms)
        if dropped:
            return self.env._(
                "Reminders: the nearest %(kept)s reach Google, %(dropped)s do not "
                "(Google keeps at most %(max)s).",
                kept=len(kept),
                dropped=dropped,
                max=reminders.MAX_REMINDERS,
            )
        if not kept:
            return self.env._("No reminders: Google reminds you as your calendar's default.")
        return ""

    def _google_record_line(self, title):
        if not (self.res_model and self.res_id):
            return ""
        if not title:
            return self.env._("The linked record does not go to Google.")
        return self.env._("Google links to: %(record)s", record=title)
