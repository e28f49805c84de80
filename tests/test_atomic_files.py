"""Small files replaced whole (assets/atomic_files.py)."""

from __future__ import annotations

import pytest

from assets.atomic_files import write_text_atomic


def test_text_is_written_as_utf8_in_a_new_folder(tmp_path):
    path = tmp_path / "made" / "version.txt"
    write_text_atomic(path, "参考数据 v2\n")
    assert path.read_bytes() == "参考数据 v2\n".encode("utf-8")
    assert sorted(p.name for p in path.parent.iterdir()) == ["version.txt"]


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_beside_it(tmp_path):
    path = tmp_path / "inputs.txt"
    write_text_atomic(path, "old")
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(path, "half \ud800 written")  # a lone surrogate has no UTF-8
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["inputs.txt"]
