"""Benchmark: ``ufldl demo`` as a user runs it, from a fresh interpreter to the written pictures.

The issue's target is under 60 seconds on the project's 2-core machine (the tutorial's MATLAB took minutes).
Each round runs ``python -m ufldl demo --quiet`` in a subprocess with the default settings (10,000 8x8
patches, 64-25-64, 400 L-BFGS iterations), so interpreter start-up, imports, loading and whitening the
photographs, training and writing the PNGs and run.json are all counted. No timing is asserted; correctness
is: the run must succeed and its record must show a trained network.
"""

import json
import subprocess
import sys

import pytest


@pytest.mark.benchmark(group="ufldl demo, default settings, whole process")
def test_demo_wall_time(benchmark, tmp_path):
    out = tmp_path / "features.png"

    def run():
        subprocess.run([sys.executable, "-m", "ufldl", "demo", "--quiet", "--out", str(out)], check=True,
                       timeout=600)

    benchmark.extra_info["implementation"] = "ufldl"
    benchmark.pedantic(run, rounds=3, warmup_rounds=0)
    record = json.loads(out.with_name("run.json").read_text())
    assert record["iterations"] > 100 and record["final_cost"] < 0.05 * record["initial_cost"]
    benchmark.extra_info["training_seconds"] = record["seconds"]["training"]
    benchmark.extra_info["final_cost"] = record["final_cost"]
