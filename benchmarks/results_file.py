#!/usr/bin/env python3
"""One benchmark run as data: benchmarks/results/<date>-<what>.json, and the top table of docs/performance.md.

A results file (schema 1, docs/performance.md "Results files"):

    {"schema": 1, "date": "YYYY-MM-DD", "what": "one line", "command": "the command, or 'command not recorded'",
     "commit": "abc1234" or null, "machine": "where and under what load", "notes": "optional",
     "figures": {"<row id>": {"value": 19.745, "unit": "s", "note": "optional"}}}

A figure's id is the id of the row of docs/performance.md's top table it feeds. The table's columns are
`id | quantity | target | today | verdict | date | results | command | bounded by`; `today`, `verdict`, `date`,
`results` and `command` are what a results file gives, so

    python benchmarks/results_file.py update docs/performance.md benchmarks/results/<file>.json

replaces them in every row whose id the file holds (a new quantity is a new row written by hand, then updated).
tests/tooling/test_performance_doc.py checks that every row agrees with the file it cites.
"""
from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

SCHEMA = 1
UNITS = ("s", "min", "MiB", "GiB", "B", "x", "requests", "nodes", "per map", "count", "%")
NOT_RECORDED = "command not recorded"
COLUMNS = ("id", "quantity", "target", "today", "verdict", "date", "results", "command", "bounded by")
TARGET = re.compile(r"^(≤|≥) ([0-9][0-9,]*(?:\.[0-9]+)?) ?(\S.*)?$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def problems(data):
    """What makes `data` (a parsed results file) malformed, [] when nothing does."""
    if not isinstance(data, dict):
        return ["not a JSON object"]
    found = []
    if data.get("schema") != SCHEMA:
        found.append("schema is not %d" % SCHEMA)
    if not DATE.match(str(data.get("date", ""))):
        found.append("date is not YYYY-MM-DD")
    for key in ("what", "command", "machine"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            found.append("%s is missing or empty" % key)
    if data.get("commit") is not None and not re.match(r"^[0-9a-f]{7,40}$", str(data["commit"])):
        found.append("commit is not a git hash or null")
    figures = data.get("figures")
    if not isinstance(figures, dict) or not figures:
        return found + ["figures is missing or empty"]
    for name, figure in figures.items():
        if not isinstance(figure, dict) or isinstance(figure.get("value"), bool) \
                or not isinstance(figure.get("value"), (int, float)):
            found.append("figure %s has no numeric value" % name)
        elif figure.get("unit") not in UNITS:
            found.append("figure %s has unit %r, not one of %s" % (name, figure.get("unit"), ", ".join(UNITS)))
    return found


def load(path):
    data = json.loads(Path(path).read_text())
    bad = problems(data)
    if bad:
        raise ValueError("%s: %s" % (path, "; ".join(bad)))
    return data


def measured(value, unit):
    return {"value": round(value, 3) if isinstance(value, float) else value, "unit": unit}


def commit():
    """The short hash of the tree being measured, None outside git."""
    res = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False,
                         cwd=str(Path(__file__).resolve().parent))
    return res.stdout.strip() or None


def write(path, what, command, figures, notes=None):
    """Write one run's results file (schema 1) to `path`; the machine field is this machine and its load now."""
    data = {"schema": SCHEMA, "date": time.strftime("%Y-%m-%d", time.gmtime()), "what": what, "command": command,
            "commit": commit(), "machine": "%s, %d CPUs, load average %s at the end" % (
                platform.processor() or platform.machine(), os.cpu_count() or 0, "%.2f %.2f %.2f" % os.getloadavg()),
            "figures": figures}
    if notes:
        data["notes"] = notes
    bad = problems(data)
    if bad:
        raise ValueError("results file not written: %s" % "; ".join(bad))
    Path(path).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def command(script, argv):
    """The command line that reproduces a run: `script` with `argv` without its --record option."""
    kept, skip = [], False
    for arg in argv:
        if skip or arg.startswith("--record="):
            skip = False
            continue
        skip = arg == "--record"
        if not skip:
            kept.append(arg)
    return " ".join(["python", script] + kept)


def host_figures(results, module="stale_mpath_facts (module alone)", floor="bare walk + maps json"):
    """The top table's host rows from bench_host_scale.run's {size: row}."""
    out = {}
    for size, row in results.items():
        for key, name, unit in ((module, "facts-%s", "s"), (floor, "floor-%s", "s"),
                                ("multipath -ll", "multipath-ll-%s", "s"), ("module peak RSS MiB", "facts-rss-%s", "MiB"),
                                ("stale_mpath_facts that reads nothing (fixed cost)", "facts-fixed-%s", "s"),
                                ("bare /proc/*/fd scan", "proc-scan-%s", "s")):
            if isinstance(row.get(key), (int, float)):
                out[name % size] = measured(row[key], unit)
        # the module less what it costs before its first read, against the floor and against the floor with the
        # openers the in-use rule needs: bench_host_scale.measure derives them ("1.20x")
        for key, name in (("module minus its fixed cost vs the floor", "facts-%s-work-vs-floor"),
                          ("module minus its fixed cost vs the floor and the /proc scan",
                           "facts-%s-work-vs-floor-and-openers")):
            if isinstance(row.get(key), str) and row[key].endswith("x"):
                out[name % size] = measured(float(row[key][:-1]), "x")
        # bench_host_scale --against REV: the module of that revision, timed in the same runs
        for key in sorted(k for k in row if k.startswith("stale_mpath_facts at ")):
            if isinstance(row[key], (int, float)) and isinstance(row.get(floor), (int, float)) and row[floor]:
                rev = key.split()[2]
                out["facts-%s-before" % size] = dict(measured(row[key], "s"), note="the module at %s" % rev)
                out["facts-%s-before-vs-floor" % size] = dict(measured(round(row[key] / row[floor], 2), "x"),
                                                              note="the module at %s" % rev)
    sizes = sorted((s for s in results if "facts-%s" % s in out), key=int)
    if sizes and "floor-%s" % sizes[-1] in out and out["floor-%s" % sizes[-1]]["value"]:
        out["facts-%s-vs-floor" % sizes[-1]] = measured(
            round(out["facts-%s" % sizes[-1]]["value"] / out["floor-%s" % sizes[-1]]["value"], 2), "x")
    for a, b in zip(sizes, sizes[1:]):
        if out["facts-%s" % a]["value"]:
            out["growth-%s-%s" % (a, b)] = measured(round(out["facts-%s" % b]["value"] / out["facts-%s" % a]["value"], 2), "x")
    return out


def controller_figures(result):
    """The top table's controller rows from bench_controller.run's result (compact runs)."""
    out = {}
    # a run with pipelining (bench_controller.py --pipelining) has rows of its own: the default rows stay Ansible's
    # default configuration
    suffix = "-pipelining" if result.get("pipelining") else ""
    for run in result["runs"]:
        if run["detail"] == "compact":
            hosts = "%d%s" % (run["hosts"], suffix)
            out["controller-cpu-per-host-%s" % hosts] = measured(run["controller_cpu_per_host_s"], "s")
            out["controller-peak-pss-%s" % hosts] = measured(run["peak_pss_mib"], "MiB")
            out["controller-largest-process-%s" % hosts] = measured(run["controller_max_rss_mib"], "MiB")
            out["controller-wall-%s" % hosts] = measured(run["wall_s"], "s")
    return out


def cleanup_figures(results):
    """The top table's cleanup rows from bench_cleanup_lab.run's results."""
    out = {}
    for r in results:
        if "hung" in r or "error" in r or r.get("act_s") is None:
            continue
        out["cleanup-act-%d" % r["n"]] = measured(r["act_s"], "s")
        out["cleanup-play-%d" % r["n"]] = measured(r["playbook_s"], "s")
        if r["n"] == 100:
            out["cleanup-act-per-map"] = measured(round(r["act_s"] / 100.0, 2), "s")
            if r.get("plan_s") is not None:
                out["cleanup-plan-100"] = measured(r["plan_s"], "s")
    return out


def render(figure):
    """The `today` cell of a figure: '19.745 s', '2.14x', '6 requests', '82,039 B'."""
    text = "{:,}".format(figure["value"])
    return text + ("x" if figure["unit"] == "x" else " " + figure["unit"])


def verdict(target, figure):
    """'met' or 'MISSED' for a target cell like '≤ 1.5x' or '≥ 10 x'; '—' when the row has no target."""
    match = TARGET.match(target.strip())
    if not match:
        return "—"
    limit = float(match.group(2).replace(",", ""))
    met = figure["value"] <= limit if match.group(1) == "≤" else figure["value"] >= limit
    return "met" if met else "MISSED"


def cells(line):
    """The cells of a markdown table row (no cell of the top table holds a '|')."""
    return [c.strip() for c in line.strip()[1:-1].split("|")]


def table_rows(text):
    """{id: {column: cell}} of the top table (the first table whose header is COLUMNS)."""
    rows, inside = {}, False
    for line in text.splitlines():
        if not inside:
            inside = line.startswith("|") and tuple(cells(line)) == COLUMNS
            continue
        if not line.startswith("|"):
            break
        row = cells(line)
        if set(line) <= set("|- "):
            continue
        rows[row[0].strip("`")] = dict(zip(COLUMNS, row))
    return rows


def link(path):
    return "[%s](../benchmarks/results/%s)" % (Path(path).name, Path(path).name)


def update(text, path):
    """`text` (docs/performance.md) with the rows whose id the results file at `path` holds set from it."""
    data = load(path)
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        if not inside:
            inside = line.startswith("|") and tuple(cells(line)) == COLUMNS
        elif line.startswith("|") and not set(line.strip()) <= set("|- "):
            row = dict(zip(COLUMNS, cells(line)))
            figure = data["figures"].get(row["id"].strip("`"))
            if figure is not None:
                row.update(today=render(figure), verdict=verdict(row["target"], figure), date=data["date"],
                           results=link(path), command="`%s`" % data["command"])
                line = "| %s |\n" % " | ".join(row[c] for c in COLUMNS)
        elif not line.startswith("|"):
            inside = False
        out.append(line)
    return "".join(out)


def main(argv):
    if len(argv) != 3 or argv[0] != "update":
        raise SystemExit("usage: results_file.py update docs/performance.md benchmarks/results/<file>.json")
    doc = Path(argv[1])
    doc.write_text(update(doc.read_text(), argv[2]))


if __name__ == "__main__":
    main(sys.argv[1:])
