"""``python -m gradkit`` runs the ``gradkit`` command."""

import sys

from .cli import main

sys.exit(main())
