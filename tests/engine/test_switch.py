"""The marks Odoo's own google_calendar left on the events it pushed (R7)."""

import pytest

from crm_google_calendar_sync.sync.switch import MAX_ODOO_ID, LegacyMark, legacy_mark

DB = "prod"


def event(scope, value, **extra):
    return {"id": "x", "extendedProperties": {scope: {f"{DB}_odoo_id": value}}, **extra}


def test_shared_mark_names_an_event():
    assert legacy_mark(event("shared", "42"), DB) == LegacyMark(42, series=False, private=False)


def test_mark_on_a_series_names_its_recurrence():
    mark = legacy_mark(event("shared", "7", recurrence=["RRULE:FREQ=DAILY"]), DB)
    assert mark == LegacyMark(7, series=True, private=False)


def test_private_mark_is_the_users_own():
    assert legacy_mark(event("private", "9"), DB).private


def test_shared_first_as_the_module_reads_it():
    item = {
        "extendedProperties": {"shared": {f"{DB}_odoo_id": "1"}, "private": {f"{DB}_odoo_id": "2"}}
    }
    assert legacy_mark(item, DB).odoo_id == 1


def test_json_number_as_the_module_sends_it():
    assert legacy_mark(event("shared", 42), DB).odoo_id == 42


@pytest.mark.parametrize(
    "value",
    ["", "0", "-3", "4.5", " 4", "١٢", "9" * 40, str(MAX_ODOO_ID + 1), True, None, [], {"a": 1}],
)
def test_anything_but_an_odoo_id_is_no_mark(value):
    assert legacy_mark(event("shared", value), DB) is None


@pytest.mark.parametrize(
    "item",
    [
        {},
        {"extendedProperties": None},
        {"extendedProperties": "x"},
        {"extendedProperties": {"shared": "x"}},
        {"extendedProperties": {"shared": {"other_odoo_id": "3"}}},
        {"extendedProperties": {"shared": {f"{DB}_owner_id": "3"}}},
    ],
)
def test_other_databases_and_malformed_properties_give_none(item):
    assert legacy_mark(item, DB) is None


def test_no_database_name_no_mark():
    assert legacy_mark(event("shared", "42"), "") is None
