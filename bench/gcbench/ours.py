"""Drives crm_google_calendar_sync in-process (its own cron entry points, no shortcuts)."""

import datetime as dt

from . import data

CLIENT_ID = "bench-client-id"
CLIENT_SECRET = "bench-client-secret"

# What a user's own edits look like to Odoo: no mails, no chatter noise. Used to
# create/edit the events that the push benchmarks send (same context on both sides).
USER_EDIT_CONTEXT = {
    "no_mail_to_attendees": True,
    "dont_notify": True,
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
}


def configure(env, base_url):
    """Point the addon's endpoints at the emulator (system parameters, as an admin would)."""
    params = env["ir.config_parameter"].sudo()
    for key, value in {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "auth_uri": base_url + "o/oauth2/auth",
        "token_uri": base_url + "token",
        "revoke_uri": base_url + "revoke",
        "api_root": base_url,
    }.items():
        params.set_param(f"crm_google_calendar_sync.{key}", value)


create_users = data.create_users  # the same users on both sides


def connect_users(env, issued_tokens, users, emails):
    """Connect each user to an emulator account through the addon's own
    ``_store_tokens`` (what the OAuth callback calls; tokens issued directly by the
    emulator), with the primary calendar as source and target. -> tokens."""
    from odoo.addons.crm_google_calendar_sync.sync import oauth

    Token = env["crm.google.token"].sudo()
    Calendar = env["crm.google.calendar"].sudo()
    tokens = Token.browse()
    calendar_values = []
    for user, email in zip(users, emails, strict=True):
        issued = issued_tokens[email]
        token_set = oauth.TokenSet(
            access_token=issued["access_token"],
            refresh_token=issued["refresh_token"],
            expiry=dt.datetime(2099, 1, 1),
            scopes=issued.get("scope", "").split(),
        )
        tokens |= Token._store_tokens(user, token_set, email)
        calendar_values.append(
            {
                "name": email,
                "user_id": user.id,
                "google_id": email,
                "access_role": "owner",
                "is_primary": True,
                "time_zone": data.TZ,
            }
        )
    calendars = Calendar.create(calendar_values)
    for user, calendar in zip(users, calendars, strict=True):
        # Saving the choices enables the sync (as the preferences page does).
        user.write(
            {
                "google_sync_source_calendar_ids": [(6, 0, calendar.ids)],
                "google_sync_target_calendar_id": calendar.id,
            }
        )
    return tokens


def sync_user(env, token_id):
    """One sync cycle of one user, exactly as the cron runs it (own cursor, commits)."""
    from odoo.addons.crm_google_calendar_sync.store import user_run

    _ran, report = user_run.sync_user(env, token_id)
    return report


def new_progress(env, shard=0):
    """The progress record ir.cron creates for each run (made before measuring)."""
    cron = env["crm.google.sync.round"]._cron_job(shard)
    progress = env["ir.cron.progress"].sudo().create({"cron_id": cron.id, "remaining": 0})
    env.cr.commit()
    return progress.id


class CronRunFailed(Exception):
    pass


def cron_run(env, progress_id, shard=0):
    """One run of the cron method with its progress record, as ir.cron does: an
    exception rolls the run's own transaction back (raised as CronRunFailed)."""
    import psycopg2

    try:
        scheduler = env["crm.google.sync.round"].with_context(ir_cron_progress_id=progress_id)
        done = scheduler._cron_sync(shard=shard)
        env.cr.commit()
    except psycopg2.Error as exc:
        env.cr.rollback()
        raise CronRunFailed(f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from exc
    return done


def cron_cycle(env, progress_ids, shard=0):
    """Runs of one cron job, one progress record each, until it reports no work
    left, as ir.cron repeats a job that reports progress; a failed run is rolled
    back and the next one starts over. -> (users handled per run, failures)"""
    runs, failures = [], []
    for progress_id in progress_ids:
        try:
            done = cron_run(env, progress_id, shard=shard)
        except CronRunFailed as exc:
            failures.append(str(exc))
            continue
        if not done:
            break
        runs.append(done)
    return runs, failures


def make_due(env, token_ids):
    """Start a new round for these users at the next cron run (the others sit out)."""
    env.cr.execute(
        "UPDATE crm_google_token SET sync_enabled = (id = ANY(%s)), next_sync = NULL",
        (list(token_ids),),
    )
    env.cr.execute(
        """UPDATE crm_google_sync_round
              SET started = now() AT TIME ZONE 'UTC' - interval '1 day',
                  finished = now() AT TIME ZONE 'UTC' - interval '1 day'"""
    )
    env.cr.commit()


def set_cron_jobs(env, count):
    """As the settings do: the number of cron jobs that share the users."""
    env["ir.config_parameter"].sudo().set_param("crm_google_calendar_sync.cron_jobs", count)
    env["crm.google.sync.round"]._update_cron_jobs()
    env.cr.commit()
