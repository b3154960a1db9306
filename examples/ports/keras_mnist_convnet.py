"""keras-io's "Simple MNIST convnet", ported to gradkit.

Lines changed from the original
-------------------------------
- ``gk.manual_seed(0)``: added (the original sets no seed) so that the accuracy its test checks is
  the same on every run.
- ``model = nn.Sequential(``: Keras' ``keras.Sequential([keras.Input(shape=input_shape), ...])`` of
  ``layers.*`` becomes an ``nn.Sequential`` of gradkit (PyTorch-named) layers, one per Keras layer in
  the same order: ``Conv2D(32, (3, 3), activation="relu")`` is ``nn.Conv2d(1, 32, 3, padding=1)`` +
  ``nn.ReLU()`` (PyTorch layers name their input channels and take the activation as its own layer),
  ``MaxPooling2D((2, 2))`` is ``nn.MaxPool2d(2)``, ``Flatten``/``Dropout(0.5)`` keep their names and
  ``Dense(num_classes, activation="softmax")`` is ``nn.Linear(64 * 2 * 2, num_classes)``.
- ``nn.Linear(64 * 2 * 2, num_classes),  # softmax is applied by the loss``: gradkit's
  ``"categorical_crossentropy"`` takes logits, as PyTorch's losses do, and applies the softmax itself
  (fit warns when a model ends in ``Softmax`` with it); use ``gk.softmax(model(x), dim=1)`` for
  probabilities.
- ``model.summary(input_shape=input_shape)``: Keras reads the shape from ``keras.Input``; a gradkit
  module has no input declaration, so ``summary`` is told the sample shape.
- ``history = gk.train.fit(model, "categorical_crossentropy", "adam", (x_train, y_train),``: Keras'
  ``model.compile(loss, optimizer, metrics)`` + ``model.fit(x_train, y_train, ...)``: in gradkit the
  model is an ``nn.Module`` and training is ``gk.train.fit``, which takes compile's arguments (loss,
  optimizer, ``metrics=["accuracy"]``) and fit's (``batch_size``, ``epochs``, ``validation_split``).
- ``score = gk.train.evaluate(model, "categorical_crossentropy", (x_test, y_test), metrics=["accuracy"])``
  and the two prints after it (``score["loss"]``, ``score["accuracy"]``): ``model.evaluate`` becomes
  ``gk.train.evaluate``, which returns a dict of named results instead of a list.

Original: ``examples/vision/mnist_convnet.py`` in the ``keras-team/keras-io`` repository.

Structure (kept): data prepared as the original does (scaled to [0, 1], a channel axis added, labels
one-hot with ``to_categorical``, shapes printed), a model Conv 32 -> MaxPool -> Conv 64 -> MaxPool ->
Flatten -> Dropout(0.5) -> Dense softmax, ``model.summary()``, ``batch_size = 128``, ``epochs = 15``,
Adam with the categorical cross-entropy and an accuracy metric, ``fit`` with ``validation_split=0.1``, then
``evaluate`` on the test set and the two prints of its loss and accuracy.

Imports and data: ``keras.datasets.mnist.load_data()`` is replaced by the 8x8 digits that ship with
gradkit, split at random (fixed seed) 1500/297, scaled by their maximum (16) as the original divides by
255; the channel axis goes first (NCHW, as PyTorch and gradkit lay images out, not Keras' NHWC), so
``input_shape = (1, 8, 8)``. For 8x8 inputs the convolutions keep the image size (``padding=1``, Keras'
``padding="same"``; without it the second pooling would have a 1x1 input), so the two pools take 8x8 to
2x2 and the dense layer sees 64*2*2 features. ``keras.utils.to_categorical`` is ``gk.data.one_hot``.
"""
import numpy as np

import gradkit as gk                                      # import keras
from gradkit import nn                                    # from keras import layers

gk.manual_seed(0)

"""
## Data
"""

# sizes
num_classes = 10
input_shape = (1, 8, 8)

# train and test sets (replaces keras.datasets.mnist.load_data())
digits = gk.data.datasets.digits()
order = np.random.RandomState(0).permutation(len(digits.y))
(x_train, y_train), (x_test, y_test) = ((digits.X[order[:1500]].reshape(-1, 8, 8), digits.y[order[:1500]]),
                                        (digits.X[order[1500:]].reshape(-1, 8, 8), digits.y[order[1500:]]))

# pixels to [0, 1]
x_train = x_train.astype("float32") / 16
x_test = x_test.astype("float32") / 16
# a channel axis: (N, 1, 8, 8)
x_train = np.expand_dims(x_train, 1)
x_test = np.expand_dims(x_test, 1)
print("x_train shape:", x_train.shape)
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")


# labels as one-hot rows
y_train = gk.data.one_hot(y_train, num_classes)
y_test = gk.data.one_hot(y_test, num_classes)

"""
## Model
"""

model = nn.Sequential(
    nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Dropout(0.5),
    nn.Linear(64 * 2 * 2, num_classes),  # softmax is applied by the loss
)

model.summary(input_shape=input_shape)

"""
## Training
"""

batch_size = 128
epochs = 15

history = gk.train.fit(model, "categorical_crossentropy", "adam", (x_train, y_train),
                       metrics=["accuracy"], batch_size=batch_size, epochs=epochs, validation_split=0.1)

"""
## Test
"""

score = gk.train.evaluate(model, "categorical_crossentropy", (x_test, y_test), metrics=["accuracy"])
print("Test loss:", score["loss"])
print("Test accuracy:", score["accuracy"])
