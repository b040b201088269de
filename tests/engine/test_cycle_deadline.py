"""A cycle and its deadline: the cron checks the deadline before it starts a user
and counts a started user as visited, so a cycle whose deadline passed in the
moments since (the user's lock, his token) still lists his first calendar; it
starts no further calendar and no push after the deadline."""

import time
from datetime import datetime, timedelta

from memory_store import MemoryStore

from crm_google_calendar_sync.sync import oauth
from crm_google_calendar_sync.sync.engine import UserSync
from crm_google_calendar_sync.sync.google_client import GoogleCalendarClient
from crm_google_calendar_sync.sync.port import CalendarState, SyncSettings

EMAIL = "deadline@example.com"


class TwoCalendars(MemoryStore):
    """The user's calendar, and the same Google calendar once more as a second
    source: two lists per complete cycle."""

    def calendars(self):
        return [self.calendar, CalendarState(key=2, google_id=EMAIL, is_source=True)]


def lists_of_a_cycle(emulator, deadline):
    emulator.add_account(EMAIL)
    urls = [emulator.base_url + path for path in ("o/oauth2/auth", "token", "revoke")]
    issued = emulator.issue_tokens(EMAIL, scopes=list(oauth.SCOPES))
    credentials = oauth.credentials_for(
        oauth.ClientConfig("test-client-id", "test-client-secret", oauth.OAuthEndpoints(*urls)),
        oauth.TokenSet(issued["access_token"], issued["refresh_token"], None, list(oauth.SCOPES)),
    )
    client = GoogleCalendarClient(credentials, emulator.base_url, timeout=10)
    settings = SyncSettings(
        "Europe/Berlin", EMAIL, False, datetime.utcnow() - timedelta(days=30), "key", deadline
    )
    report = UserSync(client, TwoCalendars(EMAIL), settings).run()
    return [r.api_call for r in emulator.requests if r.api_call == "events.list"], report


def test_a_started_cycle_lists_its_first_calendar_after_the_deadline(emulator):
    lists, report = lists_of_a_cycle(emulator, deadline=time.monotonic() - 1)
    assert lists == ["events.list"]
    assert report.incomplete


def test_a_cycle_in_time_lists_every_calendar(emulator):
    lists, report = lists_of_a_cycle(emulator, deadline=time.monotonic() + 60)
    assert lists == ["events.list", "events.list"]
    assert not report.incomplete
