"""Conference data (Google Meet links) as Google handles it on event writes.

Google's reference: ``conferenceDataVersion`` 0 (the default) "ignores conference data in
the event's body"; version 1 copies ``conferenceData`` or creates a conference from
``createRequest`` (``requestId`` repeated from the previous request: ignored). A conference
needs "either conferenceSolution and at least one entryPoint, or createRequest"; at most one
video, one sip and one more entry point, never a "more" one alone; ``uri`` schemes per type
(video/more http(s), phone tel:, sip sip:), at most 1300 characters, labels at most 512.
``hangoutLink`` is read-only: Google sets it to the Meet link.

Creation is synchronous (``statusCode`` ``success`` in the write's answer), as Google
answers for Meet; ``pending`` mode keeps requests pending until completed by the test.
"""

import copy
import secrets
import string

from .errors import bad_request

MEET = "hangoutsMeet"
KNOWN_TYPES = {"eventHangout", "eventNamedHangout", MEET, "addOn"}
ALLOWED_NEW = (MEET,)  # calendars' conferenceProperties.allowedConferenceSolutionTypes
SCHEMES = {
    "video": ("http:", "https:"),
    "more": ("http:", "https:"),
    "phone": ("tel:",),
    "sip": ("sip:",),
}
SINGLE_TYPES = ("video", "sip", "more")
MAX_URI, MAX_LABEL = 1300, 512
MEET_SOLUTION = {
    "key": {"type": MEET},
    "name": "Google Meet",
    "iconUri": "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/"
    "logo_meet_2020q4_color_2x_web_512dp.png",
}


def _invalid():
    return bad_request("Invalid conference data.")


def meet_code():
    letters = string.ascii_lowercase
    return "-".join("".join(secrets.choice(letters) for _ in range(n)) for n in (3, 4, 3))


def meet_entry_points(code):
    pin = "".join(secrets.choice(string.digits) for _ in range(9))
    return [
        {
            "entryPointType": "video",
            "uri": f"https://meet.google.com/{code}",
            "label": f"meet.google.com/{code}",
        },
        {
            "entryPointType": "phone",
            "uri": "tel:+1-555-0100",
            "label": "+1 555-0100",
            "pin": pin,
            "regionCode": "US",
        },
        {"entryPointType": "more", "uri": f"https://tel.meet/{code}?pin={pin}", "pin": pin},
    ]


def _check_entry_points(entry_points):
    if not entry_points:
        raise _invalid()
    kinds = [point.get("entryPointType") for point in entry_points]
    if any(kinds.count(kind) > 1 for kind in SINGLE_TYPES) or set(kinds) == {"more"}:
        raise _invalid()
    for point, kind in zip(entry_points, kinds, strict=True):
        uri = point.get("uri")
        if kind not in SCHEMES or not isinstance(uri, str) or len(uri) > MAX_URI:
            raise _invalid()
        if not uri.lower().startswith(SCHEMES[kind]):
            raise _invalid()
        if len(point.get("label") or "") > MAX_LABEL:
            raise _invalid()


def hangout_link(conference):
    """Google's ``hangoutLink``: the video entry of a Meet conference."""
    if (
        not conference
        or (conference.get("conferenceSolution") or {}).get("key", {}).get("type") != MEET
    ):
        return None
    for point in conference.get("entryPoints") or []:
        if point.get("entryPointType") == "video":
            return point.get("uri")
    return None


class Conferences:
    """Creates and completes conferences; knows which create requests are pending."""

    def __init__(self):
        self.pending_mode = False
        self.pending = []  # (calendar id, event id) of conferences still being created

    def apply(self, given, present, old, merged, *, version, replace):
        """Set ``conferenceData``/``hangoutLink`` of ``merged`` for one write.

        ``given`` is the body's conferenceData, ``present`` whether the body named it,
        ``old`` the stored event (None on insert). -> True when a conference is pending.
        """
        if version < 1 or not (present or replace):
            self._keep(old, merged)
            return False
        if given is None:
            merged.pop("conferenceData", None)
            merged.pop("hangoutLink", None)
            return False
        request = given.get("createRequest")
        if request and not given.get("entryPoints"):
            return self._create(request, old, merged)
        solution = given.get("conferenceSolution") or {}
        if (solution.get("key") or {}).get("type") not in KNOWN_TYPES:
            raise _invalid()
        _check_entry_points(given.get("entryPoints"))
        merged["conferenceData"] = copy.deepcopy(given)
        self._link(merged)
        return False

    @staticmethod
    def _keep(old, merged):
        for key in ("conferenceData", "hangoutLink"):
            if old and key in old:
                merged[key] = copy.deepcopy(old[key])
            else:
                merged.pop(key, None)

    def _create(self, request, old, merged):
        # Without a key Google makes the calendar's default, Meet: Odoo's own
        # google_calendar module asks for its Meet links that way.
        kind = (request.get("conferenceSolutionKey") or {"type": MEET}).get("type")
        if kind not in ALLOWED_NEW:
            raise bad_request("Invalid conference type value.")
        if not request.get("requestId"):
            raise bad_request("Missing conference create request id.", reason="required")
        previous = ((old or {}).get("conferenceData") or {}).get("createRequest") or {}
        if previous.get("requestId") == request["requestId"]:
            self._keep(old, merged)  # the same request again is ignored
            return False
        wanted = {"requestId": request["requestId"], "conferenceSolutionKey": {"type": kind}}
        if self.pending_mode:
            merged["conferenceData"] = {
                "createRequest": {**wanted, "status": {"statusCode": "pending"}}
            }
            merged.pop("hangoutLink", None)
            return True
        merged["conferenceData"] = self.created(wanted)
        self._link(merged)
        return False

    @staticmethod
    def created(request):
        code = meet_code()
        return {
            "createRequest": {**request, "status": {"statusCode": "success"}},
            "entryPoints": meet_entry_points(code),
            "conferenceSolution": copy.deepcopy(MEET_SOLUTION),
            "conferenceId": code,
        }

    @staticmethod
    def _link(body):
        link = hangout_link(body.get("conferenceData"))
        if link:
            body["hangoutLink"] = link
        else:
            body.pop("hangoutLink", None)

    def complete(self, body):
        """Finish a pending create request in ``body``; -> True when it changed."""
        request = (body.get("conferenceData") or {}).get("createRequest") or {}
        if (request.get("status") or {}).get("statusCode") != "pending":
            return False
        wanted = {k: v for k, v in request.items() if k != "status"}
        body["conferenceData"] = self.created(wanted)
        self._link(body)
        return True
