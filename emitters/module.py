"""The generated module's contract, written once for every target (DESIGN.md, "The generated module").

    MODEL_NAME, TARGET, TIME_STEPS, INPUT_SHAPE, PRECISION, POPULATIONS, WEIGHTS
    build_model(device=None)                     the simulator's own object
    load_weights(model, weights)                 every key and shape checked before any is set;
                                                 also the model's own state_dict()
    export_weights(model) -> dict                same keys and shapes; exact round trip
    run(model, inputs, membrane=False, grad=False) -> dict
    if __name__ == "__main__": a smoke run

A target supplies three generated pieces: `build_model`, `weight_slots(model)` (each
weight key's tensor in the model, and whether it is stored transposed) and
`simulate(model, x, membrane=True)` ({population: spikes [T, B, ...], population + ".v":
membranes}; with membrane=False a target may leave the membranes out and save their cost).
Everything else here is the same text in every target, so the copies cannot drift.
"""

from __future__ import annotations

import re

import libcst as cst

from ir.graph import Graph

from .layers import names_text
from .toolkit import clean_text, comment_lines, fixed, fixed_text, literal, name, preformatted, stmts

TOOL = "snnc"

# Names every target defines at module level; op-derived names must never collide with them.
CONTRACT_NAMES = (
    "MODEL_NAME", "TARGET", "TIME_STEPS", "INPUT_SHAPE", "PRECISION", "POPULATIONS", "WEIGHTS",
    "build_model", "load_weights", "export_weights", "run", "weight_slots", "simulate", "model_device", "unwrapped",
    "state_dict_weights",
    "torch", "nn", "F", "math",
    "smoke_model", "smoke_inputs", "smoke_out", "smoke_pop", "smoke_rate",
)

_CONTRACT = fixed_text('''
def unwrapped(model):
    """The model inside a data-parallel wrapper (DistributedDataParallel, DataParallel), else the model."""
    parallel = (torch.nn.parallel.DistributedDataParallel, torch.nn.DataParallel)
    return model.module if isinstance(model, parallel) else model


def model_device(model):
    """The device of the model's first parameter or buffer (the CPU if it has none)."""
    for tensor in list(model.parameters()) + list(model.buffers()):
        return tensor.device
    return torch.device("cpu")


def load_weights(model, weights):
    """Load {"<layer>.weight": ..., "<layer>.bias": ...} (tensors, arrays or nested lists) in
    torch's layout (linear [out, in], conv2d [out, in, kh, kw]); see WEIGHTS. Returns the model.
    The model's own state_dict() loads too, also after torch.save and torch.load: its entries
    are matched to WEIGHTS by the tensor each holds in the model, and those that are not
    weights (neuron buffers, monitors) are ignored.

    Every key, value and shape is checked before anything is set: a missing or unknown key,
    a value that is not real numbers or a wrong shape raises ValueError naming it, and the
    model is left unchanged."""
    if not isinstance(weights, dict):
        raise ValueError("weights must be a dict, got " + type(weights).__name__)
    state = model.state_dict(keep_vars=True)
    unknown = sorted(
        repr(key) for key in weights if key not in WEIGHTS and key not in state
    )
    if unknown:
        raise ValueError(
            "unknown weight "
            + unknown[0]
            + "; expected "
            + repr(sorted(WEIGHTS))
            + " or the keys of model.state_dict()"
        )
    names, flipped = {}, set()
    if any(key not in WEIGHTS for key in weights):
        weights, names, flipped = state_dict_weights(model, weights, state)
    missing = [key for key in WEIGHTS if key not in weights]
    if missing:
        raise ValueError("missing weight " + repr(missing[0]))
    values = {}
    for key, shape in WEIGHTS.items():
        label = repr(names.get(key, key))
        try:
            value = torch.as_tensor(weights[key]).detach()
        except (TypeError, ValueError, RuntimeError) as exc:
            raise ValueError(
                "weight " + label + " is not an array of numbers: " + str(exc)
            ) from None
        if value.is_complex():
            raise ValueError(
                "weight " + label + " must be real numbers, got " + str(value.dtype)
            )
        value = value.to("cpu", torch.float32)
        expected = shape[::-1] if key in flipped else shape
        if tuple(value.shape) != expected:
            raise ValueError(
                "weight "
                + label
                + " has shape "
                + repr(tuple(value.shape))
                + ", expected "
                + repr(expected)
            )
        values[key] = value.t() if key in flipped else value
    with torch.no_grad():
        for key, (tensor, transposed) in weight_slots(unwrapped(model)).items():
            value = values[key].t() if transposed else values[key]
            tensor.copy_(value.to(tensor.device))
    return model


def state_dict_weights(model, weights, state):
    """The weights in `weights`, entries of the model's own state_dict() (`state`), under
    their WEIGHTS keys; the key each had in `weights`; and the WEIGHTS keys whose tensor
    the model stores transposed. Entries that hold no weight are left out."""
    slots = {
        id(tensor): (key, transposed)
        for key, (tensor, transposed) in weight_slots(unwrapped(model)).items()
    }
    out, names, flipped = {}, {}, set()
    for name, value in weights.items():
        if name not in state:
            raise ValueError(
                "weight "
                + repr(name)
                + " is not a key of model.state_dict(), as the others are"
            )
        if id(state[name]) in slots:
            key, transposed = slots[id(state[name])]
            out[key], names[key] = value, name
            if transposed:
                flipped.add(key)
    return out, names, flipped


def export_weights(model):
    """The weights as {"<layer>.weight": ..., "<layer>.bias": ...}: float32, CPU, contiguous
    copies in torch's layout; load_weights(model, export_weights(model)) is exact."""
    out = {}
    for key, (tensor, transposed) in weight_slots(unwrapped(model)).items():
        value = tensor.detach().t() if transposed else tensor.detach()
        out[key] = value.to("cpu", torch.float32).contiguous().clone()
    return out


def run(model, inputs, membrane=False, grad=False):
    """Run on inputs [T, B, *INPUT_SHAPE] (any T >= 1, any B >= 1), state reset first.

    Returns {"<population>": float32 spikes [T, B, *shape]} and, with membrane=True, also
    {"<population>.v": the membrane after each step}. `inputs` is never modified. With
    grad=True autograd stays on and the result is differentiable through the spec's
    surrogate gradient. FP16 autocast only when PRECISION is "fp16-cuda" on CUDA."""
    x = torch.as_tensor(inputs)
    if (
        x.dim() != 2 + len(INPUT_SHAPE)
        or tuple(x.shape[2:]) != INPUT_SHAPE
        or 0 in x.shape[:2]
    ):
        raise ValueError(
            "inputs must be [T, B, "
            + ", ".join(map(str, INPUT_SHAPE))
            + "] with T, B >= 1, got "
            + repr(tuple(x.shape))
        )
    if x.is_complex():
        raise ValueError("inputs must be real numbers, got " + str(x.dtype))
    x = x.to(model_device(model), torch.float32)
    fp16 = PRECISION == "fp16-cuda" and x.is_cuda
    with (
        torch.set_grad_enabled(grad),
        torch.autocast("cuda", dtype=torch.float16, enabled=fp16),
    ):
        out = simulate(model, x, membrane)
    result = {}
    for pop in POPULATIONS:
        result[pop] = out[pop].float()
        if membrane:
            result[pop + ".v"] = out[pop + ".v"].float()
    return result
''')



def _refusing_grad(contract: str) -> str:
    """The contract with BindsNET's run: the same, refusing grad=True right after its docstring."""
    end = 'surrogate gradient. FP16 autocast only when PRECISION is "fp16-cuda" on CUDA."""\n'
    if contract.count(end) != 1:
        raise AssertionError("run's docstring has changed: update _refusing_grad")
    return contract.replace(end, end + '''\
    if grad:
        raise ValueError(
            "BindsNET has no surrogate gradients: compile the spec for snntorch or spikingjelly to train it"
        )
''')


_CONTRACT_NO_GRAD = fixed_text(_refusing_grad(_CONTRACT))

_MAIN = fixed_text('''
if __name__ == "__main__":
    torch.manual_seed(0)
    smoke_model = build_model()
    smoke_inputs = torch.bernoulli(torch.full((TIME_STEPS, 4, *INPUT_SHAPE), 0.2))
    smoke_out = run(smoke_model, smoke_inputs)
    print(MODEL_NAME, "on", TARGET, "for", TIME_STEPS, "steps, batch 4")
    for smoke_pop in POPULATIONS:
        smoke_rate = smoke_out[smoke_pop].mean().item()
        print(smoke_pop, "firing rate", round(smoke_rate, 4))
''')


_COPY = """            tensor.copy_(value.to(tensor.device))
"""
_REFOLD = """        for layer in unwrapped(model).modules():
            if isinstance(layer, Folded):
                layer.fold()
"""


assert _CONTRACT.count(_COPY) == 1 and _CONTRACT_NO_GRAD.count(_COPY) == 1
_FOLDING = {contract: fixed_text(contract.replace(_COPY, _COPY + _REFOLD)) for contract in (_CONTRACT, _CONTRACT_NO_GRAD)}


def contract_functions(trains: bool, folds: bool = False) -> list[cst.BaseStatement]:
    """unwrapped, model_device, load_weights, export_weights and run; `trains` False: run refuses grad;
    `folds`: the model has `Folded` layers, whose folded weights load_weights computes once loaded."""
    text = _CONTRACT if trains else _CONTRACT_NO_GRAD
    return fixed(_FOLDING[text] if folds else text)


def main_block() -> list[cst.BaseStatement]:
    """The `__main__` smoke run, the same for every target: random input, firing rates."""
    return fixed(_MAIN)


def constant_stmts(graph: Graph) -> list[cst.BaseStatement]:
    a = graph.attrs
    values = {
        "MODEL_NAME": a.model_name,
        "TARGET": a.target,
        "TIME_STEPS": a.time_steps,
        "INPUT_SHAPE": graph.input().shape,
        "PRECISION": a.precision,
        "POPULATIONS": {p.name: p.shape for p in graph.populations()},
        "WEIGHTS": graph.weight_shapes(),
    }
    return [stmt for k, v in values.items() for stmt in _constant(k, v)]


_PLAIN_STR = re.compile(r"[\w .:()-]*", re.ASCII)
BLACK_WIDTH = 88


def black_literal(value) -> str | None:
    """black's text of a plain literal, or None if it is not plain: an int, a string of ASCII
    letters, digits, spaces and `_.:()-` (which black writes in double quotes, escaping nothing),
    or a tuple of them."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return f'"{value}"' if _PLAIN_STR.fullmatch(value) else None
    if isinstance(value, tuple):
        items = [black_literal(v) for v in value]
        if None in items:
            return None
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    return None


def table_text(var: str, value: dict) -> str | None:
    """`VAR = {...}` as black writes it when it is too long for one line, has two entries or more
    and every entry is plain and fits on a line of its own: one entry per line, each with a
    trailing comma. None otherwise (black puts a single entry on its own line with no comma)."""
    if not isinstance(value, dict) or len(value) < 2:
        return None
    entries = []
    for k, v in value.items():
        key, val = black_literal(k), black_literal(v)
        if key is None or val is None or len(key) + len(val) + 7 > BLACK_WIDTH:  # "    k: v,"
            return None
        entries.append(f"{key}: {val}")
    if len(f"{var} = {{{', '.join(entries)}}}") <= BLACK_WIDTH:  # black keeps it on one line
        return None
    return f"{var} = {{\n" + "".join(f"    {e},\n" for e in entries) + "}\n"


def _constant(var: str, value) -> list[cst.BaseStatement]:
    """`VAR = value`. A table too long for one line (WEIGHTS, POPULATIONS) is written one entry per
    line, as black writes it (`table_text`), and black skips it: for a 100-layer chain the two
    tables were most of black's time. Anything else, or a table with an entry that is not plain,
    black formats."""
    (stmt,) = stmts("{n} = {v}", n=name(var), v=literal(value))
    text = table_text(var, value)
    return [stmt if text is None else preformatted(stmt, text)]


def _numerics_lines(a) -> list[str]:
    if a.batched():
        return ['Numerics "batched" (the spec\'s choice or --numerics): each projection outside feedback cycles runs',
                "over all T*B rows at once. The snnTorch and SpikingJelly modules of this spec agree bit for bit; a",
                "BindsNET module steps one at a time, agreeing within float32 rounding (see `check`)."]
    lines = ["Every projection runs one time step at a time on [B, ...] with 64-byte-aligned operands, in every",
             "target: BLAS and oneDNN round differently for other row counts or alignments."]
    if a.numerics == "batched":
        lines.append(f'Numerics "batched" was asked for: {a.target} steps the whole graph, so it stays exact.')
    return lines


def header_lines(graph: Graph, pipeline: list[str]) -> list[cst.EmptyLine]:
    """The header comment. Its first two lines are fixed text, so that nothing from the
    spec can ever form a PEP 263 coding declaration."""
    from compiler import __version__

    from .neurons import describe

    a = graph.attrs
    lines = [
        f"Generated by {TOOL} {__version__}; do not edit: change the spec and compile again.",
        f"Target: {a.target}. Spec vocabulary: {a.source_simulator}.",
        f"Spec: {a.spec_file or '<memory>'} (sha256 {a.spec_hash or '-'}).",
        "Pass pipeline: " + (", ".join(pipeline) or "(none)") + ".",
        f"time_steps={a.time_steps}, dt={a.dt!r}, power_mode={a.power_mode}, "
        f"device_type={a.device_type}, precision={a.precision}, input shape {list(graph.input().shape)}.",
        *_numerics_lines(a),
        "Populations (canonical neuron: the exact float32 arithmetic of its simulator's class):",
    ]
    groups: dict[str, list[str]] = {}  # populations that say the same share a line
    for pop in graph.populations():
        grad = f"surrogate {pop.neuron.surrogate}" if pop.neuron.spiking else "outputs its membrane"
        text = f"{list(pop.shape)}: {describe(pop.neuron)}, {grad} -> {pop.impl}"
        groups.setdefault(text, []).append(pop.name)
    lines += [f"  {names_text(members)} {text}" for text, members in groups.items()]
    if graph.schedule:
        lines.append("Schedule: " + _schedule_text(graph) + ".")
    if graph.decisions:
        lines.append("Decisions:")
        said: dict[tuple[str, str], list[str]] = {}
        for d in graph.decisions:
            said.setdefault((d.pass_name, d.message), []).append(d.subject)
        lines += [f"  [{p}] {names_text(subjects)}: {message}" for (p, message), subjects in said.items()]
    out: list[cst.EmptyLine] = []
    for line in lines:
        for text in clean_text(line):
            out.append(cst.EmptyLine(comment=cst.Comment(("# " + text).rstrip())))
    return out


def _schedule_text(graph: Graph) -> str:
    """The stages in order; a run of single-op layer stages is said once."""
    parts, run = [], []
    for stage in graph.schedule:
        if stage.mode == "layer" and len(stage.ops) == 1:
            run.append(stage.ops[0])
            continue
        if run:
            parts.append("layer by layer " + names_text(run))
            run = []
        ops = ", ".join(stage.ops) if len(stage.ops) <= 6 else \
            f"{len(stage.ops)} ops {stage.ops[0]}, {stage.ops[1]}, ..., {stage.ops[-1]} (in graph order)"
        parts.append(f"{'step by step' if stage.mode == 'step' else 'layer'} {ops}")
    if run:
        parts.append("layer by layer " + (f"each of the {len(run)} ops in graph order" if len(run) > 6
                                          else ", ".join(run)))
    return "; ".join(parts)


def note_comments(op) -> list[cst.EmptyLine]:
    """The spec's note on an op, as sanitized comment lines (nothing if it has none)."""
    return comment_lines(op.note, f"note ({op.name})") if op.note else []


def assemble(graph: Graph, pipeline: list[str], body: list[cst.BaseStatement]) -> cst.Module:
    return cst.Module(body=body, header=header_lines(graph, pipeline))
