"""Bounded work on hostile text: every regular expression of the engine runs in
linear time, and text is cut before any of them sees it.

The tests of the expressions compare the cost of an input with that of an input
four times as long (linear: about 4 times, quadratic: 16 times); the descriptions'
tests count work (characters the expressions and the HTML parser read, steps of the
tree walks), which no load on the machine changes.
"""

import ast
import re
import time
from pathlib import Path

import pytest

from crm_google_calendar_sync.sync import errors, sanitize
from crm_google_calendar_sync.sync.sanitize import (
    description_from_google,
    description_to_google,
)

SYNC_DIR = Path(sanitize.__file__).parent
# Repeated beginnings of a match that never completes: what makes a pattern with
# overlapping repetition rescan the rest of the text from every position.
SHAPES = [
    "<b ",
    "<",
    "</",
    "<script ",
    "< br",
    "&a",
    "&#1",
    "a_",
    "_1",
    "a_R",
    "ya29.",
    "1//",
    "bearer ",
    "a",
    " ",
    "1",
    "-",
    "\x00",
]
SMALL = 1000  # repetitions of a shape; the large input has four times as many
LINEAR_RATIO = 10  # linear: ~4, quadratic: ~16
# Descriptions: both sizes beyond the cut, where the work must not grow at all.
DESCRIPTION_CHARS = 300_000


def _literal_patterns():
    """Every regular expression written in the engine's source (``re.compile``,
    ``re.sub``, ``re.fullmatch``... with a literal pattern), with its flags."""
    found = {}
    for path in sorted(SYNC_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.args
            ):
                continue
            try:
                pattern = ast.literal_eval(node.args[0])
            except ValueError:
                continue  # a pattern built at run time (none today)
            flags = 0
            for arg in [*node.args[1:], *(kw.value for kw in node.keywords)]:
                if isinstance(arg, ast.Attribute) and arg.attr.isupper():
                    flags |= getattr(re, arg.attr)
            found[f"{path.name}:{node.lineno}"] = re.compile(pattern, flags)
    return found


PATTERNS = _literal_patterns()


def _cost(func, text, repeat, tries=3):
    """CPU seconds of ``repeat`` calls, the best of ``tries``."""
    best = None
    for _try in range(tries):
        started = time.process_time()
        for _call in range(repeat):
            func(text)
        spent = time.process_time() - started
        best = spent if best is None else min(best, spent)
    return best


def _growth(func, shape, small=SMALL, tries=3):
    """How much more a four times longer input costs."""
    small, large = shape * small, shape * (4 * small)
    repeat = 1
    while (base := _cost(func, small, repeat, tries)) < 0.001:
        repeat *= 4
    return _cost(func, large, repeat, tries) / base


def test_the_engine_has_regular_expressions_to_check():
    assert len(PATTERNS) >= 15, sorted(PATTERNS)


@pytest.mark.parametrize("where", sorted(PATTERNS))
def test_every_regular_expression_is_linear(where):
    pattern = PATTERNS[where]
    slow = {}
    for shape in SHAPES:
        growth = _growth(pattern.search, shape)
        if growth >= LINEAR_RATIO:
            slow[shape] = round(growth, 1)
    assert not slow, f"{pattern.pattern!r} is not linear on {slow}"


@pytest.mark.parametrize(
    "func", [description_from_google, description_to_google], ids=["from_google", "to_google"]
)
@pytest.mark.parametrize("shape", ["<b ", "<", "<script ", "<b>", "<p>x</p>", "&a", "a\x00"])
def test_descriptions_cost_is_bounded(work_done, func, shape):
    """Beyond the cut the work stays flat: a description four times as long costs
    exactly as much (counted, not timed)."""

    def work(repetitions):
        work_done.clear()
        func(shape * repetitions)
        return work_done.total()

    beyond_cut = DESCRIPTION_CHARS // len(shape)
    characters, _steps = work(beyond_cut)
    assert work(4 * beyond_cut) == (characters, _steps)
    # (the count sees the work where it may grow: below the cut)
    assert work(100)[0] < characters


class WorkCounter:
    """Characters the sanitiser's expressions and HTML parser are given, and the
    steps of its tree walks."""

    def __init__(self):
        self.characters = []
        self.steps = 0

    def clear(self):
        self.characters.clear()
        self.steps = 0

    def total(self):
        return sum(self.characters), self.steps


class _CountingParser:
    """lxml's ``html`` module, counting the characters it parses."""

    def __init__(self, module, counter):
        self._module = module
        self._counter = counter

    def fragment_fromstring(self, text, *args, **kwargs):
        self._counter.characters.append(len(text))
        return self._module.fragment_fromstring(text, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._module, name)


# The sanitiser's functions that walk a tree, one call per element or text piece.
_TREE_WALKERS = ("_copy_clean", "_append_text", "_tokens", "_tree_to_plain", "_is_empty_tree")


@pytest.fixture
def work_done(monkeypatch):
    counter = WorkCounter()
    for name in dir(sanitize):
        value = getattr(sanitize, name)
        if isinstance(value, re.Pattern):
            monkeypatch.setattr(sanitize, name, CountingPattern(value, counter.characters))
    if sanitize.lxml_html is not None:
        monkeypatch.setattr(sanitize, "lxml_html", _CountingParser(sanitize.lxml_html, counter))
    for name in _TREE_WALKERS:
        walker = getattr(sanitize, name)

        def counted(*args, _walker=walker, **kwargs):
            counter.steps += 1
            return _walker(*args, **kwargs)

        monkeypatch.setattr(sanitize, name, counted)
    return counter


class CountingPattern:
    """A compiled pattern that counts the characters it is given."""

    def __init__(self, pattern, seen):
        self._pattern = pattern
        self._seen = seen

    def _count(self, text):
        self._seen.append(len(text))

    def search(self, text, *args):
        self._count(text)
        return self._pattern.search(text, *args)

    def match(self, text, *args):
        self._count(text)
        return self._pattern.match(text, *args)

    def sub(self, repl, text, *args):
        self._count(text)
        return self._pattern.sub(repl, text, *args)

    def split(self, text, *args):
        self._count(text)
        return self._pattern.split(text, *args)


@pytest.fixture
def characters_read(monkeypatch):
    """Lengths of all texts the sanitiser's expressions are given."""
    seen = []
    for name in dir(sanitize):
        value = getattr(sanitize, name)
        if isinstance(value, re.Pattern):
            monkeypatch.setattr(sanitize, name, CountingPattern(value, seen))
    return seen


@pytest.mark.parametrize("shape", ["<b ", "<", "<p>x</p>", "<script>", "x\x00"])
def test_text_is_cut_before_any_regular_expression(characters_read, shape):
    def work(repetitions):
        characters_read.clear()
        description_to_google(description_from_google(shape * repetitions)[0])
        description_to_google(shape * repetitions)
        return sum(characters_read), max(characters_read)

    one_mb = work(1_000_000 // len(shape))
    ten_mb = work(10_000_000 // len(shape))
    assert one_mb[1] <= sanitize._MAX_PARSE_CHARS
    assert ten_mb == one_mb, "the work grows with the text"


def test_error_text_is_cut_before_redaction(monkeypatch):
    seen = []
    monkeypatch.setattr(
        errors,
        "_SECRET_PATTERNS",
        tuple(CountingPattern(pattern, seen) for pattern in errors._SECRET_PATTERNS),
    )
    assert errors.redact("word " * 2_000_000)
    assert max(seen) <= 4 * errors.MAX_MESSAGE_LENGTH
    # A secret cut in two at the cut is not half shown.
    secret = "ya29." + "s" * 400
    text = " " * (4 * errors.MAX_MESSAGE_LENGTH - 20) + secret
    assert "sss" not in errors.redact(text)
