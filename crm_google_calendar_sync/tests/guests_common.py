# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Colleagues at shared meetings (docs/attendees.md): Anna, Bob and Carol sync their
primary calendars, each with a Google account of his own, and Odoo knows each under
that address (Google invites a colleague under it). An external customer attends.

Not a test module: an imported test class would run again.
"""

import itertools

from .common import SyncCase

COLLEAGUES = ("anna", "bob", "carol")


class ColleaguesCase(SyncCase):
    """``self.users[name] = (user, token, address)``; ``TAG`` keeps each test
    class's addresses and logins apart."""

    TAG = "colleague"
    _accounts = itertools.count(1)

    def setUp(self):
        super().setUp()
        self.run_no = next(self._accounts)
        self.users = {}
        for name in COLLEAGUES:
            self.add_colleague(name)
        self.anna, self.bob, self.carol = (self.users[name][0] for name in COLLEAGUES)
        self.customer_email = f"carla.{self.TAG}{self.run_no}@customer.example"
        self.customer = self.env["res.partner"].create(
            {"name": "Carla Customer", "email": self.customer_email}
        )
        self.notifications = self.emulator.counters.get("notifications", 0)

    def add_colleague(self, name, **options):
        """A colleague who connects his Google account (``options``: his calendar
        choices, see ``connect_user``)."""
        email = f"{name}.{self.TAG}{self.run_no}@example.com"
        user, token = self.connect_user(f"gcal_{self.TAG}_{name}", email, **options)
        user.partner_id.email = email
        self.users[name] = (user, token, email)
        return user

    def email(self, name):
        return self.users[name][2]

    def assert_nobody_notified(self):
        """Nothing told Google to mail anybody."""
        self.assertEqual(self.emulator.counters.get("notifications", 0), self.notifications)

    def answer_in_google(self, name, event_id, answer):
        """The colleague answers in his own Google Calendar (his entry alone)."""
        email = self.email(name)
        self.service(email).events().patch(
            calendarId=email,
            eventId=event_id,
            sendUpdates="none",
            body={
                "attendeesOmitted": True,
                "attendees": [{"email": email, "responseStatus": answer}],
            },
        ).execute()
