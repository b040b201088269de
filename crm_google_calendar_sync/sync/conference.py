"""Video links: Google's conference data and Odoo's ``videocall_location``.

Google holds a video link as conference data only for Google Meet (the one conference
type a calendar allows). Any other Odoo link goes where people see it: the location
when that is empty, else the description's first line, and is read back from there, so
a round trip never doubles it. Only http(s) addresses of bounded length are video links.
"""

import html
import re
from urllib.parse import urlsplit

from .sanitize import MAX_LOCATION_CHARS, looks_like_html

# Google takes entry points of up to 1,300 characters; Odoo's link must also fit into the
# location it may be shown in.
MAX_VIDEO_URL_CHARS = MAX_LOCATION_CHARS
MEET_HOST = "meet.google.com"
MEET_TYPE = "hangoutsMeet"
# The requestId of a Meet asked for in Odoo (made by the addon; Google's are bounded).
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_URL_RE = re.compile(r"https?://[^\s<>\"'\x00-\x1f\x7f]+", re.IGNORECASE)
_MEET_CODE_RE = re.compile(r"/([a-z]{3}-[a-z]{4}-[a-z]{3})$")
# A description that starts with a line holding only a web address.
# (Matched after the text's leading white space.)
_FIRST_LINE_RE = re.compile(r"(https?://[^\s<>\"']+)(?:\r?\n|<br\s*/?>|$)", re.IGNORECASE)
# Entry points Google allows per conference; a hostile event may carry many more.
_MAX_ENTRY_POINTS = 10


def web_url(value):
    """``value`` if it is a usable web address (http or https, a host, bounded), else ""."""
    if not isinstance(value, str) or len(value) > MAX_VIDEO_URL_CHARS:
        return ""
    value = value.strip()
    if not _URL_RE.fullmatch(value):
        return ""
    try:
        host = urlsplit(value).hostname
    except ValueError:
        return ""
    return value if host else ""


def is_meet(url):
    """Is ``url`` a Google Meet link, which Google holds as conference data?"""
    try:
        return urlsplit(url).hostname == MEET_HOST
    except ValueError:
        return False


def conference_url(event):
    """The video link of a Google event's conference ("" when it has none usable)."""
    data = event.get("conferenceData")
    points = data.get("entryPoints") if isinstance(data, dict) else None
    if isinstance(points, list):
        for point in points[:_MAX_ENTRY_POINTS]:
            if isinstance(point, dict) and point.get("entryPointType") == "video":
                url = web_url(point.get("uri"))
                if url:
                    return url
    return web_url(event.get("hangoutLink"))


def video_from_text(location, description):
    """``(url, location, description)``: a video link that a push (or a person) put
    into the location (alone) or, with a location, the description's first line."""
    url = _text_link(location)
    if url:
        return url, "", description
    if location.strip():
        text = description.lstrip()
        match = _FIRST_LINE_RE.match(text)
        url = ""
        if match:
            # In HTML the link's "&" is "&amp;".
            found = match.group(1)
            url = _text_link(html.unescape(found) if looks_like_html(text) else found)
        if url:
            return url, location, text[match.end() :]
    return "", location, description


def _text_link(value):
    """A video link in text; a Meet link there is text (Google holds Meet links as
    conference data, so no push of ours put it there)."""
    url = web_url(value)
    return "" if is_meet(url) else url


def place_video(body, url):
    """Put a link Google cannot hold as conference data where people see it."""
    if not url or is_meet(url):
        return
    if not body.get("location"):
        body["location"] = url
    else:
        description = body.get("description") or ""
        if looks_like_html(description):
            body["description"] = html.escape(url) + "<br>" + description
        else:
            body["description"] = url + ("\n" + description if description else "")


def conference_data(url):
    """Conference data for Google: a Meet link as Google holds it, else None (removes
    one Google held before)."""
    if not url or not is_meet(url):
        return None
    data = {
        "conferenceSolution": {"key": {"type": "hangoutsMeet"}},
        "entryPoints": [{"entryPointType": "video", "uri": url, "label": url.split("://", 1)[1]}],
    }
    code = _MEET_CODE_RE.search(urlsplit(url).path or "")
    if code:
        data["conferenceId"] = code.group(1)
    return data


def valid_request_id(value):
    """``value`` if it can be the requestId of a Meet create request, else ""."""
    return value if isinstance(value, str) and _REQUEST_ID_RE.fullmatch(value) else ""


def meet_request_id(event_id, serial):
    """The requestId of the ``serial``-th Meet asked for a meeting: the same for every
    retry of that request (Google ignores a repeated one), new for a new request."""
    return f"odoo-meet-{event_id}-{serial}"


def create_request(request_id):
    """Conference data asking Google for a new Meet (sent with conferenceDataVersion=1)."""
    return {
        "createRequest": {
            "requestId": request_id,
            "conferenceSolutionKey": {"type": MEET_TYPE},
        }
    }


def requested_meet(event):
    """The requestId of a Meet create request a Google event still waits for (its
    conference has no video link yet), else ""."""
    data = event.get("conferenceData")
    request = data.get("createRequest") if isinstance(data, dict) else None
    if not isinstance(request, dict):
        return ""
    return valid_request_id(request.get("requestId"))
