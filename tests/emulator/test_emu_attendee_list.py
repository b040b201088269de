"""Attendee lists as Google keeps them: validation, duplicates, fields, limits."""

import pytest
from emu_helpers import ALICE, BOB, timed
from googleapiclient.errors import HttpError


def insert(service, attendees, **params):
    body = timed(attendees=attendees)
    return service.events().insert(calendarId="primary", body=body, **params).execute()


def refused(service, attendees):
    with pytest.raises(HttpError) as info:
        insert(service, attendees)
    return info.value.resp.status, info.value.error_details[0]


def test_every_attendee_needs_a_valid_address(alice):
    assert refused(alice, [{"displayName": "No address"}]) == (
        400,
        {"domain": "global", "reason": "required", "message": "Missing attendee email."},
    )
    for bad in ("plain", "a@b", "two@@example.com", "with space@example.com", "x@-bad-.com"):
        status, detail = refused(alice, [{"email": bad}])
        assert (status, detail["reason"], detail["message"]) == (
            400,
            "invalid",
            "Invalid attendee email.",
        ), bad


def test_duplicates_collapse_case_insensitively_first_entry_wins(alice):
    event = insert(
        alice,
        [
            {"email": "Maria@Example.com", "displayName": "Maria"},
            {"email": "maria@example.com", "responseStatus": "accepted"},
            {"email": " ben@example.com "},
        ],
    )
    assert event["attendees"] == [
        {"email": "Maria@Example.com", "displayName": "Maria", "responseStatus": "needsAction"},
        {"email": "ben@example.com", "responseStatus": "needsAction"},
    ]


def test_attendee_fields_are_kept_and_flags_computed(alice):
    given = {
        "email": "room-1@resource.example.com",
        "displayName": "Room 1",
        "resource": True,
        "optional": True,
        "comment": "Projector please",
        "additionalGuests": 2,
        "responseStatus": "tentative",
        "self": True,  # read-only: computed per copy, not taken from the client
        "organizer": True,
    }
    event = insert(alice, [given])
    expected = {k: v for k, v in given.items() if k not in ("self", "organizer")}
    assert event["attendees"] == [expected]
    with pytest.raises(HttpError) as info:
        insert(alice, [{"email": BOB, "additionalGuests": -1}])
    assert info.value.resp.status == 400


def test_resource_is_set_only_when_the_attendee_is_added(alice):
    event = insert(alice, [{"email": "room@example.com", "resource": True}])
    patched = (
        alice.events()
        .patch(
            calendarId="primary",
            eventId=event["id"],
            body={"attendees": [{"email": "room@example.com", "resource": False}, {"email": BOB}]},
        )
        .execute()
    )
    assert patched["attendees"][0]["resource"] is True


def test_an_empty_list_means_no_attendees(alice):
    event = insert(alice, [])
    assert "attendees" not in event


def test_more_attendees_than_google_takes_are_refused(emulator, alice):
    many = [{"email": f"guest{i}@example.org"} for i in range(emulator.max_attendees)]
    assert len(insert(alice, many)["attendees"]) == emulator.max_attendees
    status, detail = refused(alice, [*many, {"email": "one-more@example.org"}])
    assert (status, detail["reason"]) == (400, "invalid")
    # Google itself may hold larger lists (groups): seeding is not limited.
    seeded = emulator.add_event(ALICE, ALICE, timed(attendees=[*many, {"email": "x@example.org"}]))
    assert len(seeded["attendees"]) == emulator.max_attendees + 1
