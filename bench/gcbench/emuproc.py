"""The emulator in a process of its own, so that its memory never counts as Odoo's."""

import multiprocessing
import sys

from .odoo_env import REPO

CLIENT_ID = "bench-client-id"
CLIENT_SECRET = "bench-client-secret"
TOKEN_LIFETIME = 30 * 24 * 3600


def start_emulator(**kwargs):
    # The emulator distribution lives in emulator/ (pip install ./emulator also works).
    sys.path.insert(0, str(REPO / "emulator"))
    from google_calendar_emulator import EmulatorServer

    server = EmulatorServer(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, token_lifetime=TOKEN_LIFETIME, **kwargs
    )
    return server.start()


def _serve(conn, accounts):
    from .data import TZ, make_events

    server = start_emulator()
    tokens = {}
    for email, (count, prefix) in accounts.items():
        server.add_account(email, time_zone=TZ)
        for spec in make_events(count, id_prefix=prefix):
            server.add_event(email, email, spec["google"])
        tokens[email] = server.issue_tokens(email)
    conn.send((server.base_url, tokens))
    conn.recv()  # any message: stop
    conn.send(dict(server.counters))
    server.stop()


class EmulatorProcess:
    """``accounts``: {email: (number of events, event id prefix)}."""

    def __init__(self, accounts):
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, accounts), daemon=True)
        self.process.start()
        # Seeding 10,000 events takes about a second; never wait forever on a dead child.
        if not self.conn.poll(300) or not self.process.is_alive():
            self.process.kill()
            raise RuntimeError("the emulator process did not start (see its traceback above)")
        self.base_url, self.tokens = self.conn.recv()

    def stop(self):
        self.conn.send("stop")
        counters = self.conn.recv() if self.conn.poll(30) else {}
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
        return counters
