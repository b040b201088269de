# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Invitations to one occurrence of a series alone (R2 of docs/attendees.md).

A colleague added to one occurrence of a series (in Odoo, or in the organiser's
Google) gets from Google that instance alone: an event with the master's
``recurringEventId``, the organiser's calendar as organiser, and no series. His
sync links it to the Odoo occurrence it stands for, as a guest's instance link
through which only his answer to that occurrence travels, both ways; it is never
imported as a meeting of its own. The trust rules are those of a series
invitation: the master is the Odoo organiser's link (not his), the organiser is
the master's calendar, no private copy, and Odoo ties him to that occurrence; one
that passes all but the last is left alone.
"""

from ..sync import port
from .series_guests import GuestInstance


class LoneInstance(GuestInstance):
    """``Linked.ref`` of a lone instance invitation found for the first time."""

    def __init__(self, occurrence, link, calendar_key):
        super().__init__(occurrence, link)
        self.calendar_key = calendar_key  # his calendar the link goes into


class LoneInstances:
    """Part of OdooSyncStore: lone instance invitations (before SeriesGuests)."""

    def _lone_instance_invitations(self, calendar, google_events, result):
        """Instances of no series he links get a ``GuestInstance`` ref: his lone
        instance links, and the invitations found for the first time."""
        if not self._is_primary(calendar):
            return  # (invitations are in his primary calendar only)
        lone = [
            item
            for item in google_events
            if item.get("recurringEventId")
            and not isinstance(getattr(result.get(item["id"]), "ref", None), GuestInstance)
        ]
        new = []
        for item in lone:
            linked = result.get(item["id"])
            if linked is None:
                new.append(item)
            elif linked.link is not None and linked.link.guest:
                occurrence = self.Event.browse(linked.odoo.id if linked.odoo else ())
                result[item["id"]] = port.Linked(
                    linked.link, linked.odoo, GuestInstance(occurrence, linked.ref)
                )
        if new:
            result.update(self._new_lone_instances(calendar, new))

    def _new_lone_instances(self, calendar, items):
        """``{google id: Linked}`` of the genuine invitations among ``items``
        (instances nothing of his links yet)."""
        items = [
            item
            for item in items
            if item.get("status") != "cancelled"
            and not (item.get("organizer") or {}).get("self")
            and not item.get("privateCopy")
        ]
        series_ids = {item["recurringEventId"] for item in items}
        # (an instance of a series of this calendar is none of these)
        series_ids -= set(self._series_links(calendar, series_ids))
        masters = self._master_links(list(series_ids)) if series_ids else {}
        occurrences = {}
        if masters:
            index = self._occurrence_index(
                self.Event.browse([m.event_id.id for m in masters.values()]).recurrence_id
            )
            for item in items:
                master = masters.get(item["recurringEventId"])
                organizer = (item.get("organizer") or {}).get("email") or ""
                if master and organizer.casefold() == master.calendar_id.google_id.casefold():
                    occurrences[item["id"]] = self._occurrence_for(
                        item, master.event_id.recurrence_id, index
                    )
        tied = self._tied_events({event.id for event in occurrences.values()}, linked=False)
        found = self.Event.browse([event.id for event in occurrences.values() if event.id in tied])
        snapshots = self._snapshots(found, occurrence=True)
        # Google's own instance of an Odoo series: linked to its occurrence when
        # Odoo ties him to it, else left alone (never imported on its own).
        return {
            google_id: port.Linked(
                None,
                snapshots.get(event.id),
                LoneInstance(
                    event if event.id in snapshots else self.Event, self.Link, calendar.key
                ),
            )
            for google_id, event in occurrences.items()
        }

    def _apply_guest_instance(self, item, linked):
        """A lone instance invitation found for the first time: its link first."""
        ref = linked.ref
        if (
            isinstance(ref, LoneInstance)
            and ref.occurrence
            and not ref.link
            and item.get("status") != "cancelled"
        ):
            ref.link = self.Link.create(
                {
                    "event_id": ref.occurrence.id,
                    "user_id": self.user.id,
                    "calendar_id": ref.calendar_key,
                    "google_event_id": item["id"],
                    "recurring_event_id": item["recurringEventId"],
                    "guest_copy": True,
                    "odoo_revision": max(
                        self.revisions.get(ref.occurrence.id, 0),
                        ref.occurrence.google_sync_revision,
                    ),
                }
            )
        return super()._apply_guest_instance(item, linked)
