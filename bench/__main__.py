"""All foundation benchmarks in one run: import throughput, then read latency.

    python -m bench            # 1M-feature import input; reads at 10k, 1M and 10M versions
    python -m bench --quick    # 100k-feature import input; reads at 10k and 1M
"""

from __future__ import annotations

import argparse
import subprocess
import sys


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a first look")
    args = ap.parse_args()
    runs = [["bench.import_bench", "--size", "100k" if args.quick else "1m"],
            ["bench.read_bench", "--sizes", "10k,1m" if args.quick else "10k,1m,10m"]]
    failed = 0
    for module, *options in runs:
        print(f"\n$ python -m {module} {' '.join(options)}", flush=True)
        failed |= subprocess.run([sys.executable, "-m", module, *options], check=False).returncode
    sys.exit(failed)


if __name__ == "__main__":
    main()
