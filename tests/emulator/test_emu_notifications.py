"""sendUpdates: accepted, recorded, and the e-mails Google would send counted."""

import pytest
from emu_helpers import ALICE, BOB, new_batch, service_for, timed

EXTERNAL = "customer@deco-addict.example"


@pytest.fixture
def bob(emulator):
    return service_for(emulator, BOB)


def mailed(emulator):
    return [(n.api_call, n.send_updates, n.recipients) for n in emulator.notifications]


def meeting(service, send_updates=None, **extra):
    body = timed(attendees=[{"email": BOB}, {"email": EXTERNAL}], **extra)
    params = {"sendUpdates": send_updates} if send_updates else {}
    return service.events().insert(calendarId="primary", body=body, **params).execute()


def test_none_and_no_parameter_mail_nobody(emulator, alice):
    first = meeting(alice, "none")
    second = meeting(alice)
    alice.events().patch(
        calendarId="primary", eventId=first["id"], body={"summary": "New"}, sendUpdates="none"
    ).execute()
    alice.events().delete(calendarId="primary", eventId=second["id"]).execute()
    assert emulator.notifications == []
    assert emulator.counters.get("notifications", 0) == 0
    assert all(r.notified == 0 for r in emulator.requests)
    assert [r.query.get("sendUpdates") for r in emulator.requests] == ["none", None, "none", None]


def test_all_mails_every_guest_external_only_those_without_google(emulator, alice, bob):
    event = meeting(alice, "all")
    alice.events().patch(
        calendarId="primary",
        eventId=event["id"],
        body={"location": "Room 2"},
        sendUpdates="externalOnly",
    ).execute()
    alice.events().delete(calendarId="primary", eventId=event["id"], sendUpdates="all").execute()
    assert mailed(emulator) == [
        ("events.insert", "all", [BOB, EXTERNAL]),
        ("events.patch", "externalOnly", [EXTERNAL]),
        ("events.delete", "all", [BOB, EXTERNAL]),
    ]
    assert emulator.counters["notifications"] == 5
    assert [r.notified for r in emulator.requests] == [2, 1, 2]


def test_removed_guests_hear_of_it_and_unchanged_shared_data_mails_nobody(emulator, alice):
    event = meeting(alice)
    alice.events().patch(
        calendarId="primary",
        eventId=event["id"],
        body={"reminders": {"useDefault": False}},
        sendUpdates="all",
    ).execute()
    alice.events().patch(
        calendarId="primary",
        eventId=event["id"],
        body={"attendees": [{"email": BOB}]},
        sendUpdates="all",
    ).execute()
    assert mailed(emulator) == [("events.patch", "all", [BOB, EXTERNAL])]


def test_a_guests_answer_mails_the_organizer_with_all(emulator, alice, bob):
    event = meeting(alice)
    bob.events().patch(
        calendarId="primary",
        eventId=event["id"],
        body={
            "attendeesOmitted": True,
            "attendees": [{"email": BOB, "responseStatus": "accepted"}],
        },
        sendUpdates="all",
    ).execute()
    bob.events().delete(calendarId="primary", eventId=event["id"], sendUpdates="all").execute()
    assert mailed(emulator) == [
        ("events.patch", "all", [ALICE]),
        ("events.delete", "all", [ALICE]),
    ]


def test_deprecated_send_notifications_counts_as_all(emulator, alice):
    alice.events().insert(
        calendarId="primary", body=timed(attendees=[{"email": BOB}]), sendNotifications=True
    ).execute()
    assert mailed(emulator) == [("events.insert", "all", [BOB])]


def test_batch_parts_are_counted_one_by_one(emulator, alice):
    results = {}
    batch = new_batch(emulator, results)
    for index in range(3):
        body = timed(f"Meeting {index}", attendees=[{"email": BOB}])
        batch.add(alice.events().insert(calendarId="primary", body=body, sendUpdates="all"))
    batch.execute()
    assert emulator.counters["notifications"] == 3
    assert [r.notified for r in emulator.requests if r.in_batch] == [1, 1, 1]
