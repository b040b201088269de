"""Planner decisions where several users share a series: an instance first seen in
one user's Google is merged against the series as his copy showed it, and a copy he
takes back out of Google's bin gives way to Odoo's version of today."""

from dataclasses import replace
from datetime import datetime, timedelta

from crm_google_calendar_sync.sync import mapping as m
from crm_google_calendar_sync.sync import series
from crm_google_calendar_sync.sync.fingerprint import (
    UNKNOWN_PART,
    aspect_part,
    fingerprint_odoo,
    with_parts,
)
from crm_google_calendar_sync.sync.planner import Action, PlanRules, plan_incoming
from crm_google_calendar_sync.sync.port import window_start_for

NOW = datetime(2024, 6, 1, 12, 0)
RULES = PlanRules(
    include_private=True,
    window_start=window_start_for(NOW),
    user_tz="Europe/Berlin",
)
FIRST = datetime(2024, 6, 3, 8, 0)  # Mondays 10:00 Berlin
KEY = FIRST + timedelta(weeks=2)


def master(name="Weekly", start=FIRST, count=4):
    """The series as Odoo's master shows it (naive UTC)."""
    return m.OdooEvent(
        id=1,
        name=name,
        start=start,
        stop=start + timedelta(hours=1),
        rrule_type="weekly",
        interval=1,
        end_type="count",
        count=count,
        mon=True,
        event_tz="Europe/Berlin",
        recurrence_id=5,
        recurrence_base=True,
    )


def occurrence(name="Weekly", start=KEY, write_date=NOW):
    return m.OdooEvent(
        id=3,
        name=name,
        start=start,
        stop=start + timedelta(hours=1),
        recurrence_id=5,
        original_start=KEY,
        write_date=write_date,
    )


def instance(summary="Weekly", start=KEY, updated="2024-06-01T13:00:00Z"):
    def stamp(moment):
        return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "timeZone": "Europe/Berlin"}

    return {
        "id": f"series_{KEY:%Y%m%dT%H%M%S}Z",
        "etag": '"i1"',
        "updated": updated,
        "recurringEventId": "series",
        "originalStartTime": stamp(KEY),
        "summary": summary,
        "organizer": {"self": True},
        "start": stamp(start),
        "end": stamp(start + timedelta(hours=1)),
    }


def incoming(event, odoo, base):
    return plan_incoming(
        None,
        event,
        odoo,
        RULES,
        series_known=True,
        base_fingerprint=base,
    )


def copy_base(name="Weekly", now=None):
    """What the user's copy showed for the occurrence at KEY (his series link's
    fingerprint was taken when the master was ``master(name)``)."""
    synced = fingerprint_odoo(master(name), user_tz="Europe/Berlin")
    return series.instance_base(synced, now or master(name), KEY, user_tz="Europe/Berlin")


def test_instance_base_is_the_master_at_the_occurrence():
    base = copy_base()
    unchanged = fingerprint_odoo(occurrence(), user_tz="Europe/Berlin")
    assert base == unchanged


def test_instance_moved_in_google_keeps_the_rename_of_the_whole_series_in_odoo():
    """Anna renamed all events in Odoo; Bob moved this occurrence in his stale copy."""
    moved = KEY + timedelta(hours=3)
    d = incoming(instance(start=moved), occurrence(name="Weekly Q3"), copy_base())
    assert (d.action, d.reason) == (Action.UPDATE, "merged")
    assert set(d.values) >= {"start", "stop"} and "name" not in d.values
    assert d.push_back, "Odoo's new title goes to his copy"


def test_instance_renamed_in_google_after_the_series_rename_is_a_clash():
    d = incoming(instance(summary="Bob's title"), occurrence(name="Weekly Q3"), copy_base())
    assert (d.action, d.conflict.winner, d.values) == (
        Action.CONFLICT,
        "google",
        {"name": "Bob's title"},
    )


def test_instance_not_moved_while_odoo_moved_the_series_is_no_time_change():
    """The series' time changed in Odoo since the copy was synced: the instance's
    time is unknown as a base, and one still at its original start is stale."""
    moved_master = master(start=FIRST + timedelta(hours=2))
    base = copy_base(now=moved_master)
    assert aspect_part(base, "time") == UNKNOWN_PART
    odoo = occurrence(start=KEY + timedelta(hours=2))
    d = incoming(instance(summary="Bob's title"), odoo, base)
    assert d.values == {"name": "Bob's title"} and d.push_back


def test_without_a_base_the_instance_is_taken_as_google_shows_it():
    d = incoming(instance(start=KEY + timedelta(hours=3)), occurrence(name="Weekly Q3"), None)
    assert (d.action, d.reason) == (Action.UPDATE, "relinked")
    assert d.values["name"] == "Weekly"


def test_copy_taken_back_out_of_the_bin_gives_way_to_odoo():
    """A restored copy's base is the copy itself: Odoo's newer title stays, silently."""
    event = dict(instance(), id="copy", recurringEventId=None, originalStartTime=None)
    del event["recurringEventId"], event["originalStartTime"]
    odoo = replace(occurrence(name="Weekly new"), recurrence_id=None, original_start=None)
    google_fp = m.google_to_odoo(event, user_tz="Europe/Berlin")
    base = fingerprint_odoo(m.snapshot_from_values(google_fp.values, None), user_tz="Europe/Berlin")
    d = plan_incoming(
        None,
        event,
        odoo,
        RULES,
        base_fingerprint=base,
    )
    assert (d.action, d.values, d.push_back, d.conflict) == (Action.UPDATE, {}, True, None)


def test_with_parts_replaces_one_aspect():
    value = fingerprint_odoo(master(), user_tz="UTC")
    changed = with_parts(value, {"time": UNKNOWN_PART})
    assert aspect_part(changed, "time") == UNKNOWN_PART
    assert aspect_part(changed, "name") == aspect_part(value, "name")
    assert len(changed) == len(value)
