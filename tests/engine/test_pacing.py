"""Pacing under Google's per-minute quotas (plain Python, virtual clock)."""

from crm_google_calendar_sync.sync.pacing import CallBudget, QuotaWindow


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


def test_window_never_exceeds_the_minute_limit():
    clock = FakeClock()
    window = QuotaWindow(100, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(25):
        assert window.acquire(10)
        stamps.append((clock.now, 10))
    # In any 60 s span no more than 100 calls were taken.
    for start, _count in stamps:
        in_span = sum(c for t, c in stamps if start <= t < start + 60)
        assert in_span <= 100
    assert clock.slept, "the window waited instead of going over"


def test_window_gives_up_at_the_deadline_without_taking():
    clock = FakeClock()
    window = QuotaWindow(10, clock=clock, sleep=clock.sleep)
    assert window.acquire(10)
    assert not window.acquire(1, deadline=clock.now + 5)
    assert window.used == 10
    assert window.acquire(1, deadline=clock.now + 61)


def test_call_budget_stops_the_users_cycle_and_spends_the_project_window():
    clock = FakeClock()
    project = QuotaWindow(1000, clock=clock, sleep=clock.sleep)
    budget = CallBudget(120, project)
    assert budget.take(50)
    assert budget.take(50)
    assert budget.room() == 20
    assert not budget.take(50), "more than one minute's worth per cycle waits"
    assert budget.take(20)
    assert budget.spent == 120
    assert project.used == 120
