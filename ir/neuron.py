"""The canonical neuron: the exact float32 arithmetic of one simulator's neuron class.

The three simulators round differently (``beta*m`` is not ``v - v/tau``), fire on
different comparisons, reset with different expressions (SpikingJelly's
``s*v_reset + (1-s)*h`` gives NaN where BindsNET's ``masked_fill`` gives
``v_reset``), count refractory time in float32 steps of dt (BindsNET) and
propagate gradients through different paths. So the canonical neuron does not
average them: it records the *family* whose arithmetic a spec means (the
simulator whose vocabulary its layer is written in) and that family's
parameters. Every target then performs exactly that family's operations, in
that family's order, with a native class where it is that arithmetic, else a
generated one. The operations of each family, per time step (state after the
previous step; ``late`` are operands added after the charge, see below):

snntorch (``snn.Leaky``; ``snn.RLeaky`` when ``late_terms`` > 0; state m = 0)::

    r = H(m - threshold)                   # detached; H(z) = (z > 0), the surrogate's forward
    m = (1 - r) * m                        # reset 'zero' (Leaky only)
    u = beta * m + x (+ late ...)          # beta = 1.0 for IF
    u = u - r * threshold                  # reset 'subtract'
    u = u - r * u                          # reset 'zero' (RLeaky)
    s = H(u - threshold)                   # the surrogate function
    u = u - (s - r) * threshold            # 'subtract' without reset_delay
    u = u - (s - r) * u                    # 'zero' without reset_delay
    m = u

spikingjelly (``neuron.LIFNode`` / ``neuron.IFNode``; state v = v_reset, or 0 for a soft reset)::

    h = v + (x - (v - v_reset)) / tau      # decay_input (v_reset 0 when soft)
    h = v - (v - v_reset) / tau + x        # not decay_input
    h = v + x                              # IF
    s = Hge(h - v_threshold)               # Hge(z) = (z >= 0)
    v = s * v_reset + (1.0 - s) * h        # hard reset (s detached in it when detach_reset)
    v = h - s * v_threshold                # soft reset (v_reset None)

bindsnet (``nodes.LIFNodes`` / ``nodes.IFNodes``, run one step at a time; state
v = rest (LIF) or reset (IF), refractory counter c = 0; dt, refrac float32)::

    v = (v - rest) * decay + rest          # LIF, decay = exp(-dt / tc_decay) in float32
    x = where(c > 0, 0, x); c = c - dt     # LIF
    v = v + (c <= 0) * x; c = c - dt       # IF
    v = v + x                              # LIF
    s = v >= thresh
    c = where(s, refrac, c); v = where(s, reset, v)

Current-based LIF (kind ``cuba``): a synaptic current feeds the membrane; per family::

    snntorch (snn.Synaptic; state m = 0, syn = 0; r as above)
        i = alpha * syn + x (+ late ...)      # snn.RSynaptic's order for fed-back terms
        u = beta * m + i
        u = u - r * threshold                 # 'subtract'
        u = u - (beta * m + (alpha * syn + x)) * r; i = i - 0 * r    # 'zero': Synaptic's _base_zero
        s = H(u - threshold); reset_delay=False as Leaky; syn = i; m = u
    spikingjelly (neuron.CUBALIFNode; v = v_reset or 0, c = 0)
        c = c * c_decay + x; h = v * v_decay + c; s = Hge(h - v_threshold); reset as LIFNode
    bindsnet (nodes.CurrentLIFNodes; v = rest, i = 0, refractory c = 0)
        v = (v - rest) * decay + rest; i = i * i_decay   # i_decay = exp(-dt / tc_i_decay) in float32
        c = c - dt; i = i + x; v = v + (c <= 0) * i; then as IFNodes (spike, count, reset)

Non-spiking neurons (kinds ``li`` and ``i``: NIR's LI and I, readouts) never fire:
their output, what their readers read and ``run`` returns, is their membrane, and
they have no surrogate. State m = 0; per step::

    u = beta * m + x (+ late ...); m = u   # snntorch li (snn.Leaky that never fires, reset 'none')
    u = m + x (+ late ...); m = u          # snntorch i
    v = v + (x - v) / tau                  # spikingjelly li (neuron.NonSpikingLIFNode)
    v = v + x                              # spikingjelly i (neuron.NonSpikingIFNode)

BindsNET has no non-spiking node: its family has neither kind.

Learned parameters (snntorch family: ``learn`` holds some of alpha, beta, threshold, as
snn.Leaky's / snn.Synaptic's learn_* flags) are 0-d weights of the module contract,
"<population>.<name>", starting at the neuron's values; every target computes with the
weights' values (alpha and beta clamped to [0, 1] at each use, as snnTorch does).

SpikingJelly's ParametricLIFNode (spikingjelly family, kind ``lif``, ``learn`` = ("w",)) learns
``w``, 1/tau = sigmoid(w), starting at ``w`` = float32(-log(init_tau - 1)) as its __init__ computes
it (``tau`` keeps init_tau, for the record). Its charge is _ops/plif/reference.py's ``step``::

    q = sigmoid(w)                         # at every step
    h = v + (x - (v - v_reset)) * q        # decay_input (v_reset 0 when soft)
    h = v - (v - v_reset) * q + x          # not decay_input

then LIFNode's fire and reset.

Several operands of a population are summed in operand order before the charge
(``x``); the last ``late_terms`` of them (snntorch only: RLeaky's recurrent term)
are added after it instead. The surrogate (name, parameter, and whose float32
formula) is the gradient semantics; BindsNET has none, so its family records the
spec's surrogate (or atan(2)) for training in the other targets.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from .floats import f32, is_f32

KINDS = ("lif", "if", "cuba", "li", "i")
SPIKING_KINDS = ("lif", "if", "cuba")  # li, i: non-spiking (NIR's LI and I): the output is the membrane
SURROGATE_NAMES = ("atan", "sigmoid", "fast_sigmoid", "softsign")
# Whose float32 formula a surrogate's gradient follows: snnTorch's surrogate.py; SpikingJelly's
# _ops/surrogate.py (its LIFNode/IFNode); SpikingJelly's surrogate modules called directly
# (activation_based/surrogate.py: its CUBALIFNode), which order the operations differently.
FLAVORS = ("snntorch", "spikingjelly", "spikingjelly_module")


@dataclass(frozen=True)
class Surrogate:
    """A surrogate gradient: its name, its one parameter, and whose float32 formula it follows."""

    name: str  # atan | sigmoid | fast_sigmoid | softsign
    alpha: float
    flavor: str = "snntorch"  # snntorch | spikingjelly | spikingjelly_module (see FLAVORS)

    def __str__(self) -> str:
        return f"{self.name}({self.alpha!r}, {self.flavor})"


@dataclass(frozen=True, kw_only=True)
class Neuron:
    """Base of the three families; the fields are the family's parameters, all float32 values."""

    kind: str  # "lif" | "if" | "li" | "i"
    surrogate: Surrogate | None = None

    family: ClassVar[str] = ""
    # Parameters a LIF neuron has and an IF neuron must not (dropped by neuron substitution).
    LEAK_FIELDS: ClassVar[tuple[str, ...]] = ()
    FLOAT_FIELDS: ClassVar[tuple[str, ...]] = ()
    # The parameters of the family's non-spiking leaky integrator (kind "li"); the integrator
    # (kind "i") has none. Every other field of a non-spiking neuron keeps its default.
    LI_FIELDS: ClassVar[tuple[str, ...]] = ()
    NONSPIKING_KEEP: ClassVar[tuple[str, ...]] = ()  # fields a non-spiking neuron may set besides LI_FIELDS
    # The parameters of the family's current-based LIF (kind "cuba"), and those of them only it has
    # (None for every other kind, and then left out of params(), so other neurons print as before).
    CUBA_FIELDS: ClassVar[tuple[str, ...]] = ()
    CUBA_ONLY: ClassVar[tuple[str, ...]] = ()
    # Whether fed-back operands are added after the charge (snnTorch's RLeaky: see `with_late`).
    LATE_FEEDBACK: ClassVar[bool] = False

    @property
    def spiking(self) -> bool:
        """Whether the neuron fires; a non-spiking one (li, i) outputs its membrane."""
        return self.kind in SPIKING_KINDS

    def replace(self, **changes) -> "Neuron":
        return dataclasses.replace(self, **changes)

    def params(self) -> dict[str, object]:
        """Every field but kind, in declaration order, the surrogate last (the text form prints them)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("kind", "surrogate")
               and not (f.name in self.CUBA_ONLY + ("learn", "w") and getattr(self, f.name) == f.default)}
        out["surrogate"] = self.surrogate
        return out

    def _required(self) -> tuple[str, ...]:
        """The optional fields (leak and CUBA parameters) this kind of spiking neuron must set."""
        return {"lif": self.LEAK_FIELDS, "cuba": self.CUBA_FIELDS}.get(self.kind, ())

    def own_params(self) -> dict[str, object]:
        """The parameters this kind of neuron has (an IF neuron none of the leak fields, a
        non-spiking one only its LI_FIELDS and NONSPIKING_KEEP): what the text form prints."""
        params = self.params()
        if self.kind in ("if", "cuba"):
            return {k: v for k, v in params.items() if k not in self.LEAK_FIELDS or k in self._required()}
        if not self.spiking:
            keep = (self.LI_FIELDS if self.kind == "li" else ()) + self.NONSPIKING_KEEP
            return {k: v for k, v in params.items() if k in keep}
        return params

    def as_if(self) -> "Neuron":
        """The IF neuron of this family with the same threshold, reset and surrogate."""
        return self.replace(kind="if", **{k: None for k in self.LEAK_FIELDS})

    def late(self) -> int:
        return 0

    def with_late(self, count: int) -> Neuron:
        """This neuron with its last `count` operands added after the charge (a LATE_FEEDBACK family)."""
        raise NotImplementedError(f"the {self.family} family adds every operand before the charge")

    def dt_problems(self, dt: float) -> list[str]:
        """What is wrong with the neuron in a model of time step `dt` (a family whose step reads dt)."""
        return []

    def drive(self) -> tuple[float, float]:
        """(threshold - resting value, the factor the neuron scales its input by): what `check` sizes its
        random inputs by. A non-spiking neuron has no threshold: a unit drive."""
        return 1.0, 1.0

    def learned(self) -> dict[str, float]:
        """The parameters training changes (weights "<population>.<name>", 0-d), with their initial values."""
        return {}

    def problems(self) -> list[str]:
        errs: list[str] = []
        if self.kind not in KINDS:
            errs.append(f"unknown neuron kind {self.kind!r}")
        if self.spiking:
            if self.kind == "cuba" and not self.CUBA_FIELDS:
                errs.append(f"the {self.family} family has no current-based LIF neuron")
            required = self._required()
            for key in dict.fromkeys(self.LEAK_FIELDS + self.CUBA_ONLY):
                if (getattr(self, key) is None) == (key in required):
                    errs.append(f"a {self.kind.upper()} neuron {'needs' if key in required else 'takes no'} {key}")
        elif self.kind in KINDS:
            errs += self._nonspiking_problems()
        for key in self.FLOAT_FIELDS:
            value = getattr(self, key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, float) or not is_f32(value)):
                errs.append(f"{key}={value!r} is not a finite float32 value")
        s = self.surrogate
        if s is not None:
            if s.name not in SURROGATE_NAMES:
                errs.append(f"unknown surrogate {s.name!r}")
            if s.flavor not in FLAVORS:
                errs.append(f"unknown surrogate flavor {s.flavor!r}")
            if not (isinstance(s.alpha, float) and is_f32(s.alpha) and s.alpha > 0):
                errs.append(f"surrogate parameter {s.alpha!r} must be a positive float32 value")
        return errs + self._own_problems()

    def _own_problems(self) -> list[str]:
        return []

    def _nonspiking_problems(self) -> list[str]:
        """A non-spiking neuron: its LI_FIELDS set for li (none for i), every other field at its default,
        no surrogate (it never fires)."""
        errs = []
        if not self.LI_FIELDS:
            return [f"the {self.family} family has no non-spiking neuron"]
        fields = {f.name: f for f in dataclasses.fields(self)}
        for key in self.LI_FIELDS:
            if (getattr(self, key) is None) == (self.kind == "li"):
                errs.append(f"a non-spiking {self.kind.upper()} neuron {'needs' if self.kind == 'li' else 'takes no'} "
                            f"{key}")
        for key, f in fields.items():
            if key in ("kind", "surrogate", *self.LI_FIELDS, *self.NONSPIKING_KEEP):
                continue
            if getattr(self, key) != f.default:
                errs.append(f"a non-spiking neuron takes no {key} (it never fires)")
        if self.surrogate is not None:
            errs.append("a non-spiking neuron has no surrogate (it never fires)")
        return errs


@dataclass(frozen=True, kw_only=True)
class SnnTorchNeuron(Neuron):
    beta: float | None = None  # None for IF: snn.Leaky(beta=1.0)
    threshold: float = 1.0
    reset: str = "subtract"  # subtract | zero | none
    reset_delay: bool = True
    late_terms: int = 0  # > 0: RLeaky, the last operands are its recurrent term
    alpha: float | None = None  # CUBA only: snn.Synaptic's synaptic current decay
    learn: tuple[str, ...] = ()  # learned parameters (snn.Leaky's learn_beta, learn_threshold): "beta", "threshold"

    family: ClassVar[str] = "snntorch"
    LEAK_FIELDS: ClassVar[tuple[str, ...]] = ("beta",)
    FLOAT_FIELDS: ClassVar[tuple[str, ...]] = ("beta", "threshold", "alpha")
    CUBA_FIELDS: ClassVar[tuple[str, ...]] = ("beta", "alpha")
    CUBA_ONLY: ClassVar[tuple[str, ...]] = ("alpha",)
    LI_FIELDS: ClassVar[tuple[str, ...]] = ("beta",)
    NONSPIKING_KEEP: ClassVar[tuple[str, ...]] = ("late_terms",)
    LATE_FEEDBACK: ClassVar[bool] = True

    @property
    def decay(self) -> float:
        return 1.0 if self.beta is None else self.beta

    def learned(self) -> dict[str, float]:
        values = {"alpha": self.alpha, "beta": self.decay, "threshold": self.threshold}
        return {key: values[key] for key in self.learn}

    def as_if(self) -> "Neuron":
        return self.replace(kind="if", beta=None, learn=tuple(k for k in self.learn if k != "beta"))

    def late(self) -> int:
        return self.late_terms

    def with_late(self, count: int) -> Neuron:
        return self.replace(late_terms=count)

    def drive(self) -> tuple[float, float]:
        return (abs(self.threshold) or 1.0, 1.0) if self.spiking else (1.0, 1.0)

    def _own_problems(self) -> list[str]:
        errs = []
        if self.beta is not None and not 0.0 <= self.beta <= 1.0:
            errs.append(f"beta={self.beta!r} is outside [0, 1]")
        if self.alpha is not None and not 0.0 <= self.alpha <= 1.0:
            errs.append(f"alpha={self.alpha!r} is outside [0, 1]")
        if not isinstance(self.learn, tuple) or any(k not in ("alpha", "beta", "threshold") for k in self.learn) \
                or len(set(self.learn)) != len(self.learn):
            errs.append(f"learn={self.learn!r}: learned parameters are some of alpha, beta, threshold, each once")
        elif self.learn and self.kind not in ("lif", "if", "cuba"):
            errs.append(f"a {self.kind.upper()} neuron learns no parameters")
        elif "beta" in self.learn and self.kind == "if":
            errs.append("an IF neuron has no beta to learn")
        elif "alpha" in self.learn and self.kind != "cuba":
            errs.append("only a CUBA neuron (snn.Synaptic) has an alpha to learn")
        if self.reset not in ("subtract", "zero", "none"):
            errs.append(f"unknown reset {self.reset!r}")
        if not isinstance(self.reset_delay, bool):
            errs.append("reset_delay must be true or false")
        if not isinstance(self.late_terms, int) or isinstance(self.late_terms, bool) or self.late_terms < 0:
            errs.append(f"late_terms={self.late_terms!r} must be a non-negative integer")
        return errs


@dataclass(frozen=True, kw_only=True)
class SpikingJellyNeuron(Neuron):
    tau: float | None = None
    decay_input: bool | None = None
    v_threshold: float = 1.0
    v_reset: float | None = 0.0  # None: soft reset (subtract v_threshold)
    detach_reset: bool = False
    c_decay: float | None = None  # CUBA only: CUBALIFNode's current decay
    v_decay: float | None = None  # CUBA only: CUBALIFNode's voltage decay
    w: float | None = None  # ParametricLIFNode only: the initial value of its learned w (1/tau = sigmoid(w))
    learn: tuple[str, ...] = ()  # ("w",) for ParametricLIFNode

    family: ClassVar[str] = "spikingjelly"
    LEAK_FIELDS: ClassVar[tuple[str, ...]] = ("tau", "decay_input")
    FLOAT_FIELDS: ClassVar[tuple[str, ...]] = ("tau", "v_threshold", "v_reset", "c_decay", "v_decay", "w")
    CUBA_FIELDS: ClassVar[tuple[str, ...]] = ("c_decay", "v_decay")
    CUBA_ONLY: ClassVar[tuple[str, ...]] = ("c_decay", "v_decay")
    LI_FIELDS: ClassVar[tuple[str, ...]] = ("tau",)

    @property
    def v_init(self) -> float:
        return 0.0 if self.v_reset is None else self.v_reset

    @property
    def parametric(self) -> bool:
        """Whether this is ParametricLIFNode's neuron (1/tau = sigmoid(w), w learned)."""
        return "w" in self.learn

    def learned(self) -> dict[str, float]:
        return {"w": self.w} if self.parametric else {}

    def drive(self) -> tuple[float, float]:
        if not self.spiking:  # NonSpikingLIFNode divides its input by tau
            return 1.0, 1.0 / self.tau if self.kind == "li" else 1.0
        gain = 1.0 / self.tau if self.kind == "lif" and self.decay_input else 1.0
        return abs(self.v_threshold - self.v_init) or 1.0, gain

    def as_if(self) -> "Neuron":
        return self.replace(kind="if", tau=None, decay_input=None, w=None, learn=())

    def _own_problems(self) -> list[str]:
        errs = []
        if self.learn not in ((), ("w",)):
            errs.append(f"learn={self.learn!r}: a SpikingJelly neuron learns only ParametricLIFNode's w")
        elif (self.w is None) == self.parametric:
            errs.append("w is ParametricLIFNode's learned parameter: set both w and learn=('w',), or neither")
        elif self.parametric and self.kind != "lif":
            errs.append(f"a {self.kind.upper()} neuron has no w to learn (ParametricLIFNode is a LIF neuron)")
        if self.tau is not None and not self.tau > 1.0:
            errs.append(f"tau={self.tau!r} must be greater than 1")
        for key in ("c_decay", "v_decay"):
            value = getattr(self, key)
            if value is not None and not 0.0 <= value <= 1.0:
                errs.append(f"{key}={value!r} is outside [0, 1]")
        if self.decay_input is not None and not isinstance(self.decay_input, bool):
            errs.append("decay_input must be true or false")
        if not isinstance(self.detach_reset, bool):
            errs.append("detach_reset must be true or false")
        return errs


@dataclass(frozen=True, kw_only=True)
class BindsnetNeuron(Neuron):
    thresh: float = -52.0
    reset: float = -65.0
    rest: float | None = None  # LIF only
    tc_decay: float | None = None  # LIF only
    refrac: float = 5.0  # time units, counted down by dt in float32
    dt: float = 1.0
    tc_i_decay: float | None = None  # CUBA only: CurrentLIFNodes' synaptic current time constant

    family: ClassVar[str] = "bindsnet"
    LEAK_FIELDS: ClassVar[tuple[str, ...]] = ("rest", "tc_decay")
    FLOAT_FIELDS: ClassVar[tuple[str, ...]] = ("thresh", "reset", "rest", "tc_decay", "refrac", "dt", "tc_i_decay")
    CUBA_FIELDS: ClassVar[tuple[str, ...]] = ("rest", "tc_decay", "tc_i_decay")
    CUBA_ONLY: ClassVar[tuple[str, ...]] = ("tc_i_decay",)

    @property
    def v_init(self) -> float:
        return self.rest if self.kind in ("lif", "cuba") else self.reset

    def dt_problems(self, dt: float) -> list[str]:
        if self.dt != f32(dt):  # the refractory count and decays are in steps of the neuron's own dt
            return [f"BindsNET neuron dt={self.dt!r} differs from the model's dt={dt!r}"]
        return []

    def drive(self) -> tuple[float, float]:
        return (abs(self.thresh - self.v_init) or 1.0, 1.0) if self.spiking else (1.0, 1.0)

    def _own_problems(self) -> list[str]:
        errs = []
        if self.tc_decay is not None and not self.tc_decay > 0.0:
            errs.append(f"tc_decay={self.tc_decay!r} must be positive")
        if self.tc_i_decay is not None and not self.tc_i_decay > 0.0:
            errs.append(f"tc_i_decay={self.tc_i_decay!r} must be positive")
        if not self.refrac >= 0.0:
            errs.append(f"refrac={self.refrac!r} must not be negative")
        if not self.dt > 0.0:
            errs.append(f"dt={self.dt!r} must be positive")
        return errs
