"""Jupyter's rich display: the reports and the history have an HTML form with their values, escaped."""

import gradkit as gk


def _fit(callbacks=()):
    gk.manual_seed(0)
    net = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.ReLU(), gk.nn.Linear(8, 2))
    x = gk.randn(64, 4)
    y = (x[:, 0] > 0).long()
    h = gk.train.fit(net, "cross_entropy", "adam", (x[:48], y[:48]), (x[48:], y[48:]), epochs=2, verbose=0,
                     metrics=["accuracy"], callbacks=list(callbacks))
    return net, x, y, h


def test_history_html_lists_every_epoch_and_key():
    _, _, _, h = _fit()
    html = h._repr_html_()
    assert html.startswith("<table") and "val_accuracy" in html and html.count("<tr>") == 1 + len(h)
    assert f"{h.history['loss'][-1]:.4g}" in html


def test_bias_variance_report_html_marks_high_components():
    r = gk.diagnose.bias_variance(train_error=0.15, dev_error=0.16, base_error=0.01)
    html = r._repr_html_()
    assert r.verdict in html and "avoidable bias" in html and "color:#b00" in html
    assert all(gk._html.esc(a) in html for a in r.advice)


def test_health_gradcheck_and_summary_html():
    net, x, y, _ = _fit()
    rep = gk.diagnose.health_report(net, gk.nn.CrossEntropyLoss(), x, y)
    assert "<table" in rep._repr_html_() and "|dW|" in rep._repr_html_()
    xx = gk.randn(3, dtype="float64", requires_grad=True)
    res = gk.diagnose.gradcheck(lambda t: (t * t).sum(), [xx])
    assert "passed" in res._repr_html_()
    net64 = gk.nn.Sequential(gk.nn.Linear(4, 3)).double()
    mrep = gk.diagnose.gradcheck_model(net64, gk.nn.CrossEntropyLoss(), gk.randn(5, 4, dtype="float64"),
                                       gk.tensor([0, 1, 2, 0, 1]))
    assert "0.weight" in mrep._repr_html_()
    s = net.summary((4,), print_fn=None)
    assert isinstance(s, str) and "Linear" in s and "<table" in s._repr_html_()


def test_html_escapes_names():
    assert gk._html.table(["<b>"], [["<script>x</script>"]]).count("<script>") == 0
