"""`make demo`: train one spec on real data in one simulator, then run the trained weights in all three.

    python -m compiler.tools.demo [--spec specs/digits.json] [--train-in snntorch] [--epochs 15] [--threads 1]
                            [--encoding rate] [--out build/demo.png] [--save-weights W.pt]
    python -m compiler.tools.demo --spec specs/digits_bn.json --train-in spikingjelly --encoding direct \
                            --epochs 12 --out build/demo_bn.png      # make demo-bn: a batch-norm CSNN
    torchrun --nproc_per_node 2 -m compiler.tools.demo      # data-parallel (gloo on CPU, nccl on GPUs)

scikit-learn's 8x8 digits (shipped with the package, no download) are rate coded:
each pixel fires with probability pixel/16 at every step (`--encoding direct`: the
intensities themselves are the input current at every step, as SpikingJelly's
conv_fashion_mnist example feeds its CSNN, whose first conv -> batch norm -> IF layer
encodes them into spikes). Any spec with 64 inputs (`[64]` or `[1, 8, 8]`) and a last
population of 10 neurons will do. The spec is compiled for
all three targets; the model is trained with surrogate gradients in one of them, in
torch's training mode (`model.train()`: batch norm normalises with the statistics of
each batch and updates its running statistics, dropout drops; `run(..., grad=True)`,
cross-entropy on output spike counts, Adam); the trained weights (`export_weights`,
batch norm's running statistics included) are then loaded into each target and
evaluated in eval mode (`model.eval()`: the running statistics, no dropout) on the
held-out digits with the same input spikes. The table shows each target's accuracy
and whether its spikes equal the training target's. The figure (one column of a paper
wide, 3.5 inches; `--out x.pdf` or `x.svg` for a vector file) shows the
training loss per batch with its moving average, train and test accuracy per epoch,
one test digit with its true and predicted class, and that digit's spikes in the
hidden and the output population (time step on x, neuron on y), with every spike
where a target differs from the training target marked.

It runs torch on one thread per process by default (`--threads`; 0 for torch's
default): this model's batches are small, and more threads cost more than they give
(on a shared 2-core machine the whole demo took 86 s at torch's default of two
threads and 14 s at one, with the same weights and accuracy).

Under torchrun each process trains on its share of every batch inside
DistributedDataParallel; rank 0 evaluates and draws. This command (like the
generated modules it runs) imports torch; the compiler itself does not.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

from ir import targets

TARGETS = targets.names()
ENCODINGS = ("rate", "direct")


@dataclass
class History:
    """What training recorded: the loss of every global batch, and per epoch the running accuracy
    on that epoch's training batches and the accuracy on the held-out digits (test_acc is empty
    where no test set was given; then the figure shows training accuracy only)."""

    losses: list[float] = field(default_factory=list)
    batches_per_epoch: int = 1
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)


@dataclass
class Shown:
    """What the figure shows besides the history: one test digit and its spikes in every target."""

    model_name: str
    train_in: str
    accuracy: dict  # target -> test accuracy
    sample: int
    image: object  # [8, 8] intensities in [0, 1]
    label: int
    predicted: int
    spikes: dict  # target -> {population: [T, n] spikes of the sample}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m compiler.tools.demo", description=__doc__.splitlines()[0])
    p.add_argument("--spec", default="specs/digits.json",
                   help="a spec with 64 inputs ([64] or [1, 8, 8]) and a last population of 10 neurons")
    p.add_argument("--train-in", default="snntorch", choices=[t for t in TARGETS if targets.get(t).trains], help="the target to train in")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch", type=int, default=64, help="global batch size (split across processes)")
    p.add_argument("--lr", type=float, default=5e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="build/demo.png",
                   help="the figure: PNG, or PDF or SVG by the suffix (loss, accuracy, an input and its spikes)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads per process (default 1, the fastest for this small model; 0: torch's default)")
    p.add_argument("--encoding", default="rate", choices=ENCODINGS,
                   help="rate: Bernoulli spikes, each pixel firing with its intensity as probability at every step "
                        "(default); direct: the intensities as the input current at every step")
    p.add_argument("--save-weights", metavar="PATH",
                   help="also save the trained weights (export_weights, torch.save) for `snnc check --weights`")
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


def encode(x, steps: int, generator, encoding: str = "rate", shape: tuple = ()):
    """The input [T, B, *shape] of the intensities x [B, n]: `rate_code`'s spikes ("rate"), or the
    intensities themselves at every step ("direct", which draws nothing from `generator`)."""
    out = rate_code(x, steps, generator) if encoding == "rate" else x.expand(steps, *x.shape).contiguous()
    return out.reshape(steps, x.shape[0], *shape) if shape else out


def compile_targets(spec: Path, directory: Path) -> dict:
    from ..build import compile_spec
    from .runs import load_module

    directory.mkdir(parents=True, exist_ok=True)
    return {t: load_module(compile_spec(spec, target=t).source, directory, f"demo_{t}") for t in TARGETS}


def train(module, x, y, args, rank: int, world: int, log, device=None, test=None) -> tuple[object, History]:
    """Train a fresh model of `module` (on `device`: a GPU per process under torchrun with CUDA);
    returns it (unwrapped) and its History. `test` = (input spikes, labels) of the held-out digits:
    rank 0 measures the accuracy on them after every epoch (it draws nothing from the training
    random stream, so the weights are those of training without it)."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(args.seed)
    model = module.build_model(device=device)
    model.train()  # batch norm: the statistics of each batch, running statistics updated; dropout on
    y = y.to(device) if device is not None else y
    net = model
    if world > 1:
        # Neuron state buffers are per-process simulation state, not model parameters: not broadcast.
        net = torch.nn.parallel.DistributedDataParallel(model, broadcast_buffers=False)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    out_pop = module.POPULATIONS and list(module.POPULATIONS)[-1]
    gen = torch.Generator().manual_seed(args.seed + 1)
    n = x.shape[0]
    history = History(batches_per_epoch=(n + args.batch - 1) // args.batch)
    losses = history.losses
    bar = _progress(args.epochs * history.batches_per_epoch, rank)
    for epoch in range(args.epochs):
        order = torch.randperm(n, generator=gen)
        right = torch.zeros(2)  # correct, seen: this process's share of the epoch's training batches
        for start in range(0, n, args.batch):
            idx = order[start:start + args.batch]
            spikes = encode(x[idx], module.TIME_STEPS, gen, args.encoding, module.INPUT_SHAPE)  # same on every rank
            share = len(idx) // world  # and trains on its share (equal shares: the last few wait)
            if share == 0:
                continue
            mine = torch.arange(rank * share, (rank + 1) * share)
            counts = module.run(net, spikes[:, mine], grad=True)[out_pop].sum(0)  # run() moves them to the model
            labels = y[idx.to(y.device)][mine.to(y.device)]
            loss = F.cross_entropy(counts, labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            right += torch.tensor([(counts.detach().argmax(1) == labels).sum().item(), len(labels)])
            losses.append(_mean_across(loss.detach(), world))
            bar.set_postfix(epoch=epoch + 1, loss=f"{losses[-1]:.3f}")
            bar.update()
        correct, seen = _sum_across(right, world)
        history.train_acc.append(correct / max(seen, 1))
        if test is not None and rank == 0:
            model.eval()  # as the held-out digits are evaluated at the end: running statistics, no dropout
            out = module.run(model, test[0])[out_pop]
            model.train()
            history.test_acc.append((out.sum(0).argmax(1).cpu() == test[1]).float().mean().item())
    bar.close()
    log(f"trained in {args.train_in}: {args.epochs} epochs, {len(losses)} steps, final loss {losses[-1]:.4f}")
    return model, history


def held_out_spikes(x, steps: int, seed: int, encoding: str = "rate", shape: tuple = ()):
    """The input of the held-out digits (`encode`): the same in every epoch's test and every target."""
    import torch

    return encode(x, steps, torch.Generator().manual_seed(seed + 2), encoding, shape)


def running_statistics(weights: dict) -> dict:
    """{batch-norm layer: (running mean, running variance)} of weights keyed as a module's WEIGHTS
    (`export_weights`): what eval mode normalises with."""
    return {key[:-len(".running_mean")]: (value, weights[key[:-len("mean")] + "var"])
            for key, value in weights.items() if key.endswith(".running_mean")}


def evaluate(modules: dict, weights: dict, spikes, y) -> dict:
    """Per target: (accuracy, all spikes, seconds) on the same input spikes."""
    results = {}
    for target, module in modules.items():
        start = time.perf_counter()
        model = module.load_weights(module.build_model(), weights)
        model.eval()
        out = module.run(model, spikes)
        pred = out[list(module.POPULATIONS)[-1]].sum(0).argmax(1)
        results[target] = ((pred == y).float().mean().item(), out, time.perf_counter() - start)
    return results


def figure(history: History, shown: Shown):
    """The demo's figure, one column of a paper wide (3.5 inches, 6-7.5 pt text). Panels, each
    with its title: a "Training loss" (per batch and its moving average over one epoch, log scale,
    by epoch) beside b "Accuracy" (train and test per epoch); c "Input" (the test digit, its true
    and predicted class) beside d, the spike raster of the first population of that digit
    ("Hidden spikes: <name>"); one raster per further population below, the last "Output spikes:
    <name>" with each class's spike count on the right and the predicted class shaded. Rasters:
    time step on x, neuron on y, whole-number ticks; a spike where some target differs from the
    training target is marked with a red cross. `figure.snnc_axes` names the axes for tests."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    style = {"font.size": 7, "axes.titlesize": 7.5, "axes.labelsize": 7, "xtick.labelsize": 6.5,
             "ytick.labelsize": 6.5, "legend.fontsize": 6.5, "axes.spines.top": False, "axes.spines.right": False,
             "axes.linewidth": 0.6, "xtick.major.width": 0.6, "ytick.major.width": 0.6, "lines.linewidth": 1.0}
    reference = shown.spikes[shown.train_in]
    pops = list(reference)
    sizes = [int(np.asarray(reference[p]).reshape(len(reference[p]), -1).shape[1]) for p in pops]
    right = shown.predicted == shown.label
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    with plt.rc_context(style):
        # Rows: loss | accuracy; input | first population; then one row per further population,
        # as tall as its neurons need (10 output neurons: a short row).
        heights = [1.35, 1.75] + [0.5 + (0.07 * n if n <= 20 else 1.2 * min(n, 128) / 128) for n in sizes[1:]]
        fig = plt.figure(figsize=(3.5, sum(heights) + 0.4), layout="constrained")
        fig.get_layout_engine().set(w_pad=0.02, h_pad=0.03, hspace=0.04, wspace=0.04)
        outer = fig.add_gridspec(len(heights), 1, height_ratios=heights)
        ax_loss, ax_acc = (fig.add_subplot(g) for g in outer[0].subgridspec(1, 2, wspace=0.1))
        second = outer[1].subgridspec(1, 2, width_ratios=[1, 2.4])
        ax_in = fig.add_subplot(second[0])
        rasters = [fig.add_subplot(second[1])] + [fig.add_subplot(outer[2 + i]) for i in range(len(pops) - 1)]

        def title(ax, text):
            ax.set_title(text, parse_math=False)
            ax.set_title(next(letters), loc="left", fontweight="bold")

        # a: loss per batch and its moving average over one epoch, against the epoch.
        losses = np.asarray(history.losses, dtype=float)
        per = max(1, history.batches_per_epoch)
        steps = np.arange(1, len(losses) + 1) / per
        ax_loss.plot(steps, losses, lw=0.5, color="tab:blue", alpha=0.35, label="per batch")
        if len(losses) >= 2:
            window = min(per, len(losses))
            smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
            ax_loss.plot(steps[window - 1:], smooth, lw=1.3, color="tab:blue",
                         label="1-epoch mean" if window == per else f"{window}-batch mean")
        ax_loss.set_yscale("log")
        if len(losses) and losses.min() > 0:  # headroom above the curve for the legend
            ax_loss.set_ylim(losses.min() / 2, losses.max() * 25)
        ax_loss.set(xlabel="epoch", ylabel="cross-entropy")
        title(ax_loss, "Training loss")
        ax_loss.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        ax_loss.legend(loc="upper right", frameon=False, handlelength=1.5, borderaxespad=0.1)

        # b: accuracy per epoch.
        epochs = np.arange(1, len(history.train_acc) + 1)
        ax_acc.plot(epochs, 100 * np.asarray(history.train_acc), "o-", ms=2, lw=1.0, color="tab:orange",
                    label="train")
        if history.test_acc:
            test = 100 * np.asarray(history.test_acc)
            ax_acc.plot(np.arange(1, len(test) + 1), test, "s-", ms=2, lw=1.0, color="tab:green", label="test")
            ax_acc.annotate(f"{test[-1]:.1f}", (len(test), test[-1]), xytext=(0, -4), textcoords="offset points",
                            ha="right", va="top", fontsize=6, color="tab:green")
        ax_acc.set(xlabel="epoch", ylabel="accuracy (%)")
        ax_acc.set_ylim(top=100.5)
        title(ax_acc, "Accuracy")
        ax_acc.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        ax_acc.grid(axis="y", lw=0.3, alpha=0.5)
        ax_acc.legend(loc="lower right", frameon=False, handlelength=1.5, borderaxespad=0.1)

        # c: the input digit.
        image = np.asarray(shown.image, dtype=float).reshape(8, 8)
        ax_in.imshow(image, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax_in.set_xticks([])
        ax_in.set_yticks([])
        for spine in ax_in.spines.values():
            spine.set_visible(False)
        title(ax_in, "Input")
        ax_in.set_xlabel(f"test digit {shown.sample}\ntrue {shown.label}, predicted {shown.predicted}",
                         color="black" if right else "firebrick")

        # d, e, ...: the spike rasters of that digit, one population each.
        for k, (ax, pop) in enumerate(zip(rasters, pops)):
            ref = np.asarray(reference[pop], dtype=float).reshape(len(reference[pop]), -1)
            steps_n, neurons = ref.shape
            last = k == len(pops) - 1
            few = neurons <= 20
            if last:  # the predicted class's row, shaded
                ax.axhspan(shown.predicted - 0.5, shown.predicted + 0.5, color="tab:green" if right else "firebrick",
                           alpha=0.15, lw=0)
            t, n = np.nonzero(ref)
            ax.scatter(t, n, marker="|", s=10 if few else 3, linewidths=0.8 if few else 0.5, color="black")
            differ = []
            for target, out in shown.spikes.items():
                got = np.asarray(out[pop], dtype=float).reshape(ref.shape)
                if (got != ref).any():
                    differ.append(target)
                    t, n = np.nonzero(got != ref)
                    ax.scatter(t, n, marker="x", s=8, color="red", linewidths=0.7, zorder=3)
            ax.set_xlim(-0.5, steps_n - 0.5)
            ax.set_ylim(-0.5, neurons - 0.5)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if last and few:
                ax.set_yticks(range(neurons))
            else:
                ax.yaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10], nbins=5))
            ax.set_xlabel("time step")
            ax.set_ylabel("class" if last and few else f"neuron (of {neurons})")
            title(ax, f"{'Output' if last else 'Hidden'} spikes: {pop}")
            if last and few:  # each class's spike count, on the right
                counts = ref.sum(0).astype(int)
                twin = ax.twinx()
                twin.set_ylim(ax.get_ylim())
                twin.set_yticks(range(neurons))
                twin.set_yticklabels([str(c) for c in counts])
                twin.set_ylabel("spikes")
                twin.tick_params(length=0, labelsize=6)
                twin.spines["top"].set_visible(False)
            if differ:
                ax.text(0.99, 0.01, "x: differs in " + ", ".join(differ), transform=ax.transAxes, ha="right",
                        va="bottom", color="red", fontsize=6, parse_math=False)

        accs = {round(a, 6) for a in shown.accuracy.values()}
        same = not any((np.asarray(out[p]) != np.asarray(reference[p])).any()
                       for out in shown.spikes.values() for p in pops)
        targets = list(shown.accuracy)
        if len(accs) == 1:
            where = f"{next(iter(accs)):.2%} in " + ", ".join(targets[:-1]) + " and " * (len(targets) > 1) + targets[-1]
        else:
            where = ", ".join(f"{t} {a:.2%}" for t, a in shown.accuracy.items())
        text = (f"{shown.model_name} trained in {shown.train_in}: test accuracy {where}, "
                + ("identical spikes" if same else "spikes differ (red x)"))
        fig.suptitle("\n".join(textwrap.wrap(text, 62)), fontsize=7.5, parse_math=False)
    fig.snnc_axes = {"loss": ax_loss, "accuracy": ax_acc, "input": ax_in, "rasters": rasters}
    return fig


def draw(path: Path, history: History, shown: Shown) -> None:
    import matplotlib.pyplot as plt

    fig = figure(history, shown)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {".svg": {"Date": None}, ".pdf": {"CreationDate": None}, ".png": {"Software": None}}.get(path.suffix.lower())
    with plt.rc_context({"svg.hashsalt": "snnc-demo"}):  # fixed SVG ids
        fig.savefig(path, dpi=300, metadata=metadata)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import torch
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    for option, value in (("--epochs", args.epochs), ("--batch", args.batch)):
        if value < 1:
            raise SystemExit(f"error: {option} must be at least 1")
    if args.batch < world:
        raise SystemExit("error: --batch must be at least the number of processes")
    if args.threads < 0:
        raise SystemExit("error: --threads must be 0 (torch's default) or more")
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
    from ..diagnostics import CompileError

    try:
        modules = compile_targets(Path(args.spec), Path(args.out).parent / "demo_modules" / f"rank{rank}")
    except CompileError as exc:
        raise SystemExit(str(exc)) from None
    first = modules["snntorch"]
    if first.INPUT_SHAPE not in ((64,), (1, 8, 8)) or list(first.POPULATIONS.values())[-1] != (10,):
        raise SystemExit(f"error: {args.spec}: the demo needs 64 inputs (8x8 digits: [64] or [1, 8, 8]) and a last "
                         f"population of 10 neurons, not {list(first.INPUT_SHAPE)} and "
                         f"{list(list(first.POPULATIONS.values())[-1])}")
    x_tr, y_tr, x_te, y_te = load_digits_split(args.seed)
    log(f"{Path(args.spec).name}: {len(x_tr)} training and {len(x_te)} test digits, T={modules['snntorch'].TIME_STEPS},"
        f" {world} process(es), {torch.get_num_threads()} thread(s) each")
    spikes_te = held_out_spikes(x_te, first.TIME_STEPS, args.seed, args.encoding, first.INPUT_SHAPE)
    model, history = train(modules[args.train_in], x_tr, y_tr, args, rank, world, log, device, (spikes_te, y_te))
    weights = modules[args.train_in].export_weights(model)
    stats = running_statistics(weights)
    if stats and world > 1:  # each rank normalised its own share of every batch: one mean of their statistics
        weights = _mean_statistics(weights, world)
        stats = running_statistics(weights)
        log(f"running statistics: the mean of the {world} ranks' (each normalised its share of every batch)")
    if stats:  # what training did to batch norm, which eval mode uses from here on
        log("running statistics after training (eval mode normalises with them): " + "; ".join(
            f"{name} mean {mean.min():.3f}..{mean.max():.3f}, variance {var.min():.3f}..{var.max():.3f}"
            for name, (mean, var) in stats.items()))
    if world > 1:
        same = _same_across_ranks(weights)
        log(f"weights identical on all {world} ranks: {same}")
        dist.destroy_process_group()
    if rank != 0:
        return 0
    if args.save_weights:
        Path(args.save_weights).parent.mkdir(parents=True, exist_ok=True)
        torch.save(weights, args.save_weights)
    results = evaluate(modules, weights, spikes_te, y_te)
    reference = results[args.train_in][1]
    print(f"\n{'target':<14}{'accuracy':>10}{'spikes identical to ' + args.train_in:>34}{'eval s':>9}")
    for target, (acc, out, seconds) in results.items():
        same = all(torch.equal(out[k], reference[k]) for k in reference)
        print(f"{target:<14}{acc:>10.2%}{str(same):>34}{seconds:>9.2f}")
    sample, out_pop = 0, list(first.POPULATIONS)[-1]
    predicted = int(reference[out_pop][:, sample].sum(0).argmax())
    shown = Shown(first.MODEL_NAME, args.train_in, {t: acc for t, (acc, _, _) in results.items()}, sample,
                  x_te[sample].reshape(8, 8).numpy(), int(y_te[sample]), predicted,
                  {t: {p: s[:, sample].reshape(s.shape[0], -1).numpy() for p, s in out.items() if not p.endswith(".v")}
                   for t, (_, out, _) in results.items()})
    draw(Path(args.out), history, shown)
    saved = f"   weights: {args.save_weights}" if args.save_weights else ""
    print(f"\npicture: {args.out}{saved}   total time {time.perf_counter() - begin:.1f} s")
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


def _sum_across(values, world: int) -> list[float]:
    if world > 1:
        import torch.distributed as dist

        values = values.clone()
        dist.all_reduce(values)
    return values.tolist()


def _mean_statistics(weights: dict, world: int) -> dict:
    """`weights` with each batch norm's running mean and variance replaced by their mean over the ranks."""
    import torch.distributed as dist

    out = dict(weights)
    for key, value in weights.items():
        if key.endswith((".running_mean", ".running_var")):
            value = value.clone()
            dist.all_reduce(value)
            out[key] = value / world
    return out


def _same_across_ranks(weights: dict) -> bool:
    import torch
    import torch.distributed as dist

    flat = torch.cat([w.flatten() for w in weights.values()])
    gathered = [torch.empty_like(flat) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, flat)
    return all(torch.equal(g, gathered[0]) for g in gathered)


if __name__ == "__main__":
    sys.exit(main())
