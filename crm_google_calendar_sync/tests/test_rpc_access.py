# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Token secrecy, settings ownership and the attacks of a curious colleague, made
through the web client's JSON-RPC and through XML-RPC against the test server."""

import json

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from ..sync import recurrence
from .rpc_common import ANNA_EMAIL, BOB_EMAIL, RpcCase, future_start, post_call_kw

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
        response = post_call_kw(self, model, method, args, kwargs)
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


@tagged("post_install", "-at_install")
class TestColleagueAttacks(RpcCase):
    """What a curious colleague tried, over XML-RPC as any script would."""

    def assert_refused(self, fault, what):
        """Refused with a message for the user, not by a crash of the server."""
        self.assertRegex(fault or "", r"^(UserError|AccessError): ", f"{what} was not refused")

    def anna_calendars(self):
        return self.anna_records("crm.google.calendar").filtered("active")

    def test_commands_in_own_choices_never_reach_another_users_calendars(self):
        calendar = self.anna_calendars()[:1]
        forged = {"google_id": "evil@group.calendar.google.com", "access_role": "owner"}
        attacks = {
            "rewrite": (1, calendar.id, dict(forged, user_id=self.bob.id)),
            "delete": (2, calendar.id, 0),
            "create for her": (0, 0, dict(forged, name="Evil", user_id=self.anna.id)),
            "forge a calendar of his own": (0, 0, dict(forged, name="Mine", user_id=self.bob.id)),
            "unlink": (3, calendar.id, 0),
            "link": (4, calendar.id, 0),
            "replace": (6, 0, [calendar.id]),
        }
        bob = self.bob.with_env(self.env(su=True))
        choices = (bob.google_sync_source_calendar_ids, bob.google_sync_target_calendar_id)
        before = self.anna_state()
        for name, command in attacks.items():
            with self.subTest(name):
                _result, fault = self.xmlrpc(
                    self.bob,
                    "res.users",
                    "write",
                    [self.bob.id],
                    {"google_sync_source_calendar_ids": [command]},
                )
                self.assert_refused(fault, name)
                self.assertEqual(self.anna_state(), before, name)
        _result, fault = self.xmlrpc(
            self.bob,
            "res.users",
            "write",
            [self.bob.id],
            {"google_sync_target_calendar_id": calendar.id},
        )
        self.assert_refused(fault, "her calendar as his target")
        self.assertEqual(self.anna_state(), before)
        self.assertEqual(
            (bob.google_sync_source_calendar_ids, bob.google_sync_target_calendar_id), choices
        )
        self.assertFalse(self.env["crm.google.calendar"].search([("name", "in", ("Evil", "Mine"))]))

    def test_a_colleague_sees_only_whether_another_user_is_connected(self):
        names = [name for name in self.env["res.users"]._fields if name.startswith("google_sync_")]
        truth, fault = self.xmlrpc(self.admin, "res.users", "read", [self.anna.id], names)
        self.assertFalse(fault, fault)
        truth = truth[0]
        self.assertEqual(truth["google_sync_email"], ANNA_EMAIL)
        self.assertTrue(truth["google_sync_target_calendar_id"])
        self.assertIn("Anna Secret Projects", truth["google_sync_error"])
        secrets = self.anna_secrets()
        for name in names:
            with self.subTest(name):
                result, fault = self.xmlrpc(self.bob, "res.users", "read", [self.anna.id], [name])
                if name == "google_sync_connected":
                    self.assertEqual(result, [{"id": self.anna.id, name: True}], fault)
                else:
                    self.assertIn("AccessError", fault or "", f"{name}: {result}")
                self.assert_no_secret(f"{result}{fault}", secrets, name)
                # She and an administrator read everything.
                for reader in (self.anna, self.admin):
                    result, fault = self.xmlrpc(reader, "res.users", "read", [self.anna.id], [name])
                    self.assertFalse(fault, f"{reader.login} reading {name}")
                    value, expected = result[0][name], truth[name]
                    if isinstance(expected, list):
                        # A record's name is addressed to its reader ("your main
                        # calendar" for Anna): the record is the same.
                        value, expected = value[0], expected[0]
                    self.assertEqual(value, expected, f"{reader.login} reading {name}")

    def test_a_colleague_works_on_meetings_another_user_organises(self):
        """Hiding Anna's Google data must not hide Anna: Odoo reads the organiser of a
        meeting (its partner, its name) whenever a colleague edits or opens it."""
        meeting = self._meeting(
            self.anna, "Shared with Bob", 6, partners=self.anna.partner_id | self.bob.partner_id
        )
        self.env.flush_all()
        # Moving it makes Odoo ask the organiser's attendance to answer again.
        moved = {
            "start": fields.Datetime.to_string(future_start(7)),
            "stop": fields.Datetime.to_string(future_start(7, 10)),
            "location": "Raum 2",
        }
        _result, fault = self.xmlrpc(self.bob, "calendar.event", "write", [meeting.id], moved)
        self.assertFalse(fault, fault)
        result, fault = self.xmlrpc(
            self.bob, "calendar.event", "read", [meeting.id], ["user_id", "partner_ids"]
        )
        self.assertFalse(fault, fault)
        self.assertEqual(result[0]["user_id"][0], self.anna.id)
        # In Odoo's code, as the colleague: the organiser's record reads normally
        # (nothing of hers in the cache, so that reading a field fetches her record).
        for name in ("partner_id", "name", "email", "tz"):
            with self.subTest(name):
                self.env.invalidate_all()
                anna = self.env["res.users"].with_user(self.bob).browse(self.anna.id)
                self.assertTrue(anna[name])

    def test_private_google_fields_are_never_prefetched(self):
        """Odoo fetches fields of one prefetch group together: a private field in the
        default group would make any read of a colleague's record fail."""
        for name, field in self.env["res.users"]._fields.items():
            if name.startswith("google_sync_") and name != "google_sync_connected":
                with self.subTest(name):
                    self.assertNotEqual(field.prefetch, True, name)

    def test_user_form_of_an_access_rights_manager_shows_no_google_data(self):
        manager = new_test_user(
            self.env, login="gcal_rpc_manager", groups="base.group_user,base.group_erp_manager"
        )
        view = self.env.ref("base.view_users_form")
        for reader, visible in ((manager, False), (self.admin, True)):
            self.login(reader)
            views, error, text = self.call_kw(
                "res.users", "get_views", [], {"views": [[view.id, "form"]]}
            )
            self.assertFalse(error, text[:300])
            form = views["models"]["res.users"]["fields"]
            arch = views["views"]["form"]["arch"]
            self.assertEqual("google_sync_email" in arch, visible, reader.login)
            specification = {name: {} for name in form if name in arch}
            values, error, text = self.call_kw(
                "res.users", "web_read", [[self.anna.id]], {"specification": specification}
            )
            self.assertFalse(error, f"{reader.login}: {text[:300]}")
            if visible:
                self.assertEqual(values[0]["google_sync_email"], ANNA_EMAIL)
            else:
                self.assert_no_secret(text, self.anna_secrets(), "the user form")

    def test_a_colleague_cannot_change_the_rule_of_a_private_series(self):
        # Odoo lets any employee write any recurrence; the addon must not carry
        # such a change into the organiser's Google calendar.
        recurrence = self.anna_series.sudo().recurrence_id
        before = self.anna_state()
        _result, fault = self.xmlrpc(
            self.bob, "calendar.recurrence", "write", [recurrence.id], {"interval": 3}
        )
        self.assert_refused(fault, "changing her series")
        self.assertEqual(self.anna_state(), before)
        self._sync(self.anna_token)
        link = self.anna_series.sudo().google_link_ids
        google = self.emulator.get_event_raw(ANNA_EMAIL, link.google_event_id)
        self.assertNotIn("INTERVAL=3", " ".join(google["recurrence"]))

    def test_an_administrator_duplicates_a_connected_user(self):
        self.login(self.admin)
        copy_id, error, text = self.call_kw(
            "res.users", "copy", [[self.anna.id]], {"default": {"login": "gcal_rpc_anna_copy"}}
        )
        self.assertFalse(error, text[:500])
        copy = self.env["res.users"].browse(copy_id)
        self.assertFalse(copy.google_sync_source_calendar_ids | copy.google_sync_target_calendar_id)
        self.assertFalse(copy.google_sync_connected)

    def test_sync_again_only_for_own_meetings_he_may_write(self):
        before = self.anna_state()
        for meeting, why in (
            (self.anna_private, "her private meeting (he may read it, not write it)"),
            (self.anna_public, "her meeting without him (he may write it)"),
        ):
            with self.subTest(why):
                _result, fault = self.xmlrpc(
                    self.bob, "calendar.event", "action_google_sync_again", [meeting.id]
                )
                self.assert_refused(fault, why)
                self.assertEqual(self.anna_state(), before, why)
        _result, fault = self.xmlrpc(
            self.portal, "calendar.event", "action_google_sync_again", [self.shared.id]
        )
        self.assert_refused(fault, "a portal user")
        # The meeting they share is his too: it is marked to be sent again, and
        # his own calendar is synchronised, not hers.
        revision = self.shared.sudo().google_sync_revision
        self.emulator.reset_requests()
        result, fault = self.xmlrpc(
            self.bob, "calendar.event", "action_google_sync_again", [self.shared.id]
        )
        self.assertFalse(fault, fault)
        self.assertEqual(result["params"]["type"], "success", result)
        self.assertGreater(self.shared.sudo().google_sync_revision, revision)
        self.assertEqual({record.user for record in self.emulator.requests}, {BOB_EMAIL})

    def test_bookkeeping_of_the_sync_is_not_writable_by_clients(self):
        link = self.anna_records("crm.google.event.link").filtered(
            lambda link: link.event_id == self.shared
        )
        self.assertTrue(link)
        before = self.anna_state()
        bookkeeping = ["google_sync_revision", "google_original_start"]
        shared_before = self.shared.sudo().read(bookkeeping)
        # (name, values, refused on her meeting, refused on a new meeting of his)
        # The bookkeeping is dropped from a client's values, the links are refused.
        attempts = [
            ("revision", {"google_sync_revision": 10**9}, False, False),
            ("original start", {"google_original_start": "2001-01-01 09:00:00"}, False, False),
            (
                "rewrite her link",
                {"google_link_ids": [(1, link.id, {"odoo_revision": 1})]},
                True,
                True,
            ),
            ("delete her link", {"google_link_ids": [(2, link.id, 0)]}, True, True),
            ("detach her link", {"google_link_ids": [(3, link.id, 0)]}, True, True),
            ("take her link", {"google_link_ids": [(4, link.id, 0)]}, True, True),
            ("clear the links", {"google_link_ids": [(5, 0, 0)]}, True, False),
            ("replace the links", {"google_link_ids": [(6, 0, [])]}, True, False),
        ]
        for name, values, refused, refused_on_create in attempts:
            with self.subTest(name):
                _result, fault = self.xmlrpc(
                    self.bob, "calendar.event", "write", [self.shared.id], values
                )
                if refused:
                    self.assert_refused(fault, name)
                self.assertEqual(self.anna_state(), before, name)
                self.assertEqual(self.shared.sudo().read(bookkeeping), shared_before, name)
                new_id, fault = self.xmlrpc(
                    self.bob,
                    "calendar.event",
                    "create",
                    dict(
                        values,
                        name="Bob's own",
                        start="2030-01-01 09:00:00",
                        stop="2030-01-01 10:00:00",
                    ),
                )
                if refused_on_create:
                    self.assert_refused(fault, f"create with {name}")
                else:
                    created = self.env["calendar.event"].browse(new_id).sudo()
                    self.assertLess(created.google_sync_revision, 10**9, name)
                    self.assertFalse(created.google_original_start, name)
                self.assertEqual(self.anna_state(), before, name)

    def test_another_users_wizard_is_out_of_reach(self):
        wizard = self.anna_wizard
        for method, args in (
            ("read", [[wizard.id], ["name"]]),
            ("search_read", [[("id", "=", wizard.id)], ["name"]]),
            ("write", [[wizard.id], {"name": "Bob's name"}]),
            ("action_create", [[wizard.id]]),
        ):
            with self.subTest(method):
                result, fault = self.xmlrpc(
                    self.bob, "crm.google.calendar.create.wizard", method, *args
                )
                self.assertNotIn("Anna Secret Wizard", f"{result}{fault}")
                if method == "search_read":
                    self.assertEqual(result, [])
                else:
                    self.assert_refused(fault, method)
        self.assertEqual(wizard.sudo().name, "Anna Secret Wizard")
        bob_calendars = self.bob_token._google_client().list_calendars()
        self.assertNotIn("Anna Secret Wizard", [cal.get("summary") for cal in bob_calendars])


@tagged("post_install", "-at_install")
class TestClientContext(RpcCase):
    """Context keys sent by a client never change what the sync does."""

    CLIENT_CONTEXTS = (
        {"crm_google_sync": True},
        {"crm_google_sync": 1},
        {"crm_google_sync": "1"},
        {"crm_google_sync_defaults": True},
    )

    def google_copy(self, meeting, user):
        link = meeting.sudo().google_link_ids.filtered(lambda link: link.user_id == user)
        self.assertEqual(len(link), 1)
        return self.emulator.get_event_raw(link.calendar_id.google_id, link.google_event_id)

    def test_an_edit_sent_with_the_sync_key_still_reaches_google(self):
        for number, context in enumerate(self.CLIENT_CONTEXTS):
            with self.subTest(context=context):
                name = f"Anna public, edit {number}"
                _result, fault = self.xmlrpc(
                    self.anna,
                    "calendar.event",
                    "write",
                    [self.anna_public.id],
                    {"name": name},
                    context=context,
                )
                self.assertFalse(fault, fault)
                self._sync(self.anna_token)
                self.assertEqual(self.google_copy(self.anna_public, self.anna)["summary"], name)

    def test_a_meeting_created_with_the_sync_key_still_reaches_google(self):
        for number, context in enumerate(self.CLIENT_CONTEXTS):
            with self.subTest(context=context):
                name = f"Bob's new meeting {number}"
                meeting_id, fault = self.xmlrpc(
                    self.bob,
                    "calendar.event",
                    "create",
                    {
                        "name": name,
                        "start": fields.Datetime.to_string(future_start(6 + number)),
                        "stop": fields.Datetime.to_string(future_start(6 + number, 10)),
                        "partner_ids": [(6, 0, self.bob.partner_id.ids)],
                    },
                    context=context,
                )
                self.assertFalse(fault, fault)
                self._sync(self.bob_token)
                meeting = self.env["calendar.event"].browse(meeting_id)
                self.assertEqual(self.google_copy(meeting, self.bob)["summary"], name)

    def test_the_sync_key_does_not_unlock_read_only_google_events(self):
        holiday = self.env["calendar.event"].search([("name", "=", "Team holiday")])
        self.assertTrue(holiday.sudo().google_link_ids.readonly)
        for context in ({}, *self.CLIENT_CONTEXTS):
            with self.subTest(context=context):
                _result, fault = self.xmlrpc(
                    self.anna,
                    "calendar.event",
                    "write",
                    [holiday.id],
                    {"name": "Not a holiday"},
                    context=context,
                )
                self.assertIn("UserError", fault or "", "a read-only Google event was changed")
        self.assertEqual(holiday.name, "Team holiday")

    def test_a_deleted_occurrence_sent_with_the_sync_key_is_cancelled_in_google(self):
        series = self.anna_series.sudo().recurrence_id
        occurrences = series.calendar_event_ids.sorted("start")
        link = self.anna_series.sudo().google_link_ids
        self.assertEqual(len(link), 1)
        for occurrence, context in zip(occurrences[1:], self.CLIENT_CONTEXTS, strict=False):
            with self.subTest(context=context):
                original = occurrence.start
                _result, fault = self.xmlrpc(
                    self.anna, "calendar.event", "unlink", [occurrence.id], context=context
                )
                self.assertFalse(fault, fault)
                self._sync(self.anna_token)
                instance_id = recurrence.instance_id(link.google_event_id, original, False)
                instance = self.emulator.get_event_raw(ANNA_EMAIL, instance_id)
                self.assertEqual((instance or {}).get("status"), "cancelled", instance_id)

    def test_saving_settings_with_the_defaults_key_still_starts_the_sync(self):
        token = self.anna_token.sudo()
        for context in self.CLIENT_CONTEXTS:
            with self.subTest(context=context):
                self._sync(self.anna_token)  # serves the requests made so far
                self.assertFalse(token.next_sync)
                _result, fault = self.xmlrpc(
                    self.anna,
                    "res.users",
                    "write",
                    [self.anna.id],
                    {"google_sync_private": True},
                    context=context,
                )
                self.assertFalse(fault, fault)
                self.assertTrue(token.next_sync, "saving the settings did not request a sync")
