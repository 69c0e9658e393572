"""SpikingJelly's family as a NIR node, in SpikingJelly's exporter convention (compiler.nirio's exporter asks here).

LIFNode is LIF(tau = tau_sj*dt as the float64 whose /dt is tau_sj, r = 1 if decay_input else
tau_sj, v_leak = v_reset), IFNode IF, all float64 as SpikingJelly's exporter writes them. Only a
hard reset has a NIR form; CUBALIFNode and the non-spiking nodes have none here.
"""

from __future__ import annotations

from ir.graph import Refusal
from ir.neuron import SpikingJellyNeuron
from ir.ops import PopulationOp


def neuron_node(op: PopulationOp, dt: float, warnings: list):
    """The population's NIR node (None where export is not implemented); warnings get (op name,
    message) where readers differ."""
    import nir
    import numpy as np

    n: SpikingJellyNeuron = op.neuron
    if not n.spiking or n.kind == "cuba":
        return None
    if n.v_reset is None:
        raise Refusal(op.name, "v_reset None (the soft reset, subtracting v_threshold) has no NIR form; "
                               "only a hard reset to v_reset can be exported")
    warnings.append((op.name, "SpikingJelly fires on v >= v_threshold, NIR on v > v_threshold: readers other "
                              "than SpikingJelly's importer differ where v equals v_threshold exactly"))
    f64 = lambda value: np.full(op.shape, value, dtype=np.float64)  # noqa: E731  (as SpikingJelly's exporter writes)
    if n.kind == "if":
        return nir.IF(r=f64(1.0 / dt), v_threshold=f64(n.v_threshold), v_reset=f64(n.v_reset))
    tau = spikingjelly_tau(n.tau, dt)
    return nir.LIF(tau=f64(tau), r=f64(1.0 if n.decay_input else n.tau), v_leak=f64(n.v_reset),
                   v_threshold=f64(n.v_threshold), v_reset=f64(n.v_reset))


def reset_lost(n: SpikingJellyNeuron) -> tuple[str, bool] | None:
    """What of the neuron's reset NIR cannot say, and whether the spikes stay the same regardless."""
    if n.v_reset is None:
        return "reset by subtracting v_threshold (v_reset None, the soft reset)", False
    return None


def spikingjelly_tau(tau_sj: float, dt: float) -> float:
    """The float64 tau nearest tau_sj*dt whose `tau/dt` (SpikingJelly's import) is tau_sj."""
    import numpy as np

    start = tau_sj * dt
    up = down = start
    for _ in range(64):
        for value in (down, up):
            if value / dt == tau_sj:
                return float(value)
        up, down = np.nextafter(up, np.inf), np.nextafter(down, 0.0)
    return start
