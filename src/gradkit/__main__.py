"""``python -m gradkit`` runs the ``gradkit`` command."""

import sys

from .cli import run

sys.exit(run())
