"""Helpers for the emulator suite: real google-api-python-client services on the emulator."""

import warnings

warnings.filterwarnings("ignore", category=FutureWarning)

from google.oauth2.credentials import Credentials  # noqa: E402
from googleapiclient.discovery import build  # noqa: E402
from googleapiclient.http import BatchHttpRequest  # noqa: E402

ALICE = "alice@example.com"
BOB = "bob@example.com"


def make_service(server, access_token, refresh_token=None):
    creds = Credentials(
        access_token,
        refresh_token=refresh_token,
        token_uri=server.base_url + "token",
        client_id=server.client_id,
        client_secret=server.client_secret,
    )
    return build(
        "calendar",
        "v3",
        credentials=creds,
        static_discovery=True,
        client_options={"api_endpoint": server.base_url + "calendar/v3/"},
        cache_discovery=False,
    )


def new_batch(server, results):
    def callback(request_id, response, exception):
        results[request_id] = (response, exception)

    return BatchHttpRequest(callback=callback, batch_uri=server.base_url + "batch/calendar/v3")


def timed(
    summary="Meeting", start="2030-01-07T10:00:00+01:00", end="2030-01-07T11:00:00+01:00", **extra
):
    body = {"summary": summary, "start": {"dateTime": start}, "end": {"dateTime": end}}
    body.update(extra)
    return body


def service_for(server, email=ALICE, scopes=None):
    """A calendar service for `email` (account created if needed)."""
    tokens = server.issue_tokens(email, scopes=scopes)
    return make_service(server, tokens["access_token"], tokens["refresh_token"])
