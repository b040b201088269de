"""The standalone emulator: seeded data, consent form, clean stop on Ctrl-C."""

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.parse

import requests
from emu_helpers import make_service

# The console script of the google-calendar-emulator distribution, installed beside
# this interpreter (scripts/test installs it from ./emulator).
COMMAND = os.path.join(os.path.dirname(sys.executable), "google-calendar-emulator")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_cli_serves_demo_data_and_stops_on_ctrl_c():
    port = free_port()
    process = subprocess.Popen(
        [
            COMMAND,
            "--port",
            str(port),
            "--user",
            "demo@example.com",
            "--user",
            "other@example.com",
            "--client-id",
            "cli-id",
            "--client-secret",
            "cli-secret",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        base_url = f"http://127.0.0.1:{port}/"
        assert base_url in first
        banner = "".join(process.stdout.readline() for _ in range(3))
        assert "cli-id" in banner and "cli-secret" in banner

        # Approve through the consent form like a person would.
        redirect = "http://127.0.0.1:9/cb"
        page = requests.get(
            base_url + "o/oauth2/auth",
            timeout=5,
            params={
                "client_id": "cli-id",
                "redirect_uri": redirect,
                "response_type": "code",
                "scope": "https://www.googleapis.com/auth/calendar",
                "state": "s1",
                "access_type": "offline",
            },
        )
        assert page.status_code == 200 and "demo@example.com" in page.text
        request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
        answer = requests.post(
            base_url + "o/oauth2/auth",
            allow_redirects=False,
            timeout=5,
            data={"request_id": request_id, "email": "demo@example.com", "action": "approve"},
        )
        query = dict(
            urllib.parse.parse_qsl(urllib.parse.urlsplit(answer.headers["Location"]).query)
        )
        assert query["state"] == "s1"
        tokens = requests.post(
            base_url + "token",
            timeout=5,
            data={
                "grant_type": "authorization_code",
                "code": query["code"],
                "redirect_uri": redirect,
                "client_id": "cli-id",
                "client_secret": "cli-secret",
            },
        ).json()

        class Fake:  # minimal object with the attributes make_service reads
            client_id, client_secret = "cli-id", "cli-secret"

        Fake.base_url = base_url
        service = make_service(Fake, tokens["access_token"], tokens["refresh_token"])
        calendars = service.calendarList().list().execute()["items"]
        by_summary = {c["summary"]: c for c in calendars}
        assert by_summary["Holidays"]["accessRole"] == "reader"
        assert by_summary["Team"]["accessRole"] == "owner"
        plain = service.events().list(calendarId="primary").execute()["items"]
        assert len(plain) >= 20
        assert any("date" in e.get("start", {}) for e in plain)
        assert any(e.get("visibility") == "private" for e in plain)
        assert any(e.get("recurrence") for e in plain)
        assert any(e.get("recurringEventId") and e["status"] == "confirmed" for e in plain)
        assert any(e.get("recurringEventId") and e["status"] == "cancelled" for e in plain)
        # Meetings between the demo accounts and a customer: a Meet link, own reminders,
        # and an invitation from the other account in this one's calendar.
        meetings = {e["summary"]: e for e in plain if e.get("attendees")}
        review = meetings["Pipeline review"]
        assert review["hangoutLink"].startswith("https://meet.google.com/")
        assert len(review["reminders"]["overrides"]) == 2
        guests = {a["email"] for a in meetings["Offer walkthrough with Deco Addict"]["attendees"]}
        assert guests == {
            "demo@example.com",
            "other@example.com",
            "laura.baker@deco-addict.example",
        }
        assert meetings["Account planning"]["organizer"]["email"] == "other@example.com"
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "stopped" in out
