# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Copies of meetings whose Odoo organiser has no Google connection (R4 of
docs/attendees.md).

Nobody can hold such a meeting's master in Google. Each syncing attendee keeps a
copy of his own in his target calendar, with the attendee list, inserted as
Google's private copy ("event propagation is disabled"), so that the list invites
nobody. The id of such a copy is made with his key: the planner treats it as his
to edit (``planner._own_copy_unlocked``). When the organiser connects, his sync
creates the master and the attendees' syncs link its invitations (R2), which
deletes their private copies (``GuestCopies._new_guest_link``).
"""

import dataclasses


def organisers_without_google(env, rows, user):
    """The ids of the Odoo organisers of ``rows`` (``read()`` rows of meetings)
    other than ``user`` who have no Google connection (one query, none when
    every meeting is the user's own or has no organiser)."""
    organisers = {
        row.get("user_id")
        for row in rows
        if row.get("user_id") not in (None, False, user.id) and not row.get("recurrence_id")
    }
    if not organisers:
        return set()
    connected = env["crm.google.token"].sudo().search([("user_id", "in", list(organisers))])
    return organisers - set(connected.user_id.ids)


def mark(values, rows, unsynced):
    """Mark the snapshot ``values`` ({event id: values}) of the meetings of the
    ``unsynced`` organisers as private copies."""
    for row in rows:
        if row.get("user_id") in unsynced and not row.get("recurrence_id"):
            values[row["id"]]["private_copy"] = True


def _without_list(odoo):
    return dataclasses.replace(odoo, attendees=None, private_copy=False)


class PrivateCopies:
    """Part of OdooSyncStore: the list goes only with copies Google keeps private.

    A copy pushed before (an ordinary event) must not get the list: Google would
    invite everybody on it. It stays as it was, without attendees, until the
    organiser connects (R4)."""

    def _lists_of_private_copies(self, google_events, result):
        """Pulled: a copy that is no private copy neither brings nor takes a list."""
        for item in google_events:
            linked = result.get(item["id"])
            odoo = linked.odoo if linked is not None else None
            if odoo is not None and odoo.private_copy and not item.get("privateCopy"):
                result[item["id"]] = dataclasses.replace(linked, odoo=_without_list(odoo))
        return result

    def _private_copy_items(self, items):
        """Pushed: the list goes with a new copy (inserted private) and with the
        copies inserted private before, no other."""
        linked = [
            item.key[1]
            for item in items
            if item.key[1] and getattr(item.odoo, "private_copy", False)
        ]
        private = set(self.Link.browse(linked).filtered("private_copy").ids)
        return [
            dataclasses.replace(item, odoo=_without_list(item.odoo))
            if item.key[1] in linked and item.key[1] not in private
            else item
            for item in items
        ]
