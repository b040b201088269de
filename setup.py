"""Packaging of the addon and the Google Calendar emulator.

``pip install .`` puts the addon into the ``odoo.addons`` namespace (so an Odoo 18
installed in the same environment finds it in the Apps menu) together with its
Python dependencies, and installs ``google_calendar_emulator`` as a plain package.
"""

from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
ADDON = "crm_google_calendar_sync"


def _manifest():
    text = (HERE / ADDON / "__manifest__.py").read_text(encoding="utf-8")
    return eval(compile(text, "__manifest__.py", "eval"), {"__builtins__": {}})


def _addon_packages():
    packages = {}
    for init in sorted((HERE / ADDON).rglob("__init__.py")):
        relative = init.parent.relative_to(HERE)
        packages["odoo.addons." + ".".join(relative.parts)] = str(relative)
    return packages


def _addon_data_files():
    # Everything that is not Python source: views, data, security, translations, assets.
    root = HERE / ADDON
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    )


MANIFEST = _manifest()
ADDON_PACKAGES = _addon_packages()

setup(
    name="odoo-addon-" + ADDON,
    version=MANIFEST["version"],
    description=MANIFEST["summary"],
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="LGPL-3",
    python_requires=">=3.10",
    packages=[*ADDON_PACKAGES, "google_calendar_emulator"],
    package_dir={**ADDON_PACKAGES, "google_calendar_emulator": "google_calendar_emulator"},
    package_data={
        "odoo.addons." + ADDON: _addon_data_files(),
        "google_calendar_emulator": ["*.html", "*.json", "*.md"],
    },
    include_package_data=False,
    install_requires=[
        line.strip()
        for line in (HERE / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # The emulator expands recurrence rules with dateutil (Odoo brings it along, a
    # plain environment running `google-calendar-emulator` does not).
    + ["python-dateutil"],
    entry_points={
        "console_scripts": [
            "google-calendar-emulator = google_calendar_emulator.__main__:main",
        ],
    },
    classifiers=[
        "Framework :: Odoo",
        "Framework :: Odoo :: 18.0",
        "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
        "Programming Language :: Python :: 3",
    ],
    zip_safe=False,
)
