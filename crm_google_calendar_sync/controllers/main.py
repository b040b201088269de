# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""OAuth 2.0 connect and callback routes.

The ``state`` sent to Google is a random single-use nonce. The nonce, the PKCE
code verifier, the user and the database are kept in the user's server-side
HTTP session, so a state only works for the browser session and user that
started the flow, only once, and only for a few minutes.
"""

import hmac
import logging
import secrets
import time

from odoo import http
from odoo.http import request

from .. import sync_texts
from ..models.crm_google_token import HTTP_TIMEOUT
from ..sync import errors, oauth

_logger = logging.getLogger(__name__)

SESSION_KEY = "crm_google_calendar_sync_oauth"
STATE_LIFETIME = 600  # seconds between "connect" and Google's redirect back
MAX_PENDING_STATES = 5
# Our states are secrets.token_urlsafe(32): 43 ASCII characters.
MAX_STATE_LENGTH = 128
# The sync settings page (server action crm_google_calendar_sync.action_google_sync_settings).
SETTINGS_URL = "/odoo/google-calendar-sync"


class GoogleCalendarSyncController(http.Controller):
    @http.route("/crm_google_calendar_sync/connect", type="http", auth="user", methods=["GET"])
    def connect(self, **kwargs):
        user = request.env.user
        if user.share:
            return self._error_page(
                request.env._("Only internal users can connect Google Calendar."), 403
            )
        token_model = request.env["crm.google.token"]
        if not token_model._is_configured():
            return self._error_page(
                sync_texts.not_configured_text(request.env),
                status=409,
            )
        state = secrets.token_urlsafe(32)
        try:
            config = token_model._get_client_config()
            authorization_url, code_verifier = oauth.start_authorization(
                config, token_model._get_redirect_uri(), state
            )
        except ValueError as exc:  # e.g. plain http to a non-loopback endpoint
            _logger.warning("Google connect refused for user %s: %s", user.id, exc)
            return self._error_page(
                request.env._(
                    "The Google endpoints in Settings are invalid. Please ask an administrator."
                ),
                status=500,
            )
        pending = self._pending_states()
        pending[state] = {
            "verifier": code_verifier,
            "uid": user.id,
            "db": request.db,
            "expires": time.time() + STATE_LIFETIME,
        }
        # Keep only the newest few: a user may click "connect" twice, but the
        # session must not grow without bound.
        newest = sorted(pending.items(), key=lambda item: item[1]["expires"])[-MAX_PENDING_STATES:]
        request.session[SESSION_KEY] = dict(newest)
        return request.redirect(authorization_url, local=False)

    @http.route(
        "/crm_google_calendar_sync/oauth2callback", type="http", auth="user", methods=["GET"]
    )
    def oauth2callback(self, state=None, code=None, error=None, **kwargs):
        user = request.env.user
        pending_state = self._pop_state(state)
        refused = self._refused_callback(user, pending_state, code, error)
        if refused:
            return refused
        token_model = request.env["crm.google.token"]
        try:
            token_set = oauth.exchange_code(
                token_model._get_client_config(),
                token_model._get_redirect_uri(),
                code,
                pending_state["verifier"],
                timeout=HTTP_TIMEOUT,
            )
            missing = token_set.missing_scopes()
            if missing:
                # Google lets people untick permissions: a half-working sync
                # would fail later with less clear errors. Nothing is stored.
                _logger.info("Google OAuth consent without %s (user %s)", missing, user.id)
                return self._error_page(self._missing_access_message(missing))
            token = token_model._store_tokens(user, token_set, google_email=False)
            google_calendars = token._google_client().list_calendars()
        except errors.GoogleSyncError as exc:
            request.env.cr.rollback()
            _logger.warning(
                "Google OAuth code exchange failed for user %s: %s", user.id, type(exc).__name__
            )
            return self._error_page(
                request.env._(
                    "Google did not accept the sign-in (%(reason)s). Please try again.",
                    reason=getattr(exc, "reason", "") or type(exc).__name__,
                )
            )
        primary = next((cal for cal in google_calendars if cal.get("primary")), None)
        token.google_email = primary.get("id") if primary else False
        calendars = request.env["crm.google.calendar"]._sync_calendar_list(user, google_calendars)
        user._google_sync_apply_default_choices(calendars)
        return request.redirect(SETTINGS_URL)

    def _refused_callback(self, user, pending_state, code, error):
        """The error page for a callback that cannot connect (unknown state,
        another user's, Google's refusal, no code), or None."""
        if pending_state is None:
            _logger.warning(
                "Google OAuth callback with an unknown or used state (user %s)", user.id
            )
            return self._error_page(
                request.env._(
                    "This Google sign-in link is invalid, was already used or has expired. "
                    "Please start the connection again from your preferences."
                )
            )
        if pending_state["uid"] != user.id or pending_state["db"] != request.db:
            _logger.warning("Google OAuth callback for another user or database (user %s)", user.id)
            return self._error_page(
                request.env._(
                    "This Google sign-in was started by another user. Please start again."
                )
            )
        if error:
            if error == "access_denied":
                message = request.env._(
                    "You did not allow access to Google Calendar. Nothing was changed."
                )
            else:
                message = request.env._(
                    "Google reported an error (%(error)s). Nothing was changed.", error=error[:64]
                )
            return self._error_page(message)
        if not code:
            return self._error_page(
                request.env._("Google did not send an authorisation code. Please try again.")
            )
        return None

    # ------------------------------------------------------------------
    def _pending_states(self):
        now = time.time()
        pending = dict(request.session.get(SESSION_KEY) or {})
        return {key: value for key, value in pending.items() if value.get("expires", 0) > now}

    def _pop_state(self, state):
        """Return and consume the pending flow for ``state`` (constant-time compare).

        Anything that cannot be one of our states (not short ASCII) is none.
        """
        if (
            not state
            or not isinstance(state, str)
            or not state.isascii()
            or len(state) > MAX_STATE_LENGTH
        ):
            return None
        pending = self._pending_states()
        match = next((key for key in pending if hmac.compare_digest(key, state)), None)
        found = pending.pop(match, None) if match else None
        request.session[SESSION_KEY] = pending
        return found

    def _missing_access_message(self, missing):
        """What the user refused on Google's consent page, in their words."""
        env = request.env
        labels = {
            oauth.CALENDAR_LIST_SCOPE: env._("see the list of your calendars"),
            oauth.EVENTS_SCOPE: env._("see and edit the events of your calendars"),
            oauth.APP_CALENDARS_SCOPE: env._("create a separate calendar for Odoo"),
        }
        return env._(
            "Google did not grant all the access the synchronisation needs (missing: "
            "%(missing)s). Nothing was changed. Please connect again and leave every "
            "permission ticked.",
            missing=", ".join(labels.get(scope, scope) for scope in missing),
        )

    def _error_page(self, message, status=400):
        return request.render(
            "crm_google_calendar_sync.oauth_message_page",
            {"message": message, "back_url": "/odoo"},
            status=status,
        )
