"""Session-wide test setup.

torch runs on one thread: then a projection over the whole [T, B, n] sequence and
one step at a time give bit-identical products (CPU BLAS splits the reduction
differently across threads), so spike comparisons test semantics, not BLAS.
"""

import pytest


def pytest_configure(config):
    try:
        import torch
    except ImportError:  # the compiler's own tests do not need torch
        return
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def bindsnet():
    """bindsnet takes seconds to import: once per session."""
    import bindsnet as module

    return module
