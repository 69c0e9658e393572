"""The frontend: a spec's text -> the verified IR graph, or one CompileError listing every problem.

    loader      read, decode, run the stages below, attributes and warnings (load_spec, load_text)
    jsonsource  strict JSON with the position of every value
    validate    the JSON schema (schema/spec.schema.json, plus each op kind's fragment)
    vocabulary  each simulator's neuron keys -> the canonical neuron
    topology    layers, names, connections, shapes -> the graph

Importing the package loads the stages; `compiler.cli` imports it only after the arguments are parsed.
"""

from .loader import MAX_SPEC_BYTES, FrontendResult, load_spec, load_text

__all__ = ["MAX_SPEC_BYTES", "FrontendResult", "load_spec", "load_text"]
