"""Pacing under Google's per-minute quotas (plain Python, virtual clock)."""

import math

from crm_google_calendar_sync.sync.pacing import CallBudget, ProjectQuota


class FakeClock:
    """A virtual clock: sleeping moves it forward instantly."""

    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


class SharedPosition:
    """The store's contract in memory (the addon keeps it in a PostgreSQL
    sequence): one position on a virtual clock, booked atomically."""

    def __init__(self, clock):
        self.clock = clock
        self.position = 0
        self.booked = []  # (time, count)

    def take(self, count, rate, burst):
        now = math.floor(self.clock() * rate)
        start = self.position if now <= self.position <= now + burst else now
        if start + count > now + burst:
            return start + count - now - burst
        self.position = start + count
        self.booked.append((self.clock(), count))
        return 0


def quota(per_minute, clock, store=None):
    store = store or SharedPosition(clock)
    return ProjectQuota(per_minute, store.take, clock=clock, sleep=clock.sleep), store


def test_quota_never_exceeds_the_minute_limit():
    clock = FakeClock()
    window, store = quota(120, clock)
    for _ in range(60):
        assert window.acquire(10)
    # In any 60 s span no more than 120 calls were taken.
    for start, _count in store.booked:
        in_span = sum(c for t, c in store.booked if start <= t < start + 60)
        assert in_span <= 120
    assert clock.slept, "the quota waited instead of going over"
    assert sum(c for _t, c in store.booked) == 600


def test_quota_is_shared_through_the_store():
    """Two workers with their own ProjectQuota and one store: one minute holds
    the limit for both together."""
    clock = FakeClock()
    first, store = quota(60, clock)
    second, _store = quota(60, clock, store)
    taken = 0
    while first.acquire(1, deadline=clock.now) or second.acquire(1, deadline=clock.now):
        taken += 1
    assert taken == first.burst
    assert not second.acquire(1, deadline=clock.now)


def test_quota_gives_up_at_the_deadline_without_taking():
    clock = FakeClock()
    window, store = quota(60, clock)
    assert window.acquire(window.burst)
    position = store.position
    assert not window.acquire(1, deadline=clock.now + 0.1)
    assert store.position == position
    assert window.acquire(1, deadline=clock.now + 61)


def test_call_budget_stops_the_users_cycle_and_spends_the_project_window():
    clock = FakeClock()
    project, store = quota(1200, clock)
    budget = CallBudget(120, project)
    assert budget.take(50)
    assert budget.take(50)
    assert budget.room() == 20
    assert not budget.take(50), "more than one minute's worth per cycle waits"
    assert budget.take(20)
    assert budget.spent == 120
    assert sum(count for _t, count in store.booked) == 120
