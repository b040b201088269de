# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The three-user chaos test of test_shared_chaos, with recurring meetings.

Anna, Bob and Carol each connect their own Google account. They organise weekly and
daily series in Odoo and in Google and invite each other; then, under the injected
faults of the chaos tests, each series meets one fate: renamed as a whole in Odoo or
in someone's Google, one occurrence moved in someone's Google or changed in Odoo,
the organiser's rename in Odoo while an attendee moves an occurrence in his Google,
two renames of the whole series at once, an attendee deleting one occurrence or his
whole copy (he declines), the organiser cancelling one occurrence or the series. At
the end: no duplicate anywhere, no edit lost, and every attendee's Google shows
exactly the occurrences he attends.
"""

import logging
import os
import random
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

from odoo import fields
from odoo.tests import tagged

from . import test_reliability
from .recurring_common import TZ, utc
from .test_reliability import ReliabilityCase, google_time

_logger = logging.getLogger(__name__)

# Series in the default run; CRM_GCAL_CHAOS_SHARED_SERIES=200 runs the big version.
CHAOS_SERIES = int(os.environ.get("CRM_GCAL_CHAOS_SHARED_SERIES") or 16)
CHAOS_SEED = int(os.environ.get("CRM_GCAL_CHAOS_SEED") or 20240)
MAX_ROUNDS = 15
PREFIX = "series-"
FATES = (
    "rename_google",
    "rename_odoo",
    "move_google",
    "edit_one_odoo",
    "rename_odoo_move_google",
    "rename_race",
    "decline_one",
    "decline_all",
    "cancel_one",
    "delete",
    "untouched",
)


@tagged("post_install", "-at_install", "crm_gcal_reliability")
class TestSharedSeriesChaos(ReliabilityCase):
    def setUp(self):
        super().setUp()
        self.rng = random.Random(CHAOS_SEED)
        self.users = []
        for name in ("anna", "bob", "carol"):
            user, _token = self.connect_user(
                f"gcal_schaos_{name}", f"schaos.{name}@example.com", tz=TZ
            )
            self.users.append(user)
        # key -> {"base": calendar.event, "organiser", "attendees": users,
        #         "occurrences": [expected values or None when cancelled],
        #         "declined": {user: {index}}, "fate", "deleted"}
        self.series = {}

    # ------------------------------------------------------------------
    def token(self, user):
        return self.env["crm.google.token"].search([("user_id", "=", user.id)])

    def gmail(self, user):
        return self.token(user).google_email

    def api(self, user):
        return self.service(self.gmail(user)).events()

    def odoo_as(self, user):
        return self.env["calendar.event"].with_user(user).with_context(no_mail_to_attendees=True)

    def run_until_stable(self, label):
        for round_no in range(1, MAX_ROUNDS + 1):
            busy = False
            for user in self.rng.sample(self.users, len(self.users)):
                report = self.sync(self.token(user))
                busy |= report is None or report.changed_anything or report.incomplete
            if not busy:
                return round_no
        self.fail(f"shared series chaos {label}: not stable after {MAX_ROUNDS} rounds")

    def series_link(self, user, key):
        base = self.series[key]["base"]
        events = base.recurrence_id.with_context(active_test=False).calendar_event_ids | base
        return (
            self.env["crm.google.event.link"]
            .sudo()
            .search(
                [
                    ("user_id", "=", user.id),
                    ("event_id", "in", events.ids),
                    ("recurring_event_id", "=", False),
                ]
            )
        )

    def instances(self, user, key):
        with self.faults_paused():
            return (
                self.api(user)
                .instances(
                    calendarId=self.gmail(user),
                    eventId=self.series_link(user, key).google_event_id,
                )
                .execute()["items"]
            )

    # ------------------------------------------------------------------
    # Setting the scene
    # ------------------------------------------------------------------
    def create_series(self):
        """Series organised in Odoo with one or two colleagues, and series made in
        Google whose organiser shares them in Odoo once they came in."""
        from_google = {}
        for index in range(CHAOS_SERIES + CHAOS_SERIES // 4):
            key = f"S{index:03d}"
            organiser = self.users[index % 3]
            others = [user for user in self.users if user != organiser]
            guests = self.rng.sample(others, self.rng.choice((1, 2)))
            count = self.rng.randint(4, 6)
            daily = index % 3 == 0
            day = fields.Date.today() + timedelta(days=2 + index % 9)
            start = utc(day, 7 + index % 10)
            step = timedelta(days=1 if daily else 7)
            name = f"{PREFIX}{key} v1"
            location = f"Room {index}"
            entry = self.series[key] = {
                "organiser": organiser,
                "attendees": {organiser, *guests},
                "occurrences": [
                    {
                        "name": name,
                        "start": start + step * number,
                        "stop": start + step * number + timedelta(hours=1),
                        "location": location,
                    }
                    for number in range(count)
                ],
                "declined": {},
            }
            rule = {"rrule_type": "daily" if daily else "weekly", "interval": 1}
            if not daily:
                rule[("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]] = True
            if index < CHAOS_SERIES:
                partners = [user.partner_id.id for user in entry["attendees"]]
                entry["base"] = self.odoo_as(organiser).create(
                    dict(
                        name=name,
                        start=start,
                        stop=start + timedelta(hours=1),
                        location=location,
                        partner_ids=[(6, 0, partners)],
                        recurrency=True,
                        end_type="count",
                        count=count,
                        **rule,
                    )
                )
            else:
                from_google[key] = entry
                freq = "DAILY" if daily else "WEEKLY"
                with self.faults_paused():
                    self.api(organiser).insert(
                        calendarId=self.gmail(organiser),
                        body={
                            "summary": name,
                            "location": location,
                            "start": {"dateTime": google_time(start), "timeZone": TZ},
                            "end": {
                                "dateTime": google_time(start + timedelta(hours=1)),
                                "timeZone": TZ,
                            },
                            "recurrence": [f"RRULE:FREQ={freq};COUNT={count}"],
                        },
                    ).execute()
        return from_google

    def share_google_series(self, from_google):
        for key, entry in from_google.items():
            events = self.env["calendar.event"].search(
                [("name", "=", entry["occurrences"][0]["name"])], order="start"
            )
            self.assertEqual(len(events), len(entry["occurrences"]), key)
            entry["base"] = events.recurrence_id.base_event_id
            guests = entry["attendees"] - {entry["organiser"]}
            entry["base"].with_user(entry["organiser"]).with_context(
                no_mail_to_attendees=True
            ).write(
                {
                    "partner_ids": [(4, guest.partner_id.id) for guest in guests],
                    "recurrence_update": "all_events",
                }
            )

    # ------------------------------------------------------------------
    # What people do
    # ------------------------------------------------------------------
    def occurrence(self, key, index):
        """The Odoo occurrence at ``index`` of the series (by its original start)."""
        entry = self.series[key]
        original = entry["originals"][index]
        return entry["base"].recurrence_id.calendar_event_ids.filtered(
            lambda e: (e.google_original_start or e.start) == original
        )

    def rename_google(self, key, who, name):
        with self.faults_paused():
            self.api(who).patch(
                calendarId=self.gmail(who),
                eventId=self.series_link(who, key).google_event_id,
                body={"summary": name},
            ).execute()

    def rename_odoo(self, key, who, name):
        self.series[key]["base"].with_user(who).with_context(no_mail_to_attendees=True).write(
            {"name": name, "recurrence_update": "all_events"}
        )

    def rename_all(self, key, who, in_google):
        entry = self.series[key]
        name = f"{PREFIX}{key} {who.login[-4:]}{self.rng.randint(100, 999)}"
        for values in entry["occurrences"]:
            if values:
                values["name"] = name
        (self.rename_google if in_google else self.rename_odoo)(key, who, name)
        return name

    def move_one_google(self, key, who, index):
        entry = self.series[key]
        instance = self.instances(who, key)[index]
        values = entry["occurrences"][index]
        shift = timedelta(minutes=30 * self.rng.randint(1, 4))
        values["start"] += shift
        values["stop"] += shift
        with self.faults_paused():
            self.api(who).patch(
                calendarId=self.gmail(who),
                eventId=instance["id"],
                body={
                    "start": {"dateTime": google_time(values["start"])},
                    "end": {"dateTime": google_time(values["stop"])},
                },
            ).execute()

    def decline_one(self, key, who, index):
        instance = self.instances(who, key)[index]
        with self.faults_paused():
            self.api(who).delete(calendarId=self.gmail(who), eventId=instance["id"]).execute()
        self.series[key]["declined"].setdefault(who, set()).add(index)

    def make_changes(self):
        """Each series gets one fate; returns the renames made at once (key ->
        (losing name, winning name))."""
        clashes, later = {}, []
        for key in sorted(self.series):
            entry = self.series[key]
            entry["originals"] = [values["start"] for values in entry["occurrences"]]
            attendees = sorted(entry["attendees"], key=lambda user: user.id)
            guests = [user for user in attendees if user != entry["organiser"]]
            fate = entry["fate"] = self.rng.choice(FATES)
            index = self.rng.randrange(1, len(entry["occurrences"]))
            if fate in ("rename_google", "rename_odoo"):
                self.rename_all(key, self.rng.choice(attendees), fate == "rename_google")
            elif fate == "move_google":
                self.move_one_google(key, self.rng.choice(attendees), index)
            elif fate == "edit_one_odoo":
                location = f"Room {key}/{index}"
                entry["occurrences"][index]["location"] = location
                self.occurrence(key, index).with_user(self.rng.choice(attendees)).write(
                    {"location": location, "recurrence_update": "self_only"}
                )
            elif fate == "rename_odoo_move_google":
                self.rename_all(key, entry["organiser"], in_google=False)
                self.move_one_google(key, self.rng.choice(guests), index)
            elif fate == "rename_race":
                first, second = self.rng.sample(attendees, 2)
                loser = self.rename_all(key, first, in_google=True)
                later.append((key, second, self.rng.random() < 0.5))
                clashes[key] = loser
            elif fate == "decline_one":
                self.decline_one(key, self.rng.choice(guests), index)
            elif fate == "decline_all":
                guest = self.rng.choice(guests)
                with self.faults_paused():
                    self.api(guest).delete(
                        calendarId=self.gmail(guest),
                        eventId=self.series_link(guest, key).google_event_id,
                    ).execute()
                entry["declined"][guest] = set(range(len(entry["occurrences"])))
            elif fate == "cancel_one":
                self.cancel_one(key, index)
            elif fate == "delete":
                self.delete_series(key)
        # Google gives the time of a change in whole seconds: the second renames
        # are newer by more than that.
        time.sleep(1.1)
        for key, who, in_google in later:
            clashes[key] = (clashes[key], self.rename_all(key, who, in_google))
        return clashes

    def cancel_one(self, key, index):
        entry = self.series[key]
        organiser = entry["organiser"]
        if self.rng.random() < 0.5:
            self.occurrence(key, index).with_user(organiser).action_mass_archive("self_only")
        else:
            instance = self.instances(organiser, key)[index]
            with self.faults_paused():
                self.api(organiser).delete(
                    calendarId=self.gmail(organiser), eventId=instance["id"]
                ).execute()
        entry["occurrences"][index] = None

    def delete_series(self, key):
        entry = self.series[key]
        organiser = entry["organiser"]
        entry["deleted"] = True
        if self.rng.random() < 0.5:
            entry["base"].with_user(organiser).action_mass_archive("all_events")
        else:
            with self.faults_paused():
                self.api(organiser).delete(
                    calendarId=self.gmail(organiser),
                    eventId=self.series_link(organiser, key).google_event_id,
                ).execute()

    # ------------------------------------------------------------------
    # What must be true
    # ------------------------------------------------------------------
    @staticmethod
    def view(values):
        return (values["start"], values["stop"], values["name"], values["location"])

    def odoo_occurrences(self, key):
        base = self.series[key]["base"]
        events = base.recurrence_id.calendar_event_ids.filtered("active")
        return sorted((e.start, e.stop, e.name, e.location or "") for e in events), events

    def google_occurrences(self, user, key):
        return sorted(
            (
                utc_of(item["start"]["dateTime"]),
                utc_of(item["end"]["dateTime"]),
                item.get("summary") or "",
                item.get("location") or "",
            )
            for item in self.instances(user, key)
        )

    def problems(self, clashes):
        found = []
        for key, entry in sorted(self.series.items()):
            fate = entry.get("fate")
            base = entry["base"].with_context(active_test=False)
            if entry.get("deleted"):
                if base.recurrence_id.calendar_event_ids.filtered("active"):
                    found.append(f"{key}: deleted by its organiser, still active")
                continue
            want = [values for values in entry["occurrences"] if values]
            expected = sorted(self.view(values) for values in want)
            odoo, events = self.odoo_occurrences(key)
            if odoo != expected:
                found.append(f"{key} ({fate}): Odoo {odoo} != {expected}")
            for user in entry["attendees"]:
                declined = entry["declined"].get(user, set())
                attended = sorted(
                    self.view(values)
                    for index, values in enumerate(entry["occurrences"])
                    if values and index not in declined
                )
                if len(declined) == len(entry["occurrences"]):
                    if self.series_link(user, key):
                        found.append(f"{key} ({fate}): {user.login} declined, still linked")
                    continue
                if not self.series_link(user, key):
                    found.append(f"{key} ({fate}): {user.login} has no copy")
                    continue
                seen = self.google_occurrences(user, key)
                if seen != attended:
                    found.append(f"{key} ({fate}): {user.login}'s copy {seen} != {attended}")
            if key in clashes:
                notes = " ".join(events.with_context(active_test=False).message_ids.mapped("body"))
                notes += " ".join(base.message_ids.mapped("body"))
                if clashes[key][0] not in notes:
                    found.append(f"{key}: the losing rename is not in the chatter")
        return found + self.duplicates()

    def duplicates(self):
        """Per user: each occurrence once in Odoo and once in his Google."""
        found = []
        events = self.env["calendar.event"].search([("name", "=like", PREFIX + "%")])
        expected = sum(
            len([v for v in entry["occurrences"] if v])
            for entry in self.series.values()
            if not entry.get("deleted")
        )
        if len(events) != expected:
            found.append(f"Odoo has {len(events)} occurrences, not {expected}")
        for user in self.users:
            with self.faults_paused():
                items = (
                    self.api(user)
                    .list(calendarId=self.gmail(user), singleEvents=True, maxResults=2500)
                    .execute()["items"]
                )
            google = Counter(
                (item.get("summary"), item["start"].get("dateTime"))
                for item in items
                if (item.get("summary") or "").startswith(PREFIX)
            )
            found += [
                f"{user.login}'s Google has {k} {n} times" for k, n in google.items() if n > 1
            ]
            attended = 0
            for entry in self.series.values():
                if entry.get("deleted") or user not in entry["attendees"]:
                    continue
                declined = entry["declined"].get(user, set())
                attended += len(
                    [i for i, v in enumerate(entry["occurrences"]) if v and i not in declined]
                )
            if sum(google.values()) != attended:
                found.append(
                    f"{user.login}'s Google has {sum(google.values())} occurrences, not {attended}"
                )
        return found

    # ------------------------------------------------------------------
    def test_shared_series_converge_under_chaos(self):
        started = time.monotonic()
        self.emulator.reset_requests()
        # (the module, not the class: a test class imported here would run again)
        faults = test_reliability.TestReliability._add_chaos_faults(self)
        from_google = self.create_series()
        rounds_initial = self.run_until_stable("initial")
        self.share_google_series(from_google)
        rounds_shared = self.run_until_stable("shared")
        clashes = self.make_changes()
        rounds_edits = self.run_until_stable("edits")
        injected = sum(fault.hits for fault in faults)
        calls = len(self.emulator.requests) - self.paused_requests
        self.emulator.faults.clear()
        for user in self.users:
            final = self.sync(self.token(user))
            self.assertFalse(final.pulled or final.pushed or final.errors, (user.login, final))
        problems = self.problems(clashes)
        _logger.info(
            "SHARED SERIES CHAOS RESULT users=3 series=%s occurrences=%s google_calls=%s "
            "faults_injected=%s rounds_initial=%s rounds_shared=%s rounds_after_edits=%s "
            "clashes=%s fates=%s problems=%s wall=%.1fs",
            len(self.series),
            sum(len(entry["occurrences"]) for entry in self.series.values()),
            calls,
            injected,
            rounds_initial,
            rounds_shared,
            rounds_edits,
            len(clashes),
            dict(Counter(entry.get("fate") for entry in self.series.values())),
            len(problems),
            time.monotonic() - started,
        )
        for problem in problems:
            _logger.info("SHARED SERIES CHAOS PROBLEM %s", problem)
        self.assertGreater(injected, calls // 8, "the chaos must really inject faults")
        self.assertEqual(problems[:10], [])


def utc_of(value):
    """Naive UTC of a Google ``dateTime``."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc).replace(tzinfo=None)
