"""Writing compiler outputs: atomically, and never over the input spec.

`write_atomic` writes to a temporary file in the destination directory and
renames it into place, so a reader (or a failed run) never sees a partial file
and an existing output is untouched unless the write fully succeeded. A symlink
is followed (its target is replaced); a device or FIFO such as /dev/null is
written into directly, never replaced.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class OutputError(Exception):
    """The output cannot be written (message says why)."""


class SameFileError(OutputError):
    """The output path is the input spec: a usage error."""


def check_not_input(out: Path, source: Path, what: str = "the input spec") -> None:
    """Refuse an output path that is an input (the spec, a weights file) itself (same real path)."""
    if os.path.realpath(out) == os.path.realpath(source):
        raise SameFileError(f"refusing to write the output over {what} {str(source)!r}; choose another -o")


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
