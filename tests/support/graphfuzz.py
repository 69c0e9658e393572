"""A seeded generator of graph specs that stress what compiles but might not run.

Each spec is a general `connections` graph of one width, built from what broke
before: feedback into stateless sums (a `scale` or `linear` reading a forward
input and, one step late, another stateless layer), bias-free and biased
recurrences into populations of every family (snnTorch, SpikingJelly and BindsNET
vocabularies, LIF and IF, every reset), wide fan-in (tens of terms summed), and
chains of stateless layers inside cycles. Nothing here knows what the compiler
accepts: a spec may be refused, and the tests require a located error then.

`graph_spec(seed)` returns (spec dict, the features it has), deterministically.
"""

from __future__ import annotations

import itertools
import random

FEATURES = ("feedback-into-stateless-sum", "biased-recurrence", "bias-free-recurrence", "wide-fan-in",
            "stateless-chain-in-cycle", "long-loop", "stateless-feedback", "skip", "snntorch", "spikingjelly",
            "bindsnet", "LIFNode", "IFNode", "batchnorm1d", "dropout", "delay")


def _neuron(rng: random.Random, vocab: str, name: str) -> dict:
    kind = rng.choice(("LIFNode", "IFNode"))
    layer = {"type": kind, "name": name}
    if vocab == "snnTorch":
        if kind == "LIFNode":
            layer["beta"] = rng.choice((0.5, 0.9, 0.95, 1.0, 0.8125))
        layer["threshold"] = rng.choice((0.5, 1.0, 0.25))
        layer["reset_mechanism"] = rng.choice(("subtract", "zero", "none"))
        layer["reset_delay"] = rng.choice((True, False))
    elif vocab == "SpikingJelly":
        if kind == "LIFNode":
            layer["tau"] = rng.choice((2.0, 1.5, 10.0))
            layer["decay_input"] = rng.choice((True, False))
        layer["v_threshold"] = rng.choice((0.5, 1.0))
        layer["v_reset"] = rng.choice((None, 0.0, -0.25))
    else:
        if kind == "LIFNode":
            layer["tc_decay"] = rng.choice((2.0, 20.0, 100.0))
            layer["rest"] = rng.choice((0.0, -0.5))
        layer["thresh"] = rng.choice((0.5, 1.0))
        layer["reset"] = rng.choice((0.0, -0.25))
        layer["refrac"] = rng.choice((0, 1, 2))
    return layer


def graph_spec(seed: int) -> tuple[dict, set[str]]:
    """A random graph spec (and the FEATURES it exercises) from `seed`."""
    rng = random.Random(seed)
    vocab = rng.choice(("snnTorch", "SpikingJelly", "BindsNET"))
    width, n_in = rng.randint(2, 5), rng.randint(2, 6)
    layers: list[dict] = []
    conns: list[tuple[str, str]] = []
    features: set[str] = {vocab.lower()}
    kinds: dict[str, str] = {}  # name -> "population" | "linear" | "scale" | "sequence"

    def add(layer: dict, kind: str) -> str:
        layers.append(layer)
        kinds[layer["name"]] = kind
        if kind == "population":
            features.add(layer["type"])
        return layer["name"]

    def linear(name: str, in_features: int, bias: bool | None = None) -> str:
        bias = rng.random() < 0.5 if bias is None else bias
        return add({"type": "linear", "in_features": in_features, "out_features": width, "name": name,
                    "bias": bias}, "linear")

    first = linear("fc_in", n_in)
    conns.append(("input", first))
    blocks = rng.randint(1, 4)
    previous = first
    for b in range(blocks):
        # a forward stateless part: a chain of 0-2 more stateless layers
        head = previous
        for k in range(rng.randint(0, 2)):
            draw = rng.random()
            if draw < 0.43:
                head_new = add({"type": "scale", "scale": rng.choice((0.5, 2.0, 1.25)), "name": f"sc{b}_{k}"},
                               "scale")
            elif draw < 0.86:
                head_new = linear(f"fc{b}_{k}", width)
            else:  # a layer over the whole sequence (refused where it ends up inside a cycle)
                layer = rng.choice(({"type": "batchnorm1d", "num_features": width},
                                    {"type": "dropout", "p": 0.5}, {"type": "delay", "steps": rng.randint(1, 3)}))
                features.add(layer["type"])
                head_new = add({**layer, "name": f"seq{b}_{k}"}, "sequence")
            conns.append((head, head_new))
            head = head_new
        wide = rng.random() < 0.15
        extra = []
        if wide:  # tens of linears from the input, all summed into the population
            features.add("wide-fan-in")
            for k in range(rng.randint(17, 40)):
                extra.append(linear(f"wide{b}_{k}", n_in, bias=False))
                conns.append(("input", extra[-1]))
        pop = add(_neuron(rng, vocab, f"pop{b}"), "population")
        conns.append((head, pop))
        conns.extend((e, pop) for e in extra)
        # a recurrence: pop -> chain of 1-3 stateless layers -> back into pop or into the stateless head
        if rng.random() < 0.7:
            chain = []
            for k in range(rng.randint(1, 3)):
                chain.append(linear(f"rec{b}_{k}", width) if k == 0 or rng.random() < 0.5 else
                             add({"type": "scale", "scale": rng.choice((0.5, -1.0)), "name": f"rsc{b}_{k}"},
                                 "scale"))
            conns.append((pop, chain[0]))
            conns.extend(itertools.pairwise(chain))
            biased = any(layer.get("bias") for layer in layers if layer["name"] in chain)
            features.add("biased-recurrence" if biased else "bias-free-recurrence")
            if len(chain) > 1:
                features.add("stateless-chain-in-cycle")
            into = rng.choice([pop] + ([head] if head != previous and kinds[head] != "population" else []))
            if into != pop:
                features.add("feedback-into-stateless-sum")
            conns.append((chain[-1], into))
        previous = pop
        if b < blocks - 1:
            nxt = linear(f"fc{b + 1}", width)
            conns.append((pop, nxt))
            previous = nxt
    pops = [name for name, kind in kinds.items() if kind == "population"]
    stateless = [name for name, kind in kinds.items() if kind != "population" and name != first]
    if len(pops) > 1 and rng.random() < 0.3:  # a long loop: a later population back into an earlier block
        back = linear("back", width)
        conns.append((pops[-1], back))
        conns.append((back, rng.choice([pops[0]] + [n for n in stateless if n.startswith(("fc", "sc"))])))
        features.add("long-loop")
    if stateless and rng.random() < 0.25:  # stateless -> stateless feedback: maybe a cycle without a neuron
        source, target = rng.choice(stateless), rng.choice(stateless)
        if (source, target) not in conns:
            conns.append((source, target))
            features.add("stateless-feedback")
    if len(pops) > 1 and rng.random() < 0.2:  # a forward skip from an earlier population
        skip = linear("skip", width)
        conns.append((pops[0], skip))
        conns.append((skip, pops[-1]))
        features.add("skip")
    # a stateless layer nobody reads would be refused: let the last population read them
    read = {s for s, _ in conns}
    last = previous
    for layer in layers:
        if kinds[layer["name"]] != "population" and layer["name"] not in read:
            conns.append((layer["name"], last))
    spec = {"model_name": f"Fuzz{seed}", "target_simulator": vocab, "time_steps": 8, "layers": layers,
            "connections": [{"source": s, "target": t} for s, t in conns]}
    return spec, features
