"""The import contracts (pyproject.toml, ``lint-imports`` in ``make lint``): the tree keeps them, and
an import that points up breaks them, naming the contract."""

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"][
    "root_packages"
]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path):
    """A copy of the packages and the contracts, to break on purpose."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_import(tree: Path, module: str, line: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_tree_keeps_every_contract():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_bottom_app_importing_the_pages_breaks_the_app_order(tree):
    add_import(tree, "tasks.weeks", "import web")

    result = lint_imports(tree)

    assert result.returncode != 0
    assert (
        "Apps point down: demo, web, dispatch, reports, accountability | accounts, tasks BROKEN"
        in result.stdout
    )
    assert "tasks.weeks -> web" in result.stdout


def test_a_function_local_upward_import_is_caught_too(tree):
    add_import(
        tree, "dispatch.services", "def _late():\n    from dispatch.tasks import announce_bulletin_task"
    )

    result = lint_imports(tree)

    assert result.returncode != 0
    assert "Layers point down: interfaces, services, models, shared basics, settings BROKEN" in result.stdout
    assert "dispatch.services -> dispatch.tasks" in result.stdout


def test_a_model_importing_a_service_of_another_app_breaks_the_layers(tree):
    add_import(tree, "accountability.models", "from tasks.services import audit")

    result = lint_imports(tree)

    assert result.returncode != 0
    assert "Layers point down: interfaces, services, models, shared basics, settings BROKEN" in result.stdout
    assert "accountability.models -> tasks.services.audit" in result.stdout


def test_the_settings_importing_an_app_break_the_layers(tree):
    add_import(tree, "rectify.settings", "from dispatch import periods")

    result = lint_imports(tree)

    assert result.returncode != 0
    assert "rectify.settings -> dispatch.periods" in result.stdout


TEST_TOOLS = ("unittest", "django.test", "time_machine", "pytest")


def imported_names(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def test_no_app_module_uses_test_tools_at_run_time():
    """The demo's clock is ``tasks.clock``, not ``mock.patch`` or ``override_settings``."""
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in imported_names(path)
        if any(name == tool or name.startswith(tool + ".") for tool in TEST_TOOLS)
    ]

    assert offenders == []
