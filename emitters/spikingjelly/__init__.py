"""Everything snnc knows about SpikingJelly 2.0.0 (activation_based): vocabulary, surrogates, native classes, quirks.

- `vocabulary`: a neuron layer in SpikingJelly's words -> `ir.SpikingJellyNeuron`;
- `neuron`: LIFNode's and IFNode's arithmetic as generated code, for targets without them;
- `nir`: its neurons as NIR nodes, in SpikingJelly's exporter convention;
- `patterns`: the native classes (neuron.LIFNode, neuron.IFNode, layer.*) and when each is exact, with its renderer;
- `renderers`: how each of those and the canonical code render;
- `render`: the generated module for SpikingJelly.
"""
