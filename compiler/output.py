"""Writing compiler outputs: atomically, and never over an input.

`check_outputs` is the one place where a command's outputs (the module, IR dumps,
pictures, NIR files, weights, plots) meet its inputs (the spec, weight and input
files, the NIR file): no output may be an input or another output (same real path).
`write_outputs` checks them all, then writes each with `write_atomic` and, if one
fails, puts back those already written, so a command writes all of its files or none.

`write_atomic` writes to a temporary file in the destination directory and
renames it into place, so a reader (or a failed run) never sees a partial file
and an existing output is untouched unless the write fully succeeded. A symlink
is followed (its target is replaced); a device or FIFO such as /dev/null is
written into directly, never replaced.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


class OutputError(Exception):
    """The output cannot be written (message says why)."""


class SameFileError(OutputError):
    """The output path is the input spec: a usage error."""


def check_not_input(out: Path, source: Path, what: str = "the input spec") -> None:
    """Refuse an output path that is an input (the spec, a weights file) itself (same real path)."""
    check_outputs([(out, "the output")], [(source, what)])


def check_outputs(outputs: Iterable[tuple[Path, str]], inputs: Iterable[tuple[Path, str]]) -> None:
    """SameFileError unless every output (path, what it is) is neither an input (path, what it
    is) nor another output, compared by real path (through symlinks and `..`)."""
    inputs = [(os.path.realpath(path), path, what) for path, what in inputs]
    seen: dict[str, str] = {}
    for out, role in outputs:
        real = os.path.realpath(out)
        for other, path, what in inputs:
            if real == other:
                raise SameFileError(f"refusing to write {role} over {what} {str(path)!r}; choose another path "
                                    f"for {role}")
        special = os.path.exists(real) and not os.path.isfile(real)  # /dev/null takes any number
        if real in seen and not special:
            raise SameFileError(f"{role} and {seen[real]} are the same file {str(out)!r}; choose another path")
        seen[real] = role


def write_outputs(files: list[tuple[Path, str | bytes, str]], inputs: Iterable[tuple[Path, str]] = ()) -> None:
    """Write every output (path, data, what it is) of one command: all checked by `check_outputs`
    first, then each written atomically; if one fails, the ones already written are put back as
    they were (removed if they were new) and the OutputError is raised."""
    check_outputs([(path, role) for path, _, role in files], inputs)
    done: list[tuple[Path, bytes | None]] = []
    try:
        for path, data, _ in files:
            old = Path(path).read_bytes() if os.path.isfile(path) else None
            write_atomic(path, data)
            done.append((path, old))
    except BaseException:
        for path, old in reversed(done):
            if old is None:
                Path(path).unlink(missing_ok=True)
            else:
                write_atomic(path, old)
        raise


def missing_folder(path: Path) -> Path | None:
    """The outermost folder above `path` that does not exist yet (write_atomic will create it), or None."""
    missing = None
    parent = Path(os.path.realpath(path)).parent if os.path.islink(path) else Path(path).parent
    while str(parent) not in ("", ".") and not parent.exists():
        missing, parent = parent, parent.parent
    return missing


def write_atomic(path: Path, data: str | bytes, *, spec: Path | None = None) -> None:
    """Write `data` (text as UTF-8) to `path` via a temporary file and os.replace."""
    if spec is not None:
        check_not_input(path, spec)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if os.path.exists(path) and not os.path.isfile(path):
        _write_special(path, payload)
        return
    real = Path(os.path.realpath(path))  # through a symlink: replace its target, keep the link
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        mode = real.stat().st_mode & 0o777 if real.exists() else 0o666 & ~_umask()
        fd, tmp = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException as exc:
        os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc
        raise


def _write_special(path: Path, payload: bytes) -> None:
    """A device or FIFO (/dev/null, /dev/stdout) is written into, never replaced."""
    if os.path.isdir(path):
        raise OutputError(f"cannot write {str(path)!r}: it is a directory")
    try:
        with open(path, "wb") as f:
            f.write(payload)
    except OSError as exc:
        raise OutputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
