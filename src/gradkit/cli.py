"""The ``gradkit`` command line.

    gradkit train     [--data digits] [--model auto] [--init torch] [--recipe FILE.toml] [--epochs N]
                      [--batch-size B] [--optimizer adam] [--lr LR] [--seed S] [--out DIR] [--resume] [--quiet]
    gradkit evaluate  MODEL.safetensors [--data NAME] [--split test]
    gradkit predict   MODEL.safetensors --input FILE(.npy|.csv) [--output FILE.csv]
    gradkit summary   MODEL.safetensors [--graph FILE.svg] [--input-shape 1,8,8]

``gradkit train`` with no options trains the default model on scikit-learn's digits (a 60/20/20
stratified split, standardized with training statistics only; a small CNN with augmentation)
and writes to ``--out`` (default ``runs/<timestamp>``): ``metrics.json``, ``history.csv``,
``model.safetensors`` (weights, architecture and preprocessing statistics),
``learning_curves.png``, ``confusion_matrix.png`` and ``health.png`` (the gradient norm of each
layer over the epochs, from :class:`gradkit.diagnose.TrainingHealth`).

``--init`` (or ``init = "he"`` in the recipe's ``[model]`` table) chooses the weight
initialisation of the preset: ``torch`` (default: PyTorch's, unchanged), ``he``, ``xavier``,
``lecun`` or ``zeros`` (see :class:`gradkit.models.MLP`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ._cli_common import (  # noqa: F401  (CLIError and read_toml_recipe are public here too)
    IMAGE_DATASETS, CLIError, load_for_inference, load_splits, preprocessing_meta, read_toml_recipe,
)
from .optim import OPTIMIZERS

PRESETS = ("auto", "cnn", "mlp", "logreg", "cnn1d")
INITS = ("torch", "he", "xavier", "lecun", "zeros")  # gradkit.models' init= names


# ---------------------------------------------------------------------------- recipe and data
def _load_recipe(path) -> dict:
    return read_toml_recipe(path, ("data", "model", "train"))


def _settings(args) -> dict:
    """Merge defaults < recipe < command-line flags."""
    recipe = _load_recipe(args.recipe) if args.recipe else {}
    data = {"name": "digits", "sizes": [0.6, 0.2, 0.2], **recipe.get("data", {})}
    model = {"preset": "auto", **recipe.get("model", {})}
    train = {"epochs": None, "batch_size": 32, "optimizer": "adam", "lr": None, "seed": 0, "l2": 0.0,
             "augment": None, "patience": 15, **recipe.get("train", {})}
    for flag, (section, key) in {"data": (data, "name"), "model": (model, "preset"), "init": (model, "init"),
                                 "epochs": (train, "epochs"),
                                 "batch_size": (train, "batch_size"), "optimizer": (train, "optimizer"),
                                 "lr": (train, "lr"), "seed": (train, "seed")}.items():
        v = getattr(args, flag, None)
        if v is not None:
            section[key] = v
    if args.no_augment:
        train["augment"] = False
    if model["preset"] not in PRESETS and "spec" not in model:
        raise CLIError(f"unknown model {model['preset']!r}; valid presets: {', '.join(PRESETS)}")
    if "init" in model and model["init"] not in INITS:
        raise CLIError(f"unknown init {model['init']!r}; valid: {', '.join(INITS)}")
    if str(train["optimizer"]).lower() not in OPTIMIZERS:
        raise CLIError(f"unknown optimizer {train['optimizer']!r}; valid: {', '.join(OPTIMIZERS)}")
    return {"data": data, "model": model, "train": train}


def _resolve_preset(preset: str, dataset: str) -> str:
    if preset != "auto":
        return preset
    if dataset in IMAGE_DATASETS:
        return "cnn"
    if dataset == "mnist1d":
        return "cnn1d"
    return "mlp"


def _build_model(model: dict, preset: str, in_shape, num_classes: int):
    from . import models
    from .nn.module import module_from_config

    if "spec" in model:
        return module_from_config(model["spec"])
    kw = {k: v for k, v in model.items() if k not in ("preset",)}
    if preset == "cnn":
        return models.DigitsCNN(num_classes=num_classes, **kw)
    if preset == "cnn1d":
        return models.MNIST1DCNN(num_classes=num_classes, length=in_shape[-1], **kw)
    n_in = 1
    for s in in_shape:
        n_in *= s
    init = kw.pop("init", "torch")
    if preset == "logreg":
        return models.LogisticRegression(n_in, num_classes, init=init)
    hidden = kw.pop("hidden", [128, 64])
    return models.MLP([n_in, *hidden, num_classes], activation=kw.pop("activation", "relu"),
                      dropout=kw.pop("dropout", 0.1), batchnorm=kw.pop("batchnorm", False), init=init)


def _augmenter(preset: str, setting):
    if setting is False or preset != "cnn":
        return None
    from .data import augmentation as A

    return A.Compose([A.RandomCrop(8, padding=1), A.RandomRotation(10)])


# ---------------------------------------------------------------------------- output
def _table(title: str, rows: dict, columns) -> str:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain text when rich is missing
        lines = [title, "split  " + "  ".join(f"{c:>10}" for c in columns)]
        for name, m in rows.items():
            lines.append(f"{name:<6} " + "  ".join(f"{m.get(c, float('nan')):10.4f}" for c in columns))
        print("\n".join(lines))
        return "\n".join(lines)
    t = Table(title=title)
    t.add_column("split")
    for c in columns:
        t.add_column(c, justify="right")
    for name, m in rows.items():
        t.add_row(name, *(f"{m.get(c, float('nan')):.4f}" for c in columns))
    console = Console()
    console.print(t)
    return ""


# ---------------------------------------------------------------------------- commands
def cmd_train(args) -> int:
    import numpy as np

    from .data import Standardize
    from .diagnose import BiasVarianceVerdict, TrainingHealth, bias_variance
    from .io import save
    from .optim.lr_scheduler import CosineAnnealingLR
    from .random import manual_seed
    from .train import callbacks as cb
    from .train import evaluate, fit, plot_confusion_matrix, plot_history, predict
    from .train import metrics as M
    from .train.loop import resolve_optimizer

    cfg = _settings(args)
    data, model_cfg, tr = cfg["data"], cfg["model"], cfg["train"]
    seed = int(tr["seed"])
    preset = _resolve_preset(model_cfg["preset"], data["name"])
    manual_seed(seed)
    (Xtr, ytr), (Xdv, ydv), (Xte, yte) = load_splits(data, preset, seed)
    prep = Standardize(axis=0).fit(Xtr)  # statistics of the training split only
    Xtr, Xdv, Xte = (prep.transform(a).astype(np.float32) for a in (Xtr, Xdv, Xte))
    num_classes = int(max(ytr.max(), ydv.max(), yte.max()) + 1)
    model = _build_model(model_cfg, preset, Xtr.shape[1:], num_classes)
    epochs = tr["epochs"] if tr["epochs"] is not None else (30 if preset == "cnn" else 60)
    lr = tr["lr"] if tr["lr"] is not None else (3e-3 if preset in ("cnn", "cnn1d") else 1e-3)
    out = Path(args.out) if args.out else Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "checkpoint.safetensors"
    opt = resolve_optimizer(str(tr["optimizer"]).lower(), model, lr)
    sched = CosineAnnealingLR(opt, T_max=epochs)
    patience = int(tr["patience"])
    # dev accuracy, not dev loss: on a few hundred dev samples the loss is noisy and its minimum comes early
    callbacks = [cb.EarlyStopping(monitor="val_accuracy", patience=patience, restore_best_weights=True),
                 cb.CSVLogger(out / "history.csv"), BiasVarianceVerdict(verbose=False)]  # printed once, below
    health = TrainingHealth(verbose=False)  # gradient norm per layer over the epochs -> health.png
    callbacks.append(health)
    n_params = model.num_parameters()
    if not args.quiet:
        print(f"gradkit train: {data['name']} ({len(Xtr)}/{len(Xdv)}/{len(Xte)} train/dev/test), model {preset} "
              f"({n_params:,} parameters), {tr['optimizer']} lr {lr:g}, {epochs} epochs, batch {tr['batch_size']}, "
              f"seed {seed}")
    t0 = time.perf_counter()
    hist = fit(model, "cross_entropy", opt, (Xtr, ytr), (Xdv, ydv), epochs=epochs,
               batch_size=int(tr["batch_size"]), metrics=["accuracy"], callbacks=callbacks, schedule=sched,
               l2=float(tr["l2"]), augment=_augmenter(preset, tr["augment"]),
               verbose=0 if args.quiet else "auto", checkpoint=ckpt,
               resume=ckpt if args.resume and ckpt.exists() else None)
    secs = time.perf_counter() - t0
    metrics = {}
    for name, (X, y) in (("train", (Xtr, ytr)), ("dev", (Xdv, ydv)), ("test", (Xte, yte))):
        m = evaluate(model, "cross_entropy", (X, y), metrics=["accuracy", "f1_macro"])
        metrics[name] = {k: round(float(v), 6) for k, v in m.items()}
    metrics["run"] = {"dataset": data["name"], "model": preset, "epochs_run": len(hist), "seconds": round(secs, 2),
                      "seed": seed, "parameters": n_params}
    report = bias_variance(1 - metrics["train"]["accuracy"], 1 - metrics["dev"]["accuracy"], base_error=0.0)
    metrics["diagnosis"] = report.to_dict()
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))  # history.csv: written live by CSVLogger
    save(model, out / "model.safetensors", metadata={
        "dataset": data["name"], "preset": preset, "sizes": list(data["sizes"]), "seed": seed,
        "input_shape": list(Xtr.shape[1:]), "num_classes": num_classes, "preprocessing": preprocessing_meta(prep)})
    plot_history(hist, out / "learning_curves.png")
    cm = M.confusion_matrix(predict(model, Xte), yte, num_classes)
    plot_confusion_matrix(cm, out / "confusion_matrix.png", title=f"{data['name']} test set")
    pictures = ["learning_curves.png", "confusion_matrix.png"]
    if health.records:
        health.plot(out / "health.png", title="gradient norm per layer (gradient flow over the epochs)")
        pictures.append("health.png")
    if ckpt.exists():
        ckpt.unlink()  # the run finished: the resumable checkpoint is no longer needed
    if not args.quiet:
        _table(f"{data['name']} / {preset}: {len(hist)} epochs in {secs:.1f}s", {k: metrics[k] for k in ("train", "dev", "test")},
               ("loss", "accuracy", "f1_macro"))
        print(report)
        print(f"wrote {out}/: metrics.json history.csv model.safetensors {' '.join(pictures)}")
    return 0


def cmd_evaluate(args) -> int:
    import numpy as np

    from .train import evaluate

    model, meta, prep = load_for_inference(args.model)
    data = {"name": args.data or meta.get("dataset", "digits"), "sizes": meta.get("sizes", [0.6, 0.2, 0.2])}
    preset = meta.get("preset", "mlp")
    splits = dict(zip(("train", "dev", "test"), load_splits(data, preset, int(meta.get("seed", 0)))))
    names = ("train", "dev", "test") if args.split == "all" else (args.split,)
    rows = {}
    for n in names:
        X, y = splits[n]
        if prep is not None:
            X = prep.transform(X).astype(np.float32)
        rows[n] = evaluate(model, "cross_entropy", (X, y), metrics=["accuracy", "f1_macro"])
    _table(f"{args.model} on {data['name']}", rows, ("loss", "accuracy", "f1_macro"))
    if args.json:
        print(json.dumps(rows))
    return 0


def cmd_predict(args) -> int:
    import numpy as np

    from .train import predict

    model, meta, prep = load_for_inference(args.model)
    src = Path(args.input)
    if not src.exists():
        raise CLIError(f"input file not found: {src}")
    if src.suffix == ".npy":
        X = np.load(src, allow_pickle=False)
    elif src.suffix in (".csv", ".txt"):
        X = np.loadtxt(src, delimiter="," if src.suffix == ".csv" else None, ndmin=2)
    else:
        raise CLIError(f"--input must be a .npy or .csv file, got {src.name}")
    shape = tuple(meta.get("input_shape", X.shape[1:]))
    if X.ndim == 2 and len(shape) > 1 and X.shape[1] == int(np.prod(shape)):
        X = X.reshape(len(X), *shape)
    if tuple(X.shape[1:]) != shape:
        raise CLIError(f"the model expects inputs of shape (N, {', '.join(map(str, shape))}), got {X.shape}")
    if prep is not None:
        X = prep.transform(X)
    logits = predict(model, X.astype(np.float32))
    z = logits - logits.max(1, keepdims=True)
    probs = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    labels = probs.argmax(1)
    lines = ["label,confidence"] + [f"{int(c)},{p:.6f}" for c, p in zip(labels, probs.max(1))]
    if args.output:
        Path(args.output).write_text("\n".join(lines) + "\n")
        print(f"wrote {len(labels)} predictions to {args.output}")
    else:
        print("\n".join(lines))
    return 0


GRAPH_FORMATS = (".svg", ".png", ".pdf")


def _input_shape(text: str) -> tuple:
    """``'1,8,8'`` -> ``(1, 8, 8)`` (one example's shape, without the batch axis)."""
    try:
        shape = tuple(int(v) for v in str(text).split(",") if v.strip())
    except ValueError:
        shape = ()
    if not shape or any(v < 1 for v in shape):
        raise CLIError(f"--input-shape must be positive integers separated by commas (e.g. 1,8,8), got {text!r}")
    return shape


def _draw_graph(model, shape: tuple, path: str) -> None:
    """The model's graph on a zero batch of one example, saved by ``gradkit.viz``."""
    import numpy as np

    from .tensor import Tensor

    try:
        from .viz import model_graph
    except ImportError as exc:
        raise CLIError(f"drawing the graph needs gradkit.viz, which is not available ({exc})") from None
    dtype = next((p.dtype for p in model.parameters() if p.dtype.kind == "f"), np.float32)
    model.eval()
    model_graph(model, Tensor(np.zeros((1, *shape), dtype=dtype)), depth=1).save(path)


def cmd_summary(args) -> int:
    if args.graph and Path(args.graph).suffix.lower() not in GRAPH_FORMATS:
        raise CLIError(f"--graph must end in {', '.join(GRAPH_FORMATS)}, got {args.graph}")
    model, meta, _ = load_for_inference(args.model)
    shape = _input_shape(args.input_shape) if args.input_shape else meta.get("input_shape")
    if shape is None:
        raise CLIError("the model file has no input shape in its metadata; pass one example's shape with "
                       "--input-shape (e.g. --input-shape 1,8,8)")
    shape = tuple(int(v) for v in shape)
    try:
        model.summary(shape)
    except RuntimeError as exc:  # a wrong --input-shape: the forward pass on a zero batch failed
        raise CLIError(str(exc)) from None
    if args.graph:
        _draw_graph(model, shape, args.graph)
        print(f"wrote the model graph to {args.graph}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gradkit", description="Train and inspect neural networks with gradkit.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    t = sub.add_parser("train", help="train a model (default: a small CNN on digits) and write a run folder")
    t.add_argument("--data", help="dataset name (default digits)")
    t.add_argument("--model", help=f"model preset: {', '.join(PRESETS)} (default auto)")
    t.add_argument("--init",
                   help="weight initialisation: torch (default, PyTorch's), he, xavier, lecun or zeros")
    t.add_argument("--recipe", help="a TOML recipe with [data], [model] and [train] sections")
    t.add_argument("--epochs", type=int)
    t.add_argument("--batch-size", dest="batch_size", type=int)
    t.add_argument("--optimizer", help=f"one of {', '.join(OPTIMIZERS)}")
    t.add_argument("--lr", type=float)
    t.add_argument("--seed", type=int)
    t.add_argument("--no-augment", action="store_true", help="train without data augmentation")
    t.add_argument("--out", help="output folder (default runs/<timestamp>)")
    t.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    t.add_argument("--quiet", action="store_true")
    t.set_defaults(func=cmd_train)
    e = sub.add_parser("evaluate", help="evaluate a saved model on its dataset's splits")
    e.add_argument("model")
    e.add_argument("--data")
    e.add_argument("--split", choices=("train", "dev", "test", "all"), default="test")
    e.add_argument("--json", action="store_true", help="also print the numbers as JSON")
    e.set_defaults(func=cmd_evaluate)
    pr = sub.add_parser("predict", help="predict classes for inputs in a .npy or .csv file")
    pr.add_argument("model")
    pr.add_argument("--input", required=True)
    pr.add_argument("--output")
    pr.set_defaults(func=cmd_predict)
    s = sub.add_parser("summary", help="print a saved model's layers, shapes and parameter counts")
    s.add_argument("model")
    s.add_argument("--graph", metavar="FILE", help="also draw the model graph (.svg, .png or .pdf) with gradkit.viz")
    s.add_argument("--input-shape", dest="input_shape", metavar="SHAPE",
                   help="one example's shape, e.g. 1,8,8 (default: the input_shape in the model's metadata)")
    s.set_defaults(func=cmd_summary)
    # subcommands that live beside their subsystem (diagnose, gradcheck, tune)
    from .diagnose.cli import add_commands as add_diagnose_commands
    from .tune.cli import add_commands as add_tune_commands

    add_diagnose_commands(sub)
    add_tune_commands(sub)
    return p


def run() -> int:
    """The ``gradkit`` program (its console script and ``python -m gradkit``).

    A program owns its process, so it opts in to :func:`gradkit.parallel.tune_allocator`
    (freed memory kept for the next training step's arrays) before running :func:`main`;
    :func:`main` itself, called from a user's own Python, leaves the allocator alone.
    """
    from .parallel import tune_allocator

    tune_allocator()
    return main()


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CLIError as exc:
        print(f"gradkit {args.command}: {exc}", file=sys.stderr)
        return 2
