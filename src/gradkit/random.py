"""One seeded random generator behind all of gradkit's randomness.

``gk.manual_seed(seed)`` reseeds it; initializers, dropout, data shuffling and
augmentation all draw from it (or from a :class:`Generator` passed explicitly),
so a run is reproducible. NumPy's global RNG is never touched.

Examples:
    >>> import gradkit as gk
    >>> _ = gk.manual_seed(0)
    >>> a = gk.rand(3)
    >>> _ = gk.manual_seed(0)
    >>> bool((gk.rand(3) == a).all())
    True
"""

from __future__ import annotations

import numpy as np


class Generator:
    """A seedable random generator with a state that survives a restart.

    Wraps :class:`numpy.random.Generator` (PCG64). Its ``state_dict()`` holds plain
    numbers only, so checkpoints can store it without pickle.

    Args:
        seed: an integer seed; ``None`` draws fresh entropy.
    """

    def __init__(self, seed: int | None = None):
        self.manual_seed(seed)

    def manual_seed(self, seed: int | None) -> "Generator":
        """Reseed in place and return self."""
        self.initial_seed = seed
        self.np = np.random.Generator(np.random.PCG64(seed))
        return self

    def state_dict(self) -> dict:
        """The generator's state as plain numbers (JSON-serializable)."""
        st = self.np.bit_generator.state
        return {
            "bit_generator": st["bit_generator"],
            "state": int(st["state"]["state"]),
            "inc": int(st["state"]["inc"]),
            "has_uint32": int(st["has_uint32"]),
            "uinteger": int(st["uinteger"]),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a state produced by :meth:`state_dict`."""
        if state.get("bit_generator") != "PCG64":
            raise ValueError(f"Generator.load_state_dict expects a PCG64 state, got {state.get('bit_generator')!r}")
        self.np.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int(state["state"]), "inc": int(state["inc"])},
            "has_uint32": int(state["has_uint32"]),
            "uinteger": int(state["uinteger"]),
        }

    def spawn(self) -> "Generator":
        """A new independent generator derived from this one (for workers, trials)."""
        child = Generator.__new__(Generator)
        child.initial_seed = None
        child.np = np.random.Generator(np.random.PCG64(self.np.integers(0, 2**63)))
        return child


# gradkit's one global generator, as torch.default_generator: every random op draws from it unless
# given its own; only manual_seed/set_rng_state replace its state. NumPy's global RNG is never used.
default_generator = Generator(None)


def manual_seed(seed: int) -> Generator:
    """Seed gradkit's global generator; returns it (like ``torch.manual_seed``).

    Raises:
        TypeError: when ``seed`` is not an integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed expects an integer seed, got {type(seed).__name__}")
    return default_generator.manual_seed(int(seed))


def get_rng_state() -> dict:
    """The global generator's state (plain numbers)."""
    return default_generator.state_dict()


def set_rng_state(state: dict) -> None:
    """Restore the global generator's state."""
    default_generator.load_state_dict(state)


def get_generator(generator: Generator | None = None) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator``'s, or the global one."""
    return (generator or default_generator).np
