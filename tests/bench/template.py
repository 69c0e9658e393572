"""The baseline snnc is measured against: a Jinja2 template per simulator, then black.

This is what a template code generator for these specs looks like: it reads the JSON,
renders one module per target (a model class or Network, build_model and run) and
formats it. It validates nothing, translates no vocabulary, decides no schedule and
promises no equality; it only stands for the cost of "text in, text out".
"""

from __future__ import annotations

import json
from pathlib import Path

import black
import jinja2

_COMMON_RUN = '''
def build_model(device=None):
    model = {{ cls }}()
    return model if device is None else model.to(device)
'''

# The same module contract as snnc's (checked load_weights, export_weights, run), as fixed template text.
_CONTRACT = '''
WEIGHTS = {{ weights }}


def weight_slots(model):
    return {name: (tensor, False) for name, tensor in model.state_dict(keep_vars=True).items()}


def model_device(model):
    for tensor in list(model.parameters()) + list(model.buffers()):
        return tensor.device
    return torch.device("cpu")


def load_weights(model, weights):
    unknown = sorted(key for key in weights if key not in WEIGHTS)
    if unknown:
        raise ValueError("unknown weight " + repr(unknown[0]) + "; expected " + repr(sorted(WEIGHTS)))
    missing = [key for key in WEIGHTS if key not in weights]
    if missing:
        raise ValueError("missing weight " + repr(missing[0]))
    values = {}
    for key, shape in WEIGHTS.items():
        value = torch.as_tensor(weights[key]).detach().to("cpu", torch.float32)
        if tuple(value.shape) != shape:
            raise ValueError("weight " + repr(key) + " has shape " + repr(tuple(value.shape)) + ", expected " + repr(shape))
        values[key] = value
    with torch.no_grad():
        for key, (tensor, transposed) in weight_slots(model).items():
            tensor.copy_(values[key].to(tensor.device))
    return model


def export_weights(model):
    return {key: tensor.detach().to("cpu", torch.float32).contiguous().clone()
            for key, (tensor, transposed) in weight_slots(model).items()}


def run(model, inputs, membrane=False, grad=False):
    x = torch.as_tensor(inputs)
    if x.dim() < 3 or 0 in x.shape[:2]:
        raise ValueError("inputs must be [T, B, ...], got " + repr(tuple(x.shape)))
    x = x.to(model_device(model), torch.float32)
    with torch.set_grad_enabled(grad):
        return model(x)


if __name__ == "__main__":
    torch.manual_seed(0)
    print(MODEL_NAME, run(build_model(), torch.rand(TIME_STEPS, 4, {{ n_in }})).mean().item())
'''

_HEADER = '''
# Generated from {{ spec_file }} for {{ target }} by a Jinja2 template.
'''

SNNTORCH = _HEADER + '''
import torch
import torch.nn as nn
import snntorch as snn

MODEL_NAME = {{ spec.model_name | tojson }}
TIME_STEPS = {{ spec.time_steps }}


class {{ cls }}(nn.Module):
    def __init__(self):
        super().__init__()
{%- for layer in layers %}
{%- if layer.type == "linear" %}
        self.l{{ loop.index0 }} = nn.Linear({{ layer.in_features }}, {{ layer.out_features }}, bias={{ layer.get("bias", True) }})
{%- elif layer.type == "conv2d" %}
        self.l{{ loop.index0 }} = nn.Conv2d({{ layer.in_channels }}, {{ layer.out_channels }}, {{ layer.kernel_size }}, stride={{ layer.get("stride", 1) }}, padding={{ layer.get("padding", 0) }})
{%- elif layer.type == "maxpool2d" %}
        self.l{{ loop.index0 }} = nn.MaxPool2d({{ layer.kernel_size }})
{%- elif layer.type == "avgpool2d" %}
        self.l{{ loop.index0 }} = nn.AvgPool2d({{ layer.kernel_size }})
{%- elif layer.type == "flatten" %}
        self.l{{ loop.index0 }} = nn.Flatten()
{%- else %}
        self.l{{ loop.index0 }} = snn.Leaky(beta={{ layer.get("beta", 1.0) }}, threshold={{ layer.get("threshold", 1.0) }}, reset_mechanism={{ layer.get("reset_mechanism", "subtract") | tojson }})
{%- endif %}
{%- endfor %}

    def forward(self, x):
{%- for layer in layers if layer.type in ("LIFNode", "IFNode") %}
        mem{{ layer.index }} = self.l{{ layer.index }}.init_leaky()
{%- endfor %}
        out = []
        for step in range(x.shape[0]):
            h = x[step]
{%- for layer in layers %}
{%- if layer.type in ("LIFNode", "IFNode") %}
            h, mem{{ loop.index0 }} = self.l{{ loop.index0 }}(h, mem{{ loop.index0 }})
{%- else %}
            h = self.l{{ loop.index0 }}(h)
{%- endif %}
{%- endfor %}
            out.append(h)
        return torch.stack(out)
''' + _COMMON_RUN + _CONTRACT

SPIKINGJELLY = _HEADER + '''
import torch
import torch.nn as nn
from spikingjelly.activation_based import functional, layer, neuron

MODEL_NAME = {{ spec.model_name | tojson }}
TIME_STEPS = {{ spec.time_steps }}


class {{ cls }}(nn.Sequential):
    def __init__(self):
        super().__init__(
{%- for layer in layers %}
{%- if layer.type == "linear" %}
            layer.Linear({{ layer.in_features }}, {{ layer.out_features }}, bias={{ layer.get("bias", True) }}),
{%- elif layer.type == "conv2d" %}
            layer.Conv2d({{ layer.in_channels }}, {{ layer.out_channels }}, {{ layer.kernel_size }}, stride={{ layer.get("stride", 1) }}, padding={{ layer.get("padding", 0) }}),
{%- elif layer.type == "maxpool2d" %}
            layer.MaxPool2d({{ layer.kernel_size }}),
{%- elif layer.type == "avgpool2d" %}
            layer.AvgPool2d({{ layer.kernel_size }}),
{%- elif layer.type == "flatten" %}
            layer.Flatten(),
{%- elif layer.type == "LIFNode" %}
            neuron.LIFNode(tau={{ layer.get("tau", 2.0) }}),
{%- else %}
            neuron.IFNode(),
{%- endif %}
{%- endfor %}
        )
        functional.set_step_mode(self, "m")
''' + _COMMON_RUN + _CONTRACT

BINDSNET = _HEADER + '''
import torch
from bindsnet.network import Network
from bindsnet.network.nodes import Input, LIFNodes, IFNodes
from bindsnet.network.topology import Connection

MODEL_NAME = {{ spec.model_name | tojson }}
TIME_STEPS = {{ spec.time_steps }}


def build_model(device=None):
    network = Network(dt={{ spec.get("dt", 1.0) }})
    network.add_layer(Input(n={{ layers[0].in_features }}), name="input")
{%- for layer in layers if layer.type in ("LIFNode", "IFNode") %}
    network.add_layer({{ "LIFNodes" if layer.type == "LIFNode" else "IFNodes" }}(n={{ layer.size }}, thresh={{ layer.get("thresh", -52.0) }}), name="p{{ layer.index }}")
{%- endfor %}
{%- for source, target, n_in, n_out in links %}
    network.add_connection(Connection(network.layers["{{ source }}"], network.layers["{{ target }}"], w=torch.zeros({{ n_in }}, {{ n_out }})), source="{{ source }}", target="{{ target }}")
{%- endfor %}
    return network


def run(network, inputs):
    network.run(inputs={"input": inputs}, time=inputs.shape[0])
    return network
''' + _CONTRACT.split("def run(")[0]

_TEMPLATES = {"snntorch": SNNTORCH, "spikingjelly": SPIKINGJELLY, "bindsnet": BINDSNET}
_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined)
_COMPILED = {target: _ENV.from_string(text) for target, text in _TEMPLATES.items()}


def render(spec_path: Path, target: str) -> str:
    """The formatted module for `target` (the Jinja2 template, then black)."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    layers = [dict(layer, index=k) for k, layer in enumerate(spec.get("layers") or spec["layer"])]
    size, n_in, links, previous = None, None, [], "input"
    for layer in layers:
        if layer["type"] == "linear":
            size, n_in = layer["out_features"], layer["in_features"]
        if layer["type"] in ("LIFNode", "IFNode"):
            layer["size"] = size
            links.append((previous, f"p{layer['index']}", n_in, size))
            previous = f"p{layer['index']}"
    cls = "".join(ch for ch in spec["model_name"] if ch.isalnum()) or "Model"
    weights = {}
    for layer in layers:
        if layer["type"] == "linear":
            weights[f"l{layer['index']}.weight"] = (layer["out_features"], layer["in_features"])
    n_in = layers[0].get("in_features", 1)
    text = _COMPILED[target].render(spec=spec, layers=layers, links=links, cls=cls, weights=weights, n_in=n_in,
                                    spec_file=Path(spec_path).name, target=target)
    return black.format_str(text, mode=black.Mode())
