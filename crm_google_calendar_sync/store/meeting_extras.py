# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Odoo side of the video link, the reminders and the CRM record of a meeting
(the engine's side: ``sync/extras.py``).

Not a model: one instance serves one user's sync cycle. Everything is read in batch:
the alarms once per cycle, the linked records once per model and snapshot batch.
"""

import dataclasses
from datetime import timedelta

from odoo import fields
from odoo.tools import SQL

from ..sync import conference, extras, fingerprint, reminders, source_link
from .marks import SYNC_MARK_CONTEXT

# calendar.event fields the snapshots read for the extras.
EXTRA_SNAPSHOT_FIELDS = (
    "videocall_location",
    "alarm_ids",
    "res_model",
    "res_id",
    "google_meet_request",
)
# calendar.event fields whose change sends a meeting to Google again.
EXTRA_MAPPED_FIELDS = frozenset(
    {"videocall_location", "alarm_ids", "res_model_id", "res_id", "google_meet_request"}
)
# What each Google copy holds for itself: editable also where the meeting is read-only.
PER_COPY_FIELDS = frozenset({"alarm_ids"})
# Alarms one cycle may create for reminders Google has and Odoo has not; beyond it a
# reminder takes the nearest existing alarm (a hostile calendar cannot fill the table).
MAX_NEW_ALARMS = 20
MAX_TRIGGERS = 100
_UNITS = (("days", 24 * 60), ("hours", 60), ("minutes", 1))


class MeetingExtras:
    def __init__(self, env, user):
        self.env = env
        self.user = user
        self._alarms = None  # (kind, minutes) -> alarm id, of the kinds Google knows
        self._kinds = None  # alarm id -> (kind, minutes)
        self.created_alarms = 0

    # ------------------------------------------------------------------
    # Reading: snapshot values
    # ------------------------------------------------------------------
    def _load_alarms(self):
        if self._alarms is not None:
            return
        rows = (
            self.env["calendar.alarm"]
            .sudo()
            .search_read(
                [("alarm_type", "in", reminders.ALARM_KINDS)],
                ["alarm_type", "duration_minutes"],
                order="id",
            )
        )
        self._kinds = {row["id"]: (row["alarm_type"], row["duration_minutes"]) for row in rows}
        self._alarms = {}
        for alarm_id, key in self._kinds.items():
            self._alarms.setdefault(key, alarm_id)

    def snapshot_values(self, rows):
        """``{event id: OdooEvent values}`` of the extras of ``read()`` rows."""
        self._load_alarms()
        sources = self._sources(rows)
        importers = self._importers([row["id"] for row in rows if row.get("user_id") is False])
        result = {}
        for row in rows:
            title, url = sources.get((row.get("res_model"), row.get("res_id")), ("", ""))
            # The organiser's copy (or, for an invitation from outside Odoo, the
            # importer's) is the master: its reminders are the meeting's alarms, and
            # only it asks Google for a Meet (R2, R8 of docs/attendees.md).
            organiser = row.get("user_id") or importers.get(row["id"])
            master = organiser in (None, self.user.id)
            result[row["id"]] = {
                "videocall_location": row.get("videocall_location") or "",
                "alarms": tuple(
                    self._kinds[alarm_id]
                    for alarm_id in row.get("alarm_ids") or ()
                    if alarm_id in self._kinds
                ),
                "source_title": title,
                "source_url": url,
                "holds_reminders": master,
                "meet_request": conference.valid_request_id(row.get("google_meet_request"))
                if master and not row.get("videocall_location")
                else "",
            }
        return result

    def _importers(self, event_ids):
        """``{event id: user id}`` of the user whose sync brought each meeting from
        Google (the oldest link that is no guest's invitation), for meetings without
        an Odoo organiser; one query for the batch."""
        if not event_ids:
            return {}
        self.env["crm.google.event.link"].flush_model(["event_id", "user_id", "guest_copy"])
        self.env.cr.execute(
            SQL(
                """SELECT DISTINCT ON (event_id) event_id, user_id
                     FROM crm_google_event_link
                    WHERE event_id = ANY(%s) AND guest_copy IS NOT TRUE
                 ORDER BY event_id, id""",
                list(event_ids),
            )
        )
        return dict(self.env.cr.fetchall())

    def _sources(self, rows):
        """``{(model, id): (title, url)}`` of the records the meetings belong to that
        the user may read (one read per model)."""
        by_model = {}
        for row in rows:
            model, res_id = row.get("res_model"), row.get("res_id")
            if model and res_id and model in self.env and not self.env[model]._transient:
                by_model.setdefault(model, set()).add(res_id)
        if not by_model:
            return {}
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url") or ""
        sources = {}
        for model, ids in by_model.items():
            records = self.env[model].with_user(self.user).browse(ids).exists()
            for record in records._filtered_access("read"):
                url = source_link.record_url(base_url, model, record.id)
                if url:
                    sources[(model, record.id)] = (record.display_name or "", url)
        return sources

    # ------------------------------------------------------------------
    # Writing: values from Google
    # ------------------------------------------------------------------
    def odoo_values(self, values, update=False):
        """``values`` (mapped from Google) as Odoo writes them: the alarms as commands
        (an ``update`` keeps alarms of other kinds, text messages), no record link."""
        values = dict(values)
        for key in extras.GOOGLE_ONLY_VALUES:
            values.pop(key, None)
        if "alarms" in values:
            values["alarm_ids"] = self._alarm_commands(values.pop("alarms"), update)
        if "videocall_location" in values:
            if values["videocall_location"]:
                values["google_meet_request"] = False  # the Meet asked for (or another) is there
            else:
                values["videocall_location"] = False
        return values

    def meet_answered(self, event, snapshot, body, pushed_fingerprint):
        """The Meet Google made for the request a push carried becomes Odoo's video
        link at once (a ``pending`` one comes with a later pull). Returns the link's
        fingerprint for what both sides now hold, or None when nothing changed."""
        if snapshot is None or not snapshot.meet_request or not event:
            return None
        url = conference.conference_url(body)
        if not conference.is_meet(url):
            return None
        event.with_context(**SYNC_MARK_CONTEXT).write(
            {"videocall_location": url, "google_meet_request": False}
        )
        if fingerprint.aspect_part(pushed_fingerprint, "video") is None:
            return None  # (no fingerprint of this version: the next pull compares)
        now = dataclasses.replace(snapshot, videocall_location=url, meet_request="")
        video = fingerprint.aspect_part(fingerprint.fingerprint_odoo(now), "video")
        return fingerprint.with_parts(pushed_fingerprint, {"video": video})

    def _alarm_commands(self, alarms, update):
        self._load_alarms()
        wanted = {self._alarm_for(kind, minutes) for kind, minutes in alarms}
        if not update:
            return [(6, 0, sorted(wanted))]
        return [
            *((3, alarm_id) for alarm_id in self._kinds if alarm_id not in wanted),
            *((4, alarm_id) for alarm_id in sorted(wanted)),
        ]

    def _alarm_for(self, kind, minutes):
        """An alarm of ``kind`` ``minutes`` ahead: an existing one, else a new one as
        Odoo's own Google module makes it, else (past the cycle's budget) the nearest."""
        alarm_id = self._alarms.get((kind, minutes))
        if alarm_id:
            return alarm_id
        if self.created_alarms >= MAX_NEW_ALARMS:
            same_kind = [key for key in self._alarms if key[0] == kind] or list(self._alarms)
            if same_kind:
                return self._alarms[min(same_kind, key=lambda key: abs(key[1] - minutes))]
        unit, size = next((u, s) for u, s in _UNITS if minutes % s == 0)
        alarm = (
            self.env["calendar.alarm"]
            .sudo()
            .create(
                {
                    "name": self._alarm_name(kind, minutes // size, unit),
                    "alarm_type": kind,
                    "duration": minutes // size,
                    "interval": unit,
                }
            )
        )
        self.created_alarms += 1
        self._alarms[(kind, minutes)] = alarm.id
        self._kinds[alarm.id] = (kind, minutes)
        return alarm.id

    def _alarm_name(self, kind, duration, unit):
        env = self.env(context=dict(self.env.context, lang=self.user.lang))
        label = env._("Email") if kind == "email" else env._("Notification")
        names = {
            "days": env._("%(kind)s - %(duration)s Days", kind=label, duration=duration),
            "hours": env._("%(kind)s - %(duration)s Hours", kind=label, duration=duration),
            "minutes": env._("%(kind)s - %(duration)s Minutes", kind=label, duration=duration),
        }
        return names[unit]

    def schedule_alarms(self, events):
        """What Odoo's create and write do for alarms, skipped in the sync's context,
        for a batch: one cron trigger per e-mail alarm ahead, the attendees' next
        notification once."""
        events = events.filtered(lambda event: event.active and event.alarm_ids)
        if not events:
            return
        now = fields.Datetime.now()
        times = sorted(
            {
                event.start - timedelta(minutes=alarm.duration_minutes)
                for event in events
                for alarm in event.alarm_ids
                if alarm.alarm_type == "email"
            }
        )
        # (the nearest ones: each run of Odoo's reminder job sends all that are due)
        times = [at for at in times if at > now][:MAX_TRIGGERS]
        if times:
            self.env.ref("calendar.ir_cron_scheduler_alarm").sudo()._trigger(at=times)
        notified = events.filtered(
            lambda event: (
                event.stop >= now
                and any(alarm.alarm_type == "notification" for alarm in event.alarm_ids)
            )
        )
        if notified:
            self.env["calendar.alarm_manager"]._notify_next_alarm(notified.partner_ids.ids)
