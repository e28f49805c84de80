"""Planning reads what a staged partition was made from through a memo kept
by the manifest's stat (assets/ingest/staging.ManifestMemo)."""

import os

import polars as pl

from assets.ingest.staging import ManifestMemo


def manifest(path, fingerprints, version="v1"):
    pl.DataFrame({"fingerprint": fingerprints, "reference_version": [version] * len(fingerprints)}).write_parquet(path)
    return path


def test_memo_keeps_what_it_read_until_the_manifest_changes(tmp_path):
    m = manifest(tmp_path / "2026-03-02.parquet", ["b:2", "a:1"])
    memo = ManifestMemo(tmp_path / "memo" / "manifests.json")
    assert memo.recorded(m) == ("a:1", "b:2", "v1")
    memo.save()

    # Same size and time, other content: the memo answers without reading.
    st = m.stat()
    manifest(m, ["c:3", "a:1"])
    assert m.stat().st_size == st.st_size
    os.utime(m, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert ManifestMemo(tmp_path / "memo" / "manifests.json").recorded(m) == ("a:1", "b:2", "v1")

    # Rewritten as staging does (a new time): read again.
    os.utime(m, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert ManifestMemo(tmp_path / "memo" / "manifests.json").recorded(m) == ("a:1", "c:3", "v1")


def test_a_broken_memo_file_only_costs_the_reads(tmp_path):
    m = manifest(tmp_path / "2026-03-02.parquet", ["a:1"])
    (tmp_path / "manifests.json").write_text("{not json", encoding="utf-8")
    assert ManifestMemo(tmp_path / "manifests.json").recorded(m) == ("a:1", "v1")


def test_after_a_run_the_memo_knows_every_staged_manifest(tmp_path):
    """A first load plans before any manifest exists; the run's end teaches
    the memo all of them, so the next planning reads none."""
    import json
    from datetime import date

    from assets.ingest.staging import StagedStore
    from pipelines.planning import MANIFEST_MEMO, remember_staged_manifests

    store = StagedStore(tmp_path / "staged")
    days = {("cases", date(2026, 3, 2)): ["c:1"], ("queue", date(2026, 3, 2)): ["q:1", "q0:9"]}
    for (source, day), fingerprints in days.items():
        store.manifest_path(source, day).parent.mkdir(parents=True)
        manifest(store.manifest_path(source, day), fingerprints)
        store.data_path(source, day).write_bytes(b"data")
    # a manifest without its data file is not a staged partition
    manifest(store.manifest_path("cases", date(2026, 3, 3)), ["c:2"])
    snapshot = tmp_path / "staged" / "_reference"

    remember_staged_manifests(store.root, snapshot)

    memo = json.loads((snapshot / MANIFEST_MEMO).read_text(encoding="utf-8"))
    assert {k: v[1] for k, v in memo.items()} == {
        str(store.manifest_path("cases", date(2026, 3, 2))): ["c:1", "v1"],
        str(store.manifest_path("queue", date(2026, 3, 2))): ["q0:9", "q:1", "v1"],
    }
