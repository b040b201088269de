# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Test base: a real Google Calendar emulator on 127.0.0.1 per test class."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

from odoo import fields
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, new_test_user
from odoo.tools.translate import code_translations

# The google-calendar-emulator distribution (pip install ./emulator): a test dependency,
# never installed with the addon.
from google_calendar_emulator import EmulatorServer

from ..store import user_run
from ..sync import oauth

CLIENT_ID = "odoo-test-client-id"
CLIENT_SECRET = "odoo-test-client-secret"
GOOGLE_TIME = "%Y-%m-%dT%H:%M:%SZ"


def google_service(emulator, email):
    """A Google API client of ``email``'s own, with tokens the emulator issues."""
    issued = emulator.issue_tokens(email)
    credentials = Credentials(
        issued["access_token"],
        refresh_token=issued["refresh_token"],
        token_uri=emulator.base_url + "token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    return build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": emulator.base_url + "calendar/v3/"},
    )


class EmulatorMixin:
    """Starts the emulator and points the addon's endpoints at it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = EmulatorServer(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        cls.emulator.start()
        cls.addClassCleanup(cls.emulator.stop)
        root = cls.emulator.base_url
        params = cls.env["ir.config_parameter"].sudo()
        for key, value in {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "auth_uri": root + "o/oauth2/auth",
            "token_uri": root + "token",
            "revoke_uri": root + "revoke",
            "api_root": root,
        }.items():
            params.set_param(f"crm_google_calendar_sync.{key}", value)
        # Odoo's test mode does not stop httplib2 (used by the Google client) from
        # reaching the internet: make sure every endpoint really is the emulator.
        config = cls.env["crm.google.token"]._get_client_config()
        for url in (
            config.endpoints.auth_uri,
            config.endpoints.token_uri,
            config.endpoints.revoke_uri,
            cls.env["crm.google.token"]._get_api_root(),
        ):
            assert urlsplit(url).hostname == "127.0.0.1", url

    @classmethod
    def connect_user(cls, login, email, *, tz="Europe/Berlin", sources=None, target="primary"):
        """A user connected to the emulator account ``email`` (tokens issued directly)."""
        user = new_test_user(cls.env, login=login, groups="base.group_user", tz=tz)
        cls.emulator.add_account(email, time_zone=tz)
        issued = cls.emulator.issue_tokens(email)
        token = cls.env["crm.google.token"].create(
            {
                "user_id": user.id,
                "access_token": issued["access_token"],
                "refresh_token": issued["refresh_token"],
                "token_expiry": "2099-01-01 00:00:00",
                "google_email": email,
            }
        )
        client = token._google_client()
        calendars = cls.env["crm.google.calendar"]._sync_calendar_list(
            user, client.list_calendars()
        )
        by_google_id = {cal.google_id: cal for cal in calendars}
        source_ids = [by_google_id[g].id for g in (sources or [email])]
        target_cal = by_google_id[email] if target == "primary" else by_google_id.get(target)
        user.write(
            {
                "google_sync_source_calendar_ids": [(6, 0, source_ids)],
                "google_sync_target_calendar_id": target_cal.id if target_cal else False,
            }
        )
        return user, token

    @classmethod
    def store_tokens(cls, user, email):
        """Store fresh tokens the emulator issues for ``email``: what the OAuth
        callback does before it reads the calendar list."""
        issued = cls.emulator.issue_tokens(email)
        return cls.env["crm.google.token"]._store_tokens(
            user,
            oauth.TokenSet(
                access_token=issued["access_token"],
                refresh_token=issued["refresh_token"],
                expiry=datetime.utcnow() + timedelta(hours=1),
                scopes=[],
                token_type="Bearer",
            ),
            email,
        )

    @classmethod
    def consent(cls, user, email):
        """What the OAuth callback does after Google's consent: store the tokens
        the emulator issues for ``email``, read the calendar list with them and
        apply the default choices (which starts the first sync)."""
        token = cls.store_tokens(user, email)
        calendars = cls.env["crm.google.calendar"]._sync_calendar_list(
            user, token._google_client().list_calendars()
        )
        user._google_sync_apply_default_choices(calendars)
        cls.env.invalidate_all()
        return token

    @classmethod
    def seed_google_event(cls, email, calendar, summary, days, **extra):
        """A one-hour event ``days`` from now in ``email``'s ``calendar`` (seeding API)."""
        start = datetime.utcnow().replace(microsecond=0, second=0) + timedelta(days=days)
        return cls.emulator.add_event(
            email,
            calendar,
            {
                "summary": summary,
                "start": {"dateTime": start.strftime(GOOGLE_TIME)},
                "end": {"dateTime": (start + timedelta(hours=1)).strftime(GOOGLE_TIME)},
                **extra,
            },
        )


class SyncCase(EmulatorMixin, TransactionCase):
    """Syncs users through the cron's entry point inside the test transaction."""

    def setUp(self):
        super().setUp()
        # The sync works in cursors of its own: let them share the test transaction.
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        self.emulator.faults.clear()
        self.addCleanup(self.emulator.faults.clear)
        self._services = {}

    def service(self, email):
        """The user's own Google client, as their phone or browser has it: what a
        person (or a hostile colleague) does in their own Google Calendar."""
        if email not in self._services:
            self._services[email] = google_service(self.emulator, email)
        return self._services[email]

    def sync(self, token, expect_ran=True):
        """One sync cycle of ``token``'s user; returns the engine's report."""
        if token.next_sync:
            token.next_sync = False
        # The sync's cursor must see what this test wrote.
        self.env.flush_all()
        ran, report = user_run.sync_user(self.env, token.id)
        self.assertEqual(ran, expect_ran)
        self.env.invalidate_all()
        return report

    def rows_written(self):
        """Rows inserted, updated or deleted per table in this transaction (the
        test's cursors and the sync's share it)."""
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT relname, n_tup_ins + n_tup_upd + n_tup_del
                 FROM pg_stat_xact_user_tables"""
        )
        return dict(self.env.cr.fetchall())

    def rows_written_by(self, action):
        """Rows that ``action()`` wrote, per table (tables it did not touch left out)."""
        before = self.rows_written()
        action()
        after = self.rows_written()
        written = {table: rows - before.get(table, 0) for table, rows in after.items()}
        return {table: rows for table, rows in written.items() if rows}

    def lock_is_free(self, user):
        """Can another worker (a real second connection) take ``user``'s lock?"""
        cr = db_connect(self.env.cr.dbname).cursor()
        try:
            key = (user_run.ADVISORY_LOCK_CLASS, user.id)
            cr.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
            free = cr.fetchone()[0]
            if free:
                cr.execute("SELECT pg_advisory_unlock(%s, %s)", key)
            return free
        finally:
            cr.close()

    def meeting(self, user, name, start, hours=1, **values):
        """An Odoo meeting of ``user``, created as that user."""
        return (
            self.env["calendar.event"]
            .with_user(user)
            .create(
                dict(
                    {
                        "name": name,
                        "start": fields.Datetime.to_string(start),
                        "stop": fields.Datetime.to_string(start + timedelta(hours=hours)),
                        "partner_ids": [(6, 0, user.partner_id.ids)],
                    },
                    **values,
                )
            )
        )


class OnboardingCase(SyncCase):
    """German loaded as a German user sees it, an English administrator, and per test
    a Google account and a login of its own (the emulator keeps its state across
    tests). ``PREFIX`` names the test module's accounts."""

    PREFIX = "onb"
    USER_LANG = "en_US"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        module = "crm_google_calendar_sync"
        cls.env["res.lang"]._activate_lang("de_DE")
        cls.env["ir.module.module"]._load_module_terms([module], ["de_DE"], overwrite=True)
        code_translations.python_translations.pop((module, "de_DE"), None)
        cls.admin = new_test_user(
            cls.env,
            login=f"gcal_{cls.PREFIX}_admin",
            groups="base.group_user,base.group_system",
            lang="en_US",
        )

    def setUp(self):
        super().setUp()
        name = self._testMethodName.removeprefix("test_")[:40]
        self.email = f"{self.PREFIX}-{name.replace('_', '-')}@example.com"
        self.login = f"gcal_{self.PREFIX}_{name}"

    def new_user(self, lang=None):
        self.emulator.add_account(self.email, time_zone="Europe/Berlin")
        return new_test_user(
            self.env,
            login=self.login,
            groups="base.group_user",
            tz="Europe/Berlin",
            lang=lang or self.USER_LANG,
        )
