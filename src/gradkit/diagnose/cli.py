"""``gradkit diagnose`` and ``gradkit gradcheck``: the practitioner's checks on a saved model.

    gradkit diagnose  MODEL.safetensors [--data NAME] [--base-error E] [--batch-size B] [--json]
    gradkit gradcheck MODEL.safetensors [--data NAME] [--samples N] [--max-elements K]

Both read a model written by ``gradkit train`` (its metadata names the dataset, the split
sizes, the seed, the preset and the preprocessing statistics), rebuild the same splits and
preprocessing, then:

* ``diagnose`` prints the bias/variance verdict (training vs dev error against the base
  error; ``--base-error`` as a fraction, or a percentage when above 1) and a training-health
  report (one forward/backward pass on a training batch);
* ``gradcheck`` runs :func:`~gradkit.diagnose.gradcheck_model` on a few training examples
  (float64 copy, dropout off) and exits with 1 when a tensor fails.
"""

from __future__ import annotations

import json

from .._cli_common import CLIError, load_for_inference, load_splits


def _load(args):
    import numpy as np

    model, meta, prep = load_for_inference(args.model)
    name = args.data or meta.get("dataset")
    if not name:
        raise CLIError(f"{args.model} has no dataset in its metadata; pass --data NAME")
    data = {"name": name, "sizes": meta.get("sizes", [0.6, 0.2, 0.2])}
    preset = meta.get("preset", "mlp")
    (Xtr, ytr), (Xdv, ydv), _ = load_splits(data, preset, int(meta.get("seed", 0)))
    if prep is not None:
        Xtr, Xdv = prep.transform(Xtr), prep.transform(Xdv)
    shape = meta.get("input_shape")
    if shape is not None and tuple(Xtr.shape[1:]) != tuple(shape):
        raise CLIError(f"the model expects inputs of shape (N, {', '.join(map(str, shape))}) but dataset "
                       f"{name!r} gives {Xtr.shape}")
    return model, meta, (Xtr.astype(np.float32), ytr), (Xdv.astype(np.float32), ydv)


def cmd_diagnose(args) -> int:
    from ..train import evaluate
    from .bias_variance import bias_variance
    from .health import health_report

    model, meta, (Xtr, ytr), (Xdv, ydv) = _load(args)
    base = float(args.base_error)
    if base < 0 or base > 100:
        raise CLIError(f"--base-error must be a fraction in [0, 1] or a percentage in [0, 100], got {base:g}")
    scale_note = None
    if base > 1:
        scale_note = f"--base-error {base:g} read as a percentage ({base / 100:g} as a fraction)"
        base = base / 100
    ev = {n: evaluate(model, "cross_entropy", d, metrics=["accuracy"])
          for n, d in (("train", (Xtr, ytr)), ("dev", (Xdv, ydv)))}
    report = bias_variance(1 - ev["train"]["accuracy"], 1 - ev["dev"]["accuracy"], base_error=base, scale="fraction")
    if scale_note:
        report.notes.insert(0, scale_note)
    n = min(int(args.batch_size), len(Xtr))
    health = health_report(model, "cross_entropy", Xtr[:n], ytr[:n])
    if args.json:
        print(json.dumps({"evaluation": ev, "bias_variance": report.to_dict(), "health": health.to_dict()}))
        return 0
    print(f"gradkit diagnose: {args.model} on {args.data or meta.get('dataset')} "
          f"(train {len(Xtr)}, dev {len(Xdv)} examples)")
    print(f"  train loss {ev['train']['loss']:.4f} accuracy {ev['train']['accuracy']:.4f}; "
          f"dev loss {ev['dev']['loss']:.4f} accuracy {ev['dev']['accuracy']:.4f}")
    print(report)
    print(f"health on {n} training examples:")
    print(health)
    return 0


def cmd_gradcheck(args) -> int:
    from .model_check import gradcheck_model

    model, meta, (Xtr, ytr), _ = _load(args)
    n = int(args.samples)
    if n < 1:
        raise CLIError(f"--samples must be >= 1, got {n}")
    if args.max_elements < 1:
        raise CLIError(f"--max-elements must be >= 1, got {args.max_elements}")
    rep = gradcheck_model(model, "cross_entropy", Xtr[:n], ytr[:n], max_elements_per_tensor=int(args.max_elements),
                          eps=args.eps, tol=args.tol, seed=int(meta.get("seed", 0)))
    print(f"gradkit gradcheck: {args.model} on {n} training examples")
    print(rep)
    return 0 if rep.passed else 1


def add_commands(subparsers) -> None:
    """Add ``diagnose`` and ``gradcheck`` to the ``gradkit`` command's subparsers."""
    import argparse

    from .._cli_common import examples_epilog

    raw = argparse.RawDescriptionHelpFormatter
    d = subparsers.add_parser(
        "diagnose", help="bias/variance verdict and training-health report of a saved model", formatter_class=raw,
        epilog=examples_epilog("gradkit diagnose runs/<run>/model.safetensors",
                               "gradkit diagnose runs/<run>/model.safetensors --base-error 0.01 --json"))
    d.add_argument("model", metavar="CHECKPOINT", help="a model file written by gradkit train")
    d.add_argument("--data", help="dataset name (default: the one in the model's metadata)")
    d.add_argument("--base-error", dest="base_error", type=float, default=0.0,
                   help="base (Bayes/human) error, a fraction or a percentage above 1 (default 0)")
    d.add_argument("--batch-size", dest="batch_size", type=int, default=256,
                   help="training examples used for the health report (default 256)")
    d.add_argument("--json", action="store_true", help="print the results as JSON")
    d.set_defaults(func=cmd_diagnose)
    g = subparsers.add_parser(
        "gradcheck", help="numerical gradient check of a saved model (float64, dropout off)", formatter_class=raw,
        epilog=examples_epilog("gradkit gradcheck runs/<run>/model.safetensors",
                               "gradkit gradcheck runs/<run>/model.safetensors --samples 8 --max-elements 64"))
    g.add_argument("model", metavar="CHECKPOINT", help="a model file written by gradkit train")
    g.add_argument("--data", help="dataset name (default: the one in the model's metadata)")
    g.add_argument("--samples", type=int, default=4, help="training examples in the checked batch (default 4)")
    g.add_argument("--max-elements", dest="max_elements", type=int, default=16,
                   help="elements checked per parameter tensor (default 16)")
    g.add_argument("--eps", type=float, default=1e-7, help="finite-difference step (default 1e-7)")
    g.add_argument("--tol", type=float, default=1e-7, help="pass below this relative error (default 1e-7)")
    g.set_defaults(func=cmd_gradcheck)
