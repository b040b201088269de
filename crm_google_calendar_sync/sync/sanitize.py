"""Allow-list HTML sanitiser and the description conversions Odoo <-> Google
(see docs/architecture.md, "Mapping").
"""

import html as html_lib
import logging
import re

try:
    from lxml import etree
    from lxml import html as lxml_html
except ImportError:  # pragma: no cover - lxml ships with Odoo
    etree = lxml_html = None

_logger = logging.getLogger(__name__)

MAX_NAME_CHARS = 1024
MAX_LOCATION_CHARS = 1024
# Large enough for any real meeting note, small enough for Google and for diffing.
# Longer descriptions are truncated (the event is kept) and end with TRUNCATION_MARKER.
MAX_DESCRIPTION_CHARS = 64 * 1024
# Work stays bounded: input beyond this is cut before any regular expression or
# parser sees it.
_MAX_PARSE_CHARS = 4 * MAX_DESCRIPTION_CHARS
TRUNCATION_MARKER = " [\u2026]"

ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "blockquote",
        "br",
        "code",
        "del",
        "div",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strike",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    }
)
# Dropped together with everything inside them.
DROP_TAGS = frozenset(
    {
        "applet",
        "audio",
        "base",
        "button",
        "canvas",
        "embed",
        "form",
        "frame",
        "frameset",
        "head",
        "iframe",
        "img",
        "input",
        "link",
        "math",
        "meta",
        "noembed",
        "noframes",
        "noscript",
        "object",
        "option",
        "param",
        "picture",
        "script",
        "select",
        "source",
        "style",
        "svg",
        "template",
        "textarea",
        "title",
        "track",
        "video",
    }
)
VOID_TAGS = frozenset({"br", "hr"})
SAFE_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# Tags a "plain" description may consist of (converted to text with newlines).
_PLAIN_BLOCKS = frozenset({"p", "div"})

# Every pattern runs in linear time: no nested or overlapping repetition, and a
# tag never extends past the next "<" (on "<b <b <b ..." a "[^>]*>" would rescan
# the rest of the text from every "<").
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_WS_RE = re.compile(r"[ \t\n\r\f\v]+")
_SPACE_RE = re.compile(r"\s+")
_NEWLINE_RE = re.compile(r"\r\n|\r|\n")
_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_LOOKS_HTML_RE = re.compile(
    r"</?(?:a|b|i|u|s|p|br|hr|div|span|ul|ol|li|strong|em|h[1-6]|blockquote|pre|code|"
    r"font|table|tr|td|th|tbody|thead|img|strike|sub|sup|del|html|body|script|style|iframe)"
    r"\b[^<>]*>"
    r"|&(?:[a-z][a-z0-9]{1,31}|#[0-9]{1,7}|#x[0-9a-f]{1,6});",
    re.IGNORECASE,
)


class SanitizedHtml(str):
    """HTML that ``sanitize_html`` returns unchanged: its own output, or
    ``plain_to_html``'s. Sanitising it again is skipped; it costs two parses
    per description on every incoming event."""

    __slots__ = ()


def clean_text(value, max_chars=None):
    """Make a string safe for PostgreSQL and bounded.

    Returns ``(text, truncated)``. Text beyond ``_MAX_PARSE_CHARS`` is cut first.
    NUL and other control characters (except tab and newlines) and lone surrogates
    are removed.
    """
    if value is None or value is False:
        return "", False
    if not isinstance(value, str):
        value = str(value)
    cut = len(value) > _MAX_PARSE_CHARS
    value = _CONTROL_RE.sub("", value[:_MAX_PARSE_CHARS])
    if max_chars is not None and len(value) > max_chars:
        return value[: max_chars - 1] + "\u2026", True
    return value, cut


def looks_like_html(text):
    """Heuristic: does a Google description contain HTML markup or entities?"""
    return bool(text) and bool(_LOOKS_HTML_RE.search(text))


def _safe_url(url):
    url = _CONTROL_RE.sub("", url or "").strip()
    compact = _SPACE_RE.sub("", url).lower()
    match = _SCHEME_RE.match(compact)
    if not match or match.group(1) not in SAFE_URL_SCHEMES:
        return None
    return url


def _append_text(parent, last, text):
    """Append text after ``last`` child of ``parent`` (or as parent's text)."""
    if not text:
        return
    if last is None:
        parent.text = (parent.text or "") + text
    else:
        last.tail = (last.tail or "") + text


def _last(el):
    # Not len(el): lxml counts the children one by one, which made copying a
    # tree of many siblings quadratic; el[-1] starts from the last child.
    try:
        return el[-1]
    except IndexError:
        return None


def _copy_clean(src, dst):
    """Copy the allowed content of ``src`` into ``dst``."""
    _append_text(dst, _last(dst), src.text)
    for child in src:
        tag = child.tag.lower() if isinstance(child.tag, str) else None
        if tag is None or tag in DROP_TAGS:
            pass  # comments, processing instructions, dangerous elements: drop content
        elif tag in ALLOWED_TAGS:
            href = _safe_url(child.get("href")) if tag == "a" else None
            if tag == "a" and not href:
                _copy_clean(child, dst)  # a link without a safe target is just text
                _append_text(dst, _last(dst), child.tail)
                continue
            new = etree.SubElement(dst, tag)
            if href:
                new.set("href", href)
            elif tag in ("td", "th"):
                for attr in ("colspan", "rowspan"):
                    val = (child.get(attr) or "").strip()
                    if val.isdigit() and 0 < int(val) < 1000:
                        new.set(attr, str(int(val)))
            if tag not in VOID_TAGS:
                _copy_clean(child, new)
        else:
            # Unknown but harmless wrapper (span, font, center, ...): keep its content.
            _copy_clean(child, dst)
        _append_text(dst, _last(dst), child.tail)


def _parse(value):
    value = value[:_MAX_PARSE_CHARS]
    parser = lxml_html.HTMLParser(
        remove_comments=True, remove_pis=True, no_network=True, recover=True
    )
    try:
        return lxml_html.fragment_fromstring(value, create_parent="div", parser=parser)
    except (etree.ParserError, ValueError):
        return etree.Element("div")


def _serialize_children(root):
    parts = [html_lib.escape(root.text or "", quote=False)]
    for child in root:
        parts.append(etree.tostring(child, encoding="unicode", method="html"))
    return "".join(parts)


def _sanitize_tree(value):
    src = _parse(value)
    dst = etree.Element("div")
    _copy_clean(src, dst)
    return dst


_FALLBACK_DROP_RE = re.compile(
    r"<(script|style|iframe|object|svg|math|template|noscript|textarea|title|head)\b",
    re.IGNORECASE,
)
_FALLBACK_BREAK_RE = re.compile(r"(?i)<\s*br\s*/?\s*>|</\s*(?:p|div|li|h[1-6])\s*>")
_FALLBACK_TAG_RE = re.compile(r"<[^<>]*>")


def _drop_dangerous_elements(value):
    """Without lxml: dangerous elements with their content removed, in one pass
    (an element left open swallows the rest, as in a browser)."""
    lowered = value.lower()
    parts = []
    position = 0
    while match := _FALLBACK_DROP_RE.search(value, position):
        parts.append(value[position : match.start()])
        closing = lowered.find("</" + match.group(1).lower(), match.end())
        end = value.find(">", closing) if closing >= 0 else -1
        if end < 0:
            return "".join(parts)
        position = end + 1
    parts.append(value[position:])
    return "".join(parts)


def _fallback_to_text(value):
    """Without lxml: dangerous elements and their content dropped, line breaks from
    br/p/div, all other tags stripped, entities decoded (the result is shown as text)."""
    value = _drop_dangerous_elements(value[:_MAX_PARSE_CHARS])
    value = _FALLBACK_BREAK_RE.sub("\n", value)
    value = _FALLBACK_TAG_RE.sub("", value)
    return html_lib.unescape(value).strip()


def sanitize_html(value):
    """Return the canonical sanitised HTML of ``value`` (idempotent)."""
    if isinstance(value, SanitizedHtml):
        return value
    value, _truncated = clean_text(value)
    if not value.strip():
        return ""
    if etree is None:
        return plain_to_html(_fallback_to_text(value))
    result = _sanitize_once(value)
    # Unwrapping can produce nestings the parser repairs on the next parse (a <p> inside
    # a <p>); iterate to the fixed point so the result is stable.
    for _attempt in range(4):
        again = _sanitize_once(result)
        if again == result:
            break
        result = again
    return SanitizedHtml(result)


def _sanitize_once(value):
    tree = _sanitize_tree(value)
    if _is_empty_tree(tree):
        return ""
    # Leading/trailing whitespace is insignificant and a re-parse would drop it.
    tree.text = (tree.text or "").lstrip()
    if len(tree):
        tree[-1].tail = (tree[-1].tail or "").rstrip()
    else:
        tree.text = tree.text.rstrip()
    return _serialize_children(tree)


def _is_empty_tree(tree):
    for el in tree.iter():
        if el is tree:
            continue
        if el.tag not in _PLAIN_BLOCKS and el.tag != "br":
            return False
    return not "".join(tree.itertext()).strip()


def plain_to_html(text):
    """Plain text -> HTML: one paragraph, each newline a ``<br>``."""
    text, _truncated = clean_text(text)
    if not text.strip():
        return ""
    lines = _NEWLINE_RE.split(text)
    escaped = "<br>".join(html_lib.escape(line, quote=False) for line in lines)
    return SanitizedHtml(f"<p>{escaped}</p>")


def _tokens(el):
    """Token stream of a p/div/br tree: ("text", s), ("br",), ("start",), ("end",)."""
    yield ("text", el.text)
    for child in el:
        if child.tag == "br":
            yield ("br",)
        else:
            yield ("start",)
            yield from _tokens(child)
            yield ("end",)
        yield ("text", child.tail)


def _only_plain_blocks(tree):
    """Is the tree made only of paragraphs, divs and line breaks?"""
    return all(el is tree or el.tag in _PLAIN_BLOCKS or el.tag == "br" for el in tree.iter())


def _tree_to_plain(tree):
    """Text of a description made only of paragraphs, divs and line breaks.

    Returns None when the tree has richer markup. Blocks are lines of their own, ``<br>``
    ends a line; whitespace between blocks is not a line (as a browser renders it).
    """
    if not _only_plain_blocks(tree):
        return None
    lines = []
    current = None  # the open line, None when no line is open
    block_marks = []
    for token in _tokens(tree):
        kind = token[0]
        if kind == "text":
            text = _WS_RE.sub(" ", token[1] or "")
            if current is None:
                if text.strip():
                    current = text
            else:
                current += text
        elif kind == "br":
            lines.append(current or "")
            current = ""
        else:
            if current is not None:
                lines.append(current)
                current = None
            if kind == "start":
                block_marks.append(len(lines))
            elif block_marks.pop() == len(lines):
                lines.append("")  # an empty paragraph is an empty line
    if current is not None:
        lines.append(current)
    return "\n".join(lines)


def description_from_google(text):
    """Google description (plain text or HTML) -> Odoo HTML. Returns (html, truncated)."""
    text, cut = clean_text(text)
    if not text.strip():
        return "", False
    html = sanitize_html(text) if looks_like_html(text) else plain_to_html(text)
    html, truncated = bound_html(html)
    return html, truncated or cut


def bound_html(html):
    """Truncate sanitised HTML above MAX_DESCRIPTION_CHARS; formatting is dropped then."""
    if len(html) <= MAX_DESCRIPTION_CHARS:
        return html, False
    text = html_to_text(html)
    limit = MAX_DESCRIPTION_CHARS - len(TRUNCATION_MARKER)
    while True:
        result = plain_to_html(text[:limit].rstrip() + TRUNCATION_MARKER)
        if len(result) <= MAX_DESCRIPTION_CHARS:
            return result, True
        # Escaping ("<" -> "&lt;") can make the HTML several times the text:
        # shrink the text in that proportion, not by the excess alone.
        limit = min(limit - 16, limit * MAX_DESCRIPTION_CHARS // len(result))


def html_to_text(html):
    """Readable text of sanitised HTML (for truncation and chatter summaries)."""
    if not html:
        return ""
    if etree is None:
        return _fallback_to_text(html)
    tree = _parse(html)
    for br in tree.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for block in tree.iter("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"):
        block.tail = "\n" + (block.tail or "")
    text = "".join(tree.itertext())
    return "\n".join(_WS_RE.sub(" ", line).strip() for line in text.split("\n")).strip()


def description_to_google(html):
    """Odoo HTML -> Google description (plain text when the HTML is only lines)."""
    html = sanitize_html(html)
    if not html:
        return ""
    html, _truncated = bound_html(html)
    if etree is None:
        return _fallback_to_text(html)
    tree = _parse(html)
    plain = _tree_to_plain(tree)
    if plain is not None and not looks_like_html(plain):
        return plain
    return html
