"""Spike rasters of several targets, with every disagreement with the reference marked (`check --plot`).

Imports matplotlib (Agg, no display needed) and torch; used only by `check`.
"""

from __future__ import annotations

import io


def first_disagreeing_sample(runs: dict, reference: str, pops: list[str]) -> int:
    """The first batch sample where some target's spikes differ from the reference (0 if none)."""
    for pop in pops:
        ref = runs[reference][pop]
        for out in runs.values():
            diff = (out[pop] != ref).flatten(2).any(2).any(0).nonzero()
            if len(diff):
                return int(diff[0])
    return 0


def draw_agreement(runs: dict, reference: str, pops: list[str], title: str, kind: str = "png") -> bytes:
    import matplotlib.pyplot as plt

    fig = agreement_figure(runs, reference, pops, title)
    buf = io.BytesIO()
    fig.savefig(buf, format=kind, dpi=100, metadata={"Date": None} if kind == "svg" else {"Software": None})
    plt.close(fig)
    return buf.getvalue()


def agreement_figure(runs: dict, reference: str, pops: list[str], title: str):
    """The matplotlib figure of `draw_agreement`: one raster per population and target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    sample = first_disagreeing_sample(runs, reference, pops)
    targets = list(runs)
    fig, axes = plt.subplots(len(pops), len(targets), figsize=(4.2 * len(targets), 2.6 * len(pops)), squeeze=False)
    for row, pop in enumerate(pops):
        ref = runs[reference][pop][:, sample].reshape(runs[reference][pop].shape[0], -1)
        for col, target in enumerate(targets):
            ax = axes[row][col]
            got = runs[target][pop][:, sample].reshape(ref.shape)
            same = got == ref
            t, n = (got.bool() & same).nonzero(as_tuple=True)
            ax.scatter(t.numpy(), n.numpy(), s=4, marker="|", color="black")
            t, n = (got.bool() & ~same).nonzero(as_tuple=True)
            ax.scatter(t.numpy(), n.numpy(), s=14, marker="x", color="red", label="extra spike")
            t, n = (~got.bool() & ~same).nonzero(as_tuple=True)
            ax.scatter(t.numpy(), n.numpy(), s=14, marker="o", facecolors="none", edgecolors="blue",
                       label="missing spike")
            agree = (runs[target][pop] == runs[reference][pop]).float().mean().item()
            ax.set_title(f"{pop} in {target}: {agree:.3%} agree", fontsize=9, parse_math=False)
            ax.set_xlim(-0.5, ref.shape[0] - 0.5)
            ax.set_ylim(-0.5, ref.shape[1] - 0.5)
            for axis in (ax.xaxis, ax.yaxis):  # time steps and neurons are whole numbers: no ticks between
                axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
            if row == len(pops) - 1:
                ax.set_xlabel("time step")
            if col == 0:
                ax.set_ylabel("neuron")
    fig.suptitle(f"{title} (batch sample {sample}; reference {reference}; red x extra, blue o missing)", fontsize=10,
                 parse_math=False)
    fig.tight_layout()
    return fig
