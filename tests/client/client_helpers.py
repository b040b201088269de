"""Helpers of the client suite (constants, emulator start, consent as a browser)."""

from __future__ import annotations

import datetime as dt
import html.parser
import socket
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from crm_google_calendar_sync.sync import oauth
from crm_google_calendar_sync.sync.errors import AlreadyDeleted, NotFound
from crm_google_calendar_sync.sync.retry import RetryPolicy

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
ALICE = "alice@example.com"
REDIRECT_URI = "http://localhost:8069/crm_google_calendar_sync/oauth2callback"


class RecordingSleep:
    """Stands in for ``time.sleep``: records the waits, sleeps ``scale`` of them."""

    def __init__(self, scale: float = 0.0):
        self.calls: list[float] = []
        self.scale = scale

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.scale:
            import time

            time.sleep(seconds * self.scale)


def start_server(**kwargs):
    from google_calendar_emulator import EmulatorServer

    options = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "host": "127.0.0.1",
        "port": 0,
        "token_lifetime": 3600,
        "auto_approve": False,
    }
    options.update(kwargs)
    server = EmulatorServer(**options)
    server.start()
    return server


def config_for(srv) -> oauth.ClientConfig:
    base = srv.base_url
    return oauth.ClientConfig(
        CLIENT_ID,
        CLIENT_SECRET,
        oauth.OAuthEndpoints(
            auth_uri=base + "o/oauth2/auth", token_uri=base + "token", revoke_uri=base + "revoke"
        ),
    )


def token_set_from_issue(tokens: dict) -> oauth.TokenSet:
    return oauth.TokenSet(
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        expiry=oauth._utcnow() + dt.timedelta(seconds=int(tokens.get("expires_in", 3600))),
        scopes=list(oauth.SCOPES),
    )


FAST_POLICY = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=4.0, jitter=False)


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (connection refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/"


# --------------------------------------------------------------------- consent


class _FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "fields": [], "buttons": []})
        elif self.forms and tag in ("input", "button"):
            kind = (attrs.get("type") or ("submit" if tag == "button" else "text")).lower()
            entry = (attrs.get("name"), attrs.get("value") or "")
            if kind == "submit":
                self.forms[-1]["buttons"].append(entry)
            elif attrs.get("name"):
                self.forms[-1]["fields"].append(entry)


def follow_consent(authorization_url: str, *, approve: bool = True, email: str = ALICE) -> dict:
    """Act as the user's browser: open the consent page, approve, return the callback query.

    Handles both an auto-approving emulator (direct redirect) and a consent form.
    """
    session = requests.Session()
    response = session.get(authorization_url, allow_redirects=False, timeout=10)
    if response.status_code == 200:
        parser = _FormParser()
        parser.feed(response.text)
        assert parser.forms, "consent page has no form"
        form = parser.forms[0]
        data = dict(form["fields"])
        if "email" in data and not data["email"]:
            data["email"] = email  # the account chooser, when no login_hint was given
        wanted = (
            ("allow", "approve", "accept", "yes", "consent")
            if approve
            else ("deny", "cancel", "no", "reject")
        )
        button = next(
            (b for b in form["buttons"] if any(w in f"{b[0]} {b[1]}".lower() for w in wanted)),
            form["buttons"][0] if form["buttons"] and approve else None,
        )
        if button and button[0]:
            data[button[0]] = button[1]
        action = urljoin(response.url, form["action"] or response.url)
        response = session.post(action, data=data, allow_redirects=False, timeout=10)
    assert response.status_code in (302, 303), response.status_code
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def list_events(client, calendar_id: str, **kwargs) -> tuple[list[dict], str | None]:
    """All events of ``client.iter_event_pages`` and the final sync token."""
    items: list[dict] = []
    token = None
    for page in client.iter_event_pages(calendar_id, **kwargs):
        items.extend(page.items)
        token = page.next_sync_token or token
    return items, token


def delete_calendar(client, calendar_id: str) -> bool:
    """Delete a secondary calendar; False when it does not exist (any more)."""
    try:
        client._call(
            lambda: client.service.calendars().delete(calendarId=calendar_id),
            operation="delete",
        )
    except (NotFound, AlreadyDeleted):
        return False
    return True


def get_calendar(client, calendar_id: str) -> dict:
    """The calendar list entry (``"primary"`` works: its id is the account email)."""
    return client._call(
        lambda: client.service.calendarList().get(calendarId=calendar_id), operation="get"
    )
