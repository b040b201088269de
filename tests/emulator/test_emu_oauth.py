"""OAuth 2.0: consent page, code exchange with PKCE, refresh, revoke, expiry, scopes."""

import base64
import os
import re
import urllib.parse

import pytest
import requests
from emu_helpers import ALICE, make_service
from google_auth_oauthlib.flow import Flow
from googleapiclient.errors import HttpError

os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain http on loopback only
REDIRECT = "http://127.0.0.1:9/callback"
CAL = "https://www.googleapis.com/auth/calendar"
EMAIL = "https://www.googleapis.com/auth/userinfo.email"


def make_flow(server, scopes=(CAL, EMAIL), **kwargs):
    config = {
        "web": {
            "client_id": server.client_id,
            "client_secret": server.client_secret,
            "auth_uri": server.base_url + "o/oauth2/auth",
            "token_uri": server.base_url + "token",
        }
    }
    return Flow.from_client_config(
        config,
        scopes=list(scopes),
        redirect_uri=REDIRECT,
        autogenerate_code_verifier=True,
        **kwargs,
    )


def consent(server, auth_url, email=ALICE, action="approve"):
    """Load the consent page and submit its form like a browser; -> redirect Location."""
    page = requests.get(auth_url, allow_redirects=False, timeout=5)
    assert page.status_code == 200, page.text
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
    answer = requests.post(
        server.base_url + "o/oauth2/auth",
        data={"request_id": request_id, "email": email, "action": action},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302
    return answer.headers["Location"]


def query_of(location):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def test_full_flow_with_pkce_and_api_call(emulator):
    flow = make_flow(emulator)
    auth_url, state = flow.authorization_url(access_type="offline", prompt="consent")
    assert "code_challenge_method=S256" in auth_url
    location = consent(emulator, auth_url)
    assert location.startswith(REDIRECT)
    assert query_of(location)["state"] == state
    flow.fetch_token(authorization_response=location)
    creds = flow.credentials
    assert creds.token and creds.refresh_token
    service = make_service(emulator, creds.token)
    items = service.calendarList().list().execute()["items"]
    assert [item["id"] for item in items] == [ALICE]
    info = requests.get(
        emulator.base_url + "oauth2/v2/userinfo",
        timeout=5,
        headers={"Authorization": f"Bearer {creds.token}"},
    ).json()
    assert info["email"] == ALICE and info["verified_email"] is True and info["id"]


def test_consent_page_lists_known_accounts_and_creates_new(emulator):
    emulator.add_account("known@example.com")
    flow = make_flow(emulator)
    auth_url, _ = flow.authorization_url(access_type="offline")
    page = requests.get(auth_url, timeout=5).text
    assert 'value="known@example.com"' in page and "Allow" in page and "Cancel" in page
    location = consent(emulator, auth_url, email="fresh@example.com")
    flow.fetch_token(authorization_response=location)
    assert "fresh@example.com" in emulator.backend.accounts


def test_unticked_scopes_are_not_granted(emulator):
    """Granular consent: the page's form grants only the scopes left ticked."""
    flow = make_flow(emulator)
    auth_url, _state = flow.authorization_url(access_type="offline", prompt="consent")
    page = requests.get(auth_url, timeout=5).text
    ticked = re.findall(r'name="(grant_\d+)" value="([^"]+)" checked', page)
    assert [value for _name, value in ticked] == [CAL, EMAIL]
    request_id = re.search(r'name="request_id" value="([^"]+)"', page).group(1)
    answer = requests.post(
        emulator.base_url + "o/oauth2/auth",
        data={"request_id": request_id, "email": ALICE, "action": "approve", "granular": "1"}
        | {name: value for name, value in ticked if value == CAL},
        allow_redirects=False,
        timeout=5,
    )
    assert query_of(answer.headers["Location"])["scope"] == CAL
    os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] = "1"  # oauthlib refuses a narrower scope
    try:
        flow.fetch_token(authorization_response=answer.headers["Location"])
    finally:
        del os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"]
    assert flow.credentials.granted_scopes == [CAL]
    info = requests.get(
        emulator.base_url + "oauth2/v2/userinfo",
        timeout=5,
        headers={"Authorization": f"Bearer {flow.credentials.token}"},
    ).json()
    assert "email" not in info, "the unticked email scope was not granted"


def test_deny_redirects_with_access_denied_and_state(emulator):
    flow = make_flow(emulator)
    auth_url, state = flow.authorization_url()
    location = consent(emulator, auth_url, action="deny")
    assert query_of(location) == {"error": "access_denied", "state": state}


def test_auto_approve_uses_login_hint(emulator):
    emulator.auto_approve = True
    flow = make_flow(emulator)
    auth_url, state = flow.authorization_url(access_type="offline", login_hint="hint@ex.com")
    answer = requests.get(auth_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    assert query_of(answer.headers["Location"])["state"] == state
    flow.fetch_token(authorization_response=answer.headers["Location"])
    assert emulator.oauth.access_tokens[flow.credentials.token].grant.email == "hint@ex.com"


@pytest.mark.parametrize(
    "change, error",
    [
        ({"client_id": "other"}, "invalid_client"),
        ({"redirect_uri": "not-a-url"}, "redirect_uri_mismatch"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "https://www.googleapis.com/auth/nonsense"}, "invalid_scope"),
        ({"code_challenge_method": "S512"}, "invalid_request"),
    ],
)
def test_authorize_validation(emulator, change, error):
    flow = make_flow(emulator)
    auth_url, _ = flow.authorization_url()
    parts = urllib.parse.urlsplit(auth_url)
    params = dict(urllib.parse.parse_qsl(parts.query))
    params.update(change)
    answer = requests.get(
        emulator.base_url + "o/oauth2/auth", params=params, allow_redirects=False, timeout=5
    )
    assert answer.status_code in (400, 401)
    assert error in answer.text


def _code_for(emulator, flow, **kwargs):
    emulator.auto_approve = True
    auth_url, _ = flow.authorization_url(**kwargs)
    location = requests.get(auth_url, allow_redirects=False, timeout=5).headers["Location"]
    return query_of(location)["code"]


def _token_post(emulator, data, auth=None):
    return requests.post(emulator.base_url + "token", data=data, auth=auth, timeout=5)


def test_wrong_code_verifier_is_invalid_grant(emulator):
    flow = make_flow(emulator)
    code = _code_for(emulator, flow, access_type="offline")
    answer = _token_post(
        emulator,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
            "code_verifier": "x" * 50,
        },
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    missing = _token_post(
        emulator,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
        },
    )
    assert missing.json()["error"] == "invalid_grant"


def test_code_is_single_use_and_expires(emulator):
    flow = make_flow(emulator)
    code = _code_for(emulator, flow, access_type="offline")
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": flow.code_verifier,
    }
    basic = (emulator.client_id, emulator.client_secret)  # HTTP Basic client auth
    first = _token_post(emulator, data, auth=basic)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["refresh_token"] and body["scope"] == f"{CAL} {EMAIL}"
    assert "id_token" not in body
    replay = _token_post(emulator, data, auth=basic)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    flow2 = make_flow(emulator)
    code2 = _code_for(emulator, flow2)
    emulator.clock.advance(601)
    late = _token_post(
        emulator, {**data, "code": code2, "code_verifier": flow2.code_verifier}, auth=basic
    )
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


def test_online_access_has_no_refresh_token_and_reconsent_needs_prompt(emulator):
    flow = make_flow(emulator)
    code = _code_for(emulator, flow, access_type="online")
    body = _token_post(
        emulator,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": flow.code_verifier,
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
        },
    ).json()
    assert "refresh_token" not in body and body["access_token"]
    # First offline consent gets a refresh token, a second one only with prompt=consent.
    results = []
    for prompt in (None, None, "consent"):
        flow = make_flow(emulator)
        kwargs = {"access_type": "offline"}
        if prompt:
            kwargs["prompt"] = prompt
        code = _code_for(emulator, flow, **kwargs)
        answer = _token_post(
            emulator,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "code_verifier": flow.code_verifier,
                "client_id": emulator.client_id,
                "client_secret": emulator.client_secret,
            },
        ).json()
        results.append("refresh_token" in answer)
    assert results == [True, False, True]


def test_invalid_client_is_401(emulator):
    answer = _token_post(
        emulator,
        {
            "grant_type": "refresh_token",
            "refresh_token": "x",
            "client_id": emulator.client_id,
            "client_secret": "wrong",
        },
    )
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
    basic = "Basic " + base64.b64encode(b"nobody:secret").decode()
    answer = requests.post(
        emulator.base_url + "token",
        timeout=5,
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        headers={"Authorization": basic},
    )
    assert answer.status_code == 401


def _api_get(emulator, token):
    return requests.get(
        emulator.base_url + "calendar/v3/users/me/calendarList",
        timeout=5,
        headers={"Authorization": f"Bearer {token}"},
    )


def test_refresh_and_expiry_via_clock(emulator):
    tokens = emulator.issue_tokens(ALICE)
    assert _api_get(emulator, tokens["access_token"]).status_code == 200
    emulator.clock.advance(3601)
    expired = _api_get(emulator, tokens["access_token"])
    assert expired.status_code == 401
    assert expired.json()["error"]["errors"][0]["reason"] == "authError"
    answer = _token_post(
        emulator,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
        },
    )
    assert answer.status_code == 200
    assert "refresh_token" not in answer.json()
    assert _api_get(emulator, answer.json()["access_token"]).status_code == 200
    emulator.token_lifetime = 10
    short = _token_post(
        emulator,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
        },
    ).json()
    assert short["expires_in"] == 10
    emulator.clock.advance(11)
    assert _api_get(emulator, short["access_token"]).status_code == 401


def test_google_auth_refreshes_automatically_after_401(emulator):
    tokens = emulator.issue_tokens(ALICE)
    service = make_service(emulator, tokens["access_token"], tokens["refresh_token"])
    emulator.clock.advance(4000)
    assert service.calendarList().list().execute()["items"]
    calls = [r.api_call for r in emulator.requests]
    assert calls == ["calendarList.list", "oauth.token", "calendarList.list"]


def test_revoke_kills_access_and_refresh_token(emulator):
    tokens = emulator.issue_tokens(ALICE)
    answer = requests.post(
        emulator.base_url + "revoke", data={"token": tokens["access_token"]}, timeout=5
    )
    assert answer.status_code == 200
    assert _api_get(emulator, tokens["access_token"]).status_code == 401
    refresh = _token_post(
        emulator,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
        },
    )
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"
    again = requests.post(
        emulator.base_url + "revoke", data={"token": tokens["refresh_token"]}, timeout=5
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_token"


def test_revoke_all_server_side(emulator):
    tokens = emulator.issue_tokens(ALICE)
    other = emulator.issue_tokens("bob@example.com")
    emulator.revoke_all(ALICE)
    assert _api_get(emulator, tokens["access_token"]).status_code == 401
    assert _api_get(emulator, other["access_token"]).status_code == 200


def test_missing_token_is_401_required(emulator):
    answer = requests.get(emulator.base_url + "calendar/v3/users/me/calendarList", timeout=5)
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert error["status"] == "UNAUTHENTICATED" and error["errors"][0]["reason"] == "required"


@pytest.mark.parametrize(
    "scopes, call, allowed",
    [
        (["https://www.googleapis.com/auth/calendar.events"], "events.list", True),
        (["https://www.googleapis.com/auth/calendar.events"], "calendarList.list", False),
        (["https://www.googleapis.com/auth/calendar.events.readonly"], "events.list", True),
        (["https://www.googleapis.com/auth/calendar.events.readonly"], "events.insert", False),
        (["https://www.googleapis.com/auth/calendar.readonly"], "events.list", True),
        (["https://www.googleapis.com/auth/calendar.readonly"], "events.insert", False),
        (
            ["https://www.googleapis.com/auth/calendar.calendarlist.readonly"],
            "calendarList.list",
            True,
        ),
        (["https://www.googleapis.com/auth/calendar.calendarlist.readonly"], "events.list", False),
        (["https://www.googleapis.com/auth/calendar.app.created"], "events.insert", False),
        (["https://www.googleapis.com/auth/calendar.app.created"], "calendars.insert", True),
        ([EMAIL], "events.list", False),
    ],
)
def test_scopes(emulator, scopes, call, allowed):
    tokens = emulator.issue_tokens(ALICE, scopes=scopes)
    service = make_service(emulator, tokens["access_token"])
    request = {
        "events.list": lambda: service.events().list(calendarId="primary"),
        "events.insert": lambda: service.events().insert(
            calendarId="primary",
            body={"start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}},
        ),
        "calendarList.list": lambda: service.calendarList().list(),
        "calendars.insert": lambda: service.calendars().insert(body={"summary": "CRM"}),
    }[call]()
    if allowed:
        request.execute()
    else:
        with pytest.raises(HttpError) as info:
            request.execute()
        assert info.value.resp.status == 403
        assert info.value.error_details[0]["reason"] == "insufficientPermissions"


def test_app_created_scope_covers_events_of_own_calendars_only(emulator):
    tokens = emulator.issue_tokens(
        ALICE, scopes=["https://www.googleapis.com/auth/calendar.app.created"]
    )
    service = make_service(emulator, tokens["access_token"])
    created = service.calendars().insert(body={"summary": "CRM"}).execute()
    service.events().insert(
        calendarId=created["id"],
        body={"start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}},
    ).execute()
    other = emulator.add_calendar(ALICE, summary="Not by app")
    with pytest.raises(HttpError) as info:
        service.events().list(calendarId=other).execute()
    assert info.value.resp.status == 403


def test_userinfo_without_email_scope_has_no_email(emulator):
    tokens = emulator.issue_tokens(ALICE, scopes=[CAL])
    info = requests.get(
        emulator.base_url + "oauth2/v2/userinfo",
        timeout=5,
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert info.status_code == 200 and "email" not in info.json() and info.json()["id"]
    bad = requests.get(
        emulator.base_url + "oauth2/v2/userinfo",
        timeout=5,
        headers={"Authorization": "Bearer nope"},
    )
    assert bad.status_code == 401
