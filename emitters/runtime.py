"""Helper functions the generated modules share (only those a module uses are written into it).

They carry the two facts exactness rests on: a projection is computed one time step
at a time on [B, ...] (BLAS and oneDNN round a [T*B, ...] product differently), on
operands whose storage starts on a 64-byte boundary (MKL rounds differently for
differently aligned operands, measured); and a feedback operand is the previous
step's value, zeros at the first step. Under numerics "batched" (the user's choice, never
the default) a projection outside feedback cycles runs over all T*B rows at once instead.
"""

from __future__ import annotations

import libcst as cst

from .helpers import Helper, Helpers, include
from .toolkit import fixed_text

ALIGNED = Helper("aligned", fixed_text('''
def aligned(x):
    """x, or a copy of it whose storage starts on a 64-byte boundary (as every target feeds its layers)."""
    return x if x.data_ptr() % 64 == 0 else x.clone()
'''))
PER_STEP = Helper("per_step", fixed_text('''
def per_step(layer, x):
    """`layer` applied to each time step of x [T, B, ...] on its own: exact in every target."""
    return torch.stack([layer(aligned(step)) for step in x.unbind(0)])
'''), needs=(ALIGNED,))
BATCHED = Helper("batched", fixed_text('''
def batched(layer, x):
    """`layer` applied to all T*B rows of x [T, B, ...] at once (numerics "batched": see the header)."""
    return layer(x.flatten(0, 1)).unflatten(0, x.shape[:2])
'''))
SHIFTED = Helper("shifted", fixed_text('''
def shifted(x):
    """x one time step late: zeros at the first step (a feedback operand)."""
    return torch.cat([torch.zeros_like(x[:1]), x[:-1]])
'''))
RUN_NEURON = Helper("run_neuron", fixed_text('''
def run_neuron(neuron, cur, *late):
    """Step `neuron` over currents [T, B, ...] (and late terms): spikes and membranes [T, B, ...]."""
    state = neuron.initial_state(cur[0])
    spikes, membranes = [], []
    # unbind, not cur[t]: one gradient node, not one per step
    late = [term.unbind(0) for term in late]
    for t, step in enumerate(cur.unbind(0)):
        s, state = neuron(step, state, *[term[t] for term in late])
        spikes.append(s)
        membranes.append(state[0])
    return torch.stack(spikes), torch.stack(membranes)
'''))
HELPERS = {h.name: h for h in (ALIGNED, PER_STEP, BATCHED, SHIFTED, RUN_NEURON)}


def helpers(used: Helpers) -> list[cst.BaseStatement]:
    """The helper functions of this module that are `used` (and what they call), in a fixed order."""
    return include(used, HELPERS.values())
