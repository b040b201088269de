"""The README's commands, run as a reader runs them (scripts/test runs this with Odoo 18).

Each fenced ``sh`` block of README.md is found by the heading above it and run with only
what differs between machines replaced: where Odoo lives (``ODOO_PYTHON``), throwaway
database names, free ports, and a scratch folder instead of Odoo's own environment for
``pip install`` (so that this checkout's tests keep using this checkout). A block that
cannot run here is named with the reason, so a new block fails until it is handled.
"""

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYTHON = os.environ.get("ODOO_PYTHON") or sys.executable
ODOO_HOME = Path(
    subprocess.check_output(
        [PYTHON, "-c", "import os, odoo; print(os.path.dirname(os.path.dirname(odoo.__file__)))"],
        text=True,
    ).strip()
)
VENV_BIN = Path(PYTHON).parent
# Blocks that are not run, by heading, and why.
NOT_RUN = {
    "Run the tests": "`scripts/test` is the run this check is part of; the pytest-odoo "
    "command is the one scripts/test runs",
    "Installing Odoo 18 (source install)": "needs github.com; scripts/test runs on the Odoo "
    "it installed",
}


def _blocks():
    """``{heading: [sh block, ...]}`` of README.md."""
    blocks, heading = {}, None
    for match in re.finditer(r"^(#{2,3}) ([^\n]+)$|^```sh\n(.*?)^```", README, re.M | re.S):
        if match.group(2):
            heading = match.group(2).strip()
        else:
            blocks.setdefault(heading, []).append(match.group(3))
    return blocks


def _lines(block):
    """Commands of a block: comments dropped, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", block)
    lines = (line.split("  #")[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _local(command):
    """A README command for this machine: Odoo where it is, the checkout as $PWD."""
    command = command.replace("/opt/odoo18/venv/bin/", f"{VENV_BIN}/")
    command = command.replace("/opt/odoo18/addons", str(ODOO_HOME / "addons"))
    return command.replace("$PWD", str(ROOT))


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(command, **kwargs):
    result = subprocess.run(
        command, shell=True, cwd=ROOT, capture_output=True, text=True, check=False, **kwargs
    )
    assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _wait_http(url, process, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited before {url} answered"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return answer.status
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def _stop(process):
    os.killpg(process.pid, signal.SIGINT)
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise


@pytest.fixture
def database():
    name = f"crm_gcal_readme_{os.getpid()}_{time.monotonic_ns() % 100000}"
    yield name
    subprocess.run(["dropdb", "--if-exists", name], check=False, capture_output=True)


@pytest.fixture
def pip_target(tmp_path):
    """``pip install`` into a scratch folder on PYTHONPATH instead of Odoo's environment."""
    target = tmp_path / "site"
    env = dict(os.environ, PYTHONPATH=str(target))
    return target, env


def test_every_sh_block_is_checked_or_named():
    handled = set(NOT_RUN) | {
        "Demo mode",
        "Install the addon",
        "Run the addon against the emulator (no Google account needed)",
        "Translations",
    }
    assert set(_blocks()) <= handled, set(_blocks()) - handled


def test_demo_mode(database):
    (command,) = _lines(_blocks()["Demo mode"][0])
    assert command == "scripts/demo"
    odoo_port, emulator_port = _free_port(), _free_port()
    process = subprocess.Popen(
        [
            command,
            "--db",
            database,
            "--port",
            str(odoo_port),
            "--emulator-port",
            f"{emulator_port}",
        ],
        cwd=ROOT,
        env=dict(os.environ, ODOO_PYTHON=PYTHON),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 300
        while not any("Ctrl-C" in line for line in output):
            assert process.poll() is None and time.monotonic() < deadline, "".join(output)
            time.sleep(0.5)
        assert _wait_http(f"http://127.0.0.1:{emulator_port}/", process) == 200
        assert _wait_http(f"http://127.0.0.1:{odoo_port}/web/login", process) == 200
    finally:
        code = _stop(process)
        reader.join(10)
    text = "".join(output)
    assert code == 130, text[-3000:]  # Ctrl-C
    assert "demo.anna" in text and "demo.ben" in text, text[-3000:]


def test_install_the_addon(database, pip_target):
    (command,) = _lines(_blocks()["Install the addon"][0])
    target, env = pip_target
    assert command.startswith("/opt/odoo18/venv/bin/pip install ./crm_google_calendar_sync")
    _run(_local(command).replace(" install ", f" install --no-deps --target {target} ", 1))
    assert (target / "odoo" / "addons" / "crm_google_calendar_sync" / "__manifest__.py").exists()
    assert not (target / "odoo" / "__init__.py").exists()
    # Odoo finds the installed addon without this checkout on its addons path.
    _run(
        f"{PYTHON} -m odoo --addons-path={ODOO_HOME / 'addons'} -d {database} "
        "-i crm_google_calendar_sync --stop-after-init --without-demo=all --log-level=warn "
        "--max-cron-threads=0",
        env=env,
    )
    installed = _run(
        f'psql -d {database} -tAc "select state from ir_module_module '
        "where name = 'crm_google_calendar_sync'\""
    )
    assert installed.stdout.strip() == "installed"


def test_run_the_addon_against_the_emulator(database, pip_target):
    install, emulator, odoo = _lines(
        _blocks()["Run the addon against the emulator (no Google account needed)"][0]
    )
    target, env = pip_target
    _run(_local(install).replace(" install ", f" install --no-deps --target {target} ", 1))
    port = _free_port()
    emulator = _local(emulator).rstrip("&").strip()
    emulator = emulator.replace(
        f"{VENV_BIN}/google-calendar-emulator", str(target / "bin" / "google-calendar-emulator")
    )
    process = subprocess.Popen(
        shlex.split(emulator.replace("--port 8765", f"--port {port}")),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert _wait_http(f"http://127.0.0.1:{port}/", process, 30) == 200
        odoo = _local(odoo).replace("-d gcal_demo", f"-d {database}")
        _run(
            f"{odoo} --stop-after-init --without-demo=all --max-cron-threads=0 "
            f"--http-port={_free_port()}"
        )
    finally:
        assert _stop(process) == 0


def test_translations(database, tmp_path):
    (block,) = _blocks()["Translations"]
    commands = _lines(block)
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT / "crm_google_calendar_sync", checkout / "crm_google_calendar_sync")
    _run(
        f"{PYTHON} -m odoo --addons-path={ODOO_HOME / 'addons'},{checkout} -d {database} "
        "-i crm_google_calendar_sync --stop-after-init --without-demo=all --log-level=warn "
        "--max-cron-threads=0"
    )
    script = "\n".join(
        _local(line).replace("<db>", database).replace(str(ROOT), str(checkout))
        for line in commands
    )
    result = _run(f"set -e\ncd {checkout}\n{script}")
    # "msgattrib --untranslated" lists nothing; msgfmt counts only translated messages.
    assert "msgid" not in result.stdout, result.stdout[-2000:]
    assert re.search(r"^\d+ translated messages\.$", result.stderr.strip(), re.M), result.stderr
    i18n = ROOT / "crm_google_calendar_sync" / "i18n"
    exported = checkout / "crm_google_calendar_sync" / "i18n"
    assert _msgids(exported / "crm_google_calendar_sync.pot") == _msgids(
        i18n / "crm_google_calendar_sync.pot"
    ), "the committed .pot is not what Odoo exports from the code"
    assert _without_dates(exported / "de.po") == _without_dates(i18n / "de.po"), (
        "de.po is not what the README's commands make of the code"
    )


def _msgids(path):
    return set(re.findall(r'^msgid "(.*)"$', path.read_text(encoding="utf-8"), re.M))


def _without_dates(path):
    text = path.read_text(encoding="utf-8")
    return re.sub(r'^"(POT-Creation|PO-Revision)-Date: .*"$', "", text, flags=re.M)
