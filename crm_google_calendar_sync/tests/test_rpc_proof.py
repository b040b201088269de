# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The proof that every RPC path is owner-only, enumerated from the registry.

A method or field that the addon adds later is covered without editing this file:

- every x2many command (0 to 6), and every many2one value, with another user's
  record ids, on every self-writeable relational field of ``res.users`` whose
  comodel holds rows of users;
- every public method of every model of the addon, and every public method the
  addon adds to the models it extends, on another user's records, as a colleague
  and as a portal user, through the web client's ``call_kw``;
- every ``google_sync_*`` field of another user through every read path a client
  has: the answer about Anna must be the answer about a colleague who never
  connected Google, except for "connected" itself.

A call passes when it changed nothing of Anna's (rows, Google calendars, Google
traffic) and its answer holds none of her Google data. Calls with wrong
arguments fail on the server; their error logs are muted, the oracle stays.
"""

import inspect
import json
import logging

from odoo.models import MAGIC_COLUMNS, regex_private
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .rpc_common import RpcCase

_logger = logging.getLogger(__name__)

ADDON = "crm_google_calendar_sync"
# Hostile calls fail with errors of every kind; the server logs them as errors.
SERVER_LOGGERS = ("odoo.http", "odoo.sql_db", "odoo.osv.expression", "odoo.models")


def read_paths(name, record_id):
    """Every way a client reads field ``name`` of one record: {path: (method, args)}."""
    spec = {name: _spec(name)}
    by_id = [("id", "=", record_id)]
    is_set = [(name, "!=", False)]
    return {
        "read": ("read", [[record_id], [name]]),
        "web_read": ("web_read", [[record_id], spec]),
        "search_read": ("search_read", [by_id, [name]]),
        "web_search_read": ("web_search_read", [by_id, spec]),
        "export_data": ("export_data", [[record_id], [name]]),
        "fetch": ("fetch", [[record_id], [name]]),
        "mapped": ("mapped", [[record_id], name]),
        "onchange": ("onchange", [[record_id], {}, [], spec]),
        "read_group": ("read_group", [by_id, [name], [name]]),
        "search_count": ("search_count", [by_id + is_set]),
        "filtered_domain": ("filtered_domain", [[record_id], is_set]),
        "sorted": ("sorted", [[record_id], name]),
        "grouped": ("grouped", [[record_id], name]),
    }


def _spec(name):
    return {"fields": {"display_name": {}}} if name.endswith("_ids") or name.endswith("_id") else {}


def _public_methods(cls, own_only):
    """Public method names of a registry class; ``own_only``: those the addon defines."""
    if own_only:
        members = {
            name: value
            for klass in cls.__mro__
            if getattr(klass, "_module", None) == ADDON
            for name, value in vars(klass).items()
        }
    else:
        members = dict(inspect.getmembers(cls))
    return sorted(
        name
        for name, value in members.items()
        if not regex_private.match(name) and (inspect.isfunction(value) or inspect.ismethod(value))
    )


def addon_methods(env):
    """{model: public methods}: all of the addon's models, what it adds to others."""
    result = {}
    for name in env.registry:
        cls = type(env[name])
        if env[name]._original_module == ADDON:
            result[name] = _public_methods(cls, own_only=False)
        elif any(getattr(klass, "_module", None) == ADDON for klass in cls.__mro__):
            methods = _public_methods(cls, own_only=True)
            if methods:
                result[name] = methods
    return result


def _normalised(value, record_id):
    """An answer with ``record_id`` replaced, to compare answers about two users."""
    if isinstance(value, dict):
        return {
            _normalised(key, record_id): _normalised(item, record_id) for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_normalised(item, record_id) for item in value]
    if value == record_id and not isinstance(value, bool):
        return "ID"
    if isinstance(value, str):
        # Recordsets come back as their repr, e.g. "res.users(7,)".
        return "ID" if value == str(record_id) else value.replace(f"({record_id},)", "(ID,)")
    return value


@tagged("post_install", "-at_install")
class TestRpcProof(RpcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A colleague who never connected Google: what a stranger may learn of him
        # is all he may learn of Anna.
        cls.carl = new_test_user(cls.env, login="gcal_rpc_carl", groups="base.group_user")
        cls.env["crm.google.sync.round"]._for_shard(0)
        cls.settings = cls.env["res.config.settings"].with_user(cls.admin).create({})

    def targets(self, model):
        """The rows a call on ``model`` aims at: Anna's, or the system's."""
        env = self.env(su=True, context={"active_test": False})
        if model == "res.config.settings":
            return self.settings.with_env(env)
        return self.anna_records(model) or env[model].search([])

    # ------------------------------------------------------------------
    # Arguments
    # ------------------------------------------------------------------
    def hostile_values(self, record, names=None):
        """A different value for every stored field (each write that succeeds
        changes something), the row handed to Bob, x2many fields emptied."""
        values = {}
        for name, field in record._fields.items():
            if names is not None and name not in names:
                continue
            if not field.store or name in MAGIC_COLUMNS or (field.compute and not field.inverse):
                continue
            value = self._other_value(record, field)
            if value is not None:
                values[name] = value
        return values

    def _other_value(self, record, field):
        current = record[field.name] if record else False
        if field.type in ("char", "text", "html"):
            return "evil"
        if field.type == "boolean":
            return not current
        if field.type in ("integer", "float"):
            return (current or 0) + 7
        if field.type == "selection":
            keys = [key for key, _label in field._description_selection(self.env)]
            return next((key for key in keys if key != current), None)
        if field.type == "date":
            return "2001-01-01"
        if field.type == "datetime":
            return "2001-01-01 09:00:00"
        if field.type == "many2one" and field.comodel_name == "res.users":
            return self.bob.id
        if field.type in ("one2many", "many2many"):
            return [(5, 0, 0)]
        return None

    def foreign_commands(self, comodel):
        """Every x2many command (0 to 6) aimed at Anna's rows of ``comodel``."""
        rows = self.anna_records(comodel)
        if not rows:
            return []
        commands = [[(6, 0, rows.ids)], [(5, 0, 0)]]
        commands.append([(0, 0, dict(self.hostile_values(rows[0]), user_id=self.anna.id))])
        for row in rows:
            commands += [
                [(1, row.id, self.hostile_values(row))],
                [(2, row.id, 0)],
                [(3, row.id, 0)],
                [(4, row.id, 0)],
            ]
        return commands

    def calls(self, model, method, rows):
        """(args, kwargs) for ``method`` on ``rows``: realistic arguments for the
        ORM's methods, the record ids alone for any other method."""
        Model = self.env[model]
        api = getattr(getattr(type(Model), method), "_api", None)
        for args in self._orm_arguments(Model, rows).get(method, [[]]):
            kwargs = {"lazy": False} if method in ("read_group", "web_read_group") else {}
            yield (args if api else [rows.ids, *args]), kwargs

    def _orm_arguments(self, Model, rows):
        """{ORM method: [argument lists]} aimed at ``rows``."""
        names = list(Model._fields)
        spec = {name: {} for name in names}
        stored = [name for name, field in Model._fields.items() if field.store]
        row = rows[:1]
        values, own_values, new_values = self._write_values(Model, row)
        link_commands = [
            {name: commands}
            for name in own_values
            if Model._fields[name].type in ("one2many", "many2many")
            for commands in self.foreign_commands(Model._fields[name].comodel_name)
        ]
        any_set = [*(["|"] * (len(stored) - 1)), *((name, "!=", False) for name in stored)]
        # Per field where each field's access decides (read, mapped, grouped: a
        # computed field is not checked like a stored one), else all at once.
        return {
            "check_access": [["read"], ["write"], ["unlink"]],
            "check_access_rights": [["read"], ["write"]],
            "check_access_rule": [["read"], ["write"]],
            "check_field_access_rights": [["read", names], ["write", names]],
            "copy": [[], [values]],
            "create": [[[new_values]], *([[dict(new_values, **c)]] for c in link_commands)],
            "default_get": [[names]],
            "export_data": [[names]],
            "fetch": [[names]],
            "filtered_domain": [[any_set]],
            "get_field_translations": [[name] for name in stored[:1]],
            "grouped": [[name] for name in names],
            "load": [[[".id", name], [[str(row.id), "evil"]]] for name in list(own_values)[:1]],
            "mapped": [[name] for name in names],
            "modified": [[names]],
            "name_create": [["evil"]],
            "name_search": [[""]],
            "onchange": [[{}, [], spec], [own_values, list(own_values), spec]],
            "read": [[names], *([[name]] for name in names)],
            "read_group": [[[], [], stored]],
            "search": [[[]], [any_set]],
            "search_count": [[[]], [any_set]],
            "search_fetch": [[[], names]],
            "search_read": [[[], names]],
            "sorted": [["id"]],
            "update": [[values]],
            "web_read": [[spec]],
            "web_read_group": [[[], [], stored]],
            "web_save": [[values, spec], *([c, {}] for c in link_commands)],
            "web_search_read": [[[], spec]],
            "write": [
                [values],
                *([{name: value}] for name, value in own_values.items()),
                *([c] for c in link_commands),
            ],
        }

    def _write_values(self, Model, row):
        """Hostile values for all fields at once (refused as a whole), for each
        field the addon adds, and for a new row (Anna's, or on a model the addon
        extends, one of Bob's own, e.g. a meeting he creates)."""
        values = self.hostile_values(row)
        if Model._original_module == ADDON:
            return values, values, dict(values, user_id=self.anna.id)
        own = [name for name, field in Model._fields.items() if field._module == ADDON]
        own_values = self.hostile_values(row, own)
        copied = row.copy_data()[0] if row else {}
        required = {name: value for name, value in copied.items() if Model._fields[name].required}
        return values, own_values, dict(required, **own_values)

    # ------------------------------------------------------------------
    def harm(self, before, secrets, answer):
        """What a call did to Anna: changed her data, or showed her secrets."""
        harm = []
        if self.anna_state() != before:
            harm.append("changed her data")
        leaked = sorted(secret for secret in secrets if secret in (answer or ""))
        if leaked:
            harm.append(f"showed {leaked}")
        return harm

    def test_every_command_on_every_self_writeable_field(self):
        Users = self.env["res.users"]
        fields = [
            Users._fields[name]
            for name in Users.SELF_WRITEABLE_FIELDS
            if Users._fields[name].type in ("many2one", "many2many", "one2many")
            and "user_id" in self.env[Users._fields[name].comodel_name]._fields
        ]
        self.assertIn("google_sync_source_calendar_ids", [field.name for field in fields])
        # Planned before any call, so that a row that went missing counts as harm.
        plan = []
        for field in fields:
            foreign = self.anna_records(field.comodel_name)
            self.assertTrue(foreign, f"Anna has no {field.comodel_name}")
            if field.type == "many2one":
                values = foreign.ids
            else:
                values = self.foreign_commands(field.comodel_name)
            plan += [(field.name, value, foreign) for value in values]
        before, secrets = self.anna_state(), self.anna_secrets()
        problems, count = [], 0
        for user in (self.bob, self.portal):
            self.login(user)
            own = user.with_env(self.env(su=True))
            for name, value, foreign in plan:
                with mute_logger(*SERVER_LOGGERS):
                    _result, _error, text = self.call_kw(
                        "res.users", "write", [[user.id], {name: value}]
                    )
                count += 1
                harm = self.harm(before, secrets, text)
                if own[name] & foreign:
                    harm.append("linked her row to him")
                if harm:
                    problems.append(f"{user.login} {name} {value}: {harm}")
                    before = self.anna_state()
        self.assertFalse(problems, "\n".join(problems))
        _logger.info("%s commands on %s fields, by 2 users", count // 2, len(fields))

    def test_every_public_method_as_colleague_and_portal(self):
        methods = addon_methods(self.env)
        own_models = [name for name in methods if self.env[name]._original_module == ADDON]
        self.assertGreaterEqual(len(own_models), 6, own_models)
        self.assertIn("action_google_sync_again", methods["calendar.event"])
        before, secrets = self.anna_state(), self.anna_secrets()
        problems, count = [], 0
        for user in (self.bob, self.portal):
            self.login(user)
            for model, names in methods.items():
                rows = self.targets(model)
                for method in names:
                    calls, leaks = [], []
                    for args, kwargs in self.calls(model, method, rows):
                        calls.append(json.dumps(args, default=str)[:300])
                        with mute_logger(*SERVER_LOGGERS):
                            _result, _error, text = self.call_kw(model, method, args, kwargs)
                        count += 1
                        leaked = sorted(secret for secret in secrets if secret in text)
                        if leaked:
                            leaks.append(f"{calls[-1]} showed {leaked}")
                    # One snapshot per method: a change names the method and its calls.
                    if self.anna_state() != before:
                        leaks.append(f"changed her data with one of {calls}")
                        before = self.anna_state()
                    if leaks:
                        problems.append(f"{user.login} {model}.{method}: {leaks}")
        self.assertFalse(problems, "\n".join(problems))
        _logger.info(
            "%s calls: %s methods of %s models, by 2 users",
            count,
            sum(len(names) for names in methods.values()),
            len(methods),
        )

    def test_every_google_sync_field_of_a_colleague(self):
        names = [name for name in self.env["res.users"]._fields if name.startswith("google_sync_")]
        secrets = self.anna_secrets()
        problems, count = [], 0
        for user in (self.bob, self.portal):
            self.login(user)
            for name in names:
                for path in read_paths(name, 0):
                    answers = []
                    for target in (self.anna, self.carl):
                        method, args = read_paths(name, target.id)[path]
                        with mute_logger(*SERVER_LOGGERS):
                            result, error, text = self.call_kw("res.users", method, args)
                        count += 1
                        if any(secret in text for secret in secrets):
                            problems.append(f"{user.login} {path} {name}: shows her secrets")
                        answers.append(error or _normalised(result, target.id))
                    if name != "google_sync_connected" and answers[0] != answers[1]:
                        problems.append(f"{user.login} {path} {name}: {answers[0]!r:.200}")
        self.assertFalse(problems, "\n".join(problems))
        # A colleague sees that she is connected.
        self.login(self.bob)
        result, error, _text = self.call_kw(
            "res.users", "read", [[self.anna.id], ["google_sync_connected"]]
        )
        self.assertEqual((error, result[0]["google_sync_connected"]), (None, True))
        paths = len(read_paths("id", 0))
        _logger.info("%s reads of %s fields by %s paths", count, len(names), paths)
