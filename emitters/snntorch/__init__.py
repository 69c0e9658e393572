"""Everything snnc knows about snnTorch 1.0.0: its vocabulary, surrogates, native classes and quirks.

- `vocabulary`: a neuron layer in snnTorch's words -> `ir.SnnTorchNeuron` (snn.Leaky's arithmetic);
- `neuron`: that arithmetic as generated code, for every target that has no native class for it;
- `nir`: its neurons as NIR nodes, in snnTorch's exporter convention;
- `patterns`: the native classes (snn.Leaky, snn.RLeaky, snn.Synaptic, nn.*), when each is exact, its renderer;
- `renderers`: how each of those, the canonical code and RLeaky's recurrent layer render;
- `render`: the generated module for snnTorch.
"""
