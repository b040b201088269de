# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The checked-in corpus of malformed and hostile input (tests/data/bad_input/*.json).

Each case is injected (unvalidated for payloads Google itself would reject), synced
through the cron path next to a normal event, and checked against its expected outcome:
``skipped`` (with the reason logged and shown to the user when it is an input error) or
``synced`` (and sanitised). A second user's sync runs unaffected at the end.

Placeholders in payload strings: ``@T+3 10:00`` = UTC date-time 3 days from today,
``@L+3 10:00`` = the same without offset, ``@D+3`` = a date. Generators keep huge
payloads out of the repository: ``{"$repeat": s, "times": n}``,
``{"$attendees": n}``, ``{"$exdates": n, "from": day}``,
``{"$reminders": n}``. ``{"$victim": key}`` is a value
of a colleague's meeting (its Google copy's ``event_id`` and ``ical_uid``, an id of the
database UUID and its Odoo id as earlier releases made them, ``uuid_id``, the extended
properties of Odoo's own google_calendar module, ``odoo_properties``, his ``email``): the
case's event is in the syncing user's own calendar, and the colleague's meeting must stay
untouched (``checks.victim_untouched``).
"""

import base64
import json
import logging
import re
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

from odoo.tests import new_test_user, tagged

from .test_reliability import ReliabilityCase, odoo_view

_logger = logging.getLogger(__name__)

CORPUS = Path(__file__).parent / "data" / "bad_input"
# Reasons that are a user's choice or the sync's scope, not an input error: such
# events are left alone silently, by design.
POLICY_REASONS = {"private", "outside_window", "not_attended", "cancelled_unknown", "missing_id"}
FORBIDDEN_IN_HTML = (
    "<script",
    "<iframe",
    "<object",
    "<embed",
    "<svg",
    "<style",
    "onerror",
    "onload",
    "onclick",
    "onmouseover",
    "javascript:",
)
_PLACEHOLDER = re.compile(r"@([TLD])\+(-?\d+)(?: (\d\d:\d\d))?")


def load_corpus():
    cases = {}
    for path in sorted(CORPUS.glob("*.json")):
        with path.open(encoding="utf-8") as handle:
            cases[path.stem] = json.load(handle)
    return cases


def _expand(value, today, victim=None):
    """Resolve placeholders and generators in a case payload."""
    if isinstance(value, dict):
        if "$victim" in value:
            return victim[value["$victim"]]
        if "$repeat" in value:
            return value["$repeat"] * value["times"]
        if "$attendees" in value:
            return [
                {"email": f"guest{i}@example.org", "responseStatus": "needsAction"}
                for i in range(value["$attendees"])
            ]
        if "$reminders" in value:
            return [{"method": "popup", "minutes": i} for i in range(value["$reminders"])]
        if "$exdates" in value:
            first = today + timedelta(days=value.get("from", 1))
            days = (first + timedelta(days=i) for i in range(value["$exdates"]))
            return "EXDATE:" + ",".join(day.strftime("%Y%m%dT090000Z") for day in days)
        return {key: _expand(item, today, victim) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand(item, today, victim) for item in value]
    if isinstance(value, str):

        def replace(match):
            kind, offset, clock = match.group(1), int(match.group(2)), match.group(3)
            day = today + timedelta(days=offset)
            if kind == "D":
                return day.isoformat()
            suffix = "Z" if kind == "T" else ""
            return f"{day.isoformat()}T{clock}:00{suffix}"

        return _PLACEHOLDER.sub(replace, value)
    return value


@tagged("post_install", "-at_install", "crm_gcal_reliability")
class TestBadInput(ReliabilityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cases = load_corpus()
        cls.today = date.today()

    def test_corpus_is_complete(self):
        self.assertGreaterEqual(len(self.cases), 40)
        for name, case in self.cases.items():
            with self.subTest(case=name):
                self.assertTrue(case.get("description"))
                self.assertIn(case["expected"], ("skipped", "synced"))
                self.assertTrue(case.get("reason"))
                self.assertTrue(("google_event" in case) != ("odoo_values" in case))

    # ------------------------------------------------------------------
    def test_google_payloads(self):
        email = "bad@example.com"
        user, token = self.connect_user("gcal_bad", email, tz="Europe/Berlin")
        self.sync(token)
        self.victim = self._colleagues_meeting()
        problems = []
        for name, case in self.cases.items():
            if "google_event" not in case:
                continue
            with self.subTest(case=name):
                problem = self._google_case(user, token, email, name, case)
                if problem:
                    problems.append(f"{name}: {problem}")
        self.assertEqual(problems, [])
        self._bystander_unaffected(token, email)

    def _colleagues_meeting(self):
        """A meeting of a colleague, synced to his Google, that hostile cases aim at."""
        colleague, token = self.connect_user("gcal_bad_victim", "victim@example.com")
        start = datetime.combine(self.today + timedelta(days=4), datetime.min.time())
        meeting = self.meeting(colleague, "Colleague's meeting", start + timedelta(hours=9))
        self.sync(token)
        link = meeting.google_link_ids
        copy = self.emulator.get_event_raw("victim@example.com", link.google_event_id)
        db_uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        raw = uuid.UUID(db_uuid).bytes + meeting.id.to_bytes(8, "big")
        dbname = self.env.cr.dbname
        return {
            "meeting": meeting,
            "before": (
                odoo_view(meeting),
                meeting.partner_ids,
                meeting.attendee_ids.mapped("state"),
            ),
            "event_id": copy["id"],
            "ical_uid": copy["iCalUID"],
            "uuid_id": base64.b32hexencode(raw).decode().rstrip("=").lower(),
            "odoo_properties": {
                "shared": {
                    f"{dbname}_odoo_id": str(meeting.id),
                    f"{dbname}_owner_id": str(colleague.id),
                }
            },
            "email": "victim@example.com",
        }

    def _victim_touched(self, user):
        meeting = self.victim["meeting"]
        now = (odoo_view(meeting), meeting.partner_ids, meeting.attendee_ids.mapped("state"))
        if not meeting.active or now != self.victim["before"]:
            return f"the colleague's meeting changed: {now}"
        if meeting.sudo().google_link_ids.filtered(lambda link: link.user_id == user):
            return "the colleague's meeting is linked to this user's Google event"
        return None

    def _google_case(self, user, token, email, name, case):
        body = _expand(case["google_event"], self.today, self.victim)
        if case.get("inject") == "api":
            stored = self.emulator.add_event(email, email, body)
        else:
            stored = self.emulator.add_event_unvalidated(email, email, body)
        google_id = stored.get("id")
        control_name = f"control {name}"
        start = datetime.combine(self.today + timedelta(days=2), datetime.min.time())
        self.emulator.add_event(
            email,
            email,
            {
                "summary": control_name,
                "start": {"dateTime": (start + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")},
                "end": {"dateTime": (start + timedelta(hours=9)).strftime("%Y-%m-%dT%H:%M:%SZ")},
            },
        )
        with self.assertLogs("odoo.addons.crm_google_calendar_sync", level="DEBUG") as logs:
            _logger.debug("case %s", name)
            report = self.sync(token)
        if report is None:
            return f"the whole sync failed: {user.google_sync_error}"
        if len(self.events_of(user, control_name)) != 1:
            return "the normal event next to it was not synced in the same cycle"
        if user.google_sync_state != "connected":
            return f"user state {user.google_sync_state}: {user.google_sync_error}"
        if (case.get("checks") or {}).get("victim_untouched") and self._victim_touched(user):
            return self._victim_touched(user)
        links = self.env["crm.google.event.link"].search(
            [("user_id", "=", user.id), ("google_event_id", "=", google_id or "-")]
        )
        event = links.event_id.filtered("active")
        reason = case["reason"]
        if case["expected"] == "skipped":
            if event:
                return f"expected skipped ({reason}), but imported as {event.name!r}"
            if google_id is None or reason in POLICY_REASONS:
                return None
            skipped = [why for key, why in report.skipped if key == google_id]
            if skipped != [reason]:
                return f"expected skipped reason {reason!r}, report says {skipped}"
            if not any(reason in line for line in logs.output):
                return f"reason {reason!r} not logged"
            shown = self.env["crm.google.sync.log"].with_user(user)._reason_text(reason)
            if shown not in (user.google_sync_last_result or ""):
                return f"reason not shown to the user: {user.google_sync_last_result!r}"
            return None
        if not event:
            skipped = [why for key, why in report.skipped if key == google_id]
            return f"expected synced, not imported (skipped: {skipped})"
        google = self.emulator.get_event_raw(email, google_id) if google_id else None
        return self._check_synced(event, links, case.get("checks") or {}, body, google)

    def _check_synced(self, event, links, checks, sent=None, google=None):
        description = event.description or ""
        lowered = description.lower()
        for needle in FORBIDDEN_IN_HTML:
            if needle in lowered:
                return f"{needle!r} survived in the description"
        expectations = {
            "name": lambda: event.name == checks["name"],
            "name_includes": lambda: all(part in event.name for part in checks["name_includes"]),
            "name_max": lambda: len(event.name) <= checks["name_max"],
            "location": lambda: event.location == checks["location"],
            "location_max": lambda: len(event.location or "") <= checks["location_max"],
            "description_includes": lambda: all(
                part in description for part in checks["description_includes"]
            ),
            "description_excludes": lambda: (
                not any(part in description for part in checks["description_excludes"])
            ),
            "description_max": lambda: len(description) <= checks["description_max"],
            "allday": lambda: event.allday == checks["allday"],
            "readonly": lambda: links[:1].readonly == checks["readonly"],
            "victim_untouched": lambda: event != self.victim["meeting"],
            "videocall_location": lambda: event.videocall_location == checks["videocall_location"],
            "alarms_max": lambda: len(event.alarm_ids) <= checks["alarms_max"],
            "no_record": lambda: not event.res_model and not event.res_id,
            # Attendees: bounded, matched or listed as addresses without a contact.
            "attendees_unmatched": lambda: (
                len(event.google_unmatched_attendees or ()) == checks["attendees_unmatched"]
            ),
            "attendee_partners": lambda: len(event.partner_ids) == checks["attendee_partners"],
            # A series Odoo keeps only in part: at most this many occurrences...
            "occurrences_max": lambda: (
                0 < len(event.recurrence_id.calendar_event_ids) <= checks["occurrences_max"]
            ),
            # ... while Google keeps the rule it has (nothing was sent back).
            "rule_kept": lambda: (
                google["recurrence"] == sent["recurrence"] and google["sequence"] == 0
            ),
        }
        for key in checks:
            if not expectations[key]():
                value = {"readonly": links[:1].readonly}.get(key, "")
                return f"check {key}={checks[key]!r:.80} failed (name={event.name!r:.80}) {value}"
        return None

    def _bystander_unaffected(self, bad_token, bad_email):
        """A full resync of the whole hostile calendar and a second user's sync in one
        cron run: the other user gets their event, both stay connected."""
        bystander, by_token = self.connect_user("gcal_bystander", "bystander@example.com")
        start = datetime.combine(self.today + timedelta(days=3), datetime.min.time())
        self.emulator.add_event(
            "bystander@example.com",
            "bystander@example.com",
            {
                "summary": "Bystander meeting",
                "start": {"dateTime": (start + timedelta(hours=9)).strftime("%Y-%m-%dT%H:%M:%SZ")},
                "end": {"dateTime": (start + timedelta(hours=10)).strftime("%Y-%m-%dT%H:%M:%SZ")},
            },
        )
        self.emulator.invalidate_sync_tokens(bad_email)
        others = self.env["crm.google.token"].search([("id", "not in", (bad_token | by_token).ids)])
        others.write({"sync_enabled": False})
        (bad_token | by_token).write({"next_sync": False, "sync_enabled": True})
        # The hostile calendar's user goes first.
        bad_token.next_sync = "2000-01-01 00:00:00"
        self.env.flush_all()
        done = self.env["crm.google.sync.round"]._cron_sync()
        self.env.invalidate_all()
        self.assertEqual(done, 2)
        self.assertEqual(len(self.events_of(bystander, "Bystander meeting")), 1)
        self.assertEqual(bystander.google_sync_state, "connected")
        self.assertEqual(bad_token.user_id.google_sync_state, "connected")

    # ------------------------------------------------------------------
    def test_odoo_records(self):
        email = "badodoo@example.com"
        user, token = self.connect_user("gcal_badodoo", email, tz="Europe/Berlin")
        other = new_test_user(self.env, login="gcal_badodoo_other", groups="base.group_user")
        problems = []
        for name, case in self.cases.items():
            if "odoo_values" not in case:
                continue
            with self.subTest(case=name):
                problem = self._odoo_case(user, other, token, email, name, case)
                if problem:
                    problems.append(f"{name}: {problem}")
        self.assertEqual(problems, [])

    def _odoo_case(self, user, other, token, email, name, case):
        values = _expand(dict(case["odoo_values"]), self.today)
        days = values.pop("days", 5)
        start = datetime.combine(self.today + timedelta(days=days), datetime.min.time())
        values.update(start=start + timedelta(hours=10), stop=start + timedelta(hours=11))
        owner = user
        partners = user.partner_id
        if case.get("setup") == "other_user":
            owner, partners = other, other.partner_id
        elif case.get("setup") == "with_internal_data":
            partners |= other.partner_id
            alarm = self.env.ref("calendar.alarm_notif_1", raise_if_not_found=False)
            if alarm:
                values["alarm_ids"] = [(6, 0, alarm.ids)]
        values["partner_ids"] = [(6, 0, partners.ids)]
        event = self.env["calendar.event"].with_user(owner).create(values)
        control_start = datetime.combine(self.today + timedelta(days=2), datetime.min.time())
        control = self.meeting(user, f"control {name}", control_start + timedelta(hours=14))
        report = self.sync(token)
        if report is None:
            return f"the whole sync failed: {user.google_sync_error}"
        if not control.google_link_ids:
            return "the normal event next to it was not pushed in the same cycle"
        link = event.sudo().google_link_ids.filtered(lambda li: li.user_id == user)
        google = self.emulator.get_event_raw(email, link.google_event_id) if link else None
        if case["expected"] == "skipped":
            if google is not None:
                return f"expected skipped ({case['reason']}), but pushed"
            if case["reason"] not in POLICY_REASONS:
                reasons = [why for key, why in report.skipped if key == event.id]
                if reasons != [case["reason"]]:
                    return f"expected reason {case['reason']!r}, report says {reasons}"
            return None
        if google is None:
            return f"expected pushed; skipped: {report.skipped}"
        text = google.get("description") or ""
        for needle in FORBIDDEN_IN_HTML:
            if needle in text.lower():
                return f"{needle!r} reached Google"
        checks = case.get("checks") or {}
        if len(text) > checks.get("google_description_max", 10**9):
            return f"description of {len(text)} characters reached Google"
        for part in checks.get("google_description_includes", ()):
            if part not in text:
                return f"{part!r} missing in Google's description {text!r:.80}"
        if "google_summary" in checks and google.get("summary") != checks["google_summary"]:
            return f"summary {google.get('summary')!r}"
        for key in checks.get("google_excludes_keys", ()):
            if key in google:
                return f"{key!r} sent to Google: {google[key]!r:.80}"
        return None
