"""Stand-ins for modules imported but not used (pipelines/deferred_import.py),
each case in a fresh interpreter: ``sys.modules`` is the process's own."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_fresh(code: str) -> dict:
    """Run ``code`` in a new interpreter at the project root; the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_stand_in_imports_the_module_when_first_used():
    out = run_fresh(
        """
        import json, sys
        from pipelines.deferred_import import defer_import, is_deferred

        put = defer_import("colorsys")
        import colorsys
        before = is_deferred("colorsys")
        hsv = colorsys.rgb_to_hsv(1.0, 0.0, 0.0)  # red
        print(json.dumps({"put": put, "before": before, "after": is_deferred("colorsys"),
                          "hsv": hsv, "real": sys.modules["colorsys"].__file__.endswith("colorsys.py"),
                          "again": defer_import("colorsys")}))
        """
    )
    assert out == {"put": True, "before": True, "after": False, "hsv": [0.0, 1.0, 1.0], "real": True, "again": False}


def test_importing_a_submodule_of_a_deferred_package_loads_the_package():
    out = run_fresh(
        """
        import json
        from pipelines.deferred_import import defer_import, is_deferred

        defer_import("xml.dom")
        import xml.dom.minidom  # the import system needs the package's __path__
        tag = xml.dom.minidom.parseString("<window id='B19'/>").documentElement.getAttribute("id")
        print(json.dumps({"deferred": is_deferred("xml.dom"), "id": tag}))
        """
    )
    assert out == {"deferred": False, "id": "B19"}


def test_a_module_that_cannot_be_found_gets_no_stand_in():
    out = run_fresh(
        """
        import json, sys
        from pipelines.deferred_import import defer_import

        print(json.dumps({"put": defer_import("windowwatch_no_such_module"),
                          "listed": "windowwatch_no_such_module" in sys.modules}))
        """
    )
    assert out == {"put": False, "listed": False}


def test_gx_imports_and_validates_without_the_modules_the_child_defers():
    # What the GX child (checks/gx_process.py) counts on: GX's import and a
    # validation with its Data Docs leave scipy.stats and altair unimported.
    out = run_fresh(
        """
        import json, tempfile, warnings
        from pathlib import Path
        warnings.filterwarnings("ignore")
        from checks.gx_process import GX_UNUSED_IMPORTS
        from pipelines.deferred_import import defer_import, is_deferred

        for name in GX_UNUSED_IMPORTS:
            defer_import(name)
        import great_expectations
        import polars as pl
        from assets.ingest import contract
        from checks.gx_suites import validate_sources_without_docs, build_data_docs, docs_keys_of

        docs = Path(tempfile.mkdtemp()) / "docs"
        empty = Path(tempfile.mkdtemp()) / "leave.parquet"
        pl.DataFrame(schema=contract.staged_schema("leave")).write_parquet(empty)
        outcomes = validate_sources_without_docs([("leave", [empty])], docs)
        index = build_data_docs(docs, docs_keys_of(outcomes))
        print(json.dumps({"success": outcomes["leave"].success, "docs": index.is_file(),
                          "deferred": {n: is_deferred(n) for n in GX_UNUSED_IMPORTS}}))
        """
    )
    assert out == {"success": True, "docs": True, "deferred": {"scipy.stats": True, "altair": True}}
