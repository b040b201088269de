"""Fixtures of the client suite: a fresh emulator per test, OAuth config, clients.

Everything talks HTTP to the real emulator; only ``sleep`` is replaced (by a
recorder) so retry waits are asserted without making the suite slow.
"""

from __future__ import annotations

import pytest
from client_helpers import (
    ALICE,
    FAST_POLICY,
    RecordingSleep,
    config_for,
    start_server,
    token_set_from_issue,
)

from crm_google_calendar_sync.sync import oauth
from crm_google_calendar_sync.sync.google_client import GoogleCalendarClient
from crm_google_calendar_sync.sync.retry import RetryBudget


@pytest.fixture(autouse=True)
def production_like_oauthlib_env(monkeypatch):
    """Run every client test without OAUTHLIB_INSECURE_TRANSPORT, as in production.

    Other suites may set it process wide; monkeypatch restores it afterwards.
    """
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)


@pytest.fixture
def server():
    srv = start_server()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def auto_server():
    srv = start_server(auto_approve=True)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def config(server):
    return config_for(server)


@pytest.fixture
def alice(server) -> oauth.TokenSet:
    server.add_account(ALICE)
    # exactly the scopes the addon asks for: every call below must work with them
    return token_set_from_issue(server.issue_tokens(ALICE, scopes=list(oauth.SCOPES)))


@pytest.fixture
def sleeper():
    return RecordingSleep()


@pytest.fixture
def make_client(server, config, alice, sleeper):
    clients = []

    def make(*, token_set=None, budget_seconds=60.0, policy=FAST_POLICY, timeout=5.0, **kw):
        credentials = oauth.credentials_for(config, token_set or alice)
        client = GoogleCalendarClient(
            credentials,
            server.base_url,
            timeout=timeout,
            retry_policy=policy,
            budget=RetryBudget(budget_seconds, sleep=sleeper),
            **kw,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client):
    return make_client()
