"""All benchmarks of crm_google_calendar_sync, side by side with Odoo 18's google_calendar.

    /opt/odoo18/venv/bin/python bench/run_all.py [--quick]

Creates (once) template databases gcal_bench_tpl_{ours,odoo,floor} and copies them into
fresh working databases gcal_bench_{ours,odoo,floor} on every run, starts the Google
Calendar emulator in this process, drives Odoo through its Python API in this process and
prints a table (also written to bench/results.md). See bench/README.md.
"""

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import resource
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from gcbench import attendees, data, ours, ref  # noqa: E402
from gcbench import odoo_env as oe  # noqa: E402

# The floor creates the user's events as that user: calendar.attendee subscribes
# every attendee except the current user as follower, so creating them as the
# superuser would add a follower subscription per event to the floor.
FLOOR_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nosubscribe": True,
    "mail_create_nolog": True,
    "no_mail_to_attendees": True,
    "dont_notify": True,
}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------
class Results:
    def __init__(self):
        self.rows = []  # (bench, metric, ours, odoo, floor, target, status)
        self.notes = []

    def add(  # noqa: PLR0917 - one table row
        self, bench, metric, ours_value, odoo_value="", floor_value="", target="", ok=None
    ):
        status = "" if ok is None else ("PASS" if ok else "MISS")
        self.rows.append((bench, metric, ours_value, odoo_value, floor_value, target, status))

    def note(self, text):
        self.notes.append(text)

    def markdown(self, machine, sizes, started):
        header = ("Benchmark", "Metric", "ours", "Odoo google_calendar", "floor", "target", "")
        lines = [
            "# Benchmark results",
            "",
            f"Run {started:%Y-%m-%d %H:%M} UTC, sizes: {sizes}.",
            "",
            "Machine: " + "; ".join(f"{k}: {v}" for k, v in machine.items()),
            "",
            "| " + " | ".join(header) + " |",
            "|" + "---|" * len(header),
        ]
        for row in self.rows:
            lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
        if self.notes:
            lines += ["", "Notes:", ""]
            lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def fmt_s(seconds):
    return f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


def ratio(slow, fast):
    return slow / fast if fast else float("inf")


# ----------------------------------------------------------------------------------------
# Machine
# ----------------------------------------------------------------------------------------
def machine_info():
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    pg = oe._psql("SHOW server_version")
    import odoo.release

    return {
        "CPU": cpu,
        "cores": os.cpu_count(),
        "RAM": ram,
        "OS": platform.platform(),
        "Python": oe.python_version(),
        "PostgreSQL": pg,
        "Odoo": odoo.release.version,
    }


# ----------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------
PROFILE = set()  # --profile: names of measured steps to run under cProfile


# Added to every emulator answer in the parallel idle runs (Google's own latency).
LATENCY = 0.05
# Rows the cron writes for itself on every run, whatever it does: Odoo's progress
# record (ir.cron) and, for ours, the round's position (one row per job, moved after
# each user).
CRON_BOOKKEEPING = {"ir_cron", "ir_cron_progress", "ir_cron_trigger", "crm_google_sync_round"}


class Measure:
    """Wall time, SQL statements (main thread) and emulator counters of one step.

    With ``--profile NAME`` the step called NAME runs under cProfile; the statistics go
    to /tmp/gcal_bench_NAME.prof and the top functions to stderr."""

    def __init__(self, emulator, name=None):
        self.emulator = emulator
        self.sql = oe.SqlCounter(by_statement=name in PROFILE or name == "idle_ours")
        self.profiler = None
        if name in PROFILE:
            import cProfile

            self.name = name
            self.profiler = cProfile.Profile()

    def __enter__(self):
        if self.emulator is not None:
            self.emulator.reset_requests()
        self.sql.reset()
        self._ctx = self.sql.counting()
        self._ctx.__enter__()
        self.started = time.perf_counter()
        if self.profiler:
            self.profiler.enable()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.started
        if self.profiler:
            import io
            import pstats

            self.profiler.disable()
            path = f"/tmp/gcal_bench_{self.name}.prof"
            self.profiler.dump_stats(path)
            out = io.StringIO()
            stats = pstats.Stats(self.profiler, stream=out).sort_stats("cumulative")
            stats.print_stats(45)
            out.write("\n--- by own time ---\n")
            stats.sort_stats("tottime").print_stats(25)
            log(f"profile of {self.name} ({path}):\n{out.getvalue()}")
            log(f"SQL time by statement ({self.name}):\n{self.sql.top_statements()}")
        self._ctx.__exit__(*exc)
        self.counters = dict(self.emulator.counters) if self.emulator is not None else {}

    def http(self):
        return self.counters.get("http_requests", 0)

    def calls(self, name):
        return self.counters.get(name, 0)

    def call_summary(self):
        keys = sorted(k for k in self.counters if k not in ("http_requests", "api_calls"))
        return ", ".join(f"{k} {self.counters[k]}" for k in keys) or "none"


def issue(emulator, email):
    emulator.add_account(email, time_zone=data.TZ)
    return emulator.issue_tokens(email)


def seed(emulator, email, specs):
    for spec in specs:
        emulator.add_event(email, email, spec["google"])


def count_user_events(env, user, name_like=None):
    query = """
        SELECT count(*) FROM calendar_event e
         WHERE e.active AND (e.user_id = %(uid)s OR EXISTS (
               SELECT 1 FROM calendar_event_res_partner_rel r
                WHERE r.calendar_event_id = e.id AND r.res_partner_id = %(pid)s))
    """
    params = {"uid": user.id, "pid": user.partner_id.id}
    if name_like:
        query += " AND e.name LIKE %(like)s"
        params["like"] = name_like
    env.cr.execute(query, params)
    return env.cr.fetchone()[0]


def google_client(base_url, access_token):
    from google.oauth2.credentials import Credentials

    from odoo.addons.crm_google_calendar_sync.sync.google_client import (
        GoogleCalendarClient,
    )

    return GoogleCalendarClient(Credentials(token=access_token), base_url, timeout=60)


def edit_in_google(base_url, token, calendar_id, event_ids, suffix):
    """Setup (not measured): patch summaries in Google through the batch endpoint."""
    from odoo.addons.crm_google_calendar_sync.sync.google_client import (
        BatchOperation,
    )

    client = google_client(base_url, token["access_token"])
    operations = [
        BatchOperation(
            kind="patch",
            calendar_id=calendar_id,
            event_id=event_id,
            body={"summary": f"Bench meeting {event_id} {suffix}"},
        )
        for event_id in event_ids
    ]
    results = client.execute_batch(operations)
    failed = [r for r in results if not r.ok]
    assert not failed, failed[:3]


# ----------------------------------------------------------------------------------------
# Benchmarks
# ----------------------------------------------------------------------------------------
class Bench:
    def __init__(self, args, results):
        self.args = args
        self.results = results
        self.n_import = args.import_n
        self.n_push = args.push_n
        self.n_update = args.update_n
        self.n_users = args.users
        self.specs = data.make_events(self.n_import)
        self.expected_events = data.expected_odoo_events(self.specs)

    # -- setup ---------------------------------------------------------------------------
    def setup(self):
        log("Databases")
        for kind in oe.DATABASES:
            oe.ensure_template(kind, log=log)
        self.db = {kind: oe.copy_from_template(kind) for kind in oe.DATABASES}
        oe.configure()
        from gcbench.emuproc import start_emulator

        self.emulator = start_emulator()
        self.base_url = self.emulator.base_url
        for db in self.db.values():
            oe.registry(db)
        self.paging_shim = ref.point_at_emulator(self.base_url)
        with oe.environment(self.db["ours"]) as env:
            ours.configure(env, self.base_url)
            env.cr.commit()
        with oe.environment(self.db["odoo"]) as env:
            ref.configure(env)
            env.cr.commit()

    def warm_up(self):
        """One small sync per implementation and a small floor create before measuring:
        first-use costs (library imports, discovery document, ORM caches) are not part of
        what the benchmarks compare."""
        log("Warm-up")
        specs = data.make_events(20, seed=3, id_prefix="heat")
        for kind, module in (("ours", ours), ("odoo", ref)):
            email = f"warm-{kind}@bench.test"
            issued = {email: issue(self.emulator, email)}
            seed(self.emulator, email, specs)
            with oe.environment(self.db[kind]) as env:
                user = module.create_users(env, [f"warm-{kind}"])
                tokens = module.connect_users(env, issued, user, [email])
                user.partner_id.email = email
                env.cr.commit()
                if kind == "ours":
                    ours.sync_user(env, tokens.id)
                    env["crm.google.token"].browse(tokens.id).sudo().sync_enabled = False
                    env.cr.commit()
                else:
                    ref.sync_user(env, user)
                    ref.stop_users(env, user)
        with oe.environment(self.db["floor"]) as env:
            user = ours.create_users(env, ["warm-floor"])
            env["calendar.event"].with_user(user).with_context(**FLOOR_CONTEXT).create(
                [
                    dict(spec["odoo"], user_id=user.id, partner_ids=[(6, 0, user.partner_id.ids)])
                    for spec in specs
                ]
            )
            env.cr.commit()

    def teardown(self):
        self.emulator.stop()

    def ours_cycles_until(self, finished, max_cycles=6):
        """Cycles of the import user, back to back, until ``finished()``: a push larger
        than one cycle's call budget (quota pacing) continues in the next cycles, which
        in production start 5 minutes apart. -> (cycles, reports)"""
        reports = []
        for _cycle in range(max_cycles):
            with oe.environment(self.db["ours"]) as env:
                reports.append(ours.sync_user(env, self.ours_token_id))
            if finished():
                break
        return len(reports), reports

    # -- 1. import ----------------------------------------------------------------------
    def bench_import(self):
        n = self.n_import
        log(f"1. Import {n} Google events")
        specs = self.specs
        # ours
        self.ours_email = "imp-ours@bench.test"
        self.ours_token_data = issue(self.emulator, self.ours_email)
        seed(self.emulator, self.ours_email, specs)
        with oe.environment(self.db["ours"]) as env:
            user = ours.create_users(env, ["imp-ours"])
            token = ours.connect_users(
                env, {self.ours_email: self.ours_token_data}, user, [self.ours_email]
            )
            env.cr.commit()
            self.ours_uid, self.ours_token_id = user.id, token.id
        with (
            oe.environment(self.db["ours"]) as env,
            Measure(self.emulator, "import_ours") as m_ours,
        ):
            report = ours.sync_user(env, self.ours_token_id)
        with oe.environment(self.db["ours"]) as env:
            ours_count = count_user_events(env, env["res.users"].browse(self.ours_uid))
        log(f"   ours: {fmt_s(m_ours.wall)}, {m_ours.call_summary()}, {ours_count} events")
        if report is None or report.errors:
            self.results.note(f"ours import report: {report and report.errors[:5]}")

        # floor
        with oe.environment(self.db["floor"]) as env:
            user = ours.create_users(env, ["floor"])
            env.cr.commit()
            values = [
                dict(
                    spec["odoo"],
                    user_id=user.id,
                    partner_ids=[(6, 0, user.partner_id.ids)],
                )
                for spec in specs
            ]
            with Measure(None, "import_floor") as m_floor:
                env["calendar.event"].with_user(user).with_context(**FLOOR_CONTEXT).create(values)
                env.flush_all()
                env.cr.commit()
            floor_count = count_user_events(env, user)
        log(f"   floor: {fmt_s(m_floor.wall)}, {floor_count} events")

        # Odoo's module
        self.odoo_email = "imp-odoo@bench.test"
        self.odoo_token_data = issue(self.emulator, self.odoo_email)
        seed(self.emulator, self.odoo_email, specs)
        with oe.environment(self.db["odoo"]) as env:
            user = ref.create_users(env, ["imp-odoo"])
            # the module recognises the organizer by the user's e-mail
            ref.connect_users(env, {self.odoo_email: self.odoo_token_data}, user, [self.odoo_email])
            user.partner_id.email = self.odoo_email
            env.cr.commit()
            self.odoo_uid = user.id
        with (
            oe.environment(self.db["odoo"]) as env,
            Measure(self.emulator, "import_odoo") as m_odoo,
        ):
            ref.sync_user(env, env["res.users"].browse(self.odoo_uid))
        with oe.environment(self.db["odoo"]) as env:
            odoo_count = count_user_events(env, env["res.users"].browse(self.odoo_uid))
        log(f"   odoo: {fmt_s(m_odoo.wall)}, {m_odoo.call_summary()}, {odoo_count} events")

        r = self.results
        bench = f"1. Import {n} events"
        r.add(
            bench,
            f"Odoo events created (expected {self.expected_events})",
            ours_count,
            odoo_count,
            floor_count,
        )
        target_lists = math.ceil(n / 2500)
        r.add(
            bench,
            "events.list requests",
            m_ours.calls("events.list"),
            m_odoo.calls("events.list"),
            "",
            f"<= {target_lists}",
            m_ours.calls("events.list") <= target_lists,
        )
        r.add(bench, "HTTP requests (all)", m_ours.http(), m_odoo.http())
        r.add(
            bench,
            "wall time",
            fmt_s(m_ours.wall),
            fmt_s(m_odoo.wall),
            fmt_s(m_floor.wall),
            "<= 2x floor",
            m_ours.wall <= 2 * m_floor.wall,
        )
        r.add(bench, "ours / floor", f"{ratio(m_ours.wall, m_floor.wall):.2f}x")
        r.add(
            bench,
            "speed-up vs Odoo's module",
            f"{ratio(m_odoo.wall, m_ours.wall):.1f}x",
            "",
            "",
            ">= 4x",
            ratio(m_odoo.wall, m_ours.wall) >= 4,
        )
        r.add(
            bench,
            "SQL queries",
            m_ours.sql.queries,
            m_odoo.sql.queries,
            m_floor.sql.queries,
        )
        r.add(
            bench,
            "SQL queries per event",
            f"{m_ours.sql.queries / n:.1f}",
            f"{m_odoo.sql.queries / n:.1f}",
            f"{m_floor.sql.queries / n:.1f}",
        )
        self.import_measures = (m_ours, m_odoo, m_floor)

    # -- 1b. import with attendees -------------------------------------------------------
    def bench_import_attendees(self):
        """Benchmark 1b (gcbench/attendees.py): the import's events, 10 attendees each."""
        n = self.n_import
        log(f"1b. Import {n} Google events with 10 attendees each")
        email = "imp-att@bench.test"
        specs = attendees.with_attendees(self.specs, email)
        issued = {email: issue(self.emulator, email)}
        seed(self.emulator, email, specs)
        with oe.environment(self.db["ours"]) as env:
            attendees.create_people(env, ours.create_users)
            user = ours.create_users(env, ["imp-att"])
            user.partner_id.email = email
            token = ours.connect_users(env, issued, user, [email])
            env.cr.commit()
            uid, token_id = user.id, token.id
        with oe.environment(self.db["ours"]) as env, Measure(self.emulator, "import_att_ours") as m:
            report = ours.sync_user(env, token_id)
        with oe.environment(self.db["ours"]) as env:
            user = env["res.users"].browse(uid)
            ours_count, ours_att = (
                count_user_events(env, user),
                attendees.count_attendances(env, user),
            )
        if report is None or report.errors:
            self.results.note(f"ours import with attendees: {report and report.errors[:5]}")
        with oe.environment(self.db["floor"]) as env:
            partner_ids = attendees.create_people(env, ours.create_users)
            user = ours.create_users(env, ["floor-att"])
            env.cr.commit()
            values = attendees.floor_values(specs, user, partner_ids)
            with Measure(None, "import_att_floor") as m_floor:
                env["calendar.event"].with_user(user).with_context(**FLOOR_CONTEXT).create(values)
                env.flush_all()
                env.cr.commit()
            floor_count = count_user_events(env, user)
            floor_att = attendees.count_attendances(env, user)
        log(f"   ours: {fmt_s(m.wall)}, {ours_count} events; floor: {fmt_s(m_floor.wall)}")
        self._report_import_attendees(
            n, (m, ours_count, ours_att), (m_floor, floor_count, floor_att)
        )

    def _report_import_attendees(self, n, ours_side, floor_side):
        (m, ours_count, ours_att), (m_floor, floor_count, floor_att) = ours_side, floor_side
        r, bench = self.results, f"1b. Import {n} events, 10 attendees each"
        r.add(
            bench,
            f"Odoo events created (expected {self.expected_events})",
            ours_count,
            "",
            floor_count,
        )
        r.add(bench, "attendances (calendar.attendee)", ours_att, "", floor_att)
        r.add(bench, "HTTP requests (all)", m.http())
        r.add(
            bench,
            "wall time",
            fmt_s(m.wall),
            "",
            fmt_s(m_floor.wall),
            "<= 2x floor",
            m.wall <= 2 * m_floor.wall,
        )
        r.add(bench, "ours / floor", f"{ratio(m.wall, m_floor.wall):.2f}x")
        r.add(bench, "SQL queries", m.sql.queries, "", m_floor.sql.queries)
        r.add(
            bench,
            "SQL queries per event",
            f"{m.sql.queries / n:.1f}",
            "",
            f"{m_floor.sql.queries / n:.1f}",
        )

    # -- 2. push ------------------------------------------------------------------------
    def _push_values(self, uid, partner_id):
        specs = data.make_events(self.n_push, seed=11)
        values = []
        for index, spec in enumerate(specs):
            # Every pushed event has a location: without one Odoo's module asks Google to
            # create a Meet conference, which the emulator stores without entry points and
            # the module then fails reading back (KeyError 'entryPoints'; see README).
            vals = dict(spec["odoo"], name=f"Pushed meeting {index}")
            vals["location"] = vals.get("location") or "Room 2"
            vals.update(user_id=uid, partner_ids=[(6, 0, [partner_id])])
            values.append(vals)
        return values

    def bench_push(self):
        n = self.n_push
        log(f"2. Push {n} new Odoo events")
        # ours: create (as the user), then one sync cycle pushes
        before_ours = len(self.emulator.list_events_raw(self.ours_email))
        with oe.environment(self.db["ours"]) as env:
            user = env["res.users"].browse(self.ours_uid)
            Event = env["calendar.event"].with_user(user).with_context(**ours.USER_EDIT_CONTEXT)
            with Measure(self.emulator) as m_create_ours:
                Event.create(self._push_values(user.id, user.partner_id.id))
                env.flush_all()
                env.cr.commit()

        def all_pushed():
            return len(self.emulator.list_events_raw(self.ours_email)) - before_ours >= n

        with Measure(self.emulator, "push_ours") as m_ours:
            cycles_push, reports = self.ours_cycles_until(all_pushed)
        pushed_ours = len(self.emulator.list_events_raw(self.ours_email)) - before_ours
        log(
            f"   ours: create {fmt_s(m_create_ours.wall)}, push {fmt_s(m_ours.wall)} in "
            f"{cycles_push} cycles, {m_ours.call_summary()}, {pushed_ours} new in Google"
        )
        errors = [e for report in reports if report for e in report.errors]
        if errors or None in reports:
            self.results.note(f"ours push reports: {errors[:5]}")

        # Odoo's module: create (as the user); the commit sends each event (post-commit)
        before_odoo = len(self.emulator.list_events_raw(self.odoo_email))
        with oe.environment(self.db["odoo"]) as env:
            user = env["res.users"].browse(self.odoo_uid)
            Event = env["calendar.event"].with_user(user).with_context(**ours.USER_EDIT_CONTEXT)
            with Measure(self.emulator) as m_create_odoo:
                Event.create(self._push_values(user.id, user.partner_id.id))
                env.flush_all()
            with Measure(self.emulator) as m_odoo:
                env.cr.commit()
        pushed_odoo = len(self.emulator.list_events_raw(self.odoo_email)) - before_odoo
        log(
            f"   odoo: create {fmt_s(m_create_odoo.wall)}, push (commit) {fmt_s(m_odoo.wall)}, "
            f"{m_odoo.call_summary()}, {pushed_odoo} new in Google"
        )

        r = self.results
        bench = f"2. Push {n} new events"
        target = math.ceil(n / 50)
        r.add(bench, "events now in Google", pushed_ours, pushed_odoo, "", n, None)
        r.add(
            bench,
            "sync cycles needed (quota pacing: 540 calls/user/cycle)",
            cycles_push,
            "(pushes on commit)",
        )
        r.add(
            bench,
            "write requests (batch / single)",
            f"{m_ours.calls('batch')} batch ({m_ours.calls('events.insert')} inserts)",
            f"{m_odoo.calls('events.insert')} single",
            "",
            f"<= {target} batch",
            m_ours.calls("batch") <= target and pushed_ours == n,
        )
        r.add(bench, "HTTP requests (all, cycle)", m_ours.http(), m_odoo.http())
        r.add(bench, "push wall time (sum of cycles)", fmt_s(m_ours.wall), fmt_s(m_odoo.wall))
        r.add(
            bench,
            "speed-up vs Odoo's module",
            f"{ratio(m_odoo.wall, m_ours.wall):.1f}x",
            "",
            "",
            ">= 10x",
            ratio(m_odoo.wall, m_ours.wall) >= 10,
        )
        r.add(
            bench,
            "create in Odoo (not in push time)",
            fmt_s(m_create_ours.wall),
            fmt_s(m_create_odoo.wall),
        )
        r.add(bench, "SQL queries (push)", m_ours.sql.queries, m_odoo.sql.queries)

    # -- 3. update ------------------------------------------------------------------------
    def bench_update(self):
        n = self.n_update
        log(f"3. Update {n} events in Google (pull) and {n} in Odoo (push)")
        timed = [spec["google"]["id"] for spec in self.specs if spec["kind"] == "timed"]
        n = min(n, len(timed) // 2)
        google_ids, odoo_side_ids = timed[:n], timed[-n:]
        suffix = "(edited in Google)"
        edit_in_google(self.base_url, self.ours_token_data, self.ours_email, google_ids, suffix)
        edit_in_google(self.base_url, self.odoo_token_data, self.odoo_email, google_ids, suffix)

        with (
            oe.environment(self.db["ours"]) as env,
            Measure(self.emulator, "pull_ours") as m_pull_ours,
        ):
            ours.sync_user(env, self.ours_token_id)
        with oe.environment(self.db["ours"]) as env:
            pulled_ours = count_user_events(
                env, env["res.users"].browse(self.ours_uid), f"%{suffix}"
            )
        with oe.environment(self.db["odoo"]) as env, Measure(self.emulator) as m_pull_odoo:
            ref.sync_user(env, env["res.users"].browse(self.odoo_uid))
        with oe.environment(self.db["odoo"]) as env:
            pulled_odoo = count_user_events(
                env, env["res.users"].browse(self.odoo_uid), f"%{suffix}"
            )
        log(
            f"   pull: ours {fmt_s(m_pull_ours.wall)} {m_pull_ours.call_summary()} "
            f"({pulled_ours}); odoo {fmt_s(m_pull_odoo.wall)} {m_pull_odoo.call_summary()} "
            f"({pulled_odoo})"
        )

        # Odoo side: the same n events (by Google id) renamed by their user
        osuffix = "(edited in Odoo)"
        with oe.environment(self.db["ours"]) as env:
            user = env["res.users"].browse(self.ours_uid)
            env.cr.execute(
                "SELECT event_id FROM crm_google_event_link WHERE user_id = %s "
                "AND google_event_id = ANY(%s)",
                (user.id, odoo_side_ids),
            )
            events = env["calendar.event"].browse([row[0] for row in env.cr.fetchall()])
            with Measure(self.emulator) as m_write_ours:
                for event in events.with_user(user).with_context(**ours.USER_EDIT_CONTEXT):
                    event.write({"name": f"{event.name} {osuffix}"})
                env.flush_all()
                env.cr.commit()

        def edited_in_google(email):
            return sum(
                1
                for gid in odoo_side_ids
                if (self.emulator.get_event_raw(email, gid) or {})
                .get("summary", "")
                .endswith(osuffix)
            )

        with Measure(self.emulator, "update_push_ours") as m_push_ours:
            cycles_update, _reports = self.ours_cycles_until(
                lambda: edited_in_google(self.ours_email) >= n
            )
        pushed_ours = edited_in_google(self.ours_email)
        with oe.environment(self.db["odoo"]) as env:
            user = env["res.users"].browse(self.odoo_uid)
            events = env["calendar.event"].search([("google_id", "in", odoo_side_ids)])
            with Measure(self.emulator) as m_write_odoo:
                for event in events.with_user(user).with_context(**ours.USER_EDIT_CONTEXT):
                    event.write({"name": f"{event.name} {osuffix}"})
                env.flush_all()
            with Measure(self.emulator) as m_push_odoo:
                env.cr.commit()
        pushed_odoo = edited_in_google(self.odoo_email)
        log(
            f"   push: ours {fmt_s(m_push_ours.wall)} {m_push_ours.call_summary()} "
            f"({pushed_ours}); odoo {fmt_s(m_push_odoo.wall)} {m_push_odoo.call_summary()} "
            f"({pushed_odoo})"
        )

        r = self.results
        bench = f"3a. {n} edited in Google, pulled"
        r.add(bench, "events updated in Odoo", pulled_ours, pulled_odoo, "", n)
        r.add(
            bench,
            "events.list requests",
            m_pull_ours.calls("events.list"),
            m_pull_odoo.calls("events.list"),
            "",
            f"<= {math.ceil(n / 2500)}",
            m_pull_ours.calls("events.list") <= math.ceil(n / 2500),
        )
        r.add(bench, "HTTP requests (all)", m_pull_ours.http(), m_pull_odoo.http())
        r.add(bench, "wall time", fmt_s(m_pull_ours.wall), fmt_s(m_pull_odoo.wall))
        r.add(bench, "SQL queries", m_pull_ours.sql.queries, m_pull_odoo.sql.queries)
        bench = f"3b. {n} edited in Odoo, pushed"
        target = math.ceil(n / 50)
        r.add(bench, "events updated in Google", pushed_ours, pushed_odoo, "", n)
        r.add(bench, "sync cycles needed (quota pacing)", cycles_update, "(pushes on commit)")
        r.add(
            bench,
            "write requests (batch / single)",
            f"{m_push_ours.calls('batch')} batch ({m_push_ours.calls('events.patch')} patches)",
            f"{m_push_odoo.calls('events.patch')} single",
            "",
            f"<= {target} batch",
            m_push_ours.calls("batch") <= target and pushed_ours == n,
        )
        r.add(bench, "HTTP requests (all)", m_push_ours.http(), m_push_odoo.http())
        r.add(
            bench,
            "push wall time (sum of cycles)",
            fmt_s(m_push_ours.wall),
            fmt_s(m_push_odoo.wall),
        )
        r.add(
            bench,
            "speed-up vs Odoo's module",
            f"{ratio(m_push_odoo.wall, m_push_ours.wall):.1f}x",
        )
        r.add(
            bench,
            "edit in Odoo (not in push time)",
            fmt_s(m_write_ours.wall),
            fmt_s(m_write_odoo.wall),
        )

    # -- 4. idle ------------------------------------------------------------------------
    def bench_idle(self):
        n = self.n_users
        log(f"4. Idle cycle of {n} connected users")
        # Every user's events have ids of their own: the same id (and so iCalUID) in
        # several users' calendars is one shared meeting, which the sync keeps in step.
        per_user_events = 3
        # ours
        emails, issued = self.seed_idle_accounts("ours", n, per_user_events)
        with oe.environment(self.db["ours"]) as env:
            users = ours.create_users(env, [f"idle-ours-{i}" for i in range(n)])
            tokens = ours.connect_users(env, issued, users, emails)
            env.cr.commit()
            token_ids = tokens.ids
        t0 = time.perf_counter()
        max_runs = n // 100 + 5  # a cron run handles up to 500 users; never loop forever
        first = oe.SqlCounter(by_statement=True)
        with oe.environment(self.db["ours"]) as env, first.counting():
            ours.make_due(env, token_ids)
            runs, failures = ours.cron_cycle(env, (ours.new_progress(env) for _ in range(max_runs)))
            log(f"   ours: first cycle, cron runs handled {runs} users")
        token_writes = [
            f"{count}x {query[:110]}"
            for query, (_t, count) in first.by_statement.items()
            if query.startswith("UPDATE") and "crm_google_token" in query[:30]
        ]
        log("   ours: token row writes in the first cycle:\n     " + "\n     ".join(token_writes))
        if failures:
            log(f"   ours: {len(failures)} cron runs of the first cycle failed: {failures[0]}")
            self.results.note(
                f"ours: {len(failures)} cron run(s) of the first (importing) cycle of the idle "
                f"users failed and were repeated: {failures[0]} (see report)."
            )
        log(f"   ours: first cycle (import) {fmt_s(time.perf_counter() - t0)}")
        # A settling cycle: whatever the first cycle left (a run rolled back, echoes)
        # is done now, so that the measured cycle really has nothing to do.
        with oe.environment(self.db["ours"]) as env:
            ours.make_due(env, token_ids)
            _runs, settling_failures = ours.cron_cycle(
                env, (ours.new_progress(env) for _ in range(max_runs))
            )
            for failure in settling_failures:
                log(f"   ours: settling cycle, cron run failed: {failure}")
        with oe.environment(self.db["ours"]) as env:
            ours.make_due(env, token_ids)
            progress_ids = [ours.new_progress(env) for _run in range(max_runs)]
            with Measure(self.emulator, "idle_ours") as m_ours:
                runs, idle_failures = ours.cron_cycle(env, progress_ids)
            for failure in idle_failures:
                log(f"   ours: idle cycle, cron run failed: {failure}")
                failures.append(f"idle cycle: {failure}")
            token_writes = [
                f"{count}x {query[:110]}"
                for query, (_t, count) in (m_ours.sql.by_statement or {}).items()
                if query.startswith(("UPDATE", "INSERT", "DELETE"))
            ]
            if token_writes:
                log(
                    "   ours: write statements in the idle cycle:\n     "
                    + "\n     ".join(token_writes)
                )
            if sum(runs) != n:
                self.results.note(f"ours idle: cron runs handled {runs} users, expected {n}")
        log(
            f"   ours: idle {fmt_s(m_ours.wall)} in cron runs {runs}, {m_ours.call_summary()}, "
            f"{m_ours.sql.queries} queries, writes {m_ours.sql.tables}"
        )
        # Google answers a list in ~100-200 ms, the emulator in ~1 ms: with a
        # simulated latency the cycle waits on the network as in production, which
        # is what several cron jobs (workers) overlap.
        parallel = {
            jobs: self.idle_parallel(token_ids, jobs=jobs, max_runs=max_runs, latency=LATENCY)
            for jobs in (1, 2, 4)
        }

        # Odoo's module
        emails, issued = self.seed_idle_accounts("odoo", n, per_user_events)
        with oe.environment(self.db["odoo"]) as env:
            ref.stop_users(env, env["res.users"].browse(self.odoo_uid))
            users = ref.create_users(env, [f"idle-odoo-{i}" for i in range(n)])
            ref.connect_users(env, issued, users, emails)
            for user, email in zip(users, emails, strict=True):
                user.partner_id.email = email
            env.cr.commit()
        t0 = time.perf_counter()
        with oe.environment(self.db["odoo"]) as env:
            ref.cron_run(env)
        log(f"   odoo: first cycle (import) {fmt_s(time.perf_counter() - t0)}")
        with oe.environment(self.db["odoo"]) as env, Measure(self.emulator, "idle_odoo") as m_odoo:
            ref.cron_run(env)
        log(
            f"   odoo: idle {fmt_s(m_odoo.wall)}, {m_odoo.call_summary()}, "
            f"{m_odoo.sql.queries} queries, writes {m_odoo.sql.tables}"
        )

        r = self.results
        bench = f"4. Idle cycle, {n} users"
        r.add(
            bench,
            "HTTP requests per user (1 calendar each)",
            f"{m_ours.http() / n:.2f}",
            f"{m_odoo.http() / n:.2f}",
            "",
            "1",
            m_ours.http() == n,
        )
        r.add(bench, "requests by kind", m_ours.call_summary(), m_odoo.call_summary())

        def user_rows(tables):
            return sum(rows for table, rows in tables.items() if table not in CRON_BOOKKEEPING)

        r.add(
            bench,
            "rows written for the users (all but the cron's own bookkeeping)",
            user_rows(m_ours.sql.tables),
            user_rows(m_odoo.sql.tables),
            "",
            "0",
            user_rows(m_ours.sql.tables) == 0,
        )
        r.add(
            bench,
            "rows written by table (all)",
            _tables(m_ours.sql.tables),
            _tables(m_odoo.sql.tables),
        )
        r.add(
            bench,
            "SQL queries per user",
            f"{m_ours.sql.queries / n:.1f}",
            f"{m_odoo.sql.queries / n:.1f}",
        )
        r.add(bench, "wall time per user", fmt_s(m_ours.wall / n), fmt_s(m_odoo.wall / n))
        r.add(bench, "wall time total", fmt_s(m_ours.wall), fmt_s(m_odoo.wall))
        one = parallel[1]["wall"]
        r.add(
            bench,
            f"wall time with {LATENCY * 1000:.0f} ms Google latency: 1 / 2 / 4 cron jobs",
            " / ".join(
                f"{fmt_s(run['wall'])}" + ("" if jobs == 1 else f" ({one / run['wall']:.1f}x)")
                for jobs, run in parallel.items()
            ),
        )
        r.add(
            bench,
            "requests / rows written with 4 cron jobs",
            f"{parallel[4]['calls']} / {_tables(parallel[4]['tables'])}",
        )

    def seed_idle_accounts(self, kind, n, per_user_events):
        """``n`` Google accounts with tokens and events of their own.
        -> (emails, issued tokens by email)"""
        emails = [f"idle-{kind}-{i}@bench.test" for i in range(n)]
        issued = {}
        for i, email in enumerate(emails):
            issued[email] = issue(self.emulator, email)
            seed(
                self.emulator,
                email,
                data.make_events(per_user_events, seed=i, id_prefix=f"idle{i:05d}u"),
            )
        return emails, issued

    def idle_parallel(self, token_ids, jobs, max_runs, latency):
        """The idle cycle again with ``jobs`` cron jobs running at the same time, as
        that many Odoo cron workers run them (one thread and cursor each), and
        ``latency`` seconds added to every Google answer."""
        import threading

        with oe.environment(self.db["ours"]) as env:
            ours.set_cron_jobs(env, jobs)
            ours.make_due(env, token_ids)
            progress = {
                shard: [ours.new_progress(env, shard) for _run in range(max_runs)]
                for shard in range(jobs)
            }
        counters = [oe.SqlCounter() for _shard in range(jobs)]
        handled = [0] * jobs
        failures = []

        def worker(shard):
            with counters[shard].counting(), oe.environment(self.db["ours"]) as env:
                runs, errors = ours.cron_cycle(env, progress[shard], shard=shard)
            handled[shard] = sum(runs)
            failures.extend(errors)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(jobs)]
        self.emulator.reset_requests()
        self.emulator.faults.add("slow", delay=latency, times=None)
        started = time.perf_counter()
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            self.emulator.faults.clear()
        wall = time.perf_counter() - started
        calls = self.emulator.counters.get("http_requests", 0)
        tables = {}
        for counter in counters:
            for table, rows in counter.tables.items():
                tables[table] = tables.get(table, 0) + rows
        with oe.environment(self.db["ours"]) as env:
            ours.set_cron_jobs(env, 1)
        log(
            f"   ours: idle, {latency * 1000:.0f} ms latency, {jobs} cron job(s) in parallel "
            f"{fmt_s(wall)}, users per job "
            f"{handled}, {calls} requests, writes {tables}"
            + (f", failed runs: {failures[:1]}" if failures else "")
        )
        if failures:
            self.results.note(f"ours idle ({jobs} jobs): cron runs failed: {failures[0]}")
        return {"wall": wall, "calls": calls, "tables": tables, "handled": handled}

    # -- 5. memory ------------------------------------------------------------------------
    def bench_memory(self):
        sizes = self.args.memory_sizes
        kinds = ["ours"] if self.args.quick else ["ours", "odoo"]
        log(f"5. Memory: import of {sizes} events in fresh processes ({', '.join(kinds)})")
        measured = {}
        for kind in kinds:
            for n in sizes:
                out = oe.run_child(["--memory-child", kind, str(n)], log=log)
                result = json.loads(out.strip().splitlines()[-1])
                measured[kind, n] = result
                log(f"   {kind} {n}: {result}")
        r = self.results
        bench = "5. Memory (peak RSS)"
        small, large = sizes
        for n in sizes:
            o = measured.get(("ours", n))
            d = measured.get(("odoo", n))
            r.add(
                bench,
                f"import {n}: peak RSS (growth over baseline)",
                f"{o['peak_mb']:.0f} MB (+{o['growth_mb']:.0f})",
                f"{d['peak_mb']:.0f} MB (+{d['growth_mb']:.0f})" if d else "not run (--quick)",
            )
            r.add(
                bench,
                f"import {n}: wall time (own process)",
                fmt_s(o["wall"]),
                fmt_s(d["wall"]) if d else "",
            )
        o_small, o_large = measured["ours", small], measured["ours", large]
        extra = o_large["growth_mb"] - o_small["growth_mb"]
        # "flat": the larger import may not need meaningfully more memory than the smaller
        # one (both are >= one page): at most 20 % or 10 MB more growth.
        flat = extra <= max(10.0, 0.2 * o_small["growth_mb"])
        d_small, d_large = measured.get(("odoo", small)), measured.get(("odoo", large))
        r.add(
            bench,
            f"extra growth {large} vs {small}",
            f"+{extra:.0f} MB",
            f"+{d_large['growth_mb'] - d_small['growth_mb']:.0f} MB" if d_small else "",
            "",
            "flat (<= +max(10 MB, 20 %))",
            flat,
        )


def _tables(tables):
    return ", ".join(f"{k} {v}" for k, v in sorted(tables.items())) or "none"


# ----------------------------------------------------------------------------------------
# Memory child
# ----------------------------------------------------------------------------------------
def _proc_status_mb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_child(kind, n):
    """Import ``n`` events for a fresh user in a fresh process; print peak RSS as JSON."""
    from gcbench.emuproc import EmulatorProcess

    oe.ensure_template(kind, log=log)
    db = oe.copy_from_template(kind, suffix="_mem")
    main_email, warm_email = "mem-main@bench.test", "mem-warm@bench.test"
    # The emulator runs in its own process: its copy of the events is not our memory.
    emulator = EmulatorProcess({main_email: (n, "mem"), warm_email: (20, "heat")})
    oe.configure()
    oe.registry(db)
    module = ours if kind == "ours" else ref
    if kind == "odoo":
        ref.point_at_emulator(emulator.base_url)
    with oe.environment(db) as env:
        if kind == "ours":
            ours.configure(env, emulator.base_url)
        else:
            ref.configure(env)
        users = module.create_users(env, ["mem-warm", "mem-main"])
        emails = [warm_email, main_email]
        tokens = module.connect_users(env, emulator.tokens, users, emails)
        if kind == "odoo":
            for user, email in zip(users, emails, strict=True):
                user.partner_id.email = email
        env.cr.commit()
        user_ids = users.ids
        token_ids = tokens.ids if kind == "ours" else None

    def sync(index):
        with oe.environment(db) as env:
            if kind == "ours":
                ours.sync_user(env, token_ids[index])
            else:
                ref.sync_user(env, env["res.users"].browse(user_ids[index]))

    sync(0)  # warm-up: imports, discovery document, caches
    gc.collect()
    # ru_maxrss survives execve on Linux (the child would report the parent's peak), so
    # the peak comes from VmHWM, reset to the current RSS before the import.
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    baseline = _proc_status_mb("VmRSS")
    started = time.perf_counter()
    sync(1)
    wall = time.perf_counter() - started
    peak = _proc_status_mb("VmHWM")
    with oe.environment(db) as env:
        count = count_user_events(env, env["res.users"].browse(user_ids[1]))
    emulator.stop()
    print(
        json.dumps(
            {
                "kind": kind,
                "n": n,
                "events": count,
                "baseline_mb": baseline,
                "peak_mb": peak,
                "growth_mb": peak - baseline,
                "wall": wall,
            }
        )
    )


# ----------------------------------------------------------------------------------------
def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (development)")
    parser.add_argument("--import-n", type=int)
    parser.add_argument("--push-n", type=int)
    parser.add_argument("--update-n", type=int)
    parser.add_argument("--users", type=int)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--only", help="comma list of: import,attendees,push,update,idle,memory")
    parser.add_argument(
        "--profile",
        default="",
        help="comma list of steps to profile: import_ours, import_floor, import_odoo, "
        "import_att_ours, import_att_floor, push_ours, pull_ours, update_push_ours, "
        "idle_ours, idle_odoo",
    )
    parser.add_argument("--output", default=str(BENCH / "results.md"))
    parser.add_argument("--memory-child", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child[0], int(args.memory_child[1]))
        return
    quick = args.quick
    PROFILE.update(filter(None, args.profile.split(",")))
    args.import_n = args.import_n or (2000 if quick else 10000)
    args.push_n = args.push_n or (200 if quick else 1000)
    args.update_n = args.update_n or (200 if quick else 1000)
    args.users = args.users or (100 if quick else 1000)
    args.memory_sizes = (2500, 5000) if quick else (2500, 10000)
    only = set((args.only or "import,attendees,push,update,idle,memory").split(","))
    if args.skip_memory:
        only.discard("memory")

    started = dt.datetime.now(dt.timezone.utc)
    results = Results()
    bench = Bench(args, results)
    if only == {"memory"}:
        oe.configure()
        bench.bench_memory()
        text = results.markdown(machine_info(), f"memory {args.memory_sizes}", started)
        print(text)
        Path(args.output).write_text(text)
        sys.stdout.flush()
        os._exit(0)
    bench.setup()
    bench.warm_up()
    machine = machine_info()
    try:
        # import is the base of push/update (same users)
        bench.bench_import()
        if "attendees" in only:
            bench.bench_import_attendees()
        if "push" in only:
            bench.bench_push()
        if "update" in only:
            bench.bench_update()
        if "idle" in only:
            bench.bench_idle()
    finally:
        bench.teardown()
    if "memory" in only:
        bench.bench_memory()
    if bench.paging_shim.stringified_bodies:
        results.note(
            f"Odoo's module sent {bench.paging_shim.stringified_bodies} event bodies with a "
            "number in extendedProperties (a map of strings); Google accepts that, the "
            "emulator answers 400, so the benchmark sent the number as a string (see README)."
        )
    if bench.paging_shim.patched_pages:
        results.note(
            f"Odoo's module asked for {bench.paging_shim.patched_pages} list pages with only "
            "pageToken; the emulator requires the first page's query to be repeated, so the "
            "benchmark re-added it (request count unchanged; see README)."
        )
    results.note(
        "The emulator runs in the benchmark process (threads), so both implementations "
        "share the CPU with it; memory is measured in separate processes with the emulator "
        "in a process of its own."
    )
    sizes = (
        f"import {args.import_n}, push {args.push_n}, update {args.update_n}, "
        f"users {args.users}, memory {args.memory_sizes}"
    )
    text = results.markdown(machine, sizes, started)
    print(text)
    Path(args.output).write_text(text)
    log(f"written to {args.output}")
    sys.stdout.flush()
    # Odoo's registries keep threads around; do not wait for them.
    os._exit(0)


if __name__ == "__main__":
    main()
