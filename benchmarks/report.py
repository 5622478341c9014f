"""The runner's output: the markdown tables, the targets of WORKLOADS.md, the bar chart."""
import math
import textwrap

from benchmarks.systems import SYSTEMS

COMPILED = [s.key for s in SYSTEMS if s.compiled]
LABELS = {s.key: s.label for s in SYSTEMS}


def fmt_time(seconds):
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def fmt_ratio(ratio):
    if ratio is None or not math.isfinite(ratio):
        return "—"
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.0f}×"


def figure(case, system, field="min_s"):
    result = case["results"].get(system)
    if result is None or result["status"] != "ok":
        return None
    return result.get(field)


def ratio(case, system):
    value, base = figure(case, system), figure(case, case["baseline"])
    return value / base if value is not None and base else None


def columns(data):
    """The systems that ran, in table order."""
    return [s.key for s in SYSTEMS if data["systems"][s.key]["run"]]


def cell(case, system, with_ratio=True, field="min_s"):
    result = case["results"].get(system)
    if result is None:
        return "—"
    status = result["status"]
    if status == "skipped":
        return "skipped"
    if status != "ok":
        return f"**{status.upper()}**"
    text = fmt_time(result[field])
    if with_ratio:
        text += f" ({fmt_ratio(ratio(case, system))})"
    return text


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def targets(data):
    """WORKLOADS.md's targets for functrans, each met, missed or not measurable (None)."""
    cases = {c["id"]: c for c in data["cases"]}
    out = []

    def check(text, ours, theirs, met):
        out.append({"target": text, "functrans": ours, "reference": theirs,
                    "met": None if ours is None or theirs is None else bool(met(ours, theirs))})

    def get(case_id, system, field="min_s"):
        case = cases.get(case_id)
        return figure(case, system, field) if case else None

    for case_id in ("W1 f64", "W1 f32", "W2"):
        check(f"{case_id}: jit ≤ JAX jit", get(case_id, "functrans-jit"),
              get(case_id, "jax-jit"), lambda a, b: a <= b)
        check(f"{case_id}: eager ≤ 1.1× NumPy", get(case_id, "functrans"),
              get(case_id, "numpy"), lambda a, b: a <= 1.1 * b)
    for case_id in ("W3 f64", "W3 f32"):
        check(f"{case_id}: jit step ≤ JAX jit", get(case_id, "functrans-jit"),
              get(case_id, "jax-jit"), lambda a, b: a <= b)
    check("W3 f64: eager step < autograd", get("W3 f64", "functrans"),
          get("W3 f64", "autograd"), lambda a, b: a < b)
    check("W3 f64: compile (first call) ≤ JAX jit's", get("W3 f64", "functrans-jit", "first_call_s"),
          get("W3 f64", "jax-jit", "first_call_s"), lambda a, b: a <= b)
    w3 = (data.get("processes") or {}).get("w3", {})
    warm = w3.get("functrans-jit (warm disk cache)", {}).get("first_call_s")
    check("W3: first call in a new process, warm disk cache < 0.1 s", warm, 0.1,
          lambda a, b: a < b)
    check("W4: jit ≤ JAX jit", get("W4", "functrans-jit"), get("W4", "jax-jit"),
          lambda a, b: a <= b)
    check("W4: jit ≤ 2× NumPy closed form", get("W4", "functrans-jit"), get("W4", "numpy"),
          lambda a, b: a <= 2 * b)
    check("W5a: eager gradient ≥ 5× faster than autograd", get("W5a", "functrans"),
          get("W5a", "autograd"), lambda a, b: 5 * a <= b)
    check("W5b: jit call overhead < 2 µs", get("W5b", "functrans-jit"), 2e-6, lambda a, b: a < b)
    check("W6: jit ≤ JAX jit", get("W6", "functrans-jit"), get("W6", "jax-jit"),
          lambda a, b: a <= b)
    check("W6: eager < autograd", get("W6", "functrans"), get("W6", "autograd"),
          lambda a, b: a < b)
    for case_id in ("W7 sgd", "W7 adam"):
        check(f"{case_id}: jit ≤ JAX jit", get(case_id, "functrans-jit"),
              get(case_id, "jax-jit"), lambda a, b: a <= b)
        check(f"{case_id}: jit ≤ NumPy", get(case_id, "functrans-jit"),
              get(case_id, "numpy"), lambda a, b: a <= b)
    for case_id in [c for c in cases if c != "W5b"]:
        jax_first = get(case_id, "jax-jit", "first_call_s")
        for field, label in (("first_result_s", "first result (tiered default)"),
                             ("first_call_s", "compile (synchronous first call)")):
            first = get(case_id, "functrans-jit", field)
            if first is not None:
                check(f"{case_id}: {label} ≤ 1 s and ≤ 5× JAX's first call", first, jax_first,
                      lambda a, b: a <= 1.0 and a <= 5 * b)
    imports = (data.get("processes") or {}).get("imports", {})
    functrans_import = imports.get("functrans", {})
    check("import functrans < 0.5 s", functrans_import.get("seconds"), 0.5, lambda a, b: a < b)
    if functrans_import:
        out.append({"target": "import functrans does not import numba",
                    "functrans": functrans_import.get("numba_imported"), "reference": False,
                    "met": not functrans_import.get("numba_imported")})
    return out


def blas_text(blas):
    if not blas or "libraries" not in blas:
        return "not reported"
    text = "; ".join(f"{k['internal_api']} {k['version']} ({k['prefix']}): {k['architecture']}"
                     f", {k['num_threads']} threads" for k in blas["libraries"])
    pinned = blas.get("pinned")
    return text + (" — pinned by " + ", ".join(f"{k}={v}" for k, v in pinned.items())
                   if pinned else " — unpinned")


def markdown(data):
    systems = columns(data)
    machine = data["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in data["versions"].items() if v)
    lines = [
        f"# functrans benchmarks, {data['date']}",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory']}, "
        f"{machine['platform']}, Python {machine['python']}. Threads: "
        + ", ".join(f"{k} {v}" for k, v in data["threads"].items()) + ".",
        f"Versions: {versions}.",
        "BLAS kernels (threadpoolctl): " + blas_text(data.get("blas")) + ".",
        f"Sizes: {data['mode']['size']} ({data['mode']['sizes']}); JAX with float64 enabled, on "
        "device arrays; gc off while timing; OMP_WAIT_POLICY="
        f"{data.get('omp_wait_policy')}. Absolute times vary run to run on a shared "
        "machine: compare ratios within one run.",
        "",
        "## Steady state: minimum time per call (ratio to the workload's baseline)",
        "",
    ]
    header = ["workload", "baseline"] + [LABELS[s] for s in systems]
    rows = [[c["id"], c["baseline_label"]] + [cell(c, s) for s in systems] for c in data["cases"]]
    lines += [table(header, rows), ""]
    lines += ["## Median time per call", ""]
    rows = [[c["id"], c["baseline_label"]] + [cell(c, s, False, "median_s") for s in systems]
            for c in data["cases"]]
    lines += [table(header, rows), ""]

    compiled = [s for s in COMPILED if s in systems]
    if compiled:
        lines += ["## First call (trace + compile) of the jitted systems, in this process", "",
                  "numba and JAX were initialised on a trivial function first "
                  f"({', '.join(f'{k} {fmt_time(v)}' for k, v in data['backend_init_s'].items())}"
                  "), so these are the workload's own compile times.", ""]
        rows = [[c["id"]] + [fmt_time(figure(c, s, "first_call_s")) if s in c["results"]
                             else "—" for s in compiled]
                + [fmt_time(figure(c, "functrans-jit", "first_result_s"))] for c in data["cases"]]
        lines += [table(["workload"] + [LABELS[s] for s in compiled]
                        + ["functrans jit, tiered default: first result"], rows), "",
                  "functrans jit's first column compiles before the first call "
                  "(`background_compile=False`); the last is jit's default, where a new "
                  "function's first call runs on the interpreter while numba compiles "
                  "elsewhere.", ""]

    processes = data.get("processes")
    if processes:
        lines += ["## Fresh processes: imports, W3 start-up, peak memory", ""]
        rows = [[f"`import {m}`", fmt_time(r["seconds"]),
                 "yes" if r["numba_imported"] else "no"]
                for m, r in processes["imports"].items()]
        lines += [table(["import", "time", "imports numba"], rows), ""]
        rows = []
        for label, r in processes["w3"].items():
            if "error" in r:
                rows.append([label, "**ERROR**", "", "", ""])
                continue
            if "from_disk_cache" in r:
                label += " — loaded from disk" if r["from_disk_cache"] else " — compiled"
            if r.get("kernel_ready_s") is not None:
                label += (f" (first result from the interpreter; compile_after=0, kernel ready "
                          f"{fmt_time(r['kernel_ready_s'])} after the first call began)")
            rows.append([label, fmt_time(r["import_s"]), fmt_time(r["first_call_s"]),
                         fmt_time(r["steady_min_s"]), f"{r['peak_rss_mib']:.0f} MiB"])
        lines += ["W3 float64 step, one process each (the first call of functrans jit includes "
                  "importing numba unless said otherwise; peak RSS is the process's VmHWM):", "",
                  table(["W3 process", "import", "first call", "later steps (min)",
                         "peak RSS"], rows), ""]

    lines += ["## Targets of WORKLOADS.md", ""]
    rows = []
    for t in data["targets"]:
        verdict = {True: "met", False: "**missed**", None: "not measured"}[t["met"]]
        ours, theirs = t["functrans"], t["reference"]
        rows.append([t["target"], fmt_time(ours) if isinstance(ours, float) else str(ours),
                     fmt_time(theirs) if isinstance(theirs, float) else str(theirs), verdict])
    lines += [table(["target", "functrans", "reference", "verdict"], rows), ""]

    lines += ["## Notes", ""]
    for note in data["skipped"]:
        lines.append(f"- Skipped: {note}")
    for c in data["cases"]:
        notes = [f"{LABELS[k]}: {r['note']}" for k, r in c["results"].items() if r.get("note")]
        extras = [f"{label} {fmt_time(v['min_s'])}" for label, v in c["extras"].items()]
        if notes or extras:
            lines.append(f"- {c['id']}: " + "; ".join(notes + extras) + ".")
    for c in data["cases"]:
        for k, r in c["results"].items():
            if r["status"] in ("mismatch", "error"):
                lines.append(f"- **{r['status'].upper()}** {c['id']} / {LABELS[k]}: "
                             f"{r.get('message', '')}")
    lines.append(f"- Whole run: {data['elapsed_s']:.0f} s.")
    return "\n".join(lines) + "\n"


def chart(data, path):
    """A bar chart of each system's ratio to the baseline per workload; returns a note if
    matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed: no chart (pip install matplotlib)"
    systems = [s for s in columns(data) if s != "numpy"]
    cases = data["cases"]
    width = 0.8 / max(1, len(systems))
    figure_, axes = plt.subplots(figsize=(max(12, 1.7 * len(cases)), 6))
    colours = plt.get_cmap("tab10")
    for index, system in enumerate(systems):
        xs, ys = [], []
        for position, case in enumerate(cases):
            value = ratio(case, system)
            if value is not None:
                xs.append(position - 0.4 + width * (index + 0.5))
                ys.append(value)
        bar_colour = colours(index % 10)
        bars = axes.bar(xs, ys, width, label=LABELS[system], color=bar_colour)
        if system.startswith("functrans"):
            for bar in bars:
                bar.set_edgecolor("black")
                bar.set_linewidth(1.0)
    axes.axhline(1.0, color="black", linewidth=0.8)
    axes.set_yscale("log")
    axes.set_xticks(range(len(cases)))
    axes.set_xticklabels([c["id"] + "\n" + textwrap.fill(f"vs {c['baseline_label']}", 14)
                          for c in cases], fontsize=8)
    axes.set_ylabel("time / baseline time (log; lower is faster)")
    axes.set_title(f"functrans and peers, {data['date']}, {data['machine']['cores']} cores "
                   f"({data['mode']['size']} sizes; minimum times)")
    axes.legend(fontsize=8, ncol=2)
    figure_.tight_layout()
    figure_.savefig(path, dpi=120)
    plt.close(figure_)
    return None
