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
import math
import os
import sys
import time
from pathlib import Path

from ._cli_common import (  # noqa: F401  (CLIError and read_toml_recipe are public here too)
    IMAGE_DATASETS, ArgumentParser, CLIError, check_table, examples_epilog, load_for_inference, load_splits,
    preprocessing_meta, read_toml_recipe, user_error_message,
)
from .optim import OPTIMIZERS

PRESETS = ("auto", "cnn", "mlp", "logreg", "cnn1d")
INITS = ("torch", "he", "xavier", "lecun", "zeros")  # gradkit.models' init= names


# ---------------------------------------------------------------------------- recipe and data
RECIPE_SCHEMA = {
    "data": {"name": "str", "sizes": "list", "root": "str", "n_samples": "int", "noise": "number", "seed": "int",
             "download": "bool"},
    "model": {"preset": "str", "init": "str", "spec": "table", "hidden": "list", "activation": "str",
              "dropout": "number", "batchnorm": "bool", "width": "int", "channels": "int"},
    "train": {"epochs": "int", "batch_size": "int", "optimizer": "str", "lr": "number", "seed": "int", "l2": "number",
              "augment": ("bool", "str"), "patience": "int"},
}


def _load_recipe(path) -> dict:
    recipe = read_toml_recipe(path, ("data", "model", "train"))
    for section, table in recipe.items():
        check_table(str(path), section, table, RECIPE_SCHEMA[section])
    return recipe


def _check_ranges(data: dict, train: dict) -> None:
    """Refuse out-of-range numbers, naming the option and the valid range."""
    checks = (("epochs", train["epochs"], 1, "an integer >= 1"), ("batch_size", train["batch_size"], 1,
              "an integer >= 1"), ("patience", train["patience"], 0, "an integer >= 0"))
    for name, v, low, what in checks:
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < low):
            raise CLIError(f"--{name.replace('_', '-')} must be {what}, got {v!r}")
    lr = train["lr"]
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr)
                           or lr <= 0):
        raise CLIError(f"--lr must be a finite number > 0 (e.g. 1e-3), got {lr!r}")
    l2 = train["l2"]
    if not isinstance(l2, (int, float)) or not math.isfinite(l2) or l2 < 0:
        raise CLIError(f"l2 must be a finite number >= 0, got {l2!r}")
    sizes = data["sizes"]
    if (not isinstance(sizes, (list, tuple)) or len(sizes) != 3
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0 for x in sizes)):
        raise CLIError(f"data sizes must be three positive numbers (train, dev, test), got {sizes!r}")


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
    _check_ranges(data, train)
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
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {out} is an existing file; give a folder (it is created if missing)")
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
    if getattr(args, "tensorboard", None):
        from .train.tensorboard import TensorBoard, _writer_class

        try:
            _writer_class()
        except ImportError as exc:
            raise CLIError(f"--tensorboard: {exc}") from None
        callbacks.append(TensorBoard(args.tensorboard, histogram_freq=1))
    n_params = model.num_parameters()
    if not args.quiet:
        print(f"gradkit train: {data['name']} ({len(Xtr)}/{len(Xdv)}/{len(Xte)} train/dev/test), model {preset} "
              f"({n_params:,} parameters), {tr['optimizer']} lr {lr:g}, {epochs} epochs, batch {tr['batch_size']}, "
              f"seed {seed}")
    t0 = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a diverging run is reported once
        hist = fit(model, "cross_entropy", opt, (Xtr, ytr), (Xdv, ydv), epochs=epochs,
                   batch_size=int(tr["batch_size"]), metrics=["accuracy"], callbacks=callbacks, schedule=sched,
                   l2=float(tr["l2"]), augment=_augmenter(preset, tr["augment"]),
                   verbose=0 if args.quiet else "auto", checkpoint=ckpt,
                   resume=ckpt if args.resume and ckpt.exists() else None)
    secs = time.perf_counter() - t0
    bad = getattr(hist, "nonfinite", None)
    if bad is not None or getattr(hist, "interrupted", False):
        where = (f"the loss became {bad['loss']} at epoch {bad['epoch'] + 1}, batch {bad['batch'] + 1}"
                 if bad is not None else "interrupted")
        kept = f"; the last good checkpoint is {ckpt} (continue with --resume --out {out})" if ckpt.exists() else ""
        hint = " (try a lower --lr)" if bad is not None else ""
        print(f"gradkit train: stopped: {where}{hint}{kept}; no model.safetensors written", file=sys.stderr)
        return 1 if bad is not None else 130
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
    if args.output and not Path(args.output).resolve().parent.is_dir():
        raise CLIError(f"--output {args.output}: the folder {Path(args.output).parent} does not exist; create it first")
    if args.output and Path(args.output).is_dir():
        raise CLIError(f"--output {args.output} is a folder; give a file name (e.g. predictions.csv)")
    X = _read_inputs(src)
    shape = tuple(meta.get("input_shape", X.shape[1:]))
    if X.ndim == 2 and len(shape) > 1 and X.shape[1] == int(np.prod(shape)):
        X = X.reshape(len(X), *shape)
    if tuple(X.shape[1:]) != shape:
        raise CLIError(f"the model expects inputs of shape (N, {', '.join(map(str, shape))}), got {X.shape}")
    bad = ~np.isfinite(X.reshape(len(X), -1)).all(axis=1)
    if bad.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(bad)[:10]) + (" ..." if bad.sum() > 10 else "")
        raise CLIError(f"--input {src}: {int(bad.sum())} of {len(X)} rows hold NaN or inf (rows {rows}); remove or "
                       "fill them in before predicting")
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


def _read_inputs(src: Path):
    """The inputs of ``gradkit predict`` from a .npy or .csv/.txt file, as a float array."""
    import numpy as np

    if not src.is_file():
        raise CLIError(f"--input {src} is not a regular file")
    if src.suffix == ".npy":
        try:
            X = np.load(src, allow_pickle=False)
        except ValueError as exc:
            if "pickle" in str(exc).lower():
                raise CLIError(f"--input {src} holds pickled Python objects, which gradkit never loads; save a "
                               "numeric array (np.save(path, X.astype('float32')))") from None
            raise CLIError(f"--input {src} is not a valid .npy file ({exc})") from None
        except (OSError, EOFError) as exc:
            raise CLIError(f"--input {src} is not a valid .npy file ({exc})") from None
        if X.dtype.kind not in "fiub":
            raise CLIError(f"--input {src} holds {X.dtype} values, expected numbers")
    elif src.suffix in (".csv", ".txt"):
        try:
            X = np.loadtxt(src, delimiter="," if src.suffix == ".csv" else None, ndmin=2)
        except ValueError as exc:
            raise CLIError(f"--input {src}: {str(exc).splitlines()[0]}; expected numbers separated by commas") from None
    else:
        raise CLIError(f"--input must be a .npy or .csv file, got {src.name}")
    if X.ndim < 2 or len(X) == 0:
        raise CLIError(f"--input {src} holds an array of shape {X.shape}, expected one example per row")
    return X.astype(np.float64, copy=False) if X.dtype.kind != "f" else X


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


def _with_standardization(model, prep):
    """``model`` preceded by the input standardization stored with it (mean/std), as one module."""
    import numpy as np

    from . import nn
    from .tensor import Tensor

    class Standardized(nn.Module):
        def __init__(self):
            super().__init__()
            dt = next(iter(model.parameters())).dtype
            self.register_buffer("mean", Tensor(np.asarray(prep.mean, dtype=dt)))
            self.register_buffer("inv_std", Tensor((1.0 / np.asarray(prep.std)).astype(dt)))
            self.model = model

        def forward(self, x):
            return self.model((x - self.mean) * self.inv_std)

    return Standardized()


def cmd_export(args) -> int:
    from .onnx import export

    out = Path(args.out)
    if out.exists():
        raise CLIError(f"--out {out} already exists; choose another name or remove it")
    if not out.parent.is_dir():
        raise CLIError(f"the folder of --out ({out.parent}) does not exist")
    if args.opset < 17:
        raise CLIError(f"--opset must be 17 or more, got {args.opset}")
    model, meta, prep = load_for_inference(args.model)
    shape = _input_shape(args.input_shape) if args.input_shape else meta.get("input_shape")
    if shape is None:
        raise CLIError("the model file has no input shape in its metadata; pass one example's shape with "
                       "--input-shape (e.g. --input-shape 1,8,8)")
    note = "the model alone (inputs must be preprocessed as for training)"
    if prep is not None and hasattr(prep, "mean") and hasattr(prep, "std"):
        model, note = _with_standardization(model, prep), "the input standardization and the model"
    import numpy as np

    from .tensor import Tensor

    example = Tensor(np.zeros((2,) + tuple(int(v) for v in shape), dtype=np.float32))
    export(model, example, out, opset_version=args.opset, input_names=["input"], output_names=["logits"],
           dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    print(f"wrote {out}: {note}, input (batch, {', '.join(str(int(v)) for v in shape)}), opset {args.opset}")
    return 0


_EXAMPLES = {
    "train": ("gradkit train", "gradkit train --model mlp --data iris --epochs 30",
              "gradkit train --recipe recipe.toml --out runs/exp1 --tensorboard logs/exp1"),
    "evaluate": ("gradkit evaluate runs/<run>/model.safetensors",
                 "gradkit evaluate runs/<run>/model.safetensors --split all --json"),
    "predict": ("gradkit predict runs/<run>/model.safetensors --input images.npy",
                "gradkit predict runs/<run>/model.safetensors --input rows.csv --output classes.csv"),
    "summary": ("gradkit summary runs/<run>/model.safetensors",
                "gradkit summary runs/<run>/model.safetensors --graph model.svg"),
    "export": ("gradkit export runs/<run>/model.safetensors --format onnx --out model.onnx",
               "gradkit export model.safetensors --format onnx --out model.onnx --opset 18"),
}


def _sub(sub, name, help):
    return sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".",
                          epilog=examples_epilog(*_EXAMPLES[name]), formatter_class=argparse.RawDescriptionHelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = ArgumentParser(prog="gradkit", description="Train and inspect neural networks with gradkit.",
                       epilog="Add --debug (or set GRADKIT_DEBUG=1) to see a Python traceback on an error.\n\n"
                              + examples_epilog("gradkit train", "gradkit evaluate runs/<run>/model.safetensors",
                                                "gradkit train --help"),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"gradkit {__version__}",
                   help="print gradkit's version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    t = _sub(sub, "train", "train a model (default: a small CNN on digits) and write a run folder")
    t.add_argument("--data", help="dataset name (default digits)")
    t.add_argument("--model", help=f"model preset: {', '.join(PRESETS)} (default auto)")
    t.add_argument("--init",
                   help="weight initialisation: torch (default, PyTorch's), he, xavier, lecun or zeros")
    t.add_argument("--recipe", help="a TOML recipe with [data], [model] and [train] sections")
    t.add_argument("--epochs", type=int, help="training epochs (default: the preset's)")
    t.add_argument("--batch-size", dest="batch_size", type=int, help="mini-batch size (default: the preset's)")
    t.add_argument("--optimizer", help=f"one of {', '.join(OPTIMIZERS)}")
    t.add_argument("--lr", type=float, help="learning rate (default: the optimizer's in the preset)")
    t.add_argument("--seed", type=int, help="seed of the split, the weights and the batches (default 0)")
    t.add_argument("--no-augment", action="store_true", help="train without data augmentation")
    t.add_argument("--out", help="output folder (default runs/<timestamp>)")
    t.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    t.add_argument("--tensorboard", metavar="DIR",
                   help="also log scalars and histograms for TensorBoard to DIR (needs gradkit[tensorboard])")
    t.add_argument("--quiet", action="store_true", help="no progress bar or tables")
    t.set_defaults(func=cmd_train)
    e = _sub(sub, "evaluate", "evaluate a saved model on its dataset's splits")
    e.add_argument("model", help="a model file written by gradkit train")
    e.add_argument("--data", help="dataset name (default: the one in the model's metadata)")
    e.add_argument("--split", choices=("train", "dev", "test", "all"), default="test",
                   help="which split to evaluate (default test)")
    e.add_argument("--json", action="store_true", help="also print the numbers as JSON")
    e.set_defaults(func=cmd_evaluate)
    pr = _sub(sub, "predict", "predict classes for inputs in a .npy or .csv file")
    pr.add_argument("model", help="a model file written by gradkit train")
    pr.add_argument("--input", required=True, help="a .npy array or a .csv file, one example per row")
    pr.add_argument("--output", help="write the predicted classes to this .csv or .npy file (default: print them)")
    pr.set_defaults(func=cmd_predict)
    s = _sub(sub, "summary", "print a saved model's layers, shapes and parameter counts")
    s.add_argument("model", help="a model file written by gradkit train")
    s.add_argument("--graph", metavar="FILE", help="also draw the model graph (.svg, .png or .pdf) with gradkit.viz")
    s.add_argument("--input-shape", dest="input_shape", metavar="SHAPE",
                   help="one example's shape, e.g. 1,8,8 (default: the input_shape in the model's metadata)")
    s.set_defaults(func=cmd_summary)
    x = _sub(sub, "export", "write a saved model in another format (ONNX), with its input standardization")
    x.add_argument("model", help="a model file written by gradkit train")
    x.add_argument("--format", choices=("onnx",), default="onnx", help="the output format (default onnx)")
    x.add_argument("--out", required=True, help="the file to write (must not exist)")
    x.add_argument("--opset", type=int, default=17, help="the ONNX opset version (default 17)")
    x.add_argument("--input-shape", dest="input_shape", metavar="SHAPE",
                   help="one example's shape, e.g. 1,8,8 (default: the input_shape in the model's metadata)")
    x.set_defaults(func=cmd_export)
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
    """Run one ``gradkit`` command; returns its exit status.

    A user's mistake (a missing or damaged file, an out-of-range number, an unknown name) is
    one line on stderr and status 2; an internal error is one line and status 1; Ctrl-C is
    status 130. ``--debug`` (anywhere on the line) or ``GRADKIT_DEBUG=1`` shows the traceback.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("GRADKIT_DEBUG", "") not in ("", "0")
    argv = [a for a in argv if a != "--debug"]
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"gradkit {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every error becomes one line unless --debug
        if debug:
            raise
        code, msg = user_error_message(exc)
        print(f"gradkit {args.command}: {msg}", file=sys.stderr)
        return code
