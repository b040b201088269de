# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Links of series instances: a Google instance finds its occurrence in Odoo by
its own link or by its original start (see :mod:`..sync.series`)."""

from datetime import datetime

from ..sync import port, recurrence, series
from ..sync.errors import MappingError


class SeriesBinder:
    """Part of OdooSyncStore: series links and instance links."""

    def _series_links(self, calendar, series_ids):
        """``{series google id: link}`` of this calendar's series in Odoo, also of
        those that have no occurrence left (their instances have no place to go)."""
        if not series_ids:
            return {}
        links = self.Link.search(
            [
                ("calendar_id", "=", calendar.key),
                ("google_event_id", "in", list(series_ids)),
                ("recurring_event_id", "=", False),
                "|",
                ("event_id", "=", False),
                ("event_id.recurrence_id", "!=", False),
            ]
        )
        return {link.google_event_id: link for link in links}

    def known_series(self, calendar, series_ids):
        return set(self._series_links(calendar, series_ids))

    def _load_instances(self, calendar, items, links):
        """``{google id: Linked}`` of instance items: their own link if it still
        belongs to an occurrence of their series, else the occurrence at their
        original start (one query for all)."""
        series_links = self._series_links(calendar, {item["recurringEventId"] for item in items})
        standing_alone = [
            item["recurringEventId"]
            for item in items
            if item["id"] in links and not links[item["id"]].event_id.recurrence_id
        ]
        if standing_alone:
            self._adopt_instances(
                calendar,
                {
                    series_id: series_links[series_id].event_id.recurrence_id
                    for series_id in standing_alone
                    if series_id in series_links
                },
            )
        recurrences = self.Event.browse(
            [link.event_id.id for link in series_links.values()]
        ).recurrence_id
        index = self._occurrence_index(recurrences)
        targets = {}
        for item in items:
            own = links.get(item["id"]) or self.Link
            series_link = series_links.get(item["recurringEventId"])
            rec = series_link.event_id.recurrence_id if series_link else None
            left = own.event_id.recurrence_id
            if own and rec and left and left != rec:
                own.unlink()  # left over from a series the event no longer belongs to
                own = self.Link
            event = own.event_id if own else self._occurrence_for(item, rec, index)
            targets[item["id"]] = (own, event)
        # Through the series' link (on its base) only the occurrences he organises
        # or attends: not those he was taken off.
        found = {event.id for own, event in targets.values() if event and not own}
        tied = self._tied_events(found, linked=False)
        targets = {
            google_id: (own, event if own or event.id in tied else self.Event)
            for google_id, (own, event) in targets.items()
        }
        snapshots = self._snapshots(
            self.Event.browse([event.id for _own, event in targets.values() if event]),
            occurrence=True,
        )
        bases = self._instance_bases(items, series_links, targets)
        result = {}
        for google_id, (own, event) in targets.items():
            odoo = snapshots.get(event.id) if event else None
            if own:
                state = self._link_state(own, odoo, self.revisions.get(event.id, 0))
                result[google_id] = port.Linked(state, odoo, own)
            elif odoo is not None:
                result[google_id] = port.Linked(None, odoo, None, base=bases.get(google_id))
        return result

    def _instance_bases(self, items, series_links, targets):
        """``{google id: fingerprint}`` of instances that have no link of their own
        yet: what the user's copy of their series showed for them at its last
        sync, against which their changes are told from Odoo's since."""
        wanted = {
            item["id"]: series_links[item["recurringEventId"]]
            for item in items
            if not targets[item["id"]][0]
            and targets[item["id"]][1]
            and series_links.get(item["recurringEventId"], self.Link).fingerprint
        }
        if not wanted:
            return {}
        masters = self._series_snapshots(
            self.Event.browse({link.event_id.id for link in wanted.values()})
        )
        bases = {}
        for google_id, link in wanted.items():
            master = masters.get(link.event_id.id)
            if master is not None:
                bases[google_id] = series.instance_base(
                    link.fingerprint,
                    master,
                    self._key(targets[google_id][1]),
                    user_tz=self.user.tz or "UTC",
                )
        return bases

    def _occurrence_for(self, item, rec, index):
        if not rec:
            return self.Event
        try:
            original = recurrence.parse_original_start(item.get("originalStartTime"))
        except MappingError:
            return self.Event
        allday = not isinstance(original, datetime)
        return index.get((rec.id, series.key_of(original, allday)), self.Event)

    def _on_their_own(self, calendar, occurrences):
        """The occurrences among ``occurrences`` that Google keeps as instances of
        their own in ``calendar``."""
        return self.Link.search(
            [
                ("calendar_id", "=", calendar.key),
                ("event_id", "in", occurrences.ids),
                ("recurring_event_id", "!=", False),
            ]
        ).event_id

    def _drop_instance_links(self, calendar_id, events):
        """A calendar's instance links of ``events`` (their Google instance is gone
        or belongs to a series they left)."""
        self.Link.search(
            [
                ("calendar_id", "=", calendar_id),
                ("event_id", "in", events.ids),
                ("recurring_event_id", "!=", False),
            ]
        ).unlink()
