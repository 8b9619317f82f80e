"""What start-up imports: heavy libraries load where they are used, not on import.

Not a timing (those live in benchmarks/bench_startup.py): which modules a fresh
interpreter holds after ``import fairloop`` and after loading the command line.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "duckdb", "scipy", "sqlalchemy", "plotly", "jinja2", "sklearn", "pyarrow")


def _loaded(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return {name.split(".")[0] for name in json.loads(out.stdout.strip().splitlines()[-1])}


def test_import_fairloop_loads_no_heavy_library() -> None:
    assert not set(HEAVY) & _loaded("import fairloop")


def test_the_command_line_loads_no_heavy_library_until_a_command_runs() -> None:
    assert not set(HEAVY) & _loaded("import fairloop.cli")


def test_an_audit_loads_neither_the_store_nor_the_report() -> None:
    loaded = _loaded("from fairloop import audit, AuditConfig")
    assert not {"sqlalchemy", "plotly", "jinja2", "sklearn", "scipy"} & loaded


def test_fairloop_audit_is_the_function_whatever_was_imported_first() -> None:
    probe = (
        "import fairloop.cli._audit, fairloop._audit, fairloop\n"
        "assert fairloop.audit is fairloop._audit.audit, fairloop.audit\n"
        "from fairloop import audit\n"
        "assert callable(audit)\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)


def test_no_public_name_is_also_a_submodule() -> None:
    """A submodule named like a public name would replace it once anything imports it."""
    import pkgutil

    import fairloop

    submodules = {m.name for m in pkgutil.iter_modules(fairloop.__path__)}
    assert not submodules & set(fairloop.__all__)
