"""All benchmarks: ``make bench`` (``python bench/run.py``).

Each benchmark module exposes a function that prints its figures and returns
them; they run against databases of their own, never the application's.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scan_bench import bench_scan  # noqa: E402


def main() -> None:
    print("== 逾期扫描（projects.alerts.deadlines_scan）==")
    bench_scan()


if __name__ == "__main__":
    main()
