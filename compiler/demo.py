"""`make demo`: train one spec on real data in one simulator, then run the trained weights in all three.

    python -m compiler.demo [--spec specs/digits.json] [--train-in snntorch] [--epochs 6] [--out build/demo.png]
    torchrun --nproc_per_node 2 -m compiler.demo      # data-parallel (gloo on CPU, nccl on GPUs)

scikit-learn's 8x8 digits (shipped with the package, no download) are rate coded:
each pixel fires with probability pixel/16 at every step. The spec is compiled for
all three targets; the model is trained with surrogate gradients in one of them
(`run(..., grad=True)`, cross-entropy on output spike counts, Adam); the trained
weights (`export_weights`) are then loaded into each target and evaluated on the
held-out digits with the same input spikes. The table shows each target's accuracy
and whether its spikes equal the training target's; the PNG shows the loss curve
and the spike rasters of the three targets side by side.

Under torchrun each process trains on its share of every batch inside
DistributedDataParallel; rank 0 evaluates and draws. This command (like the
generated modules it runs) imports torch; the compiler itself does not.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

TARGETS = ("snntorch", "spikingjelly", "bindsnet")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m compiler.demo", description=__doc__.splitlines()[0])
    p.add_argument("--spec", default="specs/digits.json", help="a spec with 64 inputs and 10 output neurons")
    p.add_argument("--train-in", default="snntorch", choices=TARGETS[:2], help="the target to train in")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch", type=int, default=64, help="global batch size (split across processes)")
    p.add_argument("--lr", type=float, default=5e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="build/demo.png", help="the picture (loss curve and rasters)")
    p.add_argument("--threads", type=int, default=None, help="torch threads per process")
    return p


def load_digits_split(seed: int = 0):
    """(x_train, y_train, x_test, y_test): pixel intensities in [0, 1] as float32 tensors, 80/20 stratified."""
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x_tr, x_te, y_tr, y_te = train_test_split(digits.data / 16.0, digits.target, test_size=0.2, random_state=seed,
                                              stratify=digits.target)
    f = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    return f(x_tr), torch.tensor(y_tr), f(x_te), torch.tensor(y_te)


def rate_code(x, steps: int, generator):
    """Bernoulli spikes [T, B, n]: each input fires with its intensity as probability at every step."""
    import torch

    return (torch.rand(steps, *x.shape, generator=generator) < x).float()


def compile_targets(spec: Path, directory: Path) -> dict:
    from .build import compile_spec
    from .runs import load_module

    directory.mkdir(parents=True, exist_ok=True)
    return {t: load_module(compile_spec(spec, target=t).source, directory, f"demo_{t}") for t in TARGETS}


def train(module, x, y, args, rank: int, world: int, log, device=None) -> tuple[object, list[float]]:
    """Train a fresh model of `module` (on `device`: a GPU per process under torchrun with CUDA);
    returns it (unwrapped) and the loss of every global batch."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(args.seed)
    model = module.build_model(device=device)
    y = y.to(device) if device is not None else y
    net = model
    if world > 1:
        # Neuron state buffers are per-process simulation state, not model parameters: not broadcast.
        net = torch.nn.parallel.DistributedDataParallel(model, broadcast_buffers=False)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    out_pop = module.POPULATIONS and list(module.POPULATIONS)[-1]
    gen = torch.Generator().manual_seed(args.seed + 1)
    losses = []
    n = x.shape[0]
    bar = _progress(args.epochs * ((n + args.batch - 1) // args.batch), rank)
    for epoch in range(args.epochs):
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, args.batch):
            idx = order[start:start + args.batch]
            spikes = rate_code(x[idx], module.TIME_STEPS, gen)  # every rank draws the same global batch
            share = len(idx) // world  # and trains on its share (equal shares: the last few wait)
            if share == 0:
                continue
            mine = torch.arange(rank * share, (rank + 1) * share)
            counts = module.run(net, spikes[:, mine], grad=True)[out_pop].sum(0)  # run() moves them to the model
            loss = F.cross_entropy(counts, y[idx.to(y.device)][mine.to(y.device)])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(_mean_across(loss.detach(), world))
            bar.set_postfix(epoch=epoch + 1, loss=f"{losses[-1]:.3f}")
            bar.update()
    bar.close()
    log(f"trained in {args.train_in}: {args.epochs} epochs, {len(losses)} steps, final loss {losses[-1]:.4f}")
    return model, losses


def evaluate(modules: dict, weights: dict, x, y, seed: int) -> dict:
    """Per target: (accuracy, all spikes, seconds) on the same input spikes."""
    import torch

    gen = torch.Generator().manual_seed(seed + 2)
    steps = next(iter(modules.values())).TIME_STEPS
    spikes = rate_code(x, steps, gen)
    results = {}
    for target, module in modules.items():
        start = time.perf_counter()
        model = module.load_weights(module.build_model(), weights)
        out = module.run(model, spikes)
        pred = out[list(module.POPULATIONS)[-1]].sum(0).argmax(1)
        results[target] = ((pred == y).float().mean().item(), out, time.perf_counter() - start)
    return results


def draw(path: Path, losses: list[float], results: dict, sample: int, train_in: str, identical: bool) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(17, 4), gridspec_kw={"width_ratios": [1.2, 1, 1, 1]})
    axes[0].plot(losses, lw=1)
    axes[0].set(xlabel="step", ylabel="cross-entropy on spike counts")
    axes[0].set_title(f"training loss ({train_in})", parse_math=False)
    for ax, (target, (acc, out, _)) in zip(axes[1:], results.items()):
        offset = 0
        for pop, spikes in out.items():
            s = spikes[:, sample].reshape(spikes.shape[0], -1)
            t, n = s.nonzero(as_tuple=True)
            ax.scatter(t.numpy(), (n + offset).numpy(), s=3, marker="|", label=pop.replace("$", r"\$"))
            offset += s.shape[1] + 4
        ax.set(xlabel="time step", ylabel="neuron (all populations)")
        ax.set_title(f"{target}: accuracy {acc:.2%}", parse_math=False)
    axes[1].legend(loc="upper right", fontsize=7)
    same = "identical spikes" if identical else "spikes DIFFER between targets"
    fig.suptitle(f"One spec, three simulators: test sample {sample}, {same}", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    import torch
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    for option, value in (("--epochs", args.epochs), ("--batch", args.batch)):
        if value < 1:
            raise SystemExit(f"error: {option} must be at least 1")
    if args.batch < world:
        raise SystemExit("error: --batch must be at least the number of processes")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = None
    if world > 1:
        if torch.cuda.is_available():  # one GPU per process
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device is not None else "gloo")
    log = (lambda text: print(text, flush=True)) if rank == 0 else (lambda text: None)
    begin = time.perf_counter()
    from .diagnostics import CompileError

    try:
        modules = compile_targets(Path(args.spec), Path(args.out).parent / "demo_modules" / f"rank{rank}")
    except CompileError as exc:
        raise SystemExit(str(exc)) from None
    first = modules["snntorch"]
    if first.INPUT_SHAPE != (64,) or list(first.POPULATIONS.values())[-1] != (10,):
        raise SystemExit(f"error: {args.spec}: the demo needs 64 inputs (8x8 digits) and a last population of 10 "
                         f"neurons, not {list(first.INPUT_SHAPE)} and {list(list(first.POPULATIONS.values())[-1])}")
    x_tr, y_tr, x_te, y_te = load_digits_split(args.seed)
    log(f"{Path(args.spec).name}: {len(x_tr)} training and {len(x_te)} test digits, T={modules['snntorch'].TIME_STEPS},"
        f" {world} process(es), {torch.get_num_threads()} thread(s) each")
    model, losses = train(modules[args.train_in], x_tr, y_tr, args, rank, world, log, device)
    weights = modules[args.train_in].export_weights(model)
    if world > 1:
        same = _same_across_ranks(weights)
        log(f"weights identical on all {world} ranks: {same}")
        dist.destroy_process_group()
    if rank != 0:
        return 0
    results = evaluate(modules, weights, x_te, y_te, args.seed)
    reference = results[args.train_in][1]
    print(f"\n{'target':<14}{'accuracy':>10}{'spikes identical to ' + args.train_in:>34}{'eval s':>9}")
    for target, (acc, out, seconds) in results.items():
        same = all(torch.equal(out[k], reference[k]) for k in reference)
        print(f"{target:<14}{acc:>10.2%}{str(same):>34}{seconds:>9.2f}")
    identical = all(torch.equal(out[k], reference[k]) for _, out, _ in results.values() for k in reference)
    draw(Path(args.out), losses, results, 0, args.train_in, identical)
    print(f"\npicture: {args.out}   total time {time.perf_counter() - begin:.1f} s")
    return 0


def _progress(total: int, rank: int):
    from tqdm import tqdm

    return tqdm(total=total, disable=rank != 0, desc="training", unit="batch", file=sys.stdout)


def _mean_across(value, world: int) -> float:
    if world > 1:
        import torch.distributed as dist

        value = value.clone()
        dist.all_reduce(value)
        value /= world
    return value.item()


def _same_across_ranks(weights: dict) -> bool:
    import torch
    import torch.distributed as dist

    flat = torch.cat([w.flatten() for w in weights.values()])
    gathered = [torch.empty_like(flat) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, flat)
    return all(torch.equal(g, gathered[0]) for g in gathered)


if __name__ == "__main__":
    sys.exit(main())
