"""The switch from Odoo's google_calendar, end to end with the real module.

Creates a throwaway database with Odoo's ``google_calendar``, lets the module sync
three users against the emulator (its URLs pointed at it in this process, as
``bench/gcbench/ref.py`` does), uninstalls it, installs crm_google_calendar_sync,
connects the users as the OAuth callback does and syncs them (the guest first);
prints what each side holds before and after and fails on any duplicate or write
to Google.

    $ODOO_PYTHON scripts/switch_check.py        (about a minute; drops its database)
"""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "emulator")]
DB = f"crm_gcal_switch_check_{os.getpid()}"
TZ = "Europe/Berlin"
EMAILS = {"anna": "anna@switch.test", "bob": "bob@switch.test", "carol": "carol@switch.test"}
WRITES = ("events.insert", "events.import", "events.patch", "events.update", "events.delete")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def addons_path():
    import odoo

    return f"{Path(odoo.__file__).resolve().parents[1] / 'addons'},{REPO}"


def create_database():
    subprocess.run(["dropdb", "--if-exists", DB], check=True)
    options = ["--without-demo=all", "--stop-after-init", "--max-cron-threads=0"]
    command = [sys.executable, "-m", "odoo", f"--addons-path={addons_path()}", "-d", DB]
    subprocess.run([*command, "-i", "google_calendar", "--log-level=warn", *options], check=True)


def environment():
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    return api.Environment(Registry(DB).cursor(), SUPERUSER_ID, {})


def meeting_values(users, customer, start):
    """Anna's meetings: with Bob and a customer, a Meet call, a weekly series."""
    anna, bob = users[:2]
    both = [(6, 0, (anna.partner_id | bob.partner_id).ids)]
    series_start = start + dt.timedelta(days=2)
    return [
        {
            "name": "Angebot",
            "location": "Hamburg",
            "partner_ids": [(6, 0, (anna.partner_id | bob.partner_id | customer).ids)],
        },
        {"name": "Telefonkonferenz", "partner_ids": both, "start": start + dt.timedelta(days=1)},
        {
            "name": "Wochenrunde",
            "location": "Raum 2",
            "partner_ids": both,
            "start": series_start,
            "recurrency": True,
            "rrule_type": "weekly",
            "end_type": "count",
            "count": 4,
            WEEKDAYS[series_start.weekday()]: True,
        },
    ]


def module_era(emulator):
    """Users and meetings, synced by Odoo's module as its cron does, twice."""
    from bench.gcbench import ref

    ref.point_at_emulator(emulator.base_url)
    env = environment()
    ref.configure(env)
    group = env.ref("base.group_user")
    users = env["res.users"].with_context(no_reset_password=True)
    users = users.create(
        [
            {"name": n, "login": n, "email": e, "tz": TZ, "groups_id": [(6, 0, group.ids)]}
            for n, e in EMAILS.items()
        ]
    )
    tokens = {email: emulator.issue_tokens(email) for email in EMAILS.values()}
    ref.connect_users(env, tokens, users, list(EMAILS.values()))
    customer = env["res.partner"].create({"name": "Kundin", "email": "kundin@example.org"})
    env.cr.commit()
    start = dt.datetime.utcnow().replace(minute=0, second=0, microsecond=0)
    start += dt.timedelta(days=3)
    for owner, values_list in (
        (users[0], meeting_values(users, customer, start)),
        (users[2], [{"name": "Carols Termin", "location": "Büro"}]),
    ):
        for values in values_list:
            begin = values.pop("start", start)
            values.update(start=begin, stop=begin + dt.timedelta(hours=1))
            env["calendar.event"].with_user(owner).create(values)
            env.cr.commit()  # the module pushes after the commit
    for user in (*users, *users):  # the second round brings the Meet link back
        ref.sync_user(env, user)
    env.cr.close()


def switch():
    """Uninstall Odoo's module, install ours (each in its own registry)."""
    env = environment()
    env["ir.module.module"].search([("name", "=", "google_calendar")]).button_immediate_uninstall()
    env.cr.commit()
    env.cr.close()
    env = environment()
    env["ir.module.module"].update_list()
    ours = env["ir.module.module"].search([("name", "=", "crm_google_calendar_sync")])
    ours.button_immediate_install()
    env.cr.commit()
    env.cr.close()


def configure(env, emulator):
    params = env["ir.config_parameter"].sudo()
    root = emulator.base_url
    for key, value in {
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "auth_uri": root + "o/oauth2/auth",
        "token_uri": root + "token",
        "revoke_uri": root + "revoke",
        "api_root": root,
    }.items():
        params.set_param(f"crm_google_calendar_sync.{key}", value)
    env.cr.commit()


def connect_and_sync(env, emulator, login):
    """What the OAuth callback does after Google's consent, then one sync."""
    from odoo.addons.crm_google_calendar_sync.store import user_run
    from odoo.addons.crm_google_calendar_sync.sync import oauth

    user = env["res.users"].search([("login", "=", login)])
    issued = emulator.issue_tokens(EMAILS[login])
    expiry = dt.datetime.utcnow() + dt.timedelta(hours=1)
    token_set = oauth.TokenSet(issued["access_token"], issued["refresh_token"], expiry, [])
    token = env["crm.google.token"]._store_tokens(user, token_set, EMAILS[login])
    calendars = token._google_client().list_calendars()
    user._google_sync_apply_default_choices(
        env["crm.google.calendar"]._sync_calendar_list(user, calendars)
    )
    env.cr.commit()
    report = user_run.sync_user(env, token.id)[1]
    env.cr.commit()
    return report


def state(env, emulator):
    google = {
        login: sorted(event.get("summary", "") for event in emulator.list_events_raw(email))
        for login, email in EMAILS.items()
    }
    return env["calendar.event"].search_count([]), google


def report_after(env, emulator, reports):
    writes = [(r.api_call, r.user) for r in emulator.requests if r.api_call in WRITES]
    print("  writes to Google", writes)
    links = env["crm.google.event.link"].search([("recurring_event_id", "=", False)])
    print("  links", [(link.user_id.login, link.event_id.name, link.readonly) for link in links])
    for login, report in reports.items():
        print(
            f"  {login}: pulled {report.pulled_created} new, {report.pulled_updated} changed;"
            f" pushed {report.pushed}; errors {report.errors}"
        )
    return writes


def run(emulator):
    module_era(emulator)
    env = environment()
    before = state(env, emulator)
    env.cr.close()
    print("module era:\n  Odoo events", before[0], "\n  Google", before[1])
    switch()
    emulator.reset_requests()
    env = environment()
    configure(env, emulator)
    reports = {login: connect_and_sync(env, emulator, login) for login in ("bob", "anna", "carol")}
    after = state(env, emulator)
    print("after the switch:\n  Odoo events", after[0], "\n  Google", after[1])
    writes = report_after(env, emulator, reports)
    env.cr.close()
    ok = before == after and not writes
    print("OK: no duplicate on either side, nothing written to Google" if ok else "FAILED")
    return 0 if ok else 1


def main():
    from bench.gcbench import ref
    from google_calendar_emulator import EmulatorServer

    create_database()
    from odoo.sql_db import close_db
    from odoo.tools import config

    options = ["--without-demo=all", "--log-level=warn", "--max-cron-threads=0"]
    config.parse_config([f"--addons-path={addons_path()}", *options])
    # The module's OAuth client is kept for the addon (CONFIGURE.md).
    emulator = EmulatorServer(client_id=ref.CLIENT_ID, client_secret=ref.CLIENT_SECRET)
    emulator.start()
    for email in EMAILS.values():
        emulator.add_account(email, time_zone=TZ)
    try:
        return run(emulator)
    finally:
        emulator.stop()
        close_db(DB)
        subprocess.run(["dropdb", "--if-exists", DB], check=False)


if __name__ == "__main__":
    sys.exit(main())
