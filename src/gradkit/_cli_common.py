"""What every ``gradkit`` subcommand shares: the user-error type, TOML recipes, the dataset splits
and loading a saved model with its preprocessing.

This module sits below all the command-line modules (:mod:`gradkit.cli`,
:mod:`gradkit.diagnose.cli`, :mod:`gradkit.tune.cli`), so each of them imports it instead of
reaching into another command's module; it depends only on :mod:`gradkit.data` and
:mod:`gradkit.io`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "CLIError", "IMAGE_DATASETS", "load_for_inference", "load_splits", "preprocessing_from_meta",
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
