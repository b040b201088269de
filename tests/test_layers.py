"""The import arrows of docs/architecture.md: Odoo models → store/ → engine → planner →
mapping, never back."""

import ast
import pathlib

ADDON = pathlib.Path(__file__).resolve().parent.parent / "crm_google_calendar_sync"
ODOO_SIDE = ("models", "controllers", "wizard")


def imported_modules(path):
    """The absolute or addon-relative names ``path`` imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.add(base)
            names.update(
                f"{base}.{alias.name}" if node.module else base + alias.name for alias in node.names
            )
    return names


def python_files(package):
    return sorted((ADDON / package).glob("*.py"))


def test_the_engine_imports_nothing_of_odoo_or_the_addon_around_it():
    for path in python_files("sync"):
        for name in imported_modules(path):
            assert not name.split(".")[0] == "odoo", f"{path.name} imports {name}"
            assert not name.startswith(".."), f"{path.name} imports {name}"


def test_the_store_imports_no_model_controller_or_wizard():
    for path in python_files("store"):
        for name in imported_modules(path):
            for package in ODOO_SIDE:
                assert not name.startswith(f"..{package}"), f"{path.name} imports {name}"
                assert f"crm_google_calendar_sync.{package}" not in name, path.name


def test_the_engine_layers_point_down():
    """The port and the mapping import no engine module above them at run time."""
    above = {"engine", "planner", "google_client"}
    for module in ("port", "mapping", "fingerprint", "recurrence", "ids"):
        path = ADDON / "sync" / f"{module}.py"
        tree = ast.parse(path.read_text())
        # Imports under "if TYPE_CHECKING:" name types only.
        typing_only = {
            id(child)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
            for child in ast.walk(node)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and id(node) not in typing_only and node.level:
                names = {node.module or ""} | {alias.name for alias in node.names}
                assert not names & above, f"{module}.py imports {names & above}"
