"""Property tests of a series' answers (``sync.series.series_answers``, R1/R2 of
docs/attendees.md for series) and of a guest's answer on a series or one of its
instances (``planner.plan_answer``): the master carries per attendee the answer most
occurrences have, so one occurrence answered apart never moves the series (no echo
write of the master), and a guest's link sends only his own entry."""

from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_google_calendar_sync.sync import attendees as att
from crm_google_calendar_sync.sync import mapping as m
from crm_google_calendar_sync.sync.fingerprint import fingerprint_odoo
from crm_google_calendar_sync.sync.planner import Action, answer_fingerprint, plan_answer
from crm_google_calendar_sync.sync.port import LinkState
from crm_google_calendar_sync.sync.series import series_answers

GUESTS = ("bob@corp.example", "carla@customer.example", "dave@corp.example")
answers = st.sampled_from(att.ANSWERS)


def _event(index, pairs, own):
    start = datetime(2024, 6, 3, 8) + timedelta(weeks=index)
    return m.OdooEvent(
        id=100 + index,
        name="Weekly",
        start=start,
        stop=start + timedelta(hours=1),
        write_date=datetime(2024, 5, 20),
        attendees=tuple(pairs),
        own_attendee=("me@example.com", own),
    )


@st.composite
def series_of(draw, min_size=1):
    """Occurrence snapshots of one series: every guest on each, with an answer."""
    count = draw(st.integers(min_value=min_size, max_value=8))
    return [
        _event(index, [(email, draw(answers)) for email in GUESTS], draw(answers))
        for index in range(count)
    ]


def _answers_of(snapshot):
    return dict(snapshot.attendees), snapshot.own_attendee[1]


@settings(max_examples=300, deadline=None)
@given(series_of())
def test_the_master_answer_is_the_most_common_earliest_first(occurrences):
    master = series_answers(occurrences[0], occurrences)
    listed, own = _answers_of(master)
    for email in GUESTS:
        column = [dict(o.attendees)[email] for o in occurrences]
        best = max(column.count(answer) for answer in column)
        self_first = next(answer for answer in column if column.count(answer) == best)
        assert listed[email] == self_first
    column = [o.own_attendee[1] for o in occurrences]
    best = max(column.count(answer) for answer in column)
    assert own == next(answer for answer in column if column.count(answer) == best)
    # The list itself (who is on it, in which order) is the base's.
    assert [email for email, _a in master.attendees] == [e for e, _a in occurrences[0].attendees]


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=3, max_value=8), answers, answers, st.data())
def test_one_occurrence_answered_apart_leaves_the_series_unchanged(count, usual, apart, data):
    occurrences = [_event(i, [(e, usual) for e in GUESTS], usual) for i in range(count)]
    before = series_answers(occurrences[0], occurrences)
    which = data.draw(st.integers(min_value=0, max_value=count - 1))
    changed = list(occurrences)
    changed[which] = _event(which, [(e, apart) for e in GUESTS], apart)
    after = series_answers(changed[0], changed)
    # The base itself may be the occurrence answered apart: still no change.
    assert fingerprint_odoo(after) == fingerprint_odoo(before)
    assert after.own_attendee == before.own_attendee == ("me@example.com", usual)


@settings(max_examples=200, deadline=None)
@given(series_of(), answers)
def test_every_occurrence_answered_alike_is_the_series_answer(occurrences, answer):
    alike = [
        replace(
            o,
            attendees=tuple((e, answer) for e, _a in o.attendees),
            own_attendee=("me@example.com", answer),
        )
        for o in occurrences
    ]
    master = series_answers(alike[0], alike)
    assert set(dict(master.attendees).values()) == {answer}
    assert master.own_attendee[1] == answer


def test_a_series_without_list_or_occurrences_is_left_alone():
    base = replace(_event(0, [], "accepted"), attendees=None, own_attendee=None)
    assert series_answers(base, []) is base
    assert series_answers(base, [base]) == base


@settings(max_examples=200, deadline=None)
@given(series_of(), st.sampled_from([None, *att.ANSWERS]))
def test_a_guest_sends_only_his_own_entry_and_only_when_it_changed(occurrences, last):
    master = series_answers(occurrences[0], occurrences)
    link = LinkState(
        "master_20240603T080000Z",
        "bob@corp.example",
        etag='"e1"',
        fingerprint=answer_fingerprint(last) if last else None,
        guest=True,
    )
    decision = plan_answer(link, master)
    own = master.own_attendee[1]
    if last == own:
        assert decision.action == Action.NOOP
        return
    assert decision.action == Action.PATCH
    assert decision.body == {
        "attendeesOmitted": True,
        "attendees": [{"email": "me@example.com", "responseStatus": own}],
    }
    assert decision.fingerprint == answer_fingerprint(own)
