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
