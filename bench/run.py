"""All benchmarks: ``make bench`` (``python bench/run.py [NAME ...]``).

Each benchmark prints its figures side by side (as ratios where it compares) and
runs against a database of its own, never the application's.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# name -> (module, function)
BENCHMARKS = {
    "api": ("bench.api_bench", "run"),
    "scan": ("bench.scan_bench", "bench_scan"),
    "load": ("bench.load_test", "run"),
    "reports": ("bench.report_bench", "run"),
}


def main(names: list[str]) -> None:
    for name in names or list(BENCHMARKS):
        module, function = BENCHMARKS[name]
        print(f"== {name} ==", flush=True)
        getattr(importlib.import_module(module), function)()


if __name__ == "__main__":
    main(sys.argv[1:])
