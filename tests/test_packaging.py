"""The wheel built by ``pip wheel .`` is what ``pip install .`` puts into an Odoo environment.

It must carry the addon under ``odoo/addons/crm_google_calendar_sync`` with every data file
the manifest loads, the translations and the Apps page, plus the emulator, and declare the
Google client libraries, without shipping ``odoo/__init__.py`` files that would shadow
Odoo's own packages.
"""

import ast
import email.parser
import importlib.util
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADDON = "crm_google_calendar_sync"
PREFIX = f"odoo/addons/{ADDON}/"
# What setup.py needs to build; copied so the build never writes build/ or *.egg-info
# into the working tree (and two runs cannot race on them).
SOURCES = (
    "setup.py",
    "requirements.txt",
    "README.md",
    "pyproject.toml",
    ADDON,
    "google_calendar_emulator",
)


def _manifest():
    return ast.literal_eval((ROOT / ADDON / "__manifest__.py").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        elif path.exists():
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("wheel")
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "-q",
        "-w",
        str(out),
        str(src),
    ]
    if importlib.util.find_spec("setuptools"):
        # Build with the setuptools at hand instead of fetching one from an index.
        command.insert(4, "--no-build-isolation")
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def names(wheel):
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.fixture(scope="module")
def metadata(wheel, names):
    path = next(name for name in names if name.endswith(".dist-info/METADATA"))
    with zipfile.ZipFile(wheel) as archive:
        return email.parser.Parser().parsestr(archive.read(path).decode("utf-8"))


def test_wheel_name_and_version_follow_the_manifest(wheel, metadata):
    version = _manifest()["version"]
    assert re.fullmatch(r"18\.0\.\d+\.\d+\.\d+", version)
    assert re.fullmatch(rf"odoo_addon_{ADDON}-18\.0\.[0-9.]+-py3-none-any\.whl", wheel.name)
    assert wheel.name.startswith(f"odoo_addon_{ADDON}-{version}-")
    # Newer setuptools write the name normalised (PEP 503): compare it that way.
    assert _normalised(metadata["Name"]) == _normalised(f"odoo-addon-{ADDON}")
    assert metadata["Version"] == version


def test_addon_sits_in_the_odoo_addons_namespace(names):
    for relative in (
        "__manifest__.py",
        "__init__.py",
        "models/__init__.py",
        "controllers/main.py",
        "sync/engine.py",
        "wizard/__init__.py",
    ):
        assert PREFIX + relative in names, relative
    # Odoo's own odoo/__init__.py and odoo/addons/__init__.py extend __path__ to every
    # odoo/addons directory on sys.path: shipping our own would shadow them.
    assert "odoo/__init__.py" not in names
    assert "odoo/addons/__init__.py" not in names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_every_data_file_of_the_manifest_is_shipped(names):
    manifest = _manifest()
    data = manifest["data"] + manifest.get("demo", [])
    assert any(path.startswith("views/") for path in data)
    assert any(path.startswith("security/") for path in data)
    assert any(path.startswith("data/") for path in data)
    missing = [path for path in data if PREFIX + path not in names]
    assert not missing


def test_translations_and_apps_page_are_shipped(names):
    assert PREFIX + f"i18n/{ADDON}.pot" in names
    assert PREFIX + "i18n/de.po" in names
    assert PREFIX + "static/description/index.html" in names
    assert PREFIX + "static/description/icon.png" in names
    assert PREFIX + "README.rst" in names
    assert PREFIX + "readme/DESCRIPTION.md" in names


def test_emulator_is_shipped_with_its_command(wheel, names):
    for module in ("__init__.py", "__main__.py", "server.py", "oauth.py", "state.py"):
        assert f"google_calendar_emulator/{module}" in names
    path = next(name for name in names if name.endswith(".dist-info/entry_points.txt"))
    with zipfile.ZipFile(wheel) as archive:
        entry_points = archive.read(path).decode("utf-8")
    assert "google-calendar-emulator = google_calendar_emulator.__main__:main" in entry_points


def test_google_dependencies_are_declared(metadata):
    requires = {
        re.split(r"[<>=!~;\s\[]", requirement, maxsplit=1)[0].lower()
        for requirement in metadata.get_all("Requires-Dist") or []
    }
    assert {
        "google-api-python-client",
        "google-auth-oauthlib",
        "google-auth",
        "google-auth-httplib2",
    } <= requires
    # The emulator's console script needs dateutil outside an Odoo environment too.
    assert "python-dateutil" in requires
    # The manifest's external dependencies must be installed by the wheel too.
    assert {name.lower() for name in _manifest()["external_dependencies"]["python"]} <= requires


def _normalised(name):
    return re.sub(r"[-_.]+", "-", name).lower()
