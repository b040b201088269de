"""Hostile attendee lists and conference data (issue 16): lists of 1,000 addresses and
far more, malformed addresses, conference data without a URI, Meet requests with
hostile ids. Bounds are checked by counting the work (addresses examined, links
examined), never by timing it, so no load on the machine makes them fail."""

import pytest

from crm_google_calendar_sync.sync import attendees as att
from crm_google_calendar_sync.sync import conference, extras
from crm_google_calendar_sync.sync import mapping as m


def gevent(**extra):
    return {
        "id": "g1",
        "start": {"dateTime": "2024-06-03T10:00:00Z"},
        "end": {"dateTime": "2024-06-03T11:00:00Z"},
        **extra,
    }


def guests(count, domain="example.org"):
    return [{"email": f"guest{i}@{domain}", "responseStatus": "accepted"} for i in range(count)]


@pytest.fixture
def addresses_examined(monkeypatch):
    """How many addresses the attendee mapping normalises."""
    calls = []
    normalize = att.normalize_email

    def counted(value):
        calls.append(1)
        return normalize(value)

    monkeypatch.setattr(att, "normalize_email", counted)
    return calls


def test_a_list_of_exactly_1000_guests_is_kept_whole():
    mapped = m.google_to_odoo(gevent(attendees=guests(1000)), user_tz="UTC")
    assert len(mapped.attendees) == 1000
    assert "attendees_invalid" not in mapped.warnings


def test_the_1001st_guest_is_dropped_and_said():
    mapped = m.google_to_odoo(gevent(attendees=guests(1001)), user_tz="UTC")
    assert len(mapped.attendees) == att.MAX_ATTENDEES
    assert "attendees_invalid" in mapped.warnings


@pytest.mark.parametrize("size", [1000, 5000, 50_000, 1_000_000])
def test_huge_lists_cost_the_same_bounded_work(addresses_examined, size):
    """However long the list, at most twice Google's limit of entries is read."""
    mapped = m.google_to_odoo(gevent(attendees=guests(size)), user_tz="UTC")
    assert len(mapped.attendees) == min(size, att.MAX_ATTENDEES)
    assert len(addresses_examined) <= 2 * att.MAX_ATTENDEES
    if size > 2 * att.MAX_ATTENDEES:
        assert len(addresses_examined) == 2 * att.MAX_ATTENDEES


def test_a_list_of_garbage_entries_costs_bounded_work(addresses_examined):
    garbage = ["x", 1, None, {"email": 5}, {"email": "a@b"}, {}] * 200_000
    mapped = m.google_to_odoo(gevent(attendees=garbage), user_tz="UTC")
    assert mapped.attendees == ()
    assert "attendees_invalid" in mapped.warnings
    assert len(addresses_examined) <= 2 * att.MAX_ATTENDEES


@pytest.mark.parametrize(
    "address",
    [
        "",
        "no-at-sign",
        "a@b",
        "@x.example",
        "a@@x.example",
        "a b@x.example",
        "a@x..example",
        "a@x.example.",
        "a@-x-.example",
        "a@[127.0.0.1]",
        "a@x.example\r\nBcc: victim@y.example",
        "a\x00@x.example",
        "<script>@x.example",
        '"quoted"@x.example',
        "x" * 65 + "@x.example",
        "a@" + "x" * 250 + ".example",
        "a@" + ".".join(["x"] * 200) + ".example",
        "a" * 1_000_000 + "@x.example",
        None,
        42,
        ["a@x.example"],
        {"email": "a@x.example"},
    ],
    ids=lambda value: repr(value)[:30],
)
def test_malformed_addresses_are_no_attendees(address):
    assert att.normalize_email(address) is None
    mapped = m.google_to_odoo(
        gevent(attendees=[{"email": address}, {"email": "ok@x.example"}]), user_tz="UTC"
    )
    assert mapped.attendees == (("ok@x.example", "needsAction"),)
    assert "attendees_invalid" in mapped.warnings


def test_addresses_are_matched_whatever_their_case_and_spaces():
    mapped = m.google_to_odoo(
        gevent(
            attendees=[{"email": "  Carla@Customer.EXAMPLE "}, {"email": "carla@customer.example"}]
        ),
        user_tz="UTC",
    )
    assert mapped.attendees == (("carla@customer.example", "needsAction"),)


# ----------------------------------------------------------------------------------
# Conference data
# ----------------------------------------------------------------------------------
@pytest.fixture
def links_examined(monkeypatch):
    calls = []
    web_url = conference.web_url

    def counted(value):
        calls.append(1)
        return web_url(value)

    monkeypatch.setattr(conference, "web_url", counted)
    return calls


@pytest.mark.parametrize(
    "data",
    [
        {"entryPoints": [{"entryPointType": "video"}]},
        {"entryPoints": [{"entryPointType": "video", "uri": None}]},
        {"entryPoints": [{"entryPointType": "video", "uri": ""}]},
        {"conferenceSolution": {"key": {"type": "hangoutsMeet"}}},
        {"conferenceSolution": {"key": {"type": "hangoutsMeet"}}, "entryPoints": []},
        {"createRequest": {"requestId": "r1", "status": {"statusCode": "failure"}}},
        {"conferenceId": "abc-defg-hij"},
    ],
)
def test_conference_data_without_a_uri_is_no_video_link(data):
    mapped = m.google_to_odoo(gevent(conferenceData=data), user_tz="UTC")
    assert mapped.values["videocall_location"] == ""


@pytest.mark.parametrize("size", [10, 1000, 100_000])
def test_a_conference_of_many_entry_points_costs_bounded_work(links_examined, size):
    points = [{"entryPointType": "video"}] * size  # none with a URI
    mapped = m.google_to_odoo(gevent(conferenceData={"entryPoints": points}), user_tz="UTC")
    assert mapped.values["videocall_location"] == ""
    assert len(links_examined) <= conference._MAX_ENTRY_POINTS + 3


@pytest.mark.parametrize(
    "request_id",
    ["x" * 100_000, "<script>alert(1)</script>", "a b", "", None, 5, ["r1"], {"id": "r1"}],
    ids=lambda value: repr(value)[:20],
)
def test_a_hostile_meet_request_id_is_no_request(request_id):
    data = {"createRequest": {"requestId": request_id, "status": {"statusCode": "pending"}}}
    values, *_rest = extras.values_from_google(gevent(conferenceData=data), "", "")
    assert "meet_request" not in values
    assert conference.valid_request_id(request_id) == ""


def test_a_pending_meet_request_is_read_back_as_the_same_request():
    request_id = conference.meet_request_id(42, 7)
    pending = {"createRequest": {"requestId": request_id, "status": {"statusCode": "pending"}}}
    values, *_rest = extras.values_from_google(gevent(conferenceData=pending), "", "")
    assert values["meet_request"] == request_id
    assert conference.valid_request_id(request_id) == request_id
