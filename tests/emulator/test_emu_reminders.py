"""Reminders: per event, per calendar copy, and each account's default reminders."""

import pytest
from emu_helpers import ALICE, BOB, service_for, timed
from googleapiclient.errors import HttpError

POPUP_10 = {"method": "popup", "minutes": 10}


def insert(service, reminders=None, **extra):
    body = timed(**extra)
    if reminders is not None:
        body["reminders"] = reminders
    return service.events().insert(calendarId="primary", body=body).execute()


def error_of(info):
    detail = info.value.error_details[0]
    return info.value.resp.status, detail["domain"], detail["reason"], detail["message"]


def test_defaults_unless_the_event_overrides_them(alice):
    assert insert(alice)["reminders"] == {"useDefault": True}
    own = insert(
        alice,
        {
            "useDefault": False,
            "overrides": [{"method": "email", "minutes": 1440}, {"method": "popup", "minutes": 30}],
        },
    )
    assert own["reminders"] == {
        "useDefault": False,
        "overrides": [{"method": "email", "minutes": 1440}, {"method": "popup", "minutes": 30}],
    }
    none = insert(alice, {"useDefault": False, "overrides": []})
    assert none["reminders"] == {"useDefault": False}, "an empty list is not returned"


def test_google_rewrites_what_it_can(alice):
    event = insert(
        alice,
        {
            "useDefault": False,
            "overrides": [
                {"method": "popup", "minutes": -5},
                {"method": "popup", "minutes": 0},
                {"method": "email", "minutes": 50000},
                {"method": "sms", "minutes": 15},
            ],
        },
    )
    assert event["reminders"]["overrides"] == [
        {"method": "email", "minutes": 40320},
        {"method": "popup", "minutes": 0},
    ]


def refusal(service, reminders):
    with pytest.raises(HttpError) as info:
        insert(service, reminders)
    return error_of(info)


def test_six_overrides_or_defaults_with_overrides_are_refused(alice):
    six = [{"method": "popup", "minutes": m} for m in range(6)]
    assert refusal(alice, {"useDefault": False, "overrides": six}) == (
        400,
        "calendar",
        "eventRemindersCountExceedsLimit",
        "The event exceeds the allowed maximum number of reminders.",
    )
    assert refusal(alice, {"useDefault": True, "overrides": [POPUP_10]}) == (
        400,
        "calendar",
        "cannotUseDefaultRemindersAndSpecifyOverride",
        "Cannot specify both default reminders and overrides at the same time.",
    )
    missing = refusal(alice, {"useDefault": False, "overrides": [{"method": "popup"}]})
    assert missing[:3] == (400, "global", "required")


def test_a_patch_merges_the_reminders_object(alice):
    event = insert(alice, {"useDefault": False, "overrides": [POPUP_10]})
    with pytest.raises(HttpError) as info:  # useDefault alone keeps the stored overrides
        alice.events().patch(
            calendarId="primary", eventId=event["id"], body={"reminders": {"useDefault": True}}
        ).execute()
    assert error_of(info)[2] == "cannotUseDefaultRemindersAndSpecifyOverride"
    back = (
        alice.events()
        .patch(
            calendarId="primary",
            eventId=event["id"],
            body={"reminders": {"useDefault": True, "overrides": []}},
        )
        .execute()
    )
    assert back["reminders"] == {"useDefault": True}


def test_a_reminder_change_moves_the_etag_not_updated(emulator, alice):
    event = insert(alice)
    emulator.clock.advance(60)
    changed = (
        alice.events()
        .patch(
            calendarId="primary",
            eventId=event["id"],
            body={"reminders": {"useDefault": False, "overrides": [POPUP_10]}},
        )
        .execute()
    )
    assert changed["etag"] != event["etag"] and changed["updated"] == event["updated"]


def test_each_guest_keeps_his_own_reminders(emulator, alice):
    bob = service_for(emulator, BOB)
    event = insert(
        alice,
        {"useDefault": False, "overrides": [{"method": "email", "minutes": 60}]},
        attendees=[{"email": BOB}],
    )
    held = bob.events().get(calendarId="primary", eventId=event["id"]).execute()
    assert held["reminders"] == {"useDefault": True}
    mine = {"useDefault": False, "overrides": [{"method": "popup", "minutes": 5}]}
    bob.events().patch(
        calendarId="primary", eventId=event["id"], body={"reminders": mine}
    ).execute()
    alice.events().patch(
        calendarId="primary", eventId=event["id"], body={"summary": "v2"}
    ).execute()
    organizers = alice.events().get(calendarId="primary", eventId=event["id"]).execute()
    assert organizers["reminders"]["overrides"] == [{"method": "email", "minutes": 60}]
    held = bob.events().get(calendarId="primary", eventId=event["id"]).execute()
    assert held["summary"] == "v2" and held["reminders"] == mine


def test_default_reminders_are_each_accounts_per_calendar(emulator, alice):
    team = emulator.add_calendar(ALICE, summary="Team")
    emulator.share_calendar(team, BOB, "writer")
    entries = {e["id"]: e for e in alice.calendarList().list().execute()["items"]}
    assert entries[ALICE]["defaultReminders"] == [POPUP_10]
    assert entries[team]["defaultReminders"] == []
    wanted = [{"method": "popup", "minutes": 15}, {"method": "email", "minutes": 60}]
    entry = alice.calendarList().patch(calendarId=team, body={"defaultReminders": wanted}).execute()
    assert entry["defaultReminders"] == [wanted[1], wanted[0]]
    listed = alice.events().list(calendarId=team).execute()
    assert listed["defaultReminders"] == [wanted[1], wanted[0]]
    bob = service_for(emulator, BOB)
    assert bob.events().list(calendarId=team).execute()["defaultReminders"] == []
    assert bob.calendarList().get(calendarId=team).execute()["defaultReminders"] == []
    cleared = alice.calendarList().update(calendarId=team, body={}).execute()
    assert cleared["defaultReminders"] == []
    with pytest.raises(HttpError) as info:
        alice.calendarList().patch(
            calendarId=ALICE,
            body={"defaultReminders": [{"method": "popup", "minutes": m} for m in range(6)]},
        ).execute()
    assert error_of(info)[2] == "eventRemindersCountExceedsLimit"


def test_seeded_default_reminders(emulator, alice):
    emulator.set_default_reminders(ALICE, ALICE, [{"method": "email", "minutes": 30}])
    entry = alice.calendarList().get(calendarId="primary").execute()
    assert entry["defaultReminders"] == [{"method": "email", "minutes": 30}]
