"""snnTorch's family as a NIR node, in snnTorch's exporter convention (compiler.nirio's exporter asks here).

snn.Leaky is LIF(tau = dt/(1-beta) as the float32 whose `1 - dt/tau` is beta, r = tau/dt,
v_leak = v_reset = 0), IF where beta is 1; snn.Synaptic is CubaLIF; the non-spiking
readouts LI and I. Only reset_mechanism 'zero' has a NIR form.
"""

from __future__ import annotations

from ir.graph import Refusal
from ir.neuron import SnnTorchNeuron
from ir.ops import PopulationOp


def neuron_node(op: PopulationOp, dt: float, warnings: list):
    """The population's NIR node; warnings get (op name, message) where readers differ."""
    import nir
    import numpy as np

    n: SnnTorchNeuron = op.neuron
    full = lambda value, dtype=np.float32: np.full(op.shape, value, dtype=dtype)  # noqa: E731
    if n.kind in ("li", "i"):  # as the CubaLIF/LIF readings, tau = dt/(1-beta)
        if n.kind == "i" or n.decay == 1.0:
            return nir.I(r=full(1.0 / dt))
        tau = snntorch_tau(n.decay, dt)
        return nir.LI(tau=full(tau), r=full(np.float32(tau) / np.float32(dt)), v_leak=full(0.0))
    if n.kind == "cuba":
        if n.reset != "zero":
            raise Refusal(op.name, f"reset_mechanism {n.reset!r} has no NIR form (NIR resets the membrane to a "
                                   "value, v_reset); only reset_mechanism 'zero' can be exported")
        if n.alpha >= 1.0 or n.decay >= 1.0:
            raise Refusal(op.name, f"alpha={n.alpha!r}, beta={n.decay!r}: a decay of 1 (no leak) has no finite NIR "
                                   "tau_syn or tau_mem")
        tau_syn, tau_mem = snntorch_tau(n.alpha, dt), snntorch_tau(n.decay, dt)
        return nir.CubaLIF(tau_syn=full(tau_syn), tau_mem=full(tau_mem),
                           r=full(np.float32(tau_mem) / np.float32(dt)), v_leak=full(0.0),
                           v_threshold=full(n.threshold), v_reset=full(0.0),
                           w_in=full(np.float32(tau_syn) / np.float32(dt)))
    if n.reset != "zero":
        raise Refusal(op.name, f"reset_mechanism {n.reset!r} has no NIR form (NIR resets the membrane to a "
                               "value, v_reset); only reset_mechanism 'zero' can be exported")
    if n.reset_delay and n.late_terms:
        warnings.append((op.name, "reset_delay=True with feedback (snn.RLeaky) zeroes the whole step after a "
                                  "spike, its input included; NIR readers reset at the spike and keep that "
                                  "input, so their spikes differ (re-importing with snnc's metadata stays exact)"))
    elif n.reset_delay:
        warnings.append((op.name, "reset_delay=True: the spikes are the same, but NIR readers report the "
                                  "membrane after the reset, not before it"))
    if n.kind == "if" or n.beta == 1.0:  # beta 1: 1.0*m + x is m + x exactly, an IF
        return nir.IF(r=full(1.0 / dt), v_threshold=full(n.threshold), v_reset=full(0.0))
    tau = snntorch_tau(n.beta, dt)
    return nir.LIF(tau=full(tau), r=full(np.float32(tau) / np.float32(dt)), v_leak=full(0.0),
                   v_threshold=full(n.threshold), v_reset=full(0.0))


def reset_lost(n: SnnTorchNeuron) -> tuple[str, bool] | None:
    """What of the neuron's reset NIR cannot say (NIR resets to v_reset at the spike), and whether the
    spikes stay the same regardless: the importer's warning about a node snnc wrote from it."""
    if n.reset in ("subtract", "none"):
        return ("reset by subtracting the threshold (reset_mechanism 'subtract')" if n.reset == "subtract" else
                "never reset (reset_mechanism 'none')"), False
    if n.reset_delay and n.late_terms:
        return ("used reset_delay=True with feedback (snn.RLeaky), which zeroes the step after a spike, input "
                "included"), False
    if n.reset_delay:
        return ("used reset_delay=True, which NIR cannot say: the imported model resets to v_reset (0) at the "
                "spike; its spikes equal the source's, but its membrane after a spike is 0 where the source's "
                "still holds the value that fired"), True
    return None


def snntorch_tau(beta: float, dt: float) -> float:
    """The float32 tau nearest dt/(1-beta) whose `1 - dt/tau` (snnTorch's import, float32) is beta."""
    import numpy as np

    if beta >= 1.0:
        return float("inf")
    start = np.float32(dt / (1.0 - beta))
    candidates = [start]
    up = down = start
    for _ in range(64):
        up, down = np.nextafter(up, np.float32(np.inf)), np.nextafter(down, np.float32(0))
        candidates += [down, up]
    for tau in candidates:
        tau_arr = np.array([tau], dtype=np.float32)
        if np.float32((1 - (dt / tau_arr))[0]) == np.float32(beta):
            return float(tau)
    return float(start)
