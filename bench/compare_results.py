#!/usr/bin/env python3
"""Reads the JSON files bench/compare-pytorch.sh wrote into a folder and prints MyTorch, PyTorch/NumPy and the
ratios against the performance issue's targets; writes the same as comparison.json in that folder."""

import json
import os
import statistics
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else "."


def load(name):
    path = os.path.join(OUT, name + ".json")
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def wall_and_rss(name):
    """(wall seconds, max RSS bytes) from /usr/bin/time, or (None, None)."""
    try:
        with open(os.path.join(OUT, name + ".time")) as f:
            wall, rss = f.read().split()[-2:]
        return float(wall), (int(rss) * 1024 or None)
    except (OSError, ValueError):
        return None, None


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


rows = []  # (section, metric, mytorch, reference, ratio, target, verdict, note)


# ---- core checks: whether the threads had a whole core each (see src/MyTorch.Cli/Benchmarks/CoreCheck.cs) --------
def core_checks(report):
    """The core checks a MyTorch report holds (before and after its measurements, or one of --only cores)."""
    return (report or {}).get("core_checks") or []


WHOLE_CORES = 0.8  # CoreCheck.WholeCoresFraction: shared cores give about 1x, whole ones about the thread count


def on_whole_cores(scaling, threads):
    return scaling >= WHOLE_CORES * threads


def whole_cores(check):
    return on_whole_cores(check["scaling"]["median"], check["threads"])


def worst_scaling(checks):
    """The lowest median scaling of some core checks: the least of the machine that a run can have had."""
    return min((c["scaling"]["median"] for c in checks), default=None)


def fma_ceiling(report):
    """(GFLOP/s, vector bits): the best all-threads FMA throughput of a MyTorch report's core checks, at its kernels'
    vector width (the most any product could reach then), or (None, None) for a report without it."""
    checks = [c for c in core_checks(report) if c.get("all_threads_gflops_best")]
    return (max(c["all_threads_gflops_best"] for c in checks), checks[0]["vector_bits"]) if checks else (None, None)


def reference_checks(name):
    """The core checks compare-pytorch.sh ran just before and just after the reference run NAME."""
    return core_checks(load("cores-before-" + name)) + core_checks(load("cores-after-" + name))


def whole_core_repetitions(summary, threads):
    """'; MyTorch repetitions on whole cores: k of n (median M)' from a summary's per-repetition core checks, or ''."""
    scaling = (summary or {}).get("core_scaling")
    if not scaling:
        return ""
    whole = [v for v, s in zip(summary["values"], scaling) if on_whole_cores(s, threads)]
    text = f"; MyTorch repetitions on whole cores: {len(whole)} of {len(scaling)}"
    if whole:
        m = median(whole)
        text += f" (median {m:,.0f})" if m >= 1000 else f" (median {m:.1f})"
    return text


def cores_note(report):
    worst = worst_scaling(core_checks(report))
    return f"; core check {worst:.2f}x" if worst is not None else ""


def add(section, metric, ours, theirs, target=None, higher_is_better=True, note="", unit="", best=None):
    """best: (ours, theirs) best-repetition values, whose ratio is shown beside the medians' (less hurt by a busy machine)."""
    ratio = ours / theirs if ours is not None and theirs not in (None, 0) else None
    best_ratio = best[0] / best[1] if best and best[0] is not None and best[1] not in (None, 0) else None
    rows.append({"section": section, "metric": metric, "mytorch": ours, "reference": theirs, "ratio": ratio,
                 "best_ratio": best_ratio, "target": (">= " if higher_is_better else "<= ") + f"{target}x" if target is not None else "",
                 "verdict": judge(ratio, target, higher_is_better), "note": note, "unit": unit})


def judge(ratio, target, higher_is_better=True):
    """PASS or MISS for a ratio against its target; empty without a target or a ratio."""
    if target is None or ratio is None:
        return ""
    return "PASS" if (ratio >= target if higher_is_better else ratio <= target) else "MISS"


def rejudge_last(ratio, target):
    """The last row's ratio becomes <ratio> (a steadier figure than the medians' ratio), and its verdict follows it."""
    rows[-1]["ratio"] = ratio
    rows[-1]["verdict"] = judge(ratio, target)


def accuracies(side, main):
    """Test accuracies: the main train run (seed 42) and the extra seeds' runs."""
    values = [main["test_accuracy"]]
    for name in sorted(os.listdir(OUT)):
        if name.startswith(f"{side}-accuracy-seed") and name.endswith(".json"):
            run = load(name[:-5])
            accuracy = ((run or {}).get("train") or {}).get("accuracy")
            if accuracy:
                values.append(accuracy["test_accuracy"])
    return values


def spread(summary):
    return f"±{summary['spread_pct'] / 2:.0f}%" if summary else ""


mt = {part: load("mytorch-" + part) for part in ("gemm", "gemm-paired", "train", "train-1thread", "inference", "inference-1thread")}
py = {part: load("pytorch-" + part) for part in ("gemm", "train", "inference")}
available = all(v and v.get("available", True) for v in py.values())
machine = (py["gemm"] or {}).get("machine", {})
blas = machine.get("blas", "BLAS")
if machine.get("openblas_core"):
    blas += f" ({machine['openblas_core']} kernels)"

# ---- SGEMM: MyTorch vs NumPy (the system BLAS) at the same thread count; torch.mm shown beside -------------
if mt["gemm"] and available:
    reference = {(g["name"], g["backend"], g["threads"]): g for g in py["gemm"]["gemm"]}
    blas_threads = sorted({g["threads"] for g in py["gemm"]["gemm"]}, reverse=True)
    for g in mt["gemm"]["gemm"]:
        threads = g["threads"] if g["threads"] in blas_threads else blas_threads[-1]
        np_row = reference.get((g["name"], "numpy", threads))
        torch_row = reference.get((g["name"], "torch", threads))
        note = f"MyTorch {spread(g['gflops'])}, BLAS {spread(np_row['gflops']) if np_row else ''}" + \
            whole_core_repetitions(g["gflops"], g["threads"])
        if torch_row:
            note += f"; torch.mm {torch_row['gflops']['median']:.1f}"
        add("SGEMM GFLOP/s", f"{g['name']} ({g['threads']} thr vs {threads})", g["gflops"]["median"],
            np_row["gflops"]["median"] if np_row else None, 0.9, note=note,
            best=(g["gflops"]["best"], np_row["gflops"]["best"] if np_row else None))

# ---- SGEMM, paired: MyTorch and the BLAS alternating in one process (mytorch bench --blas) -----------------------
if mt["gemm-paired"]:
    for g in mt["gemm-paired"]["gemm"]:
        p = g.get("paired_reference")
        if not p:
            continue
        ratio, target = p["ratio"], 0.9
        add("SGEMM GFLOP/s, paired in one process", f"{g['name']} ({g['threads']} thr vs {p['threads'] or '?'})",
            g["gflops"]["median"], p["gflops"]["median"], target,
            note=f"median of {ratio['repetitions']} paired ratios {ratio['median']:.2f} (worst {ratio['worst']:.2f}, best {ratio['best']:.2f}); "
                 f"{p.get('core') or 'BLAS'}" + (cores_note(mt["gemm-paired"]) if g["threads"] > 1 else ""))
        rejudge_last(ratio["median"], target)  # the verdict goes by the paired ratios' median, not the medians' ratio

def alternating_rounds(part, report_key):
    """(ours, theirs, checks) of a part's first run and its extra alternating rounds (mytorch-PART-2/3,
    pytorch-PART-2/3), where both sides ran and the reference has the part; checks are both sides' core checks."""
    rounds = [(mt[part], py[part], reference_checks(f"pytorch-{part}"))] + [
        (load(f"mytorch-{part}-{i}"), load(f"pytorch-{part}-{i}"), reference_checks(f"pytorch-{part}-{i}")) for i in (2, 3)]
    return [(o, t, core_checks(o) + c) for o, t, c in rounds if o and o.get(report_key) and t and t.get(report_key)]


def judge_by_rounds(ratios, target, checks):
    """With more than one round, the last row's ratio and verdict go by the median of the rounds' ratios, which a
    machine whose speed drifts between processes skews less than one round. The note gives each round's worst core
    check, and the median of the rounds whose every check found whole cores; the verdict stays with all rounds."""
    if len(ratios) > 1:
        rows[-1]["note"] += f"; ratio = median of {len(ratios)} alternating rounds: " + ", ".join(f"{r:.2f}" for r in ratios)
        rejudge_last(median(ratios), target)
    if any(checks):
        rows[-1]["note"] += "; the rounds' worst core checks: " + ", ".join(
            f"{worst_scaling(c):.2f}x" if c else "-" for c in checks)
        whole = [r for r, c in zip(ratios, checks) if c and all(whole_cores(x) for x in c)]
        rows[-1]["note"] += (f"; rounds on whole cores: {len(whole)}, median ratio {median(whole):.2f}" if whole
                             else "; no round ran on whole cores throughout")


# ---- training ------------------------------------------------------------------------------------------------
if mt["train"] and available and py["train"].get("train"):
    ours_all = [t["train"] for t in (mt["train"], mt["train-1thread"]) if t]
    ours = max(ours_all, key=lambda t: t["samples_per_second"]["median"])
    theirs = py["train"]["train"]
    for c in theirs["configs"]:
        add("MLP training samples/s", f"PyTorch torch {c['torch_threads']} / BLAS {c['blas_threads']} threads", None,
            c["samples_per_second"]["median"], note=spread(c["samples_per_second"]))
    for t in ours_all:
        add("MLP training samples/s", f"MyTorch {t['threads']} thread(s)", t["samples_per_second"]["median"], None,
            note=spread(t["samples_per_second"]))
    best = theirs["best_config"]
    add("MLP training samples/s", "best vs best (steady state)", ours["samples_per_second"]["median"],
        theirs["samples_per_second"]["median"], 1.5,
        best=(max(t["samples_per_second"]["best"] for t in ours_all), max(c["samples_per_second"]["best"] for c in theirs["configs"])),
        note=f"MyTorch {ours['threads']} thr; PyTorch torch {best['torch_threads']}/BLAS {best['blas_threads']}" +
             whole_core_repetitions(ours["samples_per_second"], ours["threads"]))
    # The steady state's rounds: all-core MyTorch against PyTorch's best setting of each round.
    train_rounds = alternating_rounds("train", "train")
    judge_by_rounds([o["train"]["samples_per_second"]["median"] / t["train"]["samples_per_second"]["median"]
                     for o, t, _ in train_rounds], 1.5, [c for _, _, c in train_rounds])
    a, b = mt["train"]["train"].get("accuracy"), theirs.get("accuracy")
    if a and b:
        add("MLP training samples/s", f"whole epochs (mean of {a['epochs']})", statistics.mean(a["epoch_samples_per_second"]),
            statistics.mean(b["epoch_samples_per_second"]), 1.5, note="loader + step, as mytorch train")
        ours_acc, theirs_acc = accuracies("mytorch", a), accuracies("pytorch", b)
        diff = (statistics.mean(ours_acc) - statistics.mean(theirs_acc)) * 100
        rows.append({"section": "Test accuracy", "metric": f"after {a['epochs']} epochs, mean of {len(ours_acc)} vs {len(theirs_acc)} seeds",
                     "mytorch": statistics.mean(ours_acc), "reference": statistics.mean(theirs_acc), "ratio": None,
                     "target": "same (|diff| <= 1 pp)", "verdict": "PASS" if abs(diff) <= 1.0 else "MISS",
                     "note": f"diff {diff:+.2f} pp; MyTorch {' '.join(f'{x:.4f}' for x in ours_acc)}; "
                             f"PyTorch {' '.join(f'{x:.4f}' for x in theirs_acc)}", "unit": ""})
    for key, label in (("allocations", "with loader"), ("allocations_step_only", "step only")):
        alloc = mt["train"]["train"].get(key)
        if alloc:
            rows.append({"section": "Allocations (MyTorch)", "metric": f"bytes/step, {label}, all threads",
                         "mytorch": alloc["bytes_per_step_all_threads"], "reference": None, "ratio": None, "target": "0",
                         "verdict": "PASS" if alloc["bytes_per_step_all_threads"] == 0 else "MISS",
                         "note": f"gen0/1/2 collections in {alloc['steps']} steps: {alloc['gen0_collections']}/"
                                 f"{alloc['gen1_collections']}/{alloc['gen2_collections']}", "unit": ""})
    ours_rss = wall_and_rss("mytorch-train")[1]
    theirs_rss = wall_and_rss("pytorch-train")[1]
    add("Peak memory (training process)", "max RSS MiB (/usr/bin/time)", ours_rss and ours_rss / 2**20,
        theirs_rss and theirs_rss / 2**20, 1.0, higher_is_better=False,
        note=f"in-process: MyTorch peak working set {mt['train']['memory']['peak_working_set_bytes'] / 2**20:.0f}, "
             f"PyTorch ru_maxrss {py['train']['memory']['peak_rss_bytes'] / 2**20:.0f}")

# ---- inference -----------------------------------------------------------------------------------------------
if mt["inference"] and available and py["inference"].get("inference"):
    theirs = {r["batch"]: r for r in py["inference"]["inference"]}
    rounds = alternating_rounds("inference", "inference")

    def round_ratio(ours_report, theirs_report, batch, path):
        o = [r for r in ours_report["inference"] if r["batch"] == batch and r.get("path", "module") == path]
        t = [r for r in theirs_report["inference"] if r["batch"] == batch]
        return o[0]["samples_per_second"]["median"] / t[0]["samples_per_second"]["median"] if o and t else None

    # Each batch is measured through CompiledInference with frozen weights ("frozen", what eval and predict run), with
    # the weights read at every run ("compiled") and Module.Forward ("module"). The target judges what eval and
    # predict run: a report from before frozen weights existed has no "frozen" rows, and its "compiled" rows are
    # judged; one from before the paths existed has rows without "path", which count as "module".
    ours_rows = mt["inference"]["inference"] + (mt["inference-1thread"] or {}).get("inference", [])
    has_frozen = any(r.get("path") == "frozen" for r in ours_rows)
    for path, label, target in (("frozen", "CompiledInference, frozen weights", 1.5),
                                ("compiled", "CompiledInference", None if has_frozen else 1.5),
                                ("module", "Module.Forward", None)):
        for batch in sorted({r["batch"] for r in ours_rows}):
            candidates = [s for s in ours_rows if s["batch"] == batch and s.get("path", "module") == path]
            if not candidates:
                continue
            ours = max(candidates, key=lambda s: s["samples_per_second"]["median"])
            t = theirs.get(batch)
            measured = [(r, c) for r, c in ((round_ratio(o, th, batch, path), c) for o, th, c in rounds) if r is not None]
            ratios = [r for r, _ in measured]
            add("Inference samples/s", f"batch {batch}, {label} (best vs best)", ours["samples_per_second"]["median"],
                t and t["samples_per_second"]["median"], target,
                best=(max(s["samples_per_second"]["best"] for s in candidates),
                      t and max(c["samples_per_second"]["best"] for c in t["configs"])),
                note=f"MyTorch {ours['threads']} thr {spread(ours['samples_per_second'])}, "
                     f"{ours['bytes_per_call_all_threads']:.0f} B/call; PyTorch torch "
                     f"{t['best_config']['torch_threads']}/BLAS {t['best_config']['blas_threads']} {spread(t['samples_per_second'])}"
                     + whole_core_repetitions(ours["samples_per_second"], ours["threads"]) if t else "")
            judge_by_rounds(ratios, target, [c for _, c in measured] if ours["threads"] > 1 else [])

    # Samples/s times the flops of one sample's forward pass is GFLOP/s, which the FMA ceiling bounds: a ratio target
    # is reachable only while the reference leaves enough of the ceiling unused. Each round is set against the
    # ceiling its own MyTorch process measured (the core checks before and after its measurements).
    for batch in (1, 256):
        measured = []  # (MyTorch GFLOP/s, PyTorch GFLOP/s, ceiling GFLOP/s, vector bits) per round
        for o, t, _ in rounds:
            ceiling, bits = fma_ceiling(o)
            ours = [r for r in o["inference"] if r["batch"] == batch and r.get("path") == "frozen" and r.get("flops_per_sample")]
            theirs = [r for r in t["inference"] if r["batch"] == batch]
            if ceiling and ours and theirs:
                flops = ours[0]["flops_per_sample"] / 1e9
                measured.append((ours[0]["samples_per_second"]["median"] * flops,
                                 theirs[0]["samples_per_second"]["median"] * flops, ceiling, bits))
        if measured:
            add("Inference GFLOP/s against the FMA ceiling (frozen weights, per round)", f"batch {batch}: median of {len(measured)} rounds",
                median([m for m, _, _, _ in measured]), median([r for _, r, _, _ in measured]),
                note="share of the ceiling, MyTorch / PyTorch: " + ", ".join(f"{m / c:.0%} / {r / c:.0%}" for m, r, c, _ in measured)
                     + "; 1.5x PyTorch would need " + ", ".join(f"{1.5 * r / c:.0%}" for _, r, c, _ in measured)
                     + " of the ceiling; ceilings (best all-threads FMA GFLOP/s of the round's core checks, "
                     + f"{measured[0][3]}-bit): " + ", ".join(f"{c:.0f}" for _, _, c, _ in measured))


# ---- start-up ------------------------------------------------------------------------------------------------
starts = [load(f"mytorch-startup-{i}") for i in (1, 2, 3)]
py_starts = [load(f"pytorch-startup-{i}") for i in (1, 2, 3)]
if all(starts) and all(p and p.get("available", True) for p in py_starts):
    ours = median([s["startup"]["process_to_ready_ms"] for s in starts])
    theirs = median([s["startup"]["process_to_ready_ms"] for s in py_starts])
    add("Start-up ms (median of 3)", "process start to data loaded + model built (in-process)", ours, theirs, 0.5, higher_is_better=False,
        note=f"MyTorch data+model {median([s['startup']['data_and_model_ms'] for s in starts]):.0f} ms; "
             f"PyTorch import torch {median([s['startup']['import_torch_ms'] for s in py_starts]):.0f} ms")
    import_wall = median([wall_and_rss(f"pytorch-import-{i}")[0] for i in (1, 2, 3)])
    train0 = median([wall_and_rss(f"mytorch-train-epochs0-{i}")[0] for i in (1, 2, 3)])
    add("Start-up ms (median of 3)", "wall: mytorch train --epochs 0 vs python3 -c 'import torch'",
        train0 and train0 * 1000, import_wall and import_wall * 1000, 0.5, higher_is_better=False,
        note="train --epochs 0 also splits, evaluates the test set and writes model, metrics, plot")
    py_wall = median([wall_and_rss(f"pytorch-startup-{i}")[0] for i in (1, 2, 3)])
    mt_wall = median([wall_and_rss(f"mytorch-startup-{i}")[0] for i in (1, 2, 3)])
    add("Start-up ms (median of 3)", "wall: bench --only startup vs reference --only startup",
        mt_wall and mt_wall * 1000, py_wall and py_wall * 1000, 0.5, higher_is_better=False)


def load_averages():
    """The 1-minute load averages recorded before each command: how busy the machine was."""
    try:
        with open(os.path.join(OUT, "loadavg.log")) as f:
            return [float(line.split()[1]) for line in f if len(line.split()) > 1]
    except (OSError, ValueError):
        return []


def fmt(value):
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.1f}"


print()
if not available:
    note = next((v.get("note") for v in py.values() if v and not v.get("available", True)), "reference results missing")
    print(f"PyTorch/NumPy side not measured: {note}")
print(f"Reference: PyTorch {machine.get('torch', '?')}, NumPy {machine.get('numpy', '?')}, BLAS: {blas}; "
      f"CPU: {machine.get('cpu', '?')}, {machine.get('logical_processors', '?')} logical processors")
if "reference" in blas.lower() or (machine.get("openblas_core") in ("Prescott", "Core2", "Nehalem")):
    print("WARNING: the BLAS baseline is not an optimized one on this machine; ratios against it overstate MyTorch. "
          "See bench/README.md (OpenBLAS, OPENBLAS_CORETYPE).")
loads = load_averages()
if loads:
    print(f"Machine load (1-minute load average before each command, {len(loads)} commands): "
          f"min {min(loads):.1f}, median {statistics.median(loads):.1f}, max {max(loads):.1f} "
          f"on {machine.get('logical_processors', '?')} logical processors. Above the processor count, other work "
          "competed for the cores: trust the best:best column more than the medians, and run again.")
checks = [c for name in sorted(os.listdir(OUT)) if name.endswith(".json") and name.startswith(("mytorch-", "cores-"))
          for c in core_checks(load(name[:-5]))]
if checks:
    whole = sum(whole_cores(c) for c in checks)
    scalings = [c["scaling"]["median"] for c in checks]
    print(f"Core checks ({checks[0]['threads']} threads' FMA throughput against one thread's, around the multi-threaded "
          f"runs): {len(checks)} checks, scaling median {statistics.median(scalings):.2f}x, min {min(scalings):.2f}x, "
          f"max {max(scalings):.2f}x; whole cores (>= {WHOLE_CORES * checks[0]['threads']:.1f}x) in {whole} of them.")
    if whole < len(checks):
        print("WARNING: in some checks the threads shared cores: the host gave this machine less than its "
              f"{checks[0]['threads']} cores for part of the run. Multi-threaded figures from then describe a smaller "
              "machine, and a ratio between two runs taken minutes apart may compare two machines. Each round's worst "
              "check is in its note.")
print("ratio = MyTorch median / reference median (the verdict); best:best = ratio of the best repetitions.")
headers = ("metric", "MyTorch", "PyTorch/BLAS", "ratio", "best:best", "target", "", "note")
section = None
widths = (60, 10, 12, 7, 9, 22, 4)
for row in rows:
    if row["section"] != section:
        section = row["section"]
        print()
        print(section)
        print("  " + "".join(h.ljust(w + 1) for h, w in zip(headers, widths + (0,))).rstrip())
    ratio = f"{row['ratio']:.2f}x" if row["ratio"] is not None else "-"
    best_ratio = f"{row['best_ratio']:.2f}x" if row.get("best_ratio") is not None else ""
    cells = (row["metric"], fmt(row["mytorch"]), fmt(row["reference"]), ratio, best_ratio, row["target"], row["verdict"], row["note"])
    print("  " + "".join(str(c).ljust(w + 1) for c, w in zip(cells, widths + (0,))).rstrip())
print()
with open(os.path.join(OUT, "comparison.json"), "w") as f:
    json.dump({"reference_machine": machine, "load_averages": loads, "core_checks": checks, "rows": rows}, f, indent=2)
