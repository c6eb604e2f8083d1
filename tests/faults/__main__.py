"""The full fault-injection run: ``python -m tests.faults [--per-format N] [--kills N]``.

Prints, as Markdown for docs/reliability.md: inputs tried per format and how each ended,
the kill -9 runs per scenario, the races and the full-disk checks, and the totals of
crashes, hangs and photos lost (all three must be 0). Seeds are fixed: the same command
prints the same inputs.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.faults import concurrency, crashes, diskfull
from tests.faults.decoding import decode_all
from tests.faults.mutate import FORMATS, write_variants
from tests.tiny_model import write_tiny_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-format", type=int, default=300)
    parser.add_argument("--kills", type=int, default=24, help="kill -9 runs per scenario")
    parser.add_argument("--races", type=int, default=12)
    args = parser.parse_args()
    started = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="twinlens-faults-"))
    model = write_tiny_model(base / "tiny.onnx")
    totals: Counter[str] = Counter()
    print(f"Machine: {platform.platform()}, Python {platform.python_version()}\n")
    _decoders(base, args.per_format, totals)
    _kills(base, model, args.kills, totals)
    _races(base, model, args.races, totals)
    _disk(base, model, totals)
    print(
        "\n| total | inputs tried | faults injected | crashes | hangs | untyped errors |"
        " photos lost | other problems |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print(
        f"| all | {totals['inputs']} | {totals['faults']} | {totals['crash']} |"
        f" {totals['hang']} | {totals['untyped']} | {totals['lost']} | {totals['problems']} |"
    )
    print(f"\n{time.monotonic() - started:.0f} s in all")


def _decoders(base: Path, count: int, totals: Counter[str]) -> None:
    print("## Decoder fuzzing\n")
    print("| format | inputs | decoded | typed errors (by reason) | untyped | hangs | crashes |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for index, fmt in enumerate(FORMATS):
        paths = write_variants(base / "fuzz" / fmt, fmt, seed=100 + index, count=count)
        outcomes = Counter(decode_all(paths, timeout=20.0).values())
        reasons = {k.split(":", 1)[1]: v for k, v in outcomes.items() if k.startswith("error:")}
        untyped = sum(v for k, v in outcomes.items() if k.startswith("untyped"))
        words = ", ".join(f"{r} {n}" for r, n in sorted(reasons.items()))
        print(
            f"| {fmt} | {count} | {outcomes['ok']} | {words} | {untyped} |"
            f" {outcomes['hang']} | {outcomes['crash']} |"
        )
        totals.update(
            inputs=count,
            faults=count,
            untyped=untyped,
            hang=outcomes["hang"],
            crash=outcomes["crash"],
        )


def _kills(base: Path, model: Path, kills: int, totals: Counter[str]) -> None:
    print("\n## kill -9 at seeded moments\n")
    spans = crashes.calibrate(base / "calibration", model)
    print("| scenario | runs | killed mid-run | integrity ok | photos lost | problems |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, scenario in crashes.SCENARIOS.items():
        runs = [
            scenario(base / "kills" / f"{name}-{s}", model, s, spans[name]) for s in range(kills)
        ]
        problems = [p for r in runs for p in r.problems]
        integrity = sum(not any("integrity" in p for p in r.problems) for r in runs)
        lost = sum(r.lost for r in runs)
        print(
            f"| {name} | {kills} | {sum(r.killed for r in runs)} | {integrity} | {lost} |"
            f" {len(problems)} {problems[:2] if problems else ''} |"
        )
        totals.update(faults=kills, lost=lost, problems=len(problems))


def _races(base: Path, model: Path, races: int, totals: Counter[str]) -> None:
    print("\n## Processes racing on one library\n")
    print("| race | runs | passed | problems |")
    print("| --- | --- | --- | --- |")
    plan = (
        ("two trash on one pair", concurrency.rival_trash, races),
        ("watch + scan + trash", concurrency.busy_library, max(2, races // 4)),
    )
    for name, race, runs in plan:
        results = [race(base / "races" / f"{race.__name__}-{s}", model, s) for s in range(runs)]
        problems = [p for r in results for p in r.problems]
        print(
            f"| {name} | {runs} | {sum(not r.problems for r in results)} | {len(problems)}"
            f" {problems[:2] if problems else ''} |"
        )
        totals.update(faults=runs, problems=len(problems), lost=sum(r.lost for r in results))


def _disk(base: Path, model: Path, totals: Counter[str]) -> None:
    print("\n## A disk that fills up\n")
    why = diskfull.available()
    if why:
        print(f"Not run: {why}.")
        return
    for run in (
        diskfull.scan_on_full_disk(base / "disk", model),
        diskfull.thumbnails_on_full_disk(base / "disk"),
    ):
        print(f"- {run.scenario}: {'ok' if not run.problems else run.problems}")
        totals.update(faults=1, problems=len(run.problems))


if __name__ == "__main__":
    main()
