"""What a sales team needs beyond title, time and place: the video link, the user's
reminders and the CRM record (see :mod:`.conference`, :mod:`.reminders`,
:mod:`.source_link`). One call each from the mapping and the normal form.

Snapshot fields (:class:`mapping.OdooEvent`): ``videocall_location``, ``alarms``
(``((kind, minutes), ...)``), ``source_title``/``source_url`` (the linked record).
Mapped values from Google: ``videocall_location`` and ``alarms`` are written to Odoo;
``source_title``/``source_url`` only describe Google's side and are never written.
"""

from . import conference, reminders, source_link

# Values never written to Odoo.
GOOGLE_ONLY_VALUES = ("source_title", "source_url", "meet_request")


def values_from_google(event, location, description):
    """``(values, location, description, warnings)``: the extras' Odoo values of a
    Google event, and its location and (raw) description without a video link that a
    push put there."""
    url = conference.conference_url(event)
    if not url:
        url, location, description = conference.video_from_text(location, description)
    alarms, warnings = reminders.alarms_from_google(event)
    title, source_url = source_link.source_from_google(event)
    values = {
        "videocall_location": url,
        "alarms": alarms,
        "source_title": title,
        "source_url": source_url,
    }
    request = "" if url else conference.requested_meet(event)
    if request:  # (a Meet Google is still making)
        values["meet_request"] = request
    return values, location, description, warnings


def to_google(ev, body, changed=None):
    """Add the extras of snapshot ``ev`` to Google ``body``. ``changed``: the aspects
    Odoo changed since the last sync (None: all, as for an insert). Conference data
    goes only with a change of the link (a copy of Google's conference would lose its
    phone numbers); a record link is removed only when Odoo took it away."""
    url = conference.web_url(ev.videocall_location)
    conference.place_video(body, url)
    data = conference.conference_data(url)
    if ev.meet_request and not url:
        # Asked for in Odoo and not there yet: every write repeats the request,
        # which Google ignores once it has it (the same requestId).
        body["conferenceData"] = conference.create_request(ev.meet_request)
    elif changed is None or "video" in changed:
        if data is not None or changed is not None:
            body["conferenceData"] = data
    if ev.holds_reminders or changed is None or "reminders" in changed:
        # A guest's own reminders stay his until the meeting's alarms change (R2).
        body["reminders"] = reminders.reminders_to_google(ev.alarms)
    source = source_link.source_to_google(ev.source_title, ev.source_url)
    if source is not None or (changed is not None and "source" in changed):
        body["source"] = source


def common(ev, body):
    """The extras' part of the normal form of snapshot ``ev`` and its Google ``body``:
    the video link as Google shows it (a link in the text counts wherever it came
    from, so that reading it back is no change)."""
    url = conference.web_url(ev.videocall_location)
    if not conference.is_meet(url):
        url = conference.video_from_text(body["location"], body["description"])[0]
    if not url and ev.meet_request:
        url = f"meet-request:{ev.meet_request}"
    return {
        "video": url or None,
        "reminders": reminders.common_reminders(ev.alarms),
        "source": source_link.common_source(ev.source_title, ev.source_url),
    }


def changed_values(new_values, current):
    """The extras among ``new_values`` that differ from snapshot ``current``."""
    changed = {}
    if "videocall_location" in new_values and conference.web_url(
        new_values["videocall_location"]
    ) != conference.web_url(current.videocall_location):
        changed["videocall_location"] = new_values["videocall_location"]
    if "alarms" in new_values and reminders.common_reminders(
        new_values["alarms"]
    ) != reminders.common_reminders(current.alarms):
        changed["alarms"] = new_values["alarms"]
    return changed


def keep_own_reminders(values, odoo):
    """Mapped Google ``values`` of a user who does not hold the meeting's reminders
    (``odoo.holds_reminders`` off): his copy's reminders are his own, so the
    meeting's alarms stand in for them (R2), in place; no change, no echo."""
    if odoo is not None and not odoo.holds_reminders and "alarms" in values:
        values["alarms"] = tuple(odoo.alarms)
