"""Great Expectations suites for the staged daily sources.

The suites are derived from the input contract (``assets.ingest.contract``),
not written by hand per source:

* every required column exists and is not null;
* a code column holds only its English codes (nulls are left to the not-null
  check, so an optional code column may be empty);
* a score lies in 1..5, a count or a number is >= 0;
* the row's id (``Source.key``) is not null;
* a few time orders that the contract states in prose (``ORDERED_PAIRS``),
  checked only where both timestamps are present;
* the lineage columns (partition_date, source_file, source_row) are present.

Each expectation is either *blocking* (GX severity ``critical``, meta
``blocking: True``): the downstream cannot trust the data -- a missing required
column, a null id / identifier, a null required timestamp or code, an unknown
code, a score out of range, a negative count; or a *warning* (severity
``warning``): a null in another required column (a boolean, a count, a
score), a time order broken, lineage missing.

``validate_frame`` runs a suite over a polars frame (``validate_files`` over
staged Parquet files, read lazily) with one ephemeral GX context per process
and, when asked, writes Data Docs. GX is imported inside the functions: the
import alone takes about 3 s. A caller validating several sources in a row
passes ``build_docs=False`` and builds the site once at the end
(``build_data_docs``): each build renders the site's index and templates
again, ~0.35 s a time.

At scale GX sees a sample: every rule is first counted exactly over all rows
in one streaming polars pass (``checks.exact_counts``), then GX validates all
rows when there are at most ``SAMPLE_ROWS``, else about ``SAMPLE_ROWS`` of
them spread over every day of the frame. A rule fails when its exact count is
not zero or GX fails it; messages give the count over all rows.

Data Docs and several processes: GX's site index builder deletes every page
whose validation result is not in the context's results store. An ephemeral
context keeps its results in memory, so each new process would wipe the pages
of the previous ones. Each docs directory therefore gets a filesystem results
store of its own (``<docs_dir>/.validation_results``) that feeds the site, and
pages accumulate across runs. GX's own index (the newest
``INDEX_RESULTS_LIMIT`` validations, drawn by scripts from CDNs) is replaced
after each build by one that reads offline (``checks.gx_docs_offline``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from assets.ingest import contract as c
from checks.exact_counts import ExactCounts, count_unexpected, examples, sample
from checks.gx_docs_offline import make_pages_offline, write_offline_index

BLOCKING = "blocking"
WARNING = "warning"

# Time orders the contract states in prose ("a finish before its start goes to
# quarantine"): (later column, earlier column, blocking?). Checked only where
# both values are present (optional timestamps may be empty).
ORDERED_PAIRS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "queue": (
        ("called_at", "issued_at", False),
        ("finished_at", "called_at", False),
        ("finished_at", "issued_at", False),  # still checked when called_at is empty
    ),
    "leave": (("leave_end", "leave_start", False),),
    "cases": (("completed_at", "received_at", False),),
}

# Ranges by kind of column (min, max); None = unbounded.
KIND_RANGES: dict[str, tuple[int | None, int | None]] = {
    c.SCORE: (1, 5),
    c.COUNT: (0, None),
    c.NUMBER: (0, None),
}

# GX validates every row of a run up to this many, else a sample of about this
# many (pandas holds ~0.5 KB a row here: ~100 MB; GX takes ~1-2 s on it).
SAMPLE_ROWS = 200_000
INDEX_RESULTS_LIMIT = 100  # validations listed on the Data Docs index page (keeps builds ~0.4 s)
OFFLINE_INDEX_PER_SOURCE = 30  # validations per source on the index written for reading offline
RESULTS_SUBDIR = ".validation_results"  # per docs dir: the results behind the pages
_EXAMPLES = 3  # unexpected values quoted in a failure message


@dataclass(frozen=True)
class Rule:
    """One expectation of a suite, independent of GX (cheap to build and test)."""

    expectation: str  # GX class name, e.g. "ExpectColumnValuesToBeInSet"
    kwargs: dict[str, Any]
    blocking: bool
    why: str

    @property
    def column(self) -> str:
        if "column" in self.kwargs:
            return self.kwargs["column"]
        return f"{self.kwargs['column_A']}>={self.kwargs['column_B']}"

    @property
    def columns(self) -> tuple[str, ...]:
        if "column" in self.kwargs:
            return (self.kwargs["column"],)
        return (self.kwargs["column_A"], self.kwargs["column_B"])


@dataclass
class GxOutcome:
    source: str
    success: bool  # every blocking expectation passed
    blocking_failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    evaluated: int = 0  # expectations evaluated
    rows: int = 0  # rows of the frame: every rule is counted over all of them
    gx_rows: int = 0  # rows GX validated: all, or a sample of a large frame
    docs_index: Path | None = None  # Data Docs index.html, when docs_dir was given and the site built
    docs_keys: list = field(default_factory=list)  # GX ids of the pages this validation adds to the site
    seconds: float = 0.0
    # validated as its staging step announced the files, before the GX step
    # asked (checks.gx_process); else when the step asked
    validated_while_staging: bool = False

    @property
    def sampled(self) -> bool:
        return self.gx_rows < self.rows


def _is_identifier(src: c.Source, col: c.Column) -> bool:
    # Every required TEXT column of a daily source is an id: the row's own key
    # or a reference to a window / staff member / matter / case.
    return col.name == src.key or (col.kind == c.TEXT and col.name.endswith(("_id", "_code")))


def suite_rules(source: str) -> list[Rule]:
    """The expectations of ``source`` as plain data, derived from the contract."""
    src = c.DAILY_SOURCES[source]
    rules: list[Rule] = []
    for col in src.columns:
        name = col.name
        if col.required:
            rules.append(Rule("ExpectColumnToExist", {"column": name}, True, "required column"))
        if col.required or name == src.key:
            blocking = _is_identifier(src, col) or col.kind in (c.TIMESTAMP, c.CODE)
            what = "id" if _is_identifier(src, col) else f"required {col.kind}"
            rules.append(
                Rule("ExpectColumnValuesToNotBeNull", {"column": name}, blocking, f"{what} not null")
            )
        if col.kind == c.CODE:
            rules.append(
                Rule(
                    "ExpectColumnValuesToBeInSet",
                    {"column": name, "value_set": sorted(col.codes)},
                    True,
                    "known English code",
                )
            )
        if col.kind in KIND_RANGES:
            lo, hi = KIND_RANGES[col.kind]
            rules.append(
                Rule(
                    "ExpectColumnValuesToBeBetween",
                    {"column": name, "min_value": lo, "max_value": hi},
                    True,
                    f"{col.kind} in range",
                )
            )
    names = {col.name for col in src.columns}
    for later, earlier, blocking in ORDERED_PAIRS.get(source, ()):
        assert later in names and earlier in names, (source, later, earlier)
        rules.append(
            Rule(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {
                    "column_A": later,
                    "column_B": earlier,
                    "or_equal": True,
                    "ignore_row_if": "either_value_is_missing",
                },
                blocking,
                "time order",
            )
        )
    for name in c.LINEAGE_SCHEMA:
        rules.append(Rule("ExpectColumnToExist", {"column": name}, False, "lineage"))
        rules.append(Rule("ExpectColumnValuesToNotBeNull", {"column": name}, False, "lineage"))
    rules.append(
        Rule(
            "ExpectColumnValuesToBeBetween",
            {"column": "source_row", "min_value": 1, "max_value": None},
            False,
            "lineage",
        )
    )
    return rules


def expectations_for(source: str) -> list:
    """GX 1.x Expectation objects for a daily source (severity + meta mark blocking)."""
    import great_expectations as gx
    from great_expectations.expectations.metadata_types import FailureSeverity

    out = []
    for rule in suite_rules(source):
        cls = getattr(gx.expectations, rule.expectation)
        out.append(
            cls(
                **rule.kwargs,
                severity=FailureSeverity.CRITICAL if rule.blocking else FailureSeverity.WARNING,
                meta={BLOCKING: rule.blocking, "why": rule.why},
            )
        )
    return out


# ---- one ephemeral GX context per process -----------------------------------

_LOCK = threading.RLock()
_STATE: dict[str, Any] = {}  # "ctx", "datasource", "vds": {source: vd}, "sites": {dir: (site, store)}

_DATASOURCE = "windowwatch"


def _context():
    """The process's GX context, created on first use with every suite added."""
    if "ctx" in _STATE:
        return _STATE["ctx"]
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    datasource = ctx.data_sources.add_pandas(_DATASOURCE)
    # Every suite up front: the site index drops expectation pages of suites the
    # context does not know, even those written by an earlier process.
    for source in c.DAILY_SOURCES:
        ctx.suites.add(gx.ExpectationSuite(name=source, expectations=expectations_for(source)))
    _STATE.update(ctx=ctx, datasource=datasource, vds={}, sites={})
    return ctx


def _validation_definition(source: str):
    vds = _STATE["vds"]
    if source not in vds:
        import great_expectations as gx

        ctx = _STATE["ctx"]
        asset = _STATE["datasource"].add_dataframe_asset(name=source)
        batch_def = asset.add_batch_definition_whole_dataframe("whole_frame")
        vds[source] = ctx.validation_definitions.add(
            gx.ValidationDefinition(name=source, data=batch_def, suite=ctx.suites.get(source))
        )
    return vds[source]


def _site_for(docs_dir: Path) -> tuple[str, Any]:
    """(site name, results store) of a docs directory, added once per context."""
    key = str(docs_dir)
    sites = _STATE["sites"]
    if key not in sites:
        ctx = _STATE["ctx"]
        tag = hashlib.sha1(key.encode()).hexdigest()[:10]
        site, store_name = f"ww_docs_{tag}", f"ww_results_{tag}"
        store = ctx.add_store(
            store_name,
            {
                "class_name": "ValidationResultsStore",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir / RESULTS_SUBDIR),
                },
            },
        )
        ctx.add_data_docs_site(
            site,
            {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "validation_results_limit": INDEX_RESULTS_LIMIT,
                },
                "site_section_builders": {
                    "validations": {"source_store_name": store_name},
                    "profiling": "None",
                },
            },
        )
        sites[key] = (site, store)
    return sites[key]


def reset_context() -> None:
    """Forget the process's GX context (tests use it to act as a new process)."""
    with _LOCK:
        _STATE.clear()


# ---- validation ---------------------------------------------------------------


def _conform(source: str, frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add optional contract columns the frame lacks, as nulls (the contract
    allows them to be missing); required ones are left missing for GX to report."""
    src = c.DAILY_SOURCES[source]
    names = set(frame.collect_schema().names())
    missing = [col for col in src.columns if not col.required and col.name not in names]
    if not missing:
        return frame
    return frame.with_columns(pl.lit(None, dtype=col.dtype).alias(col.name) for col in missing)


def _suite_columns(rules: list[Rule], present: list[str]) -> list[str]:
    """The frame's columns that some rule names, in the frame's order (GX needs no others)."""
    named = {col for rule in rules for col in rule.columns}
    return [name for name in present if name in named]


def _run_name(source: str, counts: ExactCounts) -> str:
    """"<source>-<first day>..<last day>", "<source>-<day>", or "<source>"
    alone when the validated frame had no rows (``run_days`` reads it back)."""
    first, last = counts.first_day, counts.last_day
    if first is None:
        return source
    return f"{source}-{first}" if first == last else f"{source}-{first}..{last}"


_RUN_DAYS = re.compile(r"-(\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2}))?$")


def run_days(run_name: str) -> tuple[_dt.date, _dt.date] | None:
    """The first and last data day a validation covered, from its run name
    (``_run_name``); None when it covered no rows."""
    m = _RUN_DAYS.search(run_name or "")
    if not m:
        return None
    try:
        first = _dt.date.fromisoformat(m.group(1))
        return first, _dt.date.fromisoformat(m.group(2)) if m.group(2) else first
    except ValueError:
        return None


def _label(rule: Rule) -> str:
    return f"{rule.expectation}({rule.column})"


def _describe(rule: Rule, result) -> str:
    label = _label(rule)
    exc = result.exception_info or {}
    if exc.get("raised_exception") is None and exc:  # {metric id: {...}} in GX 1.x
        exc = next(iter(exc.values()), {})
    if exc.get("raised_exception"):
        message = str(exc.get("exception_message") or "error").splitlines()[0]
        return f"{label}: error: {message}"
    res = result.result or {}
    if rule.expectation == "ExpectColumnToExist":
        return f"{label}: column missing"
    if "unexpected_count" in res:
        examples = []
        if rule.expectation != "ExpectColumnValuesToNotBeNull":  # nulls say nothing
            examples = (res.get("partial_unexpected_list") or [])[:_EXAMPLES]
        return _unexpected_text(label, res["unexpected_count"], res.get("element_count"), examples)
    return f"{label}: failed"


def _unexpected_text(label: str, count: int, total: int | None, examples: list) -> str:
    of = f" of {total}" if total is not None else ""
    shown = ", ".join(_show(v) for v in examples)
    return f"{label}: {count}{of} rows unexpected" + (f", e.g. {shown}" if shown else "")


def _show(value) -> str:
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    if isinstance(value, str):
        return repr(value)
    if type(value).__name__ in ("datetime64", "Timestamp", "datetime"):
        text = str(value).replace("T", " ")
        return text[:19] if len(text) > 19 and text[19:].strip(".0") == "" else text
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def validate_files(
    source: str,
    files: list[Path],
    docs_dir: Path | None = None,
    sample_rows: int = SAMPLE_ROWS,
    *,
    build_docs: bool = True,
) -> GxOutcome:
    """Validate staged Parquet files (the days of a run), read lazily."""
    if not files:
        frame = pl.DataFrame(schema=c.staged_schema(source))
    else:
        frame = pl.scan_parquet([str(p) for p in files])
    return validate_frame(source, frame, docs_dir, sample_rows, build_docs=build_docs)


def validate_frame(
    source: str,
    frame: pl.DataFrame | pl.LazyFrame,
    docs_dir: Path | None = None,
    sample_rows: int = SAMPLE_ROWS,
    *,
    build_docs: bool = True,
) -> GxOutcome:
    """Validate a staged daily frame against its suite; with docs_dir, keep
    its result for Data Docs and build the site (unless ``build_docs`` is
    False: the caller then passes ``docs_keys`` to ``build_data_docs``).

    Every rule is counted exactly over all rows in polars; GX validates all
    rows too when there are at most ``sample_rows``, else about ``sample_rows``
    of them spread over every day (``exact_counts.sample``). A rule fails when
    either says so: the count over all rows is what the message reports."""
    import time

    if source not in c.DAILY_SOURCES:
        raise KeyError(f"unknown daily source {source!r}; one of {sorted(c.DAILY_SOURCES)}")
    started = time.perf_counter()
    rules = suite_rules(source)
    lazy = _conform(source, frame.lazy())
    present = lazy.collect_schema().names()
    counts = count_unexpected(rules, lazy)
    batch = (
        sample(lazy, counts.rows, sample_rows)
        .select(_suite_columns(rules, present))
        .collect(engine="streaming")
    )
    pdf = batch.to_pandas()
    result, docs_keys = _run_gx(source, pdf, _run_name(source, counts), docs_dir)
    docs_index = build_data_docs(docs_dir, docs_keys) if docs_dir is not None and build_docs else None

    outcome = GxOutcome(
        source=source,
        success=True,
        evaluated=int(result.statistics.get("evaluated_expectations", len(result.results))),
        rows=counts.rows,
        gx_rows=batch.height,
        docs_index=docs_index,
        docs_keys=docs_keys,
    )
    gx_results = {_config_key_from_gx(res.expectation_config): res for res in result.results}
    missing_columns = {
        r.kwargs["column"]
        for r in rules
        if r.expectation == "ExpectColumnToExist" and r.kwargs["column"] not in present
    }
    for i, rule in enumerate(rules):
        if rule.expectation != "ExpectColumnToExist" and set(rule.columns) & missing_columns:
            continue  # the missing column is already reported once
        res = gx_results.get(_config_key(rule.expectation, rule.kwargs))
        bad_rows = counts.unexpected.get(i, 0)
        if bad_rows:
            shown = []
            if rule.expectation != "ExpectColumnValuesToNotBeNull":  # nulls say nothing
                shown = examples(rule, lazy, _EXAMPLES)
            text = _unexpected_text(_label(rule), bad_rows, counts.rows, shown)
        elif rule.expectation == "ExpectColumnToExist" and rule.kwargs["column"] in missing_columns:
            text = f"{_label(rule)}: column missing"
        elif res is not None and not res.success:  # an error, or GX disagrees with the count
            text = _describe(rule, res)
            if outcome.sampled:
                text += f" (GX, in a sample of {outcome.gx_rows} rows)"
        else:
            continue
        if rule.blocking:
            outcome.blocking_failures.append(text)
        else:
            outcome.warnings.append(text)
    outcome.success = not outcome.blocking_failures
    outcome.seconds = time.perf_counter() - started
    return outcome


def _run_gx(source: str, pdf, run_name: str, docs_dir: Path | None):
    """Run the suite's validation definition on a pandas frame; (result, the
    GX ids of its Data Docs pages). With docs_dir the result is kept in that
    site's results store; the site itself is built by ``build_data_docs``."""
    with _LOCK:
        from great_expectations.core.run_identifier import RunIdentifier

        ctx = _context()
        vd = _validation_definition(source)
        run_id = RunIdentifier(run_name=run_name, run_time=_dt.datetime.now(_dt.timezone.utc))
        result = vd.run(batch_parameters={"dataframe": pdf}, result_format="BASIC", run_id=run_id)
        memory_store = ctx.validation_results_store
        keys = [k for k in memory_store.list_keys() if k.run_id == run_id]
        docs_keys: list = []
        if docs_dir is not None:
            _site, store = _site_for(Path(docs_dir).absolute())
            for key in keys:
                store.set(key, result)
            docs_keys = [*keys, *([keys[0].expectation_suite_identifier] if keys else [])]
        for key in keys:  # the in-memory store would grow with every call
            memory_store.remove_key(key)
    return result, docs_keys


def build_data_docs(docs_dir: Path, docs_keys: list) -> Path:
    """Build the Data Docs site of ``docs_dir`` once for the given validations
    (pages of earlier ones stay); the path of its index page."""
    with _LOCK:
        _context()
        docs_dir = Path(docs_dir).absolute()
        site, _store = _site_for(docs_dir)
        started = time.time() - 1  # a page's mtime may be rounded down
        _STATE["ctx"].build_data_docs(site_names=[site], resource_identifiers=list(docs_keys))
        make_pages_offline(docs_dir, since=started)
        return write_offline_index(docs_dir, docs_dir / RESULTS_SUBDIR, OFFLINE_INDEX_PER_SOURCE)


def validate_sources(requests: list[tuple[str, list[Path]]], docs_dir: Path) -> tuple[dict[str, GxOutcome], Path | None]:
    """Validate each (source, staged files) in turn, then build the Data Docs
    site once for all of them; (outcome per source, the site's index or None
    when nothing was validated)."""
    outcomes = validate_sources_without_docs(requests, docs_dir)
    docs_keys = docs_keys_of(outcomes)
    return outcomes, (build_data_docs(docs_dir, docs_keys) if docs_keys else None)


def validate_sources_without_docs(requests: list[tuple[str, list[Path]]], docs_dir: Path) -> dict[str, GxOutcome]:
    """The outcomes of validate_sources; their results are stored for the
    Data Docs site, which build_data_docs(docs_dir, docs_keys_of(outcomes)) builds."""
    return {source: validate_files(source, files, docs_dir, build_docs=False) for source, files in requests}


def docs_keys_of(outcomes: dict[str, GxOutcome]) -> list:
    return [key for outcome in outcomes.values() for key in outcome.docs_keys]


def docs_index_of(docs_dir: Path) -> Path:
    """Where build_data_docs puts the site's index page (the site's base directory)."""
    return Path(docs_dir).absolute() / "index.html"


def _class_name(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def _config_key(expectation: str, kwargs: dict) -> tuple:
    cols = (kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B"))
    return (expectation, cols)


def _config_key_from_gx(cfg) -> tuple:
    return _config_key(_class_name(cfg.type), dict(cfg.kwargs))
