"""Invitations: the organizer's event in every invited account's primary calendar.

An event whose organizer is the calendar it lives in is the organizer's copy. Each
attendee who is an account of the emulator holds a copy of it in his primary calendar
(same id and iCalUID). The organizer's changes reach every copy; a guest's answer reaches
the organizer's event and from there every copy; a guest's other changes follow Google's
guest permissions (see emulator/README.md, "Invitations").
"""

import copy

from . import attendees as guest_list
from .errors import forbidden_for_non_organizer

# Kept per calendar copy: reminders are "for the authenticated user", colour and
# busy/free are each guest's own.
PER_COPY_FIELDS = ("reminders", "colorId", "transparency")
# Never copied from the organizer's event into a guest's copy as they are: bound to the
# calendar, shown only to the creator (``source``), or split (``extendedProperties``).
NOT_COPIED = frozenset(
    {
        "kind",
        "etag",
        "id",
        "htmlLink",
        "updated",
        "source",
        "extendedProperties",
        "attendeesOmitted",
        *PER_COPY_FIELDS,
    }
)
# Guest permissions with Google's defaults; only the organizer changes them.
GUEST_PERMISSIONS = {
    "guestsCanInviteOthers": True,
    "guestsCanModify": False,
    "guestsCanSeeOtherGuests": True,
}
# What a guest's change never carries to the organizer, even with guestsCanModify.
NOT_FROM_GUESTS = NOT_COPIED | {
    "status",
    "attendees",
    "organizer",
    "creator",
    "created",
    "sequence",
    "iCalUID",
    "recurringEventId",
    "originalStartTime",
    "eventType",
    "privateCopy",
    "locked",
    *GUEST_PERMISSIONS,
}


def permission(body, name):
    value = (body or {}).get(name)
    return GUEST_PERMISSIONS[name] if value is None else bool(value)


def organizer_email(body):
    organizer = (body or {}).get("organizer")
    return organizer.get("email") if isinstance(organizer, dict) else None


def shared_view(body):
    """What all copies of an event share (the organizer's part)."""
    view = {key: value for key, value in body.items() if key not in NOT_COPIED}
    view["shared properties"] = (body.get("extendedProperties") or {}).get("shared")
    return view


def reminders_only(old, new):
    """Google: changing reminders "does not also change the updated property"."""
    changed = {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
    return changed == {"reminders"}


def _times_changed(old, new):
    return any(old.get(key) != new.get(key) for key in ("start", "end", "recurrence"))


class Invitations:
    """Delivers organizer events to guests' calendars and takes guests' changes back."""

    def __init__(self, backend):
        self.backend = backend

    # ------------------------------------------------------------------ lookups
    @staticmethod
    def is_organizer_copy(calendar, body):
        return guest_list.fold(organizer_email(body)) == guest_list.fold(calendar.id)

    @staticmethod
    def origin(calendar, record, body):
        """The organizer's calendar id when this event is an invitation copy, else None."""
        if record is not None:
            return record.invitation_of
        series = calendar.events.get((body or {}).get("recurringEventId"))
        return series.invitation_of if series is not None else None

    def find(self, calendar, event_id):
        """-> (StoredEvent or None, body or None), virtual instances included."""
        record = calendar.events.get(event_id)
        if record is not None:
            return record, record.body
        return None, self.backend._find_instance(calendar, event_id)

    def _guest_calendar(self, key, entry, organizer):
        if entry.get("resource"):
            return None
        account = self.backend.account_for(key)
        calendar = self.backend.calendars.get(account.email) if account else None
        return None if calendar is None or calendar is organizer else calendar

    # ------------------------------------------------------------------ organizer side
    def propagate(self, organizer, event_id, old, new, *, skip=()):
        """Bring every invited account's copy in line with the organizer's event."""
        if not (new.get("attendees") or (old or {}).get("attendees")):
            return  # the common case costs nothing
        if not self.is_organizer_copy(organizer, new) or new.get("privateCopy"):
            return
        if old is not None and shared_view(old) == shared_view(new):
            return  # nothing the guests share changed (e.g. the organizer's reminders)
        before, after = guest_list.by_address(old), guest_list.by_address(new)
        live = new.get("status") != "cancelled"
        for key in sorted(before.keys() | after.keys()):
            calendar = self._guest_calendar(key, after.get(key) or before[key], organizer)
            if calendar is not None and calendar.id not in skip:
                entry = after.get(key) if live else None
                self._deliver(organizer, calendar, event_id, new, entry)

    def _deliver(self, organizer, calendar, event_id, body, entry):
        record, current = self.find(calendar, event_id)
        if current is not None and self.origin(calendar, record, current) != organizer.id:
            return  # an event of his own holds that id
        gone = current is None or current.get("status") == "cancelled"
        if entry is None:
            if not gone:
                self._cancel_copy(calendar, record, event_id, current, organizer.id)
            return
        if gone and entry.get("responseStatus") == "declined":
            return  # deleted (declined) by him: out of his calendar until invited again
        self.backend._store(
            calendar,
            record,
            event_id,
            self._copy_body(calendar, body, current),
            False,
            invitation_of=organizer.id,
        )

    def _cancel_copy(self, calendar, record, event_id, current, organizer_id):
        body = copy.deepcopy(current)
        body["status"] = "cancelled"
        self.backend._store(calendar, record, event_id, body, False, invitation_of=organizer_id)
        self.backend._cancel_exceptions(calendar, body)

    def _copy_body(self, calendar, organizers, current):
        """The guest's copy: the organizer's shared part, the guest's own part kept."""
        body = {k: copy.deepcopy(v) for k, v in organizers.items() if k not in NOT_COPIED}
        body["kind"] = "calendar#event"
        body["id"] = organizers["id"]
        body["htmlLink"] = self.backend._html_link(calendar, body["id"])
        mine = current or {}
        properties = {
            "shared": (organizers.get("extendedProperties") or {}).get("shared"),
            "private": (mine.get("extendedProperties") or {}).get("private"),
        }
        properties = {k: copy.deepcopy(v) for k, v in properties.items() if v}
        if properties:
            body["extendedProperties"] = properties
        if current is None:
            body["reminders"] = {"useDefault": True}
            if "transparency" in organizers:
                body["transparency"] = organizers["transparency"]
        else:
            body.update({k: copy.deepcopy(mine[k]) for k in PER_COPY_FIELDS if k in mine})
        body["sequence"] = max(int(body.get("sequence") or 0), int(mine.get("sequence") or 0))
        self.backend.localize_times(calendar, body)
        return body

    def organizer_wrote(self, organizer, event_id, old, new, cancelled=()):
        """After a write to the organizer's event (and the exceptions it cancelled)."""
        self.propagate(organizer, event_id, old, new)
        for exception_id, before, after in cancelled:
            self.propagate(organizer, exception_id, before, after)

    def write_organizer(self, organizer, record, event_id, old, new, *, skip=()):
        """Store a change of the organizer's event that a guest caused, then deliver it."""
        self.backend._store(organizer, record, event_id, new, _times_changed(old, new))
        cancelled = []
        if new.get("status") == "cancelled" and old.get("status") != "cancelled":
            cancelled = self.backend._cancel_exceptions(organizer, new)
        self.propagate(organizer, event_id, old, new, skip=skip)
        for exception_id, before, after in cancelled:
            self.propagate(organizer, exception_id, before, after, skip=skip)

    def guests_to_notify(self, organizer, old, new, actor):
        """Addresses Google would e-mail about an organizer's write (before sendUpdates)."""
        if not (new.get("attendees") or (old or {}).get("attendees")):
            return []
        if not self.is_organizer_copy(organizer, new) or new.get("privateCopy"):
            return []
        if old is not None and shared_view(old) == shared_view(new):
            return []
        before, after = guest_list.by_address(old), guest_list.by_address(new)
        skip = {guest_list.fold(organizer.id), guest_list.fold(actor)}
        entries = {**before, **after}
        return [e["email"] for k, e in entries.items() if k not in skip and not e.get("resource")]

    def recipients(self, send_updates, addresses):
        """Who Google e-mails for ``sendUpdates`` (externalOnly: those without Google)."""
        unique = {guest_list.fold(email): email for email in addresses}
        if send_updates == "all":
            return sorted(unique.values())
        if send_updates == "externalOnly":
            return sorted(e for k, e in unique.items() if self.backend.account_for(k) is None)
        return []

    # ------------------------------------------------------------------ guest side
    def guest_write(self, calendar, event_id, record, *, old, merged, organizer_id):
        """A guest's patch/update of his copy; -> (his record, addresses to notify).

        His answer reaches the organizer's event; other changes too with guestsCanModify,
        new guests with guestsCanInviteOthers; otherwise they stay in his copy only.
        """
        for name in GUEST_PERMISSIONS:
            if permission(merged, name) != permission(old, name):
                raise forbidden_for_non_organizer()
        if merged.get("status") == "cancelled" and old.get("status") != "cancelled":
            return self.guest_delete(calendar, event_id, record, merged, organizer_id)
        organizer = self.backend.calendars.get(organizer_id)
        org_record, org_body = self.find(organizer, event_id) if organizer else (None, None)
        new_org, notify = None, []
        if org_body is not None and org_body.get("status") != "cancelled":
            new_org, notify = self._guest_changes(calendar.primary_of, old, merged, org_body)
        if new_org is not None:
            self.backend._normalize_event(organizer, new_org, org_body)
        mine = self.backend._store(
            calendar,
            record,
            event_id,
            merged,
            _times_changed(old, merged),
            invitation_of=organizer_id,
            bump_updated=not reminders_only(old, merged),
        )
        if new_org is not None:
            # His copy takes the organizer's version when he may modify it, or when
            # his answer brings a copy he had deleted back.
            back = merged.get("status") == "cancelled"
            modify = permission(org_body, "guestsCanModify")
            skip = () if modify or back else (calendar.id,)
            self.write_organizer(organizer, org_record, event_id, org_body, new_org, skip=skip)
        return mine, notify

    def _guest_changes(self, email, old, merged, organizers):
        """-> (the organizer's event with what the guest may change there, or None, notify)."""
        new = copy.deepcopy(organizers)
        notify = []
        if self._take_answer(new, email, old, merged):
            notify.append(organizer_email(organizers))
        if permission(organizers, "guestsCanModify"):
            changed = self._take_shared(new, old, merged)
            changed = self._take_guest_list(new, email, old, merged) or changed
            if changed:
                others = guest_list.by_address(new)
                notify += [e["email"] for k, e in others.items() if k != guest_list.fold(email)]
        elif permission(organizers, "guestsCanInviteOthers"):
            notify += self._take_new_guests(new, old, merged)
        if new == organizers:
            return None, []
        return new, [address for address in notify if address]

    @staticmethod
    def _take_answer(new, email, old, merged):
        mine = guest_list.find(merged.get("attendees"), email)
        before = guest_list.find(old.get("attendees"), email) or {}
        theirs = guest_list.find(new.get("attendees"), email)
        if mine is None or theirs is None:
            return False
        changed = False
        for field in guest_list.ANSWER_FIELDS:
            if mine.get(field) != before.get(field):
                if field in mine:
                    theirs[field] = mine[field]
                else:
                    theirs.pop(field, None)
                changed = True
        return changed

    @staticmethod
    def _take_shared(new, old, merged):
        changed = False
        for key in (set(old) | set(merged)) - NOT_FROM_GUESTS:
            if merged.get(key) != old.get(key):
                changed = True
                if key in merged:
                    new[key] = copy.deepcopy(merged[key])
                else:
                    new.pop(key, None)
        shared = (merged.get("extendedProperties") or {}).get("shared")
        if shared != (old.get("extendedProperties") or {}).get("shared"):
            changed = True
            properties = new.setdefault("extendedProperties", {})
            if shared:
                properties["shared"] = copy.deepcopy(shared)
            else:
                properties.pop("shared", None)
        return changed

    @staticmethod
    def _take_guest_list(new, email, old, merged):
        """guestsCanModify: the guest's list, each other guest keeping his own answer."""
        before, after = guest_list.by_address(old), guest_list.by_address(merged)
        neutral = set(guest_list.ANSWER_FIELDS)

        def shape(entries):
            return {k: {f: v for f, v in e.items() if f not in neutral} for k, e in entries.items()}

        if shape(before) == shape(after):
            return False
        current = guest_list.by_address(new)
        result = []
        for key, entry in after.items():
            item = copy.deepcopy(entry)
            if key != guest_list.fold(email):
                base = current.get(key, {"responseStatus": "needsAction"})
                for field in neutral:
                    item.pop(field, None)
                    if field in base:
                        item[field] = base[field]
            result.append(item)
        new["attendees"] = result
        return True

    @staticmethod
    def _take_new_guests(new, old, merged):
        """guestsCanInviteOthers: guests the guest added are invited; -> their addresses."""
        before = guest_list.by_address(old)
        added = [
            {**copy.deepcopy(entry), "responseStatus": "needsAction"}
            for key, entry in guest_list.by_address(merged).items()
            if key not in before and key not in guest_list.by_address(new)
        ]
        if added:
            new["attendees"] = list(new.get("attendees") or []) + added
        return [entry["email"] for entry in added]

    def guest_delete(self, calendar, event_id, record, body, organizer_id):
        """A guest deletes his copy: gone from his calendar, declined for everyone else.

        -> (his record, addresses to notify).
        """
        body = copy.deepcopy(body)
        body["status"] = "cancelled"
        mine = self.backend._store(
            calendar, record, event_id, body, False, invitation_of=organizer_id
        )
        self.backend._cancel_exceptions(calendar, body)
        organizer = self.backend.calendars.get(organizer_id)
        if organizer is None:
            return mine, []
        email, skip = calendar.primary_of, (calendar.id,)
        declined = self._decline(organizer, event_id, email, skip)
        if body.get("recurrence"):
            exceptions = [
                key
                for key, stored in organizer.events.items()
                if stored.body.get("recurringEventId") == event_id
            ]
            for exception_id in exceptions:
                self._decline(organizer, exception_id, email, skip)
        return mine, [organizer_email(body)] if declined else []

    def _decline(self, organizer, event_id, email, skip):
        record, body = self.find(organizer, event_id)
        if body is None or body.get("status") == "cancelled":
            return False
        entry = guest_list.find(body.get("attendees"), email)
        if entry is None or entry.get("responseStatus") == "declined":
            return False
        new = copy.deepcopy(body)
        guest_list.find(new["attendees"], email)["responseStatus"] = "declined"
        self.write_organizer(organizer, record, event_id, body, new, skip=skip)
        return True

    # ------------------------------------------------------------------ move
    def moved(self, source, target, old, moved):
        """The organizer's event moved to another calendar: the copies follow it."""
        for key, entry in guest_list.by_address(moved).items():
            calendar = self._guest_calendar(key, entry, target)
            stored = calendar.events.get(moved["id"]) if calendar else None
            if stored is not None and stored.invitation_of == source.id:
                stored.invitation_of = target.id
        self.propagate(target, moved["id"], old, moved)
