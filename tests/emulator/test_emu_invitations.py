"""Invitations: the organizer's event in each invited account's primary calendar.

Everything goes through the Google client library with each person's own token.
"""

import pytest
from emu_helpers import ALICE, BOB, service_for, timed
from googleapiclient.errors import HttpError

CAROL = "carol@example.com"
CUSTOMER = "customer@deco-addict.example"


@pytest.fixture
def people(emulator):
    """Calendar services of Alice (organizer), Bob and Carol (colleagues)."""
    return {email: service_for(emulator, email) for email in (ALICE, BOB, CAROL)}


def invite(service, *guests, calendar="primary", **extra):
    body = timed("Quote review", attendees=[{"email": g} for g in guests])
    body.update(extra)
    return service.events().insert(calendarId=calendar, body=body, sendUpdates="none").execute()


def invite_series(service, *guests, rule="RRULE:FREQ=DAILY;COUNT=3"):
    zone = "Europe/Berlin"
    return invite(
        service,
        *guests,
        recurrence=[rule],
        start={"dateTime": "2030-01-07T10:00:00", "timeZone": zone},
        end={"dateTime": "2030-01-07T11:00:00", "timeZone": zone},
    )


def instances(service, series_id):
    return service.events().instances(calendarId="primary", eventId=series_id).execute()["items"]


def copy_of(service, event_id):
    return service.events().get(calendarId="primary", eventId=event_id).execute()


def incremental(service, token):
    page = service.events().list(calendarId="primary", syncToken=token).execute()
    return page["items"], page["nextSyncToken"]


def full_sync_token(service):
    return service.events().list(calendarId="primary").execute()["nextSyncToken"]


def answers(event):
    return {a["email"]: a["responseStatus"] for a in event.get("attendees", [])}


def reason_of(info):
    return info.value.error_details[0]["reason"]


def test_guests_get_the_event_in_their_primary_calendar(people):
    event = invite(people[ALICE], BOB, CAROL, CUSTOMER)
    for guest in (BOB, CAROL):
        held = copy_of(people[guest], event["id"])
        assert held["iCalUID"] == event["iCalUID"] and held["summary"] == "Quote review"
        assert held["organizer"] == {"email": ALICE}, "not self for the guest"
        mine = [a for a in held["attendees"] if a.get("self")]
        assert [a["email"] for a in mine] == [guest]
        assert answers(held) == {BOB: "needsAction", CAROL: "needsAction", CUSTOMER: "needsAction"}
        assert held["htmlLink"] != event["htmlLink"], "a link into the guest's own calendar"
        assert held["reminders"] == {"useDefault": True}
    # The organizer's own copy says so; the external address has no calendar here.
    assert event["organizer"] == {"email": ALICE, "self": True}
    assert not any(a.get("self") for a in event["attendees"])


def test_the_organizer_entry_is_marked_and_answers_are_kept(people):
    event = (
        people[ALICE]
        .events()
        .insert(
            calendarId="primary",
            body=timed(
                attendees=[
                    {"email": ALICE, "responseStatus": "accepted"},
                    {"email": BOB, "responseStatus": "tentative"},
                ]
            ),
        )
        .execute()
    )
    organizer = next(a for a in event["attendees"] if a["email"] == ALICE)
    assert organizer == {
        "email": ALICE,
        "responseStatus": "accepted",
        "self": True,
        "organizer": True,
    }
    held = copy_of(people[BOB], event["id"])
    assert answers(held)[BOB] == "tentative"
    assert next(a for a in held["attendees"] if a["email"] == ALICE).get("organizer") is True


def test_organizer_changes_reach_every_copy_and_their_incremental_lists(emulator, people):
    event = invite(people[ALICE], BOB, CAROL)
    tokens = {g: full_sync_token(people[g]) for g in (BOB, CAROL)}
    before = {g: copy_of(people[g], event["id"]) for g in (BOB, CAROL)}
    emulator.clock.advance(60)
    people[ALICE].events().patch(
        calendarId="primary",
        eventId=event["id"],
        body=timed(
            "Quote review (moved)", start="2030-01-07T12:00:00Z", end="2030-01-07T13:00:00Z"
        ),
    ).execute()
    for guest in (BOB, CAROL):
        items, _ = incremental(people[guest], tokens[guest])
        assert [i["id"] for i in items] == [event["id"]]
        held = items[0]
        assert held["summary"] == "Quote review (moved)" and held["sequence"] == 1
        assert held["etag"] != before[guest]["etag"] and held["updated"] > before[guest]["updated"]


def test_a_change_of_the_organizers_own_reminders_does_not_touch_the_copies(people):
    event = invite(people[ALICE], BOB)
    token = full_sync_token(people[BOB])
    people[ALICE].events().patch(
        calendarId="primary",
        eventId=event["id"],
        body={"reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 5}]}},
    ).execute()
    assert incremental(people[BOB], token)[0] == []


def test_removing_a_guest_cancels_his_copy_and_adding_him_again_brings_it_back(people):
    event = invite(people[ALICE], BOB, CAROL)
    token = full_sync_token(people[BOB])
    people[ALICE].events().patch(
        calendarId="primary", eventId=event["id"], body={"attendees": [{"email": CAROL}]}
    ).execute()
    items, token = incremental(people[BOB], token)
    assert items == [
        {
            "kind": "calendar#event",
            "etag": items[0]["etag"],
            "id": event["id"],
            "status": "cancelled",
        }
    ]
    assert copy_of(people[CAROL], event["id"])["status"] == "confirmed"
    people[ALICE].events().patch(
        calendarId="primary",
        eventId=event["id"],
        body={"attendees": [{"email": CAROL}, {"email": BOB}]},
    ).execute()
    items, _ = incremental(people[BOB], token)
    assert items[0]["status"] == "confirmed" and answers(items[0])[BOB] == "needsAction"


def test_deleting_the_organizers_event_cancels_every_copy(people):
    event = invite(people[ALICE], BOB, CAROL)
    people[ALICE].events().delete(calendarId="primary", eventId=event["id"]).execute()
    for guest in (BOB, CAROL):
        assert copy_of(people[guest], event["id"])["status"] == "cancelled"
        listed = people[guest].events().list(calendarId="primary").execute()["items"]
        assert event["id"] not in [e["id"] for e in listed]


def test_a_guest_answers_and_everybody_sees_it(emulator, people):
    event = invite(people[ALICE], BOB, CAROL)
    tokens = {p: full_sync_token(people[p]) for p in (ALICE, CAROL)}
    held = copy_of(people[BOB], event["id"])
    for attendee in held["attendees"]:
        if attendee.get("self"):
            attendee["responseStatus"] = "accepted"
            attendee["comment"] = "Gladly"
    people[BOB].events().patch(
        calendarId="primary", eventId=event["id"], body={"attendees": held["attendees"]}
    ).execute()
    for person in (ALICE, CAROL):
        items, _ = incremental(people[person], tokens[person])
        assert answers(items[0]) == {BOB: "accepted", CAROL: "needsAction"}
        bob = next(a for a in items[0]["attendees"] if a["email"] == BOB)
        assert bob["comment"] == "Gladly"


def test_only_his_own_answer_counts_not_others(people):
    event = invite(people[ALICE], BOB, CAROL)
    held = copy_of(people[BOB], event["id"])
    for attendee in held["attendees"]:
        attendee["responseStatus"] = "declined"  # also Carol's: not his to give
    people[BOB].events().update(calendarId="primary", eventId=event["id"], body=held).execute()
    organizer = copy_of(people[ALICE], event["id"])
    assert answers(organizer) == {BOB: "declined", CAROL: "needsAction"}
    assert answers(copy_of(people[CAROL], event["id"]))[CAROL] == "needsAction"


def test_attendees_omitted_updates_only_the_participants_answer(people):
    event = invite(people[ALICE], BOB, CAROL)
    people[BOB].events().patch(
        calendarId="primary",
        eventId=event["id"],
        body={
            "attendeesOmitted": True,
            "attendees": [{"email": BOB, "responseStatus": "tentative"}],
        },
    ).execute()
    assert answers(copy_of(people[ALICE], event["id"])) == {BOB: "tentative", CAROL: "needsAction"}
    assert answers(copy_of(people[BOB], event["id"])) == {BOB: "tentative", CAROL: "needsAction"}


def test_a_guests_other_changes_stay_in_his_copy_until_the_organizer_changes_it(people):
    """Without guestsCanModify Google keeps a guest's edit in his own calendar only."""
    event = invite(people[ALICE], BOB, CAROL)
    people[BOB].events().patch(
        calendarId="primary", eventId=event["id"], body={"summary": "My own title"}
    ).execute()
    assert copy_of(people[BOB], event["id"])["summary"] == "My own title"
    assert copy_of(people[ALICE], event["id"])["summary"] == "Quote review"
    assert copy_of(people[CAROL], event["id"])["summary"] == "Quote review"
    people[ALICE].events().patch(
        calendarId="primary", eventId=event["id"], body={"location": "Room 2"}
    ).execute()
    refreshed = copy_of(people[BOB], event["id"])
    assert refreshed["summary"] == "Quote review" and refreshed["location"] == "Room 2"


@pytest.mark.parametrize(
    "change",
    [
        {"guestsCanModify": True},
        {"guestsCanInviteOthers": False},
        {"guestsCanSeeOtherGuests": False},
    ],
)
def test_guest_permissions_are_the_organizers_alone(people, change):
    event = invite(people[ALICE], BOB)
    with pytest.raises(HttpError) as info:
        people[BOB].events().patch(calendarId="primary", eventId=event["id"], body=change).execute()
    assert info.value.resp.status == 403 and reason_of(info) == "forbiddenForNonOrganizer"
    detail = info.value.error_details[0]
    assert (
        detail["message"] == "Shared properties can only be changed by the organizer of the event."
    )
    assert detail["domain"] == "calendar"


def test_with_guests_can_modify_a_guests_change_reaches_everybody(people):
    event = invite(people[ALICE], BOB, CAROL, guestsCanModify=True)
    people[BOB].events().patch(
        calendarId="primary",
        eventId=event["id"],
        body={
            "summary": "Agreed title",
            "start": {"dateTime": "2030-01-07T11:00:00+01:00"},
            "end": {"dateTime": "2030-01-07T12:00:00+01:00"},
        },
    ).execute()
    for person in (ALICE, BOB, CAROL):
        held = copy_of(people[person], event["id"])
        assert held["summary"] == "Agreed title"
        assert held["start"]["dateTime"] == "2030-01-07T10:00:00Z" and held["sequence"] == 1


def test_guests_may_invite_others_by_default(people):
    event = invite(people[ALICE], BOB)
    held = copy_of(people[BOB], event["id"])
    people[BOB].events().patch(
        calendarId="primary",
        eventId=event["id"],
        body={"attendees": [*held["attendees"], {"email": CAROL, "responseStatus": "accepted"}]},
    ).execute()
    assert answers(copy_of(people[ALICE], event["id"])) == {
        BOB: "needsAction",
        CAROL: "needsAction",
    }
    assert copy_of(people[CAROL], event["id"])["organizer"]["email"] == ALICE


def test_a_guest_deleting_his_copy_declines_and_reinviting_brings_it_back(people):
    event = invite(people[ALICE], BOB, CAROL)
    alice_token = full_sync_token(people[ALICE])
    people[BOB].events().delete(calendarId="primary", eventId=event["id"]).execute()
    assert copy_of(people[BOB], event["id"])["status"] == "cancelled"
    items, _ = incremental(people[ALICE], alice_token)
    assert answers(items[0]) == {BOB: "declined", CAROL: "needsAction"}
    assert answers(copy_of(people[CAROL], event["id"]))[BOB] == "declined"
    # The organizer's next change leaves it out of his calendar ...
    people[ALICE].events().patch(
        calendarId="primary", eventId=event["id"], body={"summary": "v2"}
    ).execute()
    assert copy_of(people[BOB], event["id"])["status"] == "cancelled"
    # ... until she invites him again (his answer reset).
    organizer = copy_of(people[ALICE], event["id"])
    for attendee in organizer["attendees"]:
        if attendee["email"] == BOB:
            attendee["responseStatus"] = "needsAction"
    people[ALICE].events().patch(
        calendarId="primary", eventId=event["id"], body={"attendees": organizer["attendees"]}
    ).execute()
    held = copy_of(people[BOB], event["id"])
    assert held["status"] == "confirmed" and held["summary"] == "v2"


def test_a_guest_accepting_his_deleted_copy_gets_it_back(people):
    event = invite(people[ALICE], BOB)
    people[BOB].events().delete(calendarId="primary", eventId=event["id"]).execute()
    people[BOB].events().patch(
        calendarId="primary",
        eventId=event["id"],
        body={
            "attendeesOmitted": True,
            "attendees": [{"email": BOB, "responseStatus": "accepted"}],
        },
    ).execute()
    assert copy_of(people[BOB], event["id"])["status"] == "confirmed"
    assert answers(copy_of(people[ALICE], event["id"]))[BOB] == "accepted"


def test_a_guest_cannot_delete_twice_nor_reach_the_organizers_calendar(people):
    event = invite(people[ALICE], BOB)
    people[BOB].events().delete(calendarId="primary", eventId=event["id"]).execute()
    with pytest.raises(HttpError) as info:
        people[BOB].events().delete(calendarId="primary", eventId=event["id"]).execute()
    assert info.value.resp.status == 410
    with pytest.raises(HttpError) as info:
        people[BOB].events().patch(
            calendarId=ALICE, eventId=event["id"], body={"summary": "x"}
        ).execute()
    assert info.value.resp.status == 404


def test_recurring_series_copies_have_the_same_instances_and_exceptions(people):
    series = invite_series(people[ALICE], BOB, rule="RRULE:FREQ=WEEKLY;COUNT=4")
    organizers = instances(people[ALICE], series["id"])
    second, third = organizers[1]["id"], organizers[2]["id"]
    people[ALICE].events().patch(
        calendarId="primary", eventId=second, body={"summary": "Moved one"}
    ).execute()
    people[ALICE].events().delete(calendarId="primary", eventId=third).execute()
    bobs = instances(people[BOB], series["id"])
    assert [i["id"] for i in bobs] == [i["id"] for i in organizers if i["id"] != third]
    assert [i["summary"] for i in bobs] == ["Quote review", "Moved one", "Quote review"]
    assert all(i["organizer"]["email"] == ALICE for i in bobs)
    # The organizer taking him off one occurrence takes it out of his calendar only.
    fourth = organizers[3]
    people[ALICE].events().patch(
        calendarId="primary", eventId=fourth["id"], body={"attendees": [{"email": CAROL}]}
    ).execute()
    assert [i["id"] for i in instances(people[BOB], series["id"])] == [
        organizers[0]["id"],
        second,
    ]
    # Carol, invited to that occurrence only, holds it without the series.
    assert copy_of(people[CAROL], fourth["id"])["recurringEventId"] == series["id"]
    with pytest.raises(HttpError) as info:
        instances(people[CAROL], series["id"])
    assert info.value.resp.status == 404


def test_a_guest_answers_one_occurrence(people):
    series = invite_series(people[ALICE], BOB)
    first = instances(people[BOB], series["id"])[0]
    people[BOB].events().patch(
        calendarId="primary",
        eventId=first["id"],
        body={
            "attendeesOmitted": True,
            "attendees": [{"email": BOB, "responseStatus": "declined"}],
        },
    ).execute()
    organizers = instances(people[ALICE], series["id"])
    assert [answers(i)[BOB] for i in organizers] == ["declined", "needsAction", "needsAction"]


def test_a_guest_deleting_the_series_declines_all_of_it(people):
    series = invite_series(people[ALICE], BOB, CAROL)
    second = instances(people[ALICE], series["id"])[1]
    people[ALICE].events().patch(
        calendarId="primary", eventId=second["id"], body={"location": "Room 9"}
    ).execute()
    people[BOB].events().delete(calendarId="primary", eventId=series["id"]).execute()
    organizers = instances(people[ALICE], series["id"])
    assert [answers(i)[BOB] for i in organizers] == ["declined"] * 3
    assert [answers(i)[BOB] for i in instances(people[CAROL], series["id"])] == ["declined"] * 3
    listed = people[BOB].events().list(calendarId="primary", singleEvents=True).execute()["items"]
    assert not [e for e in listed if e["id"].startswith(series["id"])]
    # The organizer changing one occurrence later does not put it back.
    third = instances(people[ALICE], series["id"])[2]
    people[ALICE].events().patch(
        calendarId="primary", eventId=third["id"], body={"location": "Room 7"}
    ).execute()
    listed = people[BOB].events().list(calendarId="primary", singleEvents=True).execute()["items"]
    assert not [e for e in listed if e["id"].startswith(series["id"])]


def test_deleting_the_organizers_series_cancels_the_copies_exceptions(people):
    series = invite_series(people[ALICE], BOB)
    first = instances(people[ALICE], series["id"])[0]
    people[ALICE].events().patch(
        calendarId="primary", eventId=first["id"], body={"summary": "Changed"}
    ).execute()
    people[ALICE].events().delete(calendarId="primary", eventId=series["id"]).execute()
    assert copy_of(people[BOB], first["id"])["status"] == "cancelled"
    assert copy_of(people[BOB], series["id"])["status"] == "cancelled"


def test_a_secondary_calendar_organizes_too(emulator, people):
    team = emulator.add_calendar(ALICE, summary="Team")
    event = invite(people[ALICE], ALICE, BOB, calendar=team)
    assert event["organizer"] == {"email": team, "displayName": "Team", "self": True}
    for person in (ALICE, BOB):
        held = copy_of(people[person], event["id"])
        assert held["organizer"]["email"] == team and not held["organizer"].get("self")


def test_private_copies_and_imports_invite_nobody(people):
    private = invite(people[ALICE], BOB, privateCopy=True)
    imported = (
        people[ALICE]
        .events()
        .import_(
            calendarId="primary",
            body=timed(iCalUID="outside-1@example.org", attendees=[{"email": BOB}]),
        )
        .execute()
    )
    for event in (private, imported):
        with pytest.raises(HttpError) as info:
            copy_of(people[BOB], event["id"])
        assert info.value.resp.status == 404
    assert private["privateCopy"] is True


def test_a_guests_own_event_with_that_id_is_left_alone(people):
    people[BOB].events().insert(
        calendarId="primary", body=timed("Mine", id="shared0meeting1")
    ).execute()
    invite(people[ALICE], BOB, id="shared0meeting1")
    assert copy_of(people[BOB], "shared0meeting1")["summary"] == "Mine"
    with pytest.raises(HttpError) as info:  # and he cannot take the id of an invitation
        invite(people[ALICE], CAROL, id="shared0meeting2")
        people[CAROL].events().insert(
            calendarId="primary", body=timed(id="shared0meeting2")
        ).execute()
    assert info.value.resp.status == 409


def test_moving_the_organizers_event_moves_the_copies_organizer(emulator, people):
    team = emulator.add_calendar(ALICE, summary="Team")
    event = invite(people[ALICE], BOB)
    people[ALICE].events().move(
        calendarId="primary", eventId=event["id"], destination=team
    ).execute()
    held = copy_of(people[BOB], event["id"])
    assert held["status"] == "confirmed" and held["organizer"]["email"] == team
    with pytest.raises(HttpError) as info:
        people[BOB].events().move(
            calendarId="primary", eventId=event["id"], destination=BOB
        ).execute()
    assert info.value.resp.status == 400


def test_hidden_guest_lists_and_max_attendees(people):
    event = invite(people[ALICE], BOB, CAROL, CUSTOMER, guestsCanSeeOtherGuests=False)
    held = copy_of(people[BOB], event["id"])
    assert [a["email"] for a in held["attendees"]] == [BOB] and held["attendeesOmitted"] is True
    assert len(copy_of(people[ALICE], event["id"])["attendees"]) == 3
    # His answer written back against the short list keeps the others.
    people[BOB].events().patch(
        calendarId="primary",
        eventId=event["id"],
        body={"attendees": [{"email": BOB, "responseStatus": "accepted"}]},
    ).execute()
    assert answers(copy_of(people[ALICE], event["id"])) == {
        BOB: "accepted",
        CAROL: "needsAction",
        CUSTOMER: "needsAction",
    }
    short = (
        people[ALICE]
        .events()
        .get(calendarId="primary", eventId=event["id"], maxAttendees=2)
        .execute()
    )
    assert short["attendees"] == [] and short["attendeesOmitted"] is True
    bobs = people[BOB].events().list(calendarId="primary", maxAttendees=1).execute()["items"]
    assert [a["email"] for a in bobs[0]["attendees"]] == [BOB]


def test_seeded_events_invite_too(emulator, people):
    seeded = emulator.add_event(ALICE, ALICE, timed("Seeded", attendees=[{"email": BOB}]))
    assert copy_of(people[BOB], seeded["id"])["summary"] == "Seeded"
