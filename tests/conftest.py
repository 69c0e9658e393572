"""Session-wide test setup.

torch runs on one thread: then a projection over the whole [T, B, n] sequence and
one step at a time give bit-identical products (CPU BLAS splits the reduction
differently across threads), so spike comparisons test semantics, not BLAS.
"""

import os

import pytest
from hypothesis import settings

# In CI the property tests are derandomized (a fixed seed): a red build then means a
# change broke something, never a new random draw. Locally they explore new examples.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


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
