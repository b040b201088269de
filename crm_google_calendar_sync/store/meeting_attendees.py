# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Odoo side of a meeting's attendees (the engine's side: ``sync/attendees.py``).

Only the holder of a meeting's master copy carries its attendee list: the Odoo
organiser, or, for a meeting organised outside Odoo, whoever syncs it (R1, R4 of
docs/attendees.md). Google addresses are matched to contacts in one query per page;
addresses without a contact stay on the meeting (``google_unmatched_attendees``)
and go back to Google with the others.

Not a model: one instance serves one user's sync cycle.
"""

from odoo.tools import SQL

from ..sync import attendees as attendees_mod
from . import private_copies

CREATE_CONTACTS_PARAM = "crm_google_calendar_sync.create_attendee_contacts"
# Addresses the meeting's form names before it only counts the rest.
UNMATCHED_SHOWN = 10


def unmatched_note(env, unmatched):
    """The form's line about addresses without a contact (False: none)."""
    addresses = [
        pair[0]
        for pair in unmatched or ()
        if isinstance(pair, list) and pair and isinstance(pair[0], str)
    ]
    if not addresses:
        return False
    shown = ", ".join(addresses[:UNMATCHED_SHOWN])
    if len(addresses) > UNMATCHED_SHOWN:
        shown += ", …"
    return env._(
        "%(count)s attendees not matched to contacts: %(addresses)s",
        count=len(addresses),
        addresses=shown,
    )


class MeetingAttendees:
    def __init__(self, env, user, own_email):
        self.env = env
        self.user = user
        self.partner = user.partner_id
        self.own_email = attendees_mod.normalize_email(own_email)
        self.partner_by_email = {}  # normalised address -> partner id or None
        self._create_contacts = None

    # ------------------------------------------------------------------
    # Reading: snapshot values
    # ------------------------------------------------------------------
    def snapshot_values(self, rows):
        """``{event id: OdooEvent values}`` (attendees, own entry) of ``read()`` rows;
        one query for all meetings this user carries the list of."""
        # (and his private copy of a single meeting whose organiser has no Google
        # connection; a series of such an organiser keeps a copy per attendee)
        unsynced = private_copies.organisers_without_google(self.env, rows, self.user)
        carried = [
            row["id"]
            for row in rows
            if row.get("user_id") in (None, False, self.user.id)
            or (row.get("user_id") in unsynced and not row.get("recurrence_id"))
        ]
        result = {row["id"]: {} for row in rows}
        private_copies.mark(result, rows, unsynced)
        if not rows:
            return result
        pairs = {event_id: [] for event_id in carried}
        own = self._read_attendances([row["id"] for row in rows], pairs)
        if self.own_email:
            # (sent to his primary calendar only, see the planner; a guest's answer)
            for event_id, values in result.items():
                values["own_attendee"] = (self.own_email, own.get(event_id))
        if not carried:
            return result
        self.env.cr.execute(
            SQL(
                "SELECT id, google_unmatched_attendees FROM calendar_event WHERE id IN %s",
                tuple(carried),
            )
        )
        for event_id, unmatched in self.env.cr.fetchall():
            pairs[event_id].extend(
                tuple(pair) for pair in unmatched or () if isinstance(pair, list) and len(pair) == 2
            )
        for event_id in carried:
            listed, _dropped = attendees_mod.attendee_list(pairs[event_id])
            listed = tuple(pair for pair in listed if pair[0] != self.own_email)
            result[event_id]["attendees"] = listed
        return result

    def _read_attendances(self, event_ids, pairs):
        """The user's own answers ``{event id: state}``; the others' addresses and
        answers go into ``pairs`` (for the events it has a list for)."""
        self.env["calendar.attendee"].flush_model(["event_id", "partner_id", "state"])
        self.env["calendar.event"].flush_model(["google_unmatched_attendees"])
        self.env.cr.execute(
            SQL(
                """SELECT a.event_id, a.partner_id, p.email_normalized, a.state
                     FROM calendar_attendee a JOIN res_partner p ON p.id = a.partner_id
                    WHERE a.event_id IN %s
                    ORDER BY a.id""",
                tuple(event_ids),
            )
        )
        own = {}
        for event_id, partner_id, email, state in self.env.cr.fetchall():
            if partner_id == self.partner.id:
                own[event_id] = state
            elif email and event_id in pairs:
                pairs[event_id].append((email, state))
        return own

    # ------------------------------------------------------------------
    # Writing: lists from Google
    # ------------------------------------------------------------------
    def prefetch(self, google_events):
        """Match the addresses of a page of Google events to contacts at once."""
        wanted = set()
        for item in google_events:
            if isinstance(item, dict) and isinstance(item.get("attendees"), list):
                listed, _warnings = attendees_mod.from_google(item)
                wanted.update(email for email, _answer in listed or ())
        self._match(wanted - set(self.partner_by_email))

    def _match(self, emails):
        """One contact per address, chosen predictably: a user's own contact first,
        then the oldest; only contacts of the user's companies or of none."""
        if not emails:
            return
        self.env["res.partner"].flush_model(["email_normalized", "active", "company_id"])
        self.env.cr.execute(
            SQL(
                """SELECT DISTINCT ON (p.email_normalized) p.email_normalized, p.id
                     FROM res_partner p
                    WHERE p.email_normalized IN %s AND p.active
                      AND (p.company_id IS NULL OR p.company_id IN %s)
                    ORDER BY p.email_normalized,
                             EXISTS (SELECT 1 FROM res_users u
                                      WHERE u.partner_id = p.id AND u.active) DESC,
                             p.id""",
                tuple(emails),
                tuple(self.user.company_ids.ids or [0]),
            )
        )
        found = dict(self.env.cr.fetchall())
        for email in emails:
            self.partner_by_email[email] = found.get(email)

    def resolve(self, attendees):
        """``({partner id: answer}, [[address, answer], ...])`` of a Google list: the
        contacts it names (the user himself left out) and the addresses of none."""
        self._match({email for email, _answer in attendees} - set(self.partner_by_email))
        if self.create_contacts:
            self._create_partners([email for email, _ in attendees if not self._partner(email)])
        answers, unmatched = {}, []
        for email, answer in attendees:
            partner_id = self._partner(email)
            if partner_id:
                answers.setdefault(partner_id, answer)
            elif email != self.own_email:
                unmatched.append([email, answer])
        answers.pop(self.partner.id, None)
        return answers, unmatched

    def create_values(self, attendees):
        """Values of a new meeting with the attendees of a Google list."""
        answers, unmatched = self.resolve(attendees)
        return {
            "partner_ids": [(6, 0, [self.partner.id, *answers])],
            "google_unmatched_attendees": unmatched or False,
        }

    def apply(self, events, attendees, own_answers=()):
        """Give ``events`` (one meeting: an event or a series' occurrences) the
        attendee list ``attendees`` from Google; the user himself stays on it.
        ``own_answers``: partners whose answers come through copies of their own."""
        answers, unmatched = self.resolve(attendees)
        for event in events:
            current = set(event.partner_ids.ids)
            wanted = set(answers) | {self.partner.id}
            commands = [(3, pid) for pid in current - wanted]
            commands += [(4, pid) for pid in wanted - current]
            values = {"partner_ids": commands} if commands else {}
            if (event.google_unmatched_attendees or []) != unmatched:
                values["google_unmatched_attendees"] = unmatched or False
            if values:
                event.write(values)
        self.set_answers([(events, {p: a for p, a in answers.items() if p not in own_answers})])

    @staticmethod
    def set_answers(meetings):
        """The answers on the attendances of ``meetings`` (``[(events, {partner id:
        answer})]``), one write per answer for all of them."""
        by_answer = {}
        for events, answers in meetings:
            for attendee in events.attendee_ids:
                answer = answers.get(attendee.partner_id.id)
                if answer and attendee.state != answer:
                    by_answer[answer] = by_answer.get(answer, attendee.browse()) | attendee
        for answer, attendances in by_answer.items():
            attendances.write({"state": answer})

    def _partner(self, email):
        return self.partner_by_email.get(email)

    @property
    def create_contacts(self):
        if self._create_contacts is None:
            param = self.env["ir.config_parameter"].sudo().get_param(CREATE_CONTACTS_PARAM)
            self._create_contacts = param not in (None, False, "", "False", "0")
        return self._create_contacts

    def _create_partners(self, emails):
        """Contacts for unknown addresses (the administrator's choice), in one create."""
        if not emails:
            return
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_context(mail_create_nolog=True, tracking_disable=True)
            .create([{"name": email, "email": email} for email in emails])
        )
        for email, partner in zip(emails, partners, strict=True):
            self.partner_by_email[email] = partner.id
