#!/usr/bin/env python3
"""The Python package beside the CLI on the same Parquet file, same run.

    python3 scripts/bench_python.py FILE.parquet [--runs 3] [--threads N]

Times `scour scan FILE` (SCOUR_BIN, default target/release/scour), then
`Scanner.scan_batch` over the file's record batches as pyarrow streams
them (pq.ParquetFile.iter_batches, one row group at a time, states merged
in order), and prints medians and the Python/CLI time ratio; it checks that
both give the same findings_total and row_count.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import time

import pyarrow.parquet as pq

import scour

ROOT = pathlib.Path(__file__).resolve().parents[1]
ap = argparse.ArgumentParser()
ap.add_argument("file")
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--threads", type=int, default=os.cpu_count())
a = ap.parse_args()
BIN = os.environ.get("SCOUR_BIN", str(ROOT / "target" / "release" / "scour"))
size = os.path.getsize(a.file)

cli, py = [], []
for _ in range(a.runs):
    t = time.perf_counter()
    out = subprocess.run([BIN, "scan", "--quiet", "--threads", str(a.threads), a.file], capture_output=True)
    cli.append(time.perf_counter() - t)
    want = json.loads(out.stdout)

    t = time.perf_counter()
    scanner = scour.Scanner(threads=a.threads)
    f = pq.ParquetFile(a.file)
    states = [
        scanner.scan_batch(f.read_row_group(i), source=os.path.basename(a.file))
        for i in range(f.num_row_groups)
    ]
    got = json.loads(states[0].merge(*states[1:]).report())
    py.append(time.perf_counter() - t)
    for k in ("findings_total", "row_count"):
        assert got[k] == want[k], (k, got[k], want[k])

c, p = statistics.median(cli), statistics.median(py)
print(f"{a.file}: {size} bytes, {a.runs} runs, {a.threads} threads, pyarrow read + scan_batch + merge + report")
print(f"  scour scan (CLI)       {c:7.3f} s  {size / 1e6 / c:6.0f} MB/s")
print(f"  Python scan_batch      {p:7.3f} s  {size / 1e6 / p:6.0f} MB/s  ({p / c:.2f}x the CLI's time)")
print(f"  same findings_total ({want['findings_total']}) and row_count ({want['row_count']})")
