# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The primary calendar read for invitations alone (R3 of docs/attendees.md).

Google invites people into their primary calendars only. A user who syncs other
calendars (a "Work" calendar as source and target, say) still gets his invitations
linked: his sync lists his primary calendar too, incrementally under a sync token
of its own, and takes from it only copies of meetings Odoo already ties him to
(the engine leaves everything else alone, see ``CalendarState.invitations_only``).
Users whose primary calendar is a source or the target cost nothing extra.
"""

import dataclasses

PRIMARY_FIELDS = [
    *("google_id", "access_role", "time_zone", "failed_events", "active"),
    *("sync_token", "sync_token_private", "sync_token_window_start", "invitations_sync_token"),
]


class PrimaryInvitations:
    """Part of OdooSyncStore: the primary calendar as a source of invitations."""

    _primary = None  # his primary calendar record, once looked up

    def _primary_calendar(self):
        """The active primary calendar of the connected Google account, if known."""
        if self._primary is None:
            # (one query: what the calendar's state needs comes with it)
            found = self.Calendar.search_fetch(
                [("user_id", "=", self.user.id), ("is_primary", "=", True), ("active", "=", True)],
                PRIMARY_FIELDS,
            )
            self._primary = found.filtered(self._is_primary)[:1]
        return self._primary

    def _with_primary_for_invitations(self, states):
        """``states`` and, unless one of them is his primary calendar, the primary
        calendar read for invitations only."""
        if any(self._is_primary(state) for state in states):
            return states
        primary = self._primary_calendar()
        if not primary:
            return states
        state = dataclasses.replace(
            self._calendar_state(primary),
            sync_token=primary.invitations_sync_token or None,
            is_source=False,
            is_target=False,
            invitations_only=True,
        )
        return [*states, state]

    def _save_invitations_token(self, calendar, token):
        """Store the position of the list of invitations; False: not such a list."""
        if not calendar.invitations_only:
            return False
        self.Calendar.browse(calendar.key).invitations_sync_token = token or False
        return True
