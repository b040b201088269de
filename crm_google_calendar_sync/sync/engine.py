"""One user's sync cycle: pull every synced calendar, then push to the target.

The engine owns the order of work and the protocol with Google (sync tokens, pages,
batches, retries of single items); a :class:`~.port.SyncStore` reads and writes Odoo;
:mod:`.planner` decides each event. Durability rules: docs/architecture.md.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from . import errors, series
from .google_client import (
    BATCH_LIMIT,
    BatchOperation,
    GoogleCalendarClient,
    push_failure_reason,
)
from .mapping import WRITABLE_ROLES
from .planner import (
    Action,
    IncomingDecision,
    OutgoingDecision,
    PlanRules,
    plan_incoming,
    plan_outgoing,
)
from .port import (
    CalendarState,
    Linked,
    OutgoingItem,
    SyncReport,
    SyncSettings,
    SyncStore,
)

_logger = logging.getLogger(__name__)

PRIVATE_VISIBILITIES = ("private", "confidential")
# Cycles an event that fails unexpectedly is tried in before it is quarantined.
MAX_ATTEMPTS = 3
# Failing events remembered per calendar (the oldest are forgotten first).
MAX_QUARANTINE = 500
QUARANTINED = "quarantined"


class UserSync:
    """Runs one sync cycle for one user."""

    def __init__(self, client: GoogleCalendarClient, store: SyncStore, settings: SyncSettings):
        self.client = client
        self.store = store
        self.settings = settings
        self.report = SyncReport()
        self._pulled_items = 0
        self._deferred = []  # instances waiting for the calendar's last page
        self._refresh = []  # masters whose instances are read again
        self._series_inserted = False

    # ------------------------------------------------------------------
    def run(self) -> SyncReport:
        self.store.start(self.settings)
        calendars = list(self.store.calendars())
        target = next((cal for cal in calendars if cal.is_target), None)
        for index, calendar in enumerate(calendars):
            # The first calendar goes regardless: the caller started this
            # cycle before the deadline, which may have passed since (the
            # user's lock, his token); a cycle that did nothing would still
            # count as the user's visit.
            if index and self._out_of_time():
                break
            try:
                self.pull(calendar)
            except (errors.NotFound, errors.Forbidden) as exc:
                # Deleted, unsubscribed or no longer shared: the other calendars
                # go on; nothing is deleted on either side.
                _logger.info("A Google calendar is not available: %s", type(exc).__name__)
                self.report.unavailable_calendars.append(calendar.key)
                self.store.calendar_unavailable(calendar, exc)
                if calendar.is_target:
                    target = None
        if not self._out_of_time():
            self.push(target, {cal.key: cal for cal in calendars})
        return self.report

    def _take_calls(self, count: int) -> bool:
        calls = self.settings.calls
        if calls is None or calls.take(count, self.settings.deadline):
            return True
        self.report.incomplete = True
        return False

    def _call_room(self) -> int:
        calls = self.settings.calls
        return BATCH_LIMIT if calls is None else calls.room()

    def _out_of_time(self) -> bool:
        deadline = self.settings.deadline
        if deadline is not None and time.monotonic() > deadline:
            self.report.incomplete = True
            return True
        return False

    # ------------------------------------------------------------------
    # Pull
    # ------------------------------------------------------------------
    def pull(self, calendar: CalendarState) -> None:
        try:
            self._pull_pages(calendar, calendar.sync_token)
        except errors.FullSyncRequired:
            # Google forgot our position: a windowed full list repairs everything,
            # the links make already known events no-ops.
            _logger.info("Full resync of a calendar (sync token expired)")
            self.report.full_resyncs += 1
            self.store.save_sync_token(calendar, None)
            calendar.sync_token = None
            self.store.checkpoint()
            self._pull_pages(calendar, None)

    def _pull_pages(self, calendar: CalendarState, sync_token: str | None) -> None:
        kwargs = {"sync_token": sync_token, "show_deleted": True}
        if not sync_token:
            kwargs["time_min"] = self.settings.window_start
        if self.settings.page_size:
            kwargs["max_results"] = self.settings.page_size
        clean = True
        self._pulled_items = 0
        self._deferred = []
        if not self._take_calls(1):
            return
        pages = self.client.iter_event_pages(calendar.google_id, **kwargs)
        for page in pages:
            self._pulled_items += len(page.items)
            clean &= self._apply_page(calendar, page.items)
            if page.is_last and self._deferred:
                clean &= self._apply_instances(calendar, self._deferred, last_page=True)
            if page.items:
                # An empty page wrote nothing: no commit, which would also drop
                # the ORM's caches for the rest of an idle cycle.
                self.store.checkpoint()
            if page.is_last:
                new_token = page.next_sync_token
                # Google hands out a new token on every list, but the old one stays
                # valid while nothing changed: keeping it makes idle cycles write
                # nothing. (An expired token costs one windowed full list.)
                changed = self._pulled_items or not sync_token
                if clean and new_token and new_token != sync_token and changed:
                    self.store.save_sync_token(calendar, new_token)
                    calendar.sync_token = new_token
                    self.store.checkpoint()
            elif self._out_of_time() or not self._take_calls(1):
                return  # token not advanced: the next cycle continues

    def _apply_page(self, calendar: CalendarState, items: list) -> bool:
        if not items:
            return True
        valid = [item for item in items if isinstance(item, dict) and item.get("id")]
        # Series masters (and single events) first, so that the instances of a
        # page find their series in Odoo.
        clean = self._apply_items(
            calendar, [item for item in valid if not item.get("recurringEventId")]
        )
        clean &= self._refresh_series(calendar)
        instances = [item for item in valid if item.get("recurringEventId")]
        if instances:
            clean &= self._apply_instances(calendar, instances)
        self._forget_failures(calendar, valid)
        return clean

    def _apply_instances(self, calendar: CalendarState, instances: list, last_page=False):
        """Instances whose occurrence Odoo has; the others wait for the calendar's
        last page (a later page may bring their series, or the change of its rule
        that makes the occurrence), and then stand on their own or are left out."""
        series_ids = {item["recurringEventId"] for item in instances}
        known = self.store.known_series(calendar, series_ids)
        ready = [item for item in instances if item["recurringEventId"] in known]
        waiting = [item for item in instances if item["recurringEventId"] not in known]
        linked_by_id = self.store.load_links(calendar, ready) if ready else {}
        if last_page:
            self._deferred = []
        else:
            waiting += [item for item in ready if item["id"] not in linked_by_id]
            ready = [item for item in ready if item["id"] in linked_by_id]
            self._deferred.extend(waiting)
            waiting = []
        clean = self._apply_items(calendar, ready, series_known=True, linked_by_id=linked_by_id)
        return clean & self._apply_items(calendar, waiting)

    def _apply_items(
        self, calendar: CalendarState, items: list, series_known=False, linked_by_id=None
    ) -> bool:
        if not items:
            return True
        if linked_by_id is None:
            linked_by_id = self.store.load_links(calendar, items)
        clean = True
        planned = []
        for item in items:
            linked = linked_by_id.get(item["id"]) or Linked(None, None)
            if self._quarantined(calendar, item) or _not_an_invitation(calendar, item, linked):
                continue
            try:
                decision = self._plan(calendar, item, linked, series_known)
            except Exception:
                _logger.exception("Planning a Google event failed; skipped for now")
                clean &= self._failed(calendar, item)
                continue
            planned.append((item, linked, decision))
        planned = self._create_together(calendar, planned)
        for item, linked, decision in planned:
            try:
                with self.store.isolate():
                    self._apply_decision(calendar, item, decision, linked)
            except errors.GoogleSyncError:
                raise
            except Exception:
                # One bad event must not stop the others; it is read again next
                # cycle because the token does not advance past it.
                _logger.exception("Applying a Google event failed; skipped for now")
                clean &= self._failed(calendar, item)
        return clean

    def _refresh_series(self, calendar: CalendarState) -> bool:
        """After a master's rule or time changed, its instances Google keeps on
        their own are read again: the change may have put some in or out of the
        series (one request per such master)."""
        masters, self._refresh = self._refresh, []
        clean = True
        for master in masters:
            if not self._take_calls(1):
                return False
            try:
                instances = self.client.list_instances(
                    calendar.google_id, master["id"], time_min=self.settings.window_start
                )
            except (errors.NotFound, errors.AlreadyDeleted):
                continue
            own = [item for item in instances if series.is_exception(item, master)]
            clean &= self._apply_items(calendar, own, series_known=True)
        return clean

    def _create_together(self, calendar: CalendarState, planned: list) -> list:
        """New events and series (the bulk of a first sync) are created together;
        returns what is left to apply one by one."""
        simple = [
            entry
            for entry in planned
            if entry[2].action == Action.CREATE
            and entry[1].link is None
            and not entry[2].recurring_event_id
        ]
        if len(simple) < 2:
            return planned
        try:
            with self.store.isolate():
                self.store.create_many(calendar, [(item, dec) for item, _l, dec in simple])
        except errors.GoogleSyncError:
            raise
        except Exception:
            # One of them is bad: fall back to one by one to find it.
            _logger.info("Creating events together failed; creating them one by one")
            return planned
        self.report.pulled_created += len(simple)
        for item, _linked, _decision in simple:
            self._note_pulled("created", item, None)
        done = {id(entry) for entry in simple}
        return [entry for entry in planned if id(entry) not in done]

    # ------------------------------------------------------------------
    # Events that fail unexpectedly
    # ------------------------------------------------------------------
    def _failed(self, calendar: CalendarState, item: dict) -> bool:
        """Count a failed attempt; True when the event is quarantined now (the
        calendar's token may then move on past it)."""
        entry = calendar.failures.get(item["id"])
        if entry is None or entry[0] != item.get("etag"):
            entry = [item.get("etag"), 0]
        entry[1] += 1
        calendar.failures.pop(item["id"], None)
        calendar.failures[item["id"]] = entry
        while len(calendar.failures) > MAX_QUARANTINE:
            calendar.failures.pop(next(iter(calendar.failures)))
        self.store.save_failures(calendar)
        if entry[1] >= MAX_ATTEMPTS:
            _logger.warning("A Google event failed %s times; quarantined", entry[1])
            self._report_quarantined(item)
            return True
        self.report.errors.append("apply_failed")
        self.report.skipped.append((item["id"], "apply_failed"))
        return False

    def _quarantined(self, calendar: CalendarState, item: dict) -> bool:
        """A quarantined event delivered again unchanged is left out right away."""
        entry = calendar.failures.get(item["id"])
        if entry is None or entry[1] < MAX_ATTEMPTS or entry[0] != item.get("etag"):
            return False
        self._report_quarantined(item)
        return True

    def _report_quarantined(self, item: dict) -> None:
        self.report.errors.append(QUARANTINED)
        self.report.skipped.append((item["id"], QUARANTINED))

    def _forget_failures(self, calendar: CalendarState, items: list) -> None:
        """Events of the page that went through no longer count as failing."""
        if not calendar.failures:
            return
        failed = {key for key, _reason in self.report.skipped}
        done = [
            item["id"]
            for item in items
            if item["id"] in calendar.failures and item["id"] not in failed
        ]
        if done:
            for google_id in done:
                calendar.failures.pop(google_id, None)
            self.store.save_failures(calendar)

    def _plan(
        self, calendar: CalendarState, item: dict, linked: Linked, series_known=False
    ) -> IncomingDecision:
        return plan_incoming(
            linked.link,
            item,
            linked.odoo,
            self._rules(calendar),
            series_known=series_known,
            base_fingerprint=linked.base,
        )

    def _rules(self, calendar: CalendarState | None = None) -> PlanRules:
        """The planner's rules: the user's, and for a pulled event its calendar's."""
        settings = self.settings
        rules = PlanRules(
            include_private=settings.include_private,
            window_start=settings.window_start,
            user_tz=settings.user_tz,
            self_email=settings.self_email,
            event_id_key=settings.event_id_key,
        )
        if calendar is None:
            return rules
        return replace(rules, calendar_tz=calendar.time_zone, access_role=calendar.access_role)

    def _apply_incoming(self, calendar: CalendarState, item: dict, linked: Linked) -> None:
        series_id = item.get("recurringEventId")
        known = bool(series_id) and series_id in self.store.known_series(calendar, {series_id})
        decision = self._plan(calendar, item, linked, known)
        self._apply_decision(calendar, item, decision, linked)

    def _apply_decision(self, calendar, item, decision, linked) -> None:
        if decision.action == Action.SKIP:
            if decision.error:
                _logger.info("Skipped Google event: %s", decision.error)
                self.report.skipped.append((item["id"], decision.error))
        changed = self.store.apply_incoming(calendar, item, decision, linked)
        if _moves_series(item, decision):
            self._refresh.append(item)
        if changed is False:
            return  # e.g. the echo of a deletion we sent ourselves
        if decision.action == Action.CREATE:
            self.report.pulled_created += 1
            self._note_pulled("created", item, linked.odoo)
        elif decision.action == Action.UPDATE:
            self.report.pulled_updated += 1
            self._note_pulled("updated", item, linked.odoo)
        elif decision.action == Action.DELETE:
            self.report.pulled_deleted += 1
            self._note_pulled("deleted", item, linked.odoo)
        elif decision.action == Action.CONFLICT:
            self.report.conflicts += 1
            self._note_pulled("conflict", item, linked.odoo)
            if decision.conflict and decision.conflict.winner == "google":
                self.report.pulled_updated += 1

    def _note_pulled(self, action, item, odoo) -> None:
        """Name the meeting a pulled change touched (a deletion has only Odoo's title)."""
        title = item.get("summary") or getattr(odoo, "name", "")
        private = item.get("visibility") in PRIVATE_VISIBILITIES or (
            getattr(odoo, "privacy", None) in PRIVATE_VISIBILITIES
        )
        self.report.note_change("odoo", action, title, private)

    # ------------------------------------------------------------------
    # Push
    # ------------------------------------------------------------------
    def push(self, target: CalendarState | None, calendars_by_key: dict) -> None:
        self._series_inserted = False
        self._push_changes(target)
        if self._series_inserted and not self.report.incomplete:
            # Occurrences changed on their own before their series reached Google
            # go out as soon as it is there: once more, in this cycle.
            self._series_inserted = False
            self._push_changes(target)

    def _push_changes(self, target: CalendarState | None) -> None:
        rules = self._rules()
        pending: list[tuple[OutgoingItem, OutgoingDecision]] = []
        applied = False
        for item in self.store.outgoing(target):
            calendar = item.calendar = item.calendar or target
            decision = plan_outgoing(
                item.link,
                item.odoo,
                rules,
                calendar_id=calendar.google_id if calendar else None,
                series_link=item.series_link,
            )
            if decision.action in (Action.INSERT, Action.PATCH, Action.DELETE):
                if calendar is None or calendar.access_role not in WRITABLE_ROLES:
                    decision = OutgoingDecision(
                        Action.SKIP, "no_writable_calendar", error="no_writable_calendar"
                    )
                else:
                    pending.append((item, decision))
                    continue
            if decision.action == Action.SKIP and decision.error:
                self.report.skipped.append((getattr(item.odoo, "id", None), decision.error))
            self.store.apply_outgoing(item, decision, None)
            applied = True
        if not pending:
            if applied:
                self.store.checkpoint()
            return
        for start in range(0, len(pending), BATCH_LIMIT):
            chunk = pending[start : start + BATCH_LIMIT]
            if self._out_of_time():
                break
            # Only whole batches while more is waiting than this cycle may send:
            # a large push then costs exactly ceil(N / BATCH_LIMIT) batch requests.
            if self._call_room() < len(chunk) or not self._take_calls(len(chunk)):
                # Google's quota: the rest goes out in the next cycles.
                self.report.incomplete = True
                self.report.waiting_outgoing = len(pending) - start
                break
            self._push_batch(chunk)
            self.store.checkpoint()

    def _push_batch(self, chunk: list) -> None:
        operations = [self._operation(item, decision) for item, decision in chunk]
        results = self.client.execute_batch(operations)
        followups = []
        for (item, decision), result in zip(chunk, results, strict=True):
            if decision.action == Action.INSERT and result.already_exists:
                # Our deterministic id is taken: a previous insert of ours landed
                # (response lost) or the event was deleted in Google since. Patch
                # it into the current state; the body also restores "confirmed".
                patch = OutgoingDecision(
                    Action.PATCH,
                    "insert_existed",
                    decision.google_id,
                    decision.calendar_id,
                    body={k: v for k, v in decision.body.items() if k != "id"},
                    fingerprint=decision.fingerprint,
                )
                followups.append((item, patch))
                continue
            if decision.action in (Action.PATCH, Action.DELETE) and result.precondition_failed:
                self._resolve_precondition_failed(item, decision)
                continue
            self._record_push(item, decision, result)
        if followups and self._take_calls(len(followups)):
            operations = [self._operation(item, decision) for item, decision in followups]
            for (item, decision), result in zip(
                followups, self.client.execute_batch(operations), strict=True
            ):
                self._record_push(item, decision, result)

    def _operation(self, item: OutgoingItem, decision: OutgoingDecision) -> BatchOperation:
        kind = {Action.INSERT: "insert", Action.PATCH: "patch", Action.DELETE: "delete"}[
            decision.action
        ]
        return BatchOperation(
            kind=kind,
            calendar_id=decision.calendar_id,
            event_id=None if kind == "insert" else decision.google_id,
            body=decision.body,
            etag=decision.if_match,
            key=item.key,
        )

    def _record_push(self, item, decision, result) -> None:
        if result.succeeded or (
            decision.action == Action.DELETE and (result.already_deleted or result.not_found)
        ):
            if decision.action == Action.INSERT:
                self.report.pushed_inserted += 1
                self._series_inserted |= bool((decision.body or {}).get("recurrence"))
            elif decision.action == Action.PATCH:
                self.report.pushed_updated += 1
            else:
                self.report.pushed_deleted += 1
            action = {Action.INSERT: "created", Action.PATCH: "updated"}.get(
                decision.action, "deleted"
            )
            odoo = item.odoo
            self.report.note_change(
                "google",
                action,
                getattr(odoo, "name", ""),
                getattr(odoo, "privacy", None) in PRIVATE_VISIBILITIES,
            )
        else:
            reason = push_failure_reason(result)
            self.report.errors.append(reason)
            self.report.skipped.append((getattr(item.odoo, "id", None), reason))
        self.store.apply_outgoing(item, decision, result)

    def _resolve_precondition_failed(self, item: OutgoingItem, decision: OutgoingDecision):
        """Google's copy changed since we read it: re-read and decide who wins."""
        try:
            current = self.client.get_event(decision.calendar_id, decision.google_id)
        except errors.NotFound:
            current = None
        calendar = item.calendar
        if current is None or calendar is None:
            self.report.errors.append("conditionNotMet")
            return
        linked = self.store.load_links(calendar, [current]).get(current["id"])
        with self.store.isolate():
            self._apply_incoming(calendar, current, linked or Linked(None, None))


def _not_an_invitation(calendar: CalendarState, item: dict, linked: Linked) -> bool:
    """In a calendar read for invitations only, what is no copy of a meeting
    Odoo has (or had, for a cancellation) is left alone: imported from nowhere."""
    if not calendar.invitations_only:
        return False
    if item.get("status") == "cancelled":
        return linked.link is None
    organizer = item.get("organizer")
    own = isinstance(organizer, dict) and organizer.get("self")
    return linked.odoo is None or (linked.link is None and bool(own))


def _moves_series(item: dict, decision: IncomingDecision) -> bool:
    """Did a master's rule or times change in Odoo by this decision?"""
    applied = decision.action == Action.UPDATE or (
        decision.action == Action.CONFLICT and decision.conflict.winner == "google"
    )
    moved = decision.recurrence_changed or bool({"start", "allday"} & set(decision.values or {}))
    return applied and decision.recurrence is not None and bool(item.get("recurrence")) and moved
