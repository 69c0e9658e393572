"""snnc: compile one JSON spec of a spiking neural network into runnable Python
for snnTorch, SpikingJelly and BindsNET.

Kept import-light on purpose: importing ``compiler`` loads nothing else; the
frontend (``compiler.frontend``), the diagnostics and the driver are imported
where they are used. The Python API is ``compiler.compile_spec`` (see
``compiler.api``) and ``compiler.CompileError``.
"""

__version__ = "0.1.0"

__all__ = ["compile_spec", "CompileError", "__version__"]


def compile_spec(spec, target=None, passes=None, numerics=None):
    """Compile a spec (path, JSON string or dict) to Python source and IR; see `compiler.api`."""
    from .api import compile_spec as compile_

    return compile_(spec, target=target, passes=passes, numerics=numerics)


def __getattr__(name):
    if name == "CompileError":
        from .diagnostics import CompileError

        return CompileError
    raise AttributeError(f"module 'compiler' has no attribute {name!r}")
