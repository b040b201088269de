"""``source`` (the creator's link) and extended properties across calendar copies."""

import pytest
from emu_helpers import ALICE, BOB, service_for, timed
from googleapiclient.errors import HttpError

SOURCE = {"title": "Opportunity: Deco Addict", "url": "https://odoo.example/odoo/crm/42"}


@pytest.fixture
def bob(emulator):
    return service_for(emulator, BOB)


def get(service, event_id, calendar="primary"):
    return service.events().get(calendarId=calendar, eventId=event_id).execute()


def test_source_is_kept_for_its_creator_only(emulator, alice, bob):
    team = emulator.add_calendar(ALICE, summary="Team")
    emulator.share_calendar(team, BOB, "writer")
    event = (
        alice.events()
        .insert(calendarId=team, body=timed(source=SOURCE, attendees=[{"email": BOB}]))
        .execute()
    )
    assert event["source"] == SOURCE and get(alice, event["id"], team)["source"] == SOURCE
    # Bob sees the event in the shared calendar and in his invitation, never its source,
    # and what he writes there does not change it.
    assert "source" not in get(bob, event["id"], team)
    assert "source" not in get(bob, event["id"])
    bob.events().patch(
        calendarId=team,
        eventId=event["id"],
        body={"source": {"title": "Mine", "url": "https://bob.example/"}},
    ).execute()
    assert get(alice, event["id"], team)["source"] == SOURCE
    patched = (
        alice.events().patch(calendarId=team, eventId=event["id"], body={"source": None}).execute()
    )
    assert "source" not in patched


def test_source_url_must_be_http(alice):
    with pytest.raises(HttpError) as info:
        alice.events().insert(
            calendarId="primary",
            body=timed(source={"title": "x", "url": "javascript:alert(1)"}),
        ).execute()
    assert info.value.resp.status == 400


def test_shared_properties_travel_private_ones_stay_per_copy(alice, bob):
    event = (
        alice.events()
        .insert(
            calendarId="primary",
            body=timed(
                attendees=[{"email": BOB}],
                extendedProperties={
                    "shared": {"crm_odoo_id": "42"},
                    "private": {"alice_note": "mine"},
                },
            ),
        )
        .execute()
    )
    held = get(bob, event["id"])
    assert held["extendedProperties"] == {"shared": {"crm_odoo_id": "42"}}
    bob.events().patch(
        calendarId="primary",
        eventId=event["id"],
        body={"extendedProperties": {"private": {"bob_link": "7"}}},
    ).execute()
    alice.events().patch(
        calendarId="primary",
        eventId=event["id"],
        body={"extendedProperties": {"shared": {"crm_odoo_id": "43"}}},
    ).execute()
    assert get(bob, event["id"])["extendedProperties"] == {
        "shared": {"crm_odoo_id": "43"},
        "private": {"bob_link": "7"},
    }
    assert get(alice, event["id"])["extendedProperties"] == {
        "shared": {"crm_odoo_id": "43"},
        "private": {"alice_note": "mine"},
    }
    found = bob.events().list(calendarId="primary", privateExtendedProperty="bob_link=7").execute()
    assert [e["id"] for e in found["items"]] == [event["id"]]
    none = alice.events().list(calendarId="primary", privateExtendedProperty="bob_link=7").execute()
    assert none["items"] == []
