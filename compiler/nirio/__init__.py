"""NIR in and out: snnc's exact bridge to the Neuromorphic Intermediate Representation.

`import-nir` (compiler.nirio.importer) reads a NIR graph into an snnc spec plus its
weights; `--emit nir` (compiler.nirio.exporter) writes the IR after the passes as a
NIR graph. Only these two commands import `nir` (an optional extra: `snnc[nir]`).

NIR is an ODE format: it stores no time step, fires on `v > v_threshold` and resets
to a value. snnc reads it with ONE float32 discretisation per node, the one
snnTorch's importer uses (so both agree spike for spike), and records it in the
canonical neuron (the snnTorch family), so every target runs the same arithmetic:

    NIR node                        snnc layer (snnTorch vocabulary)            per step, float32
    LIF(tau, r, v_leak=0,           LIFNode beta = 1 - dt/tau,                  v = beta*v + x (+ delayed inputs)
        v_threshold, v_reset=0)     threshold = v_threshold / (r*dt/tau)        s = v > threshold; v = 0 where s
                                    (unscaled when r*dt/tau is 1 to 1e-5),
                                    reset_mechanism zero, reset_delay false
    IF(r, v_threshold, v_reset=0)   IFNode threshold = v_threshold / (r*dt)     v = v + x; s = v > threshold; ...
    CubaLIF(tau_syn, tau_mem, r,    CUBALIFNode alpha = 1 - dt/tau_syn,         i = alpha*i + x; v = beta*v + i;
        w_in, v_leak=0, v_reset=0)  beta = 1 - dt/tau_mem, threshold scaled by  spike and zero reset as LIF
                                    w_in*dt/tau_syn * r*dt/tau_mem (snn.Synaptic)
    LI(tau, r = tau/dt, v_leak=0)   NonSpikingLIFNode beta = 1 - dt/tau         v = beta*v + x (no spikes)
    I(r = 1/dt)                     NonSpikingIFNode                            v = v + x
    Affine / Linear                 linear (bias true / false)                  W x (+ b)
    Conv2d (groups 1, dilation 1)   conv2d (bias true)
    Conv1d (groups 1, dilation 1)   conv1d (bias true)
    Delay (one delay, whole steps)  delay (steps = delay / dt)
    SumPool2d / AvgPool2d           sumpool2d / avgpool2d
    Scale (one factor)              scale
    Flatten (all dims)              flatten
    Input / Output                  input_shape / the populations read

beta, threshold and the input scale are computed with numpy in the file's own
dtype, exactly as snnTorch's importer does, then rounded to float32. Parameters
must be equal across a layer (snnc's layers take one value). A cycle is cut on the
edges out of its neurons: they carry the previous step (zeros first), and inputs
that arrive through the cut are added after the charge, as snnTorch's `RLeaky`
adds its recurrent term. Not representable, hence refused with the node named:
CubaLI and Threshold, v_leak or v_reset other than 0, tau <= dt, an LI or I input
weight other than 1,
grouped or dilated convolution, partial flattening, per-neuron parameters.

Export writes each neuron family in its own simulator's convention (snnTorch:
tau = dt/(1-beta), r = tau/dt; SpikingJelly: tau = tau_sj*dt, r = 1 or tau_sj,
v_leak = v_reset; BindsNET: tau = dt/(1-decay), v_leak = rest), choosing the
stored tau so that the importer's own formula gives the parameter back bit for
bit. NIR has no batch norm: export folds each one into the linear layer or
convolution before it (the fold-batchnorm pass, with the weights given) and
refuses one that follows anything else; dropout is the identity in the exported
(eval-mode) graph; a delay is written as NIR's Delay of steps * dt. It refuses
what NIR cannot say (subtract and soft resets, no reset, max pooling, 1-d
pooling) and warns, naming the layer and the parameter, where NIR readers will
differ (`>=` ties, delayed reset, refractory periods). Every export carries the
spec in its metadata, so snnc re-imports its own files exactly.

A population with one feedback linear (snnTorch's RLeaky shape) is written as a
sub-graph node named after it (input -> neuron <-> linear, neuron -> output), and
the file keeps its nodes in graph order: snnTorch's and SpikingJelly's importers
(both nirtorch) then run it. nirtorch delays the edge into the neuron (the
linear's output, bias included, zeros first) where snnc and snn.RLeaky delay the
spikes, so a biased recurrent linear in RLeaky order gets an export warning.

Import warns, naming the nodes, where the source model reset in a way NIR cannot
say: from snnc's metadata when an edited file is read by NIR semantics, else for
LIF nodes written as snnTorch's exporter writes every snn.Leaky (it records no
reset mechanism, so a default subtract-reset network cannot be told apart).
"""

from dataclasses import dataclass, field

DEFAULT_DT = 1e-4  # what snnTorch's and SpikingJelly's exporters assume


@dataclass
class Imported:
    """What import-nir reads from a file: the spec's text, its weights, the warnings."""

    spec_text: str
    weights: dict  # "<layer>.weight" -> float32 numpy array
    warnings: list[str] = field(default_factory=list)
    exact_reimport: bool = False  # the spec came back from snnc's metadata


class NirError(Exception):
    """A NIR file snnc cannot read or write exactly; the message names the node."""
