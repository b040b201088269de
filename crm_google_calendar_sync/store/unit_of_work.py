# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What a sync cycle makes durable: savepoints per event, commits per page,
sync tokens and failures per calendar."""


class UnitOfWork:
    """Part of OdooSyncStore: savepoints, checkpoints and calendar bookkeeping."""

    def isolate(self):
        return self.env.cr.savepoint()

    def checkpoint(self):
        self.pulled_revision = None
        self.env.cr.commit()  # pylint: disable=invalid-commit

    def save_sync_token(self, calendar, token):
        values = {"sync_token": token or False}
        if token:
            values.update(
                sync_token_private=self.scope.include_private,
                sync_token_window_start=self.scope.window_start,
            )
        self.Calendar.browse(calendar.key).write(values)

    def save_failures(self, calendar):
        self.Calendar.browse(calendar.key).failed_events = calendar.failures or False

    def calendar_unavailable(self, calendar, error):
        # Re-read the calendar list next cycle: it shows whether the calendar was
        # deleted (archived then) or only its sharing changed.
        self.token.sudo().calendar_list_checked = False
