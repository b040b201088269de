"""Benchmark 1b: the import of events with 10 attendees each (issue 16).

The same events as the plain import (same sizes, another id prefix and account), each
with 10 attendees: the importing user (organiser), 3 existing contacts, 2 colleagues
(Odoo users) and 4 addresses Odoo does not know, drawn from pools so that they repeat
across events as real customers do. Our sync matches them to contacts (one query per
page, not per event) and keeps the unknown ones on the meeting; the floor creates the
same meetings with the same matched partners as attendees in one ``create``.
"""

import random

CONTACTS = 300
COLLEAGUES = 20
UNKNOWN_POOL = 2000
# Per event, besides the organiser.
MIX = (("contact", 3), ("colleague", 2), ("unknown", 4))
ANSWERS = ("needsAction", "accepted", "tentative", "declined")


def contact_email(index):
    return f"contact{index}@customer.test"


def colleague_login(index):
    return f"att-colleague{index}"


def colleague_email(index):
    return f"{colleague_login(index)}@bench.test"


def unknown_email(index):
    return f"guest{index}@unknown.test"


def with_attendees(specs, organiser, *, seed=11):
    """Copies of ``specs`` whose Google bodies carry 10 attendees each; each spec also
    gets ``known``: the addresses Odoo has a partner for (the floor's attendees)."""
    rng = random.Random(seed)
    pools = {
        "contact": (contact_email, CONTACTS),
        "colleague": (colleague_email, COLLEAGUES),
        "unknown": (unknown_email, UNKNOWN_POOL),
    }
    result = []
    for index, spec in enumerate(specs):
        attendees = [{"email": organiser, "organizer": True, "responseStatus": "accepted"}]
        known = []
        for kind, count in MIX:
            make, size = pools[kind]
            for number in rng.sample(range(size), count):
                email = make(number)
                attendees.append({"email": email, "responseStatus": rng.choice(ANSWERS)})
                if kind != "unknown":
                    known.append(email)
        google = dict(spec["google"], id=f"attn{index:07d}", attendees=attendees)
        result.append(dict(spec, google=google, known=known))
    return result


def create_people(env, create_users):
    """The contacts and colleagues the attendees' addresses match -> {email: partner id}."""
    partners = (
        env["res.partner"]
        .with_context(tracking_disable=True, mail_create_nolog=True)
        .create([{"name": f"Contact {i}", "email": contact_email(i)} for i in range(CONTACTS)])
    )
    users = create_users(env, [colleague_login(i) for i in range(COLLEAGUES)])
    by_email = {partner.email: partner.id for partner in partners}
    by_email.update({user.partner_id.email: user.partner_id.id for user in users})
    return by_email


def floor_values(specs, user, partner_ids):
    """The floor's ``create`` values: the same meetings, the matched partners attending."""
    return [
        dict(
            spec["odoo"],
            user_id=user.id,
            partner_ids=[(6, 0, [user.partner_id.id, *(partner_ids[e] for e in spec["known"])])],
        )
        for spec in specs
    ]


def count_attendances(env, user):
    """calendar.attendee rows of the user's meetings (ours and floor alike)."""
    env.cr.execute(
        """SELECT count(*) FROM calendar_attendee a
             JOIN calendar_event e ON e.id = a.event_id
            WHERE e.active AND e.user_id = %s""",
        [user.id],
    )
    return env.cr.fetchone()[0]
