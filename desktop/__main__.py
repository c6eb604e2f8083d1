"""python -m twinlens.desktop: open the app."""

import sys

from .app import main

sys.exit(main())
