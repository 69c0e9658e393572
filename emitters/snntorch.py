"""The snnTorch emitter: renders an already-decided IR as a module for snntorch 1.0.0.

Every decision is in the IR: each population's `impl` (set by the
select-neuron-class pass) is either ``snn.Leaky``, whose float32 arithmetic is the
canonical step (threshold emitted as the float32 just below ``v_threshold``,
because Leaky fires on ``>`` and the canonical neuron on ``>=``), or
``canonical``, rendered as a small generated ``nn.Module`` that calls the
population's step function from `emitters.canonical`. Anything else is refused.

The generated ``forward`` runs layer by layer: one ``nn.Linear`` call over the
whole ``[T, B, n]`` sequence of a population's source, then the neuron's time
loop over the precomputed currents. That is exact because the graph is
feedforward (a DAG), so every source is complete before its targets run.
"""

from __future__ import annotations

import textwrap

import libcst as cst

from ir.floats import next_down
from ir.graph import Graph
from ir.ops import InputOp, PopulationOp

from . import canonical, module
from .toolkit import Namespace, clean_text, expr, literal, name, stmts

LEAKY = "snn.Leaky"
CANONICAL = "canonical"

# Module-level names the emitted code uses itself (imports, and the locals and
# parameters of the generated functions, so no module-level name is shadowed).
_OWN_NAMES = (
    "snn",
    "surrogate",
    "self",
    "x",
    "out",
    "cur",
    "mem",
    "spk",
    "spk_rec",
    "mem_rec",
    "t",
    "v",
    "s",
    "r",
    "s_prev",
    "h",
    "model",
    "weights",
    "inputs",
    "membrane",
    "device",
    "param",
    "layer",
    "result",
    "pop",
    "key",
    "value",
    "expected",
    "unknown",
    "fc",
    "spikes",
)
# Attribute names of the generated classes that are not population-derived.
_OWN_ATTRS = ("forward", "projections", "init_state")

# IR surrogate name -> (snntorch.surrogate factory, keyword of its parameter).
_SURROGATES = {
    "atan": ("atan", "alpha"),
    "sigmoid": ("sigmoid", "slope"),
    "fast_sigmoid": ("fast_sigmoid", "slope"),
    "softsign": ("fast_sigmoid", "slope"),
}


def _comments(*texts: str) -> list[cst.EmptyLine]:
    """Comment lines for text the emitter wrote itself (sanitized all the same, wrapped)."""
    out = []
    for text in texts:
        for line in clean_text(text):
            for part in textwrap.wrap(line, width=76) or [""]:
                out.append(cst.EmptyLine(comment=cst.Comment(("# " + part).rstrip())))
    return out


def _lead(
    statement: cst.BaseStatement, lines: list[cst.EmptyLine]
) -> cst.BaseStatement:
    return statement.with_changes(leading_lines=[*statement.leading_lines, *lines])


def _doc(text: str) -> cst.SimpleStatementLine:
    """A triple-quoted docstring for fixed text the emitter wrote itself (never spec text)."""
    if (
        '"' in text
        or "\\" in text
        or any(not (ch.isprintable() or ch == "\n") for ch in text)
    ):
        raise ValueError(f"docstring text must be plain: {text!r}")
    node = cst.SimpleString('"""' + text + '"""')
    assert node.evaluated_value == text
    return cst.SimpleStatementLine([cst.Expr(node)])


def _with_body(
    signature: str, body: list[cst.BaseStatement], **subs: cst.CSTNode
) -> cst.BaseStatement:
    """A def/class from a one-line checked template (`... : pass`) with `body` as its block."""
    (node,) = stmts(signature + "\n    pass", **subs)
    return node.with_changes(body=cst.IndentedBlock(body))


def _blank_before(node: cst.BaseStatement, n: int = 1) -> cst.BaseStatement:
    return node.with_changes(
        leading_lines=[cst.EmptyLine() for _ in range(n)] + list(node.leading_lines)
    )


# -- neurons ---------------------------------------------------------------------


def _surrogate(pop: PopulationOp) -> tuple[cst.BaseExpression | None, list[str]]:
    """The spike_grad argument (None: snntorch's default atan(2)) and comments about it."""
    sg = pop.neuron.surrogate
    if sg is None:
        return None, []
    if sg.name not in _SURROGATES:
        raise ValueError(
            f"snntorch: population {pop.name!r}: surrogate {sg.name!r} has no snntorch.surrogate "
            f"equivalent (supported: {', '.join(sorted(_SURROGATES))})"
        )
    factory, keyword = _SURROGATES[sg.name]
    call = cst.Call(
        func=cst.Attribute(name("surrogate"), name(factory)),
        args=[cst.Arg(literal(float(sg.alpha)), keyword=name(keyword))],
    )
    notes = []
    if sg.name == "softsign":
        notes.append(
            f"surrogate softsign({sg.alpha!r}) is rendered as surrogate.fast_sigmoid(slope={sg.alpha!r}): "
            f"the same shape, but the gradient differs by a factor {sg.alpha!r}/2 (exact only for 2)."
        )
    return call, notes


def _leaky_call(pop: PopulationOp) -> tuple[cst.BaseExpression, list[str]]:
    n = pop.neuron
    if n.leak == "beta":
        beta = n.decay
    elif n.leak == "none":
        beta = 1.0
    else:
        raise ValueError(
            f"snntorch: population {pop.name!r}: snn.Leaky cannot compute the {n.leak!r} leak"
        )
    threshold = next_down(n.v_threshold)
    args = [
        cst.Arg(literal(float(beta)), keyword=name("beta")),
        cst.Arg(literal(threshold), keyword=name("threshold")),
        cst.Arg(literal(n.reset), keyword=name("reset_mechanism")),
        cst.Arg(literal(True), keyword=name("reset_delay")),
    ]
    grad, notes = _surrogate(pop)
    if grad is not None:
        args.append(cst.Arg(grad, keyword=name("spike_grad")))
    notes.insert(
        0,
        f"snn.Leaky fires on '>', the canonical neuron on '>=': threshold={threshold!r} is the "
        f"float32 just below v_threshold={n.v_threshold!r}, so both fire on exactly the same membranes.",
    )
    if n.kind == "if":
        notes.insert(
            1,
            "IF neuron: snnTorch has no IF class, so snn.Leaky with beta=1.0 (no leak).",
        )
    return cst.Call(func=cst.Attribute(name("snn"), name("Leaky")), args=args), notes


def _canonical_class(pop: PopulationOp, cls: str, step: str) -> cst.BaseStatement:
    init_state = _with_body(
        "def init_state(self, x):",
        [
            _doc(
                "Initial membrane, previous spikes and refractory counter for currents like x."
            ),
            *stmts(
                "v = torch.full_like(x, {v0})\nreturn v, torch.zeros_like(x), torch.zeros_like(x)",
                v0=literal(float(pop.neuron.v_init)),
            ),
        ],
    )
    forward = _with_body(
        "def forward(self, x, v, s_prev, r):",
        [
            _doc("One step: returns (spikes, membrane, refractory counter)."),
            *stmts("return {f}(x, v, s_prev, r)", f=name(step)),
        ],
    )
    return _with_body(
        "class {c}(nn.Module):",
        [
            _doc(
                "The canonical neuron step (see the header), used where no snnTorch class is exact."
            ),
            init_state,
            _blank_before(forward),
        ],
        c=name(cls),
    )


# -- the model -------------------------------------------------------------------


def _population_block(
    graph: Graph, pop: PopulationOp, fc_attr: str, neuron_attr: str, step: str
) -> list[cst.BaseStatement]:
    src = graph.source_of(graph.projection(pop.name).name)
    source = (
        name("x") if isinstance(src, InputOp) else expr("out[{k}]", k=literal(src.name))
    )
    subs = dict(
        fc=name(fc_attr),
        lif=name(neuron_attr),
        src=source,
        key=literal(pop.name),
        vkey=literal(pop.name + ".v"),
    )
    if pop.impl == LEAKY:
        if pop.neuron.reset == "zero":
            # Leaky with reset_delay=True returns the pre-reset membrane; the canonical one is post-reset.
            record = "mem_rec.append(torch.where(spk > 0, torch.zeros_like(mem), mem))"
        else:
            # reset 'none', or the delayed subtract: the returned membrane IS the canonical one.
            record = "mem_rec.append(mem)"
        body = stmts(
            "cur = self.{fc}({src})\n"
            "spk_rec = []\n"
            "mem_rec = []\n"
            "if torch.is_grad_enabled():\n"
            "    mem = torch.zeros_like(cur[0])\n"
            "    for t in range(cur.shape[0]):\n"
            "        spk, mem = self.{lif}(cur[t], mem)\n"
            "        spk_rec.append(spk)\n"
            "        " + record + "\n"
            "else:\n"
            "    v, s, r = torch.zeros_like(cur[0]), torch.zeros_like(cur[0]), torch.zeros_like(cur[0])\n"
            "    for t in range(cur.shape[0]):\n"
            "        s, v, r = {step}(cur[t], v, s, r)\n"
            "        spk_rec.append(s)\n"
            "        mem_rec.append(v)\n"
            "out[{key}] = torch.stack(spk_rec)\n"
            "out[{vkey}] = torch.stack(mem_rec)\n",
            step=name(step),
            **subs,
        )
    elif pop.impl == CANONICAL:
        body = stmts(
            "cur = self.{fc}({src})\n"
            "v, s, r = self.{lif}.init_state(cur[0])\n"
            "spk_rec = []\n"
            "mem_rec = []\n"
            "for t in range(cur.shape[0]):\n"
            "    s, v, r = self.{lif}(cur[t], v, s, r)\n"
            "    spk_rec.append(s)\n"
            "    mem_rec.append(v)\n"
            "out[{key}] = torch.stack(spk_rec)\n"
            "out[{vkey}] = torch.stack(mem_rec)\n",
            **subs,
        )
    else:
        raise ValueError(
            f"snntorch: population {pop.name!r} has impl {pop.impl!r}; expected {LEAKY!r} or {CANONICAL!r}"
        )
    return [
        _lead(
            body[0],
            _comments(f"population {pop.name!r}: {pop.size} neurons, {pop.impl}"),
        )
    ] + body[1:]


_FORWARD_DOC = (
    "Spikes {population: [T, B, n]} and canonical membranes {population + '.v': [T, B, n]}.\n"
    "\n"
    "Computed layer by layer: each projection is applied to the whole [T, B, n]\n"
    "sequence of its source in one nn.Linear call, then the population steps through\n"
    "time over the precomputed currents. This is exact, not an approximation: the\n"
    "graph is feedforward (a DAG), so a population's current at step t depends only\n"
    "on its source's spikes at step t, all known before it runs. State starts fresh\n"
    "on every call.\n"
    "\n"
    "With autograd on (training), snn.Leaky neurons step with their surrogate\n"
    "gradients; without it (inference, as in run()), the generated step functions\n"
    "perform the same float32 operations with less per-step overhead.\n"
)


def _model_class(
    graph: Graph,
    cls: str,
    attrs: dict[str, tuple[str, str]],
    neuron_classes: dict[str, str],
    steps: dict[str, str],
) -> cst.BaseStatement:
    init_body: list[cst.BaseStatement] = list(stmts("super().__init__()"))
    for pop in graph.populations():
        fc = graph.projection(pop.name)
        fc_attr, neuron_attr = attrs[pop.name]
        (linear,) = stmts(
            "self.{a} = nn.Linear({i}, {o}, bias={b})",
            a=name(fc_attr),
            i=literal(fc.in_features),
            o=literal(fc.out_features),
            b=literal(bool(fc.bias)),
        )
        init_body.append(_lead(linear, module.note_comments(pop.note)))
        if pop.impl == LEAKY:
            call, notes = _leaky_call(pop)
        elif pop.impl == CANONICAL:
            call, notes = expr("{c}()", c=name(neuron_classes[pop.name])), []
        else:
            raise ValueError(
                f"snntorch: population {pop.name!r} has impl {pop.impl!r}; expected {LEAKY!r} or {CANONICAL!r}"
            )
        (neuron_stmt,) = stmts("self.{a} = {call}", a=name(neuron_attr), call=call)
        init_body.append(_lead(neuron_stmt, _comments(*notes)))
    init = _with_body("def __init__(self):", init_body)

    table = cst.Dict(
        [
            cst.DictElement(
                literal(pop.name), expr("self.{a}", a=name(attrs[pop.name][0]))
            )
            for pop in graph.populations()
        ]
    )
    projections = _with_body(
        "def projections(self):",
        [
            _doc("{population: its incoming nn.Linear}, in graph order."),
            *stmts("return {t}", t=table),
        ],
    )

    forward_body: list[cst.BaseStatement] = [_doc(_FORWARD_DOC), *stmts("out = {}")]
    for pop in graph.populations():
        forward_body += _population_block(graph, pop, *attrs[pop.name], steps[pop.name])
    forward_body += stmts("return out")
    forward = _with_body("def forward(self, x):", forward_body)

    return _with_body(
        "class {c}(nn.Module):",
        [
            _doc(
                f"The spiking network of this module ({len(graph.populations())} populations), for snntorch."
            ),
            init,
            _blank_before(projections),
            _blank_before(forward),
        ],
        c=name(cls),
    )


# -- the contract functions ------------------------------------------------------

_LOAD_WEIGHTS = '''
def load_weights(model, weights):
    """Load {"<population>.weight": [out, in], "<population>.bias": [out]} (tensors,
    arrays or nested lists, converted to float32). Returns the model.
    Raises ValueError naming the key for a missing or unknown key or a wrong shape."""
    expected = {}
    for pop, fc in model.projections().items():
        expected[pop + ".weight"] = fc.weight
        if fc.bias is not None:
            expected[pop + ".bias"] = fc.bias
    unknown = sorted(key for key in weights if key not in expected)
    if unknown:
        raise ValueError("unknown weight " + repr(unknown[0]) + "; expected " + repr(sorted(expected)))
    with torch.no_grad():
        for key, param in expected.items():
            if key not in weights:
                raise ValueError("missing weight " + repr(key))
            value = torch.as_tensor(weights[key], dtype=torch.float32)
            if tuple(value.shape) != tuple(param.shape):
                raise ValueError(
                    "weight " + repr(key) + " has shape " + repr(tuple(value.shape))
                    + ", expected " + repr(tuple(param.shape))
                )
            param.copy_(value)
    return model
'''

_EXPORT_WEIGHTS = '''
def export_weights(model):
    """The weights as {"<population>.weight": [out, in], "<population>.bias": [out]}:
    float32, CPU, contiguous copies; load_weights(model, export_weights(model)) is exact."""
    out = {}
    for pop, fc in model.projections().items():
        out[pop + ".weight"] = fc.weight.detach().to("cpu", torch.float32, copy=True).contiguous()
        if fc.bias is not None:
            out[pop + ".bias"] = fc.bias.detach().to("cpu", torch.float32, copy=True).contiguous()
    return out
'''

_RUN = '''
def run(model, inputs, membrane=False):
    """Run on inputs [T, B, INPUT_SIZE] (T may differ from TIME_STEPS), state reset first.
    Returns {"<population>": float32 spikes [T, B, n]} and, with membrane=True, also
    {"<population>.v": the canonical membrane after each step (post-reset)}.
    FP16 autocast only when PRECISION is "fp16-cuda" and the inputs are on CUDA."""
    param = next(model.parameters())
    inputs = torch.as_tensor(inputs, dtype=torch.float32).to(param.device)
    if inputs.dim() != 3 or inputs.shape[2] != INPUT_SIZE:
        raise ValueError("inputs must be [T, B, " + str(INPUT_SIZE) + "], got " + repr(tuple(inputs.shape)))
    for layer in model.modules():
        if isinstance(layer, snn.Leaky):
            layer.reset_mem()
    with torch.no_grad():
        if PRECISION == "fp16-cuda" and inputs.is_cuda:
            with torch.autocast("cuda", dtype=torch.float16):
                out = model(inputs)
        else:
            out = model(inputs)
    result = {}
    for pop in POPULATIONS:
        result[pop] = out[pop].float()
        if membrane:
            result[pop + ".v"] = out[pop + ".v"].float()
    return result
'''



def emit_module(graph: Graph, pipeline: list[str]) -> cst.Module:
    ns = Namespace(reserved=(*module.CONTRACT_NAMES, *_OWN_NAMES))
    model_cls = ns.name(graph.attrs.model_name, key=("model",))
    attr_ns = Namespace(reserved=_OWN_ATTRS)
    pops = graph.populations()
    attrs = {
        p.name: (attr_ns.name(f"fc_{p.name}", key=("fc", p.name)), attr_ns.name(f"lif_{p.name}", key=("lif", p.name)))
        for p in pops
    }
    for pop in pops:
        if pop.impl not in (LEAKY, CANONICAL):
            raise ValueError(
                f"snntorch: population {pop.name!r} has impl {pop.impl!r}; expected {LEAKY!r} or {CANONICAL!r}"
            )

    body: list[cst.BaseStatement] = list(
        stmts(
            "import torch\nimport torch.nn as nn\nimport snntorch as snn\nfrom snntorch import surrogate"
        )
    )
    consts = module.constant_stmts(graph)
    body += [_blank_before(consts[0]), *consts[1:]]

    neuron_classes: dict[str, str] = {}
    steps: dict[str, str] = {}
    for pop in pops:
        decay_name = None
        if pop.neuron.leak == "tc":
            decay_name = ns.name(f"DECAY_{pop.name}", key=("decay", pop.name))
            (decay,) = stmts(
                "{d} = {e}",
                d=name(decay_name),
                e=canonical.decay_expr(pop.neuron, graph.attrs.dt),
            )
            body.append(
                _blank_before(
                    _lead(
                        decay,
                        _comments(
                            f"population {pop.name!r}: BindsNET's float32 decay exp(-dt / tc_decay)."
                        ),
                    )
                )
            )
        step = steps[pop.name] = ns.name(f"{pop.name}_step", key=("step", pop.name))
        fn = canonical.step_function(step, pop.neuron, decay_name)
        why = "the canonical step" if pop.impl == CANONICAL else (
            "the canonical step, float32-identical to snn.Leaky (select-neuron-class); "
            "the inference loop without autograd uses it, training uses snn.Leaky"
        )
        body.append(_blank_before(_lead(fn, _comments(f"population {pop.name!r}: {why}."))))
        if pop.impl != CANONICAL:
            continue
        cls = neuron_classes[pop.name] = ns.name(f"Neuron_{pop.name}", key=("class", pop.name))
        body.append(_blank_before(_canonical_class(pop, cls, step)))

    body.append(_blank_before(_model_class(graph, model_cls, attrs, neuron_classes, steps)))
    (build,) = stmts(
        "def build_model(device=None):\n"
        '    """A fresh model with nn.Linear\'s default initialization, on `device` if given."""\n'
        "    model = {c}()\n"
        "    if device is not None:\n"
        "        model = model.to(device)\n"
        "    return model\n",
        c=name(model_cls),
    )
    body.append(_blank_before(build))
    for template in (_LOAD_WEIGHTS, _EXPORT_WEIGHTS, _RUN):
        (node,) = stmts(template.strip() + "\n")
        body.append(_blank_before(node))
    body += module.main_block()
    return module.assemble(graph, pipeline, body)


__all__ = ["emit_module"]
