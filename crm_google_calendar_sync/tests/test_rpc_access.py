# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Token secrecy and settings ownership, checked through the web client's JSON-RPC."""

import json

from odoo.tests import HttpCase, new_test_user, tagged

ACCESS_TOKEN = "ya29.rpc-secret-access-token"
REFRESH_TOKEN = "1//rpc-secret-refresh-token"
SECRETS = (ACCESS_TOKEN, REFRESH_TOKEN, "rpc-secret")
ACCESS_ERROR = "odoo.exceptions.AccessError"
SESSION_EXPIRED = "odoo.http.SessionExpiredException"


@tagged("post_install", "-at_install")
class TestRpcAccess(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = new_test_user(cls.env, login="gcal_rpc_owner", groups="base.group_user")
        cls.other = new_test_user(cls.env, login="gcal_rpc_other", groups="base.group_user")
        cls.portal = new_test_user(cls.env, login="gcal_rpc_portal", groups="base.group_portal")
        cls.admin = new_test_user(
            cls.env, login="gcal_rpc_admin", groups="base.group_user,base.group_system"
        )
        cls.token = cls.env["crm.google.token"].create(
            {
                "user_id": cls.owner.id,
                "access_token": ACCESS_TOKEN,
                "refresh_token": REFRESH_TOKEN,
                "token_expiry": "2099-01-01 00:00:00",
                "google_email": "owner.rpc@example.com",
            }
        )
        calendar_model = cls.env["crm.google.calendar"]
        cls.primary = calendar_model.create(
            {
                "user_id": cls.owner.id,
                "google_id": "owner.rpc@example.com",
                "name": "Owner",
                "access_role": "owner",
                "is_primary": True,
            }
        )
        cls.crm_calendar = calendar_model.create(
            {
                "user_id": cls.owner.id,
                "google_id": "crm-rpc@group.calendar.google.com",
                "name": "CRM",
                "access_role": "owner",
            }
        )
        cls.other_calendar = calendar_model.create(
            {
                "user_id": cls.other.id,
                "google_id": "other.rpc@example.com",
                "name": "Other",
                "access_role": "owner",
                "is_primary": True,
            }
        )
        cls.owner.write(
            {
                "google_sync_source_calendar_ids": [(6, 0, cls.primary.ids)],
                "google_sync_target_calendar_id": cls.primary.id,
            }
        )

    # ------------------------------------------------------------------
    def _call_kw(self, model, method, args, kwargs=None):
        """``/web/dataset/call_kw`` as the web client sends it; returns the raw response."""
        payload = {
            "id": 1,
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        }
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        return response

    def _assert_rpc_error(self, response, error_name):
        body = response.json()
        self.assertIn("error", body, f"expected {error_name}, got {response.text[:300]}")
        self.assertEqual(body["error"]["data"]["name"], error_name)
        self._assert_no_secret(response.text)

    def _assert_no_secret(self, text):
        for secret in SECRETS:
            self.assertNotIn(secret, text)

    def _token_reads(self):
        """The ways a client could try to get at the secrets."""
        fields = ["access_token", "refresh_token"]
        return [
            ("search_read", [[]], {"fields": fields}),
            ("search_read", [[("user_id", "=", self.owner.id)]], {"fields": ["google_email"]}),
            ("read", [self.token.ids, fields], {}),
            ("web_search_read", [[]], {"specification": {"access_token": {}}}),
            ("web_read", [self.token.ids], {"specification": {"refresh_token": {}}}),
            ("search_count", [[("access_token", "=", ACCESS_TOKEN)]], {}),
        ]

    def _assert_tokens_unreadable(self, error_name):
        for method, args, kwargs in self._token_reads():
            with self.subTest(method=method):
                response = self._call_kw("crm.google.token", method, args, kwargs)
                self._assert_rpc_error(response, error_name)

    # ------------------------------------------------------------------
    def test_other_internal_user(self):
        self.authenticate(self.other.login, self.other.login)
        self._assert_tokens_unreadable(ACCESS_ERROR)
        # Nor through the owner's user record (related/computed fields).
        response = self._call_kw(
            "res.users",
            "read",
            [[self.owner.id], ["google_sync_email", "google_sync_target_calendar_id"]],
        )
        self._assert_no_secret(response.text)
        for values in (
            {"google_sync_target_calendar_id": self.other_calendar.id},
            {"google_sync_target_calendar_id": self.crm_calendar.id},
            {"google_sync_private": True},
        ):
            with self.subTest(values=values):
                response = self._call_kw("res.users", "write", [[self.owner.id], values])
                self._assert_rpc_error(response, ACCESS_ERROR)
        self.env.invalidate_all()
        self.assertEqual(self.owner.google_sync_target_calendar_id, self.primary)
        self.assertFalse(self.owner.google_sync_private)
        # Nor can the other user point their own target at the owner's calendar.
        response = self._call_kw(
            "res.users",
            "write",
            [[self.other.id], {"google_sync_target_calendar_id": self.crm_calendar.id}],
        )
        self.assertIn("error", response.json())
        self.env.invalidate_all()
        self.assertFalse(self.other.google_sync_target_calendar_id)

    def test_portal_user(self):
        self.authenticate(self.portal.login, self.portal.login)
        self._assert_tokens_unreadable(ACCESS_ERROR)
        response = self._call_kw(
            "res.users",
            "write",
            [[self.owner.id], {"google_sync_target_calendar_id": self.crm_calendar.id}],
        )
        self._assert_rpc_error(response, ACCESS_ERROR)
        self.env.invalidate_all()
        self.assertEqual(self.owner.google_sync_target_calendar_id, self.primary)

    def test_public(self):
        self.authenticate(None, None)
        self._assert_tokens_unreadable(SESSION_EXPIRED)
        response = self._call_kw(
            "res.users",
            "write",
            [[self.owner.id], {"google_sync_target_calendar_id": self.crm_calendar.id}],
        )
        self._assert_rpc_error(response, SESSION_EXPIRED)
        self.env.invalidate_all()
        self.assertEqual(self.owner.google_sync_target_calendar_id, self.primary)

    def test_owner_sees_status_never_tokens(self):
        self.authenticate(self.owner.login, self.owner.login)
        # Not even the owner reads the token model itself.
        self._assert_tokens_unreadable(ACCESS_ERROR)

        google_fields = [
            name for name in self.env["res.users"]._fields if name.startswith("google_sync_")
        ]
        response = self._call_kw("res.users", "read", [[self.owner.id], google_fields])
        self.assertNotIn("error", response.json(), response.text[:300])
        values = response.json()["result"][0]
        self.assertTrue(values["google_sync_connected"])
        self.assertEqual(values["google_sync_email"], "owner.rpc@example.com")
        self.assertEqual(values["google_sync_state"], "connected")
        self.assertEqual(values["google_sync_target_calendar_id"][0], self.primary.id)
        self._assert_no_secret(response.text)

        # Every field a user may read on their own record, and what the preferences
        # dialog loads.
        self_readable = [
            name
            for name in self.env["res.users"].SELF_READABLE_FIELDS
            if name in self.env["res.users"]._fields
        ]
        response = self._call_kw("res.users", "read", [[self.owner.id], self_readable])
        self.assertNotIn("error", response.json(), response.text[:300])
        self._assert_no_secret(response.text)
        view = self.env.ref("base.view_users_form_simple_modif")
        response = self._call_kw(
            "res.users",
            "web_read",
            [[self.owner.id]],
            {"specification": {name: {} for name in google_fields}, "context": {}},
        )
        self.assertNotIn("error", response.json(), response.text[:300])
        self._assert_no_secret(response.text)
        response = self._call_kw(
            "res.users", "get_views", [], {"views": [[view.id, "form"]], "options": {}}
        )
        self.assertIn("crm_google_sync_external_services", response.text)
        self._assert_no_secret(response.text)

        response = self.url_open(
            "/web/session/get_session_info",
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": {}}),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.json()["result"]["uid"], self.owner.id)
        self._assert_no_secret(response.text)
        page = self.url_open("/odoo")
        self.assertEqual(page.status_code, 200)
        self._assert_no_secret(page.text)

    def test_owner_writes_own_settings_only_with_own_calendars(self):
        self.authenticate(self.owner.login, self.owner.login)
        response = self._call_kw(
            "res.users",
            "write",
            [[self.owner.id], {"google_sync_target_calendar_id": self.crm_calendar.id}],
        )
        self.assertIs(response.json().get("result"), True, response.text[:300])
        self.env.invalidate_all()
        self.assertEqual(self.owner.google_sync_target_calendar_id, self.crm_calendar)
        self.assertTrue(self.token.sync_enabled)

        # Another user's calendar cannot be chosen, not even by id.
        for values in (
            {"google_sync_target_calendar_id": self.other_calendar.id},
            {"google_sync_source_calendar_ids": [(4, self.other_calendar.id)]},
        ):
            with self.subTest(values=values):
                response = self._call_kw("res.users", "write", [[self.owner.id], values])
                self.assertEqual(
                    response.json()["error"]["data"]["name"], "odoo.exceptions.ValidationError"
                )
        self.env.invalidate_all()
        self.assertEqual(self.owner.google_sync_target_calendar_id, self.crm_calendar)
        self.assertEqual(self.owner.google_sync_source_calendar_ids, self.primary)

    def test_admin_reads_tokens(self):
        self.authenticate(self.admin.login, self.admin.login)
        result = self.make_jsonrpc_request(
            "/web/dataset/call_kw/crm.google.token/search_read",
            {
                "model": "crm.google.token",
                "method": "search_read",
                "args": [[("user_id", "=", self.owner.id)]],
                "kwargs": {"fields": ["access_token", "refresh_token", "google_email"]},
            },
        )
        self.assertEqual(len(result), 1)
        self.assertEqual(result[0]["access_token"], ACCESS_TOKEN)
        self.assertEqual(result[0]["refresh_token"], REFRESH_TOKEN)
