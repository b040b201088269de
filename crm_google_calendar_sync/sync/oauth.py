"""OAuth 2.0 for Google: authorization code flow with PKCE, refresh, revoke.

Plain http only for loopback endpoints (emulator, tests); see docs/architecture.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .errors import (
    AuthError,
    GoogleApiError,
    GoogleSyncError,
    InvalidGrant,
    TransientError,
    classify,
    from_status,
)

__all__ = [
    "GOOGLE_ENDPOINTS",
    "REFRESH_MARGIN",
    "SCOPES",
    "ClientConfig",
    "OAuthEndpoints",
    "TokenSet",
    "credentials_for",
    "exchange_code",
    "is_loopback_url",
    "needs_refresh",
    "refresh",
    "revoke",
    "start_authorization",
    "token_set_from_credentials",
]

_logger = logging.getLogger(__name__)

# The narrowest Google scopes that cover what the sync does:
# - calendar.calendarlist.readonly: list the user's calendars (to pick sources
#   and the target); the primary calendar's id is the account's email address,
#   so no ``openid``/``email`` scope is needed to show who is connected.
# - calendar.events: read events of the selected source calendars (which may be
#   calendars the user only subscribed to) and write events into the target.
#   ``calendar.events.owned`` would be narrower for writing, but the target may
#   be a shared calendar where the user is "writer" without owning it, and it
#   cannot read subscribed source calendars; adding ``calendar.events.readonly``
#   for those would still not allow writing into a shared target.
# - calendar.app.created: create the separate "CRM" calendar the product
#   recommends (``calendars.insert`` needs it or the full ``calendar`` scope),
#   and manage only calendars this app created.
# The full ``calendar`` scope (manage all calendars, sharing, settings) is not
# requested. ``include_granted_scopes`` is not sent: the token carries exactly
# these scopes, not whatever else the user granted this client before.
CALENDAR_LIST_SCOPE = "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
EVENTS_SCOPE = "https://www.googleapis.com/auth/calendar.events"
APP_CALENDARS_SCOPE = "https://www.googleapis.com/auth/calendar.app.created"
SCOPES: tuple[str, ...] = (CALENDAR_LIST_SCOPE, EVENTS_SCOPE, APP_CALENDARS_SCOPE)

# Refresh an access token when less than this is left, so a token never
# expires in the middle of a sync cycle.
REFRESH_MARGIN = dt.timedelta(minutes=5)

_INSECURE_VAR = "OAUTHLIB_INSECURE_TRANSPORT"
_env_lock = threading.RLock()
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback_url(url: str) -> bool:
    """True when ``url``'s host is a loopback name or address (127.0.0.0/8, ::1)."""
    host = (urlsplit(url).hostname or "").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(url: str, what: str) -> None:
    parts = urlsplit(url or "")
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and is_loopback_url(url):
        return
    if parts.scheme == "http":
        raise ValueError(f"{what} must use https (plain http is allowed for loopback only)")
    raise ValueError(f"{what} is not an http(s) URL")


@dataclass(frozen=True)
class OAuthEndpoints:
    auth_uri: str
    token_uri: str
    revoke_uri: str

    def __post_init__(self):
        _check_url(self.auth_uri, "auth_uri")
        _check_url(self.token_uri, "token_uri")
        _check_url(self.revoke_uri, "revoke_uri")


GOOGLE_ENDPOINTS = OAuthEndpoints(
    auth_uri="https://accounts.google.com/o/oauth2/auth",
    token_uri="https://oauth2.googleapis.com/token",
    revoke_uri="https://oauth2.googleapis.com/revoke",
)


@dataclass(frozen=True)
class ClientConfig:
    client_id: str
    client_secret: str = field(repr=False)
    endpoints: OAuthEndpoints = GOOGLE_ENDPOINTS

    def __post_init__(self):
        if not self.client_id or not self.client_secret:
            raise ValueError("client_id and client_secret are required")

    def as_flow_config(self) -> dict:
        """The "web" client config format google-auth-oauthlib expects."""
        return {
            "web": {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "auth_uri": self.endpoints.auth_uri,
                "token_uri": self.endpoints.token_uri,
            }
        }


@dataclass(frozen=True)
class TokenSet:
    """Tokens of one user. ``expiry`` is a naive UTC datetime like google-auth's."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expiry: dt.datetime | None
    scopes: list[str] = field(default_factory=list)
    token_type: str = "Bearer"

    def missing_scopes(self, required: Iterable[str] = SCOPES) -> list[str]:
        """Required scopes the user did not grant (Google lets users untick scopes)."""
        granted = set(self.scopes)
        return [scope for scope in required if scope not in granted]


@contextlib.contextmanager
def _transport_allowed(*urls: str):
    """Let oauthlib use plain http for these URLs when (and only when) all are loopback."""
    for url in urls:
        _check_url(url, "endpoint")
    if all(urlsplit(url).scheme == "https" for url in urls):
        yield
        return
    # Loopback http only (validated above). The variable is process wide: hold
    # the lock for the whole call so concurrent calls of ours cannot unset it
    # under each other, and restore whatever value was there before.
    with _env_lock:
        previous = os.environ.get(_INSECURE_VAR)
        os.environ[_INSECURE_VAR] = "1"
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop(_INSECURE_VAR, None)
            else:
                os.environ[_INSECURE_VAR] = previous


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _new_flow(config: ClientConfig, redirect_uri: str, scopes: Sequence[str]):
    from google_auth_oauthlib.flow import Flow

    return Flow.from_client_config(
        config.as_flow_config(), scopes=list(scopes), redirect_uri=redirect_uri
    )


def start_authorization(
    config: ClientConfig,
    redirect_uri: str,
    state: str,
    *,
    login_hint: str | None = None,
    scopes: Sequence[str] = SCOPES,
) -> tuple[str, str]:
    """Authorization URL and PKCE code verifier for a new consent.

    ``state`` is the caller's CSRF nonce; the caller stores the returned code
    verifier with it, because the callback builds a new flow.
    ``access_type=offline`` + ``prompt=consent`` always yield a refresh token.
    """
    if not state:
        raise ValueError("state is required (CSRF protection)")
    flow = _new_flow(config, redirect_uri, scopes)
    extra = {"login_hint": login_hint} if login_hint else {}
    with _transport_allowed(config.endpoints.auth_uri):
        url, _state = flow.authorization_url(
            access_type="offline", prompt="consent", state=state, **extra
        )
    # Flow generated a random 128 character verifier and put its S256
    # challenge into the URL.
    return url, flow.code_verifier


def _token_set_from_response(token: dict, requested: Sequence[str]) -> TokenSet:
    expires_in = token.get("expires_in")
    expiry = None
    if expires_in is not None:
        expiry = _utcnow() + dt.timedelta(seconds=float(expires_in))
    scope = token.get("scope")
    if isinstance(scope, str):
        scopes = scope.split()
    elif scope:
        scopes = list(scope)
    else:
        # RFC 6749 3.3: no "scope" in the answer means exactly what was asked.
        scopes = list(requested)
    return TokenSet(
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token"),
        expiry=expiry,
        scopes=scopes,
        token_type=token.get("token_type") or "Bearer",
    )


def _raise_for_server_errors(response):
    # Compliance hook: requests-oauthlib parses any body as a token answer and
    # would report a 503 page as "missing token"; tell transient failures apart.
    if response.status_code == 429 or response.status_code >= 500:
        raise from_status(response.status_code, None, "token endpoint unavailable")
    return response


def exchange_code(
    config: ClientConfig,
    redirect_uri: str,
    code: str,
    code_verifier: str,
    timeout: float = 30,
    *,
    scopes: Sequence[str] = SCOPES,
) -> TokenSet:
    """Exchange an authorization code (+ PKCE verifier) for tokens.

    Raises :class:`InvalidGrant` for a bad/used code or wrong verifier,
    :class:`InvalidClient` for a wrong client secret, :class:`TransientError`
    for network failures and 5xx, :class:`AuthError` for anything else.
    Granted scopes may be fewer than requested (the user can untick them):
    check :meth:`TokenSet.missing_scopes`.
    """
    if not code:
        raise InvalidGrant(400, "invalid_grant", "no authorization code")
    flow = _new_flow(config, redirect_uri, scopes)
    flow.oauth2session.register_compliance_hook("access_token_response", _raise_for_server_errors)
    try:
        with _transport_allowed(config.endpoints.token_uri):
            try:
                token = flow.fetch_token(
                    code=code,
                    code_verifier=code_verifier,
                    timeout=timeout,
                    # client_secret_post, as in Google's documentation.
                    include_client_id=True,
                )
            except Warning as changed:
                # oauthlib raises when the granted scopes differ from the
                # requested ones; that is legal (granular consent), keep the
                # token and report the granted scopes.
                token = getattr(changed, "token", None)
                if token is None:
                    raise
    except GoogleSyncError:
        raise
    except Exception as exc:
        error = classify(exc)
        if error is None:
            raise
        raise error from None  # the original may echo request details
    token_set = _token_set_from_response(dict(token), scopes)
    if not token_set.refresh_token:
        # We always ask with access_type=offline and prompt=consent; without a
        # refresh token the background sync could not run.
        raise AuthError(None, "no_refresh_token", "Google returned no refresh token")
    return token_set


class _TimeoutRequest:
    """google-auth transport request whose every call carries our timeout."""

    def __init__(self, session, timeout: float):
        from google.auth.transport.requests import Request

        self._request = Request(session)
        self._timeout = timeout

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        return self._request(
            url,
            method=method,
            body=body,
            headers=headers,
            timeout=self._timeout if timeout is None else min(timeout, self._timeout),
            **kwargs,
        )


def credentials_for(config: ClientConfig, token_set: TokenSet):
    """google-auth ``Credentials`` for the API client (refreshes itself on 401).

    Scopes are passed as *granted* scopes only: giving ``scopes`` would make
    google-auth send them on refresh and fail if any was not granted.
    """
    from google.oauth2.credentials import Credentials

    _check_url(config.endpoints.token_uri, "token_uri")
    return Credentials(
        token=token_set.access_token,
        refresh_token=token_set.refresh_token,
        token_uri=config.endpoints.token_uri,
        client_id=config.client_id,
        client_secret=config.client_secret,
        granted_scopes=list(token_set.scopes) or None,
        expiry=token_set.expiry,
    )


def token_set_from_credentials(credentials, previous: TokenSet | None = None) -> TokenSet:
    """Current tokens of ``credentials`` (after the client refreshed them) to store."""
    scopes = list(credentials.granted_scopes or (previous.scopes if previous else []))
    return TokenSet(
        access_token=credentials.token,
        refresh_token=credentials.refresh_token or (previous.refresh_token if previous else None),
        expiry=credentials.expiry,
        scopes=scopes,
        token_type=previous.token_type if previous else "Bearer",
    )


def refresh(
    config: ClientConfig,
    refresh_token: str,
    timeout: float = 30,
    *,
    scopes: Sequence[str] | None = None,
) -> TokenSet:
    """A new access token for ``refresh_token``.

    ``scopes`` are the previously granted scopes, carried into the result
    (Google's refresh answer is not exposed by google-auth). Raises
    :class:`InvalidGrant` when the refresh token was revoked or expired.
    Note: google-auth itself retries 5xx/429 from the token endpoint up to
    3 times with short sleeps before giving up.
    """
    import requests
    from google.oauth2.credentials import Credentials

    if not refresh_token:
        raise InvalidGrant(None, "invalid_grant", "no refresh token")
    _check_url(config.endpoints.token_uri, "token_uri")
    credentials = Credentials(
        token=None,
        refresh_token=refresh_token,
        token_uri=config.endpoints.token_uri,
        client_id=config.client_id,
        client_secret=config.client_secret,
        granted_scopes=list(scopes) if scopes else None,
    )
    with requests.Session() as session:
        try:
            credentials.refresh(_TimeoutRequest(session, timeout))
        except Exception as exc:
            error = classify(exc)
            if error is None:
                raise
            raise error from None
    previous = TokenSet("", refresh_token, None, list(scopes or []))
    return token_set_from_credentials(credentials, previous)


def needs_refresh(
    token_set: TokenSet | None,
    *,
    margin: dt.timedelta = REFRESH_MARGIN,
    now: dt.datetime | None = None,
) -> bool:
    """True when there is no usable access token or it expires within ``margin``."""
    if token_set is None or not token_set.access_token:
        return True
    if token_set.expiry is None:
        return False
    now = now or _utcnow()
    expiry = token_set.expiry
    if expiry.tzinfo is not None:
        expiry = expiry.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return expiry - now < margin


def revoke(config: ClientConfig, token: str, timeout: float = 30) -> bool:
    """Revoke ``token`` (refresh token preferred: it revokes the whole grant).

    True when Google revoked it, False when Google says it is already invalid
    (400 ``invalid_token``). Raises :class:`TransientError` when the endpoint
    cannot be reached or fails with 5xx: the caller logs that and deletes its
    local tokens anyway. Other answers raise :class:`AuthError`.
    """
    import requests

    _check_url(config.endpoints.revoke_uri, "revoke_uri")
    if not token:
        return False
    try:
        response = requests.post(
            config.endpoints.revoke_uri,
            data={"token": token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        error = classify(exc) or TransientError(None, "connection", type(exc).__name__)
        raise error from None
    if response.status_code == 200:
        return True
    error = classify(response)
    if response.status_code == 400 and error.reason in ("invalid_token", "invalid_request"):
        # Already revoked or expired: the goal (token unusable) is reached.
        return False
    if isinstance(error, GoogleApiError) and error.retryable:
        raise error
    raise AuthError(response.status_code, error.reason, error.message)
