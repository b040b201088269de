"""The HTML pages a person sees: the sign-in/consent page, OAuth error pages and
the index page that shows what each account's calendars hold.

The consent page looks like a sign-in page and speaks German when the browser
asks for it (``Accept-Language``); scopes are shown in words, as Google does.
"""

import html

SCOPE_PREFIX = "https://www.googleapis.com/auth/"
# The sentence Google shows for a scope on its consent screen.
SCOPE_TEXTS = {
    "calendar": (
        "See, edit, share, and permanently delete all the calendars you can access "
        "using Google Calendar",
        "Alle Kalender, auf die Sie in Google Kalender zugreifen können, ansehen, "
        "bearbeiten, freigeben und dauerhaft löschen",
    ),
    "calendar.readonly": (
        "See and download any calendar you can access using your Google Calendar",
        "Alle Kalender, auf die Sie in Google Kalender zugreifen können, ansehen und herunterladen",
    ),
    "calendar.events": (
        "View and edit events on all your calendars",
        "Termine in allen Ihren Kalendern ansehen und bearbeiten",
    ),
    "calendar.events.readonly": (
        "View events on all your calendars",
        "Termine in allen Ihren Kalendern ansehen",
    ),
    "calendar.events.owned": (
        "See, create, change, and delete events on Google calendars you own",
        "Termine in Ihren eigenen Google-Kalendern ansehen, erstellen, ändern und löschen",
    ),
    "calendar.calendarlist.readonly": (
        "See the list of Google calendars you’re subscribed to",
        "Die Liste der Google-Kalender ansehen, die Sie abonniert haben",
    ),
    "calendar.app.created": (
        "Make secondary Google calendars, and see, create, change, and delete events on them",
        "Weitere Google-Kalender anlegen und deren Termine ansehen, erstellen, ändern und löschen",
    ),
    "userinfo.email": (
        "See your primary Google Account email address",
        "Die primäre E-Mail-Adresse Ihres Google-Kontos ansehen",
    ),
    "userinfo.profile": (
        "See your personal info, including any personal info you’ve made publicly available",
        "Ihre personenbezogenen Daten ansehen, einschließlich öffentlich verfügbarer Daten",
    ),
    "openid": (
        "Associate you with your personal info on Google",
        "Sie mit Ihren personenbezogenen Daten bei Google verknüpfen",
    ),
}
SCOPE_TEXTS["email"] = SCOPE_TEXTS["userinfo.email"]
SCOPE_TEXTS["profile"] = SCOPE_TEXTS["userinfo.profile"]

TEXTS = {
    "en": {
        "title": "Sign in – Google Accounts",
        "sign_in": "Sign in with Google",
        "wants": "{client} wants to access your Google Account",
        "choose": "Choose an account",
        "email": "Email",
        "allow_to": "This will allow {client} to:",
        "trust": "Make sure you trust {client}. You can remove its access any time in "
        "your Google Account.",
        "cancel": "Cancel",
        "allow": "Allow",
        "emulator": "Google Calendar Emulator: no real Google account is used.",
        "error": "Access blocked: this request is invalid",
    },
    "de": {
        "title": "Anmeldung – Google Konten",
        "sign_in": "Über Google anmelden",
        "wants": "{client} möchte auf Ihr Google-Konto zugreifen",
        "choose": "Konto auswählen",
        "email": "E-Mail-Adresse",
        "allow_to": "Dadurch erhält {client} folgende Berechtigungen:",
        "trust": "Vergewissern Sie sich, dass Sie {client} vertrauen. Sie können den Zugriff "
        "jederzeit in Ihrem Google-Konto entfernen.",
        "cancel": "Abbrechen",
        "allow": "Zulassen",
        "emulator": "Google-Kalender-Emulator: Es wird kein echtes Google-Konto verwendet.",
        "error": "Zugriff blockiert: Diese Anfrage ist ungültig",
    },
}

STYLE = """
body{margin:0;background:#f0f4f9;font-family:"Google Sans",Roboto,Arial,sans-serif;color:#1f1f1f}
.card{max-width:480px;margin:48px auto;background:#fff;border-radius:28px;padding:36px 40px}
.brand{font-size:22px;font-weight:500;letter-spacing:-.5px}
.brand .b{color:#4285f4}.brand .r{color:#ea4335}.brand .y{color:#fbbc05}.brand .g{color:#34a853}
.sub{color:#444746;font-size:14px;margin:4px 0 24px}
h1{font-size:26px;font-weight:400;margin:0 0 20px;line-height:1.3}
label{display:block;font-size:14px;color:#444746;margin:16px 0 6px}
input[type=email]{box-sizing:border-box;width:100%;padding:14px;font-size:16px;
  border:1px solid #747775;border-radius:4px}
.accounts{list-style:none;padding:0;margin:0}
.accounts button{width:100%;text-align:left;background:none;border:0;border-bottom:1px solid
  #e3e3e3;padding:12px 4px;font-size:15px;cursor:pointer;display:flex;gap:12px;align-items:center}
.avatar{width:28px;height:28px;border-radius:50%;background:#0b57d0;color:#fff;display:inline-flex;
  align-items:center;justify-content:center;font-size:14px}
ul.scopes{list-style:none;padding-left:0;margin:8px 0 16px}ul.scopes li{margin:8px 0;font-size:14px}
ul.scopes label{display:flex;gap:8px;align-items:flex-start;margin:0;color:#1f1f1f}
.apps form{display:flex;gap:12px;align-items:center;margin:4px 0}
.apps button{font-size:13px;border-radius:16px;padding:4px 14px;cursor:pointer;
  background:none;border:1px solid #747775;color:#b3261e}
.small{font-size:12px;color:#444746}
.actions{display:flex;justify-content:flex-end;gap:12px;margin-top:28px}
.actions button{font-size:14px;font-weight:500;border-radius:20px;padding:10px 24px;cursor:pointer}
#deny{background:none;border:1px solid #747775;color:#0b57d0}
#approve{background:#0b57d0;border:0;color:#fff}
.notice{max-width:480px;margin:0 auto 32px;text-align:center;font-size:12px;color:#444746}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0 20px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e3e3e3;vertical-align:top}
th{color:#444746;font-weight:500}.wide{max-width:1100px}
.cancelled td{color:#8e918f;text-decoration:line-through}
.tag{display:inline-block;font-size:11px;border-radius:8px;padding:1px 6px;background:#e8f0fe;
  color:#0b57d0;margin-left:4px}
"""

BRAND = (
    '<div class="brand"><span class="b">G</span><span class="r">o</span><span class="y">o'
    '</span><span class="b">g</span><span class="g">l</span><span class="r">e</span></div>'
)


def language(headers):
    """``de`` when the browser prefers German over English, else ``en``."""
    value = (headers or {}).get("accept-language", "") or ""
    for part in value.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("de"):
            return "de"
        if tag.startswith("en"):
            return "en"
    return "en"


def scope_text(scope, lang):
    short = scope.removeprefix(SCOPE_PREFIX)
    texts = SCOPE_TEXTS.get(short)
    if not texts:
        return scope
    return texts[1] if lang == "de" else texts[0]


def _page(title, body, lang, wide=False):
    esc = html.escape
    card = "card wide" if wide else "card"
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f'<main class="{card}">{body}</main>'
        f'<p class="notice">{esc(TEXTS[lang]["emulator"])}</p></body></html>'
    )


def consent_page(client_id, request_id, scopes, *, accounts, login_hint, lang):
    """The sign-in and consent form (``#email``, ``#approve``, ``#deny``)."""
    esc = html.escape
    t = TEXTS[lang]
    client = f"<b>{esc(client_id)}</b>"
    known = "".join(
        f'<li><button type="button" onclick="document.getElementById(\'email\').value='
        f'this.dataset.email" data-email="{esc(email)}"><span class="avatar">'
        f"{esc(email[:1].upper())}</span>{esc(email)}</button></li>"
        for email in accounts
    )
    options = "".join(f'<option value="{esc(email)}">' for email in accounts)
    # Google lets the user untick scopes (granular consent).
    items = "".join(
        f'<li><label><input type="checkbox" name="grant_{index}" value="{esc(scope)}" '
        f"checked> {esc(scope_text(scope, lang))}</label></li>"
        for index, scope in enumerate(scopes)
    )
    body = f"""{BRAND}<p class="sub">{esc(t["sign_in"])}</p>
<h1>{t["wants"].format(client=client)}</h1>
<form method="post" action="/o/oauth2/auth" id="consent">
  <input type="hidden" name="request_id" value="{esc(request_id)}">
  <input type="hidden" name="granular" value="1">
  {f'<p class="small">{esc(t["choose"])}</p><ul class="accounts">{known}</ul>' if known else ""}
  <label for="email">{esc(t["email"])}</label>
  <input type="email" id="email" name="email" list="accounts" value="{esc(login_hint or "")}"
         autocomplete="email" required>
  <datalist id="accounts">{options}</datalist>
  <p>{t["allow_to"].format(client=client)}</p>
  <ul id="scopes" class="scopes">{items}</ul>
  <p class="small">{t["trust"].format(client=client)}</p>
  <div class="actions">
    <button type="submit" id="deny" name="action" value="deny" formnovalidate>
      {esc(t["cancel"])}</button>
    <button type="submit" id="approve" name="action" value="approve">{esc(t["allow"])}</button>
  </div>
</form>"""
    return _page(t["title"], body, lang)


def error_page(status, error, detail, lang="en"):
    esc = html.escape
    body = (
        f'{BRAND}<h1>{esc(TEXTS[lang]["error"])}</h1><p id="error">Error {status}: '
        f"{esc(error)}</p><p>{esc(detail)}</p>"
    )
    return _page(f"Error {status}: {error}", body, lang)


# ----------------------------------------------------------------------
# Index: what reached "Google"
# ----------------------------------------------------------------------
def _when(part):
    if not isinstance(part, dict):
        return ""
    return str(part.get("dateTime") or part.get("date") or "")


def _meeting_tags(event, calendar_id):
    """Guests, whose invitation it is, video link, own reminders."""
    tags = []
    attendees = event.get("attendees")
    if isinstance(attendees, list) and attendees:
        tags.append(f"{len(attendees)} guest(s)")
    organizer = event.get("organizer")
    email = organizer.get("email") if isinstance(organizer, dict) else None
    if email and str(email).casefold() != calendar_id.casefold():
        tags.append(f"invitation from {email}")
    if event.get("hangoutLink") or event.get("conferenceData"):
        tags.append("video call")
    reminders = event.get("reminders")
    if isinstance(reminders, dict) and reminders.get("overrides"):
        tags.append("own reminders")
    return "".join(f'<span class="tag">{html.escape(tag)}</span>' for tag in tags)


def _event_rows(events, calendar_id=""):
    esc = html.escape
    rows = []
    for event in sorted(events, key=lambda item: _when(item.get("start"))):
        tags = ""
        if event.get("recurrence"):
            tags += '<span class="tag">repeats</span>'
        if event.get("visibility") in ("private", "confidential"):
            tags += '<span class="tag">private</span>'
        if event.get("recurringEventId"):
            tags += '<span class="tag">changed occurrence</span>'
        tags += _meeting_tags(event, calendar_id)
        css = ' class="cancelled"' if event.get("status") == "cancelled" else ""
        rows.append(
            f"<tr{css}><td>{esc(_when(event.get('start')))}</td>"
            f"<td>{esc(str(event.get('summary') or '(no title)'))}{tags}</td>"
            f"<td>{esc(str(event.get('location') or ''))}</td>"
            f"<td>{esc(str(event.get('updated') or ''))}</td></tr>"
        )
    return "".join(rows)


def _apps_section(email, client_ids):
    """The apps with access to the account, each with "Remove access"."""
    esc = html.escape
    forms = "".join(
        '<form method="post" action="/permissions">'
        f'<input type="hidden" name="email" value="{esc(email)}">'
        f'<input type="hidden" name="client_id" value="{esc(client)}">'
        f"<span>{esc(client)}</span>"
        '<button type="submit">Remove access</button></form>'
        for client in client_ids
    )
    return f'<div class="apps"><p class="small">Apps with access to this account:</p>{forms}</div>'


def index_page(base_url, client_id, accounts, max_events=200, apps=None):
    """Every account with its calendars and their events.

    ``accounts``: ``[(email, [(calendar dict, [event bodies])])]`` where a
    calendar dict has ``id``, ``summary``, ``role``, ``owner``; ``apps``: the
    client ids each account granted access to, offered for removal.
    """
    esc = html.escape
    sections = []
    for email, calendars in accounts:
        parts = [f'<h2 id="{esc(email)}">{esc(email)}</h2>']
        if (apps or {}).get(email):
            parts.append(_apps_section(email, apps[email]))
        for calendar, events in calendars:
            shown = events[:max_events]
            more = len(events) - len(shown)
            parts.append(
                f'<h3>{esc(calendar["summary"])} <span class="small">{esc(calendar["id"])} · '
                f"access: {esc(calendar['role'])} · owned by {esc(calendar['owner'])} · "
                f"{len(events)} event(s)</span></h3>"
            )
            if shown:
                parts.append(
                    "<table><tr><th>Start</th><th>Title</th><th>Location</th>"
                    f"<th>Last change</th></tr>{_event_rows(shown, calendar['id'])}</table>"
                )
            if more > 0:
                parts.append(f'<p class="small">… and {more} more</p>')
        sections.append("".join(parts))
    body = (
        f"{BRAND}<h1>Google Calendar Emulator</h1>"
        f'<p class="small">API root: {esc(base_url)} · Client id: {esc(client_id)}</p>'
        f"<p>What each account's calendars hold now (reload to see new changes).</p>"
        + ("".join(sections) or "<p>No accounts yet.</p>")
    )
    return _page("Google Calendar Emulator", body, "en", wide=True)
