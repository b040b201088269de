# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Guests link Google's invitation instead of pushing a copy (R2, R3 of
docs/attendees.md).

Once the Odoo organiser's sync holds the meeting's master in Google with its
attendees, Google puts an invitation into every attendee's primary calendar. An
attendee's sync links that invitation (a *guest link*) when Odoo ties him to the
meeting, its id is the master's, its organiser is the master's calendar and it is no
private copy: none of that can be forged by a colleague. Through a guest link only
his own answer travels, both ways; the meeting's shared fields are the organiser's.
His own copy from before (one Odoo pushed with his key) goes once the invitation is
linked, and he never pushes a copy of a meeting whose master exists.
"""

from ..sync import attendees as attendees_mod
from ..sync import ids, port
from ..sync.planner import answer_fingerprint


def _inserts_meeting(item):
    """Is the outgoing ``item`` the insert of a meeting (an event or a series)?"""
    return item.link is None and item.key[2] in ("event", "series")


class GuestInvitation:
    """``Linked.ref`` of an invitation found for the first time."""

    def __init__(self, master, link):
        self.master = master  # the organiser's link
        self.link = link  # a link of the user's to it from before, if any


class GuestCopies:
    """Part of OdooSyncStore: the links of guests' invitations."""

    # ------------------------------------------------------------------
    # Pull: finding and applying invitations
    # ------------------------------------------------------------------
    def _invitations(self, calendar, google_events, result):
        """``{google id: Linked}`` of the invitations among ``google_events`` that
        the user has no guest link for yet (one query for the page)."""
        if not self._is_primary(calendar):
            return {}  # Google invites into primary calendars only
        wanted = {
            item["id"]: item
            for item in google_events
            if item.get("status") != "cancelled"
            and not (item.get("organizer") or {}).get("self")  # (his own events)
            and not item.get("recurringEventId")  # (a series: its master, see series_guests)
            and not item.get("privateCopy")
            and not (result.get(item["id"]) and self._is_guest(result[item["id"]]))
        }
        if not wanted:
            return {}
        masters = self._master_links(list(wanted))
        tied = self._tied_events({link.event_id.id for link in masters.values()})
        found = {}
        for google_id, master in masters.items():
            organizer = (wanted[google_id].get("organizer") or {}).get("email") or ""
            if (
                master.event_id.id in tied
                and organizer.casefold() == master.calendar_id.google_id.casefold()
            ):
                found[google_id] = master
        if not found:
            return {}
        snapshots = self._snapshots(self.Event.browse({m.event_id.id for m in found.values()}))
        invitations = {}
        for google_id, master in found.items():
            if master.event_id.id in snapshots:
                before = result.get(google_id)
                ref = GuestInvitation(master, before.ref if before and before.link else None)
                invitations[google_id] = port.Linked(None, snapshots[master.event_id.id], ref)
        return invitations

    def _is_primary(self, calendar):
        """Is ``calendar`` (a CalendarState or record) the primary calendar of the
        connected account, the only one Google invites into?"""
        own = (self.token.google_email or "").casefold()
        return bool(own) and (calendar.google_id or "").casefold() == own

    def _master_links(self, google_ids):
        """``{google id: link}`` of the organisers' links with these ids: a link of
        the meeting's Odoo organiser, not of this user, not an instance."""
        links = self.Link.search(
            [
                ("google_event_id", "in", google_ids),
                ("user_id", "!=", self.user.id),
                ("recurring_event_id", "=", False),
                ("event_id", "!=", False),
                ("guest_copy", "=", False),
            ]
        )
        return {
            link.google_event_id: link
            for link in links
            if link.event_id.user_id == link.user_id and not link.readonly
        }

    @staticmethod
    def _is_guest(linked):
        if isinstance(linked.ref, GuestInvitation):
            return True
        return linked.link is not None and linked.link.guest

    def _apply_invitation(self, calendar, item, linked):
        """His invitation, new or changed: the link, and his answer from Google.
        Returns whether Odoo changed (his answer)."""
        if item.get("status") == "cancelled":
            # Removed, declined by deletion or the meeting deleted: the master
            # tells which, through the organiser's sync (R6).
            if linked.link is not None:
                linked.ref.unlink()
            return False
        event = self.Event.browse(linked.odoo.id)
        if linked.link is not None:
            link = linked.ref
        else:
            link = self._new_guest_link(calendar, item, event, linked.ref.link)
        answer = attendees_mod.own_answer(item)
        values = {"etag": item.get("etag") or False, "state": "synced", "error_message": False}
        changed = False
        if answer and answer_fingerprint(answer) != link.fingerprint:
            attendance = event.attendee_ids.filtered(lambda a: a.partner_id == self.partner)
            changed = bool(attendance.filtered(lambda a: a.state != answer))
            attendance.write({"state": answer})
            values.update(
                fingerprint=answer_fingerprint(answer),
                odoo_revision=max(self.revisions.get(event.id, 0), event.google_sync_revision),
            )
        self._write_changed(link, values)
        return changed

    def _new_guest_link(self, calendar, item, event, before):
        """The guest link (``before``: his link to the invitation from before, which
        becomes it); his own copy goes (its link loses the event, so that his push
        deletes it in Google)."""
        if before:
            before.write({"guest_copy": True, "readonly": False, "event_id": event.id})
            return before
        own = self.Link.search(
            [
                ("user_id", "=", self.user.id),
                ("event_id", "=", event.id),
                ("recurring_event_id", "=", False),
                ("guest_copy", "=", False),
            ]
        ).filtered(
            lambda link: (
                ids.odoo_id_from_google_id(self.event_id_key, link.google_event_id) == event.id
                or link.calendar_id.id == calendar.key
            )
        )
        own.write({"event_id": False})
        own.flush_recordset(["event_id"])  # (one link per event and calendar)
        return self.Link.create(
            {
                "event_id": event.id,
                "user_id": self.user.id,
                "calendar_id": calendar.key,
                "google_event_id": item["id"],
                "guest_copy": True,
                # (his Odoo edits of the meeting reach Google through the master)
                "readonly": False,
                "odoo_revision": self.revisions.get(event.id, 0),
            }
        )

    # ------------------------------------------------------------------
    # Push: no copy of a meeting whose master exists; guests who declined
    # ------------------------------------------------------------------
    def _without_copies_of_mastered(self, items):
        """Drop inserts of meetings (events or series) another user's sync holds
        the master of."""
        new = {item.key[0] for item in items if _inserts_meeting(item)}
        if not new or not self._reads_invitations():
            return items
        mastered = set(self._master_events(new))
        return [item for item in items if not (_inserts_meeting(item) and item.key[0] in mastered)]

    def _reads_invitations(self):
        """Does Google invite this user under his address in Odoo, into a calendar
        his sync reads (his primary one, read for invitations if he syncs others,
        R3)? Else a master's list does not reach him, and he keeps a copy of his own."""
        own = attendees_mod.normalize_email(self.token.google_email)
        if not own or attendees_mod.normalize_email(self.partner.email_normalized) != own:
            return False
        calendars = (
            self.user.google_sync_source_calendar_ids
            | self.user.google_sync_target_calendar_id
            | self._primary_calendar()
        )
        return own in {
            (calendar.google_id or "").casefold() for calendar in calendars.filtered("active")
        }

    def _master_events(self, event_ids):
        links = self.Link.search(
            [
                ("event_id", "in", list(event_ids)),
                ("user_id", "!=", self.user.id),
                ("recurring_event_id", "=", False),
                ("guest_copy", "=", False),
                ("readonly", "=", False),
            ]
        )
        return links.filtered(lambda link: link.event_id.user_id == link.user_id).event_id.ids

    def _declined_guest_answers(self, rows, links):
        """Of the kept rows of guests who declined, those whose decline Google does
        not have yet become his answer to send through his own invitation (R6):
        it must not wait for the organiser's next sync."""
        declined = answer_fingerprint("declined")
        return [
            (row[0], row[1], "event", None)
            for row in rows
            if not links.browse(row[1]).event_id.recurrence_id
            and links.browse(row[1]).fingerprint != declined
        ]

    def _kept_guest_links(self, rows, links):
        """Rows of guest links to meetings the user declined but still attends:
        kept (his invitation stays, declined, as in Google), not released."""
        kept, rest = [], []
        for row in rows:
            link = links.browse(row[1]) if row[1] else links.browse()
            if row[2] == "left" and link.guest_copy and self.partner in link.event_id.partner_ids:
                kept.append(row)
            else:
                rest.append(row)
        return kept, rest
