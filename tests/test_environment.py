"""The build scaffolding stays consistent: pyproject.toml, environment.yml, Makefile and .ci/run.

pip users install from pyproject.toml, conda users from environment.yml; both must bring the same
packages. CI runs `.ci/run`, which must run `make test`, which must check the notebooks with nbval
in the project's own environment (not whatever Jupyter kernel happens to be installed system-wide).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "coopconc"


def normalise(requirement: str) -> str:
    """`Pytest_Timeout>=2 ; python_version<'4'` -> `pytest-timeout` (extras, versions, markers gone)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, f"cannot read a package name from {requirement!r}"
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def pyproject_names() -> set[str]:
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11+")
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    requirements = list(project.get("dependencies", []))
    for group in project.get("optional-dependencies", {}).values():
        requirements.extend(group)
    # `coopconc[course,test]` in the dev group refers to the other groups, not to a package.
    return {normalise(r) for r in requirements} - {PROJECT}


def environment_yml_names() -> set[str]:
    """Read the `dependencies:` list of environment.yml without a YAML library.

    Only the simple shape we use is understood: `- name` items directly under `dependencies:`.
    A nested mapping item (`- pip:` and the list indented under it) is skipped.
    """
    names: set[str] = set()
    in_dependencies = False
    item_indent: int | None = None
    for raw in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            in_dependencies = line == "dependencies:"
            continue
        if not in_dependencies or not line.lstrip().startswith("- "):
            continue
        if item_indent is None:
            item_indent = indent
        if indent != item_indent:
            continue  # deeper: an entry of a nested list such as `pip:`
        item = line.lstrip()[2:].strip()
        if item.endswith(":") or ": " in item:
            continue  # `- pip:` or `- pip: [...]`
        names.add(normalise(item))
    return names - {"python", "pip"}


def test_pyproject_and_environment_yml_list_the_same_packages():
    in_pyproject = pyproject_names()
    in_conda = environment_yml_names()
    assert in_pyproject, "found no dependencies in pyproject.toml"
    missing_from_conda = sorted(in_pyproject - in_conda)
    missing_from_pyproject = sorted(in_conda - in_pyproject)
    problems = []
    if missing_from_conda:
        problems.append(f"in pyproject.toml but missing from environment.yml: {missing_from_conda}")
    if missing_from_pyproject:
        problems.append(
            f"in environment.yml but missing from pyproject.toml: {missing_from_pyproject}"
        )
    assert not problems, "; ".join(problems)


def test_environment_yml_installs_the_package_itself():
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s*-\s*pip:", text, re.M), "environment.yml has no `- pip:` entry"
    assert re.search(r"-e \.", text), "environment.yml should pip-install the package with `-e .`"


def test_ci_runs_make_test():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in script.splitlines() if not line.lstrip().startswith("#")]
    assert "make test" in commands, ".ci/run must run `make test`"


def test_make_test_runs_unit_tests_and_nbval_in_the_current_env():
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    # -n prints the commands (variables expanded) without running them.
    result = subprocess.run(
        [make, "-n", "test"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    lines = result.stdout.splitlines()
    assert any("-m pytest tests" in line for line in lines), (
        "`make test` does not run the unit tests; it would run:\n" + result.stdout
    )
    nbval_lines = [line for line in lines if "--nbval" in line and "notebooks" in line]
    assert nbval_lines, "`make test` does not run nbval on notebooks/:\n" + result.stdout
    assert all("--nbval-current-env" in line for line in nbval_lines), (
        "nbval must use the project's environment (--nbval-current-env):\n" + "\n".join(nbval_lines)
    )
