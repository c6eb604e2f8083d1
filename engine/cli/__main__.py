"""``python -m twinlens.engine.cli``: the headless command line."""

import sys

from twinlens.engine.cli import main

sys.exit(main())
