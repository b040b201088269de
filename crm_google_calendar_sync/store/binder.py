# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Links between Odoo events and Google events: finding them (ids, iCalUIDs,
the user's own meetings only) and writing them."""

from odoo.tools import SQL, email_normalize, split_every

from ..sync import ids, mapping, port, switch
from ..sync.fingerprint import fingerprint_google
from ..sync.port import LinkState
from . import params

# The store's reference of an event found again for a meeting that Odoo already
# ties the user to (the switch from Odoo's module): nothing to join.
ALREADY_TIED = "already_tied"


def _link_state(link, odoo=None, revision=0):
    """The planner's view of a link; whether Odoo changed since the last sync
    comes from the revision sequence (exact even within one transaction)."""
    return LinkState(
        google_id=link.google_event_id,
        calendar_id=link.calendar_id.google_id,
        etag=link.etag or None,
        fingerprint=link.fingerprint or None,
        google_updated=link.google_updated or None,
        odoo_changed=odoo is None or revision > (link.odoo_revision or 0),
        readonly=link.readonly,
        guest=link.guest_copy,
        attempted_fingerprint=link.attempted_fingerprint or None,
    )


class Binder:
    """Part of OdooSyncStore: the links of single events and series masters."""

    _link_state = staticmethod(_link_state)

    def load_links(self, calendar, google_events):
        google_ids = [item["id"] for item in google_events]
        links = self.Link.search(
            [("calendar_id", "=", calendar.key), ("google_event_id", "in", google_ids)]
        )
        by_google_id = {link.google_event_id: link for link in links}
        instances = [item for item in google_events if item.get("recurringEventId")]
        result = self._load_instances(calendar, instances, by_google_id) if instances else {}
        instance_ids = {item["id"] for item in instances}
        tops = self.Link.browse(
            [link.id for google_id, link in by_google_id.items() if google_id not in instance_ids]
        )
        bases = tops.filtered(lambda link: self._is_series_link(link, link.event_id)).event_id
        snapshots = self._snapshots(tops.event_id - bases)
        snapshots.update(self._series_snapshots(bases))
        for link in tops:
            event_id = link.event_id.id
            odoo = snapshots.get(event_id)
            revisions = self.series_revisions if event_id in bases.ids else self.revisions
            state = _link_state(link, odoo, revisions.get(event_id, 0))
            result[link.google_event_id] = port.Linked(state, odoo, link)
        # A cancellation counts only through this calendar's own link: it never
        # reaches a meeting that moved on (to another calendar, say).
        missing = [
            item
            for item in google_events
            if item["id"] not in result
            and not item.get("recurringEventId")
            and item.get("status") != "cancelled"
        ]
        if missing:
            result.update(self._find_unlinked(calendar, missing))
        return result

    def _find_unlinked(self, calendar, google_events):
        """Odoo events for Google events this calendar has no link for yet.

        Our own inserts carry the Odoo id in their event id (made with this
        user's key); a meeting that another user already brought in is found by
        its iCalUID; a modified occurrence of a series is found in the series by
        its original start. All end up as one Odoo event, never a duplicate.
        Google data is the user's own word only: it finds only meetings he is
        already tied to (see _tied_events), each once.
        """
        singles = {item["id"]: item for item in google_events if not item.get("recurringEventId")}
        claimed = self._claimed(singles.values())
        tied = self._tied_events({odoo_id for ids in claimed.values() for odoo_id in ids})
        # A series only as a series, a single event only as one: a single event
        # that took a series' place would end it for everybody.
        in_series = set(self.Event.browse(tied).filtered("recurrence_id").ids)
        found = {}  # google id -> Odoo id
        for google_id, candidates in claimed.items():
            recurring = bool(singles[google_id].get("recurrence"))
            mine = [
                odoo_id
                for odoo_id in candidates
                if odoo_id in tied and (odoo_id in in_series) == recurring
            ]
            if mine:
                found[google_id] = mine[0]
        legacy = self.match_legacy_events(calendar, singles.values())
        # (Odoo ties him to them: nothing to join, his answer stays.)
        ties = {key for key, odoo_id in legacy.items() if found.setdefault(key, odoo_id) == odoo_id}
        found = self._once_per_calendar(calendar, self._known_ids_first(found))
        return self._found_again(calendar, singles, found, ties)

    def _claimed(self, items):
        """``{google id: [Odoo ids]}`` the Google events name, the best first: our
        own inserts by their id, meetings others brought in by their iCalUID."""
        claimed = {item["id"]: [] for item in items}
        for item in items:
            odoo_id = ids.odoo_id_from_google_id(self.event_id_key, item["id"])
            if odoo_id:
                claimed[item["id"]].append(odoo_id)
        uids = {}  # (several events may carry one iCalUID, made up by anyone)
        for item in items:
            if item.get("iCalUID"):
                uids.setdefault(item["iCalUID"], []).append(item["id"])
        if uids:
            links = self.Link.search([("ical_uid", "in", list(uids)), ("event_id", "!=", False)])
            # Google's copies of one event share its id: a link with that id first.
            for link in links.sorted(lambda link: link.google_event_id not in uids[link.ical_uid]):
                for google_id in uids[link.ical_uid]:
                    claimed[google_id].append(link.event_id.id)
        return claimed

    def match_legacy_events(self, calendar, items):
        """``{google id: Odoo event id}`` of the Google events among ``items`` (of
        ``calendar``) that Odoo's own google_calendar pushed for a meeting of this
        user (R7 of docs/attendees.md): the switch links them instead of
        importing them.

        The module's mark is the word of whoever wrote it. It counts only in the
        user's primary calendar (the only one the module wrote into; in a
        calendar shared with him, its owner is the organiser and writes the
        private marks), for a meeting the user organises or attends (a series
        by its base event), a series only for a series; a shared mark on someone
        else's event only when that organiser is the meeting's organiser or one
        of its attendees, who pushed it with the module (anyone can invite the
        user to an event carrying any mark). A private mark is the user's own.
        """
        if not self.Calendar.browse(calendar.key).is_primary:
            return {}
        marks, database = {}, params.switch_database(self.env)
        for item in items:
            mark = switch.legacy_mark(item, database)
            if mark:
                marks[item["id"]] = (item, mark)
        named = self._legacy_events({google_id: mark for google_id, (_item, mark) in marks.items()})
        tied = self._tied_events(set(named.values()), linked=False)
        named = {google_id: event_id for google_id, event_id in named.items() if event_id in tied}
        if not named:
            return {}
        events = self.Event.browse(set(named.values()))
        in_series = set(events.filtered("recurrence_id").ids)
        pushers = self._legacy_pushers(events)
        return {
            google_id: event_id
            for google_id, event_id in named.items()
            if (event_id in in_series) == marks[google_id][1].series
            and self._legacy_word_counts(*marks[google_id], pushers[event_id])
        }

    def _legacy_word_counts(self, item, mark, pushers):
        """Is the mark the word of someone who may give it: the user himself (a
        private mark, or his own event), or the organiser of his invitation when
        that is one of ``pushers`` (see _legacy_pushers)?"""
        if mark.private or mapping.is_organizer(item, self.token.google_email):
            return True
        organizer = (item.get("organizer") or {}).get("email")
        return email_normalize(organizer or "") in pushers

    def _legacy_events(self, marks):
        """``{google id: Odoo event id}`` the marks name: a series by its base event."""
        recurrences = {mark.odoo_id for mark in marks.values() if mark.series}
        bases = {}
        if recurrences:
            self.env["calendar.recurrence"].flush_model(["base_event_id"])
            self.env.cr.execute(
                "SELECT id, base_event_id FROM calendar_recurrence"
                " WHERE id IN %s AND base_event_id IS NOT NULL",
                [tuple(recurrences)],
            )
            bases = dict(self.env.cr.fetchall())
        events = {
            google_id: bases.get(mark.odoo_id) if mark.series else mark.odoo_id
            for google_id, mark in marks.items()
        }
        return {google_id: event_id for google_id, event_id in events.items() if event_id}

    def _legacy_pushers(self, events):
        """``{event id: addresses}`` of those who may have pushed each meeting with
        Odoo's module: its organiser and attendees (their contacts' addresses and
        the Google accounts they connected here)."""
        users = events.user_id | events.partner_ids.user_ids
        accounts = {}
        for token in self.env["crm.google.token"].sudo().search([("user_id", "in", users.ids)]):
            accounts.setdefault(token.user_id.partner_id.id, set()).add(
                email_normalize(token.google_email or "")
            )
        result = {}
        for event in events:
            partners = event.partner_ids | event.user_id.partner_id
            addresses = set(partners.mapped("email_normalized"))
            for partner in partners:
                addresses |= accounts.get(partner.id, set())
            result[event.id] = addresses - {False, ""}
        return result

    def _found_again(self, calendar, items, found, tied=()):
        """``{google id: Linked}`` of the events ``found`` (google id -> Odoo id);
        those in ``tied`` are meetings Odoo ties the user to already (ALREADY_TIED:
        his answer stays as it is).

        A copy Odoo made for the user, which he deleted (declined) and takes back
        out of Google's bin, still shows what Odoo sent him then: it is its own
        base, so that Odoo's version of today replaces it (no newer edit)."""
        if not found:
            return {}
        events = self.Event.browse(set(found.values())).exists()
        bases = events.filtered(lambda event: event.recurrence_id.base_event_id == event)
        snapshots = self._snapshots(events - bases)
        snapshots.update(self._series_snapshots(bases))
        declined = events.attendee_ids.filtered(
            lambda a: a.partner_id == self.partner and a.state == "declined"
        ).event_id
        result = {}
        for google_id, event_id in found.items():
            if event_id not in snapshots:
                continue
            base = None
            restored = ids.odoo_id_from_google_id(self.event_id_key, google_id) == event_id
            if restored and event_id in declined.ids:
                base = self._google_fingerprint(calendar, items[google_id])
            ref = ALREADY_TIED if google_id in tied else None
            result[google_id] = port.Linked(None, snapshots[event_id], ref, base=base)
        return result

    def _google_fingerprint(self, calendar, item):
        try:
            return fingerprint_google(
                item, user_tz=self.user.tz or "UTC", calendar_tz=calendar.time_zone
            )
        except mapping.MappingError:
            return None

    def _tied_events(self, event_ids, linked=True):
        """The ids among ``event_ids`` of meetings that the user organises or
        attends (declined or not) or, when ``linked``, already links in one of
        his calendars.

        The trust boundary: an id, iCalUID or anything else from one user's
        Google is his word only, and anyone can put any id or iCalUID into his
        own calendar.
        """
        if not event_ids:
            return set()
        self.env["calendar.event"].flush_model(["user_id", "partner_ids"])
        self.Link.flush_model(["event_id", "user_id"])
        self.env.cr.execute(
            """
            SELECT e.id FROM calendar_event e
             WHERE e.id IN %(ids)s
               AND (e.user_id = %(uid)s
                    OR EXISTS (SELECT 1 FROM calendar_event_res_partner_rel r
                                WHERE r.calendar_event_id = e.id
                                  AND r.res_partner_id = %(partner)s)
                    OR (%(linked)s AND EXISTS (
                            SELECT 1 FROM crm_google_event_link l
                             WHERE l.event_id = e.id AND l.user_id = %(uid)s)))
            """,
            {
                "ids": tuple(event_ids),
                "uid": self.user.id,
                "partner": self.partner.id,
                "linked": linked,
            },
        )
        return {row[0] for row in self.env.cr.fetchall()}

    def _known_ids_first(self, found):
        """``found`` with the Google ids other users link first: of two events
        naming one meeting by its iCalUID, Google's invitation (the id every copy
        has) wins over one a colleague made up with the same iCalUID."""
        if len(found) < 2:
            return found
        known = set(
            self.Link.search([("google_event_id", "in", list(found))]).mapped("google_event_id")
        )
        return dict(sorted(found.items(), key=lambda pair: pair[0] not in known))

    def _once_per_calendar(self, calendar, found):
        """Drop matches of events this calendar already links, and all but the
        first Google event matching one Odoo event: a calendar holds one copy."""
        if not found:
            return found
        linked = set(
            self.Link.search(
                [("calendar_id", "=", calendar.key), ("event_id", "in", list(set(found.values())))]
            ).event_id.ids
        )
        result = {}
        for google_id, event_id in found.items():
            if event_id not in linked:
                linked.add(event_id)
                result[google_id] = event_id
        return result

    @staticmethod
    def _is_series_link(link, event):
        """Is ``link`` the link of a series' master? (It lives on the series' base
        event, or on its last occurrence when Google shows none any more.)"""
        return not link.recurring_event_id and bool(event.recurrence_id)

    def _upsert_link(
        self, calendar, google_event, decision, link, event, *, keep_fingerprint=False
    ):
        """Create or update the link; ``keep_fingerprint`` leaves Odoo's sync state
        (for a new link: none, so that the push sends Odoo's version)."""
        if not link:
            values = self._new_link_values(calendar, google_event, decision, event)
            if keep_fingerprint:
                values.update(odoo_synced_at=False, odoo_revision=0)
            self.Link.create(values)
            return
        values = {
            "event_id": event.id if event else False,
            "etag": decision.etag or False,
            "google_updated": decision.google_updated or False,
            "readonly": decision.readonly,
            "state": "synced",
            "error_message": False,
            "attempted_fingerprint": False,
        }
        if not keep_fingerprint:
            values.update(self._odoo_sync_values(decision, event))
        elif decision.reason == "echo_of_attempt":
            values["fingerprint"] = decision.fingerprint  # Google's new base
        self._write_changed(link, values)

    @staticmethod
    def _odoo_sync_values(decision, event):
        """What the link remembers of both sides being equal right now (a series'
        link counts the revisions of the whole series, see calendar.recurrence)."""
        revision = event.google_sync_revision if event else 0
        if event and not decision.recurring_event_id and event.recurrence_id:
            revision = event.recurrence_id.google_sync_revision
        return {
            "fingerprint": decision.fingerprint or False,
            "odoo_synced_at": event.write_date if event else False,
            "odoo_revision": revision or 0,
        }

    def _new_link_values(self, calendar, google_event, decision, event):
        return {
            "event_id": event.id if event else False,
            "user_id": self.user.id,
            "calendar_id": calendar.key,
            "google_event_id": google_event["id"],
            # An instance shares its series' iCalUID: only the series' link keeps it.
            "ical_uid": (not google_event.get("recurringEventId") and google_event.get("iCalUID"))
            or False,
            "recurring_event_id": google_event.get("recurringEventId") or False,
            "etag": decision.etag or False,
            "google_updated": decision.google_updated or False,
            "readonly": decision.readonly,
            **self._odoo_sync_values(decision, event),
        }

    @staticmethod
    def _write_changed(record, values):
        """Write only what differs: unchanged links cost no database write."""
        changed = {}
        for name, value in values.items():
            current = record[name]
            if hasattr(current, "id"):
                current = current.id or False
            if current != value:
                changed[name] = value
        if changed:
            record.write(changed)

    # Columns of a new link; the others keep their database default (NULL).
    LINK_COLUMNS = (
        *("event_id", "user_id", "calendar_id", "google_event_id", "ical_uid", "etag"),
        *("fingerprint", "google_updated", "odoo_synced_at", "odoo_revision", "readonly"),
        *("state", "create_uid", "create_date", "write_uid", "write_date"),
    )

    def _insert_links(self, values_list):
        """The links of a page of new events in one INSERT.

        Our own table: the ORM's create would cost a quarter of a millisecond
        per link (defaults, caches of the events' link lists), a tenth of a first
        import. The unique constraints still hold.
        """
        uid, now = self.env.uid, self.env.cr.now()
        link_fields = [self.Link._fields[name] for name in self.LINK_COLUMNS]
        rows = []
        for values in values_list:
            row = dict(values, state="synced", create_uid=uid, create_date=now)
            row.update(write_uid=uid, write_date=now)
            params = [
                field.convert_to_column_insert(row[field.name], self.Link, row)
                for field in link_fields
            ]
            rows.append(SQL("(%s)", SQL(", ").join(params)))
        columns = SQL(", ").join(SQL.identifier(name) for name in self.LINK_COLUMNS)
        for chunk in split_every(1000, rows):
            chunk_rows = SQL(", ").join(chunk)
            self.env.cr.execute(
                SQL("INSERT INTO crm_google_event_link (%s) VALUES %s", columns, chunk_rows)
            )
