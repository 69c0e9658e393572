"""float32 helpers for the compiler, which must not import torch or numpy.

Every neuron parameter in the IR is a Python float that is exactly a float32
value, so that emitting it as a literal and loading it into a float32 tensor is
lossless on every target.
"""

from __future__ import annotations

import math
import struct


def f32(x: float) -> float:
    """Round a Python float to the nearest float32 value (ties to even)."""
    if math.isnan(x) or math.isinf(x):
        return x
    if abs(x) > 3.4028235677973366e38:
        raise OverflowError(f"{x!r} is outside the float32 range")
    return struct.unpack("<f", struct.pack("<f", x))[0]


def is_f32(x: float) -> bool:
    return math.isfinite(x) and f32(x) == x


def _bits(x: float) -> int:
    return struct.unpack("<i", struct.pack("<f", x))[0]


def _from_bits(i: int) -> float:
    return struct.unpack("<f", struct.pack("<i", i))[0]


def next_up(x: float) -> float:
    """The float32 just above `x` (itself a float32), like nextafter(x, +inf)."""
    x = f32(x)
    if x == 0.0:
        return _from_bits(1)
    i = _bits(x)
    return _from_bits(i + 1 if x > 0 else i - 1)


def next_down(x: float) -> float:
    """The float32 just below `x` (itself a float32), like nextafter(x, -inf)."""
    return -next_up(-x)
