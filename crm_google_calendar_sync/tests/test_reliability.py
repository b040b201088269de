# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Reliability: convergence under chaos, crash points, concurrency, Google-side surprises,
token safety. Everything runs through the cron entry point against the emulator.

Retries run with the client's real RetryPolicy and RetryBudget; only the budget's
``sleep`` (an injection point of RetryBudget made for tests) is virtual, so
Retry-After and backoff waits are recorded and asserted but not slept.
"""

import contextlib
import logging
import os
import random
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.sql_db import db_connect
from odoo.tests import new_test_user, tagged
from odoo.tools import html2plaintext

from ..models import crm_google_token
from ..store import user_run
from ..sync import google_client, retry
from .common import SyncCase

_logger = logging.getLogger(__name__)

# Size of the chaos workload of the default run; CRM_GCAL_CHAOS_EVENTS=1000 runs the
# full issue-sized version.
CHAOS_EVENTS = int(os.environ.get("CRM_GCAL_CHAOS_EVENTS") or 240)
CHAOS_SEED = int(os.environ.get("CRM_GCAL_CHAOS_SEED") or 20240)
CHAOS_MAX_CYCLES = 15
# Google API traffic only (no OAuth endpoints).
API_PATHS = r"^/(calendar/v3|batch/calendar/v3)"
# A "slow" fault waits longer than this socket timeout: a real timeout.
TEST_HTTP_TIMEOUT = 1.0


def google_time(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def norm_privacy(value):
    if value in (None, False, "", "default"):
        return "default"
    if value in ("private", "confidential"):
        return "private"
    return value


def odoo_view(event):
    """An Odoo event as the mapping compares it."""
    if event.allday:
        times = (True, event.start_date, event.stop_date)
    else:
        times = (False, event.start, event.stop)
    return (
        event.name,
        *times,
        event.location or "",
        html2plaintext(event.description or "").strip(),
        norm_privacy(event.privacy),
    )


def google_view(event):
    """A Google event (emulator body) as the mapping compares it."""
    start, end = event["start"], event["end"]
    if "date" in start:
        times = (
            True,
            date.fromisoformat(start["date"]),
            date.fromisoformat(end["date"]) - timedelta(days=1),
        )
    else:

        def utc(value):
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment.astimezone(timezone.utc).replace(tzinfo=None)

        times = (False, utc(start["dateTime"]), utc(end["dateTime"]))
    return (
        event.get("summary") or "",
        *times,
        event.get("location") or "",
        (event.get("description") or "").strip(),
        norm_privacy(event.get("visibility")),
    )


class ReliabilityCase(SyncCase):
    """Cron-path sync helpers with virtual retry sleeps and a short socket timeout."""

    budget_seconds = None  # None: the client's default per-cycle budget

    def setUp(self):
        super().setUp()
        self.waits = []  # every wait granted by a retry budget (seconds)
        self.budgets = []
        self.sleep_hook = None
        real_budget = retry.RetryBudget

        def budget_factory(seconds, **_kwargs):
            if self.budget_seconds is not None:
                seconds = self.budget_seconds
            budget = real_budget(seconds, sleep=self._virtual_sleep)
            self.budgets.append(budget)
            return budget

        for patcher in (
            patch.object(google_client, "RetryBudget", budget_factory),
            patch.object(crm_google_token, "HTTP_TIMEOUT", TEST_HTTP_TIMEOUT),
        ):
            patcher.start()
            self.addCleanup(patcher.stop)
        self.paused_requests = 0  # Google calls made by the "user", outside the chaos

    def _virtual_sleep(self, seconds):
        self.waits.append(seconds)
        if self.sleep_hook is not None:
            hook, self.sleep_hook = self.sleep_hook, None
            hook()

    # ------------------------------------------------------------------
    def sync_noticing_calendars(self, token):
        """A sync that also re-reads the calendar list (the cron does so only every
        CALENDAR_LIST_MAX_AGE): what the user gets once Google's change is seen."""
        if "calendar_list_checked" in token._fields:
            token.sudo().calendar_list_checked = False
        return self.sync(token)

    @contextlib.contextmanager
    def faults_paused(self):
        """User-side edits in Google are not part of the injected chaos."""
        faults = self.emulator.faults
        with faults._lock:
            saved = list(faults._faults)
            faults._faults.clear()
        before = len(self.emulator.requests)
        try:
            yield
        finally:
            self.paused_requests += len(self.emulator.requests) - before
            with faults._lock:
                faults._faults[:0] = saved

    def reconnect(self, user, email):
        """Store fresh tokens of ``email`` for ``user``: what the OAuth callback does."""
        return self.store_tokens(user, email)

    def events_of(self, user, prefix=""):
        domain = [("partner_ids", "in", user.partner_id.ids)]
        if prefix:
            domain.append(("name", "=like", prefix + "%"))
        return self.env["calendar.event"].search(domain)

    def google_events(self, calendar_id, prefix=""):
        return [
            event
            for event in self.emulator.list_events_raw(calendar_id)
            if (event.get("summary") or "").startswith(prefix)
        ]

    @staticmethod
    def future(days, hour=9):
        base = datetime.utcnow().replace(hour=hour, minute=0, second=0, microsecond=0)
        return base + timedelta(days=days)

    def assert_no_duplicates(self, user, email, prefix):
        odoo_names = Counter(self.events_of(user, prefix).mapped("name"))
        google = self.google_events(email, prefix)
        google_names = Counter(event["summary"] for event in google)
        uids = Counter(event["iCalUID"] for event in google)
        links = self.env["crm.google.event.link"].search([("user_id", "=", user.id)])
        per_event = Counter(links.filtered("event_id").mapped("event_id").ids)
        duplicates = {
            "odoo": {k: v for k, v in odoo_names.items() if v > 1},
            "google": {k: v for k, v in google_names.items() if v > 1},
            "ical_uid": {k: v for k, v in uids.items() if v > 1},
            "links": {k: v for k, v in per_event.items() if v > 1},
        }
        self.assertEqual(duplicates, {"odoo": {}, "google": {}, "ical_uid": {}, "links": {}})


@tagged("post_install", "-at_install", "crm_gcal_reliability")
class TestReliability(ReliabilityCase):
    """Chaos, crash points, concurrency, Google-side surprises, token safety."""

    def _add_chaos_faults(self):
        add = self.emulator.faults.add
        self.emulator.faults.seed(CHAOS_SEED)
        whole = {"path": API_PATHS, "in_batch": False, "times": None}
        part = {"in_batch": True, "times": None}
        return [
            add("429", probability=0.07, retry_after=2, **whole),
            add("403_rate", probability=0.05, **whole),
            add("500", probability=0.05, **whole),
            add("503", probability=0.05, retry_after=1, **whole),
            add("drop", probability=0.05, **whole),
            add("lost_response", probability=0.03, **whole),
            # Longer than the socket timeout: the client times out (the request may apply).
            add("slow", probability=0.02, delay=TEST_HTTP_TIMEOUT + 0.3, **whole),
            add("429", probability=0.07, retry_after=1, **part),
            add("403_user_rate", probability=0.05, **part),
            add("500", probability=0.07, **part),
            add("503", probability=0.06, **part),
            add("lost_response", probability=0.03, **part),
        ]

    def _odoo_values(self, index, origin, version):
        rng = random.Random(index * 7 + version)
        name = f"chaos-{origin}{index:04d} v{version}"
        start = self.future(1 + index % 25, hour=6 + index % 10) + timedelta(
            minutes=15 * (version % 4)
        )
        values = {
            "name": name,
            "location": f"Room {rng.randint(1, 99)}",
            "description": f"Notes {origin}{index} version {version}",
            "privacy": rng.choice([False, "public", "private"]),
        }
        if index % 10 == 3:
            day = start.date()
            values.update(allday=True, start_date=day, stop_date=day + timedelta(days=index % 2))
        else:
            values.update(start=start, stop=start + timedelta(minutes=30 + 30 * (index % 3)))
        return values

    @staticmethod
    def _google_body(values):
        body = {
            "summary": values["name"],
            "location": values["location"],
            "description": values["description"],
            "visibility": {False: "default"}.get(values["privacy"], values["privacy"]),
        }
        if values.get("allday"):
            body["start"] = {"date": values["start_date"].isoformat()}
            body["end"] = {"date": (values["stop_date"] + timedelta(days=1)).isoformat()}
        else:
            body["start"] = {"dateTime": google_time(values["start"])}
            body["end"] = {"dateTime": google_time(values["stop"])}
        return body

    @staticmethod
    def _expected_view(values):
        if values.get("allday"):
            times = (True, values["start_date"], values["stop_date"])
        else:
            times = (False, values["start"], values["stop"])
        return (
            values["name"],
            *times,
            values["location"],
            values["description"],
            norm_privacy(values["privacy"]),
        )

    def _run_until_stable(self, token, label):
        for cycle in range(1, CHAOS_MAX_CYCLES + 1):
            report = self.sync(token)
            _logger.info(
                "chaos %s cycle %s: %s",
                label,
                cycle,
                report and (report.pulled, report.pushed, report.errors[:5], report.skipped[:5]),
            )
            if report is not None and not report.changed_anything and not report.incomplete:
                return cycle
        self.fail(f"chaos {label}: not stable after {CHAOS_MAX_CYCLES} cycles")

    def test_convergence_under_chaos(self):
        started = time.monotonic()
        email = "chaos@example.com"
        user, token = self.connect_user("gcal_chaos", email, tz="UTC")
        user.google_sync_private = True
        self.emulator.reset_requests()
        service = self.service(email).events()
        half = CHAOS_EVENTS // 2
        faults = self._add_chaos_faults()
        # expected[key] = (values, google_id or None); key "G12" / "O7"
        expected = {}
        with self.faults_paused():
            for index in range(half):
                values = self._odoo_values(index, "G", 1)
                service.insert(calendarId=email, body=self._google_body(values)).execute()
                expected[f"G{index}"] = values
        creates = [
            dict(self._odoo_values(i, "O", 1), partner_ids=[(6, 0, user.partner_id.ids)])
            for i in range(half)
        ]
        records = self.env["calendar.event"].with_user(user).create(creates)
        self.assertEqual(len(records), half)
        for i in range(half):
            expected[f"O{i}"] = self._odoo_values(i, "O", 1)
        cycles_initial = self._run_until_stable(token, "initial")

        # Round 2: updates, deletes and creates on both sides (disjoint events, so that
        # every edit must survive; conflicts are covered by test_sync).
        rng = random.Random(CHAOS_SEED)
        keys = sorted(expected)
        rng.shuffle(keys)
        tenth = max(1, len(keys) // 10)
        odoo_updates, google_updates = keys[: 2 * tenth], keys[2 * tenth : 4 * tenth]
        odoo_deletes, google_deletes = keys[4 * tenth : 5 * tenth], keys[5 * tenth : 6 * tenth]
        by_name = {}
        for event in self.events_of(user, "chaos-"):
            by_name[event.name] = event
        google_by_name = {e["summary"]: e for e in self.google_events(email, "chaos-")}

        def index_of(key):
            return int(key[1:])

        for key in odoo_updates:
            event = by_name[expected[key]["name"]]
            values = self._odoo_values(index_of(key), key[0], 2)
            event.with_user(user).write(values)
            expected[key] = values
        for key in odoo_deletes:
            by_name[expected.pop(key)["name"]].with_user(user).unlink()
        with self.faults_paused():
            for key in google_updates:
                google_id = google_by_name[expected[key]["name"]]["id"]
                values = self._odoo_values(index_of(key), key[0], 3)
                service.patch(
                    calendarId=email, eventId=google_id, body=self._google_body(values)
                ).execute()
                expected[key] = values
            for key in google_deletes:
                google_id = google_by_name[expected.pop(key)["name"]]["id"]
                service.delete(calendarId=email, eventId=google_id).execute()
            for index in range(half, half + tenth):
                values = self._odoo_values(index, "G", 1)
                service.insert(calendarId=email, body=self._google_body(values)).execute()
                expected[f"G{index}"] = values
        new_odoo = [
            dict(self._odoo_values(i, "O", 1), partner_ids=[(6, 0, user.partner_id.ids)])
            for i in range(half, half + tenth)
        ]
        self.env["calendar.event"].with_user(user).create(new_odoo)
        for index in range(half, half + tenth):
            expected[f"O{index}"] = self._odoo_values(index, "O", 1)
        cycles_after_edits = self._run_until_stable(token, "edits")

        injected = sum(fault.hits for fault in faults)
        # Google calls of the syncs: HTTP requests plus batch parts, user edits excluded.
        requests = self.emulator.requests
        calls = len(requests) - self.paused_requests
        self.emulator.faults.clear()
        final = self.sync(token)
        self.assertIsNotNone(final)
        self.assertFalse(final.pulled or final.pushed or final.errors, final)

        want = {self._expected_view(values) for values in expected.values()}
        odoo_side = {odoo_view(event) for event in self.events_of(user, "chaos-")}
        google_side = {google_view(event) for event in self.google_events(email, "chaos-")}
        lost_odoo = want - odoo_side
        lost_google = want - google_side
        extra_odoo = odoo_side - want
        extra_google = google_side - want
        _logger.info(
            "CHAOS RESULT events=%s google_calls=%s faults_injected=%s cycles_initial=%s "
            "cycles_after_edits=%s lost_edits=%s/%s extra=%s/%s "
            "retries_waited=%.1fs(virtual) wall=%.1fs",
            len(expected) + len(odoo_deletes) + len(google_deletes),
            calls,
            injected,
            cycles_initial,
            cycles_after_edits,
            len(lost_odoo),
            len(lost_google),
            len(extra_odoo),
            len(extra_google),
            sum(self.waits),
            time.monotonic() - started,
        )
        self.assertGreater(injected, calls // 8, "the chaos must really inject faults")
        self.assertEqual(sorted(lost_odoo, key=str)[:5], [], "edits lost in Odoo")
        self.assertEqual(sorted(lost_google, key=str)[:5], [], "edits lost in Google")
        self.assertEqual(sorted(extra_odoo, key=str)[:5], [], "stale/resurrected in Odoo")
        self.assertEqual(sorted(extra_google, key=str)[:5], [], "stale/resurrected in Google")
        self.assert_no_duplicates(user, email, "chaos-")
        # Retry-After was honoured: the server-given waits appear among the budget's waits
        # and no single wait exceeded the backoff cap or the per-cycle budget.
        for fault in faults:
            if fault.retry_after and fault.hits:
                self.assertIn(float(fault.retry_after), self.waits)
        policy = retry.RetryPolicy()
        self.assertLessEqual(max(self.waits), policy.max_delay)
        self.assertTrue(all(b.spent <= b.seconds for b in self.budgets))

    def test_retry_after_is_honoured_and_budget_bounds_a_cycle(self):
        email = "retry@example.com"
        user, token = self.connect_user("gcal_retry", email, tz="UTC")
        self.meeting(user, "Retry me", self.future(3))
        self.emulator.faults.add("429", path=r"/events$", method="GET", retry_after=7, times=1)
        self.emulator.faults.add("503", in_batch=True, retry_after=3, times=1)
        report = self.sync(token)
        self.assertIsNotNone(report)
        self.assertEqual(report.pushed_inserted, 1)
        self.assertEqual(self.waits[:2], [7.0, 3.0])
        # A user whose Google keeps throttling stops within the budget: no wait beyond it,
        # a clear (retryable) state, and the next cycle picks up the work.
        self.waits.clear()
        self.meeting(user, "Throttled", self.future(4))
        self.emulator.faults.add("429", in_batch=True, retry_after=25, times=None)
        report = self.sync(token)
        self.assertIsNone(report)
        self.assertLessEqual(sum(self.waits), google_client.DEFAULT_BUDGET_SECONDS)
        self.assertEqual(user.google_sync_state, "error")
        shown = user.google_sync_error
        self.emulator.faults.clear()
        report = self.sync(token)
        self.assertEqual(report.pushed_inserted, 1)
        self.assertEqual(user.google_sync_state, "connected")
        self.assertEqual(len(self.google_events(email, "Throttled")), 1)
        # The user reads why: Google throttled (not a technical class name).
        self.assertIn("slow down", shown)

    # ------------------------------------------------------------------
    # Crash consistency: abort the sync after the k-th Google call, rerun, compare with
    # an uninterrupted run. The abort is real: from call k+1 on Google answers 500 (or
    # applies call k+1 and loses its answer) and the retry budget is 0, so the first retry
    # the client would need raises RetryBudgetExhausted through the engine; the sync's
    # cursor rolls back to its last checkpoint (a test-mode savepoint = a commit in
    # production).
    # ------------------------------------------------------------------
    def _scenario(self, tag, abort=None):
        """Run the scenario for a fresh user; ``abort(emulator)`` arms the faults of the
        interrupted sync. Returns (state, calls) with calls = (http, parts) of the sync."""
        email = f"crash{tag}@example.com"
        user, token = self.connect_user(f"gcal_crash{tag}", email, tz="UTC")
        service = self.service(email).events()
        base = {}
        for index in range(4):
            self.meeting(user, f"B-O{index}", self.future(2 + index))
            body = self.emulator.add_event(
                email,
                email,
                {
                    "summary": f"B-G{index}",
                    "start": {"dateTime": google_time(self.future(2 + index, 14))},
                    "end": {"dateTime": google_time(self.future(2 + index, 15))},
                },
            )
            base[f"B-G{index}"] = body["id"]
        self.assertIsNotNone(self.sync(token))
        events = {event.name: event for event in self.events_of(user)}
        links = {
            name: event.google_link_ids.filtered(lambda li, u=user: li.user_id == u)
            for name, event in events.items()
        }
        # Changes on both sides: 5 new, 2 edits, 2 deletions each.
        for index in range(5):
            self.meeting(user, f"N-O{index}", self.future(10 + index), location=f"O{index}")
            self.emulator.add_event(
                email,
                email,
                {
                    "summary": f"N-G{index}",
                    "location": f"G{index}",
                    "start": {"dateTime": google_time(self.future(10 + index, 14))},
                    "end": {"dateTime": google_time(self.future(10 + index, 15))},
                },
            )
        events["B-O0"].with_user(user).write({"location": "edited in Odoo"})
        events["B-G0"].with_user(user).write({"name": "B-G0 edited in Odoo"})
        events["B-O2"].with_user(user).unlink()
        events["B-G2"].with_user(user).unlink()
        service.patch(
            calendarId=email,
            eventId=links["B-O1"].google_event_id,
            body={"location": "edited in Google"},
        ).execute()
        service.patch(
            calendarId=email, eventId=base["B-G1"], body={"summary": "B-G1 edited in Google"}
        ).execute()
        service.delete(calendarId=email, eventId=links["B-O3"].google_event_id).execute()
        service.delete(calendarId=email, eventId=base["B-G3"]).execute()
        self.emulator.reset_requests()
        partial = None
        if abort is not None:
            abort(self.emulator)
            report = self.sync(token)
            self.assertIsNone(report, "the armed fault must abort the sync")
            self.assertEqual(user.google_sync_state, "error")
            partial = self._state(user, email)
            self.emulator.faults.clear()
        else:
            self.assertIsNotNone(self.sync(token))
        calls = [r for r in self.emulator.requests if r.path.startswith(("/calendar", "/batch"))]
        http = sum(1 for r in calls if not r.in_batch)
        parts = sum(1 for r in calls if r.in_batch)
        if abort is not None:
            report = self.sync(token)
            self.assertIsNotNone(report)
        state = self._state(user, email)
        again = self.sync(token)
        self.assertFalse(again.pulled or again.pushed or again.errors, (tag, again))
        self.assert_no_duplicates(user, email, "")
        return state, (http, parts), partial

    def _state(self, user, email):
        odoo_side = sorted(
            (e.name, e.start, e.stop, e.location or "") for e in self.events_of(user)
        )
        google_side = sorted(
            (view[0], view[2], view[3], view[4])
            for view in map(google_view, self.emulator.list_events_raw(email))
        )
        return odoo_side, google_side

    def test_every_crash_point(self):
        self.budget_seconds = 0.0
        reference, (http, parts), _ = self._scenario("ref")
        odoo_ref, google_ref = reference
        self.assertEqual(len(odoo_ref), 4 * 2 - 4 + 10)
        self.assertEqual(google_ref, odoo_ref)
        self.assertGreaterEqual(http, 2)
        self.assertGreaterEqual(parts, 9)
        points = []
        for k in range(http):
            points.append(
                (
                    f"h{k}",
                    lambda emu, k=k: emu.faults.add(
                        "500", path=API_PATHS, in_batch=False, skip=k, times=None
                    ),
                )
            )
            points.append(
                (
                    f"l{k}",
                    lambda emu, k=k: (
                        emu.faults.add(
                            "lost_response", path=API_PATHS, in_batch=False, skip=k, times=1
                        ),
                        emu.faults.add("500", path=API_PATHS, in_batch=False, skip=k, times=None),
                    ),
                )
            )
        for j in range(parts):
            points.append(
                (f"p{j}", lambda emu, j=j: emu.faults.add("500", in_batch=True, skip=j, times=None))
            )
        failures = []
        partial_seen = 0
        for tag, arm in points:
            state, _calls, partial = self._scenario(tag, arm)
            # Pulled Google events committed before the abort: durable partial state.
            if any(name.startswith("N-G") for name, *_rest in partial[0]):
                partial_seen += 1
            if state != reference:
                failures.append((tag, state))
        _logger.info(
            "CRASH RESULT http_calls=%s batch_parts=%s crash_points=%s failures=%s",
            http,
            parts,
            len(points),
            [tag for tag, _state in failures],
        )
        self.assertEqual([tag for tag, _state in failures], [])
        self.assertTrue(partial_seen, "some aborts must leave partial durable state")

    @contextlib.contextmanager
    def user_locked_elsewhere(self, token):
        """Hold the user's advisory lock in a real second database connection,
        like a second cron worker in the middle of this user's sync."""
        cr = db_connect(self.env.cr.dbname).cursor()
        try:
            cr.execute(
                "SELECT pg_try_advisory_lock(%s, %s)",
                (user_run.ADVISORY_LOCK_CLASS, token.user_id.id),
            )
            self.assertTrue(cr.fetchone()[0])
            yield cr
        finally:
            cr.execute(
                "SELECT pg_advisory_unlock(%s, %s)",
                (user_run.ADVISORY_LOCK_CLASS, token.user_id.id),
            )
            cr.close()

    def test_locked_user_is_not_synced_twice(self):
        user, token = self.connect_user("gcal_lock", "lock@example.com")
        self.meeting(user, "Locked", self.future(2))
        self.emulator.reset_requests()
        with self.user_locked_elsewhere(token):
            self.sync(token, expect_ran=False)
            # Cron: the locked user is skipped, not waited for.
            token.write({"next_sync": "2000-01-01 00:00:00", "sync_enabled": True})
            due = self.env["crm.google.sync.round"]._shard_token_ids(0, 1, requested=True)
            self.assertIn(token.id, due)
            self.env["crm.google.sync.round"]._cron_sync()
            action = user.with_user(user).action_google_sync_now()
            self.assertEqual(action["params"]["type"], "warning")
            self.assertIn("already running", action["params"]["message"])
        self.assertFalse(
            [r for r in self.emulator.requests if r.user == "lock@example.com"],
            "no Google call for a user another worker holds",
        )
        self.assertEqual(len(self.google_events("lock@example.com", "Locked")), 0)
        report = self.sync(token)
        self.assertEqual(report.pushed_inserted, 1)

    def test_lock_released_after_a_failed_sync(self):
        user, token = self.connect_user("gcal_lock2", "lock2@example.com")
        self.meeting(user, "Fails", self.future(2))
        self.emulator.faults.add("500", path=API_PATHS, times=None)
        self.assertIsNone(self.sync(token))
        self.emulator.faults.clear()
        with self.user_locked_elsewhere(token):
            pass  # acquirable: the failed sync released it
        self.assertEqual(self.sync(token).pushed_inserted, 1)

    def test_edits_during_a_sync_are_not_lost(self):
        email = "during@example.com"
        user, token = self.connect_user("gcal_during", email)
        pushed = self.meeting(user, "Pushed", self.future(2))
        other = self.meeting(user, "Other", self.future(3))
        self.sync(token)
        other_google_id = other.google_link_ids.google_event_id
        pushed.with_user(user).write({"location": "first"})

        def user_edits_mid_sync():
            # Runs after the pull, while the push batch waits for its retry: the
            # snapshot being pushed says "first", the user saves "second".
            pushed.with_user(user).write({"location": "second"})
            self.env.flush_all()
            self.service(email).events().patch(
                calendarId=email, eventId=other_google_id, body={"summary": "Other (Google)"}
            ).execute()

        self.sleep_hook = user_edits_mid_sync
        self.emulator.faults.add("429", in_batch=True, retry_after=1, times=1)
        self.sync(token)
        self.assertIsNone(self.sleep_hook, "the edit really happened during the sync")
        google_id = pushed.google_link_ids.google_event_id
        self.assertEqual(self.emulator.get_event_raw(email, google_id)["location"], "first")
        self.sync(token)
        self.assertEqual(self.emulator.get_event_raw(email, google_id)["location"], "second")
        self.assertEqual(pushed.location, "second")
        self.assertEqual(other.name, "Other (Google)")
        report = self.sync(token)
        self.assertFalse(report.pulled or report.pushed, report)

    def test_google_edit_between_pull_and_push_resolves_412(self):
        """Both sides edit the same event; Google's edit lands after the pull, so the
        push's If-Match fails (412) and the engine re-reads and resolves the conflict."""
        email = "race412@example.com"
        user, token = self.connect_user("gcal_race412", email)
        event = self.meeting(user, "Race", self.future(2))
        self.sync(token)
        google_id = event.google_link_ids.google_event_id
        event.with_user(user).write({"location": "Odoo room"})
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE calendar_event SET write_date = now() - interval '1 hour' WHERE id = %s",
            [event.id],
        )

        def google_edit_mid_sync():
            self.service(email).events().patch(
                calendarId=email, eventId=google_id, body={"location": "Google room"}
            ).execute()

        self.sleep_hook = google_edit_mid_sync
        self.emulator.faults.add("429", in_batch=True, retry_after=1, times=1)
        report = self.sync(token)
        self.assertIsNone(self.sleep_hook)
        self.assertIsNotNone(report, f"the 412 re-read crashed the cycle: {user.google_sync_error}")
        self.assertEqual(report.conflicts, 1)
        self.assertEqual(event.location, "Google room")
        self.assertEqual(self.emulator.get_event_raw(email, google_id)["location"], "Google room")
        notes = event.message_ids.filtered(lambda m: "Odoo room" in (m.body or ""))
        self.assertTrue(notes, "the losing Odoo version is kept in the chatter")

    # ------------------------------------------------------------------
    # Google-side changes the user makes behind the sync's back
    # ------------------------------------------------------------------
    def test_target_calendar_deleted_in_google(self):
        email = "tdel@example.com"
        self.emulator.add_account(email, time_zone="Europe/Berlin")
        crm = self.emulator.add_calendar(email, summary="CRM")
        user, token = self.connect_user("gcal_tdel", email, sources=[email, crm], target=crm)
        kept = self.meeting(user, "Kept", self.future(2))
        self.sync(token)
        self.assertTrue(kept.google_link_ids)
        self.service(email).calendars().delete(calendarId=crm).execute()
        kept.with_user(user).write({"location": "changed after the deletion"})
        new = self.meeting(user, "After deletion", self.future(3))
        self.sync(token)
        self.assertTrue(kept.active and new.exists())
        self.sync_noticing_calendars(token)
        # No data deleted in Odoo.
        self.assertTrue(kept.active and new.exists())
        # The user is told clearly that the target calendar is gone.
        self.assertEqual(user.google_sync_state, "error")
        self.assertTrue(user.google_sync_error)
        self.assertIn("CRM", user.google_sync_error)
        # Recovery: choose the primary calendar as the new target.
        primary = self.env["crm.google.calendar"].search(
            [("user_id", "=", user.id), ("google_id", "=", email)]
        )
        user.write({"google_sync_target_calendar_id": primary.id})
        self.sync(token)
        self.sync(token)
        names = {e["summary"] for e in self.google_events(email)}
        self.assertIn("After deletion", names)
        self.assertIn("Kept", names)
        self.assertEqual(user.google_sync_state, "connected")

    def test_target_calendar_made_read_only(self):
        email = "tro@example.com"
        self.emulator.add_account(email, time_zone="Europe/Berlin")
        shared = self.emulator.add_calendar(email, summary="Shared CRM", access_role="writer")
        user, token = self.connect_user("gcal_tro", email, sources=[email, shared], target=shared)
        first = self.meeting(user, "Before", self.future(2))
        self.sync(token)
        google_id = first.google_link_ids.google_event_id
        self.emulator.share_calendar(shared, email, "reader")
        first.with_user(user).write({"location": "edited while read-only"})
        self.meeting(user, "While read-only", self.future(3))
        self.sync(token)
        self.sync_noticing_calendars(token)
        # Nothing deleted on either side.
        self.assertTrue(first.active)
        self.assertIsNotNone(self.emulator.get_event_raw(shared, google_id))
        self.assertEqual(user.google_sync_state, "error")
        self.assertIn("Shared CRM", user.google_sync_error or "")
        # Recovery: write access again; the pending edit and the new event go out.
        self.emulator.share_calendar(shared, email, "writer")
        self.sync_noticing_calendars(token)
        self.assertEqual(
            self.emulator.get_event_raw(shared, google_id)["location"], "edited while read-only"
        )
        self.assertEqual(len(self.google_events(shared, "While read-only")), 1)
        self.assertEqual(user.google_sync_state, "connected")

    def test_source_calendar_unsubscribed(self):
        email = "unsub@example.com"
        self.emulator.add_account(email, time_zone="Europe/Berlin")
        team = self.emulator.add_calendar(
            "teamowner@example.com", summary="Team", access_role="owner"
        )
        self.emulator.share_calendar(team, email, "writer")
        user, token = self.connect_user("gcal_unsub", email, sources=[email, team])
        self.emulator.add_event(
            "teamowner@example.com",
            team,
            {
                "summary": "Team event",
                "start": {"dateTime": google_time(self.future(2))},
                "end": {"dateTime": google_time(self.future(2, 10))},
            },
        )
        self.sync(token)
        team_event = self.events_of(user, "Team event")
        self.assertEqual(len(team_event), 1)
        self.service(email).calendarList().delete(calendarId=team).execute()
        self.sync(token)
        self.assertTrue(team_event.active)
        self.sync_noticing_calendars(token)
        self.assertTrue(team_event.active, "unsubscribing deletes nothing in Odoo")
        self.assertIsNotNone(
            self.emulator.get_event_raw(team, team_event.google_link_ids[:1].google_event_id)
        )
        self.assertIn("Team", user.google_sync_error or user.google_sync_last_result or "")
        # Re-subscribing resumes the sync without duplicates.
        self.emulator.share_calendar(team, email, "writer")
        self.sync_noticing_calendars(token)
        self.assertEqual(len(self.events_of(user, "Team event")), 1)

    def test_token_revoked_in_google(self):
        email = "revoked@example.com"
        user, token = self.connect_user("gcal_revoked", email)
        event = self.meeting(user, "Survives revoke", self.future(2))
        self.sync(token)
        self.emulator.revoke_all(email)
        event.with_user(user).write({"location": "pending"})
        self.assertIsNone(self.sync(token))
        self.assertEqual(user.google_sync_state, "error")
        self.assertIn("connect Google again", user.google_sync_error)
        self.assertTrue(token.auth_failed)
        self.assertTrue(event.active and event.google_link_ids)
        self.assertEqual(len(self.google_events(email, "Survives revoke")), 1)
        # Reconnect (what the OAuth callback stores) resumes and sends the pending edit.
        self.reconnect(user, email)
        self.sync(token)
        self.assertEqual(user.google_sync_state, "connected")
        google_id = event.google_link_ids.google_event_id
        self.assertEqual(self.emulator.get_event_raw(email, google_id)["location"], "pending")

    def test_account_switched_at_reconnect(self):
        first_email, second_email = "switch1@example.com", "switch2@example.com"
        user, token = self.connect_user("gcal_switch", first_email)
        mine = self.meeting(user, "From the first account era", self.future(2))
        self.emulator.add_event(
            first_email,
            first_email,
            {
                "summary": "Google event of account 1",
                "start": {"dateTime": google_time(self.future(3))},
                "end": {"dateTime": google_time(self.future(3, 10))},
            },
        )
        self.sync(token)
        first_google_id = mine.google_link_ids.google_event_id
        # Reconnect with another Google account: what the OAuth callback does.
        self.emulator.add_account(second_email, time_zone="Europe/Berlin")
        token = self.reconnect(user, second_email)
        calendars = self.env["crm.google.calendar"]._sync_calendar_list(
            user, token._google_client().list_calendars()
        )
        user._google_sync_apply_default_choices(calendars)
        mine.with_user(user).write({"location": "edited after the switch"})
        self.meeting(user, "After the switch", self.future(4))
        self.sync(token)
        # Nothing of account 1 deleted, in Odoo or in Google.
        self.assertTrue(mine.active)
        self.assertTrue(self.events_of(user, "Google event of account 1"))
        self.assertEqual(
            self.emulator.get_event_raw(first_email, first_google_id)["status"], "confirmed"
        )
        # The new account gets the user's Odoo events; the user sees which account syncs.
        self.assertEqual(user.google_sync_email, second_email)
        self.assertEqual(user.google_sync_target_calendar_id.google_id, second_email)
        names = {e["summary"] for e in self.google_events(second_email)}
        self.assertIn("After the switch", names)

    def _secrets(self, token):
        token = token.sudo()
        return [value for value in (token.access_token, token.refresh_token) if value]

    def _assert_free_of(self, text, secrets, where):
        for secret in secrets:
            for piece in (secret, secret[:16], secret[-16:]):
                self.assertNotIn(piece, text or "", f"token material in {where}")

    def test_tokens_never_leak(self):
        email = "secret@example.com"
        user, token = self.connect_user("gcal_secret", email)
        other = new_test_user(self.env, login="gcal_nosy", groups="base.group_user")
        seen = set(self._secrets(token))
        start = self.future(2)
        self.emulator.add_event(
            email,
            email,
            {
                "summary": "Leak check",
                "start": {"dateTime": google_time(start)},
                "end": {"dateTime": google_time(start + timedelta(hours=1))},
            },
        )
        meeting = self.meeting(user, "Leak conflict", self.future(3))
        root = logging.getLogger()
        # Whatever level the runner gives Odoo's loggers, the addon's own logging is
        # checked at DEBUG.
        addon_logger = logging.getLogger("odoo.addons.crm_google_calendar_sync")
        self.addCleanup(addon_logger.setLevel, addon_logger.level)
        addon_logger.setLevel(logging.DEBUG)
        with self.assertLogs(root, level="DEBUG") as captured:
            # Expired token: refresh at the token endpoint, then a full sync with a
            # conflict (chatter note), a failure (error state) and a revoke.
            token.sudo().token_expiry = "2000-01-01 00:00:00"
            self.sync(token)
            seen.update(self._secrets(token))
            meeting.with_user(user).write({"location": "Odoo side"})
            self.service(email).events().patch(
                calendarId=email,
                eventId=meeting.google_link_ids.google_event_id,
                body={"location": "Google side"},
            ).execute()
            self.sync(token)
            self.emulator.faults.add("403_rate", path=API_PATHS, times=None)
            self.sync(token)
            errors_shown = [user.google_sync_error]
            self.emulator.faults.clear()
            self.emulator.revoke_all(email)
            token.sudo().token_expiry = "2000-01-01 00:00:00"
            self.sync(token)
            errors_shown.append(user.google_sync_error)
            seen.update(self._secrets(token))
            logging.getLogger(__name__).debug("capture marker")
        self.assertGreaterEqual(len(seen), 3, "the refresh produced a new access token")
        self.assertTrue(all(errors_shown), errors_shown)
        # odoo.sql_db logs every query with its parameters (only with --log-sql or
        # log level debug_sql): Odoo-wide, for passwords too; not the addon's logging.
        log_text = "\n".join(
            line for line in captured.output if not line.startswith("DEBUG:odoo.sql_db:")
        )
        self.assertIn("capture marker", log_text)
        for text, where in ((log_text, "logs"), ("\n".join(errors_shown), "google_sync_error")):
            self._assert_free_of(text, seen, where)
        bodies = self.env["mail.message"].search([("model", "=", "calendar.event")]).mapped("body")
        self.assertTrue(any("Odoo side" in (body or "") for body in bodies), "conflict note")
        self._assert_free_of("\n".join(str(b) for b in bodies), seen, "chatter")
        # The owner reads no token material, other users not even the status.
        values = user.with_user(user).read(
            ["google_sync_email", "google_sync_state", "google_sync_error"]
        )[0]
        self._assert_free_of(repr(values), seen, f"read by {user.login}")
        with self.assertRaises(AccessError):
            user.with_user(other).read(["google_sync_email"])
        for reader in (other, user):
            with self.assertRaises(AccessError):
                token.with_user(reader).read(["access_token"])
