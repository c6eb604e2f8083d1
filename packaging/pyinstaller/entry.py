"""PyInstaller's entry script: the ``twinlens`` command (the app, or the CLI with arguments)."""

import sys

from twinlens.launcher import main

sys.exit(main())
