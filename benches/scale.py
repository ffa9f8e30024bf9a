#!/usr/bin/env python3
"""Scale to a million sockets: rss and ss at 1k, 10k, 100k and 1M sockets.

Needs root, GNU time (/usr/bin/time) and python3 with matplotlib for the
plot. From the repository root:

    benches/scale.py                       # 500 5000 50000 500000 pairs
    benches/scale.py --pairs 500 5000      # smaller
    benches/scale.py --no-build --ss-timeout 300

For each size it builds a farm (`examples/farm.rs`: N established loopback
TCP pairs = 2N sockets, held by child processes of at most 9,000 pairs,
plus 4 listeners with no connection) in a namespace mounted at
/run/netns/rss-scale, then runs every mode once per round for rss and ss
(`-N rss-scale`), output piped to a counter: wall time (spawn to exit) and
peak RSS from GNU time's `%M`, and the number of sockets printed (rows, JSON
objects, or the `TCP:` total of `-s`), which must be the same for rss and
ss. Medians over the rounds (fewer rounds at larger sizes; one at 1M).

Writes target/scale/results.json, docs/scale.png, and the section between
the `scale:begin` / `scale:end` markers of BENCHMARKS.md.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from benchkit import RSS, ROOT, Farm, commit, log, machine, preflight, settle

NS = "rss-scale"
# The ss to compare with: $SS, else the ss 7.1 oracle (RSS_SS_ORACLE, or
# built by testdata/oracle/build-ss.sh into target/ss-oracle), else the
# system's.
ORACLE = os.path.join(ROOT, "target/ss-oracle/iproute2-7.1.0/misc/ss")
SS = (os.environ.get("SS") or os.environ.get("RSS_SS_ORACLE")
      or (ORACLE if os.path.exists(ORACLE) else "/usr/bin/ss"))
OUT = os.path.join(ROOT, "target", "scale")
PNG = os.path.join(ROOT, "docs", "scale.png")
BENCH = os.path.join(ROOT, "BENCHMARKS.md")
BEGIN, END = "<!-- scale:begin -->", "<!-- scale:end -->"

# (label, ss args, rss args, how to count sockets in the output)
MODES = [
    ("-tan", "-tan", "-tan", "rows"),
    ("-tani", "-tani", "-tani", "rows"),
    ("-tanp", "-tanp", "-tanp", "rows"),
    ("-tanoiem", "-tanoiem", "-tanoiem", "rows"),
    ("-tan -j (ss: -tan)", "-tan", "-tan -j", "json"),
    ("-s", "-s", "-s", "summary"),
    ("-tan sport = :PORT", "-tan sport = :{port}", "-tan sport = :{port}", "rows"),
]

# What counts one socket in the output, as a shell filter reading stdin.
COUNTERS = {
    # Rows start at column 0; -i/-e/-m continuation lines are indented.
    "rows": "grep -vc '^[[:space:]]'",
    "json": "grep -c '^{\"netid\"'",
    "summary": "sed -n 's/^TCP: *\\([0-9]*\\).*/\\1/p'",
}


def run_once(tool, args, counter, timeout):
    """(seconds, peak KiB, sockets counted) of one run, or None on timeout.

    The tool's stdout goes through a pipe to the counter; wall time is from
    spawn to exit (of GNU time running the tool), peak memory GNU time's %M."""
    timing = os.path.join(OUT, "peak.txt")
    # GNU time reports the peak: a child forked straight from this (large)
    # Python process would count Python's own pages in its ru_maxrss.
    argv = ["/usr/bin/time", "-o", timing, "-f", "%M", tool, "-N", NS] + args.split()
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    c = subprocess.Popen(["bash", "-c", COUNTERS[counter]], stdin=p.stdout,
                         stdout=subprocess.PIPE, text=True)
    p.stdout.close()
    deadline = t0 + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            break
        if time.perf_counter() > deadline:
            # Kill GNU time's child (the tool) too: its group is GNU time's.
            os.killpg(p.pid, 9)
            os.wait4(p.pid, 0)
            c.wait()
            return None
        time.sleep(0.001)
    secs = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    out, _ = c.communicate()
    counted = int((out or "0").strip() or 0)
    if counter == "rows":
        counted -= 1  # the header
    if p.returncode != 0:
        log(f"   {' '.join(argv)}: exit status {p.returncode}")
    with open(timing) as f:
        kib = int(f.read().split()[-1])
    return secs, kib, counted


def rounds_for(sockets):
    return 5 if sockets <= 20_000 else 3 if sockets <= 200_000 else 1


def measure(pairs, ss_timeout):
    log(f"== {pairs} pairs: building the farm")
    farm = Farm(pairs, NS, stop_timeout=300)
    try:
        port = farm.facts["farm_ports"].split()[0]
        tcp = int(farm.facts["tcp_sockets"])
        log(f"   {tcp} TCP sockets, built in {farm.build_s:.1f} s")
        rows = []
        for label, ss_args, rss_args, counter in MODES:
            ss_args, rss_args = ss_args.format(port=port), rss_args.format(port=port)
            res = {"rss": [], "ss": []}
            skipped = False
            for _ in range(rounds_for(tcp)):
                for tool, name, args in ((RSS, "rss", rss_args), (SS, "ss", ss_args)):
                    if name == "ss" and skipped:
                        continue
                    # ss has no -j: its rows are counted.
                    count = "rows" if counter == "json" and name == "ss" else counter
                    r = run_once(tool, args, count, ss_timeout if name == "ss" else 3600)
                    if r is None:
                        log(f"   {name} {args}: stopped after {ss_timeout} s")
                        skipped = True
                        continue
                    res[name].append(r)
            row = {"mode": label, "counter": counter}
            for name in ("rss", "ss"):
                runs = res[name]
                if runs:
                    row[name] = {
                        "seconds": statistics.median(r[0] for r in runs),
                        "peak_kib": statistics.median(r[1] for r in runs),
                        "sockets": sorted({r[2] for r in runs}),
                        "runs": len(runs),
                    }
                else:
                    row[name] = {"timeout": ss_timeout}
            same = "sockets" in row["ss"] and row["ss"]["sockets"] == row["rss"]["sockets"]
            row["same_count"] = same
            log(f"   {label:24} rss {row['rss'].get('seconds', 0):>8.3f} s "
                f"{row['rss'].get('peak_kib', '-'):>8} KiB  "
                f"ss {row['ss'].get('seconds', -1):>8.3f} s {row['ss'].get('peak_kib', '-'):>8} KiB"
                f"  count {row['rss'].get('sockets')} / {row['ss'].get('sockets')}"
                f"{'' if same else '  DIFFERENT'}")
            rows.append(row)
        return {"pairs": pairs, "tcp_sockets": tcp, "build_seconds": round(farm.build_s, 1),
                "rows": rows}
    finally:
        t = time.perf_counter()
        farm.stop()
        log(f"   farm stopped in {time.perf_counter() - t:.1f} s")


def fmt_t(s):
    return f"{s * 1000:.0f} ms" if s < 10 else f"{s:.1f} s"


def fmt_m(kib):
    return f"{kib / 1024:.1f} MiB"


def cell(side, key, fmt):
    if "timeout" in side:
        return f"> {side['timeout']} s (stopped)" if key == "seconds" else "-"
    return fmt(side[key])


def report(results, info, started, finished):
    lines = [BEGIN, "", "## Scale to a million sockets", ""]
    w = lines.append
    w("Generated by `benches/scale.py` (rerun it; it rewrites only this section). "
      "As root, from the repository root:")
    w("")
    w("```")
    w(f"benches/scale.py --pairs {' '.join(str(r['pairs']) for r in results)}")
    w("```")
    w("")
    w("Each size is a farm (`examples/farm.rs`) of N established loopback TCP pairs "
      "(2N sockets in child processes of at most 9,000 pairs each, one listener per child, "
      "plus 4 listeners with no connection) in a namespace; `rss -N rss-scale ARGS` and "
      "`ss -N rss-scale ARGS` run alternately, output piped to a counter; wall time and "
      "peak RSS from GNU time's `%M`, medians of 5 runs up to 10k sockets, 3 at "
      "100k, 1 at 1M. *count* is whether rss and ss printed the same number of sockets "
      "(rows, JSON objects for `-j` against `ss -tan` rows, the `TCP:` total for `-s`). "
      "The kernel filter `sport = :PORT` selects the accepted sides of one farm child.")
    w("")
    w(f"Machine: {info['cpu']}, {info['nproc']} cores shared with other work, "
      f"{info['mem_gib']} GiB, kernel {info['kernel']}; {info['ss']}; "
      f"run {started} to {finished} (UTC), commit {info['commit']}.")
    w("")
    w(f"![time and peak memory against sockets](docs/scale.png)")
    w("")
    w("| sockets | mode | rss time | ss time | rss / ss | rss peak | ss peak | count |")
    w("|---:|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        for row in r["rows"]:
            rs, ss = row["rss"], row["ss"]
            ratio = (f"{rs['seconds'] / ss['seconds']:.2f}"
                     if "seconds" in ss and ss["seconds"] > 0 else "-")
            count = ("same" if row["same_count"] else
                     f"rss {rs.get('sockets')}, ss {ss.get('sockets', '-')}")
            w(f"| {r['tcp_sockets']:,} | `{row['mode']}` | {cell(rs, 'seconds', fmt_t)} | "
              f"{cell(ss, 'seconds', fmt_t)} | {ratio} | {cell(rs, 'peak_kib', fmt_m)} | "
              f"{cell(ss, 'peak_kib', fmt_m)} | {count} |")
    w("")
    w("Farm build times: " + ", ".join(
        f"{r['tcp_sockets']:,} sockets {r['build_seconds']} s" for r in results) + ".")
    w("")
    w(END)
    return "\n".join(lines) + "\n"


def plot(results):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("no matplotlib (pip install matplotlib): no plot")
        return
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(13, 5.5))
    for i, (label, *_rest) in enumerate(MODES):
        color = f"C{i}"
        for name, style in (("rss", "-"), ("ss", "--")):
            xs, ts, ms = [], [], []
            for r in results:
                row = next(x for x in r["rows"] if x["mode"] == label)
                side = row[name]
                if "seconds" in side:
                    xs.append(r["tcp_sockets"])
                    ts.append(side["seconds"])
                    ms.append(side["peak_kib"] / 1024)
            if xs:
                ax_t.plot(xs, ts, style, color=color, marker="o", ms=3, label=f"{name} {label}")
                ax_m.plot(xs, ms, style, color=color, marker="o", ms=3, label=f"{name} {label}")
    ax_t.set_yscale("log")
    for ax, title, unit in ((ax_t, "wall time", "seconds"), (ax_m, "peak memory (RSS)", "MiB")):
        ax.set_xscale("log")
        ax.set_xlabel("TCP sockets")
        ax.set_ylabel(unit)
        ax.set_title(f"{title}: rss (solid) and ss (dashed)")
        ax.grid(True, which="both", alpha=0.3)
    ax_m.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    os.makedirs(os.path.dirname(PNG), exist_ok=True)
    fig.savefig(PNG, dpi=110)
    log(f"wrote {PNG}")


def write_section(text):
    old = open(BENCH).read() if os.path.exists(BENCH) else ""
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + text.rstrip("\n") + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + text
    with open(BENCH, "w") as f:
        f.write(new)
    log(f"wrote the scale section of {BENCH}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, nargs="+", default=[500, 5000, 50000, 500000])
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--ss-timeout", type=int, default=300,
                    help="stop one ss run after this many seconds (ss -tanp at 1M takes very long)")
    a = ap.parse_args()
    preflight("scale.py", NS, build=not a.no_build)
    # Both binaries in one page-cache state before any peak is read.
    settle([RSS, SS])
    os.makedirs(OUT, exist_ok=True)
    info = {**machine(SS), "commit": commit()}
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    results = []
    for pairs in a.pairs:
        results.append(measure(pairs, a.ss_timeout))
        with open(os.path.join(OUT, "results.json"), "w") as f:
            json.dump({"info": info, "results": results}, f, indent=1)
    finished = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    plot(results)
    write_section(report(results, info, started, finished))
    bad = [(r["tcp_sockets"], x["mode"]) for r in results for x in r["rows"]
           if not x["same_count"] and "sockets" in x["ss"]]
    if bad:
        log(f"socket counts differ: {bad}")
        sys.exit(1)


if __name__ == "__main__":
    main()
