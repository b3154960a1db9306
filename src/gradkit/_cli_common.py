"""What every ``gradkit`` subcommand shares: the user-error type, TOML recipes, the dataset splits
and loading a saved model with its preprocessing.

This module sits below all the command-line modules (:mod:`gradkit.cli`,
:mod:`gradkit.diagnose.cli`, :mod:`gradkit.tune.cli`), so each of them imports it instead of
reaching into another command's module; it depends only on :mod:`gradkit.data` and
:mod:`gradkit.io`.
"""

from __future__ import annotations

import argparse
import difflib
import math
import numbers
import sys
from pathlib import Path

__all__ = [
    "CLIError", "check_table", "user_error_message", "ArgumentParser", "IMAGE_DATASETS", "load_for_inference", "load_splits", "preprocessing_from_meta",
    "preprocessing_meta", "read_toml_recipe",
]

#: Datasets that ``gradkit train --model cnn`` reads as images, with their (channels, height, width).
IMAGE_DATASETS = {"digits": (1, 8, 8)}


class CLIError(Exception):
    """A user error: printed without a traceback, exit code 2."""


def read_toml_recipe(path, sections, error=CLIError) -> dict:
    """A TOML recipe file as a dict whose top-level tables are among ``sections``.

    Args:
        path: the recipe file.
        sections: the valid top-level table names.
        error: the exception class raised for a user error (printed without a traceback).

    Returns:
        The parsed recipe.

    Raises:
        error: naming the file when it is missing (or not a file), not valid TOML, or has an
            unknown section (listing the valid ones).
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


def load_splits(data: dict, preset: str, seed: int):
    """The stratified train/dev/test split of a named dataset, shaped for a model preset.

    Args:
        data: ``{"name": dataset, "sizes": [train, dev, test], **loader options}``.
        preset: the model preset (``'cnn'`` loads images, ``'cnn1d'`` adds a channel axis).
        seed: the split's seed.

    Returns:
        ``((X_train, y_train), (X_dev, y_dev), (X_test, y_test))``.

    Raises:
        CLIError: for an unknown dataset (listing the valid ones) or ``'cnn'`` on a non-image dataset.
    """
    from .data import datasets, train_dev_test_split

    name = data["name"]
    kwargs = {k: v for k, v in data.items() if k not in ("name", "sizes")}
    if name not in datasets.available_datasets():
        raise CLIError(f"unknown dataset {name!r}; valid: {', '.join(datasets.available_datasets())}")
    if preset == "cnn":
        if name not in IMAGE_DATASETS:
            raise CLIError(f"model 'cnn' needs an image dataset ({', '.join(IMAGE_DATASETS)}), got {name!r}")
        kwargs["as_images"] = True
    X, y = datasets.load(name, **kwargs)
    if preset == "cnn1d":
        X = X.reshape(len(X), 1, -1)
    sp = train_dev_test_split(X, y, sizes=tuple(data["sizes"]), stratify=True, seed=seed)
    return (sp[0], sp[1]), (sp[2], sp[3]), (sp[4], sp[5])


def preprocessing_meta(prep) -> dict:
    """A fitted preprocessing step as JSON metadata (class name, axis and statistics)."""
    return {"class": type(prep).__name__, "axis": 0, "state": {k: v.tolist() for k, v in prep.state_dict().items()}}


def preprocessing_from_meta(meta):
    """The preprocessing step that :func:`preprocessing_meta` recorded, or ``None`` for no metadata."""
    import numpy as np

    from .data import preprocessing

    if not meta:
        return None
    prep = getattr(preprocessing, meta["class"])(axis=meta.get("axis", 0))
    prep.load_state_dict({k: np.asarray(v) for k, v in meta["state"].items()})
    return prep


def load_for_inference(path):
    """A model file written by ``gradkit train``: ``(model, metadata, preprocessing or None)``.

    Raises:
        CLIError: when the file does not exist.
    """
    from .io import load_metadata, load_model

    p = Path(path)
    if not p.exists():
        raise CLIError(f"model file not found: {p}")
    model = load_model(p)
    meta = load_metadata(p)
    return model, meta, preprocessing_from_meta(meta.get("preprocessing"))


# ---------------------------------------------------------------------------- recipe checking
def _kind_ok(value, kind) -> bool:
    if kind == "int":
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list)
    if kind == "table":
        return isinstance(value, dict)
    return True  # "any"


# names users write for a key (Keras', PyTorch's, the course's) -> the key
_ALIASES = {"learning_rate": "lr", "batchsize": "batch_size", "num_epochs": "epochs", "n_epochs": "epochs",
            "weight_decay": "l2", "optim": "optimizer", "dataset": "name", "hidden_sizes": "hidden",
            "num_trials": "trials", "n_trials": "trials"}

_KIND_WORDS = {"int": "an integer", "number": "a finite number", "str": "a string", "bool": "true or false",
               "list": "a list", "table": "a table", "any": "a value"}


def check_table(source: str, section: str, table, schema: dict, error=CLIError) -> None:
    """Refuse unknown keys (with the closest valid name) and values of the wrong type in a recipe table.

    Args:
        source: the recipe file, for the message.
        section: the table's name (``"train"``).
        table: the parsed table.
        schema: ``key -> kind`` (``"int"``, ``"number"``, ``"str"``, ``"bool"``, ``"list"``,
            ``"table"``, ``"any"``, or a tuple of kinds, any of which is accepted).
        error: the exception class to raise.

    Raises:
        error: ``recipe r.toml [train]: unknown key 'learning_rat' (did you mean 'learning_rate'?)``.

    Example:
        >>> check_table("r.toml", "train", {"epochs": 3}, {"epochs": "int", "lr": "number"})
        >>> check_table("r.toml", "train", {"epoch": 3}, {"epochs": "int", "lr": "number"})
        Traceback (most recent call last):
        ...
        gradkit._cli_common.CLIError: recipe r.toml [train]: unknown key 'epoch' (did you mean 'epochs'?); valid: epochs, lr
    """
    if not isinstance(table, dict):
        raise error(f"recipe {source}: [{section}] must be a table, got {type(table).__name__}")
    for key, value in table.items():
        if key not in schema:
            names = {**{a: c for a, c in _ALIASES.items() if c in schema}, **{k: k for k in schema}}
            close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.6)
            hint = f" (did you mean {names[close[0]]!r}?)" if close else ""
            raise error(f"recipe {source} [{section}]: unknown key {key!r}{hint}; valid: {', '.join(schema)}")
        kinds = schema[key] if isinstance(schema[key], tuple) else (schema[key],)
        if not any(_kind_ok(value, k) for k in kinds):
            want = " or ".join(_KIND_WORDS[k] for k in kinds)
            raise error(f"recipe {source} [{section}]: {key} must be {want}, got {type(value).__name__} {value!r}")


# ---------------------------------------------------------------------------- errors on the command line
def examples_epilog(*lines) -> str:
    """The ``--help`` ending every subcommand shares: a few command lines to copy."""
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


class ArgumentParser(argparse.ArgumentParser):
    """argparse, with a usage error printed as one line (and exit status 2)."""

    def error(self, message):
        print(f"{self.prog}: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def user_error_message(exc: BaseException):
    """``(exit_status, one-line message)`` for an exception a command raised.

    User errors (a :class:`CLIError`, a file that is missing, unreadable, damaged or of the
    wrong kind, a bad value) give status 2; anything else is an internal error, status 1,
    with a hint to rerun with ``--debug``.
    """
    from .io import CheckpointError

    if isinstance(exc, CLIError):
        return 2, str(exc)
    if isinstance(exc, CheckpointError):
        return 2, f"{exc}; give a model file written by gradkit (gk.save or gradkit train)"
    if isinstance(exc, FileNotFoundError):
        name = exc.filename or ""
        return 2, f"file not found: {name}" if name else str(exc)
    if isinstance(exc, IsADirectoryError):
        return 2, f"{exc.filename or exc}: is a folder, expected a file" if exc.filename else str(exc)
    if isinstance(exc, PermissionError):
        return 2, f"permission denied: {exc.filename or exc}; check the file's permissions"
    if isinstance(exc, OSError):
        return 2, f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
    if isinstance(exc, (ValueError, TypeError)):
        return 2, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return 1, f"internal error ({type(exc).__name__}: {exc}); rerun with --debug (or GRADKIT_DEBUG=1) for the traceback"
