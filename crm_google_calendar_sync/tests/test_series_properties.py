# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Random recurring series through the real flow (the engine's property tests play
the same scenarios against an in-memory Odoo, many more of them).

Google -> Odoo: random series with moved, renamed and cancelled occurrences, splits
and changed masters, made through the user's API client (``series_scenarios``). After
every sync Odoo shows exactly Google's instances; then another cycle and a full
resync write nothing, and "Sync again" on every meeting changes nothing either side
shows.

Odoo -> Google: random series created in Odoo and edited as the calendar's UI does
(one occurrence moved, renamed or deleted, all renamed, this and following renamed).
After every sync Google shows exactly Odoo's meetings, and the next cycle is idle.

``CRM_GCAL_SERIES_CASES`` sets how many random cases each test plays (default 8).
"""

import os
import random
from datetime import datetime, timedelta

from odoo.tests import tagged

from . import series_scenarios as scenarios
from .recurring_common import SeriesCase

CASES = int(os.environ.get("CRM_GCAL_SERIES_CASES") or 8)
SEED = int(os.environ.get("CRM_GCAL_SERIES_SEED") or 1313)
WRITES = {"events.insert", "events.patch", "events.update", "events.delete"}


@tagged("post_install", "-at_install", "crm_gcal_series_properties")
class TestSeriesProperties(SeriesCase):
    def google(self):
        return scenarios.google_view(self.events_api(), self.email)

    def odoo(self):
        return self.odoo_view()

    def writes(self):
        return [r.api_call for r in self.emulator.requests if r.api_call in WRITES]

    def assertFixedPoint(self, steps):
        """Another cycle and a full resync write nothing; sending every meeting again
        changes nothing either side shows."""
        shown = self.google()
        self.emulator.reset_requests()
        self.assertIdle()
        self.emulator.invalidate_sync_tokens(self.email)
        self.assertIdle()
        self.assertEqual(self.writes(), [])
        events = self.odoo_events().with_user(self.user)
        if events:
            # The meetings' "Sync again" button, on all of them at once.
            self.env.flush_all()
            events.action_google_sync_again()
            self.env.invalidate_all()
        self.assertEqual(self.google(), shown, steps)
        self.assertEqual(self.odoo(), shown, steps)

    def _case(self, offset, case):
        """The random generator of one case, with a new user and Google account."""
        if case:
            self.new_account()
        return random.Random(SEED * 1000 + offset + case)

    # ------------------------------------------------------------------
    def test_google_series_reach_odoo_exactly(self):
        for case in range(CASES):
            with self.subTest(case=case):
                self._google_case(self._case(0, case))

    def _google_case(self, rng):
        steps = scenarios.make_scenario(rng)
        player = scenarios.GooglePlayer(self.events_api(), self.email)
        for number, step in enumerate(steps):
            player.play(step)
            self.sync()
            self.assertEqual(self.odoo(), self.google(), f"after step {number}: {steps}")
        self.assertFixedPoint(steps)

    def test_occurrence_moved_back_keeps_its_values(self):
        """An occurrence moved away and back in Google is an exception there that
        looks like the series: after the series is retitled in Google, the cron
        leaves that occurrence's title in Odoo as Google shows it."""
        for allday, hours in ((True, (-26, -2)), (False, (3, -3))):
            with self.subTest(allday=allday):
                self.new_account()
                steps = scenarios.moved_back_scenario(allday, hours)
                player = scenarios.GooglePlayer(self.events_api(), self.email)
                for number, step in enumerate(steps):
                    player.play(step)
                    self.cron_sync()
                    self.assertEqual(self.odoo(), self.google(), f"after step {number}")
                self.assertIn("Jour fixe 1", [name for _start, name in self.odoo()])
                self.assertFixedPoint(steps)

    def cron_sync(self):
        """The scheduled sync, with this user's turn due."""
        self.token.next_sync = "2000-01-01 00:00:00"
        self.env.flush_all()
        self.env["crm.google.sync.round"]._cron_sync()
        self.env.invalidate_all()

    # ------------------------------------------------------------------
    def _odoo_series(self, rng, number):
        start = datetime.combine(
            datetime.now().date() + timedelta(days=rng.randint(1, 15)), datetime.min.time()
        ).replace(hour=rng.randint(6, 16))
        rule = rng.choice(("daily", "weekly"))
        values = {"rrule_type": rule, "end_type": "count", "count": rng.randint(2, 6)}
        if rule == "weekly":
            values[("mon", "tue", "wed", "thu", "fri", "sat", "sun")[start.weekday()]] = True
        if rng.random() < 0.25:
            values["allday"] = True
        return self.odoo_series(f"Odoo-Serie {number}", start, **values)

    def _odoo_change(self, rng):
        """One change as the calendar's UI makes it, on a random occurrence."""
        occurrences = self.odoo_events().filtered("recurrence_id")
        if not occurrences:
            return
        event = rng.choice(occurrences).with_user(self.user)
        kind = rng.choice(("move", "rename", "delete", "rename_all", "rename_following"))
        if kind == "move" and not event.allday:
            shift = timedelta(hours=rng.choice((-3, 2, 26)))
            event.write(
                {
                    "start": event.start + shift,
                    "stop": event.stop + shift,
                    "recurrence_update": "self_only",
                }
            )
        elif kind == "rename":
            event.write({"name": f"{event.name} (einzeln)", "recurrence_update": "self_only"})
        elif kind == "delete":
            event.action_mass_archive("self_only")
        elif kind == "rename_all":
            event.write({"name": f"{event.name} (alle)", "recurrence_update": "all_events"})
        elif kind == "rename_following" and event.follow_recurrence:
            # (Not from a moved occurrence: Odoo would leave the next one, which now
            # starts before it, in a series that ends before that one's day.)
            event.write({"name": f"{event.name} (folgende)", "recurrence_update": "future_events"})

    def test_odoo_series_reach_google_exactly(self):
        for case in range(CASES):
            with self.subTest(case=case):
                self._odoo_case(self._case(500, case))

    def _odoo_case(self, rng):
        for number in range(rng.randint(1, 2)):
            self._odoo_series(rng, number)
        self.sync()
        self.assertEqual(self.google(), self.odoo())
        for _step in range(rng.randint(1, 3)):
            for _change in range(rng.randint(1, 2)):
                self._odoo_change(rng)
            self.sync()
            self.assertEqual(self.google(), self.odoo())
        self.emulator.reset_requests()
        self.assertIdle()
        self.assertEqual(self.writes(), [])
