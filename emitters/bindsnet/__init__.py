"""Everything snnc knows about BindsNET 0.3.4: vocabulary, native classes and quirks.

- `vocabulary`: a neuron layer in BindsNET's words -> `ir.BindsnetNeuron` (LIFNodes/IFNodes arithmetic);
- `neuron`: that arithmetic as generated code, for targets without it;
- `nir`: its neurons as NIR nodes;
- `patterns`: native nodes and connections, and when each is exact (a nodes class with its renderer);
- `renderers`: how each nodes class and the canonical nodes render;
- `render`: the generated module, a bindsnet Network.

Quirks: Connection.w is [in, out] and computes s @ w + b; Network.run delays every
connection by one step unless one_step=True; nodes mask refractory input in place;
Monitor.get drains its log; a batch-size change re-initialises every layer; `**kwargs`
swallows misspelled arguments; no surrogate gradients, no FP16 weights.
"""
