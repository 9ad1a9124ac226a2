"""Run the project's benchmarks: ``python bench/run.py [NAME ...]``.

Each benchmark module exposes ``run()``; add yours to BENCHMARKS.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BENCHMARKS = {
    "api": "bench.api_bench",
    "load": "bench.load_test",
}


def main(names: list[str]) -> None:
    import importlib

    for name in names or list(BENCHMARKS):
        print(f"== {name} ==", flush=True)
        importlib.import_module(BENCHMARKS[name]).run()


if __name__ == "__main__":
    main(sys.argv[1:])
