"""The ``twinlens`` command: the desktop app without a subcommand, the headless CLI with one.

It lives above both layers so that the engine never imports the desktop package (an
import-linter contract) and a headless command never loads Qt.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args:
        from twinlens.engine.cli import main as cli_main

        return cli_main(args)
    try:
        from twinlens.desktop.app import main as app_main
    except ImportError as exc:
        print(
            f"twinlens: the desktop app needs the desktop extra ({exc.name} is missing):\n"
            "  pip install 'twinlens[desktop]'\n"
            "Headless commands work without it: twinlens scan|dupes|similar|info|encode ...",
            file=sys.stderr,
        )
        return 2
    return app_main()


if __name__ == "__main__":
    sys.exit(main())
