"""Odoo in-process: configuration, benchmark databases (from reusable templates), SQL counters."""

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ODOO_ROOT = Path("/opt/odoo18")
PYTHON = ODOO_ROOT / "venv" / "bin" / "python"
ADDONS_PATH = f"{ODOO_ROOT / 'addons'},{ODOO_ROOT / 'odoo' / 'addons'},{REPO}"
HTTP_PORT = "8199"

# name -> module installed in it. The templates are built once (and rebuilt when the
# addon's sources change); every run copies them into fresh working databases.
DATABASES = {
    "ours": "crm_google_calendar_sync",
    "odoo": "google_calendar",
    "floor": "calendar",
}
PREFIX = "gcal_bench_"


def template_name(kind):
    return f"{PREFIX}tpl_{kind}"


def working_name(kind, suffix=""):
    return f"{PREFIX}{kind}{suffix}"


def _psql(sql, db="postgres"):
    out = subprocess.run(
        ["psql", "-X", "-qAt", "-d", db, "-c", sql], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def _exists(db):
    return _psql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'") == "1"


def _addon_hash():
    """Hash of the addon's installable sources: a change rebuilds the 'ours' template."""
    digest = hashlib.sha256()
    root = REPO / "crm_google_calendar_sync"
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".xml", ".csv") and "tests" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _filestore(db):
    return Path.home() / ".local" / "share" / "Odoo" / "filestore" / db


def drop_db(db):
    assert db.startswith(PREFIX), db  # never touch anything but our own databases
    _psql(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{db}' AND pid <> pg_backend_pid()"
    )
    _psql(f'DROP DATABASE IF EXISTS "{db}"')
    shutil.rmtree(_filestore(db), ignore_errors=True)


def ensure_template(kind, log=print):
    """Create (or rebuild when stale) the template database of ``kind``."""
    db = template_name(kind)
    module = DATABASES[kind]
    stamp = _addon_hash() if kind == "ours" else "static"
    if _exists(db):
        current = _psql("SELECT value FROM ir_config_parameter WHERE key = 'bench.stamp'", db)
        if current == stamp:
            return db
        log(f"  template {db} is stale, rebuilding")
        drop_db(db)
    log(f"  creating template {db} with {module} (once; reused by later runs)")
    subprocess.run(
        [
            str(PYTHON),
            str(ODOO_ROOT / "odoo-bin"),
            f"--addons-path={ADDONS_PATH}",
            "-d",
            db,
            "-i",
            module,
            "--without-demo=all",
            "--stop-after-init",
            "--log-level=warn",
            f"--http-port={HTTP_PORT}",
        ],
        check=True,
    )
    _psql(
        "INSERT INTO ir_config_parameter (key, value, create_date, write_date) "
        f"VALUES ('bench.stamp', '{stamp}', now(), now())",
        db,
    )
    return db


def copy_from_template(kind, suffix=""):
    """A fresh working database (dropped first) copied from the template."""
    template = template_name(kind)
    db = working_name(kind, suffix)
    drop_db(db)
    _psql(f'CREATE DATABASE "{db}" TEMPLATE "{template}"')
    if _filestore(template).exists():
        shutil.copytree(_filestore(template), _filestore(db))
    return db


_configured = False


def configure(log_level="warn"):
    """parse_config once per process (in-process Odoo, no HTTP server)."""
    global _configured  # noqa: PLW0603 - one parse_config per process
    if _configured:
        return
    import odoo

    odoo.tools.config.parse_config(
        [
            f"--addons-path={ADDONS_PATH}",
            f"--log-level={log_level}",
            "--without-demo=all",
            f"--http-port={HTTP_PORT}",
            "--max-cron-threads=0",
        ]
    )
    _configured = True


def registry(db):
    from odoo.modules.registry import Registry

    return Registry(db)


@contextlib.contextmanager
def environment(db, uid=None, context=None):
    """An environment on a new cursor; the caller commits (nothing is committed implicitly)."""
    from odoo import SUPERUSER_ID, api

    with registry(db).cursor() as cr:
        yield api.Environment(cr, uid or SUPERUSER_ID, context or {})


_WRITE_RE = re.compile(r"^\s*(?:WITH\b.*?\)\s*)?(INSERT|UPDATE|DELETE)\b", re.I | re.S)
_NUMBERS_RE = re.compile(r"\b\d+\b")
_TABLE_RE = re.compile(
    r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?([a-z0-9_]+)\"?", re.I | re.S
)


class SqlCounter:
    """Counts the SQL statements of this thread (Odoo's per-thread query hooks).

    ``writes`` counts INSERT/UPDATE/DELETE statements that touched at least one row,
    ``write_statements`` all of them, ``tables`` the touched rows per table.
    """

    def __init__(self, by_statement=False):
        self.by_statement = {} if by_statement else None
        self.reset()

    def top_statements(self, limit=15):
        """The statements that took the most time (when created with by_statement)."""
        items = sorted(self.by_statement.items(), key=lambda kv: -kv[1][0])[:limit]
        return "\n".join(f"{t:8.2f} s {n:7d}x  {q}" for q, (t, n) in items)

    def reset(self):
        self.queries = 0
        self.write_statements = 0
        self.writes = 0
        self.rows_written = 0
        self.tables = {}

    def hook(self, cr, query, params, start, delay):
        self.queries += 1
        text = query.decode() if isinstance(query, bytes) else str(query)
        if self.by_statement is not None:
            key = _NUMBERS_RE.sub("N", " ".join(text.split()))[:160]
            total, count = self.by_statement.get(key, (0.0, 0))
            self.by_statement[key] = (total + delay, count + 1)
        if not _WRITE_RE.match(text):
            return
        self.write_statements += 1
        rowcount = cr._obj.rowcount
        if rowcount and rowcount > 0:
            self.writes += 1
            self.rows_written += rowcount
            match = _TABLE_RE.match(text)
            table = match.group(1) if match else "?"
            self.tables[table] = self.tables.get(table, 0) + rowcount

    @contextlib.contextmanager
    def counting(self):
        thread = threading.current_thread()
        previous = getattr(thread, "query_hooks", ())
        thread.query_hooks = (*previous, self.hook)
        try:
            yield self
        finally:
            thread.query_hooks = previous


def run_child(args, log=print):
    """Run this script again in a child process (memory measurements)."""
    env = dict(os.environ)
    result = subprocess.run(
        [str(PYTHON), str(REPO / "bench" / "run_all.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        log(result.stdout[-3000:])
        log(result.stderr[-3000:])
        raise RuntimeError(f"child {args} failed with {result.returncode}")
    return result.stdout


def python_version():
    return sys.version.split()[0]
