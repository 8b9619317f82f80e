"""The built wheel carries the package data a non-editable install needs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

#: Builds and installs a wheel: the full suite only.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{proc.stderr[-2000:]}")
    (path,) = out.glob("fairloop-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_has_package_data(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert "fairloop/py.typed" in names
    assert "fairloop/data/metrics.toml" in names
    for name in (
        "report.html.j2",
        "base.html.j2",
        "notebook.html.j2",
        "assets/report.css",
        "assets/report.js",
        "sections/_controls.html.j2",
        "macros/_cells.html.j2",
    ):
        assert f"fairloop/templates/{name}" in names, name
    for name in (
        "controls/eu_ai_act.toml",
        "controls/nist_ai_rmf.toml",
        "evidence_keys.toml",
        "safeguards.toml",
        "policy.toml",
    ):
        assert f"fairloop/data/{name}" in names, name
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)


def test_wheel_declares_the_console_script(wheel: zipfile.ZipFile) -> None:
    entry_points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "fairloop = fairloop.cli:main" in wheel.read(entry_points).decode()


def test_installed_wheel_renders_the_report(wheel: zipfile.ZipFile, tmp_path: Path) -> None:
    """The templates are found inside an installed wheel, not only in the checkout."""
    target = tmp_path / "site"
    wheel.extractall(target)  # the wheel's files, as an install lays them out
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import fairloop, fairloop.report._environment as e;"
        "assert fairloop.__file__.startswith(sys.argv[1]), fairloop.__file__;"
        "print(e.template_dir())"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True,
                          text=True, check=False, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(target / "fairloop" / "templates")
