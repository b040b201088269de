"""OAuth 2.0 endpoints of the emulator: authorize (consent page), token, revoke, userinfo."""

import base64
import dataclasses
import hashlib
import json
import re
import secrets
import urllib.parse

from . import pages
from .errors import unauthorized
from .state import EMAIL_SCOPES, FULL_SCOPE

CODE_LIFETIME = 600
PENDING_LIFETIME = 3600
EXTRA_SCOPES = {
    "openid",
    "email",
    "profile",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
}
PKCE_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
DEFAULT_SCOPES = (FULL_SCOPE, "https://www.googleapis.com/auth/userinfo.email")


@dataclasses.dataclass
class Grant:
    """One consent of one account to one client (what revocation removes)."""

    email: str
    client_id: str
    scopes: tuple
    refresh_token: str = None
    revoked: bool = False


@dataclasses.dataclass
class AccessToken:
    token: str
    grant: Grant
    scopes: tuple
    expires_at: float


@dataclasses.dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    scopes: tuple
    email: str
    code_challenge: str
    code_challenge_method: str
    offline: bool
    force_consent: bool
    expires_at: float
    used: bool = False


class HttpReply:
    def __init__(self, status, body=b"", headers=None, content_type="application/json"):
        self.status = status
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            content_type = "application/json; charset=utf-8"
        elif isinstance(body, str):
            body = body.encode()
        self.body = body
        self.headers = {"Content-Type": content_type}
        self.headers.update(headers or {})


def _oauth_error(status, error, description):
    return HttpReply(status, {"error": error, "error_description": description})


class OAuth:
    """Accounts consent to the single registered client; tokens live in memory."""

    def __init__(
        self,
        backend,
        clock,
        *,
        client_id,
        client_secret,
        token_lifetime,
        redirect_uris=None,
        known_scopes=(),
    ):
        self.backend = backend
        self.clock = clock
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self.redirect_uris = list(redirect_uris) if redirect_uris else None
        self.known_scopes = set(known_scopes) | EXTRA_SCOPES
        self.auto_approve = False
        self.auto_approve_email = None
        self.grants = []
        self.access_tokens = {}
        self.refresh_tokens = {}
        self.codes = {}
        self.pending = {}
        self.last_authorization = None  # the last validated authorize request (for tests)
        # Language of the page being answered; requests run under the server's lock.
        self._lang = "en"

    # ------------------------------------------------------------------ tokens
    def _new_access(self, grant, scopes):
        token = "ya29.emu-" + secrets.token_urlsafe(32)
        self.access_tokens[token] = AccessToken(
            token, grant, tuple(scopes), self.clock.time() + self.token_lifetime
        )
        return token

    def issue(self, email, scopes=None, offline=True):
        """Tokens without the consent UI (seeding for tests)."""
        self.backend.add_account(email)
        scopes = tuple(scopes or DEFAULT_SCOPES)
        grant = Grant(email=email, client_id=self.client_id, scopes=scopes)
        if offline:
            grant.refresh_token = "1//emu-" + secrets.token_urlsafe(40)
            self.refresh_tokens[grant.refresh_token] = grant
        self.grants.append(grant)
        result = {
            "access_token": self._new_access(grant, scopes),
            "expires_in": int(self.token_lifetime),
            "scope": " ".join(scopes),
            "token_type": "Bearer",
        }
        if grant.refresh_token:
            result["refresh_token"] = grant.refresh_token
        return result

    def resolve(self, token):
        """Access token -> AccessToken or raise 401."""
        record = self.access_tokens.get(token)
        if record is None or record.grant.revoked or record.expires_at <= self.clock.time():
            raise unauthorized()
        return record

    def revoke_all(self, email):
        for grant in self.grants:
            if grant.email == email:
                grant.revoked = True

    def apps_with_access(self, email):
        """Client ids the account granted access to (its "third-party apps")."""
        return sorted({g.client_id for g in self.grants if g.email == email and not g.revoked})

    def remove_access(self, email, client_id):
        """The person removes an app from their Google account's third-party apps."""
        self._revoke_pair(email, client_id)

    def _revoke_pair(self, email, client_id):
        # Google removes the app's access for the account: every token of that pair dies.
        for grant in self.grants:
            if grant.email == email and grant.client_id == client_id:
                grant.revoked = True

    # ------------------------------------------------------------------ authorize
    def _error_page(self, status, error, detail):
        text = pages.error_page(status, error, detail, self._lang)
        return HttpReply(status, text, content_type="text/html; charset=utf-8")

    def authorize_get(self, query, headers=None):
        self._lang = pages.language(headers)
        params = {key: values[-1] for key, values in query.items()}
        if params.get("client_id") != self.client_id:
            return self._error_page(401, "invalid_client", "The OAuth client was not found.")
        redirect_uri = params.get("redirect_uri") or ""
        parsed = urllib.parse.urlparse(redirect_uri)
        if (
            parsed.scheme not in ("http", "https")
            or not parsed.netloc
            or parsed.fragment
            or (self.redirect_uris is not None and redirect_uri not in self.redirect_uris)
        ):
            return self._error_page(
                400,
                "redirect_uri_mismatch",
                "The redirect URI in the request does not match the ones "
                "authorized for the OAuth client.",
            )
        if params.get("response_type") != "code":
            return self._error_page(
                400, "unsupported_response_type", "Only response_type=code is supported."
            )
        scopes = tuple(params.get("scope", "").split())
        if not scopes:
            return self._error_page(400, "invalid_request", "Missing required parameter: scope")
        unknown = [scope for scope in scopes if scope not in self.known_scopes]
        if unknown:
            return self._error_page(
                400, "invalid_scope", f"Some requested scopes were invalid: {', '.join(unknown)}"
            )
        challenge = params.get("code_challenge")
        method = params.get("code_challenge_method")
        if challenge:
            method = method or "plain"
            if method not in ("S256", "plain") or not PKCE_RE.match(challenge):
                return self._error_page(
                    400, "invalid_request", "Invalid code_challenge or code_challenge_method."
                )
        elif method:
            return self._error_page(400, "invalid_request", "Missing code_challenge.")
        access_type = params.get("access_type", "online")
        if access_type not in ("online", "offline"):
            return self._error_page(400, "invalid_request", "Invalid access_type.")
        request = {
            "redirect_uri": redirect_uri,
            "scopes": scopes,
            "state": params.get("state"),
            "code_challenge": challenge,
            "code_challenge_method": method,
            "offline": access_type == "offline",
            "force_consent": "consent" in params.get("prompt", "").split()
            or params.get("approval_prompt") == "force",
            "login_hint": params.get("login_hint"),
            "expires_at": self.clock.time() + PENDING_LIFETIME,
        }
        self.last_authorization = dict(params)
        if self.auto_approve:
            email = (
                params.get("login_hint")
                or self.auto_approve_email
                or next(iter(self.backend.accounts), None)
                or "user@example.com"
            )
            return self._approve(request, email)
        request_id = secrets.token_urlsafe(16)
        self.pending[request_id] = request
        return self._consent_page(request_id, request)

    def _consent_page(self, request_id, request):
        text = pages.consent_page(
            self.client_id,
            request_id,
            request["scopes"],
            accounts=list(self.backend.accounts),
            login_hint=request.get("login_hint"),
            lang=self._lang,
        )
        return HttpReply(200, text, content_type="text/html; charset=utf-8")

    def authorize_post(self, form, headers=None):
        self._lang = pages.language(headers)
        params = {key: values[-1] for key, values in form.items()}
        request = self.pending.pop(params.get("request_id", ""), None)
        if request is None or request["expires_at"] < self.clock.time():
            return self._error_page(400, "invalid_request", "Unknown or expired consent request.")
        if params.get("action") == "deny":
            return self._redirect(request, {"error": "access_denied"})
        email = (params.get("email") or "").strip()
        if "@" not in email:
            return self._error_page(400, "invalid_request", "An e-mail address is required.")
        scopes = request["scopes"]
        if params.get("granular"):
            ticked = {value for key, value in params.items() if key.startswith("grant_")}
            scopes = tuple(scope for scope in scopes if scope in ticked)
            if not scopes:
                return self._redirect(request, {"error": "access_denied"})
        return self._approve(request, email, scopes)

    def _redirect(self, request, values):
        if request.get("state") is not None:
            values["state"] = request["state"]
        uri = request["redirect_uri"]
        separator = "&" if urllib.parse.urlparse(uri).query else "?"
        location = uri + separator + urllib.parse.urlencode(values)
        return HttpReply(302, b"", {"Location": location}, content_type="text/html")

    def _approve(self, request, email, scopes=None):
        """Redirect with a code for ``email``; ``scopes``: those the user left
        ticked (default: all that were asked for)."""
        scopes = scopes or request["scopes"]
        self.backend.add_account(email)
        code = "4/emu-" + secrets.token_urlsafe(32)
        self.codes[code] = AuthCode(
            code=code,
            client_id=self.client_id,
            redirect_uri=request["redirect_uri"],
            scopes=scopes,
            email=email,
            code_challenge=request["code_challenge"],
            code_challenge_method=request["code_challenge_method"],
            offline=request["offline"],
            force_consent=request["force_consent"],
            expires_at=self.clock.time() + CODE_LIFETIME,
        )
        return self._redirect(
            request,
            {
                "code": code,
                "scope": " ".join(scopes),
                "authuser": "0",
                "prompt": "consent",
            },
        )

    # ------------------------------------------------------------------ token
    def _client_from(self, form, headers):
        auth = headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                raw = base64.b64decode(auth[6:].strip()).decode()
            except (ValueError, UnicodeDecodeError):
                return None, None
            client_id, _, secret = raw.partition(":")
            return urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)
        return form.get("client_id"), form.get("client_secret")

    def token(self, form, headers):
        client_id, secret = self._client_from(form, headers)
        if client_id != self.client_id:
            return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if secret != self.client_secret:
            return _oauth_error(401, "invalid_client", "Unauthorized")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(form)
        if grant_type == "refresh_token":
            return self._refresh(form)
        if not grant_type:
            return _oauth_error(400, "invalid_request", "Missing required parameter: grant_type")
        return _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _exchange_code(self, form):
        code = self.codes.get(form.get("code") or "")
        if code is None:
            return _oauth_error(400, "invalid_grant", "Malformed auth code.")
        if code.used or code.expires_at <= self.clock.time():
            return _oauth_error(400, "invalid_grant", "Bad Request")
        if form.get("redirect_uri") != code.redirect_uri:
            return _oauth_error(400, "redirect_uri_mismatch", "Bad Request")
        if code.code_challenge:
            verifier = form.get("code_verifier")
            if not verifier:
                return _oauth_error(400, "invalid_grant", "Missing code verifier.")
            if code.code_challenge_method == "S256":
                digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
                expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            else:
                expected = verifier
            if not secrets.compare_digest(expected, code.code_challenge):
                return _oauth_error(400, "invalid_grant", "Invalid code verifier.")
        code.used = True
        live_refresh = any(
            g.email == code.email
            and g.client_id == code.client_id
            and g.refresh_token
            and not g.revoked
            for g in self.grants
        )
        grant = Grant(email=code.email, client_id=code.client_id, scopes=code.scopes)
        # Like Google: a refresh token only for offline access, and only on first consent
        # unless the consent screen was forced (prompt=consent).
        if code.offline and (code.force_consent or not live_refresh):
            grant.refresh_token = "1//emu-" + secrets.token_urlsafe(40)
            self.refresh_tokens[grant.refresh_token] = grant
        self.grants.append(grant)
        body = {
            "access_token": self._new_access(grant, code.scopes),
            "expires_in": int(self.token_lifetime),
            "scope": " ".join(code.scopes),
            "token_type": "Bearer",
        }
        if grant.refresh_token:
            body["refresh_token"] = grant.refresh_token
        return HttpReply(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _refresh(self, form):
        grant = self.refresh_tokens.get(form.get("refresh_token") or "")
        if grant is None or grant.revoked:
            return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        if grant.client_id != self.client_id:
            return _oauth_error(401, "unauthorized_client", "Unauthorized")
        scopes = grant.scopes
        if form.get("scope"):
            wanted = tuple(form["scope"].split())
            if not set(wanted) <= set(grant.scopes):
                return _oauth_error(
                    400, "invalid_scope", "The requested scope exceeds the granted scope."
                )
            scopes = wanted
        body = {
            "access_token": self._new_access(grant, scopes),
            "expires_in": int(self.token_lifetime),
            "scope": " ".join(scopes),
            "token_type": "Bearer",
        }
        return HttpReply(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    # ------------------------------------------------------------------ revoke
    def revoke(self, form):
        token = form.get("token") or ""
        grant = None
        if token in self.access_tokens:
            grant = self.access_tokens[token].grant
        elif token in self.refresh_tokens:
            grant = self.refresh_tokens[token]
        if grant is None or grant.revoked:
            return _oauth_error(400, "invalid_token", "Token expired or revoked")
        self._revoke_pair(grant.email, grant.client_id)
        return HttpReply(200, {})

    # ------------------------------------------------------------------ userinfo
    def userinfo(self, token, version):
        record = self.resolve(token)
        account = self.backend.accounts[record.grant.email]
        has_email = bool(set(record.scopes) & EMAIL_SCOPES)
        if version == "v3":
            body = {"sub": account.id}
            if has_email:
                body.update({"email": account.email, "email_verified": True})
            return HttpReply(200, body)
        body = {"id": account.id, "picture": "https://example.invalid/photo.png"}
        if has_email:
            body.update({"email": account.email, "verified_email": True})
        return HttpReply(200, body)
