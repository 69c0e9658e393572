"""compiler.output: atomic writes that never clobber the input or a device."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from compiler import output
from compiler.output import OutputError, SameFileError, check_not_input, write_atomic


def test_writes_text_and_creates_parent_directories(tmp_path):
    target = tmp_path / "build" / "deep" / "m.py"
    write_atomic(target, "x = 1\n")
    assert target.read_text() == "x = 1\n"
    assert [p.name for p in target.parent.iterdir()] == ["m.py"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "m.py"
    target.write_text("old\n")

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "replace", fail)
    with pytest.raises(OutputError, match="No space left on device"):
        write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["m.py"]


def test_keeps_the_mode_of_an_existing_file(tmp_path):
    target = tmp_path / "m.py"
    target.write_text("old\n")
    target.chmod(0o640)
    write_atomic(target, "new\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_new_file_gets_the_usual_mode(tmp_path):
    target = tmp_path / "m.py"
    write_atomic(target, b"\x00binary")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert target.read_bytes() == b"\x00binary"


def test_a_symlink_is_kept_and_its_target_replaced(tmp_path):
    real = tmp_path / "real.py"
    real.write_text("old\n")
    link = tmp_path / "link.py"
    link.symlink_to(real)
    write_atomic(link, "new\n")
    assert link.is_symlink() and real.read_text() == "new\n"


def test_a_fifo_is_written_into_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()))
    reader.start()
    write_atomic(fifo, "through the pipe\n")
    reader.join(timeout=10)
    assert received == [b"through the pipe\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(OutputError, match="is a directory"):
        write_atomic(tmp_path, "x\n")


def test_the_input_spec_is_never_overwritten(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text("{}")
    alias = tmp_path / "alias.json"
    alias.symlink_to(spec)
    for out in (spec, tmp_path / "." / "spec.json", alias):
        with pytest.raises(SameFileError, match="refusing to write the output over the input spec"):
            write_atomic(out, "x\n", spec=spec)
    assert spec.read_text() == "{}"
    check_not_input(tmp_path / "other.py", spec)
