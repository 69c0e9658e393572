"""Generated modules as code a researcher keeps: names that say what things are, one truth per parameter.

* helpers are named for what they compute (`lif_step`, `new_lif_layer`), never after
  the first population that happened to use them;
* a layer's weights live under its weight key (`model.layer_1.weight` is WEIGHTS'
  "layer_1.weight"), and `load_weights` takes the model's own `state_dict()`, also
  through `torch.save` / `torch.load`, in every target, with every guarantee kept;
* snnTorch: the `snn.Leaky` a model shows is the one it uses: an edit of its beta or
  threshold changes inference and training alike, and is what compiling the edited
  spec gives;
* runs of identical layers are written once, as loops, and compute what the
  unrolled network computes (the independent reference, bit for bit).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import torch

from compiler.build import compile_spec
from support import reference
from support.generated import import_source
from support.specs import save
from ir.targets import names as target_names

ROOT = Path(__file__).resolve().parents[1]
TARGETS = target_names()
CONFIGS = ("C1", "C5", "C7")


def _chain(blocks: int, vocabulary: str = "snnTorch", feedback: bool = False) -> dict:
    """`blocks` identical linear + LIF blocks, then a readout; with `feedback`, a recurrent population
    (so that SpikingJelly's module is an nn.Module whose forward has a loop over time too)."""
    neuron = {"snnTorch": {"type": "LIFNode", "beta": 0.9},
              "SpikingJelly": {"type": "LIFNode", "tau": 2.0, "v_threshold": 0.5},
              "BindsNET": {"type": "LIFNode", "thresh": 0.5, "rest": 0.0, "reset": 0.0, "refrac": 1,
                           "tc_decay": 4.0}}[vocabulary]
    layers = []
    for _ in range(blocks):
        layers += [{"type": "linear", "in_features": 16, "out_features": 16}, dict(neuron)]
    if not feedback:
        layers += [{"type": "linear", "in_features": 16, "out_features": 4}, dict(neuron)]
        return {"model_name": "Chain", "target_simulator": vocabulary, "time_steps": 6, "layers": layers}
    layers += [{"type": "linear", "in_features": 16, "out_features": 4, "name": "fc"},
               {"type": "linear", "in_features": 4, "out_features": 4, "name": "rec"}, {**neuron, "name": "h"}]
    pops = [f"layer_{k}" for k in range(1, blocks + 1)]
    connections = [{"source": a, "target": b} for a, b in zip(["input", *pops], pops)]
    connections += [{"source": pops[-1], "target": "fc"}, {"source": "fc", "target": "h"},
                    {"source": "rec", "target": "h"}, {"source": "h", "target": "rec"}]
    return {"model_name": "Chain", "target_simulator": vocabulary, "time_steps": 6, "layers": layers,
            "connections": connections}


@pytest.fixture(scope="module")
def built(tmp_path_factory, bindsnet):
    tmp = tmp_path_factory.mktemp("kept")
    cache = {}

    def get(spec, target: str):
        key = (json.dumps(spec, sort_keys=True) if isinstance(spec, dict) else str(spec), target)
        if key not in cache:
            path = save(spec, tmp) if isinstance(spec, dict) else ROOT / "specs" / f"{spec}.json"
            result = compile_spec(path, target=target)
            cache[key] = result, import_source(result.source, tmp, f"kept_{target}")
        return cache[key]

    return get


def _inputs(mod, T=10, B=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(T, B, *mod.INPUT_SHAPE, generator=g) < 0.3).float()


# -- helpers named for what they compute ----------------------------------------------------


def test_helpers_are_named_for_what_they_compute(built):
    source = built("C1", "snntorch")[0].source
    assert "def lif_sequence(" in source and "def new_lif_layer(" in source
    assert "layer_1_sequence" not in source and "layer_1_step" not in source and "new_layer_1" not in source
    assert "self.layer_2_lif = new_lif_layer()" in source
    jelly = built("C1", "spikingjelly")[0].source  # a snnTorch-vocabulary neuron in SpikingJelly says so
    assert "def snntorch_lif_step(" in jelly


# -- weights under their keys; load_weights takes a state_dict ---------------------------------


@pytest.mark.parametrize("target", ["snntorch", "spikingjelly"])
@pytest.mark.parametrize("spec", ["C1", "C7", "chain"])
def test_a_layers_weights_live_under_its_key(spec, target, built):
    _, mod = built(_chain(5) if spec == "chain" else spec, target)
    model = mod.build_model()
    holder = model.layer_1.layer if isinstance(model, torch.nn.Sequential) else model.layer_1  # in PerStep
    assert holder.weight is mod.weight_slots(model)["layer_1.weight"][0]
    if target == "snntorch":  # so the model's own state_dict() has the contract's keys for its weights
        assert set(mod.WEIGHTS) <= set(model.state_dict())


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("spec", [*CONFIGS, "chain"])
def test_load_weights_takes_the_models_own_state_dict(spec, target, built, tmp_path):
    _, mod = built(_chain(5) if spec == "chain" else spec, target)
    torch.manual_seed(1)
    trained = mod.build_model()
    mod.run(trained, _inputs(mod))  # state buffers (BindsNET's, snn.Leaky's) now have a batch
    torch.manual_seed(2)
    fresh = mod.build_model()
    want = mod.export_weights(trained)
    assert any(not torch.equal(want[k], v) for k, v in mod.export_weights(fresh).items())
    assert mod.load_weights(fresh, trained.state_dict()) is fresh
    got = mod.export_weights(fresh)
    assert all(torch.equal(want[k], got[k]) for k in want)
    torch.save(trained.state_dict(), tmp_path / "model.pt")
    torch.manual_seed(3)
    again = mod.load_weights(mod.build_model(), torch.load(tmp_path / "model.pt"))
    got = mod.export_weights(again)
    assert all(torch.equal(want[k], got[k]) for k in want)
    x = _inputs(mod, seed=4)
    first, second = mod.run(trained, x, membrane=True), mod.run(again, x, membrane=True)
    assert all(torch.equal(first[k], second[k]) for k in first)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("change", ["shape", "unknown", "missing", "mixed", "not numbers"])
def test_a_bad_state_dict_is_a_value_error_and_changes_nothing(target, change, built):
    _, mod = built("C5", target)
    model = mod.build_model()
    before = mod.export_weights(model)
    donor = mod.build_model()
    key_of = {id(tensor): key for key, (tensor, _) in mod.weight_slots(donor).items()}
    held = {name: key_of[id(t)] for name, t in donor.state_dict(keep_vars=True).items() if id(t) in key_of}
    state = donor.state_dict()
    culprit = list(held)[-1]  # a state_dict key holding a weight
    if change == "shape":
        state[culprit] = torch.zeros(3, 1)
    elif change == "unknown":
        culprit = "nowhere.weight"
        state[culprit] = torch.zeros(1)
    elif change == "missing":
        del state[culprit]
        culprit = held[culprit]  # named by its contract key
    elif change == "mixed":
        culprit = next(k for k in mod.WEIGHTS if k not in state)  # a contract key among state_dict keys
        state[culprit] = torch.zeros(mod.WEIGHTS[culprit])
    else:
        state[culprit] = "abc"
    with pytest.raises(ValueError, match=culprit.replace(".", r"\.")):
        mod.load_weights(model, state)
    after = mod.export_weights(model)
    assert all(torch.equal(before[k], after[k]) for k in before), "a failed load_weights changed the model"


# -- snnTorch: the parameters it shows are the ones it uses --------------------------------------


def _edited_spec(spec: dict, beta: float, threshold: float) -> dict:
    """The spec with its first neuron layer (its first population) given `beta` and `threshold`."""
    spec = copy.deepcopy(spec)
    layer = next(layer for layer in spec["layers"] if layer["type"] in ("LIFNode", "IFNode"))
    layer["beta"], layer["threshold"] = beta, threshold
    return spec


@pytest.mark.parametrize("spec", ["C1", "recurrent"])
def test_editing_a_leakys_beta_changes_inference_and_training_alike(spec, built):
    path = ROOT / ("specs/C1.json" if spec == "C1" else "tests/valid/recurrent_rleaky.json")
    original = json.loads(path.read_text(encoding="utf-8"))
    result, mod = built(original, "snntorch")
    pop = next(iter(mod.POPULATIONS))
    weights = reference.random_weights(result.graph, seed=5, scale=2)
    model = mod.load_weights(mod.build_model(), weights)
    x = _inputs(mod, T=16, B=4)
    want = reference.run(result.graph, weights, x)  # the default: exactly as before any edit
    default = mod.run(model, x, membrane=True)
    assert all(torch.equal(default[k], want[k]) for k in want)
    layer = model.get_submodule(pop + "_lif" if hasattr(model, pop + "_lif") else pop)
    layer.beta = torch.tensor(0.5)
    layer.threshold = torch.tensor(0.75)
    inference = mod.run(model, x, membrane=True)
    training = mod.run(model, x, membrane=True, grad=True)
    assert all(torch.equal(inference[k], training[k].detach()) for k in inference)
    assert not torch.equal(inference[pop + ".v"], default[pop + ".v"]), "the edit changed nothing"
    edited = _edited_spec(original, 0.5, 0.75)  # what compiling the edited spec gives
    _, recompiled = built(edited, "snntorch")
    expect = recompiled.run(recompiled.load_weights(recompiled.build_model(), weights), x, membrane=True)
    assert all(torch.equal(inference[k], expect[k]) for k in expect)


# -- runs of identical layers as loops ---------------------------------------------------------


@pytest.mark.parametrize("feedback", [False, True], ids=["chain", "then-feedback"])
@pytest.mark.parametrize("vocabulary", ["snnTorch", "SpikingJelly", "BindsNET"])
@pytest.mark.parametrize("target", TARGETS)
def test_identical_layers_are_a_loop_that_computes_the_same(vocabulary, target, feedback, built):
    result, mod = built(_chain(6, vocabulary, feedback), target)
    assert "for k in range(1, 7):" in result.source
    weights = reference.random_weights(result.graph, seed=6)
    x = _inputs(mod, T=8, B=3)
    want = reference.run(result.graph, weights, x)
    got = mod.run(mod.load_weights(mod.build_model(), weights), x, membrane=True)
    assert all(torch.equal(got[k], want[k]) for k in want)
    assert sum(got[p].sum().item() for p in mod.POPULATIONS) > 0, "nothing fired: the test proves little"
    if target != "bindsnet":  # and trains: every weight in the loop gets its gradient
        model = mod.load_weights(mod.build_model(), weights)
        out = mod.run(model, x, membrane=True, grad=True)
        assert all(torch.equal(out[k].detach(), want[k]) for k in want)
        sum(out[p].sum() + out[p + ".v"].sum() * 1e-3 for p in mod.POPULATIONS).backward()
        assert all(tensor.grad is not None for tensor, _ in mod.weight_slots(model).values())


def test_a_hundred_layer_chain_is_short(built):
    """The 100-layer chain was 1340, 1064 and 2627 lines unrolled (snnTorch, SpikingJelly, BindsNET);
    most of what is left is the WEIGHTS and POPULATIONS tables."""
    layers = []
    for _ in range(100):
        layers += [{"type": "linear", "in_features": 16, "out_features": 16}, {"type": "LIFNode", "beta": 0.9}]
    spec = {"model_name": "Chain", "target_simulator": "snnTorch", "time_steps": 5, "layers": layers}
    for target, most in (("snntorch", 650), ("spikingjelly", 650), ("bindsnet", 850)):
        result, mod = built(spec, target)
        assert len(result.source.splitlines()) < most, target
        assert len(mod.POPULATIONS) == 100 and len(mod.WEIGHTS) == 200
