"""The ``gradkit`` command line.

    gradkit train     [--data digits] [--model auto] [--recipe FILE.toml] [--epochs N] [--batch-size B]
                      [--optimizer adam] [--lr LR] [--seed S] [--out DIR] [--resume] [--quiet]
    gradkit evaluate  MODEL.safetensors [--data NAME] [--split test]
    gradkit predict   MODEL.safetensors --input FILE(.npy|.csv) [--output FILE.csv]
    gradkit summary   MODEL.safetensors

``gradkit train`` with no options trains the default model on scikit-learn's digits (a 60/20/20
stratified split, standardized with training statistics only; a small CNN with augmentation)
and writes to ``--out`` (default ``runs/<timestamp>``): ``metrics.json``, ``history.csv``,
``model.safetensors`` (weights, architecture and preprocessing statistics),
``learning_curves.png`` and ``confusion_matrix.png``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .optim import OPTIMIZERS

PRESETS = ("auto", "cnn", "mlp", "logreg", "cnn1d")
_IMAGE_DATASETS = {"digits": (1, 8, 8)}


class CLIError(Exception):
    """A user error: printed without a traceback, exit code 2."""


# ---------------------------------------------------------------------------- recipe and data
def read_toml_recipe(path, sections, error=CLIError) -> dict:
    """A TOML recipe file as a dict whose top-level tables are among ``sections``.

    Raises ``error`` (a user error, printed without a traceback) naming the file when it is
    missing (or not a file), not valid TOML, or has an unknown section.
    """
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    p = Path(path)
    if not p.is_file():
        raise error(f"recipe file not found: {p}")
    try:
        recipe = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise error(f"recipe {p} is not valid TOML: {exc}") from None
    unknown = sorted(set(recipe) - set(sections))
    if unknown:
        raise error(f"recipe {p}: unknown sections {unknown}; valid: {', '.join(sections)}")
    return recipe


def _load_recipe(path) -> dict:
    return read_toml_recipe(path, ("data", "model", "train"))


def _settings(args) -> dict:
    """Merge defaults < recipe < command-line flags."""
    recipe = _load_recipe(args.recipe) if args.recipe else {}
    data = {"name": "digits", "sizes": [0.6, 0.2, 0.2], **recipe.get("data", {})}
    model = {"preset": "auto", **recipe.get("model", {})}
    train = {"epochs": None, "batch_size": 32, "optimizer": "adam", "lr": None, "seed": 0, "l2": 0.0,
             "augment": None, "patience": 15, **recipe.get("train", {})}
    for flag, (section, key) in {"data": (data, "name"), "model": (model, "preset"), "epochs": (train, "epochs"),
                                 "batch_size": (train, "batch_size"), "optimizer": (train, "optimizer"),
                                 "lr": (train, "lr"), "seed": (train, "seed")}.items():
        v = getattr(args, flag, None)
        if v is not None:
            section[key] = v
    if args.no_augment:
        train["augment"] = False
    if model["preset"] not in PRESETS and "spec" not in model:
        raise CLIError(f"unknown model {model['preset']!r}; valid presets: {', '.join(PRESETS)}")
    if str(train["optimizer"]).lower() not in OPTIMIZERS:
        raise CLIError(f"unknown optimizer {train['optimizer']!r}; valid: {', '.join(OPTIMIZERS)}")
    return {"data": data, "model": model, "train": train}


def _resolve_preset(preset: str, dataset: str) -> str:
    if preset != "auto":
        return preset
    if dataset in _IMAGE_DATASETS:
        return "cnn"
    if dataset == "mnist1d":
        return "cnn1d"
    return "mlp"


def _load_splits(data: dict, preset: str, seed: int):
    from .data import datasets, train_dev_test_split

    name = data["name"]
    kwargs = {k: v for k, v in data.items() if k not in ("name", "sizes")}
    if name not in datasets.available_datasets():
        raise CLIError(f"unknown dataset {name!r}; valid: {', '.join(datasets.available_datasets())}")
    if preset == "cnn":
        if name not in _IMAGE_DATASETS:
            raise CLIError(f"model 'cnn' needs an image dataset ({', '.join(_IMAGE_DATASETS)}), got {name!r}")
        kwargs["as_images"] = True
    X, y = datasets.load(name, **kwargs)
    if preset == "cnn1d":
        X = X.reshape(len(X), 1, -1)
    sp = train_dev_test_split(X, y, sizes=tuple(data["sizes"]), stratify=True, seed=seed)
    return (sp[0], sp[1]), (sp[2], sp[3]), (sp[4], sp[5])


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
    if preset == "logreg":
        return models.LogisticRegression(n_in, num_classes)
    hidden = kw.pop("hidden", [128, 64])
    return models.MLP([n_in, *hidden, num_classes], activation=kw.pop("activation", "relu"),
                      dropout=kw.pop("dropout", 0.1), batchnorm=kw.pop("batchnorm", False))


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


def _preprocessing_meta(prep) -> dict:
    return {"class": type(prep).__name__, "axis": 0, "state": {k: v.tolist() for k, v in prep.state_dict().items()}}


def _preprocessing_from_meta(meta):
    import numpy as np

    from .data import preprocessing

    if not meta:
        return None
    prep = getattr(preprocessing, meta["class"])(axis=meta.get("axis", 0))
    prep.load_state_dict({k: np.asarray(v) for k, v in meta["state"].items()})
    return prep


# ---------------------------------------------------------------------------- commands
def cmd_train(args) -> int:
    import numpy as np

    import gradkit as gk
    from .data import Standardize
    from .train import callbacks as cb
    from .train import metrics as M

    cfg = _settings(args)
    data, model_cfg, tr = cfg["data"], cfg["model"], cfg["train"]
    seed = int(tr["seed"])
    preset = _resolve_preset(model_cfg["preset"], data["name"])
    gk.manual_seed(seed)
    (Xtr, ytr), (Xdv, ydv), (Xte, yte) = _load_splits(data, preset, seed)
    prep = Standardize(axis=0).fit(Xtr)  # statistics of the training split only
    Xtr, Xdv, Xte = (prep.transform(a).astype(np.float32) for a in (Xtr, Xdv, Xte))
    num_classes = int(max(ytr.max(), ydv.max(), yte.max()) + 1)
    model = _build_model(model_cfg, preset, Xtr.shape[1:], num_classes)
    epochs = tr["epochs"] if tr["epochs"] is not None else (30 if preset == "cnn" else 60)
    lr = tr["lr"] if tr["lr"] is not None else (3e-3 if preset in ("cnn", "cnn1d") else 1e-3)
    out = Path(args.out) if args.out else Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "checkpoint.safetensors"
    opt = gk.train.loop.resolve_optimizer(str(tr["optimizer"]).lower(), model, lr)
    sched = gk.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    patience = int(tr["patience"])
    # dev accuracy, not dev loss: on a few hundred dev samples the loss is noisy and its minimum comes early
    callbacks = [cb.EarlyStopping(monitor="val_accuracy", patience=patience, restore_best_weights=True),
                 cb.CSVLogger(out / "history.csv")]
    n_params = model.num_parameters()
    if not args.quiet:
        print(f"gradkit train: {data['name']} ({len(Xtr)}/{len(Xdv)}/{len(Xte)} train/dev/test), model {preset} "
              f"({n_params:,} parameters), {tr['optimizer']} lr {lr:g}, {epochs} epochs, batch {tr['batch_size']}, "
              f"seed {seed}")
    t0 = time.perf_counter()
    hist = gk.train.fit(model, "cross_entropy", opt, (Xtr, ytr), (Xdv, ydv), epochs=epochs,
                        batch_size=int(tr["batch_size"]), metrics=["accuracy"], callbacks=callbacks, schedule=sched,
                        l2=float(tr["l2"]), augment=_augmenter(preset, tr["augment"]),
                        verbose=0 if args.quiet else "auto", checkpoint=ckpt,
                        resume=ckpt if args.resume and ckpt.exists() else None)
    secs = time.perf_counter() - t0
    metrics = {}
    for name, (X, y) in (("train", (Xtr, ytr)), ("dev", (Xdv, ydv)), ("test", (Xte, yte))):
        m = gk.train.evaluate(model, "cross_entropy", (X, y), metrics=["accuracy", "f1_macro"])
        metrics[name] = {k: round(float(v), 6) for k, v in m.items()}
    metrics["run"] = {"dataset": data["name"], "model": preset, "epochs_run": len(hist), "seconds": round(secs, 2),
                      "seed": seed, "parameters": n_params}
    try:
        from .diagnose import bias_variance

        report = bias_variance(1 - metrics["train"]["accuracy"], 1 - metrics["dev"]["accuracy"], base_error=0.0)
        metrics["diagnosis"] = report.to_dict()
    except ImportError:
        report = None
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    hist.to_csv(out / "history.csv")
    gk.save(model, out / "model.safetensors", metadata={
        "dataset": data["name"], "preset": preset, "sizes": list(data["sizes"]), "seed": seed,
        "input_shape": list(Xtr.shape[1:]), "num_classes": num_classes, "preprocessing": _preprocessing_meta(prep)})
    gk.train.plot_history(hist, out / "learning_curves.png")
    cm = M.confusion_matrix(gk.train.predict(model, Xte), yte, num_classes)
    gk.train.plot_confusion_matrix(cm, out / "confusion_matrix.png", title=f"{data['name']} test set")
    if ckpt.exists():
        ckpt.unlink()  # the run finished: the resumable checkpoint is no longer needed
    if not args.quiet:
        _table(f"{data['name']} / {preset}: {len(hist)} epochs in {secs:.1f}s", {k: metrics[k] for k in ("train", "dev", "test")},
               ("loss", "accuracy", "f1_macro"))
        if report is not None:
            print(report)
        print(f"wrote {out}/: metrics.json history.csv model.safetensors learning_curves.png confusion_matrix.png")
    return 0


def _load_for_inference(path):
    import gradkit as gk

    p = Path(path)
    if not p.exists():
        raise CLIError(f"model file not found: {p}")
    model = gk.load_model(p)
    meta = gk.io.load_metadata(p)
    return model, meta, _preprocessing_from_meta(meta.get("preprocessing"))


def cmd_evaluate(args) -> int:
    import numpy as np

    import gradkit as gk

    model, meta, prep = _load_for_inference(args.model)
    data = {"name": args.data or meta.get("dataset", "digits"), "sizes": meta.get("sizes", [0.6, 0.2, 0.2])}
    preset = meta.get("preset", "mlp")
    splits = dict(zip(("train", "dev", "test"), _load_splits(data, preset, int(meta.get("seed", 0)))))
    names = ("train", "dev", "test") if args.split == "all" else (args.split,)
    rows = {}
    for n in names:
        X, y = splits[n]
        if prep is not None:
            X = prep.transform(X).astype(np.float32)
        rows[n] = gk.train.evaluate(model, "cross_entropy", (X, y), metrics=["accuracy", "f1_macro"])
    _table(f"{args.model} on {data['name']}", rows, ("loss", "accuracy", "f1_macro"))
    if args.json:
        print(json.dumps(rows))
    return 0


def cmd_predict(args) -> int:
    import numpy as np

    import gradkit as gk

    model, meta, prep = _load_for_inference(args.model)
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
    logits = gk.train.predict(model, X.astype(np.float32))
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


def cmd_summary(args) -> int:
    model, meta, _ = _load_for_inference(args.model)
    shape = meta.get("input_shape")
    if shape is None:
        raise CLIError("the model file has no input shape in its metadata; build the model in Python and call summary()")
    model.summary(tuple(shape))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gradkit", description="Train and inspect neural networks with gradkit.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    t = sub.add_parser("train", help="train a model (default: a small CNN on digits) and write a run folder")
    t.add_argument("--data", help="dataset name (default digits)")
    t.add_argument("--model", help=f"model preset: {', '.join(PRESETS)} (default auto)")
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
    s.set_defaults(func=cmd_summary)
    # subcommands that live beside their subsystem (diagnose, gradcheck, tune)
    import importlib
    import importlib.util

    for mod in ("gradkit.diagnose.cli", "gradkit.tune.cli"):
        if importlib.util.find_spec(mod) is not None:
            importlib.import_module(mod).add_commands(sub)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CLIError as exc:
        print(f"gradkit {args.command}: {exc}", file=sys.stderr)
        return 2
