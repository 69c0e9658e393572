"""Stateless layers as torch modules: the op kind says which module (`Op.module`), this module writes it.

An op that computes each time step on its own (`per_step`) becomes one module
applied to one time step at a time, under the target's torch prefix (`nn.` for
snnTorch, SpikingJelly's `layer.` wrappers, `torch.nn.` for BindsNET), or a
generated class: `InOutLinear` (s @ w + b, as bindsnet's Connection computes it),
`Scale`. An op over the whole sequence (batch norm, dropout, delay) is given each
target's sequence form by the target's home; the generated classes for those
(`SequenceBatchNorm1d/2d`, `SequenceDropout`, `Delay` for snnTorch,
`InferenceBatchNorm` for BindsNET) are here too. Every generated class used is
added to `helpers` (as its `Helper`).
"""

from __future__ import annotations

import libcst as cst

from ir.ops import ModuleCall, Op

from .helpers import Helper, Helpers, include
from .toolkit import expr, fixed_text, literal

GENERATED = {name: Helper(name, text) for name, text in {
    "InOutLinear": fixed_text('''
class InOutLinear(torch.nn.Module):
    """BindsNET's Connection arithmetic: s @ w (+ b) with w a contiguous [in, out] matrix."""

    def __init__(self, in_features, out_features, bias):
        super().__init__()
        init = torch.nn.Linear(in_features, out_features, bias=bias)
        self.w = torch.nn.Parameter(init.weight.detach().t().contiguous())
        self.b = torch.nn.Parameter(init.bias.detach().clone()) if bias else None

    def forward(self, x):
        return x @ self.w if self.b is None else x @ self.w + self.b
'''),
    "Scale": fixed_text('''
class Scale(torch.nn.Module):
    """x * factor, elementwise (NIR's Scale)."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def extra_repr(self):
        return repr(self.factor)

    def forward(self, x):
        return x * self.factor
'''),
    "SequenceBatchNorm1d": fixed_text('''
class SequenceBatchNorm1d(torch.nn.BatchNorm1d):
    """BatchNorm1d over a whole sequence [T, B, C(, L)]: training statistics over all T*B samples,
    as SpikingJelly's multi-step layer.BatchNorm1d computes them."""

    def forward(self, x_seq):
        return super().forward(x_seq.flatten(0, 1)).view(x_seq.shape)
'''),
    "SequenceBatchNorm2d": fixed_text('''
class SequenceBatchNorm2d(torch.nn.BatchNorm2d):
    """BatchNorm2d over a whole sequence [T, B, C, H, W]: training statistics over all T*B samples,
    as SpikingJelly's multi-step layer.BatchNorm2d computes them."""

    def forward(self, x_seq):
        return super().forward(x_seq.flatten(0, 1)).view(x_seq.shape)
'''),
    "SequenceDropout": fixed_text('''
class SequenceDropout(torch.nn.Module):
    """Dropout with one mask per run, shared by every time step, drawn as SpikingJelly's multi-step
    layer.Dropout draws it; the identity in eval mode."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def extra_repr(self):
        return "p=" + repr(self.p)

    def forward(self, x_seq):
        if not self.training:
            return x_seq
        ones = torch.ones_like(x_seq[0])
        return x_seq * torch.nn.functional.dropout(ones, self.p, training=True)
'''),
    "Delay": fixed_text('''
class Delay(torch.nn.Module):
    """The sequence [T, B, ...] `steps` time steps late, zeros first (SpikingJelly's layer.Delay)."""

    def __init__(self, steps):
        super().__init__()
        self.steps = steps

    def extra_repr(self):
        return repr(self.steps)

    def forward(self, x_seq):
        kept = x_seq[: max(x_seq.shape[0] - self.steps, 0)]
        zeros = x_seq.new_zeros((x_seq.shape[0] - kept.shape[0], *x_seq.shape[1:]))
        return torch.cat([zeros, kept])
'''),
    "Folded": fixed_text('''
class Folded(torch.nn.Module):
    """A linear layer or convolution with an inference batch norm folded into its weight and bias.

    It keeps the unfolded values (the layer's weight and bias, the norm's weight, bias and running
    statistics, as buffers in torch's layout) and sets the layer's own to w * s and
    (b - mean) * s + beta, with s = gamma / sqrt(var + eps), when `fold` is called (load_weights
    does). The folded layer is fixed: it is not trained.
    """

    def __init__(self, layer, eps, in_out=False):
        super().__init__()
        self.layer, self.eps, self.in_out = layer, eps, in_out
        weight = layer.w.t() if in_out else layer.weight
        channels = weight.shape[0]
        self.register_buffer("weight", weight.detach().clone())
        self.register_buffer("bias", torch.zeros(channels))
        self.register_buffer("bn_weight", torch.ones(channels))
        self.register_buffer("bn_bias", torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))
        for parameter in layer.parameters():
            parameter.requires_grad_(False)
        self.fold()

    def fold(self):
        """Set the layer's weight and bias from the unfolded values."""
        scale = self.bn_weight / torch.sqrt(self.running_var + self.eps)
        weight = self.weight * scale.reshape(-1, *[1] * (self.weight.dim() - 1))
        bias = (self.bias - self.running_mean) * scale + self.bn_bias
        with torch.no_grad():
            if self.in_out:
                self.layer.w.copy_(weight.t())
                self.layer.b.copy_(bias)
            else:
                self.layer.weight.copy_(weight)
                self.layer.bias.copy_(bias)

    def forward(self, x):
        return self.layer(x)
'''),
    "InferenceBatchNorm": fixed_text('''
class InferenceBatchNorm(torch.nn.BatchNorm1d):
    """Batch norm with its running statistics in every mode, over [B, C, ...] (BindsNET runs inference only)."""

    def forward(self, x):
        mean, var = self.running_mean, self.running_var
        return torch.nn.functional.batch_norm(
            x, mean, var, self.weight, self.bias, False, 0.0, self.eps
        )
'''),
}.items()}
FOLDED = GENERATED["Folded"]

_KINDS_OWN: dict[str, Helper] = {}  # generated classes an op kind defines itself (ModuleCall.source)


def _use(call: ModuleCall, helpers: Helpers) -> None:
    if call.cls in GENERATED:
        helpers.add(GENERATED[call.cls])
    elif call.source:
        helper = _KINDS_OWN.setdefault(call.cls, Helper(call.cls, fixed_text(call.source)))
        if helper.text != call.source:
            raise ValueError(f"two op kinds define a generated class {call.cls!r} differently")
        helpers.add(helper)
    else:  # a class the op kind names without defining it: nothing to write
        helpers.add(_KINDS_OWN.get(call.cls, Helper(call.cls)))


def module_ctor(op: Op, prefix: str, helpers: Helpers, **extra) -> cst.BaseExpression:
    """The constructor of the module the op kind names (`Op.module`): a class under `prefix`, or a
    generated one (then added to `helpers`); `extra` keyword arguments are appended."""
    call = op.module()
    if call.generated:
        _use(call, helpers)
    cls = call.cls if call.generated else prefix + call.cls
    return call_expr(cls, call.args, (*call.kwargs, *extra.items()), prefix, helpers)


def generated_ctor(cls: str, op: Op, helpers: Helpers) -> cst.BaseExpression:
    """The constructor of generated class `cls` (of GENERATED) with the arguments of the op's module."""
    call = op.module()
    helpers.add(GENERATED[cls])
    return call_expr(cls, call.args, call.kwargs)


def call_expr(cls: str, args, kwargs, prefix: str = "", helpers: Helpers | None = None) -> cst.BaseExpression:
    """`cls(*args, **kwargs)`; an argument that is itself a `ModuleCall` (the layer a generated
    wrapper holds) is rendered as a constructor under `prefix`."""
    def value(v) -> cst.BaseExpression:
        if isinstance(v, ModuleCall):
            if v.generated and helpers is not None:
                _use(v, helpers)
            return call_expr(v.cls if v.generated else prefix + v.cls, v.args, v.kwargs, prefix, helpers)
        return literal(v)

    parts = [cst.Arg(value(a)) for a in args] + [cst.Arg(value(v), keyword=cst.Name(k)) for k, v in kwargs]
    return cst.Call(expr(cls), parts)


def generated_class(op: Op) -> str | None:
    """The generated class (in GENERATED) computing `op`, or None where the prefix's torch class does."""
    call = op.module()
    return call.cls if call.generated else None


def generated_classes(helpers: Helpers) -> list[cst.BaseStatement]:
    """The definitions of the generated classes in `helpers`: the emitters' own in a fixed order, then
    those op kinds define, by name."""
    return include(helpers, [*GENERATED.values(), *(_KINDS_OWN[name] for name in sorted(_KINDS_OWN))])


def shared_ctors(ctors: dict[str, cst.BaseExpression], ns, what: str,
                 hints: dict[str, str]) -> tuple[list[cst.BaseStatement], dict]:
    """Constructors that several populations repeat become one factory function each, named for
    what it builds (`hints[member]`, e.g. `new_lif_layer`, numbered `new_lif_layer_2` where several
    differ), so a 100-layer chain says its neuron once. Returns (the factory definitions, the
    constructors to use)."""
    from .toolkit import name, stmts

    groups: dict[str, list[str]] = {}
    for op_name, ctor in ctors.items():
        groups.setdefault(cst.Module([]).code_for_node(ctor), []).append(op_name)
    defs, out = [], dict(ctors)
    for code, members in groups.items():
        if len(members) < 2:
            continue
        factory = ns.numbered(hints[members[0]], key=("factory", code))
        defs += stmts(f'''
def {{f}}():
    """A fresh {what} for {names_text(members)}."""
    return {{c}}
''', f=name(factory), c=ctors[members[0]])
        for member in members:
            out[member] = cst.Call(name(factory), [])
    return defs, out


def names_text(names: list[str]) -> str:
    """Names listed compactly: a run with one prefix and evenly spaced numbers (layer_1, layer_2, ...,
    layer_9, or linear_0, linear_2, ..., linear_98) is said by its ends."""
    import re

    parts: list[str] = []
    run: list[tuple[str, str, int]] = []  # (name, prefix, number)

    def flush():
        if len(run) >= 3:
            step = run[1][2] - run[0][2]
            parts.append(f"{run[0][0]}..{run[-1][0]}" if step == 1 else f"{run[0][0]}, {run[1][0]}, ..., {run[-1][0]}")
        else:
            parts.extend(n for n, _, _ in run)
        run.clear()

    for n in names:
        m = re.fullmatch(r"(.*?)(\d+)", n)
        if m is None:
            flush()
            parts.append(n)
            continue
        prefix, number = m.group(1), int(m.group(2))
        if run and prefix == run[-1][1] and number > run[-1][2] and (
                len(run) == 1 or number - run[-1][2] == run[1][2] - run[0][2]):
            run.append((n, prefix, number))
            continue
        flush()
        run.append((n, prefix, number))
    flush()
    return ", ".join(parts)
