"""When the user's rules outgrow what a calendar's sync token has seen (plain Python)."""

from datetime import datetime, timedelta

from crm_google_calendar_sync.sync.port import NAMED_CHANGES_KEPT, SyncReport
from crm_google_calendar_sync.sync.scope import SyncScope

NOW = datetime(2030, 5, 1, 12, 0)
WINDOW = NOW - timedelta(days=30)


def test_same_rules_a_day_later_are_covered():
    taken = SyncScope(include_private=False, window_start=WINDOW)
    later = SyncScope(include_private=False, window_start=WINDOW + timedelta(days=1))
    assert taken.covers(later)


def test_private_on_widens():
    taken = SyncScope(include_private=False, window_start=WINDOW)
    assert not taken.covers(SyncScope(include_private=True, window_start=WINDOW))
    # Narrower rules never need a new list: what they let in was seen.
    assert SyncScope(True, WINDOW).covers(SyncScope(False, WINDOW))


def test_longer_window_widens_only_past_what_was_seen():
    taken = SyncScope(include_private=False, window_start=WINDOW)
    # 60 days instead of 30, ten days later: reaches 20 days further back.
    assert not taken.covers(SyncScope(False, NOW + timedelta(days=10) - timedelta(days=60)))
    # 45 days instead of 30, twenty days later: still inside what was seen.
    assert taken.covers(SyncScope(False, NOW + timedelta(days=20) - timedelta(days=45)))


def test_tokens_of_unknown_window_are_kept():
    """Tokens saved before rules were remembered cost no mass re-listing."""
    assert SyncScope(False, None).covers(SyncScope(False, WINDOW))
    assert not SyncScope(False, None).covers(SyncScope(True, WINDOW))


def test_report_names_a_bounded_number_of_changed_meetings():
    report = SyncReport()
    for index in range(NAMED_CHANGES_KEPT + 10):
        report.note_change("odoo", "created", f"Meeting {index}", private=index == 0)
    assert len(report.changes) == NAMED_CHANGES_KEPT
    assert report.changes[0] == ("odoo", "created", "Meeting 0", True)
    assert report.changes[1] == ("odoo", "created", "Meeting 1", False)


def test_report_keeps_only_short_text_titles():
    report = SyncReport()
    report.note_change("odoo", "created", ["not", "a", "title"], private=False)
    report.note_change("odoo", "created", "x" * 100_000, private=False)
    assert report.changes[0][2] == ""
    assert len(report.changes[1][2]) == 200
