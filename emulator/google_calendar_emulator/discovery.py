"""Routing and request validation driven by the official calendar.v3 discovery document."""

import datetime as dt
import json
import os
import re
import urllib.parse

import googleapiclient

from .errors import bad_request

DISCOVERY_PATH = os.path.join(
    os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents", "calendar.v3.json"
)

# Query parameters every Google endpoint accepts besides the documented ones.
_EXTRA_GLOBAL_PARAMS = {"access_token", "callback", "upload_protocol", "uploadType", "$.xgafv"}

# Enumerations that the discovery document only documents in prose.
_BODY_ENUMS = {
    ("Event", "eventType"): {
        "default",
        "outOfOffice",
        "focusTime",
        "workingLocation",
        "birthday",
        "fromGmail",
    },
    ("Event", "status"): {"confirmed", "tentative", "cancelled"},
    ("Event", "visibility"): {"default", "public", "private", "confidential"},
    ("Event", "transparency"): {"opaque", "transparent"},
    ("EventAttendee", "responseStatus"): {"needsAction", "declined", "tentative", "accepted"},
}


def load_document():
    with open(DISCOVERY_PATH, encoding="utf-8") as handle:
        return json.load(handle)


class Method:
    """One API method of the discovery document."""

    def __init__(self, resource, name, spec, service_path):
        self.resource = resource
        self.name = name
        self.api_call = f"{resource}.{name}"
        self.http_method = spec["httpMethod"]
        self.params = spec.get("parameters", {})
        self.request_schema = (spec.get("request") or {}).get("$ref")
        self.scopes = set(spec.get("scopes", []))
        path = spec["path"]
        self.literal_weight = len(re.sub(r"\{[^}]+\}", "", path))
        pattern = re.sub(r"\\\{([A-Za-z]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
        self.regex = re.compile("^/" + re.escape(service_path) + pattern + "$")


class Discovery:
    """Parsed discovery document with routing and validation helpers."""

    def __init__(self, document=None):
        self.doc = document or load_document()
        self.service_path = self.doc["servicePath"]  # "calendar/v3/"
        self.schemas = self.doc["schemas"]
        self.global_params = dict(self.doc.get("parameters", {}))
        self.methods = []
        for resource, spec in self.doc["resources"].items():
            for name, mspec in spec.get("methods", {}).items():
                self.methods.append(Method(resource, name, mspec, self.service_path))
        # Prefer routes with more literal characters (".../events/import" over ".../{id}").
        self.methods.sort(key=lambda m: -m.literal_weight)

    def route(self, http_method, raw_path):
        """-> (Method, path_params) or (None, None) if nothing matches.

        Returns (None, 'method') when the path exists but not for this HTTP method.
        """
        path_known = False
        for method in self.methods:
            match = method.regex.match(raw_path)
            if not match:
                continue
            path_known = True
            if method.http_method != http_method:
                continue
            params = {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
            return method, params
        return None, ("method" if path_known else None)

    # ---------------------------------------------------------------- query params
    def validate_query(self, method, query):
        """query: dict name -> list of str. Returns dict name -> typed value (list if repeated)."""
        result = {}
        for name, values in query.items():
            spec = method.params.get(name) or self.global_params.get(name)
            if spec is None:
                if name in _EXTRA_GLOBAL_PARAMS:
                    continue
                raise bad_request(
                    f"Invalid parameter: {name}", reason="invalidParameter", location=name
                )
            if spec.get("location") == "path":
                raise bad_request(
                    f"Invalid parameter: {name}", reason="invalidParameter", location=name
                )
            if not spec.get("repeated") and len(values) > 1:
                raise bad_request(
                    f"Parameter {name} may only be given once.",
                    reason="invalidParameter",
                    location=name,
                )
            typed = [self._convert(name, spec, value) for value in values]
            result[name] = typed if spec.get("repeated") else typed[0]
        for name, spec in method.params.items():
            if spec.get("required") and spec.get("location") == "query" and name not in result:
                raise bad_request(f"Required parameter: {name}", reason="required", location=name)
        return result

    @staticmethod
    def _convert(name, spec, value):
        kind = spec.get("type")
        if kind == "boolean":
            if value not in ("true", "false"):
                raise bad_request(f"Invalid boolean value: '{value}'.", location=name)
            return value == "true"
        if kind == "integer":
            try:
                number = int(value)
            except ValueError:
                raise bad_request(f"Invalid integer value: '{value}'.", location=name) from None
            if "minimum" in spec and number < int(spec["minimum"]):
                raise bad_request(
                    f"Invalid value '{value}'. Values must be within the range: "
                    f"[{spec['minimum']}, {spec.get('maximum', '')}]",
                    location=name,
                )
            if "maximum" in spec and number > int(spec["maximum"]):
                raise bad_request(
                    f"Invalid value '{value}'. Values must be within the range: "
                    f"[{spec.get('minimum', '')}, {spec['maximum']}]",
                    location=name,
                )
            return number
        if spec.get("enum") and value not in spec["enum"]:
            raise bad_request(f"Invalid value for {name}: {value}", location=name)
        if spec.get("format") == "date-time":
            parse_rfc3339(value, name)
        return value

    # ---------------------------------------------------------------- body
    def validate_body(self, schema_name, body, where="resource"):
        """Raise 400 for unknown fields, wrong types and bad enum values."""
        if not isinstance(body, dict):
            raise bad_request(
                f"Invalid JSON payload received. Expected an object at '{where}'.",
                reason="parseError",
            )
        self._check_object(self.schemas[schema_name], schema_name, body, where)

    def _check_object(self, schema, schema_name, value, where):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub_where = f"{where}.{key}"
            if props is not None and key in props:
                self._check_value(props[key], item, sub_where, (schema_name, key))
            elif extra is not None:
                self._check_value(extra, item, sub_where, None)
            else:
                raise bad_request(
                    f'Invalid JSON payload received. Unknown name "{key}" at '
                    f"'{where}': Cannot find field."
                )

    def _check_value(self, spec, value, where, enum_key):
        if value is None:  # null clears a field (patch semantics)
            return
        ref = spec.get("$ref")
        if ref:
            if not isinstance(value, dict):
                raise bad_request(f"Invalid value at '{where}' ({ref}), {json.dumps(value)}")
            self._check_object(self.schemas[ref], ref, value, where)
            return
        kind = spec.get("type")
        ok = True
        if kind == "string":
            ok = isinstance(value, str) or (
                spec.get("format") in ("int64", "uint64")
                and isinstance(value, int)
                and not isinstance(value, bool)
            )
            if ok and enum_key in _BODY_ENUMS and value not in _BODY_ENUMS[enum_key]:
                raise bad_request(f"Invalid value at '{where}', \"{value}\"")
            if ok and spec.get("enum") and value not in spec["enum"]:
                raise bad_request(f"Invalid value at '{where}', \"{value}\"")
        elif kind == "boolean":
            ok = isinstance(value, bool)
        elif kind == "integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind == "number":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif kind == "array":
            ok = isinstance(value, list)
            if ok:
                items = spec.get("items", {})
                ref = items.get("$ref")
                for index, item in enumerate(value):
                    self._check_value(
                        items, item, f"{where}[{index}]", (ref, None) if ref else None
                    )
        elif kind == "object":
            ok = isinstance(value, dict)
            if ok:
                self._check_object(spec, None, value, where)
        if not ok:
            raise bad_request(f"Invalid value at '{where}' ({kind}), {json.dumps(value)}")


def parse_rfc3339(value, name="dateTime", require_offset=True):
    """Parse an RFC 3339 timestamp; 400 if malformed or (when required) without offset."""
    try:
        parsed = dt.datetime.fromisoformat(value.replace("z", "Z"))
    except (ValueError, AttributeError):
        raise bad_request(
            f"Bad Request: invalid value for {name}: {value}", reason="badRequest", location=name
        ) from None
    if "T" not in value.upper():
        raise bad_request(
            f"Bad Request: invalid value for {name}: {value}", reason="badRequest", location=name
        )
    if parsed.tzinfo is None and require_offset:
        raise bad_request(
            f"Bad Request: {name} must have a time zone offset: {value}",
            reason="badRequest",
            location=name,
        )
    return parsed


# -------------------------------------------------------------------- partial response
def parse_fields(text):
    """Parse a `fields` selector into a tree: {name: subtree-or-None}."""
    pos = 0

    def parse_list():
        nonlocal pos
        tree = {}
        while True:
            match = re.compile(r"\s*([A-Za-z0-9_*]+(?:/[A-Za-z0-9_*]+)*)\s*").match(text, pos)
            if not match:
                raise bad_request(
                    f"Invalid field selection {text}", reason="invalidParameter", location="fields"
                )
            pos = match.end()
            names = match.group(1).split("/")
            sub = None
            if pos < len(text) and text[pos] == "(":
                pos += 1
                sub = parse_list()
                if pos >= len(text) or text[pos] != ")":
                    raise bad_request(
                        f"Invalid field selection {text}",
                        reason="invalidParameter",
                        location="fields",
                    )
                pos += 1
            node = tree
            for name in names[:-1]:
                existing = node.get(name, {})
                if existing is None:  # already fully selected
                    break
                node[name] = existing
                node = existing
            else:
                last = names[-1]
                if last in node and node[last] is not None and sub is not None:
                    node[last].update(sub)
                elif last in node and node[last] is None:
                    pass
                else:
                    node[last] = sub
            while pos < len(text) and text[pos] == " ":
                pos += 1
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            return tree

    tree = parse_list()
    if pos != len(text):
        raise bad_request(
            f"Invalid field selection {text}", reason="invalidParameter", location="fields"
        )
    return tree


def apply_fields(value, tree):
    """Keep only the selected fields of a JSON value."""
    if tree is None:
        return value
    if isinstance(value, list):
        return [apply_fields(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    if "*" in tree:
        return {key: apply_fields(item, tree.get(key)) for key, item in value.items()}
    return {key: apply_fields(value[key], sub) for key, sub in tree.items() if key in value}
