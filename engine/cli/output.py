"""What the command line prints: words for people, JSON for scripts, a progress bar.

People see every path through ``paths.shown`` (no escape sequence or newline of a file name
ever reaches the terminal); scripts get JSON whose paths are exact (``paths.json_fields``).
Nothing here decides anything: it only formats what the engine answered.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from twinlens.engine import Progress, json_fields, shown

__all__ = ["json_fields"]  # re-exported for the commands


def say(text: str = "") -> None:
    """One line for people on stdout (already made safe by the caller's use of ``shown``)."""
    print(text)


def warn(text: str) -> None:
    print(text, file=sys.stderr)


def print_json(payload: dict[str, Any]) -> None:
    """One JSON object on stdout. ASCII only, so no terminal or encoding can garble it."""
    json.dump(payload, sys.stdout, indent=2, ensure_ascii=True)
    sys.stdout.write("\n")


def path_json(path: str, **extra: Any) -> dict[str, Any]:
    """``{"path": ..., "path_bytes": ... (only when not UTF-8), **extra}``."""
    return {**json_fields(path), **extra}


def errors_json(errors: Iterable[tuple[str, str, str]]) -> list[dict[str, Any]]:
    return [path_json(p, reason=r, detail=d) for p, r, d in errors]


def shown_list(paths: Iterable[str], limit: int = 3) -> str:
    names = [shown(p) for p in paths]
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


class ProgressBar:
    """A one-line bar on a terminal; occasional plain lines when stderr is a file or pipe."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.last_percent = -10

    def show(self, progress: Progress) -> None:
        if progress.total is None:
            text = f"{self.label}: listing files... {progress.done}"
            percent = None
        else:
            percent = 100 * progress.done // max(1, progress.total)
            filled = percent // 4
            eta = f", {progress.eta:.0f}s left" if progress.eta is not None else ""
            text = (
                f"{self.label} [{'#' * filled}{'.' * (25 - filled)}] {progress.done}/"
                f"{progress.total} ({progress.rate:.1f}/s{eta})"
            )
        if self.tty:
            sys.stderr.write("\r\033[K" + text)
            sys.stderr.flush()
        elif percent is not None and percent >= self.last_percent + 10:
            self.last_percent = percent
            print(text, file=sys.stderr)

    def finish(self) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def silence_stdout() -> None:
    """After a BrokenPipeError: point stdout at nothing so Python's exit flush stays quiet."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
