"""`snnc stats SPEC`: what a model costs — parameters, memory, synaptic operations and an energy estimate.

Per layer and in total, per sample over all time steps:

- `params`: weights and biases (and learnable neuron parameters); `footprint_bytes` at the
  model's precision (4 bytes a value, 2 under FP16);
- `dense_synaptic_ops`: the weight products of every parametric layer as if every input were
  non-zero (bias adds not counted), over all time steps;
- `effective_synaptic_ops`, from a run of the generated module: one operation per non-zero
  input and non-zero outgoing weight (NeuroBench's rule), an accumulate (`acs`) where the
  layer's input at that step is spikes (every value 0, 1 or -1), else a multiply-accumulate
  (`macs`);
- `neuron_updates` (neurons x steps), and for populations `firing_rate` (spikes per neuron
  per step) and `activation_sparsity` (the share of zero outputs);
- `energy_pj` = macs * e_mac + acs * e_ac at the model's precision, from a per-operation
  energy table (default: 45 nm CMOS, Horowitz, ISSCC 2014; `--energy-table FILE.json`
  overrides it), `dense_energy_pj`, every dense operation a multiply-accumulate, and
  `neuron_energy_pj`, the neuron updates (a LIF update one MAC for its decay, an IF update
  one AC; threshold and reset not counted).

When a low-power pass ran (or with `--compare-passes`), the same totals follow for the spec
without its low-power passes, then with each one added in pipeline order, so that the
saving of LIF -> IF, FP16 and time-step scaling can be read off one by one.

The effective counts come from the snnTorch module of the spec, whatever the target: every
target's spikes are identical (the project's promise), and the snnTorch module exposes each
projection as a torch module whose inputs can be observed. Figures are estimates of what a
machine would do; the energy table's values are per-operation estimates, not measurements.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ir.graph import Graph

from ..diagnostics import EXIT_INTERNAL, EXIT_OK, EXIT_SPEC_ERROR, EXIT_USAGE, CompileError
from .runs import (RunFailed, add_run_arguments, check_memory, check_run_arguments, guarded, load_module,
                   random_spikes, random_weights, report, state_dict_reader)

# Energy per operation in picojoules, 45 nm CMOS (M. Horowitz, "Computing's energy problem (and what we
# can do about it)", ISSCC 2014): FP32 multiply 3.7 + add 0.9; FP16 multiply 1.1 + add 0.4.
ENERGY_45NM = {"fp32": {"mac": 4.6, "ac": 0.9}, "fp16": {"mac": 1.5, "ac": 0.4}}
LOW_POWER_PASSES = ("neuron-substitution", "precision-lowering", "timestep-scaling")
BYTES = {"fp32": 4, "fp16": 2}


@dataclass
class LayerStats:
    name: str
    kind: str
    shape: list[int]
    key: str | None = None  # a parametric layer's weight key prefix ("<key>.weight")
    params: int = 0
    footprint_bytes: int = 0
    dense_synaptic_ops: int = 0
    effective_synaptic_ops: int = 0
    acs: int = 0
    macs: int = 0
    neuron_updates: int = 0
    neuron: str | None = None  # a population's neuron kind: lif, if, cuba, li or i (the last two never fire)
    firing_rate: float | None = None
    activation_sparsity: float | None = None


@dataclass
class Report:
    model: str
    target: str
    precision: str
    time_steps: int
    batch: int
    pipeline: list[str]
    layers: list[LayerStats] = field(default_factory=list)
    total: dict = field(default_factory=dict)
    changed_by: list[str] = field(default_factory=list)  # the passes that changed the model


def precision_of(graph: Graph) -> str:
    """The energy table's precision: FP16 where the model computes its projections in half precision."""
    return "fp16" if graph.attrs.precision.startswith("fp16") else "fp32"


def is_projection(op) -> bool:
    """A parametric op whose weight sums over inputs (linear, convolutions): its operations depend on
    which inputs are non-zero. Other parametric ops (batch norm) cost one MAC per element."""
    return any(slot.draw == "fan_in" for slot in op.slots())


def dense_ops_per_step(op) -> int:
    """Weight products of one parametric op in one step, as if every input were non-zero."""
    if not is_projection(op):
        return math.prod(op.shape)  # elementwise: x * scale + shift
    weight = op.weights()["weight"]
    if len(weight) == 2:  # a matrix: every output sums every input
        return math.prod(weight)
    # a convolution: every output element sums over one kernel window of every input channel
    return math.prod(op.shape) * math.prod(weight[1:])


def static_layers(graph: Graph, steps: int) -> list[LayerStats]:
    """Per op (input excluded, graph order): parameters, footprint, dense operations and neuron updates."""
    width = BYTES[precision_of(graph)]
    out = []
    for op in graph.ops():
        if op.kind == "input":
            continue
        layer = LayerStats(op.name, op.kind, list(op.shape))
        if op in graph.parametric():
            layer.key = op.key
            layer.params = sum(math.prod(slot.shape) for slot in op.weight_slots().values())
            layer.footprint_bytes = layer.params * width
            layer.dense_synaptic_ops = dense_ops_per_step(op) * steps
        if op.kind == "population":
            layer.neuron_updates = math.prod(op.shape) * steps
            layer.neuron = op.neuron.kind
        out.append(layer)
    return out


class _Counter:
    """Counts the effective operations of one parametric op from its inputs, step by step."""

    def __init__(self, op, weight):
        import torch

        self.op, self.calls, self.acs, self.macs = op, 0, 0, 0
        nonzero = (weight != 0).double()
        if weight.dim() == 2:  # a matrix: each non-zero input i costs one operation per non-zero weight in column i
            self.per_input, self.kernel = nonzero.sum(0), None
        else:
            self.kernel = nonzero
        self.torch = torch

    def __call__(self, _module, args):
        torch = self.torch
        x = args[0].detach()
        spikes = bool(((x == 0) | (x == 1) | (x == -1)).all())
        present = (x != 0).double()
        if self.kernel is None:
            ops = int((present.reshape(-1, present.shape[-1]).sum(0) @ self.per_input).item())
        else:
            conv = torch.nn.functional.conv1d if self.kernel.dim() == 3 else torch.nn.functional.conv2d
            ops = int(conv(present, self.kernel, stride=self.op.stride, padding=self.op.padding).sum().item())
        self.calls += 1
        if spikes:
            self.acs += ops
        else:
            self.macs += ops


def measure(source: str, graph: Graph, weights: dict, inputs, directory: Path) -> dict:
    """Run the snnTorch module `source` on `inputs` with hooks on every projection:
    {op name: (acs, macs)} summed over the batch, and the run's outputs."""

    def action():
        module = load_module(source, directory, "stats_snntorch")
        model = module.load_weights(module.build_model(), weights)
        model.eval()
        exported = module.export_weights(model)
        slots = module.weight_slots(model)
        by_key = {f"{op.key}.weight": op for op in graph.parametric() if is_projection(op)}
        counters, hooks = {}, []
        for key, op in by_key.items():
            tensor = slots[key][0]
            owner = next(m for m in model.modules() if any(
                p is tensor for p in [*m.parameters(recurse=False), *m.buffers(recurse=False)]))
            counters[op.name] = _Counter(op, exported[key])
            hooks.append(owner.register_forward_pre_hook(counters[op.name]))
        try:
            out = module.run(model, inputs, membrane=False)
        finally:
            for hook in hooks:
                hook.remove()
        steps = inputs.shape[0]
        for name, counter in counters.items():
            if counter.calls != steps:  # every projection is computed once per step in the generated module
                raise RunFailed(f"internal error: stats saw {name} computed {counter.calls} times in "
                                f"{steps} steps", EXIT_INTERNAL)
        return {name: (c.acs, c.macs) for name, c in counters.items()}, out

    return guarded("snntorch", action)


@dataclass(frozen=True)
class Sampling:
    """Random inputs where none are given: T (None: the compiled TIME_STEPS), batch, spike rate, seed."""

    time_steps: int | None = None
    batch: int = 16
    rate: float = 0.2
    seed: int = 0


def count(spec: Path, target: str | None = None, passes: list[str] | None = None, weights: dict | None = None,
          inputs=None, sampling: Sampling = Sampling(), energy: dict | None = None) -> Report:
    """The Report of `spec` compiled for `target` with the passes `passes` (default: the standard
    pipeline), run on `inputs` [T, B, ...] (default: random spikes as `sampling` says) with `weights`
    (default: seeded random ones). Raises CompileError for a bad spec, RunFailed for a failed run."""
    from ..build import compile_spec
    from passes.manager import parse_pipeline

    passes = parse_pipeline(None) if passes is None else passes
    energy = ENERGY_45NM if energy is None else energy
    compiled = compile_spec(spec, target, ",".join(passes))
    graph = compiled.graph
    runnable = compiled if graph.attrs.target == "snntorch" else compile_spec(spec, "snntorch", ",".join(passes))
    if inputs is None:
        steps = sampling.time_steps or graph.attrs.time_steps
        check_memory(graph, steps, sampling.batch, copies=2)
        inputs = random_spikes(graph, steps, sampling.batch, sampling.rate, sampling.seed)
    steps, batch = inputs.shape[0], inputs.shape[1]
    if weights is None:
        weights = random_weights(graph, sampling.seed)
    with tempfile.TemporaryDirectory(prefix="snnc-stats-") as tmp:
        counts, out = measure(runnable.source, runnable.graph, weights, inputs, Path(tmp))
    result = Report(graph.attrs.model_name, graph.attrs.target, precision_of(graph), steps, batch, passes,
                    changed_by=sorted({d.pass_name for d in graph.decisions}))
    result.layers = static_layers(graph, steps)
    for layer in result.layers:
        if layer.name in counts:
            acs, macs = counts[layer.name]
            layer.acs, layer.macs = _per_sample(acs, batch), _per_sample(macs, batch)
            layer.effective_synaptic_ops = layer.acs + layer.macs
        elif layer.dense_synaptic_ops:  # elementwise with weights: every element, every step, a MAC
            layer.macs = layer.effective_synaptic_ops = layer.dense_synaptic_ops
        if layer.kind == "population" and layer.neuron not in ("li", "i"):  # a non-spiking one has no rate
            spikes = out[layer.name]
            layer.firing_rate = float(spikes.double().mean())
            layer.activation_sparsity = float((spikes == 0).double().mean())
    result.total = totals(result.layers, energy[result.precision])
    return result


def _per_sample(count: int, batch: int) -> int | float:
    """A count over the batch, per sample (an integer where it divides)."""
    return count // batch if count % batch == 0 else count / batch


def totals(layers: list[LayerStats], energy: dict) -> dict:
    pops = [layer for layer in layers if layer.kind == "population"]
    total = {key: sum(getattr(layer, key) for layer in layers) for key in (
        "params", "footprint_bytes", "dense_synaptic_ops", "effective_synaptic_ops", "acs", "macs",
        "neuron_updates")}
    total["energy_pj"] = total["macs"] * energy["mac"] + total["acs"] * energy["ac"]
    total["dense_energy_pj"] = total["dense_synaptic_ops"] * energy["mac"]
    # a LIF update multiplies by its decay and adds its input (a MAC), an IF update only adds (an AC)
    total["neuron_energy_pj"] = sum(layer.neuron_updates * energy["mac" if layer.neuron in ("lif", "li", "cuba") else "ac"]
                                    for layer in pops)
    spiking = [layer for layer in pops if layer.firing_rate is not None]  # non-spiking ones have no rate
    neurons_steps = sum(layer.neuron_updates for layer in spiking)
    total["firing_rate"] = (sum(layer.firing_rate * layer.neuron_updates for layer in spiking) / neurons_steps
                            if neurons_steps else None)
    total["activation_sparsity"] = None if total["firing_rate"] is None else \
        sum(layer.activation_sparsity * layer.neuron_updates for layer in spiking) / neurons_steps
    return total


def load_energy_table(path: str | None) -> dict:
    """The energy table: the default, or a JSON file {"fp32": {"mac": pJ, "ac": pJ}, "fp16": {...}}
    (each entry optional: missing ones keep the default); RunFailed naming what is wrong."""
    table = {k: dict(v) for k, v in ENERGY_45NM.items()}
    if path is None:
        return table
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise RunFailed(f"{path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", 0)
        where = f"{path}:{line}:{exc.colno}" if line else path
        raise RunFailed(f"{where}: not a JSON energy table: {getattr(exc, 'msg', exc)}") from None
    if not isinstance(data, dict):
        raise RunFailed(f"{path}: the energy table must be an object such as "
                        '{"fp32": {"mac": 4.6, "ac": 0.9}}')
    for precision, entry in data.items():
        if precision not in table:
            raise RunFailed(f"{path}: /{precision}: unknown precision; expected {', '.join(table)}")
        if not isinstance(entry, dict):
            raise RunFailed(f"{path}: /{precision}: expected an object with 'mac' and 'ac' in pJ")
        for key, value in entry.items():
            if key not in ("mac", "ac"):
                raise RunFailed(f"{path}: /{precision}/{key}: unknown key; expected 'mac' or 'ac'")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
                raise RunFailed(f"{path}: /{precision}/{key}: expected a finite number of pJ >= 0, got {value!r}")
            table[precision][key] = float(value)
    return table


def _parser(prog: str) -> argparse.ArgumentParser:

    p = argparse.ArgumentParser(prog=f"{prog} stats", description=__doc__.splitlines()[0])
    p.add_argument("spec", help="the JSON model spec")
    p.add_argument("--target", default=None, help="the target whose compiled model is counted (default: the spec's "
                                                  "target_simulator)")
    p.add_argument("--passes", default=None, help="the pass pipeline (default: the standard one)")
    add_run_arguments(p, batch=16)
    p.add_argument("--energy-table", metavar="FILE.json", help='per-operation energies in pJ, e.g. {"fp32": '
                                                                 '{"mac": 4.6, "ac": 0.9}} (default: 45 nm CMOS)')
    p.add_argument("--compare-passes", action="store_true", help="also count the spec without its low-power "
                                                                 "passes and with each added (default: when one ran)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    return p


def main(argv: list[str], prog: str = "snnc") -> int:
    args = _parser(prog).parse_args(argv)
    try:
        return _stats(args)
    except RunFailed as exc:
        return report(exc)
    except KeyboardInterrupt:
        return 130


def _stats(args: argparse.Namespace) -> int:
    from passes.manager import PipelineError, check_emit, parse_pipeline
    from ..frontend.vocabulary import normalize_simulator

    check_run_arguments(args)
    target = None
    if args.target is not None:
        target = normalize_simulator(args.target)
        if target is None:
            raise RunFailed(f"unknown target {args.target!r}; choose from snntorch, spikingjelly, bindsnet",
                            EXIT_USAGE)
    try:
        passes = parse_pipeline(args.passes)
        check_emit(passes, "python")
    except PipelineError as exc:
        raise RunFailed(str(exc), EXIT_USAGE) from None
    energy = load_energy_table(args.energy_table)
    try:
        import torch
    except ImportError:
        raise RunFailed("'stats' runs the generated model and needs torch and snnTorch: pip install 'snnc[sim]'") \
            from None
    from ..build import compile_spec
    from ..weightfile import WeightFileError, load, load_inputs

    spec = Path(args.spec)
    try:
        graph = compile_spec(spec, target, args.passes).graph
    except CompileError as exc:
        for d in exc.diagnostics:
            print(d.render(), file=sys.stderr)
        return EXIT_SPEC_ERROR
    target = graph.attrs.target
    weights = inputs = None
    try:
        if args.weights:
            def sources():
                return {t: compile_spec(spec, t, args.passes).source for t in dict.fromkeys((target, "snntorch"))}

            weights = {k: torch.from_numpy(v) for k, v in load(Path(args.weights), graph.weight_shapes(),
                                                                state_dict_reader(sources)).items()}
        if args.inputs:
            inputs = load_inputs(Path(args.inputs), graph.input().shape)
            check_memory(graph, inputs.shape[0], inputs.shape[1], copies=2)
    except WeightFileError as exc:
        raise RunFailed(str(exc)) from None
    if args.threads:
        torch.set_num_threads(args.threads)

    stages = [passes]
    compared = args.compare_passes or any(d.pass_name in LOW_POWER_PASSES for d in graph.decisions)
    if compared:
        base = [name for name in passes if name not in LOW_POWER_PASSES]
        stages = [base] + [[name for name in passes if name in base or name in LOW_POWER_PASSES[:k + 1]]
                           for k in range(len(LOW_POWER_PASSES)) if LOW_POWER_PASSES[k] in passes]
    sampling = Sampling(args.time_steps, args.batch, args.rate, args.seed)
    try:
        reports = [count(spec, target, stage, weights, inputs, sampling, energy) for stage in stages]
    except CompileError as exc:  # the spec without a pass the target needs (reported as a spec error)
        for d in exc.diagnostics:
            print(d.render(), file=sys.stderr)
        return EXIT_SPEC_ERROR
    # a stage whose low-power pass changed nothing repeats the one before it
    reports = [r for k, r in enumerate(reports) if not k or _stage_pass(r.pipeline) in r.changed_by]
    main_report = reports[-1]
    source = (f"weights {args.weights}" if args.weights else f"seed {args.seed} Gaussian weights") + ", " + \
        (f"inputs {args.inputs}" if args.inputs else f"random spikes at rate {args.rate}")
    if args.json:
        data = {"model": main_report.model, "target": target, "precision": main_report.precision,
                "time_steps": main_report.time_steps, "batch": main_report.batch, "run": source,
                "counted_on": "snntorch", "energy_table_pj": energy,
                "layers": [asdict(layer) for layer in main_report.layers], "total": main_report.total}
        if compared:
            data["passes"] = [{"stage": _stage_name(r.pipeline), "pipeline": r.pipeline,
                               "precision": r.precision, "time_steps": r.time_steps, "total": r.total}
                              for r in reports]
        print(json.dumps(data, indent=2))
        return EXIT_OK
    print(_tables(main_report, source, energy))
    if len(reports) > 1:
        print()
        print(_pass_table(reports))
    elif compared:
        print("\nno low-power pass changes this model (see power_mode and hardware_constraints in docs/spec.md)")
    return EXIT_OK


def _stage_pass(pipeline: list[str]) -> str | None:
    """The last low-power pass of a comparison stage (None: the stage without them)."""
    added = [name for name in pipeline if name in LOW_POWER_PASSES]
    return added[-1] if added else None


def _stage_name(pipeline: list[str]) -> str:
    added = _stage_pass(pipeline)
    return "+ " + added if added else "without low-power passes"


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.4g}" if value < 1 else f"{value:,.1f}"
    return f"{int(value):,}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).rjust(w) if i else str(cell).ljust(w) for i, (cell, w) in
                       enumerate(zip(row, widths, strict=True))).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _tables(r: Report, source: str, energy: dict) -> str:
    e = energy[r.precision]
    head = (f"{r.model}: target {r.target}, {r.precision.upper()}, T={r.time_steps}, per sample (batch {r.batch}); "
            f"effective operations from a run of the snnTorch module ({source}); energy at "
            f"{e['mac']:g} pJ a MAC, {e['ac']:g} pJ an AC")
    header = ["layer", "kind", "weights", "params", "bytes", "dense ops", "effective", "ACs", "MACs", "updates", "rate",
              "sparsity"]
    rows = [[x.name, x.kind, x.key or "", _fmt(x.params), _fmt(x.footprint_bytes), _fmt(x.dense_synaptic_ops),
             _fmt(x.effective_synaptic_ops), _fmt(x.acs), _fmt(x.macs), _fmt(x.neuron_updates), _fmt(x.firing_rate),
             _fmt(x.activation_sparsity)] for x in r.layers]
    t = r.total
    rows.append(["total", "", "", _fmt(t["params"]), _fmt(t["footprint_bytes"]), _fmt(t["dense_synaptic_ops"]),
                 _fmt(t["effective_synaptic_ops"]), _fmt(t["acs"]), _fmt(t["macs"]), _fmt(t["neuron_updates"]),
                 _fmt(t["firing_rate"]), _fmt(t["activation_sparsity"])])
    energy_line = (f"energy estimate: {_fmt(t['energy_pj'])} pJ per sample in synaptic operations (every dense "
                   f"operation a MAC: {_fmt(t['dense_energy_pj'])} pJ), {_fmt(t['neuron_energy_pj'])} pJ in neuron "
                   "updates")
    return "\n".join([head, "", _table(header, rows), "", energy_line])


def _pass_table(reports: list[Report]) -> str:
    base = reports[0].total
    header = ["stage", "T", "precision", "neurons", "dense ops", "ACs", "MACs", "energy pJ", "vs without",
              "neuron pJ"]
    rows = []
    for r in reports:
        t = r.total
        kinds = sorted({layer.neuron.upper() for layer in r.layers if layer.neuron})
        saving = 1 - t["energy_pj"] / base["energy_pj"] if base["energy_pj"] else 0.0
        rows.append([_stage_name(r.pipeline), str(r.time_steps), r.precision.upper(), "+".join(kinds),
                     _fmt(t["dense_synaptic_ops"]), _fmt(t["acs"]), _fmt(t["macs"]), _fmt(t["energy_pj"]),
                     f"{-saving:+.1%}" if r is not reports[0] else "-", _fmt(t["neuron_energy_pj"])])
    return "what the low-power passes change (same weights and input rate):\n" + _table(header, rows)
