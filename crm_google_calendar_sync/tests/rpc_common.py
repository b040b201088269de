# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Two colleagues with their own Google accounts, and RPC calls made as a client would.

Anna has set up everything a user can have: calendars (one of them read-only,
one deleted in Google so that her status shows an error), synchronised and
pushed meetings, a series, logs, an API key and an open "create calendar"
wizard. Bob is a colleague with his own connection and export rights; a portal
user and an administrator complete the cast. ``anna_state()`` snapshots all of
Anna's rows so that a test can prove that a call changed nothing of hers, and
``anna_secrets()`` lists what no answer to anybody else may contain.
"""

import json
import xmlrpc.client
from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user
from odoo.tools import SQL

from ..store import user_run
from .common import EmulatorMixin, google_service

ANNA_EMAIL = "anna.rpc@example.com"
BOB_EMAIL = "bob.rpc@example.com"
SECRET_CALENDAR = "Anna Secret Projects"
READONLY_CALENDAR = "Holidays of Anna's Team"
WIZARD_NAME = "Anna Secret Wizard"
# XML-RPC fault codes of Odoo (odoo/addons/base/controllers/rpc.py).
FAULT_KINDS = {2: "UserError", 3: "AccessDenied", 4: "AccessError"}
# Tables of Anna's rows: those of her meetings (without Bob), and her own.
STATE_TABLES = {
    "calendar_event": "t.id IN %(events)s",
    "calendar_attendee": "t.event_id IN %(events)s",
    "calendar_event_res_partner_rel": "t.calendar_event_id IN %(events)s",
    "calendar_recurrence": "t.base_event_id IN %(events)s",
    "res_users": "t.id = %(user)s",
    "res_users_apikeys": "t.user_id = %(user)s",
    "crm_google_token": "t.user_id = %(user)s",
    "crm_google_calendar": "t.user_id = %(user)s",
    "crm_google_calendar_source_rel": "t.user_id = %(user)s",
    "crm_google_event_link": "t.user_id = %(user)s",
    "crm_google_sync_log": "t.user_id = %(user)s",
    "crm_google_calendar_create_wizard": "t.create_uid = %(user)s",
}
# The addon's models whose rows belong to one user.
OWNED_MODELS = (
    "crm.google.token",
    "crm.google.calendar",
    "crm.google.event.link",
    "crm.google.sync.log",
)


def post_call_kw(case, model, method, args, kwargs=None):
    """``/web/dataset/call_kw`` as the web client sends it; the raw response."""
    payload = {
        "id": 1,
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
    }
    return case.url_open(
        f"/web/dataset/call_kw/{model}/{method}",
        data=json.dumps(payload, default=str),
        headers={"Content-Type": "application/json"},
    )


def future_start(days, hour=9):
    base = datetime.utcnow().replace(hour=hour, minute=0, second=0, microsecond=0)
    return base + timedelta(days=days)


def _google_time(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class RpcCase(EmulatorMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.anna, cls.anna_token = cls.connect_user("gcal_rpc_anna", ANNA_EMAIL)
        cls.bob, cls.bob_token = cls.connect_user("gcal_rpc_bob", BOB_EMAIL)
        # A colleague as capable as an employee gets: he may also export.
        cls.bob.groups_id += cls.env.ref("base.group_allow_export")
        cls.portal = new_test_user(cls.env, login="gcal_rpc_portal", groups="base.group_portal")
        cls.admin = new_test_user(
            cls.env,
            login="gcal_rpc_admin",
            groups="base.group_user,base.group_system,base.group_partner_manager",
        )
        cls._set_up_anna()
        cls._sync(cls.bob_token)
        cls.env.invalidate_all()

    @classmethod
    def _set_up_anna(cls):
        emulator, anna = cls.emulator, cls.anna
        secret = emulator.add_calendar(ANNA_EMAIL, summary=SECRET_CALENDAR, access_role="owner")
        holidays = emulator.add_calendar(
            ANNA_EMAIL, summary=READONLY_CALENDAR, access_role="reader"
        )
        for calendar_id, summary in ((ANNA_EMAIL, "Anna in Google"), (holidays, "Team holiday")):
            emulator.add_event(
                ANNA_EMAIL,
                calendar_id,
                {
                    "summary": summary,
                    "start": {"dateTime": _google_time(future_start(3))},
                    "end": {"dateTime": _google_time(future_start(3, 10))},
                },
            )
        as_anna = anna.with_user(anna)
        as_anna.action_google_sync_refresh_calendars()
        calendars = cls.env["crm.google.calendar"].search([("user_id", "=", anna.id)])
        as_anna.write(
            {
                "google_sync_source_calendar_ids": [(6, 0, calendars.ids)],
                "google_sync_private": True,
            }
        )
        cls.anna_private = cls._meeting(anna, "Anna private", 1, privacy="private")
        cls.anna_public = cls._meeting(anna, "Anna public", 2)
        cls.anna_series = cls._meeting(
            anna,
            "Anna series",
            4,
            privacy="private",
            recurrency=True,
            rrule_type="daily",
            end_type="count",
            count=8,
        )
        cls.shared = cls._meeting(anna, "Anna and Bob", 5, partners=cls.bob.partner_id)
        cls._sync(cls.anna_token)
        # Anna deletes a chosen calendar in Google: her status shows an error
        # naming it after her next "Sync now".
        google_service(cls.emulator, ANNA_EMAIL).calendars().delete(calendarId=secret).execute()
        as_anna.action_google_sync_now()
        cls.anna_api_key = (
            cls.env["res.users.apikeys"]
            .with_user(anna)
            .sudo()
            ._generate(None, "Anna's key", fields.Datetime.now() + timedelta(days=1))
        )
        cls.anna_wizard = (
            cls.env["crm.google.calendar.create.wizard"]
            .with_user(anna)
            .create({"name": WIZARD_NAME})
        )

    @classmethod
    def _meeting(cls, user, name, days, partners=None, **values):
        partner_ids = (user.partner_id | (partners or user.partner_id.browse())).ids
        return (
            cls.env["calendar.event"]
            .with_user(user)
            .create(
                dict(
                    {
                        "name": name,
                        "start": fields.Datetime.to_string(future_start(days)),
                        "stop": fields.Datetime.to_string(future_start(days, 10)),
                        "partner_ids": [(6, 0, partner_ids)],
                    },
                    **values,
                )
            )
        )

    @classmethod
    def _sync(cls, token):
        cls.env.flush_all()
        ran, report = user_run.sync_user(cls.env, token.id)
        assert ran and report is not None, "the set-up sync must run"
        cls.env.invalidate_all()
        return report

    # ------------------------------------------------------------------
    # Calls as a client makes them
    # ------------------------------------------------------------------
    def xmlrpc(self, user, model, method, *args, **kwargs):
        """``execute_kw`` over XML-RPC as ``user``: (result, None) or (None, fault
        text, starting with the kind of error)."""
        self.env.flush_all()
        try:
            result = self.xmlrpc_object.execute_kw(
                self.env.cr.dbname, user.id, user.login, model, method, list(args), kwargs
            )
        except xmlrpc.client.Fault as fault:
            kind = FAULT_KINDS.get(fault.faultCode, "ServerError")
            return None, f"{kind}: {fault.faultString}"
        finally:
            self.env.invalidate_all()
        return result, None

    def login(self, user):
        """Open a web client session of ``user`` for ``call_kw``."""
        self.env.flush_all()
        self.authenticate(user.login, user.login)

    def call_kw(self, model, method, args, kwargs=None):
        """``call_kw`` in the session of ``login()``: (result, error name or None,
        raw answer)."""
        self.env.flush_all()
        response = post_call_kw(self, model, method, args, kwargs)
        self.env.invalidate_all()
        self.assertEqual(response.status_code, 200, response.text[:300])
        body = response.json()
        if "error" in body:
            return None, body["error"]["data"]["name"], response.text
        return body.get("result"), None, response.text

    # ------------------------------------------------------------------
    # What belongs to Anna
    # ------------------------------------------------------------------
    def anna_records(self, model):
        """Anna's rows of ``model`` (of the addon or a model it extends)."""
        env = self.env(su=True, context={"active_test": False})
        if model in OWNED_MODELS:
            return env[model].search([("user_id", "=", self.anna.id)])
        return {
            "res.users": self.anna,
            "calendar.event": self.anna_private,
            "calendar.recurrence": self.anna_series.recurrence_id,
            "calendar.attendee": self.anna_series.recurrence_id.calendar_event_ids.attendee_ids,
            "crm.google.calendar.create.wizard": self.anna_wizard,
            "res.users.apikeys": env["res.users.apikeys"].search([("user_id", "=", self.anna.id)]),
        }.get(model, env[model].browse()).with_env(env)

    def anna_state(self):
        """A fingerprint of every row of Anna's (all columns, as stored), of her
        Google calendars and of the Google calls made with her token."""
        self.env.flush_all()
        cr = self.env.cr
        anna, partner = self.anna.id, self.anna.partner_id.id
        cr.execute(
            """
            SELECT e.id FROM calendar_event e
             WHERE (e.user_id = %s OR e.id IN (SELECT calendar_event_id
                        FROM calendar_event_res_partner_rel WHERE res_partner_id = %s))
               AND e.id NOT IN (SELECT calendar_event_id
                        FROM calendar_event_res_partner_rel WHERE res_partner_id = %s)
            """,
            [anna, partner, self.bob.partner_id.id],
        )
        events = tuple(row[0] for row in cr.fetchall())
        state = {"events": events}
        for table, where in STATE_TABLES.items():
            cr.execute(
                SQL(
                    "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                    " FROM %s t WHERE %s",
                    SQL.identifier(table),
                    SQL(where, events=events or (0,), user=anna),
                )
            )
            state[table] = cr.fetchone()[0]
        calendars = self.anna_records("crm.google.calendar").filtered("active")
        for calendar_id in calendars.mapped("google_id"):
            state[calendar_id] = sorted(
                (event["id"], event["etag"])
                for event in self.emulator.list_events_raw(calendar_id, include_deleted=True)
            )
        state["google_calls_as_anna"] = sum(
            1 for record in self.emulator.requests if record.user == ANNA_EMAIL
        )
        return state

    def anna_secrets(self):
        """Texts of Anna's Google account that only she and administrators may read
        (without those Bob has himself, such as the id of a meeting both sync)."""
        return self._google_texts(self.anna) - self._google_texts(self.bob)

    def _google_texts(self, user):
        env = self.env(su=True, context={"active_test": False})
        token = env["crm.google.token"].search([("user_id", "=", user.id)])
        links = env["crm.google.event.link"].search([("user_id", "=", user.id)])
        calendars = env["crm.google.calendar"].search([("user_id", "=", user.id)])
        wizards = env["crm.google.calendar.create.wizard"].search([("create_uid", "=", user.id)])
        texts = {token.google_email, token.access_token, token.refresh_token, token.error_message}
        for records, names in (
            (links, ("google_event_id", "ical_uid", "etag", "fingerprint")),
            (calendars, ("google_id", "name", "sync_token")),
            (wizards, ("name",)),
        ):
            for name in names:
                texts |= set(records.mapped(name))
        return {text for text in texts if text and len(text) > 4}

    def assert_no_secret(self, text, secrets, where):
        leaked = sorted(secret for secret in secrets if secret in (text or ""))
        self.assertFalse(leaked, f"{where} shows Anna's {leaked}")
