# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Connecting Google as people do, including what goes wrong: another Google
account than before, permissions unticked on Google's consent page, a mangled
callback link. Through Odoo's routes and the emulator's consent page; the sync
runs through the cron's entry point."""

import re
from collections import Counter
from datetime import datetime, timedelta
from urllib.parse import unquote

from odoo.tests import HttpCase, new_test_user, tagged

from ..store import user_run
from . import test_oauth_flow
from .common import EmulatorMixin

EVENTS_SCOPE = "https://www.googleapis.com/auth/calendar.events"


def google_time(days, hour):
    moment = datetime.utcnow().replace(hour=hour, minute=0, second=0, microsecond=0)
    return {"dateTime": (moment + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")}


@tagged("post_install", "-at_install")
class TestRobustAccount(EmulatorMixin, HttpCase):
    # One browser's steps, as the OAuth flow tests take them. (Not imported by
    # name: a test class in this module's namespace would run a second time.)
    Flow = test_oauth_flow.TestOAuthFlow
    _login = Flow._login
    _start_connect = Flow._start_connect
    _consent = Flow._consent
    _connect_and_consent = Flow._connect_and_consent
    _callback = Flow._callback
    _full_connect = Flow._full_connect
    _with_query = staticmethod(Flow._with_query)
    _token = Flow._token
    _calendars = Flow._calendars
    _token_calls = Flow._token_calls
    _assert_message_page = Flow._assert_message_page
    _assert_nothing_stored = Flow._assert_nothing_stored
    _revoke_as = Flow._revoke_as

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env, login="gcal_robust_account", groups="base.group_user", tz="UTC"
        )

    def setUp(self):
        super().setUp()
        self.emulator.reset_requests()

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _save_settings(self, sources, target):
        """The user saves their calendar choices (Google calendar ids) over RPC."""
        by_google_id = {cal.google_id: cal.id for cal in self._calendars(self.user)}
        self.make_jsonrpc_request(
            "/web/dataset/call_kw/res.users/write",
            {
                "model": "res.users",
                "method": "write",
                "args": [
                    [self.user.id],
                    {
                        "google_sync_source_calendar_ids": [
                            (6, 0, [by_google_id[google_id] for google_id in sources])
                        ],
                        "google_sync_target_calendar_id": by_google_id[target],
                    },
                ],
                "kwargs": {},
            },
        )

    def _sync(self):
        self.env.flush_all()
        token = self._token(self.user)
        ran, report = user_run.sync_user(self.env, token.id)
        self.env.invalidate_all()
        self.assertTrue(ran)
        self.assertIsNotNone(report, self.user.google_sync_error)
        return report

    def _odoo_names(self):
        events = self.env["calendar.event"].search(
            [("partner_ids", "in", self.user.partner_id.ids)]
        )
        return Counter(events.mapped("name"))

    def _google_names(self, calendar_id):
        return Counter(e.get("summary") for e in self.emulator.list_events_raw(calendar_id))

    def _consent_granting(self, authorize_url, email, scopes):
        """Google's consent page with only ``scopes`` left ticked."""
        page = self.opener.get(authorize_url, timeout=10)
        request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
        boxes = re.findall(r'name="(grant_\d+)" value="([^"]+)"', page.text)
        answer = self.opener.post(
            self.emulator.base_url + "o/oauth2/auth",
            data={"request_id": request_id, "email": email, "action": "approve", "granular": "1"}
            | {name: scope for name, scope in boxes if scope in scopes},
            timeout=10,
            allow_redirects=False,
        )
        self.assertEqual(answer.status_code, 302, answer.text[:500])
        return answer.headers["Location"]

    # ------------------------------------------------------------------
    # The callback link
    # ------------------------------------------------------------------
    def test_non_ascii_state_is_an_invalid_link(self):
        self._login(self.user)
        callback_url, _query = self._connect_and_consent("state.ascii@example.com")
        for state in ("\u00fc" * 43, "\u00e9tat-" + "x" * 40, "\u2603", "x" * 5000):
            with self.subTest(state=state[:8]):
                response = self._callback(self._with_query(callback_url, state=state))
                self._assert_message_page(response, 400, test_oauth_flow.INVALID_STATE_TEXT)
        # The real link still works.
        self.assertEqual(self._callback(callback_url).status_code, 303)

    # ------------------------------------------------------------------
    # Permissions unticked at Google
    # ------------------------------------------------------------------
    def test_permissions_unticked_at_google(self):
        email = "unticked@example.com"
        self._login(self.user)
        authorize_url, query = self._start_connect()
        granted = set(query["scope"].split()) - {EVENTS_SCOPE}
        response = self._callback(self._consent_granting(authorize_url, email, granted))
        self._assert_message_page(
            response, 400, "Google did not grant all the access the synchronisation needs"
        )
        self.assertIn("see and edit the events of your calendars", response.text)
        self._assert_nothing_stored(self.user, code_exchanged=True)

        # Connecting again with every permission works.
        self._full_connect(self.user, email)
        self.env.invalidate_all()
        token = self._token(self.user)
        self.assertEqual(self.user.google_sync_state, "connected")

        # A later consent with a permission unticked leaves the working connection.
        authorize_url, _query = self._start_connect()
        response = self._callback(self._consent_granting(authorize_url, email, granted))
        self.assertEqual(response.status_code, 400)
        self.env.invalidate_all()
        self.assertEqual(self._token(self.user), token)
        self.assertIn(EVENTS_SCOPE, token.scope.split())
        self.assertEqual(self.user.google_sync_state, "connected")

    # ------------------------------------------------------------------
    # Another Google account
    # ------------------------------------------------------------------
    def test_connecting_another_google_account(self):
        """The old account's calendars, links and sync tokens are not used with
        the new account: nothing is deleted or written on the old account, its
        events stay in Odoo, and the new account is synchronised afresh without
        duplicates. Connecting the old account again resumes it."""
        first, second = "switch.first@example.com", "switch.second@example.com"
        self.emulator.add_account(first, time_zone="UTC")
        self.emulator.add_account(second, time_zone="UTC")
        # A calendar both accounts see (shared with the second as writer).
        team = self.emulator.add_calendar(first, summary="Team", access_role="owner")
        self.emulator.share_calendar(team, second, "writer")
        kept = self.emulator.add_event(
            first, first, {"summary": "Kept", "start": google_time(2, 9), "end": google_time(2, 10)}
        )
        dropped = self.emulator.add_event(
            first,
            first,
            {"summary": "Dropped", "start": google_time(2, 11), "end": google_time(2, 12)},
        )
        self.emulator.add_event(
            first,
            team,
            {"summary": "Team meeting", "start": google_time(3, 9), "end": google_time(3, 10)},
        )
        self.emulator.add_event(
            second,
            second,
            {"summary": "Second's own", "start": google_time(4, 9), "end": google_time(4, 10)},
        )
        self._full_connect(self.user, first)
        self._save_settings([first, team], first)
        call = (
            self.env["calendar.event"]
            .with_user(self.user)
            .create(
                {
                    "name": "Customer call",
                    "start": datetime.utcnow() + timedelta(days=5),
                    "stop": datetime.utcnow() + timedelta(days=5, hours=1),
                    "partner_ids": [(6, 0, self.user.partner_id.ids)],
                }
            )
        )
        self._sync()
        call_in_first = call.google_link_ids.google_event_id
        self.assertEqual(
            self.emulator.get_event_raw(first, call_in_first)["summary"], "Customer call"
        )

        # The user revokes and connects another Google account.
        self._revoke_as(self.user)
        self._full_connect(self.user, second)
        self._save_settings([second, team], second)
        call.with_user(self.user).write({"location": "Room 2"})
        names = self._odoo_names()
        self.assertEqual(names["Kept"], 1)
        self.env["calendar.event"].with_user(self.user).search([("name", "=", "Dropped")]).unlink()
        self.emulator.reset_requests()
        self._sync()
        self._sync()

        self.assertEqual(self.user.google_sync_state, "connected", self.user.google_sync_error)
        touching_first = [
            (r.method, r.path) for r in self.emulator.requests if f"/{first}/" in unquote(r.path)
        ]
        self.assertEqual(touching_first, [], "the old account's calendar was used")
        team_lists = [
            r.query
            for r in self.emulator.requests
            if r.api_call == "events.list" and team in r.path
        ]
        self.assertNotIn("syncToken", team_lists[0], "the old account's sync token was used")
        # Nothing changed in the old account's Google calendar.
        self.assertFalse(self.emulator.get_event_raw(first, call_in_first).get("location"))
        for event in (kept, dropped):
            self.assertEqual(self.emulator.get_event_raw(first, event["id"])["status"], "confirmed")
        # The new account: synchronised afresh, each meeting once, on both sides.
        self.assertEqual(
            self._odoo_names(),
            Counter({"Customer call": 1, "Kept": 1, "Team meeting": 1, "Second's own": 1}),
        )
        in_second = self._google_names(second)
        self.assertEqual(
            in_second, Counter({"Customer call": 1, "Kept": 1, "Second's own": 1}), in_second
        )
        self.assertEqual(self._google_names(team), Counter({"Team meeting": 1}))
        call_in_second = call.google_link_ids.filtered(
            lambda link: link.calendar_id.google_id == second
        )
        self.assertEqual(
            self.emulator.get_event_raw(second, call_in_second.google_event_id)["location"],
            "Room 2",
        )

        # Back to the first account: it resumes, without duplicates.
        self._revoke_as(self.user)
        self._full_connect(self.user, first)
        self._save_settings([first, team], first)
        self._sync()
        self._sync()
        self.assertEqual(self.user.google_sync_state, "connected", self.user.google_sync_error)
        self.assertEqual(
            self._odoo_names(),
            Counter({"Customer call": 1, "Kept": 1, "Team meeting": 1, "Second's own": 1}),
        )
        self.assertEqual(self._google_names(first)["Customer call"], 1)
        self.assertEqual(self.emulator.get_event_raw(first, call_in_first)["location"], "Room 2")
