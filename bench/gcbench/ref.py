"""Drives Odoo 18's own google_calendar module (the reference) against the emulator.

Its Google URLs are module-level constants of google_account (and a default argument of
``google.service._do_request``); they are pointed at the emulator here, inside the
benchmark process only. Nothing of the reference is copied or changed on disk.
"""

import datetime as dt
import json

from . import data

CLIENT_ID = "bench-client-id"
CLIENT_SECRET = "bench-client-secret"


class _PagingShim:
    """``requests`` as google_service sees it, re-adding the first page's query to page 2+.

    Also makes the module's ``extendedProperties`` values strings (see below).

    Odoo's module asks for page 2+ of ``events.list`` with only ``pageToken`` and
    ``access_token``; the emulator (following the design's rule that pages repeat the
    query) answers 400 to that. Re-adding the first page's parameters changes neither
    the number of requests nor what Odoo's code does with the answers.
    """

    def __init__(self, real):
        self._real = real
        self._first_page = {}
        self.patched_pages = 0
        self.stringified_bodies = 0

    def __getattr__(self, name):
        return getattr(self._real, name)

    def request(self, method, url, params=None, data=None, **kwargs):
        if (
            method.lower() in ("post", "patch", "put")
            and isinstance(data, str)
            and "/events" in url
        ):
            data = self._stringify_extended_properties(data)
        if method.lower() == "get" and isinstance(params, dict) and url.endswith("/events"):
            key = (url, params.get("access_token"))
            if "pageToken" in params:
                params = {**self._first_page.get(key, {}), **params}
                self.patched_pages += 1
            else:
                self._first_page[key] = {k: v for k, v in params.items() if k != "access_token"}
        return self._real.request(method, url, params=params, data=data, **kwargs)

    def _stringify_extended_properties(self, data):
        """Odoo's module sends its record id in ``extendedProperties`` as a JSON number;
        Google accepts that (the map's values are strings), the emulator's schema check
        answers 400. Send the same value as a string."""
        try:
            body = json.loads(data)
        except ValueError:
            return data
        changed = False
        for scope in (body.get("extendedProperties") or {}).values():
            for key, value in list((scope or {}).items()):
                if isinstance(value, int) and not isinstance(value, bool):
                    scope[key] = str(value)
                    changed = True
        if not changed:
            return data
        self.stringified_bodies += 1
        return json.dumps(body)


def point_at_emulator(base_url):
    """Patch the reference's Google URLs (in this process) to the emulator."""
    from odoo.addons.google_account.models import google_service
    from odoo.addons.google_calendar.models import res_users_settings

    root = base_url.rstrip("/")
    google_service.GOOGLE_AUTH_ENDPOINT = root + "/o/oauth2/auth"
    google_service.GOOGLE_TOKEN_ENDPOINT = root + "/token"
    google_service.GOOGLE_API_BASE_URL = root
    res_users_settings.GOOGLE_TOKEN_ENDPOINT = root + "/token"
    do_request = google_service.GoogleService._do_request
    names = do_request.__code__.co_varnames[: do_request.__code__.co_argcount]
    defaults = list(do_request.__defaults__)
    defaults[names.index("preuri") - (len(names) - len(defaults))] = root
    do_request.__defaults__ = tuple(defaults)
    if not isinstance(google_service.requests, _PagingShim):
        google_service.requests = _PagingShim(google_service.requests)
    return google_service.requests


def configure(env):
    params = env["ir.config_parameter"].sudo()
    params.set_param("google_calendar_client_id", CLIENT_ID)
    params.set_param("google_calendar_client_secret", CLIENT_SECRET)
    params.set_param("google_calendar_sync_paused", False)


create_users = data.create_users  # the same users on both sides


def connect_users(env, issued_tokens, users, emails):
    """Store tokens where Odoo's module keeps them (res.users.settings), as its OAuth
    callback does (``_set_google_auth_tokens``), with a far validity."""
    Settings = env["res.users.settings"].sudo()
    for user, email in zip(users, emails, strict=True):
        issued = issued_tokens[email]
        settings = Settings._find_or_create_for_user(user)
        settings.write(
            {
                "google_calendar_rtoken": issued["refresh_token"],
                "google_calendar_token": issued["access_token"],
                "google_calendar_token_validity": dt.datetime(2099, 1, 1),
                "google_synchronization_stopped": False,
            }
        )


def calendar_service(env):
    from odoo.addons.google_calendar.utils.google_calendar import (
        GoogleCalendarService,
    )

    return GoogleCalendarService(env["google.service"])


def sync_user(env, user):
    """One sync of one user as the module's cron does it; commits (runs post-commit pushes)."""
    result = user.with_user(user).sudo()._sync_google_calendar(calendar_service(env))
    env.cr.commit()
    return result


def cron_run(env):
    """The module's cron method (all connected users, commit per user)."""
    env["res.users"]._sync_all_google_calendar()
    env.cr.commit()


def stop_users(env, users):
    users.sudo().write({"google_synchronization_stopped": True})
    env.cr.commit()
