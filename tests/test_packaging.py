"""The two distributions of the repository, built as a user builds them.

* ``pip install ./crm_google_calendar_sync`` (whool, as OCA builds addons) puts the addon
  under ``odoo/addons/crm_google_calendar_sync`` with every data file the manifest loads,
  takes name, version and dependencies from the manifest, ships no ``odoo/__init__.py``
  that would shadow Odoo, and installs nothing else.
* ``pip install ./emulator`` installs ``google_calendar_emulator`` and its console script.
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


def _manifest():
    return ast.literal_eval((ROOT / ADDON / "__manifest__.py").read_text(encoding="utf-8"))


def _build_wheel(source, out):
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir"]
    command += ["--disable-pip-version-check", "-q", "-w", str(out), str(source)]
    if importlib.util.find_spec("whool") and importlib.util.find_spec("setuptools"):
        # Build with the backends at hand instead of fetching them from an index.
        command.insert(4, "--no-build-isolation")
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _names(wheel):
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _dist_info_file(wheel, suffix):
    with zipfile.ZipFile(wheel) as archive:
        path = next(name for name in archive.namelist() if name.endswith(f".dist-info/{suffix}"))
        return archive.read(path).decode("utf-8")


def _requirement_names(metadata):
    return {
        re.split(r"[<>=!~;\s\[]", requirement, maxsplit=1)[0].lower()
        for requirement in metadata.get_all("Requires-Dist") or []
    }


def _normalised(name):
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture(scope="module")
def addon_wheel(tmp_path_factory):
    # whool builds from the files git tracks, in place: nothing is written into the tree.
    return _build_wheel(ROOT / ADDON, tmp_path_factory.mktemp("addon"))


@pytest.fixture(scope="module")
def addon_metadata(addon_wheel):
    return email.parser.Parser().parsestr(_dist_info_file(addon_wheel, "METADATA"))


@pytest.fixture(scope="module")
def emulator_wheel(tmp_path_factory):
    # setuptools writes build/ and *.egg-info next to the sources: build from a copy.
    source = tmp_path_factory.mktemp("src") / "emulator"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    shutil.copytree(ROOT / "emulator", source, ignore=ignore)
    return _build_wheel(source, tmp_path_factory.mktemp("emulator"))


def test_addon_name_and_version_follow_the_manifest(addon_wheel, addon_metadata):
    version = _manifest()["version"]
    assert re.fullmatch(r"18\.0\.\d+\.\d+\.\d+", version)
    assert addon_wheel.name == f"odoo_addon_{ADDON}-{version}-py3-none-any.whl"
    assert _normalised(addon_metadata["Name"]) == _normalised(f"odoo-addon-{ADDON}")
    assert addon_metadata["Version"] == version
    assert addon_metadata["Summary"] == _manifest()["summary"]


def test_addon_sits_in_the_odoo_addons_namespace_and_nothing_else(addon_wheel):
    names = _names(addon_wheel)
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
    outside = {name for name in names if not name.startswith((PREFIX, "odoo_addon_"))}
    assert not outside, sorted(outside)
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert PREFIX + "pyproject.toml" not in names
    assert "entry_points.txt" not in {Path(name).name for name in names}


def test_every_data_file_of_the_manifest_is_shipped(addon_wheel):
    names = _names(addon_wheel)
    manifest = _manifest()
    data = manifest["data"] + manifest.get("demo", [])
    assert any(path.startswith("views/") for path in data)
    assert any(path.startswith("security/") for path in data)
    assert any(path.startswith("data/") for path in data)
    missing = [path for path in data if PREFIX + path not in names]
    assert not missing


def test_translations_and_apps_page_are_shipped(addon_wheel):
    names = _names(addon_wheel)
    assert PREFIX + f"i18n/{ADDON}.pot" in names
    assert PREFIX + "i18n/de.po" in names
    assert PREFIX + "static/description/index.html" in names
    assert PREFIX + "static/description/icon.png" in names
    assert PREFIX + "README.rst" in names
    assert PREFIX + "readme/DESCRIPTION.md" in names


def test_addon_dependencies_are_the_manifests(addon_metadata):
    declared = set(addon_metadata.get_all("Requires-Dist") or [])
    external = set(_manifest()["external_dependencies"]["python"])
    assert external <= declared
    # Odoo itself (from "depends"), nothing more.
    assert {_normalised(name) for name in _requirement_names(addon_metadata)} == {
        "odoo",
        *(_normalised(re.split(r"[<>=!~]", dep)[0]) for dep in external),
    }


def test_requirements_txt_repeats_the_manifest():
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    requirements = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert requirements == set(_manifest()["external_dependencies"]["python"])


def test_emulator_is_a_distribution_with_its_command(emulator_wheel):
    names = _names(emulator_wheel)
    for module in ("__init__.py", "__main__.py", "server.py", "oauth.py", "state.py"):
        assert f"google_calendar_emulator/{module}" in names
    assert not [name for name in names if name.startswith("odoo")]
    entry_points = _dist_info_file(emulator_wheel, "entry_points.txt")
    assert "google-calendar-emulator = google_calendar_emulator.__main__:main" in entry_points
    metadata = email.parser.Parser().parsestr(_dist_info_file(emulator_wheel, "METADATA"))
    assert _normalised(metadata["Name"]) == "google-calendar-emulator"
    # dateutil expands recurrences; the client's discovery document validates requests.
    assert {"python-dateutil", "google-api-python-client"} <= _requirement_names(metadata)


def test_versioned_dependencies_bring_what_odoo_needs_to_read_them():
    # Odoo 18 reads a versioned external dependency ("google-auth>=2.20") with the
    # `packaging` distribution, which Odoo's own requirements do not install: without
    # it the addon cannot be installed in a fresh Odoo environment.
    external = _manifest()["external_dependencies"]["python"]
    if any(re.search(r"[<>=!~;]", dep) for dep in external):
        assert "packaging" in external
