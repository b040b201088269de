"""The fingerprint's shared JSON encoder gives the very digests of the version's
original ``json.dumps`` form: stored fingerprints stay valid (no version bump)."""

import hashlib
import json

from hypothesis import given
from hypothesis import strategies as st

from crm_google_calendar_sync.sync import fingerprint as fp

_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def reference_digest(value):
    payload = json.dumps(
        {"v": fp.FINGERPRINT_VERSION, "value": value},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[: fp._HASH_CHARS]


@given(st.dictionaries(st.sampled_from([*fp._LISTED, "extra", "ünïcode"]), _VALUES))
def test_digests_are_those_of_json_dumps(common):
    listed = {key for keys in fp.ASPECTS.values() for key in keys}
    expected = [
        reference_digest({key: common.get(key) for key in keys}) for keys in fp.ASPECTS.values()
    ]
    expected.append(reference_digest({k: v for k, v in common.items() if k not in listed}))
    assert fp.fingerprint(common) == "".join(expected)
