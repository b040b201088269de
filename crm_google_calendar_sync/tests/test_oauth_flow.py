# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The "Connect Google" flow end to end: Odoo's HTTP routes against the emulator.

Every request goes through the running Odoo test server and the emulator's real
OAuth endpoints (consent page, token, revoke). Nothing is mocked: the failure
cases are produced the way a browser or an attacker would produce them, and the
only test-side manipulation is editing the server-side session file where the
flow keeps its pending states (to age a state or to swap a user's session).
"""

import re
import socket
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from odoo import fields
from odoo.http import root
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import EmulatorMixin

CONNECT_URL = "/crm_google_calendar_sync/connect"
CALLBACK_PATH = "/crm_google_calendar_sync/oauth2callback"
SESSION_KEY = "crm_google_calendar_sync_oauth"
NARROW_SCOPES = {
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.app.created",
}
FULL_SCOPE = "https://www.googleapis.com/auth/calendar"
TOKEN_LOGGER = "odoo.addons.crm_google_calendar_sync.models.crm_google_token"

INVALID_STATE_TEXT = "This Google sign-in link is invalid, was already used or has expired."


@tagged("post_install", "-at_install")
class TestOAuthFlow(EmulatorMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = new_test_user(
            cls.env, login="gcal_flow_alice", groups="base.group_user", tz="Europe/Berlin"
        )
        cls.bob = new_test_user(cls.env, login="gcal_flow_bob", groups="base.group_user")
        cls.portal = new_test_user(cls.env, login="gcal_flow_portal", groups="base.group_portal")
        cls.alice_email = "alice.flow@example.com"
        cls.bob_email = "bob.flow@example.com"
        cls.emulator.add_account(cls.alice_email, time_zone="Europe/Berlin")
        cls.emulator.add_account(cls.bob_email)
        cls.team_calendar = cls.emulator.add_calendar(
            cls.alice_email, summary="Team", access_role="owner"
        )
        cls.readonly_calendar = cls.emulator.add_calendar(
            cls.alice_email, summary="Colleague (read only)", access_role="reader"
        )
        cls.settings_action = cls.env.ref("crm_google_calendar_sync.action_google_sync_settings")

    def setUp(self):
        super().setUp()
        self.emulator.reset_requests()

    # ------------------------------------------------------------------
    # Helpers: one browser's steps
    # ------------------------------------------------------------------
    def _login(self, user):
        self.authenticate(user.login, user.login)

    def _start_connect(self):
        """GET the connect route; returns the emulator authorize URL and its query."""
        response = self.url_open(CONNECT_URL, allow_redirects=False)
        self.assertEqual(response.status_code, 303, response.text[:500])
        location = response.headers["Location"]
        self.assertTrue(location.startswith(self.emulator.base_url + "o/oauth2/auth?"), location)
        query = {key: values[-1] for key, values in parse_qs(urlsplit(location).query).items()}
        return location, query

    def _consent(self, authorize_url, email, action="approve"):
        """Open the emulator's consent page and submit its form; returns the redirect."""
        page = self.opener.get(authorize_url, timeout=10, allow_redirects=False)
        self.assertEqual(page.status_code, 200, page.text[:500])
        form_action = re.search(r'<form method="post" action="([^"]+)" id="consent">', page.text)
        request_id = re.search(r'name="request_id" value="([^"]+)"', page.text)
        self.assertTrue(form_action and request_id, "no consent form on the emulator page")
        answer = self.opener.post(
            self.emulator.base_url.rstrip("/") + form_action.group(1),
            data={"request_id": request_id.group(1), "email": email, "action": action},
            timeout=10,
            allow_redirects=False,
        )
        self.assertEqual(answer.status_code, 302, answer.text[:500])
        location = answer.headers["Location"]
        self.assertTrue(location.startswith(self.base_url() + CALLBACK_PATH + "?"), location)
        return location

    def _connect_and_consent(self, email, action="approve"):
        authorize_url, query = self._start_connect()
        return self._consent(authorize_url, email, action), query

    def _callback(self, callback_url):
        return self.url_open(callback_url, allow_redirects=False)

    def _full_connect(self, user, email):
        """The happy path in one go; returns the callback response."""
        self._login(user)
        callback_url, _query = self._connect_and_consent(email)
        response = self._callback(callback_url)
        self.assertEqual(response.status_code, 303, response.text[:500])
        return response

    @staticmethod
    def _with_query(url, **changes):
        """``url`` with query parameters replaced (value None removes the parameter)."""
        parts = urlsplit(url)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        for key, value in changes.items():
            if value is None:
                query.pop(key, None)
            else:
                query[key] = value
        return urlunsplit(parts._replace(query=urlencode(query)))

    def _edit_session(self, sid, edit):
        """Change the server-side session file of browser session ``sid``."""
        session = root.session_store.get(sid)
        edit(session)
        root.session_store.save(session)

    def _token(self, user):
        return self.env["crm.google.token"].sudo().search([("user_id", "=", user.id)])

    def _calendars(self, user):
        return (
            self.env["crm.google.calendar"]
            .sudo()
            .with_context(active_test=False)
            .search([("user_id", "=", user.id)])
        )

    def _token_calls(self):
        return [r for r in self.emulator.requests if r.api_call == "oauth.token"]

    def _assert_message_page(self, response, status, text):
        self.assertEqual(response.status_code, status, response.text[:500])
        self.assertIn("o_crm_google_sync_message", response.text)
        self.assertIn(text, response.text)
        self.assertNotIn("Traceback", response.text)

    def _assert_nothing_stored(self, *users, code_exchanged=False):
        self.env.invalidate_all()
        for user in users:
            self.assertFalse(self._token(user), f"token stored for {user.login}")
            self.assertFalse(self._calendars(user), f"calendars stored for {user.login}")
            self.assertFalse(user.google_sync_source_calendar_ids)
            self.assertFalse(user.google_sync_target_calendar_id)
            self.assertEqual(user.google_sync_state, "not_connected")
        if not code_exchanged:
            # The state is checked before Google is asked: the code was never redeemed.
            self.assertFalse(self._token_calls(), "the authorisation code was exchanged")

    def _settings_paths(self):
        """The web client URLs of the sync settings action (by id, or by its path)."""
        action = self.settings_action
        return {f"/odoo/action-{action.id}"} | ({f"/odoo/{action.path}"} if action.path else set())

    def _assert_settings_action_opens(self, user):
        """What the web client does for ``/odoo/action-<id>``: load, then run the action."""
        loaded = self.make_jsonrpc_request(
            "/web/action/load", {"action_id": self.settings_action.id}
        )
        self.assertEqual(loaded["type"], "ir.actions.server")
        action = self.make_jsonrpc_request(
            "/web/action/run", {"action_id": self.settings_action.id, "context": {}}
        )
        self.assertEqual(action["type"], "ir.actions.act_window")
        self.assertEqual(action["res_model"], "res.users")
        self.assertEqual(action["res_id"], user.id)
        settings_view = self.env.ref("crm_google_calendar_sync.res_users_view_form_google_sync")
        self.assertEqual(action["views"], [[settings_view.id, "form"]])

    # ------------------------------------------------------------------
    # Happy path
    # ------------------------------------------------------------------
    def test_connect_flow_stores_tokens_and_calendars(self):
        self._login(self.alice)
        authorize_url, query = self._start_connect()

        # What Odoo asks Google for.
        self.assertEqual(query["response_type"], "code")
        self.assertEqual(query["client_id"], "odoo-test-client-id")
        self.assertEqual(query["access_type"], "offline")
        self.assertEqual(query["prompt"], "consent")
        self.assertEqual(query["code_challenge_method"], "S256")
        self.assertRegex(query["code_challenge"], r"^[A-Za-z0-9_-]{43}$")
        self.assertEqual(query["redirect_uri"], self.base_url() + CALLBACK_PATH)
        self.assertEqual(set(query["scope"].split()), NARROW_SCOPES)
        self.assertNotIn(FULL_SCOPE, query["scope"].split())
        self.assertNotIn("include_granted_scopes", query)
        self.assertGreaterEqual(len(query["state"]), 32)

        callback_url = self._consent(authorize_url, self.alice_email)
        callback_query = parse_qs(urlsplit(callback_url).query)
        self.assertEqual(callback_query["state"], [query["state"]])
        code = callback_query["code"][0]

        response = self._callback(callback_url)
        self.assertEqual(response.status_code, 303, response.text[:500])
        self.assertIn(urlsplit(response.headers["Location"]).path, self._settings_paths())
        # The landing page (the sync settings) loads in the same session.
        landing = self.url_open(response.headers["Location"])
        self.assertEqual(landing.status_code, 200)
        self.assertIn(urlsplit(landing.url).path, self._settings_paths())
        # ... and the web client can run its action as this (non-admin) user: it
        # opens the user's own sync settings.
        self._assert_settings_action_opens(self.alice)

        # PKCE: the code was bound to the S256 challenge, and the emulator only
        # redeems it for the matching verifier (a wrong or missing one is a 400).
        granted = self.emulator.oauth.codes[code]
        self.assertEqual(granted.code_challenge, query["code_challenge"])
        self.assertEqual(granted.code_challenge_method, "S256")
        self.assertTrue(granted.used)
        self.assertEqual([call.status for call in self._token_calls()], [200])

        self.env.invalidate_all()
        token = self._token(self.alice)
        self.assertEqual(len(token), 1)
        self.assertTrue(token.access_token.startswith("ya29.emu-"))
        self.assertTrue(token.refresh_token.startswith("1//emu-"))
        self.assertGreater(token.token_expiry, fields.Datetime.now() + timedelta(minutes=30))
        self.assertEqual(set(token.scope.split()), NARROW_SCOPES)
        self.assertEqual(token.google_email, self.alice_email)
        self.assertEqual(token.state, "connected")
        # The emulator knows these tokens: they came from the code exchange.
        self.assertIn(token.access_token, self.emulator.oauth.access_tokens)
        self.assertIn(token.refresh_token, self.emulator.oauth.refresh_tokens)

        calendars = self._calendars(self.alice)
        by_google_id = {cal.google_id: cal for cal in calendars}
        self.assertEqual(
            set(by_google_id), {self.alice_email, self.team_calendar, self.readonly_calendar}
        )
        primary = by_google_id[self.alice_email]
        self.assertTrue(primary.is_primary)
        self.assertEqual(by_google_id[self.team_calendar].name, "Team")
        self.assertTrue(by_google_id[self.team_calendar].is_writable)
        self.assertEqual(by_google_id[self.readonly_calendar].access_role, "reader")
        self.assertFalse(by_google_id[self.readonly_calendar].is_writable)

        self.assertEqual(self.alice.google_sync_source_calendar_ids, primary)
        self.assertEqual(self.alice.google_sync_target_calendar_id, primary)
        self.assertTrue(self.alice.google_sync_connected)
        self.assertEqual(self.alice.google_sync_state, "connected")
        self.assertEqual(self.alice.google_sync_email, self.alice_email)
        # Nobody else got anything.
        self.assertFalse(self._token(self.bob))

    def test_each_connect_gets_a_fresh_state_and_challenge(self):
        """States are random nonces; a session keeps only the newest few pending flows."""
        self._login(self.alice)
        queries = [self._start_connect()[1] for _attempt in range(7)]
        self.assertEqual(len({query["state"] for query in queries}), 7)
        self.assertEqual(len({query["code_challenge"] for query in queries}), 7)
        pending = root.session_store.get(self.session.sid)[SESSION_KEY]
        self.assertEqual(set(pending), {query["state"] for query in queries[-5:]})
        for flow in pending.values():
            self.assertEqual(flow["uid"], self.alice.id)
            self.assertNotIn(flow["verifier"], str(queries))  # only its hash left the server

    def test_connect_follows_redirects_like_a_browser(self):
        """Connect -> consent page -> callback -> settings, all redirects followed."""
        self._login(self.bob)
        consent_page = self.url_open(CONNECT_URL)
        self.assertEqual(consent_page.status_code, 200)
        self.assertTrue(consent_page.url.startswith(self.emulator.base_url + "o/oauth2/auth?"))
        request_id = re.search(r'name="request_id" value="([^"]+)"', consent_page.text).group(1)
        landing = self.opener.post(
            self.emulator.base_url + "o/oauth2/auth",
            data={"request_id": request_id, "email": self.bob_email, "action": "approve"},
            timeout=20,
        )
        self.assertEqual(landing.status_code, 200)
        self.assertIn(urlsplit(landing.url).path, self._settings_paths())
        self.assertEqual([r.status_code for r in landing.history], [302, 303])
        self.env.invalidate_all()
        self.assertEqual(self._token(self.bob).google_email, self.bob_email)
        self.assertEqual(self.bob.google_sync_state, "connected")
        self.assertEqual(
            self.bob.google_sync_target_calendar_id.google_id, self.bob_email, "primary target"
        )

    def test_auto_approve_mode(self):
        """The emulator's auto-approve mode (used by the tour) lands on the callback directly."""
        self._login(self.alice)
        authorize_url, _query = self._start_connect()
        self.emulator.auto_approve = True
        try:
            answer = self.opener.get(
                authorize_url + "&" + urlencode({"login_hint": self.alice_email}),
                timeout=10,
                allow_redirects=False,
            )
        finally:
            self.emulator.auto_approve = False
        self.assertEqual(answer.status_code, 302)
        response = self._callback(answer.headers["Location"])
        self.assertEqual(response.status_code, 303)
        self.env.invalidate_all()
        self.assertEqual(self._token(self.alice).google_email, self.alice_email)

    # ------------------------------------------------------------------
    # Failures: a clear page and nothing stored
    # ------------------------------------------------------------------
    def test_forged_state(self):
        self._login(self.alice)
        callback_url, _query = self._connect_and_consent(self.alice_email)
        forged = self._with_query(callback_url, state="forged-" + "x" * 40)
        self._assert_message_page(self._callback(forged), 400, INVALID_STATE_TEXT)
        empty = self._with_query(callback_url, state="")
        self._assert_message_page(self._callback(empty), 400, INVALID_STATE_TEXT)
        absent = self._with_query(callback_url, state=None)
        self._assert_message_page(self._callback(absent), 400, INVALID_STATE_TEXT)
        self._assert_nothing_stored(self.alice)

    def test_replayed_state(self):
        self._login(self.alice)
        callback_url, _query = self._connect_and_consent(self.alice_email)
        self.assertEqual(self._callback(callback_url).status_code, 303)
        self.env.invalidate_all()
        token = self._token(self.alice)
        first_access_token = token.access_token
        calendars = self._calendars(self.alice)

        replay = self._callback(callback_url)
        self._assert_message_page(replay, 400, INVALID_STATE_TEXT)
        self.env.invalidate_all()
        self.assertEqual(self._token(self.alice), token)
        self.assertEqual(token.access_token, first_access_token, "the replay changed the token")
        self.assertEqual(self._calendars(self.alice), calendars)
        self.assertEqual(len(self._token_calls()), 1, "the replayed code reached Google")

    def test_state_from_another_users_session(self):
        """Alice's callback URL opened in Bob's browser session is refused."""
        self._login(self.alice)
        callback_url, _query = self._connect_and_consent(self.alice_email)
        alice_session = root.session_store.get(self.session.sid)
        alice_opener = self.opener

        self._login(self.bob)  # a new session; deletes Alice's session file
        root.session_store.save(alice_session)  # ... which we put back for later
        self._assert_message_page(self._callback(callback_url), 400, INVALID_STATE_TEXT)
        self._assert_nothing_stored(self.alice, self.bob)

        # Bob's attempt did not burn Alice's pending flow: she can still finish it.
        self.opener = alice_opener
        self.assertEqual(self._callback(callback_url).status_code, 303)
        self.env.invalidate_all()
        self.assertEqual(self._token(self.alice).google_email, self.alice_email)
        self.assertFalse(self._token(self.bob))

    def test_state_of_another_user_in_the_same_session(self):
        """A pending flow of Alice that ends up in Bob's session is refused."""
        self._login(self.alice)
        callback_url, _query = self._connect_and_consent(self.alice_email)
        pending = root.session_store.get(self.session.sid)[SESSION_KEY]
        self.assertEqual(len(pending), 1)
        self.assertEqual(next(iter(pending.values()))["uid"], self.alice.id)

        # Bob logs in in the same browser while Alice's state is still pending.
        self._login(self.bob)
        self._edit_session(self.session.sid, lambda s: s.__setitem__(SESSION_KEY, pending))
        self._assert_message_page(
            self._callback(callback_url),
            400,
            "This Google sign-in was started by another user. Please start again.",
        )
        self._assert_nothing_stored(self.alice, self.bob)

    def test_missing_code(self):
        self._login(self.alice)
        callback_url, _query = self._connect_and_consent(self.alice_email)
        response = self._callback(self._with_query(callback_url, code=None))
        self._assert_message_page(
            response, 400, "Google did not send an authorisation code. Please try again."
        )
        self._assert_nothing_stored(self.alice)

    def test_consent_denied(self):
        self._login(self.alice)
        callback_url, _query = self._connect_and_consent(self.alice_email, action="deny")
        self.assertEqual(parse_qs(urlsplit(callback_url).query)["error"], ["access_denied"])
        response = self._callback(callback_url)
        self._assert_message_page(
            response, 400, "You did not allow access to Google Calendar. Nothing was changed."
        )
        self._assert_nothing_stored(self.alice)

    def test_other_google_error_is_shown_escaped(self):
        self._login(self.alice)
        callback_url, _query = self._connect_and_consent(self.alice_email)
        response = self._callback(
            self._with_query(callback_url, code=None, error="<b>server_error</b>")
        )
        self._assert_message_page(response, 400, "&lt;b&gt;server_error&lt;/b&gt;")
        self.assertNotIn("<b>server_error</b>", response.text)
        self._assert_nothing_stored(self.alice)

    def test_expired_state(self):
        self._login(self.alice)
        callback_url, _query = self._connect_and_consent(self.alice_email)

        def age_pending_states(session):
            pending = dict(session[SESSION_KEY])
            for flow in pending.values():
                # As if Google's redirect came back 11 minutes after "connect".
                flow["expires"] -= 11 * 60
            session[SESSION_KEY] = pending

        self._edit_session(self.session.sid, age_pending_states)
        self._assert_message_page(self._callback(callback_url), 400, INVALID_STATE_TEXT)
        self._assert_nothing_stored(self.alice)

    def test_wrong_pkce_verifier_is_rejected_by_google(self):
        """The verifier Odoo sends is the one bound to the code: change it and Google refuses."""
        self._login(self.alice)
        callback_url, _query = self._connect_and_consent(self.alice_email)

        def swap_verifier(session):
            pending = dict(session[SESSION_KEY])
            for flow in pending.values():
                flow["verifier"] = "A" * 64  # well-formed, but not the one hashed into the URL
            session[SESSION_KEY] = pending

        self._edit_session(self.session.sid, swap_verifier)
        response = self._callback(callback_url)
        self._assert_message_page(response, 400, "Google did not accept the sign-in")
        self.assertNotIn("AAAA", response.text)
        self.assertEqual([call.status for call in self._token_calls()], [400])
        self._assert_nothing_stored(self.alice, code_exchanged=True)

    def test_connect_when_google_is_not_configured(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "crm_google_calendar_sync.client_secret", ""
        )
        self._login(self.alice)
        response = self.url_open(CONNECT_URL, allow_redirects=False)
        self._assert_message_page(
            response, 409, "An administrator must enter the Google OAuth client ID and secret"
        )
        self.assertFalse(
            [r for r in self.emulator.requests if r.api_call == "oauth.authorize"],
            "the user was sent to Google anyway",
        )
        self.assertFalse(root.session_store.get(self.session.sid).get(SESSION_KEY))
        self._assert_nothing_stored(self.alice)

    def test_preferences_when_google_is_not_configured(self):
        """The preferences page shows the "ask an administrator" notice, the button a message."""
        self.env["ir.config_parameter"].sudo().set_param("crm_google_calendar_sync.client_id", "")
        self._login(self.alice)
        values = self.make_jsonrpc_request(
            "/web/dataset/call_kw/res.users/read",
            {
                "model": "res.users",
                "method": "read",
                "args": [[self.alice.id], ["google_sync_configured", "google_sync_state"]],
                "kwargs": {},
            },
        )
        self.assertEqual(
            values,
            [
                {
                    "id": self.alice.id,
                    "google_sync_configured": False,
                    "google_sync_state": "not_connected",
                }
            ],
        )
        with self.assertRaises(JsonRpcException) as raised:
            self.make_jsonrpc_request(
                "/web/dataset/call_button/res.users/action_google_sync_connect",
                {
                    "model": "res.users",
                    "method": "action_google_sync_connect",
                    "args": [[self.alice.id]],
                    "kwargs": {},
                },
            )
        self.assertEqual(str(raised.exception), "odoo.exceptions.UserError")

    def test_connect_refused_for_portal_users(self):
        self._login(self.portal)
        response = self.url_open(CONNECT_URL, allow_redirects=False)
        self._assert_message_page(response, 403, "Only internal users can connect Google Calendar.")
        self._assert_nothing_stored(self.portal)

    def test_connect_and_callback_while_logged_out(self):
        self.authenticate(None, None)
        response = self.url_open(CONNECT_URL, allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertEqual(urlsplit(response.headers["Location"]).path, "/web/login")

        self._login(self.alice)
        callback_url, _query = self._connect_and_consent(self.alice_email)
        self.logout()
        response = self._callback(callback_url)
        self.assertIn(response.status_code, (302, 303))
        location = urlsplit(response.headers["Location"])
        self.assertEqual(location.path, "/web/login")
        self.assertTrue(parse_qs(location.query)["redirect"][0].startswith(CALLBACK_PATH))
        self._assert_nothing_stored(self.alice)

    # ------------------------------------------------------------------
    # Revoke and reconnect
    # ------------------------------------------------------------------
    def _revoke_as(self, user):
        """The "Disconnect" button, through the web client's RPC."""
        self._login(user)
        return self.make_jsonrpc_request(
            "/web/dataset/call_button/res.users/action_google_sync_revoke",
            {
                "model": "res.users",
                "method": "action_google_sync_revoke",
                "args": [[user.id]],
                "kwargs": {},
            },
        )

    def test_revoke(self):
        self._full_connect(self.alice, self.alice_email)
        self.env.invalidate_all()
        token = self._token(self.alice)
        refresh_token = token.refresh_token
        calendars = self._calendars(self.alice)
        event = (
            self.env["calendar.event"]
            .with_user(self.alice)
            .create(
                {
                    "name": "Kick-off",
                    "start": "2030-03-04 09:00:00",
                    "stop": "2030-03-04 10:00:00",
                }
            )
        )
        google_event = self.emulator.add_event(
            self.alice_email,
            self.alice_email,
            {
                "summary": "Dentist",
                "start": {"dateTime": "2030-03-05T09:00:00Z"},
                "end": {"dateTime": "2030-03-05T10:00:00Z"},
            },
        )
        google_event_id = google_event["id"]
        self.emulator.reset_requests()

        result = self._revoke_as(self.alice)
        # The user is told, in their language, and the page shows the new state.
        self.assertEqual(result.get("tag"), "display_notification")
        self.assertEqual(result["params"]["type"], "success")
        self.assertIn("Google is disconnected", result["params"]["message"])
        self.assertEqual(result["params"]["next"]["tag"], "soft_reload")

        revokes = [r for r in self.emulator.requests if r.api_call == "oauth.revoke"]
        self.assertEqual([r.status for r in revokes], [200])
        # Google's side: the grant is gone, the refresh token no longer works.
        self.assertTrue(self.emulator.oauth.refresh_tokens[refresh_token].revoked)

        self.env.invalidate_all()
        self.assertFalse(token.exists())
        self.assertFalse(self.alice.google_sync_connected)
        self.assertEqual(self.alice.google_sync_state, "not_connected")
        self.assertFalse(self.alice.google_sync_email)
        self.assertFalse(self.alice.google_sync_source_calendar_ids)
        self.assertFalse(self.alice.google_sync_target_calendar_id)
        # Nothing is deleted on either side.
        self.assertTrue(event.exists())
        self.assertEqual(self._calendars(self.alice), calendars)
        raw = self.emulator.get_event_raw(self.alice_email, google_event_id)
        self.assertIsNotNone(raw)
        self.assertNotEqual(raw.get("status"), "cancelled")

    def test_revoke_when_google_is_unreachable(self):
        self._full_connect(self.alice, self.alice_email)
        self.env.invalidate_all()
        token = self._token(self.alice)
        secrets_ = (token.access_token, token.refresh_token)
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        self.env["ir.config_parameter"].sudo().set_param(
            "crm_google_calendar_sync.revoke_uri", f"http://127.0.0.1:{closed_port}/revoke"
        )
        with self.assertLogs(TOKEN_LOGGER, "WARNING") as logs:
            result = self.alice.with_user(self.alice).action_google_sync_revoke()
        self.assertEqual(len(logs.records), 1)
        # The user learns that Google did not confirm, and where to finish it.
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn("Google could not confirm", result["params"]["message"])
        self.assertIn("Third-party apps", result["params"]["message"])
        message = logs.output[0]
        self.assertIn("removing the local copy anyway", message)
        for secret in secrets_:
            self.assertNotIn(secret, message)
        self.env.invalidate_all()
        self.assertFalse(token.exists())
        self.assertEqual(self.alice.google_sync_state, "not_connected")
        # Google never heard of it: the grant is still live there.
        self.assertFalse(self.emulator.oauth.refresh_tokens[secrets_[1]].revoked)

    def test_reconnect_after_revoke(self):
        self._full_connect(self.alice, self.alice_email)
        self.env.invalidate_all()
        first_refresh = self._token(self.alice).refresh_token
        calendars = self._calendars(self.alice)
        self._revoke_as(self.alice)
        self.env.invalidate_all()
        self.assertFalse(self._token(self.alice))

        self._full_connect(self.alice, self.alice_email)
        self.env.invalidate_all()
        token = self._token(self.alice)
        self.assertTrue(token.refresh_token)
        self.assertNotEqual(token.refresh_token, first_refresh)
        self.assertFalse(self.emulator.oauth.refresh_tokens[token.refresh_token].revoked)
        self.assertEqual(token.state, "connected")
        # The calendar rows are reused, and the defaults are chosen again.
        self.assertEqual(self._calendars(self.alice), calendars)
        primary = calendars.filtered("is_primary")
        self.assertEqual(self.alice.google_sync_source_calendar_ids, primary)
        self.assertEqual(self.alice.google_sync_target_calendar_id, primary)
        self.assertEqual(self.alice.google_sync_state, "connected")
