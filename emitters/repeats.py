"""Runs of identical consecutive layers, so that a generated module writes them once, in a loop.

A *block* is a few consecutive ops of a chain (single-op layer stages, each reading
only the op before it, with no delay, and read by nothing but the op after it); a
*run* is at least MIN_REPEATS consecutive blocks that are the same but for their
names: the target says what must be equal (`same`: op kinds, constructors, so shapes
and neuron parameters, step functions) and which names the loop writes (`labels`:
module attributes, population names, weight keys), and those names must count up
evenly from block to block (layer_1, layer_2, ...), so that one loop variable spells
them all. Each target writes a run its own way; the numbers are the same floats in
the same order, only the source is shorter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import libcst as cst

from ir.graph import Graph
from ir.ops import Op, PopulationOp, Slot

from .toolkit import literal, name

MIN_REPEATS = 4  # fewer identical blocks read better written out
MAX_BLOCK = 8  # ops per block tried


@dataclass(frozen=True)
class Counter:
    """Names `prefix + number + suffix`, the number counting from `first` in steps of `step`."""

    prefix: str
    first: int
    step: int
    suffix: str

    def at(self, j: int) -> str:
        return f"{self.prefix}{self.first + self.step * j}{self.suffix}"


_PLAIN = re.compile(r"[A-Za-z0-9_.]*")  # text an f-string holds as written


def counter(a: str, b: str) -> Counter | None:
    """The counter whose first two names are `a` and `b`, if they differ only in one number."""
    if a == b:
        return None
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    while head and a[head - 1].isdigit():  # the number starts at its first digit
        head -= 1
    while tail and a[len(a) - tail].isdigit():
        tail -= 1
    prefix, suffix = a[:head], a[len(a) - tail:]
    x, y = a[head:len(a) - tail], b[head:len(b) - tail]
    if not (_number(x) and _number(y) and _PLAIN.fullmatch(prefix) and _PLAIN.fullmatch(suffix)):
        return None
    c = Counter(prefix, int(x), int(y) - int(x), suffix)
    return c if c.at(0) == a and c.at(1) == b else None


def _number(text: str) -> bool:
    return text.isdigit() and text.isascii() and (text == "0" or not text.startswith("0"))


@dataclass(frozen=True)
class Run:
    """`count` blocks of `block` ops; `ops` are all of them, in order. `counters[(p, role)]` spells
    label `role` of the p-th op of every block; `first`/`step` are the loop variable's range."""

    ops: tuple[str, ...]
    block: int
    count: int
    counters: dict[tuple[int, str], Counter]
    first: int
    step: int

    @property
    def head(self) -> tuple[str, ...]:
        """The ops of the first block, which the loop body is written from."""
        return self.ops[:self.block]

    def range(self) -> cst.Call:
        """`range(...)` of the loop variable: the first label's numbers, block by block."""
        bounds = [self.first, self.first + self.step * self.count] + ([self.step] if self.step != 1 else [])
        if bounds[0] == 0 and len(bounds) == 2:
            bounds = bounds[1:]
        return cst.Call(name("range"), [cst.Arg(literal(b)) for b in bounds])

    def loop(self, var: str, body: list[cst.BaseStatement]) -> cst.For:
        """`for <var> in range(...):` over the blocks, with `body`."""
        return cst.For(target=name(var), iter=self.range(), body=cst.IndentedBlock(body))

    def text(self, p: int, role: str, var: str, extra: str = "") -> cst.FormattedString:
        """The f-string of label `role` of the block's p-th op (then `extra`), in the loop variable `var`."""
        c = self.counters[p, role]
        m, d = c.step // self.step, c.first - (c.step // self.step) * self.first
        value: cst.BaseExpression = name(var)
        if m != 1:
            value = cst.BinaryOperation(literal(m), cst.Multiply(), value)
        if d:
            value = cst.BinaryOperation(value, cst.Add() if d > 0 else cst.Subtract(), literal(abs(d)))
        parts: list[cst.BaseFormattedStringContent] = []
        if c.prefix:
            parts.append(cst.FormattedStringText(c.prefix))
        parts.append(cst.FormattedStringExpression(value))
        if c.suffix + extra:
            parts.append(cst.FormattedStringText(c.suffix + extra))
        return cst.FormattedString(parts=parts, start='f"', end='"')


def chains(graph: Graph, loopable: Callable[[str], bool]) -> list[list[str]]:
    """The maximal chains of the schedule: consecutive single-op layer stages whose ops have one
    operand without delay (a population: no late terms) and `loopable`, each after the first
    reading the op before it, which nothing else reads."""
    readers: dict[str, set[str]] = {}
    for op in graph.ops():
        for o in op.operands:
            readers.setdefault(o.src, set()).add(op.name)
    out: list[list[str]] = []
    current: list[str] = []
    for stage in graph.schedule:
        op = graph.op(stage.ops[0]) if stage.mode == "layer" and len(stage.ops) == 1 else None
        ok = (op is not None and len(op.operands) == 1 and not op.operands[0].delay and loopable(op.name)
              and not (isinstance(op, PopulationOp) and op.neuron.late()))
        if not ok:
            current = []
            continue
        if current and op.operands[0].src == current[-1] and readers.get(current[-1]) == {op.name}:
            current.append(op.name)
        else:
            current = [op.name]
            out.append(current)
    return out


def find_runs(graph: Graph, same: Callable[[str], Hashable | None],
              labels: Callable[[str], dict[str, str]]) -> list[Run]:
    """The runs of the graph's chains (see `runs_in`). `same(op)`: what must be equal between
    blocks (None: never in a run); `labels(op)`: {role: name} the loop writes."""
    sig: dict[str, Hashable | None] = {}
    runs: list[Run] = []
    for chain in chains(graph, lambda n: sig.setdefault(n, same(n) if loopable(graph.op(n)) else None) is not None):
        runs += runs_in(chain, sig, labels)
    return runs


def runs_in(items: list[str], sig: dict[str, Hashable | None], labels: Callable[[str], dict[str, str]]) -> list[Run]:
    """The runs in a sequence of items (ops, layers, connections), leftmost first, each covering
    as many items as it can (the shortest block among equals); an item whose `sig` is None is
    in none."""
    runs: list[Run] = []
    i = 0
    while i < len(items):
        best = None
        if sig[items[i]] is not None:
            for size in range(1, MAX_BLOCK + 1):
                run = _run_at(items, i, size, sig, labels)
                if run and (best is None or run.block * run.count > best.block * best.count):
                    best = run
        if best is None:
            i += 1
            continue
        runs.append(best)
        i += len(best.ops)
    return runs


def _run_at(chain: list[str], i: int, size: int, sig: dict, labels) -> Run | None:
    """The longest run of blocks of `size` ops starting at chain[i], if it has MIN_REPEATS blocks."""
    if i + 2 * size > len(chain):
        return None
    head = chain[i:i + size]
    names = [labels(n) for n in head]
    second = [labels(n) for n in chain[i + size:i + 2 * size]]
    counters = {}
    for p, (a, b) in enumerate(zip(names, second, strict=True)):
        if set(a) != set(b):
            return None
        for role in a:
            c = counter(a[role], b[role])
            if c is None:
                return None
            counters[p, role] = c
    if not counters:
        return None
    first_c = next(iter(counters.values()))
    if any(c.step % first_c.step for c in counters.values()):
        return None
    count = 0
    while i + (count + 1) * size <= len(chain):
        block = chain[i + count * size:i + (count + 1) * size]
        if any(sig[n] is None or sig[n] != sig[h] for n, h in zip(block, head, strict=True)):
            break
        got = [labels(n) for n in block]
        if any(set(got[p]) != set(names[p]) or any(got[p][r] != counters[p, r].at(count) for r in got[p])
               for p in range(size)):
            break
        count += 1
    if count < MIN_REPEATS:
        return None
    return Run(tuple(chain[i:i + count * size]), size, count, counters, first_c.first, first_c.step)


def loopable(op: Op) -> bool:
    """Whether a loop over blocks can spell the op's weight keys (all under its own key)."""
    return all(slot.key is None for slot in op.slots())


def slots_function(graph: Graph, runs: list[Run], static: Callable[[Op], cst.BaseExpression],
                   slot: Callable[[Op, Slot, cst.BaseExpression], cst.Tuple], var: str,
                   extra: list[cst.DictElement] = ()) -> list[cst.BaseStatement]:
    """`def weight_slots(model)`: {key: slot(op, weight slot, module)} in graph order, `module` the
    op's module (`static(op)`, or found by name in a run's loop over `var`); `extra` entries last."""
    from .toolkit import stmts

    looped = {n: run for run in runs for n in run.ops}
    done: set[int] = set()
    groups: list[list[cst.DictElement] | cst.For] = []
    for op in graph.parametric():
        run = looped.get(op.name)
        if run is None:
            if not groups or not isinstance(groups[-1], list):
                groups.append([])
            groups[-1] += [cst.DictElement(literal(key), slot(op, s, static(op)))
                           for key, s in op.weight_slots().items()]
            continue
        if id(run) in done:
            continue
        done.add(id(run))
        body: list[cst.BaseStatement] = []
        for p, n in enumerate(run.head):
            member = graph.op(n)
            if not member.parametric:
                continue
            module = cst.Call(name("getattr"), [cst.Arg(name("model")), cst.Arg(run.text(p, "attr", var))])
            for s in member.slots():
                body += stmts("slots[{k}] = {v}", k=run.text(p, "key", var, "." + s.suffix),
                              v=slot(member, s, module))
        groups.append(run.loop(var, body))
    if extra:  # learned neuron parameters, after the layers' weights (as WEIGHTS lists them)
        if not groups or not isinstance(groups[-1], list):
            groups.append([])
        groups[-1] += list(extra)
    return slots_def(groups, "Each weight key's tensor in the model, and whether it is stored transposed.")


def slots_def(groups: list, doc: str) -> list[cst.BaseStatement]:
    """`def weight_slots(model)` returning the entries of `groups` in order: each group a list of
    dict entries, or the loop of a run, which sets `slots[key]`."""
    from .toolkit import stmts

    if '"' in doc or "\\" in doc:
        raise ValueError("a docstring of the emitter's own, without quotes or backslashes")
    (fn,) = stmts("def weight_slots(model):\n    {doc}", doc=cst.SimpleString(f'"""{doc}"""'))
    if not any(isinstance(g, cst.For) for g in groups):
        code = stmts("return {d}", d=cst.Dict([e for g in groups for e in g]))
    else:
        code = stmts("slots = {d}", d=cst.Dict(groups[0] if isinstance(groups[0], list) else []))
        for group in groups[isinstance(groups[0], list):]:
            code += [group] if isinstance(group, cst.For) else stmts("slots.update({d})", d=cst.Dict(group))
        code += stmts("return slots")
    return [fn.with_changes(body=fn.body.with_changes(body=[fn.body.body[0], *code]))]
