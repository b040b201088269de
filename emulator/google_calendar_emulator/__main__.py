"""Run the emulator standalone: python -m google_calendar_emulator --port 8765 --user a@b.c"""

import argparse
import logging
import signal
import sys
import threading

from .seed import seed_account, seed_meetings
from .server import EmulatorServer


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m google_calendar_emulator", description="Google Calendar v3 + OAuth emulator"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--client-id", default="emulator-client-id")
    parser.add_argument("--client-secret", default="emulator-client-secret")
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        help="account e-mail to create with demo data (repeatable)",
    )
    parser.add_argument("--token-lifetime", type=int, default=3600)
    parser.add_argument(
        "--time-zone", default="Europe/Berlin", help="time zone of the demo accounts"
    )
    parser.add_argument(
        "--auto-approve",
        action="store_true",
        help="skip the consent page (approve as login_hint or first user)",
    )
    parser.add_argument("--no-seed", action="store_true", help="create accounts without data")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)

    server = EmulatorServer(
        client_id=args.client_id,
        client_secret=args.client_secret,
        host=args.host,
        port=args.port,
        token_lifetime=args.token_lifetime,
        auto_approve=args.auto_approve,
    )
    users = args.user or ["demo@example.com"]
    seeded = {}
    for email in users:
        if args.no_seed:
            server.add_account(email, time_zone=args.time_zone)
        else:
            seeded[email] = seed_account(server, email, time_zone=args.time_zone)
    if len(users) > 1 and not args.no_seed:
        # The first user's "Team" calendar is shared with the others (writer access).
        for email in users[1:]:
            server.share_calendar(seeded[users[0]]["team"], email, "writer")
    if not args.no_seed:
        seed_meetings(server, users, time_zone=args.time_zone)
    server.start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    out = sys.stdout
    out.write(f"Google Calendar emulator listening on {server.base_url}\n")
    out.write(f"  client id:     {server.client_id}\n")
    out.write(f"  client secret: {server.client_secret}\n")
    out.write(f"  auth uri:      {server.base_url}o/oauth2/auth\n")
    out.write(f"  token uri:     {server.base_url}token\n")
    out.write(f"  revoke uri:    {server.base_url}revoke\n")
    out.write(f"  api root:      {server.base_url}\n")
    out.write(f"  accounts:      {', '.join(users)}\n")
    out.write("Press Ctrl-C to stop.\n")
    out.flush()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    server.stop()
    out.write("Emulator stopped.\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
