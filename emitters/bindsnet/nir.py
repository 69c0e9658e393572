"""BindsNET's family as a NIR node (compiler.nirio's exporter asks here).

LIFNodes is LIF(tau = dt/(1 - exp(-dt_bn/tc_decay)), r = tau/dt, v_leak = rest), IFNodes IF;
NIR has no refractory period and fires on >, so readers may differ (the warnings say where).
CurrentLIFNodes has no NIR form here.
"""

from __future__ import annotations

from ir.neuron import BindsnetNeuron
from ir.ops import PopulationOp


def neuron_node(op: PopulationOp, dt: float, warnings: list):
    """The population's NIR node (None where export is not implemented); warnings get (op name,
    message) where readers differ."""
    import nir
    import numpy as np

    n: BindsnetNeuron = op.neuron
    full = lambda value, dtype=np.float32: np.full(op.shape, value, dtype=dtype)  # noqa: E731
    if not n.spiking or n.kind == "cuba":
        return None
    warnings.append((op.name, "BindsNET fires on v >= thresh, NIR on v > v_threshold: NIR readers differ "
                              "where v equals thresh exactly"))
    if n.refrac > 0:
        warnings.append((op.name, f"refrac={n.refrac!r}: NIR has no refractory period, so NIR readers let the "
                                  "neuron integrate and fire again right after a spike"))
    if n.kind == "if":
        return nir.IF(r=full(1.0 / dt), v_threshold=full(n.thresh), v_reset=full(n.reset))
    decay = float(np.exp(-np.float64(n.dt) / np.float64(n.tc_decay)))
    tau = dt / (1.0 - decay)
    return nir.LIF(tau=full(tau), r=full(tau / dt), v_leak=full(n.rest), v_threshold=full(n.thresh),
                   v_reset=full(n.reset))
