"""docs/concepts.md cannot rot: every ``gk.…`` name it cites resolves, every example script exists,
and every concept the course material lists has a row."""

from __future__ import annotations

import os
import re

import pytest

import gradkit as gk

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "docs", "concepts.md")
README = os.path.join(ROOT, "README.md")

NAME = re.compile(r"(?<![\w.])gk\.[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
SCRIPT = re.compile(r"(?<![\w/])examples/\w+\.py")


def cited_names(text: str) -> list[str]:
    return sorted(set(NAME.findall(text)))


def resolve(dotted: str):
    """``gk.a.b.c`` -> the object, by getattr from the gradkit package; AttributeError names the missing part."""
    obj = gk
    parts = dotted.split(".")[1:]
    for i, part in enumerate(parts):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AttributeError(f"{dotted}: gk.{'.'.join(parts[:i])} has no attribute {part!r}") from None
    return obj


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def test_extraction_finds_names_and_rejects_fakes():
    names = cited_names("use `gk.nn.Linear(2, 3)` and gk.optim.SGD, not mygk.x or a.gk.y")
    assert names == ["gk.nn.Linear", "gk.optim.SGD"]
    with pytest.raises(AttributeError, match="no attribute 'NoSuchLayer'"):
        resolve("gk.nn.NoSuchLayer")


def test_every_cited_name_resolves():
    names = cited_names(read(DOC))
    assert len(names) > 150, f"only {len(names)} gk names found in docs/concepts.md"
    missing = []
    for n in names:
        try:
            resolve(n)
        except AttributeError as e:
            missing.append(str(e))
    assert not missing, "docs/concepts.md cites names that do not exist:\n" + "\n".join(missing)


def test_readme_names_resolve():
    names = cited_names(read(README))
    bad = []
    for n in names:
        try:
            resolve(n)
        except AttributeError as e:
            bad.append(str(e))
    assert not bad, "README.md cites names that do not exist:\n" + "\n".join(bad)


@pytest.mark.parametrize("path", [DOC, README])
def test_cited_example_scripts_exist(path):
    scripts = sorted(set(SCRIPT.findall(read(path))))
    assert scripts, f"{path} cites no example script"
    absent = [s for s in scripts if not os.path.exists(os.path.join(ROOT, s))]
    assert not absent, f"{os.path.basename(path)} cites missing scripts: {absent}"


# Each concept of the course material, as the words its row starts with (case-insensitive).
CONCEPTS = [
    # activations
    "Step", "Sign", "Sigmoid", "Tanh", "ReLU", "Leaky ReLU", "PReLU", "ELU", "SELU", "Softplus", "GELU", "Softmax",
    # losses
    "Mean squared error", "Mean absolute error", "Huber", "Binary cross-entropy", "Categorical cross-entropy",
    "Negative log-likelihood", "Hinge loss", "Perceptron criterion",
    # initializers
    "Zeros", "Small random", "Xavier", "He / Kaiming", "LeCun", "Orthogonal",
    # optimizers and schedules
    "(Mini-batch) stochastic gradient descent", "Momentum", "Adagrad", "RMSprop", "Adam", "Newton", "L-BFGS",
    "Exponentially weighted averages", "Learning-rate decay", "Gradient clipping",
    # regularizers
    "L2 regularization", "L1 regularization", "Dropout", "Max-norm", "Data augmentation", "Early stopping",
    # normalization
    "Normalizing inputs with training statistics", "Batch normalization", "Batch norm at test time",
    "Layer normalization",
    # architectures
    "Perceptron", "Logistic regression", "Multilayer perceptron", "RBF", "Convolution", "Max and average pooling",
    "1×1 convolution", "Global average pooling", "Residual", "LeNet-5", "ResNet", "Recurrent neural network",
    "LSTM", "GRU",
    # practice
    "Train / dev / test splits", "Mini-batches", "Gradient checking", "Bias / variance", "The basic recipe",
    "Data mismatch, train-dev set", "Vanishing / exploding gradients", "Hyperparameters on log scales",
    "Random search, not grid", "Coarse to fine", "Babysitting one model", "Many models in parallel",
    "Orthogonalization", "Single-number evaluation metric", "Satisficing and optimizing metrics", "Error analysis",
    "Transfer learning", "Multi-task learning", "End-to-end learning",
]


def test_every_course_concept_has_a_row():
    rows = [line[2:].lower() for line in read(DOC).splitlines() if line.startswith("| ")]
    absent = [c for c in CONCEPTS if not any(r.startswith(c.lower()) for r in rows)]
    assert not absent, f"docs/concepts.md has no row for: {absent}"


def test_every_row_has_an_example():
    for line in read(DOC).splitlines():
        if line.startswith("| ") and not line.startswith("| Concept") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            assert len(cells) == 3 and all(cells), f"row without concept, API or example: {line}"
