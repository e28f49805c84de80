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
        "../cases/_files/2026-03-02.parquet": ["c:1", "v1"],
        "../queue/_files/2026-03-02.parquet": ["q0:9", "q:1", "v1"],
    }


def test_a_copied_home_keeps_its_memo(tmp_path):
    """The memo names a manifest from its own folder: after ``cp -a`` of the
    whole home the copy answers from the memo (the content below differs from
    the memo's, so an answer read from the file would show it)."""
    import shutil

    home = tmp_path / "home"
    (home / "staged" / "cases").mkdir(parents=True)
    m = manifest(home / "staged" / "cases" / "2026-03-02.parquet", ["a:1"])
    memo = ManifestMemo(home / "staged" / "_reference" / "manifests.json")
    assert memo.recorded(m) == ("a:1", "v1")
    memo.save()
    st = m.stat()
    manifest(m, ["b:1"])  # same size, then the old time back
    assert m.stat().st_size == st.st_size
    os.utime(m, ns=(st.st_atime_ns, st.st_mtime_ns))
    shutil.copytree(home, tmp_path / "copy")  # copies the times, as cp -a does
    copy = tmp_path / "copy" / "staged"
    assert ManifestMemo(copy / "_reference" / "manifests.json").recorded(copy / "cases" / "2026-03-02.parquet") == ("a:1", "v1")
