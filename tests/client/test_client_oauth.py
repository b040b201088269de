"""OAuth helpers against the emulator's authorize/token/revoke endpoints."""

from __future__ import annotations

import datetime as dt
import os
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from client_helpers import (
    ALICE,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    closed_port_url,
    config_for,
    follow_consent,
    get_calendar,
    token_set_from_issue,
)

from crm_google_calendar_sync.sync import oauth
from crm_google_calendar_sync.sync.errors import (
    AuthError,
    InvalidClient,
    InvalidGrant,
    TransientError,
)
from crm_google_calendar_sync.sync.google_client import GoogleCalendarClient
from crm_google_calendar_sync.sync.retry import RetryBudget

SECRET_FRAGMENTS = (CLIENT_SECRET,)


def _query(url: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def _connect(srv, *, state="csrf-nonce-1", login_hint=ALICE):
    config = config_for(srv)
    url, verifier = oauth.start_authorization(config, REDIRECT_URI, state, login_hint=login_hint)
    callback = follow_consent(url)
    return config, verifier, callback


def test_authorization_url_parameters(config):
    url, verifier = oauth.start_authorization(config, REDIRECT_URI, "state-123", login_hint=ALICE)
    query = _query(url)
    assert url.startswith(config.endpoints.auth_uri + "?")
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == REDIRECT_URI
    assert query["state"] == "state-123"
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"
    assert query["code_challenge_method"] == "S256"
    assert query["login_hint"] == ALICE
    assert "include_granted_scopes" not in query
    assert query["scope"].split() == list(oauth.SCOPES)
    assert 43 <= len(verifier) <= 128
    assert verifier not in url
    assert CLIENT_SECRET not in url
    # a new verifier per authorization
    assert oauth.start_authorization(config, REDIRECT_URI, "state-123")[1] != verifier


def test_state_is_required(config):
    with pytest.raises(ValueError):
        oauth.start_authorization(config, REDIRECT_URI, "")


@pytest.mark.parametrize("approving", ["form", "auto"])
def test_full_flow_with_pkce(request, approving):
    srv = request.getfixturevalue("server" if approving == "form" else "auto_server")
    srv.add_account(ALICE)
    config, verifier, callback = _connect(srv)
    assert callback["state"] == "csrf-nonce-1"
    tokens = oauth.exchange_code(config, REDIRECT_URI, callback["code"], verifier, timeout=5)
    assert tokens.access_token and tokens.refresh_token
    assert tokens.token_type.lower() == "bearer"
    assert set(tokens.scopes) == set(oauth.SCOPES)
    assert tokens.missing_scopes() == []
    assert tokens.expiry.tzinfo is None
    now = dt.datetime.utcnow()
    assert now + dt.timedelta(minutes=50) < tokens.expiry < now + dt.timedelta(minutes=61)
    assert "access_token" not in repr(tokens) and tokens.access_token not in repr(tokens)
    assert tokens.refresh_token not in repr(tokens)
    assert CLIENT_SECRET not in repr(config)
    # the token works against the API, and the primary calendar id is the email
    client = GoogleCalendarClient(oauth.credentials_for(config, tokens), srv.base_url, timeout=5)
    assert get_calendar(client, "primary")["id"] == ALICE
    # the environment is left as it was
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ


def test_code_is_single_use(server):
    server.add_account(ALICE)
    config, verifier, callback = _connect(server)
    oauth.exchange_code(config, REDIRECT_URI, callback["code"], verifier, timeout=5)
    with pytest.raises(InvalidGrant):
        oauth.exchange_code(config, REDIRECT_URI, callback["code"], verifier, timeout=5)


def test_wrong_verifier_is_invalid_grant(server):
    server.add_account(ALICE)
    config, verifier, callback = _connect(server)
    wrong = ("x" if verifier[0] != "x" else "y") + verifier[1:]
    with pytest.raises(InvalidGrant) as caught:
        oauth.exchange_code(config, REDIRECT_URI, callback["code"], wrong, timeout=5)
    text = str(caught.value)
    assert callback["code"] not in text and wrong not in text and CLIENT_SECRET not in text
    # the code was not consumed by... either way the right verifier must not leak either
    assert verifier not in text


def test_wrong_client_secret(server):
    server.add_account(ALICE)
    _config, verifier, callback = _connect(server)
    bad = oauth.ClientConfig(CLIENT_ID, "not-the-secret", config_for(server).endpoints)
    with pytest.raises((InvalidClient, AuthError)) as caught:
        oauth.exchange_code(bad, REDIRECT_URI, callback["code"], verifier, timeout=5)
    assert "not-the-secret" not in str(caught.value)


def test_exchange_unreachable_token_endpoint():
    base = closed_port_url()
    config = oauth.ClientConfig(
        CLIENT_ID, CLIENT_SECRET, oauth.OAuthEndpoints(base + "auth", base + "token", base + "r")
    )
    with pytest.raises(TransientError):
        oauth.exchange_code(config, REDIRECT_URI, "some-code", "v" * 64, timeout=2)


def test_refresh(server, config, alice):
    fresh = oauth.refresh(config, alice.refresh_token, timeout=5, scopes=alice.scopes)
    assert fresh.access_token and fresh.access_token != alice.access_token
    assert fresh.refresh_token == alice.refresh_token
    assert fresh.scopes == alice.scopes
    assert fresh.expiry > dt.datetime.utcnow() + dt.timedelta(minutes=50)
    assert not oauth.needs_refresh(fresh)
    # the new access token is accepted by the API
    client = GoogleCalendarClient(oauth.credentials_for(config, fresh), server.base_url)
    assert any(c["id"] == ALICE for c in client.list_calendars())


def test_invalid_grant_after_revoke(server, config, alice, make_client):
    server.revoke_all(ALICE)
    with pytest.raises(InvalidGrant) as caught:
        oauth.refresh(config, alice.refresh_token, timeout=5)
    assert alice.refresh_token not in str(caught.value)
    # a client whose token expired surfaces the same error class
    expired = oauth.TokenSet(
        alice.access_token, alice.refresh_token, dt.datetime.utcnow() - dt.timedelta(hours=1)
    )
    client = make_client(token_set=expired)
    with pytest.raises(InvalidGrant):
        client.list_calendars()


def test_unknown_refresh_token_is_invalid_grant(config, alice):
    with pytest.raises(InvalidGrant):
        oauth.refresh(config, "1//not-a-real-refresh-token", timeout=5)


def test_expired_token_is_refreshed_by_the_client(server, config, alice, make_client):
    expired = oauth.TokenSet(
        "stale-access-token", alice.refresh_token, dt.datetime.utcnow() - dt.timedelta(minutes=1)
    )
    client = make_client(token_set=expired)
    server.reset_requests()
    calendars = client.list_calendars()
    assert any(c["id"] == ALICE for c in calendars)
    paths = [r.path for r in server.requests]
    assert any(p.endswith("/token") for p in paths)
    assert client.credentials.token != "stale-access-token"
    stored = oauth.token_set_from_credentials(client.credentials, expired)
    assert stored.refresh_token == alice.refresh_token
    assert not oauth.needs_refresh(stored)


def test_rejected_token_is_refreshed_on_401(server, config, alice, make_client):
    # Expiry says valid, but Google rejects the token (e.g. revoked access token):
    # AuthorizedHttp refreshes once on 401 and repeats the request.
    unknown = oauth.TokenSet(
        "unknown-access-token", alice.refresh_token, dt.datetime.utcnow() + dt.timedelta(hours=1)
    )
    client = make_client(token_set=unknown)
    server.reset_requests()
    assert client.list_calendars()
    statuses = [(r.path, r.status) for r in server.requests]
    assert any(status == 401 for _path, status in statuses)
    assert client.credentials.token != "unknown-access-token"


def test_needs_refresh():
    now = dt.datetime(2024, 1, 1, 12, 0)

    def token(minutes):
        return oauth.TokenSet("a", "r", now + dt.timedelta(minutes=minutes))

    assert oauth.needs_refresh(token(4), now=now)
    assert not oauth.needs_refresh(token(6), now=now)
    assert oauth.needs_refresh(token(-1), now=now)
    assert oauth.needs_refresh(None)
    assert oauth.needs_refresh(oauth.TokenSet("", "r", None))
    aware = oauth.TokenSet(
        "a", "r", (now + dt.timedelta(minutes=10)).replace(tzinfo=dt.timezone.utc)
    )
    assert not oauth.needs_refresh(aware, now=now)


def test_revoke(server, config, alice):
    assert oauth.revoke(config, alice.refresh_token, timeout=5) is True
    with pytest.raises(InvalidGrant):
        oauth.refresh(config, alice.refresh_token, timeout=5)
    # already revoked: nothing to do, not an error
    assert oauth.revoke(config, alice.refresh_token, timeout=5) is False


def test_revoke_unreachable_endpoint(config, alice):
    base = closed_port_url()
    unreachable = oauth.ClientConfig(
        CLIENT_ID,
        CLIENT_SECRET,
        oauth.OAuthEndpoints(
            config.endpoints.auth_uri, config.endpoints.token_uri, base + "revoke"
        ),
    )
    with pytest.raises(TransientError) as caught:
        oauth.revoke(unreachable, alice.refresh_token, timeout=2)
    assert alice.refresh_token not in str(caught.value)


# ----------------------------------------------------------- transport rules


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/token",
        "http://localhost/token",
        "http://[::1]:9/token",
        "http://127.1.2.3/token",
        "https://oauth2.googleapis.com/token",
    ],
)
def test_allowed_endpoints(url):
    oauth.OAuthEndpoints(url, url, url)


@pytest.mark.parametrize(
    "url",
    [
        "http://oauth2.googleapis.com/token",
        "http://10.0.0.1/token",
        "http://example.com/",
        "http://localhost.example.com/",
        "ftp://localhost/",
        "token",
        "",
    ],
)
def test_rejected_endpoints(url):
    good = "https://oauth2.googleapis.com/token"
    with pytest.raises(ValueError):
        oauth.OAuthEndpoints(url, good, good)
    with pytest.raises(ValueError):
        oauth.OAuthEndpoints(good, good, url)


def test_google_endpoints_are_defaults():
    config = oauth.ClientConfig("id", "secret")
    assert config.endpoints.auth_uri == "https://accounts.google.com/o/oauth2/auth"
    assert config.endpoints.token_uri == "https://oauth2.googleapis.com/token"
    assert config.endpoints.revoke_uri == "https://oauth2.googleapis.com/revoke"
    url, _verifier = oauth.start_authorization(config, "https://odoo.example.com/cb", "s")
    assert url.startswith("https://accounts.google.com/o/oauth2/auth?")


def test_insecure_transport_only_inside_loopback_calls(config):
    from oauthlib.oauth2.rfc6749.errors import InsecureTransportError
    from oauthlib.oauth2.rfc6749.utils import is_secure_transport

    # The autouse fixture removed the variable: oauthlib alone refuses the
    # emulator's plain-http endpoint...
    with pytest.raises(InsecureTransportError):
        from requests_oauthlib import OAuth2Session

        OAuth2Session(CLIENT_ID, redirect_uri=REDIRECT_URI).authorization_url(
            config.endpoints.auth_uri
        )
    # ... our helper allows it for loopback only, and only during the call
    seen = []
    with oauth._transport_allowed(config.endpoints.auth_uri):
        seen.append(is_secure_transport("http://example.com/"))
    assert seen == [True]
    assert not is_secure_transport("http://example.com/")
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ
    with pytest.raises(ValueError), oauth._transport_allowed("http://example.com/token"):
        pass
    # https endpoints never touch the variable
    with oauth._transport_allowed("https://oauth2.googleapis.com/token"):
        assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ


def test_insecure_transport_restores_previous_value(config, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "keep-me")
    oauth.start_authorization(config, REDIRECT_URI, "s")
    assert os.environ["OAUTHLIB_INSECURE_TRANSPORT"] == "keep-me"


def test_concurrent_loopback_calls_keep_environment_consistent(config):
    errors = []

    def work():
        try:
            for _ in range(20):
                oauth.start_authorization(config, REDIRECT_URI, "s")
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ


def test_issue_tokens_helper_round_trip(server, config):
    server.add_account(ALICE)
    tokens = token_set_from_issue(server.issue_tokens(ALICE))
    client = GoogleCalendarClient(
        oauth.credentials_for(config, tokens), server.base_url, budget=RetryBudget(0)
    )
    assert get_calendar(client, ALICE)["accessRole"] == "owner"


def test_changed_scopes_are_accepted_and_reported(server):
    # The user may grant other scopes than asked (Google's granular consent);
    # oauthlib raises a Warning for that, we keep the token and report them.
    server.add_account(ALICE)
    config = config_for(server)
    asked = (*oauth.SCOPES, "email")
    url, verifier = oauth.start_authorization(config, REDIRECT_URI, "s", scopes=asked)
    callback = follow_consent(url)
    tokens = oauth.exchange_code(config, REDIRECT_URI, callback["code"], verifier, timeout=5)
    assert set(tokens.scopes) == set(asked)
    assert tokens.missing_scopes() == []


def test_missing_scopes():
    partial = oauth.TokenSet("a", "r", None, scopes=[oauth.SCOPES[0]])
    assert partial.missing_scopes() == list(oauth.SCOPES[1:])


def test_denied_consent_returns_error_to_callback(server):
    server.add_account(ALICE)
    url, _verifier = oauth.start_authorization(config_for(server), REDIRECT_URI, "s")
    callback = follow_consent(url, approve=False)
    assert callback == {"error": "access_denied", "state": "s"}


def test_exchange_with_token_endpoint_down_is_transient(server):
    server.add_account(ALICE)
    config, verifier, callback = _connect(server)
    server.faults.add("503", path="^/token$", times=1)
    with pytest.raises(TransientError) as caught:
        oauth.exchange_code(config, REDIRECT_URI, callback["code"], verifier, timeout=5)
    assert caught.value.status == 503
    assert callback["code"] not in str(caught.value)


def test_revoke_with_endpoint_failing_is_transient(server, config, alice):
    server.faults.add("500", path="^/revoke$", times=1)
    with pytest.raises(TransientError):
        oauth.revoke(config, alice.refresh_token, timeout=5)
    # the caller may try again later; the token still works until then
    assert oauth.refresh(config, alice.refresh_token, timeout=5).access_token
    assert oauth.revoke(config, alice.refresh_token, timeout=5) is True
