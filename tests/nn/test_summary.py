"""model.summary: rows, output shapes, counts, trainable flags, memory estimate, plain and rich output."""

import pytest

from gradkit import nn
from gradkit.nn.summary import summary, summary_rows


def _net():
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Residual(nn.Linear(8, 8)),
                         nn.Dropout(0.5), nn.Linear(8, 2))


def test_rows_shapes_counts_and_totals():
    net = _net()
    net[0].freeze()
    rows, totals = summary_rows(net, (4,), batch_size=16)
    assert [r["name"] for r in rows] == ["0", "1", "2", "3.module", "4", "5"]
    assert [r["type"] for r in rows] == ["Linear", "BatchNorm1d", "ReLU", "Linear", "Dropout", "Linear"]
    assert rows[0]["output_shape"] == (16, 8) and rows[-1]["output_shape"] == (16, 2)
    assert [r["params"] for r in rows] == [40, 16, 0, 72, 0, 18]
    assert [r["trainable"] for r in rows] == ["no", "yes", "-", "yes", "-", "yes"]
    assert totals["total"] == net.num_parameters() == 146
    assert totals["trainable"] == 106 and totals["non_trainable"] == 40
    param_bytes = 146 * 4 + (8 + 8) * 4 + 8  # params + running stats + num_batches_tracked
    assert totals["param_bytes"] == param_bytes
    act = 16 * 4 * 4 + 16 * (8 * 5 + 2) * 4  # input + every row's output, float32
    assert totals["activation_bytes"] == act
    assert totals["total_bytes"] == param_bytes + act


def test_summary_restores_mode_and_records_no_graph():
    net = _net()
    net.train()
    summary_rows(net, (4,))
    assert all(m.training for m in net.modules())
    assert all(p.grad is None for p in net.parameters())
    assert int(net[1].num_batches_tracked.item()) == 0  # ran in eval mode


def test_plain_text_and_method():
    net = _net()
    text = summary(net, (4,), print_fn=None, use_rich=False)
    assert "Model: Sequential" in text
    assert "Total params: 146" in text and "Trainable params: 146" in text
    assert "BatchNorm1d" in text and "(1, 2)" in text
    printed = []
    text2 = net.summary((4,), print_fn=printed.append)
    assert printed == [text2] and "Estimated total memory" in text2


def test_rich_table_when_installed():
    pytest.importorskip("rich")
    text = summary(_net(), (4,), print_fn=None, use_rich=True)
    assert "Linear" in text and "Total params: 146" in text


def test_float64_model_and_forward_error():
    net = nn.Linear(3, 2).double()
    rows, _ = summary_rows(net, (3,))
    assert rows[0]["name"] == "Linear" and rows[0]["out_bytes"] == 2 * 8
    with pytest.raises(RuntimeError, match=r"zero batch of shape \[\(1, 5\)\]"):
        summary_rows(net, (5,))
