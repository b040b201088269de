"""The CRM record a meeting belongs to, as the Google event's ``source``.

Odoo writes it (title: the record's name, url: the record in Odoo); Google never
changes the record a meeting belongs to. What Google shows is read only for the
fingerprint, so that an echo of our own write is no change.
"""

import re

from .conference import MAX_VIDEO_URL_CHARS, web_url
from .sanitize import MAX_NAME_CHARS, clean_text

_MODEL_RE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")


def record_url(base_url, model, record_id):
    """Odoo 18's address of a record (``<base>/odoo/<model>/<id>``), or "" when the
    parts do not make a safe web address."""
    if not isinstance(model, str) or not _MODEL_RE.fullmatch(model):
        return ""
    if not isinstance(record_id, int) or isinstance(record_id, bool) or record_id <= 0:
        return ""
    return web_url(f"{(base_url or '').rstrip('/')}/odoo/{model}/{record_id}")


def clean_source(title, url):
    """``(title, url)`` bounded and safe, or ``("", "")`` when the URL is not one."""
    url = web_url(url) if isinstance(url, str) and len(url) <= MAX_VIDEO_URL_CHARS else ""
    if not url:
        return "", ""
    title = clean_text(title if isinstance(title, str) else "")[0].strip()
    return title[:MAX_NAME_CHARS], url


def source_from_google(event):
    """``(title, url)`` of a Google event's source (empty when none or unsafe)."""
    source = event.get("source")
    if not isinstance(source, dict):
        return "", ""
    return clean_source(source.get("title"), source.get("url"))


def source_to_google(title, url):
    """Google ``source`` for a record link; None removes one."""
    title, url = clean_source(title, url)
    return {"title": title, "url": url} if url else None


def common_source(title, url):
    title, url = clean_source(title, url)
    return [title, url] if url else None
