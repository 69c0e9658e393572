"""Weight and input files: the module contract's `{"<layer>.weight": array, ...}` in torch layout,
and input spike tensors, for `check --weights/--inputs` and `--emit nir --weights`.

Read from `.npz` (numpy, no pickles) or `.pt` (a dict of tensors, `torch.load`
with `weights_only=True`: torch is imported only then), checked against the model's
keys and shapes, as float32. Written as a deterministic `.npz` (fixed timestamps,
keys sorted), so the same input gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path


class WeightFileError(Exception):
    """A weights or inputs file that cannot be used; the message names the file and the key."""


def load(path: Path, expected: dict[str, tuple[int, ...]], from_state_dict=None) -> dict:
    """The float32 weights in `path`; WeightFileError naming every missing, unexpected or misshapen key.
    A file whose keys are not the model's may be a generated model's own `state_dict()`:
    `from_state_dict(arrays)` then gives its weights under the model's keys, or None."""
    import numpy as np

    raw = _read(path)
    got = {}
    for key, value in raw.items():
        arr = np.asarray(value)
        if arr.dtype.kind not in "fiub":
            raise WeightFileError(f"{path}: {key!r} holds {arr.dtype} values, not numbers")
        with np.errstate(over="ignore"):  # overflow shows as inf, refused below
            got[str(key)] = arr.astype(np.float32, order="C")  # not ascontiguousarray: it makes 0-d arrays 1-d
    if set(got) != set(expected) and from_state_dict is not None:
        got = from_state_dict(got) or got
    missing = [k for k in expected if k not in got]
    unexpected = [k for k in got if k not in expected]
    if missing or unexpected:
        parts = ([f"missing {', '.join(map(repr, missing))}"] if missing else []) + (
            [f"unexpected {', '.join(map(repr, unexpected))}"] if unexpected else [])
        raise WeightFileError(f"{path}: the weights do not fit the model ({'; '.join(parts)}); "
                       f"it has {', '.join(map(repr, expected)) or 'no weights'}")
    for key, shape in expected.items():
        if tuple(got[key].shape) != tuple(shape):
            raise WeightFileError(f"{path}: {key!r} has shape {list(got[key].shape)}, the model's is {list(shape)}")
        if not np.all(np.isfinite(got[key])):
            raise WeightFileError(f"{path}: {key!r} has a non-finite value (nan or inf)")
    return {key: got[key] for key in expected}


def load_inputs(path: Path, input_shape: tuple[int, ...]):
    """Input spikes [T, B, *input_shape] as a float32 torch tensor, from a .pt tensor or an .npz holding
    one array ([T, *input_shape] is taken as batch 1)."""
    import torch

    if path.suffix in (".pt", ".pth"):
        if not path.is_file():
            raise WeightFileError(f"{path}: no such inputs file" if not path.exists() else f"{path}: not a file")
        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise WeightFileError(f"{path}: not a readable torch file ({type(exc).__name__}: {_short(exc)})") from None
        if isinstance(data, dict) and len(data) == 1:
            data = next(iter(data.values()))
        if not isinstance(data, torch.Tensor):
            raise WeightFileError(f"{path}: expected one tensor [T, B, {', '.join(map(str, input_shape))}]")
        if data.layout != torch.strided:
            raise WeightFileError(f"{path}: inputs must be a dense tensor, not {data.layout}")
        x = data
    else:
        arrays = _read(path, "inputs")
        if len(arrays) != 1:
            raise WeightFileError(f"{path}: expected one array, found {len(arrays)} ({', '.join(sorted(arrays))})")
        array = next(iter(arrays.values()))
        if array.dtype.kind not in "biuf":
            raise WeightFileError(f"{path}: inputs must be real numbers, not {array.dtype}")
        x = torch.as_tensor(array)
    if x.is_complex() or not (x.is_floating_point() or x.dtype in (torch.bool, torch.uint8, torch.int8, torch.int16,
                                                                    torch.int32, torch.int64)):
        raise WeightFileError(f"{path}: inputs must be real numbers, not {x.dtype}")
    x = x.to(torch.float32)
    if tuple(x.shape[1:]) == tuple(input_shape):
        x = x.unsqueeze(1)
    if x.dim() != 2 + len(input_shape) or tuple(x.shape[2:]) != tuple(input_shape) or 0 in x.shape[:2]:
        raise WeightFileError(f"{path}: inputs have shape {list(x.shape)}; the model takes [T, B, "
                              f"{', '.join(map(str, input_shape))}]")
    if not torch.isfinite(x).all():
        raise WeightFileError(f"{path}: inputs have a non-finite value (nan or inf)")
    return x


def _read(path: Path, what: str = "weights") -> dict:
    if not path.is_file():
        raise WeightFileError(f"{path}: no such {what} file" if not path.exists() else f"{path}: not a file")
    if path.suffix == ".npz":
        import numpy as np

        try:
            with np.load(path, allow_pickle=False) as data:
                return {key: data[key] for key in data.files}
        except Exception as exc:
            raise WeightFileError(f"{path}: not a readable .npz file ({type(exc).__name__}: {exc})") from None
    if path.suffix in (".pt", ".pth"):
        import torch

        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise WeightFileError(f"{path}: not a readable torch file ({type(exc).__name__}: {_short(exc)})") from None
        if not isinstance(data, dict) or not all(isinstance(v, torch.Tensor) for v in data.values()):
            raise WeightFileError(f"{path}: expected a dict of tensors (the module contract's export_weights)")
        out = {}
        for key, value in data.items():
            if value.layout != torch.strided or value.is_complex() or value.dtype == torch.bool:
                raise WeightFileError(f"{path}: {key!r} is a {value.layout} {value.dtype} tensor; weights are dense "
                                      "real numbers")
            out[key] = value.detach().cpu().float().numpy()
        return out
    raise WeightFileError(f"{path}: weights must be a .npz or a .pt file")


def npz_bytes(weights: dict) -> bytes:
    """A .npz of `weights` (sorted keys, fixed timestamps): the same weights give the same bytes."""
    import numpy as np

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for key in sorted(weights):
            array = io.BytesIO()
            np.lib.format.write_array(array, np.ascontiguousarray(weights[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, array.getvalue())
    return buf.getvalue()


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 160 else text[:157] + "..."
