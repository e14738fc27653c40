"""What an ordinary install ships: every file a package of the project reads (templates, catalogues, rule
files, static files) is declared in ``pyproject.toml``, so that a wheel holds it and not only the
editable install ``make`` makes."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib", reason="tomllib, which reads pyproject.toml, comes with Python 3.11")

ROOT = Path(__file__).resolve().parent.parent
CODE = {".py", ".pyc"}


def _setuptools() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_data_file_of_a_package_is_declared() -> None:
    """Each file beside a package's modules that is not code matches one of that package's declared
    patterns; a folder holding such files is itself a declared package."""
    config = _setuptools()
    packages, data = set(config["packages"]), config["package-data"]
    undeclared = []
    for package in sorted(packages):
        folder = ROOT / package.replace(".", "/")
        patterns = data.get(package, [])
        for path in sorted(folder.iterdir()):
            if path.is_dir():
                if path.name != "__pycache__" and any(p.is_file() for p in path.iterdir()) and \
                        f"{package}.{path.name}" not in packages:
                    undeclared.append(f"{path.relative_to(ROOT)}/ (not a declared package)")
            elif path.suffix not in CODE and not any(fnmatch.fnmatch(path.name, p) for p in patterns):
                undeclared.append(str(path.relative_to(ROOT)))
    assert undeclared == []


def test_every_folder_of_modules_is_a_declared_package() -> None:
    """A folder of the project's code with an ``__init__.py`` is shipped."""
    packages = set(_setuptools()["packages"])
    found = {str(init.parent.relative_to(ROOT)).replace("/", ".")
             for top in ("engine", "explanations", "web", "rules") for init in (ROOT / top).rglob("__init__.py")}
    assert found <= packages, sorted(found - packages)
