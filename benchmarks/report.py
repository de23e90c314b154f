"""Print a pytest-benchmark JSON file as Markdown tables: one per group, medians and ratios to ufldl.

Usage::

    python -m pytest benchmarks --benchmark-json=bench.json
    python benchmarks/report.py bench.json

Each row is one implementation (``extra_info["implementation"]``, set by the benchmarks; the test's name when
absent). The ratio column reads ``numpy-reference / ufldl = 3.4x`` (how many times slower than ufldl) and, for
the ``products-floor`` row, ``ufldl / products-floor = 1.3x`` (how far ufldl is above the bare matrix products).
Rows of whole trainings carry their outcome in ``extra_info`` (final cost, iterations, evaluations); a group
that has them gets a column with them, so that a time can be read beside the work done and where it ended.
"""

import argparse
import json
import sys

UFLDL = "ufldl"
FLOOR = "products-floor"
PYTORCH = "pytorch"  # every PyTorch row (benchmarks/pytorch_rows.py), so that its ratio to ufldl is printed
ORDER = (UFLDL, "numpy-reference", PYTORCH, FLOOR)


def implementation(bench):
    return (bench.get("extra_info") or {}).get("implementation") or bench.get("name") or bench.get("fullname", "?")


def ratio_text(impl, median, ufldl_median):
    if impl == UFLDL:
        return "1.0x (baseline)"
    if ufldl_median is None or median <= 0 or ufldl_median <= 0:
        return "n/a (no ufldl result in this group)" if ufldl_median is None else "n/a"
    if FLOOR in impl:  # products-floor(-columns), pytorch-products-floor: how far ufldl is above the bare products
        return f"{UFLDL} / {impl} = {ufldl_median / median:.2f}x"
    return f"{impl} / {UFLDL} = {median / ufldl_median:.2f}x"


def sort_key(impl):
    return (ORDER.index(impl), "") if impl in ORDER else (len(ORDER), impl)


def outcome_text(extra):
    """A training's outcome from its extra_info: final cost, iterations, evaluations ('' when it has none)."""
    cost = extra.get("final_cost", extra.get("train_cost"))
    parts = [] if cost is None else [f"cost {cost:.8g}"]
    parts += [f"{extra[key]} {label}" for key, label in (("n_iter", "iter"), ("n_evals", "evals"),
                                                          ("stage_n_evals", "evals per stage"))
              if extra.get(key) not in (None, -1)]
    return ", ".join(parts)


def p90(stats):
    """The 90th percentile of the timed rounds (nearest rank), when the JSON holds them (pytest-benchmark's
    ``data``), else NaN."""
    data = sorted(stats.get("data") or [])
    if not data:
        return float("nan")
    return data[min(len(data) - 1, max(0, -(-9 * len(data) // 10) - 1))]


def group_table(rows):
    """Markdown lines for one group; rows are (implementation, stats, extra_info) triples."""
    by_impl = {impl: stats for impl, stats, _ in rows}
    ufldl_median = by_impl[UFLDL]["median"] if UFLDL in by_impl else None
    outcomes = any(outcome_text(extra) for _, _, extra in rows)
    head = "| implementation | median ms | p90 ms | IQR ms | min ms | rounds | ratio |"
    head += " outcome |" if outcomes else ""
    lines = [head, "|---|---:|---:|---:|---:|---:|---|" + ("---|" if outcomes else "")]
    for impl, stats, extra in sorted(rows, key=lambda row: sort_key(row[0])):
        median = stats["median"]
        lines.append(
            f"| {impl} | {median * 1e3:.3f} | {p90(stats) * 1e3:.3f} | {stats.get('iqr', float('nan')) * 1e3:.3f} "
            f"| {stats.get('min', float('nan')) * 1e3:.3f} | {stats.get('rounds', '?')} "
            f"| {ratio_text(impl, median, ufldl_median)} |" + (f" {outcome_text(extra)} |" if outcomes else "")
        )
    return lines


def context_lines(data, benchmarks):
    """A few lines on where the numbers come from: CPU, Python, BLAS pools, torch."""
    lines = []
    machine = data.get("machine_info") or {}
    cpu = machine.get("cpu") or {}
    brand = cpu.get("brand_raw") or machine.get("processor") or "?"
    lines.append(f"- machine: {brand}, {cpu.get('count', '?')} logical CPUs; Python "
                 f"{machine.get('python_version', '?')}; run {data.get('datetime', '?')}")
    commit = data.get("commit_info") or {}
    if commit.get("id"):
        lines.append(f"- commit: {commit['id'][:12]}{' (dirty work tree)' if commit.get('dirty') else ''}")
    loads = [(bench.get("extra_info") or {}).get("loadavg_at_start") for bench in benchmarks]
    loads = [load for load in loads if load]
    if loads:
        one, five, fifteen = loads[0]
        busy = " (above 0.5: other work was running, so expect slow, noisy multi-threaded timings)"
        lines.append(f"- load average when the run started (1, 5, 15 min): {one:.2f}, {five:.2f}, {fifteen:.2f}"
                     + (busy if one > 0.5 else ""))
    seen = set()
    for bench in benchmarks:
        extra = bench.get("extra_info") or {}
        for pool in extra.get("pools") or []:
            key = (pool.get("internal_api"), pool.get("filepath"))
            if key not in seen:
                seen.add(key)
                lines.append(f"- pool: {pool.get('internal_api')} {pool.get('version') or ''} "
                             f"{pool.get('num_threads')} threads {pool.get('architecture') or ''} "
                             f"({pool.get('filepath')})".replace("  ", " "))
        torch = extra.get("torch")
        if torch and "torch" not in seen:
            seen.add("torch")
            lines.append(f"- torch {torch.get('version')}: {torch.get('num_threads')} threads, "
                         f"MKL {'on' if torch.get('mkl') else 'off'}")
    return lines


def report(data):
    benchmarks = data.get("benchmarks") or []
    if not benchmarks:
        return ("No benchmark results in this file (was it written with --benchmark-disable, or did every "
                "benchmark fail or get skipped?)")
    groups = {}
    for bench in benchmarks:
        groups.setdefault(bench.get("group") or "(no group)", []).append(
            (implementation(bench), bench["stats"], bench.get("extra_info") or {}))
    out = ["# Benchmarks", ""] + context_lines(data, benchmarks)
    for group, rows in groups.items():
        out += ["", f"## {group}", ""] + group_table(rows)
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="JSON written by pytest --benchmark-json=FILE")
    args = parser.parse_args(argv)
    try:
        with open(args.file, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"report.py: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    print(report(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
