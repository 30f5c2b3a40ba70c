#!/usr/bin/env python3
"""Scale benchmark (issue 20): `phalanx devnet` at several cluster sizes, a table and a PNG plot of CPU and RSS per node.

For each size: a 4-node, 3-of-4 devnet whose validators sit among --total-validators simulated ones (realistic duties
per slot), 12-s slots, --slots slots. The node processes' CPU is sampled when the chain starts ("devnet: genesis")
and taken again from the devnet's report at the end, so "CPU per node" is the share of one core spent while the
chain ran (key loading and lock verification before genesis are reported apart). Writes OUT/scale.csv, OUT/scale.md
(a markdown table) and OUT/scale.png (gnuplot; Debian package gnuplot-nox, installed when missing and root), and keeps each run's
report-MODE-N.json and devnet-MODE-N.log there.

    bench/scale/scale_bench.py build/ci/bin/phalanx --mode embedded --sizes 1000,3000,10000 --slots 64 --out /tmp/scale
    bench/scale/scale_bench.py --plot-only --out /tmp/scale   # re-plot an existing scale.csv
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

TICK = os.sysconf("SC_CLK_TCK")


def children(pid):
    """Every descendant pid of `pid` with its command line."""
    out = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            with open(f"/proc/{p}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        out[int(p)] = (ppid, cmd)
    desc, frontier = {}, {pid}
    while frontier:
        nxt = {p for p, (pp, _) in out.items() if pp in frontier and p not in desc}
        for p in nxt:
            desc[p] = out[p][1]
        frontier = nxt
    return desc


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def run_one(binary, mode, size, total, slots, workdir, out):
    delay = max(20, (size + 999) // 1000 * 30)
    report = os.path.join(out, f"report-{mode}-{size}.json")  # kept beside the table
    cmd = [binary, "devnet", "--mode", mode, "--validators", str(size), "--total-validators", str(total),
           "--genesis-delay", f"{delay}s", "--slots", str(slots), "--slot-duration", "12s",
           "--report", report, "--dir", os.path.join(workdir, f"net-{mode}-{size}")]
    log = open(os.path.join(out, f"devnet-{mode}-{size}.log"), "w")
    print(f"[scale] {mode} {size}: {' '.join(cmd)}", flush=True)
    t0 = time.time()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    at_genesis = {}
    for line in p.stdout:
        log.write(line)
        if not at_genesis and line.startswith("devnet: genesis"):
            for pid, c in children(p.pid).items():
                if " run " in c:  # the node processes (not the VC simulators)
                    try:
                        at_genesis[pid] = cpu_seconds(pid)
                    except OSError:
                        pass
    rc = p.wait()
    wall = time.time() - t0
    log.close()
    d = json.load(open(report))
    exact = [r for r in d["duties"] if not r["expected_is_upper_bound"]]
    exp = sum(r["expected"] for r in exact)
    done = sum(min(r["completed"], r["expected"]) for r in exact)
    rej = sum(r["rejected"] for r in d["duties"])
    nodes = {k: v for k, v in d.get("resources", {}).items() if k.startswith("node")}
    chain_s = slots * 12.0
    cpu_total = [v["cpu_s"] for v in nodes.values()]
    # CPU before genesis per node (the node processes sampled at "devnet: genesis"; their mean is subtracted).
    pre = list(at_genesis.values())
    pre_mean = sum(pre) / len(pre) if pre else 0.0
    chain_cpu = [c - pre_mean for c in cpu_total]
    lat = d["latency_ms"]
    row = {
        "mode": mode, "validators": size, "slots": slots, "rc": rc, "wall_s": round(wall),
        "duties_done": done, "duties_expected": exp, "rejected": rej,
        "cpu_before_genesis_s": round(pre_mean, 1),
        "cpu_chain_pct_mean": round(100 * sum(chain_cpu) / len(chain_cpu) / chain_s, 2) if chain_cpu else 0,
        "cpu_chain_pct_max": round(100 * max(chain_cpu) / chain_s, 2) if chain_cpu else 0,
        "rss_mb_max": round(max(v["peak_rss_mb"] for v in nodes.values()), 1) if nodes else 0,
        "consensus_p50": lat["consensus"]["p50"], "consensus_p90": lat["consensus"]["p90"],
        "consensus_p99": lat["consensus"]["p99"], "e2e_p50": lat["end_to_end"]["p50"],
        "e2e_p90": lat["end_to_end"]["p90"], "e2e_p99": lat["end_to_end"]["p99"],
        "load": round(os.getloadavg()[1], 1),
    }
    print(f"[scale] {row}", flush=True)
    return row


def write_table(rows, out):
    with open(os.path.join(out, "scale.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    lines = ["| mode | validators | duties done | rejected | CPU per node in the chain (mean / max, % of a core) | "
             "CPU before genesis per node | peak RSS per node | consensus p50/p90/p99 ms | end-to-end p50/p90/p99 ms | load |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['mode']} | {r['validators']:,} | {r['duties_done']:,} / {r['duties_expected']:,} | "
                     f"{r['rejected']} | {r['cpu_chain_pct_mean']} / {r['cpu_chain_pct_max']} | "
                     f"{r['cpu_before_genesis_s']} s | {r['rss_mb_max']} MB | "
                     f"{r['consensus_p50']:.1f} / {r['consensus_p90']:.1f} / {r['consensus_p99']:.1f} | "
                     f"{r['e2e_p50']:.1f} / {r['e2e_p90']:.1f} / {r['e2e_p99']:.1f} | {r['load']} |")
    with open(os.path.join(out, "scale.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def plot(out):
    if not shutil.which("gnuplot"):
        if os.geteuid() == 0:
            subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "gnuplot-nox"], check=False,
                           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if not shutil.which("gnuplot"):
            sys.exit("scale_bench: gnuplot not found (apt-get install gnuplot-nox)")
    rows = list(csv.DictReader(open(os.path.join(out, "scale.csv"))))
    modes = sorted({r["mode"] for r in rows})
    for m in modes:
        with open(os.path.join(out, f"scale-{m}.dat"), "w") as f:
            for r in sorted((r for r in rows if r["mode"] == m), key=lambda r: int(r["validators"])):
                f.write(f"{r['validators']} {r['cpu_chain_pct_mean']} {r['cpu_chain_pct_max']} {r['rss_mb_max']}\n")
    cpu = ", ".join(f"'{out}/scale-{m}.dat' using 1:2 with linespoints lw 2 title 'CPU, {m} (mean of 4 nodes)'"
                    for m in modes)
    rss = ", ".join(f"'{out}/scale-{m}.dat' using 1:4 with linespoints lw 2 title 'peak RSS, {m} (max of 4 nodes)'"
                    for m in modes)
    script = f"""
set terminal pngcairo size 1100,450 font ',10' noenhanced
set output '{out}/scale.png'
set multiplot layout 1,2 title 'Phalanx devnet, 4 nodes (3-of-4), 12-s slots, per node vs cluster validators'
set xlabel 'cluster validators'
set grid
set key top left
set ylabel 'CPU while the chain runs (% of one core)'
set yrange [0:*]
plot {cpu}
set ylabel 'peak RSS (MB)'
set yrange [0:300]
set key bottom right
set arrow from graph 0, first 268.4 to graph 1, first 268.4 nohead dt 2
set label 'target 256 MiB' at graph 0.02, first 275
plot {rss}
unset multiplot
"""
    r = subprocess.run(["gnuplot"], input=script, text=True)
    if r.returncode != 0:
        # pngcairo is not in every gnuplot build: fall back to the plain png terminal.
        subprocess.run(["gnuplot"], input=script.replace("pngcairo", "png"), text=True, check=True)
    print(f"[scale] plot: {out}/scale.png")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary", nargs="?")
    ap.add_argument("--mode", default="embedded", help="embedded, vc or both")
    ap.add_argument("--sizes", default="1000,3000,10000")
    ap.add_argument("--total-validators", type=int, default=1000000)
    ap.add_argument("--slots", type=int, default=64)
    ap.add_argument("--out", required=True)
    ap.add_argument("--plot-only", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    if not a.plot_only:
        if not a.binary:
            sys.exit("scale_bench: the phalanx binary is required")
        modes = ["embedded", "vc"] if a.mode == "both" else [a.mode]
        work = tempfile.mkdtemp(prefix="phx-scale-")
        rows = []
        for m in modes:
            for s in (int(x) for x in a.sizes.split(",")):
                rows.append(run_one(os.path.abspath(a.binary), m, s, a.total_validators, a.slots, work, a.out))
                write_table(rows, a.out)
        shutil.rmtree(work, ignore_errors=True)
    plot(a.out)


if __name__ == "__main__":
    main()
