"""One process of the data-parallel training test (spawned twice, gloo on the CPU)."""

from __future__ import annotations

import os
import sys


def train(rank: int, world: int, module_path: str, init_file: str, results: str) -> None:
    import importlib.util

    import torch
    import torch.distributed as dist
    import torch.nn.functional as F

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    spec = importlib.util.spec_from_file_location(f"ddp_model_{rank}", module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch.manual_seed(0)
    model = module.build_model()
    net = torch.nn.parallel.DistributedDataParallel(model, broadcast_buffers=False)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    gen = torch.Generator().manual_seed(1)
    classes = torch.rand(4, *module.INPUT_SHAPE, generator=gen)  # 4 firing-rate patterns to tell apart
    losses = []
    out_pop = list(module.POPULATIONS)[-1]
    for _ in range(25):
        labels = torch.randint(0, 4, (16,), generator=gen)
        x = (torch.rand(module.TIME_STEPS, 16, *module.INPUT_SHAPE, generator=gen) < classes[labels]).float()
        mine = slice(rank * 8, rank * 8 + 8)
        counts = module.run(net, x[:, mine], grad=True)[out_pop].sum(0)
        loss = F.cross_entropy(counts, labels[mine])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    weights = module.export_weights(net)
    torch.save({"losses": losses, "weights": weights}, os.path.join(results, f"rank{rank}.pt"))
    dist.barrier()
    del net
    dist.destroy_process_group()
    # Gloo's worker threads can still hold finished work when the interpreter finalises, and torch then
    # aborts the process (SIGABRT, "terminate called without an active exception") after the results are
    # written. Leave without finalising: everything this process had to do is on disk.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
