"""The pages a person sees: a sign-in page in the browser's language with the scopes in
words, and an index that shows what reached each account's calendars."""

import re
import urllib.parse

import requests

from google_calendar_emulator.seed import seed_meetings

REDIRECT = "http://127.0.0.1:9/callback"
PREFIX = "https://www.googleapis.com/auth/"
ODOO_SCOPES = (
    PREFIX + "calendar.calendarlist.readonly",
    PREFIX + "calendar.events",
    PREFIX + "calendar.app.created",
)


def authorize_url(server, scopes=ODOO_SCOPES, **extra):
    query = {
        "client_id": server.client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": " ".join(scopes),
        "state": "s1",
        **extra,
    }
    return server.base_url + "o/oauth2/auth?" + urllib.parse.urlencode(query)


def consent_page(server, language=None, **extra):
    headers = {"Accept-Language": language} if language else {}
    answer = requests.get(authorize_url(server, **extra), headers=headers, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_consent_page_looks_like_a_sign_in_page(emulator):
    emulator.add_account("anna@example.com")
    page = consent_page(emulator, "en-US,en;q=0.9")
    assert '<html lang="en">' in page
    assert "<style>" in page and "Sign in with Google" in page
    assert f"<b>{emulator.client_id}</b> wants to access your Google Account" in page
    # Known accounts to pick, and the fields a browser tour or a person fills in.
    assert 'data-email="anna@example.com"' in page
    for element in ('id="email"', 'id="approve"', 'id="deny"', 'name="request_id"'):
        assert element in page
    assert ">Allow</button>" in page and "Cancel" in page


def test_consent_page_shows_scopes_in_words(emulator):
    page = consent_page(emulator, "en")
    assert "See the list of Google calendars you’re subscribed to" in page
    assert "View and edit events on all your calendars" in page
    assert "Make secondary Google calendars" in page
    # The form's checkboxes carry the scopes; what the page shows are words.
    visible = re.sub(r"<[^>]*>", "", page)
    assert PREFIX not in visible, "no raw scope URLs where words exist"


def test_consent_page_speaks_german_when_the_browser_asks(emulator):
    page = consent_page(emulator, "de-DE,de;q=0.9,en;q=0.8")
    assert '<html lang="de">' in page
    assert "Über Google anmelden" in page
    assert "möchte auf Ihr Google-Konto zugreifen" in page
    assert "Termine in allen Ihren Kalendern ansehen und bearbeiten" in page
    assert ">Zulassen</button>" in page and "Abbrechen" in page
    # English first wins; no header means English.
    assert "Sign in with Google" in consent_page(emulator, "en-GB,de;q=0.5")
    assert "Sign in with Google" in consent_page(emulator)


def test_consent_page_escapes_what_the_request_brings(emulator):
    page = consent_page(emulator, login_hint='"><script>alert(1)</script>')
    assert "<script>alert(1)" not in page
    assert "&quot;&gt;&lt;script&gt;" in page


def test_error_page_is_styled_and_german(emulator):
    answer = requests.get(
        authorize_url(emulator, response_type="token"),
        headers={"Accept-Language": "de"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert "Zugriff blockiert" in answer.text and "<style>" in answer.text
    assert "unsupported_response_type" in answer.text


def test_approving_the_styled_form_still_works(emulator):
    page = consent_page(emulator, "de")
    request_id = page.split('name="request_id" value="')[1].split('"')[0]
    answer = requests.post(
        emulator.base_url + "o/oauth2/auth",
        data={"request_id": request_id, "email": "ben@example.com", "action": "approve"},
        headers={"Accept-Language": "de"},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(REDIRECT + "?code=")


def test_index_lists_each_accounts_calendars_and_events(emulator):
    emulator.add_account("anna@example.com")
    team = emulator.add_calendar("anna@example.com", summary="Team")
    emulator.add_event(
        "anna@example.com",
        "anna@example.com",
        {
            "summary": "Customer call <Deco>",
            "start": {"dateTime": "2030-01-02T10:00:00Z"},
            "end": {"dateTime": "2030-01-02T11:00:00Z"},
            "visibility": "private",
        },
    )
    gone = emulator.add_event(
        "anna@example.com",
        team,
        {
            "summary": "Cancelled retro",
            "start": {"date": "2030-01-03"},
            "end": {"date": "2030-01-04"},
        },
    )
    service_delete(emulator, "anna@example.com", team, gone["id"])
    page = requests.get(emulator.base_url, timeout=5).text
    assert '<h2 id="anna@example.com">anna@example.com</h2>' in page
    assert "Team" in page and team in page and "owned by anna@example.com" in page
    assert "Customer call &lt;Deco&gt;" in page and '<span class="tag">private</span>' in page
    assert "2030-01-02T10:00:00" in page
    assert '<tr class="cancelled"><td>2030-01-03</td><td>Cancelled retro' in page


def service_delete(server, email, calendar_id, event_id):
    """Delete as the account owner would, through the API."""
    issued = server.issue_tokens(email)
    answer = requests.delete(
        f"{server.base_url}calendar/v3/calendars/{urllib.parse.quote(calendar_id)}/events/"
        f"{event_id}",
        headers={"Authorization": f"Bearer {issued['access_token']}"},
        timeout=5,
    )
    assert answer.status_code == 204, answer.text


def test_consent_page_shows_one_marker_per_permission(emulator):
    """Each permission is a checkbox: the list draws no bullet point next to it."""
    page = consent_page(emulator, "de")
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    assert re.search(r"ul\.scopes\{[^}]*list-style:none", style), style


def _remove_access_forms(page):
    return re.findall(r'<form method="post" action="/permissions">(.*?)</form>', page, re.S)


def test_index_page_lets_a_person_remove_an_apps_access(emulator):
    """As in the Google account's "Third-party apps & services": the person withdraws
    the app's access, and the app's tokens stop working."""
    emulator.add_account("ben@example.com")
    emulator.add_account("anna@example.com")
    ben = emulator.issue_tokens("ben@example.com")
    anna = emulator.issue_tokens("anna@example.com")
    page = requests.get(emulator.base_url, timeout=5).text
    forms = _remove_access_forms(page)
    assert len(forms) == 2, page
    assert 'value="ben@example.com"' in "".join(forms)
    answer = requests.post(
        emulator.base_url + "permissions",
        data={"email": "ben@example.com", "client_id": emulator.client_id},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("#ben@example.com")

    def calendar_list(tokens):
        return requests.get(
            emulator.base_url + "calendar/v3/users/me/calendarList",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            timeout=5,
        ).status_code

    assert calendar_list(ben) == 401
    assert calendar_list(anna) == 200
    refreshed = requests.post(
        emulator.base_url + "token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": ben["refresh_token"],
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
        },
        timeout=5,
    )
    assert refreshed.json()["error"] == "invalid_grant"
    # Ben's account lists no app any more; Anna's still does.
    page = requests.get(emulator.base_url, timeout=5).text
    assert len(_remove_access_forms(page)) == 1


def test_removing_access_needs_a_post_with_a_known_account(emulator):
    assert requests.get(emulator.base_url + "permissions", timeout=5).status_code == 404
    answer = requests.post(
        emulator.base_url + "permissions",
        data={"email": "nobody@example.com", "client_id": emulator.client_id},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 303


def test_index_shows_invitations_video_links_and_reminders(emulator):
    for email in ("anna@example.com", "ben@example.com"):
        emulator.add_account(email)
    seed_meetings(emulator, ["anna@example.com", "ben@example.com"])
    page = requests.get(emulator.base_url, timeout=5).text
    bens = page[page.index('<h2 id="ben@example.com">') :]
    assert "Pipeline review" in bens and "invitation from anna@example.com" in bens
    for tag in ("3 guest(s)", "video call", "own reminders"):
        assert f'<span class="tag">{tag}</span>' in page, tag
