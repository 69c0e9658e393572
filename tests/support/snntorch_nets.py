"""Models written by hand the way snnTorch's tutorials write them, shared by the tests that compare
generated modules with them."""

from __future__ import annotations

import torch


class SynapticNet(torch.nn.Module):
    """snnTorch's tutorial style with snn.Synaptic: one Linear and one Synaptic per layer, stepped in time
    (10 -> 8 -> 4; the keyword arguments, learned parameters included, go to both Synaptic layers)."""

    def __init__(self, **synaptic):
        import snntorch as snn

        super().__init__()
        self.fc1, self.fc2 = torch.nn.Linear(10, 8), torch.nn.Linear(8, 4)
        self.lif1, self.lif2 = snn.Synaptic(**synaptic), snn.Synaptic(**synaptic)

    def forward(self, x):
        syn1, mem1 = self.lif1.reset_mem()
        syn2, mem2 = self.lif2.reset_mem()
        rec = {"layer_1": [], "layer_1.v": [], "layer_2": [], "layer_2.v": []}
        for step in range(x.shape[0]):
            spk1, syn1, mem1 = self.lif1(self.fc1(x[step]), syn1, mem1)
            spk2, syn2, mem2 = self.lif2(self.fc2(spk1), syn2, mem2)
            for key, value in (("layer_1", spk1), ("layer_1.v", mem1), ("layer_2", spk2), ("layer_2.v", mem2)):
                rec[key].append(value)
        return {key: torch.stack(values) for key, values in rec.items()}
