"""A child process that decodes files exactly as a scan prepares them, one per line of stdin.

It answers ``ok``, ``error REASON`` or dies; the parent (decoding.py) times each file and
notices a crash, so a codec that segfaults or hangs cannot take the test run with it.
Memory is capped with RLIMIT_AS, so a file that asks for too much shows up as an error.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if limit and hasattr(os, "setrlimit"):
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from twinlens.engine.errors import DecodeError
    from twinlens.engine.media.decode import decode_photo
    from twinlens.engine.media.signature import signature
    from twinlens.engine.model.preprocess import PreprocessConfig, to_array

    config = PreprocessConfig()
    for line in sys.stdin:
        path = os.fsdecode(bytes.fromhex(line.strip()))
        try:
            decoded = decode_photo(path, min_size=config.height, max_side=2048)
            signature(decoded.image)
            to_array(decoded.image, config)
        except DecodeError as exc:
            print(f"error {exc.reason.value}", flush=True)
        except Exception as exc:  # an untyped failure is a finding: report it, go on
            print(f"untyped {type(exc).__name__}", flush=True)
        else:
            print("ok", flush=True)


if __name__ == "__main__":
    main()
