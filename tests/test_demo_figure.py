"""The demo's figure (compiler.tools.demo.figure) from a small recorded result, without training:
its panels, their titles and axes, and how it shows where targets differ. The demo itself runs
end to end in tests/test_training.py."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.tools.demo import History, Shown, build_parser, draw, figure

T, HIDDEN = 20, 128


def _recorded(differ: bool = False):
    rng = np.random.default_rng(0)
    history = History(losses=list(np.geomspace(2.4, 0.01, 3 * 23)), batches_per_epoch=23,
                      train_acc=[0.6, 0.9, 0.97], test_acc=[0.85, 0.93, 0.96])
    hidden = (rng.random((T, HIDDEN)) < 0.1).astype(np.float32)
    out = np.zeros((T, 10), dtype=np.float32)
    out[::2, 7] = 1
    out[3, 1] = 1
    other = out.copy()
    if differ:
        other[5, 2] = 1
    spikes = {"snntorch": {"hidden": hidden, "out": out}, "spikingjelly": {"hidden": hidden, "out": out},
              "bindsnet": {"hidden": hidden, "out": other}}
    accuracy = {"snntorch": 0.9639, "spikingjelly": 0.9639, "bindsnet": 0.9611 if differ else 0.9639}
    return history, Shown("DigitsSNN", "snntorch", accuracy, 0, rng.random((8, 8)), 7, 7, spikes)


@pytest.fixture
def fig():
    import matplotlib.pyplot as plt

    figure_ = figure(*_recorded())
    figure_.canvas.draw()
    yield figure_
    plt.close(figure_)


def test_the_panels_and_their_titles(fig):
    axes = fig.snnc_axes
    panels = [axes["loss"], axes["accuracy"], axes["input"], *axes["rasters"]]
    assert [ax.get_title() for ax in panels] == ["Training loss", "Accuracy", "Input", "Hidden spikes: hidden",
                                                 "Output spikes: out"]
    assert [ax.get_title(loc="left") for ax in panels] == list("abcde")
    assert tuple(fig.get_size_inches()) == pytest.approx((3.5, fig.get_size_inches()[1]))  # one paper column
    assert "96.39% in snntorch, spikingjelly and bindsnet" in fig._suptitle.get_text().replace("\n", " ")
    assert "identical spikes" in fig._suptitle.get_text().replace("\n", " ")


def test_loss_is_raw_and_smoothed_and_accuracy_is_train_and_test_per_epoch(fig):
    loss, acc = fig.snnc_axes["loss"], fig.snnc_axes["accuracy"]
    raw, smooth = loss.get_lines()
    assert len(raw.get_xdata()) == 69 and len(smooth.get_xdata()) == 69 - 23 + 1
    assert raw.get_xdata()[-1] == pytest.approx(3.0) and loss.get_xlabel() == "epoch"
    assert loss.get_yscale() == "log"
    assert [t.get_text() for t in loss.get_legend().get_texts()] == ["per batch", "1-epoch mean"]
    train, test = acc.get_lines()
    assert list(train.get_xdata()) == [1, 2, 3] and list(test.get_ydata()) == pytest.approx([85, 93, 96])
    assert [t.get_text() for t in acc.get_legend().get_texts()] == ["train", "test"]
    assert acc.get_ylabel() == "accuracy (%)" and acc.get_xlabel() == "epoch"


def test_the_input_names_its_true_and_predicted_class(fig):
    ax = fig.snnc_axes["input"]
    assert ax.get_images()[0].get_array().shape == (8, 8)
    assert "true 7, predicted 7" in ax.get_xlabel()


def test_rasters_have_time_on_x_neurons_on_y_and_whole_number_ticks(fig):
    hidden, out = fig.snnc_axes["rasters"]
    for ax, neurons in ((hidden, HIDDEN), (out, 10)):
        assert ax.get_xlabel() == "time step"
        assert ax.get_xlim() == (-0.5, T - 0.5) and ax.get_ylim() == (-0.5, neurons - 0.5)
        for ticks in (ax.get_xticks(), ax.get_yticks()):
            assert all(float(t).is_integer() for t in ticks)
    assert list(out.get_yticks()) == list(range(10)) and out.get_ylabel() == "class"
    assert hidden.get_ylabel() == "neuron (of 128)"
    t, n = out.collections[0].get_offsets().T  # the spikes drawn, after the shaded class row
    assert sorted(zip(t, n)) == sorted(zip(*np.nonzero(_recorded()[1].spikes["snntorch"]["out"])))
    counts = [label.get_text() for label in fig.axes[-1].get_yticklabels()]  # the twin axis on the right
    assert counts == ["0", "1", "0", "0", "0", "0", "0", "10", "0", "0"]


def test_a_spike_where_a_target_differs_is_marked():
    import matplotlib.pyplot as plt

    fig = figure(*_recorded(differ=True))
    out = fig.snnc_axes["rasters"][1]
    crosses = [c for c in out.collections if c.get_offsets().shape[0] and tuple(c.get_facecolor()[0][:3]) == (1, 0, 0)]
    assert [tuple(c.get_offsets()[0]) for c in crosses] == [(5.0, 2.0)]
    assert any("differs in bindsnet" in t.get_text() for t in out.texts)
    assert "spikes differ" in fig._suptitle.get_text()
    plt.close(fig)


def test_the_figure_is_written_and_the_default_is_one_thread(tmp_path):
    path = tmp_path / "demo.png"
    draw(path, *_recorded())
    assert path.read_bytes().startswith(b"\x89PNG") and path.stat().st_size > 20_000
    assert build_parser().parse_args([]).threads == 1
