"""Decision tables of the planner."""

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from crm_google_calendar_sync.sync import mapping as m
from crm_google_calendar_sync.sync.fingerprint import fingerprint_odoo
from crm_google_calendar_sync.sync.ids import google_event_id_for
from crm_google_calendar_sync.sync.planner import (
    Action,
    PlanRules,
    odoo_in_window,
    plan_incoming,
    plan_outgoing,
)
from crm_google_calendar_sync.sync.port import LinkState, window_start_for

NOW = datetime(2024, 6, 1, 12, 0)
WINDOW = window_start_for(NOW)  # 2024-05-02 12:00
DB = "7d1b7b4e-3f1c-11ee-be56-0242ac120002"
SYNCED_AT = datetime(2024, 5, 20, 8, 0)


def gevent(**kw):
    base = {
        "id": "g1",
        "etag": '"e1"',
        "updated": "2024-05-20T08:00:00.000Z",
        "summary": "Call",
        "organizer": {"self": True},
        "start": {"dateTime": "2024-06-03T10:00:00+02:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2024-06-03T11:00:00+02:00", "timeZone": "Europe/Berlin"},
    }
    base.update(kw)
    return base


def synced_pair(**gkw):
    """A Google event, its Odoo twin and the link as left by a successful sync."""
    event = gevent(**gkw)
    mapped = m.google_to_odoo(event, user_tz="UTC")
    odoo = m.snapshot_from_values(
        mapped.values, mapped.recurrence, id=7, event_tz=mapped.event_tz, write_date=SYNCED_AT
    )
    link = LinkState(
        "g1",
        "cal",
        etag='"e1"',
        fingerprint=fingerprint_odoo(odoo),
        google_updated=SYNCED_AT,
        odoo_changed=False,
    )
    return event, odoo, link


def incoming(link, event, odoo, **kw):
    if link is not None and odoo is not None and odoo.write_date > SYNCED_AT:
        link = replace(link, odoo_changed=True)  # edited in Odoo after the sync
    planning = {key: kw.pop(key) for key in ("series_known", "base_fingerprint") if key in kw}
    kw.setdefault("include_private", True)
    kw.setdefault("window_start", WINDOW)
    return plan_incoming(link, event, odoo, PlanRules(**kw), **planning)


def outgoing(link, odoo, **kw):
    planning = {key: kw.pop(key) for key in ("series_link",) if key in kw}
    planning["calendar_id"] = kw.pop("calendar_id", "target")
    kw.setdefault("include_private", True)
    kw.setdefault("window_start", WINDOW)
    kw.setdefault("event_id_key", DB)
    return plan_outgoing(link, odoo, PlanRules(**kw), **planning)


# --- incoming -------------------------------------------------------------------------


def test_new_event_is_created_with_fingerprint():
    d = incoming(None, gevent(), None)
    assert d.action == Action.CREATE and d.reason == "new"
    assert d.values["name"] == "Call" and d.values["start"] == datetime(2024, 6, 3, 8)
    assert d.fingerprint and d.etag == '"e1"' and d.google_updated == SYNCED_AT
    assert not d.readonly


def test_unchanged_etag_and_echo_are_noop():
    event, odoo, link = synced_pair()
    assert incoming(link, event, odoo).action == Action.NOOP
    # Echo: new etag (e.g. attendee reply) but same mapped fields.
    d = incoming(link, dict(event, etag='"e2"', attendees=[{"email": "x@y.z"}]), odoo)
    assert (d.action, d.reason, d.etag) == (Action.NOOP, "echo", '"e2"')


def test_echo_of_our_push_with_rewritten_representation_is_noop():
    _event, odoo, link = synced_pair()
    odoo = replace(odoo, description="<p>a</p><p>b</p>", privacy="confidential")
    link = replace(link, fingerprint=fingerprint_odoo(odoo))
    pushed = m.odoo_to_google(odoo)
    # Google hands our write back with other offsets/representation and a new etag.
    echoed = dict(
        gevent(etag='"e9"'),
        description=pushed["description"],
        visibility=pushed["visibility"],
        start={"dateTime": "2024-06-03T08:00:00Z", "timeZone": "Europe/Berlin"},
        end={"dateTime": "2024-06-03T09:00:00Z", "timeZone": "Europe/Berlin"},
    )
    assert incoming(link, echoed, odoo).action == Action.NOOP


def test_google_change_updates_only_changed_fields():
    event, odoo, link = synced_pair()
    d = incoming(
        link, dict(event, etag='"e2"', summary="Call (moved)", updated="2024-05-25T10:00:00Z"), odoo
    )
    assert d.action == Action.UPDATE and d.reason == "changed_in_google"
    assert d.values == {"name": "Call (moved)"}


def test_both_changed_google_newer_wins():
    event, odoo, link = synced_pair()
    odoo = replace(odoo, name="Odoo title", write_date=datetime(2024, 5, 21, 9))
    d = incoming(
        link, dict(event, etag='"e2"', summary="Google title", updated="2024-05-22T10:00:00Z"), odoo
    )
    assert d.action == Action.CONFLICT and d.conflict.winner == "google"
    assert d.values == {"name": "Google title"}
    assert "Odoo title" in d.conflict.losing_summary
    assert not d.push_back


def test_both_changed_odoo_newer_wins():
    event, odoo, link = synced_pair()
    odoo = replace(odoo, name="Odoo title", write_date=datetime(2024, 5, 23, 9))
    d = incoming(
        link, dict(event, etag='"e2"', summary="Google title", updated="2024-05-22T10:00:00Z"), odoo
    )
    assert d.action == Action.CONFLICT and d.conflict.winner == "odoo"
    assert d.push_back and not d.values and d.etag == '"e2"'
    assert "Google title" in d.conflict.losing_summary


def test_conflict_tie_goes_to_google():
    event, odoo, link = synced_pair()
    odoo = replace(odoo, name="O", write_date=datetime(2024, 5, 22, 10))
    d = incoming(link, dict(event, etag='"e2"', summary="G", updated="2024-05-22T10:00:00Z"), odoo)
    assert d.conflict.winner == "google"


def test_odoo_write_without_mapped_change_is_no_conflict():
    event, odoo, link = synced_pair()
    odoo = replace(odoo, write_date=datetime(2024, 5, 30))  # e.g. an attendee added in Odoo
    d = incoming(link, dict(event, etag='"e2"', summary="New"), odoo)
    assert d.action == Action.UPDATE


def test_same_change_on_both_sides_is_noop():
    event, odoo, link = synced_pair()
    odoo = replace(odoo, name="Same", write_date=datetime(2024, 5, 30))
    d = incoming(link, dict(event, etag='"e2"', summary="Same"), odoo)
    assert (d.action, d.reason) == (Action.NOOP, "same_on_both_sides")


def test_readonly_event_google_always_wins():
    event, odoo, link = synced_pair(organizer={"email": "boss@example.com"})
    odoo = replace(odoo, name="Mine", write_date=datetime(2024, 5, 30))
    d = incoming(
        link,
        dict(event, etag='"e2"', summary="Boss", updated="2024-05-21T00:00:00Z"),
        odoo,
        self_email="me@example.com",
    )
    assert d.action == Action.CONFLICT and d.readonly
    assert d.conflict.winner == "google" and "Mine" in d.conflict.losing_summary
    assert d.values == {"name": "Boss"} and not d.push_back


def test_readonly_event_unchanged_in_odoo_is_an_update():
    event, odoo, link = synced_pair(organizer={"email": "boss@example.com"})
    d = incoming(link, dict(event, etag='"e2"', summary="Boss"), odoo, self_email="me@x.com")
    assert d.action == Action.UPDATE and d.readonly


def _odoo_edited(odoo, **values):
    """``odoo`` edited after the last sync (write date later than the link's)."""
    return replace(odoo, write_date=datetime(2024, 5, 21, 9), **values)


def test_edits_of_different_aspects_are_merged():
    event, odoo, link = synced_pair()
    odoo = _odoo_edited(odoo, location="Odoo room")
    d = incoming(link, dict(event, etag='"e2"', summary="Google title"), odoo)
    assert (d.action, d.reason) == (Action.UPDATE, "merged")
    assert d.values == {"name": "Google title"}
    assert d.push_back, "Odoo's location still has to reach Google"


def test_same_aspect_clashes_the_others_merge():
    event, odoo, link = synced_pair()
    odoo = _odoo_edited(odoo, name="Odoo title", description="Odoo notes")
    changed = dict(event, etag='"e2"', summary="Google title", location="Google room")
    newer = incoming(link, dict(changed, updated="2024-05-22T10:00:00Z"), odoo)
    assert newer.action == Action.CONFLICT and newer.conflict.winner == "google"
    assert newer.values == {"name": "Google title", "location": "Google room"}
    assert newer.push_back, "Odoo's description still has to reach Google"
    older = incoming(link, dict(changed, updated="2024-05-21T08:00:00Z"), odoo)
    assert older.action == Action.CONFLICT and older.conflict.winner == "odoo"
    assert older.values == {"location": "Google room"} and older.push_back
    assert "Google title" in older.conflict.losing_summary


def test_same_change_on_one_aspect_and_another_change_merge():
    event, odoo, link = synced_pair()
    odoo = _odoo_edited(odoo, name="Same")
    d = incoming(link, dict(event, etag='"e2"', summary="Same", location="Room"), odoo)
    assert (d.action, d.values, d.push_back) == (Action.UPDATE, {"location": "Room"}, False)


def test_echo_of_a_write_whose_answer_was_lost():
    """Google shows what we last tried to write (the answer never came), with a time
    later than Odoo's change since: our own write, no edit to weigh."""
    event, odoo, link = synced_pair()
    ours = _odoo_edited(odoo, name="Pushed")
    link = replace(link, attempted_fingerprint=fingerprint_odoo(ours))
    later = dict(event, etag='"e3"', summary="Pushed", updated="2024-05-30T10:00:00Z")
    odoo = _odoo_edited(odoo, name="Newer in Odoo")
    d = incoming(link, later, odoo)
    assert (d.action, d.reason, d.fingerprint) == (
        Action.NOOP,
        "echo_of_attempt",
        link.attempted_fingerprint,
    )
    # Odoo still equal to the attempt: simply in sync.
    assert incoming(link, later, ours).reason == "same_on_both_sides"


def test_insert_whose_answer_never_came_is_inserted_again():
    link = LinkState("gOdoo", "target")  # no etag, no fingerprint: never confirmed
    d = outgoing(link, odoo_event())
    assert (d.action, d.google_id, d.body["id"]) == (Action.INSERT, "gOdoo", "gOdoo")


def test_copy_found_again_without_link_is_a_conflict():
    event, odoo, _link = synced_pair()
    odoo = _odoo_edited(odoo, name="Odoo title")
    d = incoming(None, dict(event, summary="Old copy", updated="2024-05-20T10:00:00Z"), odoo)
    assert (d.action, d.reason, d.conflict.winner) == (Action.CONFLICT, "relinked", "odoo")
    assert d.push_back and not d.values


def test_fingerprint_of_an_older_release_makes_the_whole_event_one_aspect():
    event, odoo, link = synced_pair()
    link = replace(link, fingerprint="0" * 40)
    odoo = _odoo_edited(odoo, location="Odoo room")
    d = incoming(link, dict(event, etag='"e2"', summary="G", updated="2024-05-22T00:00:00Z"), odoo)
    assert d.action == Action.CONFLICT and d.conflict.winner == "google"
    assert d.values == {"name": "G", "location": ""} and not d.push_back


@pytest.mark.parametrize(
    ("kw", "role"),
    [({"eventType": "birthday"}, "owner"), ({}, "reader"), ({"locked": True}, "owner")],
)
def test_new_readonly_events(kw, role):
    d = incoming(None, gevent(**kw), None, access_role=role)
    assert d.action == Action.CREATE and d.readonly


def test_cancelled_events():
    _event, odoo, link = synced_pair()
    cancelled = {"id": "g1", "status": "cancelled", "etag": '"e3"'}
    d = incoming(link, cancelled, odoo)
    assert (d.action, d.reason, d.conflict) == (Action.DELETE, "cancelled_in_google", None)
    # Unknown cancelled event: nothing to do.
    assert incoming(None, cancelled, None).action == Action.SKIP
    # Odoo changed meanwhile: deletion (archive) wins, the change is reported.
    changed = replace(odoo, name="Edited", write_date=datetime(2024, 5, 30))
    d = incoming(link, cancelled, changed)
    assert d.action == Action.DELETE and d.conflict and "Edited" in d.conflict.losing_summary


def test_cancelled_occurrence_is_deleted_via_series():
    d = incoming(
        None,
        {
            "id": "s_20240603T080000Z",
            "status": "cancelled",
            "recurringEventId": "s",
            "originalStartTime": {"dateTime": "2024-06-03T10:00:00+02:00"},
        },
        None,
    )
    assert (d.action, d.recurring_event_id, d.original_start) == (
        Action.DELETE,
        "s",
        datetime(2024, 6, 3, 8),
    )


def test_private_rule_incoming():
    d = incoming(None, gevent(visibility="private"), None, include_private=False)
    assert (d.action, d.reason) == (Action.SKIP, "private")
    event, odoo, link = synced_pair(visibility="confidential")
    d = incoming(link, dict(event, etag='"e2"', summary="x"), odoo, include_private=False)
    assert (d.action, d.reason) == (Action.SKIP, "private")  # never a delete
    assert incoming(None, gevent(visibility="private"), None).action == Action.CREATE


def test_window_edges_incoming():
    def ending_at(end):
        return gevent(
            start={"dateTime": "2024-04-01T00:00:00Z"},
            end={"dateTime": end.strftime("%Y-%m-%dT%H:%M:%SZ")},
        )

    assert incoming(None, ending_at(WINDOW), None).action == Action.CREATE
    d = incoming(None, ending_at(WINDOW - timedelta(seconds=1)), None)
    assert (d.action, d.reason) == (Action.SKIP, "outside_window")
    # A series that started long ago but still runs is in the window.
    berlin = "Europe/Berlin"
    old_series = gevent(
        start={"dateTime": "2020-01-06T10:00:00+01:00", "timeZone": berlin},
        end={"dateTime": "2020-01-06T11:00:00+01:00", "timeZone": berlin},
        recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO"],
    )
    d = incoming(None, old_series, None)
    assert d.action == Action.CREATE and d.recurrence is not None
    ended = dict(old_series, recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=5"])
    assert incoming(None, ended, None).reason == "outside_window"


def test_malformed_and_unsupported():
    d = incoming(None, gevent(end={"dateTime": "2024-06-03T09:00:00+02:00"}), None)
    assert (d.action, d.reason, d.error) == (Action.SKIP, "mapping_error", "end_before_start")
    d = incoming(None, gevent(recurrence=["RRULE:FREQ=DAILY;BYHOUR=9,12"]), None)
    assert d.action == Action.CREATE and d.readonly and d.recurrence is None
    assert "unsupported_recurrence" in d.warnings
    assert incoming(None, {"summary": "no id"}, None).reason == "not_an_event"


def test_google_changed_after_odoo_delete_is_recreated_else_skipped():
    event, _odoo, link = synced_pair()
    assert incoming(link, dict(event, etag='"e2"'), None).reason == "deleted_in_odoo"
    d = incoming(link, dict(event, etag='"e2"', summary="changed"), None)
    assert (d.action, d.reason) == (Action.CREATE, "changed_after_odoo_delete")


def test_series_rule_change_is_reported():
    event, odoo, link = synced_pair(recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO"])
    d = incoming(
        link, dict(event, etag='"e2"', recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"]), odoo
    )
    assert d.action == Action.UPDATE and d.recurrence_changed and d.values == {}
    assert d.recurrence.count == 4


# --- outgoing -------------------------------------------------------------------------


def odoo_event(**kw):
    base = {
        "id": 7,
        "name": "Meet",
        "start": datetime(2024, 6, 3, 8),
        "stop": datetime(2024, 6, 3, 9),
        "event_tz": "Europe/Berlin",
        "write_date": datetime(2024, 5, 30),
    }
    base.update(kw)
    return m.OdooEvent(**base)


def test_insert_uses_deterministic_id():
    d = outgoing(None, odoo_event())
    assert d.action == Action.INSERT and d.calendar_id == "target"
    assert d.google_id == google_event_id_for(DB, 7) == d.body["id"]
    assert d.body["status"] == "confirmed" and d.fingerprint
    assert outgoing(None, odoo_event()).body == d.body  # retries send the same


def test_patch_with_if_match_and_noop_when_unchanged():
    ev = odoo_event()
    link = LinkState("g1", "cal", etag='"e5"', fingerprint=fingerprint_odoo(ev))
    assert outgoing(link, ev).action == Action.NOOP
    d = outgoing(link, replace(ev, location="Room 2"))
    assert (d.action, d.if_match, d.google_id, d.calendar_id) == (Action.PATCH, '"e5"', "g1", "cal")
    assert d.body["location"] == "Room 2" and d.body["start"]["date"] is None


def test_delete_and_archive():
    ev = odoo_event()
    link = LinkState("g1", "cal", etag='"e5"', fingerprint=fingerprint_odoo(ev))
    d = outgoing(link, None)
    assert (d.action, d.google_id, d.if_match) == (Action.DELETE, "g1", '"e5"')
    assert outgoing(link, replace(ev, active=False)).action == Action.DELETE
    assert outgoing(None, None).action == Action.NOOP
    assert outgoing(replace(link, readonly=True), None).reason == "readonly"


def test_outgoing_skips():
    ev = odoo_event()
    link = LinkState("g1", "cal", fingerprint="old")
    assert outgoing(replace(link, readonly=True), ev).reason == "readonly"
    assert outgoing(link, replace(ev, privacy="private"), include_private=False).reason == "private"
    assert (
        outgoing(
            None, replace(ev, privacy=None, owner_default_privacy="private"), include_private=False
        ).reason
        == "private"
    )
    # Private setting turned off later: archived private events are not deleted either.
    assert (
        outgoing(link, replace(ev, privacy="private", active=False), include_private=False).reason
        == "private"
    )
    old = replace(ev, start=datetime(2024, 4, 1, 8), stop=datetime(2024, 4, 1, 9))
    assert outgoing(link, old).reason == "outside_window"
    assert outgoing(link, replace(old, active=False)).reason == "outside_window"


def test_window_edges_outgoing():
    ev = odoo_event(start=WINDOW - timedelta(hours=1), stop=WINDOW)
    assert outgoing(None, ev).action == Action.INSERT
    assert (
        outgoing(None, replace(ev, stop=WINDOW - timedelta(seconds=1))).reason == "outside_window"
    )
    allday = odoo_event(
        allday=True,
        start_date=date(2024, 5, 1),
        stop_date=date(2024, 5, 1),
        start=datetime(2024, 5, 1, 8),
        stop=datetime(2024, 5, 1, 18),
    )
    # All-day on 2024-05-01 ends at 2024-05-02 00:00 < window start 2024-05-02 12:00.
    assert not odoo_in_window(allday, WINDOW)
    assert odoo_in_window(replace(allday, stop_date=date(2024, 5, 2)), WINDOW)


def test_series_master_and_occurrences():
    master = odoo_event(
        start=datetime(2024, 1, 1, 9),
        stop=datetime(2024, 1, 1, 10),
        rrule_type="weekly",
        mon=True,
        end_type="forever",
        recurrence_id=3,
        recurrence_base=True,
    )
    d = outgoing(None, master)
    assert d.action == Action.INSERT
    assert d.body["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO"]
    assert d.body["start"]["dateTime"] == "2024-01-01T10:00:00+01:00"
    occurrence = replace(
        master,
        id=8,
        recurrence_base=False,
        start=datetime(2024, 6, 3, 8),
        stop=datetime(2024, 6, 3, 9),
    )
    assert outgoing(None, occurrence).reason == "follows_series"
    moved = replace(
        occurrence,
        follow_recurrence=False,
        start=datetime(2024, 6, 3, 12),
        stop=datetime(2024, 6, 3, 13),
        original_start=datetime(2024, 6, 3, 8),
    )
    assert outgoing(None, moved).reason == "series_not_synced"
    d = outgoing(None, moved, series_link=LinkState("ser", "cal"))
    assert (d.action, d.google_id) == (Action.PATCH, "ser_20240603T080000Z")
    assert "recurrence" not in d.body


def test_outgoing_requires_event_id_key_for_insert():
    with pytest.raises(ValueError):
        plan_outgoing(None, odoo_event(), PlanRules(include_private=True, window_start=WINDOW))


def test_outgoing_mapping_error_is_skip():
    d = outgoing(None, odoo_event(start=None, stop=None))
    assert (d.action, d.reason, d.error) == (Action.SKIP, "mapping_error", "missing_start")
