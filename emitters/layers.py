"""Stateless layers as torch modules, the same in every target.

Each stateless op becomes one module applied to one time step at a time:
`linear` in torch's layout -> Linear, in BindsNET's [in, out] layout -> the
generated `InOutLinear` (s @ w + b, as bindsnet's Connection computes it);
`conv2d` -> Conv2d; `maxpool2d` / `avgpool2d` -> MaxPool2d / AvgPool2d; `sumpool2d`
-> AvgPool2d with divisor 1 (an exact window sum); `scale` -> the generated `Scale`;
`flatten` -> Flatten. `prefix` names where the torch classes come from in the target
(`nn.` for snnTorch, SpikingJelly's `layer.` wrappers, `torch.nn.` for BindsNET);
the generated classes are added to `helpers` when used.
"""

from __future__ import annotations

import libcst as cst

from ir.ops import Op

from .toolkit import expr, fixed, fixed_text, literal

GENERATED = {
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
}


def module_ctor(op: Op, prefix: str, helpers: set[str]) -> cst.BaseExpression:
    """The constructor of the module that computes `op` (one time step at a time)."""
    a = op.attrs()
    own = generated_class(op)
    if own is not None:
        helpers.add(own)
    if own == "InOutLinear":
        return expr("InOutLinear({i}, {o}, {b})", i=literal(a["in_features"]), o=literal(a["out_features"]),
                    b=literal(a["bias"]))
    if own == "Scale":
        return expr("Scale({f})", f=literal(a["factor"]))
    if op.kind == "linear":
        return expr(f"{prefix}Linear({{i}}, {{o}}, bias={{b}})", i=literal(a["in_features"]),
                    o=literal(a["out_features"]), b=literal(a["bias"]))
    if op.kind == "conv2d":
        return expr(f"{prefix}Conv2d({{i}}, {{o}}, {{k}}, stride={{s}}, padding={{p}}, bias={{b}})",
                    i=literal(a["in_channels"]), o=literal(a["out_channels"]), k=literal(a["kernel_size"]),
                    s=literal(a["stride"]), p=literal(a["padding"]), b=literal(a["bias"]))
    if op.kind in ("maxpool2d", "avgpool2d", "sumpool2d"):
        cls = "MaxPool2d" if op.kind == "maxpool2d" else "AvgPool2d"
        extra = ", divisor_override=1" if op.kind == "sumpool2d" else ""
        return expr(f"{prefix}{cls}({{k}}, stride={{s}}, padding={{p}}{extra})", k=literal(a["kernel_size"]),
                    s=literal(a["stride"]), p=literal(a["padding"]))
    if op.kind == "flatten":
        return expr(f"{prefix}Flatten()")
    raise ValueError(f"no module for a {op.kind} op ({op.name})")


def generated_class(op: Op) -> str | None:
    """The generated class (in GENERATED) computing `op`, or None where the prefix's torch class does."""
    if op.kind == "linear" and op.layout == "in_out":
        return "InOutLinear"
    if op.kind == "scale":
        return "Scale"
    return None


def generated_classes(helpers: set[str]) -> list[cst.BaseStatement]:
    return [node for name, text in GENERATED.items() if name in helpers for node in fixed(text)]


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
