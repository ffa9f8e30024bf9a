#!/usr/bin/env python3
"""rss against the system ss on the same sockets: wall time, peak memory.

    benches/compare.py                     # 1k, 10k and 100k pairs -> BENCHMARKS.md
    benches/compare.py 100000              # one size
    benches/compare.py 1000 --runs 10 --out /tmp/b.md   # a quick look
    benches/compare.py --baseline 032d900  # this tree against a commit, 100k pairs
    benches/compare.py --baseline HEAD~1 10000 --only=-tani,-tan   # two modes

Needs root (the farm is a network namespace), hyperfine and GNU time
(`apt-get install hyperfine time`). For each size it builds
`examples/farm.rs` (PAIRS established loopback TCP pairs, a few listeners
with no connection, UDP and unix sockets) mounted at /run/netns/rss-farm,
then for each command runs `ss -N rss-farm ARGS` and `rss -N rss-farm ARGS`:

- wall time: hyperfine -N, both commands in one invocation; the runs are
  split into short rounds (two runs of each) whose command order
  alternates, so a disturbance hits both; medians over all rounds;
- peak memory: /usr/bin/time -f %M, rss and ss alternating, median of
  --mem-runs runs, after both binaries are evicted from the page cache and
  read back by one run each (benchkit.settle: the mapped pages counted
  depend on how a file entered the cache);
- `rss bench` (library dump, no rendering) for the cost per socket.

Output goes to /dev/null. Raw hyperfine exports are kept under
target/compare/. The report (machine, command, tables, targets) is written
to --out (default BENCHMARKS.md at the repository root).

With --baseline REF it builds REF too (release, in a git worktree at
target/baseline/SHA, its own target directory target/baseline/target) and
times ss, REF's rss and this tree's rss in the same hyperfine invocations
(rounds rotate their order), on the same farm: a ratio table per size
(this tree / REF, target 1.05, and this tree / ss), printed and written
between the `baseline:begin` / `baseline:end` markers of --out (the rest of
the file is kept). Before timing, REF and this tree must print the same
rows.
"""

import argparse
import datetime
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time

from benchkit import RSS, ROOT, Farm, commit, log, machine, preflight, settle, write_section

NS = "rss-farm"  # --ns
# The ss to compare with: the ss 7.1 oracle when built (RSS_SS_ORACLE, or
# testdata/oracle/build-ss.sh target/ss-oracle), else the system's.
SS = os.environ.get("RSS_SS_ORACLE") or (
    os.path.join(ROOT, "target/ss-oracle/iproute2-7.1.0/misc/ss")
    if os.path.exists(os.path.join(ROOT, "target/ss-oracle/iproute2-7.1.0/misc/ss"))
    else "/usr/bin/ss")
EXPORT = os.path.join(ROOT, "target", "compare")

# (label, ss args, rss args, wall-time target as rss/ss by farm size in
# pairs, or None). A size not listed has no target.
COMMANDS = [
    ("-tan", "-tan", "-tan", {100000: 0.50}),
    ("-tani", "-tani", "-tani", {100000: 0.55}),
    ("-tanp", "-tanp", "-tanp", {10000: 0.25, 100000: 0.30}),
    ("-tlnp", "-tlnp", "-tlnp", {10000: 0.30, 100000: 0.30}),
    ("--version", "--version", "--version", None),
    ("-s", "-s", "-s", None),
    ("-uan", "-uan", "-uan", None),
    ("-xa", "-xa", "-xa", None),
    ("-tan sport = :PORT", "-tan sport = :{port}", "-tan sport = :{port}", {1000: 1.05, 10000: 1.05, 100000: 1.05}),
    ("-tan -j (vs ss -tan)", "-tan", "-tan -j", {1000: 1.0, 10000: 1.0, 100000: 1.0}),
]
# --baseline: every mode within this ratio of the baseline's time.
BASELINE_TARGET = 1.05
BASE_DIR = os.path.join(ROOT, "target", "baseline")
# Streaming output: peak memory at the largest size within 4 MiB of the smallest.
FLAT = [("-tan -j", "-tan -j"), ("-tanH", "-tanH")]
FLAT_SLACK_KIB = 4 * 1024


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


def facts():
    """The machine, the tools and the commit measured."""
    return {
        **machine(SS),
        "hyperfine": sh(["hyperfine", "--version"]).strip(),
        "rustc": sh(["rustc", "--version"]).strip(),
        # The commit measured ("+dirty" with uncommitted changes but the reports).
        "commit": commit(),
    }


def one_run(argv):
    t = time.perf_counter()
    # A command that fails is not timed: stop (non-zero exit of this script).
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def rows(text):
    """A table's rows, whitespace-normalised and sorted; the header, the
    diag tools' own netlink rows and the indented detail lines of -i/-e/-m
    (their timers and counters move between two runs) left out."""
    out = []
    for line in text.splitlines()[1:]:
        if line[:1].isspace():
            continue
        words = line.split()
        if words and not (words[0] == "nl"):
            out.append(" ".join(words))
    return sorted(out)


def rows_of(label, cmd):
    """What two versions of rss must print alike: `rows`, the length of a
    JSON array, or for -s the counter names."""
    out = subprocess.run(shlex.split(cmd), check=True, text=True, capture_output=True).stdout
    if " -j" in cmd:
        return len(json.loads(out))
    if label == "-s":
        return [l.split(":")[0] for l in out.splitlines()]
    if label == "--version":
        return len(out.splitlines())
    return rows(out)


def same_rows(label, ss_cmd, rss_cmd):
    """Before timing: both print the same rows (for -j, as many sockets as
    ss has rows; for -s, the same counter lines; for --version, one line).
    Raises otherwise."""
    ss_out = subprocess.run(shlex.split(ss_cmd), check=True, text=True, capture_output=True).stdout
    rss_out = subprocess.run(shlex.split(rss_cmd), check=True, text=True, capture_output=True).stdout
    if " -j" in rss_cmd:
        n = len(json.loads(rss_out))
        ok = n == len(rows(ss_out))
    elif label == "--version":
        # One line each (their words differ by nature).
        ok = len(ss_out.splitlines()) == len(rss_out.splitlines()) == 1
    elif label == "-s":
        ok = [l.split(":")[0] for l in ss_out.splitlines()] == [
            l.split(":")[0] for l in rss_out.splitlines()]
    else:
        ok = rows(ss_out) == rows(rss_out)
    if not ok:
        raise RuntimeError(f"{label}: rss and ss do not print the same rows; not timing them")


def hyperfine(label, cmds, runs, warmup, size):
    """Median wall time of each of `cmds` over rounds that rotate their
    order, in the same hyperfine invocations; raw exports kept. Returns
    ([median wall time per command], runs per command, [median CPU time
    (user + system) per command, over the rounds' means])."""
    # A slow command (ss -tanp at 100k takes ~30 s) gets fewer runs: about
    # a minute per command, at least 5 runs each.
    probe = sum(one_run(shlex.split(c)) for c in cmds)
    n = max(5, min(runs, int(60 * len(cmds) / max(probe, 1e-3))))
    # Short rounds (two runs of each command), so that a change of load
    # on the machine falls on every command alike.
    rounds = max(1, min(15, n // 2))
    per = max(1, round(n / rounds))
    times = {c: [] for c in cmds}
    cpu = {c: [] for c in cmds}
    os.makedirs(EXPORT, exist_ok=True)
    for r in range(rounds):
        k = r % len(cmds)
        order = cmds[k:] + cmds[:k]
        out = os.path.join(EXPORT, f"{size}-{slug(label)}-{len(cmds)}-{r}.json")
        cmd = ["hyperfine", "-N", "--style", "none", "--warmup", str(warmup if r == 0 else 1),
               "--runs", str(per), "--export-json", out, *order]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out) as f:
            for res in json.load(f)["results"]:
                times[res["command"]].extend(res["times"])
                cpu[res["command"]].append(res["user"] + res["system"])
    return ([statistics.median(times[c]) for c in cmds], len(times[cmds[0]]),
            [statistics.median(cpu[c]) for c in cmds])


def peak_kib(argv, runs):
    vals = []
    for _ in range(runs):
        p = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"{argv} exited with status {p.returncode}")
        vals.append(int(p.stderr.strip().splitlines()[-1]))
    return statistics.median(vals)


def peaks(cmds, runs):
    """Median peak RSS (KiB) of each of `cmds`, runs alternating, after their
    binaries are put in one page-cache state (benchkit.settle)."""
    settle(sorted({shlex.split(c)[0] for c in cmds}))
    vals = [[] for _ in cmds]
    for _ in range(runs):
        for v, c in zip(vals, cmds):
            v.append(peak_kib(shlex.split(c), 1))
    return [statistics.median(v) for v in vals]


def slug(s):
    return "".join(c if c.isalnum() else "_" for c in s).strip("_")


def selected(args):
    """COMMANDS, or those named by --only."""
    if not args.only:
        return COMMANDS
    known = [c[0] for c in COMMANDS]
    bad = [o for o in args.only if o not in known]
    if bad:
        sys.exit(f"compare.py: --only {bad[0]!r}: not one of {known}")
    return [c for c in COMMANDS if c[0] in args.only]


def measure_size(pairs, args, base=None):
    """One farm of `pairs` pairs; every selected command timed. With `base`
    (the baseline's rss binary) it is timed beside this tree's and ss."""
    log(f"== {pairs} pairs: building the farm")
    extra = max(100, min(5000, pairs // 20))
    farm = Farm(pairs, NS, ["--udp", str(extra), "--unix", str(extra)])
    try:
        port = farm.facts["listen_ports"].split()[0]
        tcp = int(farm.facts["tcp_sockets"])
        log(f"   {tcp} TCP sockets, {farm.facts.get('udp_sockets')} UDP, "
            f"{farm.facts.get('unix_sockets')} unix; built in {farm.facts.get('build_seconds')} s")
        rows = []
        for label, ss_args, rss_args, target in selected(args):
            ss_cmd = f"{SS} -N {NS} " + ss_args.format(port=port)
            rss_cmd = f"{RSS} -N {NS} " + rss_args.format(port=port)
            log(f"   {label}")
            same_rows(label, ss_cmd, rss_cmd)
            if base:
                base_cmd = f"{base} -N {NS} " + rss_args.format(port=port)
                same_rows(label, ss_cmd, base_cmd)
                if rows_of(label, base_cmd) != rows_of(label, rss_cmd):
                    raise RuntimeError(f"{label}: the baseline and this tree do not print the same rows")
                (ss_t, base_t, rss_t), n, (_, base_c, rss_c) = hyperfine(
                    label, [ss_cmd, base_cmd, rss_cmd], args.runs, args.warmup, pairs)
                ss_m, base_m, rss_m = peaks([ss_cmd, base_cmd, rss_cmd], args.mem_runs)
                rows.append({"label": label, "ss_cmd": ss_cmd, "base_cmd": base_cmd,
                             "rss_cmd": rss_cmd, "ss_s": ss_t, "base_s": base_t, "rss_s": rss_t,
                             "runs": n, "ss_kib": ss_m, "base_kib": base_m, "rss_kib": rss_m,
                             "base_cpu": base_c, "rss_cpu": rss_c})
                continue
            (ss_t, rss_t), n, _ = hyperfine(label, [ss_cmd, rss_cmd], args.runs, args.warmup, pairs)
            ss_m, rss_m = peaks([ss_cmd, rss_cmd], args.mem_runs)
            rows.append({"label": label, "ss_cmd": ss_cmd, "rss_cmd": rss_cmd,
                         "target": (target or {}).get(pairs),
                         "ss_s": ss_t, "rss_s": rss_t, "runs": n, "ss_kib": ss_m, "rss_kib": rss_m})
        if base:
            return {"pairs": pairs, "tcp_sockets": tcp, "facts": farm.facts, "rows": rows}
        flat = {}
        for label, rss_args in FLAT:
            flat[label] = peak_kib(shlex.split(f"{RSS} -N {NS} {rss_args}"), args.mem_runs)
        bench = json.loads(sh([RSS, "bench", "-N", NS, "-ti", "--runs", str(args.bench_runs), "-j"]))
        return {"pairs": pairs, "tcp_sockets": tcp, "facts": farm.facts, "rows": rows,
                "flat": flat, "bench": bench["results"]}
    finally:
        farm.stop()


def fmt_s(s):
    return f"{s * 1e3:.1f} ms" if s < 10 else f"{s:.2f} s"


def verdict(ok):
    return "met" if ok else "**missed**"


def report(results, info, argv, started, finished, loads):
    big = results[-1]
    out = []
    w = out.append
    w("# Benchmarks: rss against ss\n")
    w("Generated by `benches/compare.py` (do not edit by hand; rerun it). "
      "Reproduce with, as root, from the repository root:\n")
    w("```\n" + " ".join(["benches/compare.py", *argv]) + "\n```\n")
    w("It builds rss and `examples/farm.rs` in release mode, holds each farm in a network "
      "namespace mounted at `/run/netns/rss-farm`, and runs `ss -N rss-farm ARGS` and "
      "`rss -N rss-farm ARGS` (output to /dev/null) with hyperfine (`-N`, both commands in "
      "one invocation, rounds alternating their order; medians over all runs) and "
      "`/usr/bin/time -f %M` for peak memory (median, ss and rss alternating). "
      "Raw hyperfine exports: `target/compare/`.\n")
    w("## Machine\n")
    w(f"- CPU: {info['cpu']}, {info['nproc']} cores (shared: other builds may run; "
      f"load average {loads[0]} at start, {loads[1]} at the end)")
    w(f"- Memory: {info['mem_gib']} GiB; kernel {info['kernel']}")
    w(f"- {info['ss']}; {info['hyperfine']}; {info['rustc']}")
    w(f"- Run from {started} to {finished} (UTC), commit {info['commit']}; "
      f"ss: `{SS}`\n")
    w("A farm of N pairs holds 2N established TCP sockets plus one listener per farm "
      "process (12 at 100k pairs) and 4 listeners with no connection (the "
      "`sport = :PORT` filter matches one of those: exactly one row), plus UDP and "
      "unix sockets for `-uan` and `-xa`. `-tanp`/`-tlnp` walk every process's "
      "descriptors: the farm processes hold all the sockets.\n")

    # One table per size, largest first: each size has its own targets.
    for res in reversed(results):
        w(f"## {res['pairs']:,} pairs: {res['tcp_sockets']:,} TCP sockets\n")
        w("| command | ss | rss | rss / ss | target | | ss peak | rss peak | memory ≤ ss |")
        w("|---|---:|---:|---:|---:|---|---:|---:|---|")
        for r in res["rows"]:
            ratio = r["rss_s"] / r["ss_s"]
            tgt = f"≤ {r['target']:.2f}" if r["target"] is not None else "-"
            met = verdict(ratio <= r["target"]) if r["target"] is not None else ""
            w(f"| `{r['label']}` | {fmt_s(r['ss_s'])} | {fmt_s(r['rss_s'])} | {ratio:.2f} | {tgt} | {met} "
              f"| {r['ss_kib']:,} KiB | {r['rss_kib']:,} KiB | {verdict(r['rss_kib'] <= r['ss_kib'])} |")
        w("")
        w("Runs per command: " + ", ".join(f"`{r['label']}` {r['runs']}" for r in res["rows"]) + ".\n")

    w("## Cost per TCP socket\n")
    w("Median wall time divided by the number of TCP sockets, in microseconds "
      "(flat means linear in the table size).\n")
    head = "| command | " + " | ".join(f"ss {r['pairs'] // 1000}k | rss {r['pairs'] // 1000}k" for r in results) + " |"
    w(head)
    w("|---|" + "---:|" * (2 * len(results)))
    for i, label in enumerate(r["label"] for r in results[0]["rows"]):
        cells = []
        for res in results:
            row = res["rows"][i]
            n = res["tcp_sockets"]
            cells += [f"{row['ss_s'] / n * 1e6:.2f}", f"{row['rss_s'] / n * 1e6:.2f}"]
        w(f"| `{label}` | " + " | ".join(cells) + " |")
    w("")
    w("Library dump without rendering (`rss bench -t -i`, median of its runs), "
      "microseconds per socket:\n")
    w("| source | " + " | ".join(f"{r['pairs'] // 1000}k pairs" for r in results) + " |")
    w("|---|" + "---:|" * len(results))
    for source in ("netlink", "netlink -i", "/proc/net/tcp"):
        cells = []
        for res in results:
            b = next((x for x in res["bench"] if x["source"] == source), None)
            cells.append(f"{b['median_s'] / max(b['sockets'], 1) * 1e6:.2f}" if b else "-")
        w(f"| {source} | " + " | ".join(cells) + " |")
    w("")

    if len(results) > 1:
        small = results[0]
        w("## Streaming output: peak memory does not grow with the table\n")
        w(f"Target: at {big['pairs']:,} pairs within 4 MiB of {small['pairs']:,} pairs.\n")
        w("| rss command | " + " | ".join(f"{r['pairs'] // 1000}k pairs" for r in results) + " | growth | |")
        w("|---|" + "---:|" * len(results) + "---:|---|")
        for label, _ in FLAT:
            cells = [f"{r['flat'][label] / 1024:.1f} MiB" for r in results]
            grow = big["flat"][label] - small["flat"][label]
            w(f"| `rss {label}` | " + " | ".join(cells) + f" | {grow / 1024:+.1f} MiB | {verdict(grow <= FLAT_SLACK_KIB)} |")
        w("")
    w("## Other measurements\n")
    w("- `rss bench [-t -u -x -w -0] [-4|-6] [-a|-l] [-i] [--runs N] [-j] [-N NS]` dumps tables "
      "without rendering and prints sockets, netlink batches, bytes, min/median/max and "
      "sockets per second per source (netlink, netlink with tcp_info, the `/proc/net` files).")
    w("- Criterion (`cargo bench --bench NAME`, root for a namespace): `dump` (library dump "
      "against a bare loop that only counts netlink headers, 1k/10k/100k pairs, "
      "`RSS_DUMP_PAIRS` to change), `decode` (decoding recorded datagrams, no I/O), "
      "`render` (table and JSON into `io::sink()`).")
    w("- The machine has 2 cores shared with other work: numbers move by ±15% between runs; "
      "ratios from one run, where rss and ss alternate, are steadier than absolute times.")
    return "\n".join(out) + "\n"


def baseline_report(results, info, base, argv, started, finished, loads):
    """The `baseline:begin` section: this tree against REF and ss."""
    ref = base["ref"]
    out = []
    w = out.append
    w("<!-- baseline:begin -->\n")
    w(f"## This tree against commit {ref}\n")
    w("Generated by `benches/compare.py --baseline` (rerun it; it rewrites only this section). "
      "As root, from the repository root:\n")
    w("```\n" + " ".join(["benches/compare.py", *argv]) + "\n```\n")
    w(f"It builds commit {ref} (`{base['sha']}`) in a git worktree under `target/baseline/` "
      "and this tree, both in release mode, and runs ss, the baseline's rss and this tree's rss "
      "on one farm in the same hyperfine invocations (`-N`, rounds rotating their order; "
      "medians over all runs); peak memory is `/usr/bin/time -f %M`, the three alternating, "
      f"median of each. Target: this tree / {ref} ≤ {BASELINE_TARGET:.2f} in every mode. "
      "*CPU* is the ratio of CPU time (user + system, hyperfine's means per round, median "
      "over the rounds): on a loaded machine it moves less than wall time, which also "
      "counts the waits for a core.\n")
    w(f"Machine: {info['cpu']}, {info['nproc']} cores shared with other work (load average "
      f"{loads[0]} at start, {loads[1]} at the end), kernel {info['kernel']}; {info['ss']}; "
      f"{info['hyperfine']}; {info['rustc']}. Run from {started} to {finished} (UTC), "
      f"this tree at commit {info['commit']}.\n")
    for res in results:
        w(f"### {res['pairs']:,} pairs: {res['tcp_sockets']:,} TCP sockets\n")
        w(f"| command | ss | {ref} | this tree | this / {ref} | ≤ {BASELINE_TARGET:.2f} | CPU this / {ref} "
          f"| this / ss | ss peak | {ref} peak | this peak | runs |")
        w("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
        for r in res["rows"]:
            ratio = r["rss_s"] / r["base_s"]
            w(f"| `{r['label']}` | {fmt_s(r['ss_s'])} | {fmt_s(r['base_s'])} | {fmt_s(r['rss_s'])} "
              f"| {ratio:.2f} | {verdict(ratio <= BASELINE_TARGET)} "
              f"| {r['rss_cpu'] / max(r['base_cpu'], 1e-9):.2f} | {r['rss_s'] / r['ss_s']:.2f} "
              f"| {r['ss_kib'] / 1024:.1f} MiB | {r['base_kib'] / 1024:.1f} MiB "
              f"| {r['rss_kib'] / 1024:.1f} MiB | {r['runs']} |")
        w("")
    w("<!-- baseline:end -->")
    return "\n".join(out) + "\n"


def build_baseline(ref):
    """REF's rss, built in release mode in a worktree under target/baseline;
    returns {"ref", "sha", "bin"}."""
    sha = sh(["git", "-C", ROOT, "rev-parse", "--verify", f"{ref}^{{commit}}"]).strip()
    wt = os.path.join(BASE_DIR, sha[:12])
    if not os.path.exists(os.path.join(wt, ".git")):
        log(f"checking out {ref} ({sha[:12]}) at {wt}")
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", wt, sha], check=True)
    log(f"building {ref}'s rss (release)")
    target = os.path.join(BASE_DIR, "target")
    subprocess.run(["cargo", "build", "--release", "--bin", "rss"], cwd=wt, check=True,
                   env={**os.environ, "CARGO_TARGET_DIR": target})
    # A copy per commit: the shared target directory serves the next REF.
    binary = os.path.join(BASE_DIR, f"rss-{sha[:12]}")
    shutil.copy2(os.path.join(target, "release", "rss"), binary)
    return {"ref": ref, "sha": sha, "bin": binary}


def main():
    global NS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pairs", nargs="*", type=int,
                    help="farm sizes in established pairs (default: 1000 10000 100000; "
                         "with --baseline 100000)")
    ap.add_argument("--baseline", metavar="REF",
                    help="also build the commit REF and time its rss beside this tree's")
    ap.add_argument("--only", metavar="LABEL,...", type=lambda v: v.split(","),
                    help="only these commands, by label, comma-separated: --only=-tani,-tlnp")
    ap.add_argument("--ns", default=NS, help=f"the farm's namespace name (default {NS})")
    ap.add_argument("--runs", type=int, default=30, help="hyperfine runs per command (default 30)")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--mem-runs", type=int, default=5, help="/usr/bin/time runs per command (default 5)")
    ap.add_argument("--bench-runs", type=int, default=10, help="rss bench runs (default 10)")
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    ap.add_argument("--no-build", action="store_true", help="use the binaries already built")
    args = ap.parse_args()
    NS = args.ns
    pairs = args.pairs or ([100000] if args.baseline else [1000, 10000, 100000])
    preflight("compare.py", NS, ("hyperfine", "/usr/bin/time", SS), build=not args.no_build)
    base = build_baseline(args.baseline) if args.baseline else None
    info = facts()
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M")
    load0 = os.getloadavg()[0]
    results = [measure_size(p, args, base["bin"] if base else None) for p in sorted(pairs)]
    finished = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M")
    loads = (f"{load0:.2f}", f"{os.getloadavg()[0]:.2f}")
    argv = sys.argv[1:]
    os.makedirs(EXPORT, exist_ok=True)
    if base:
        text = baseline_report(results, info, base, argv, started, finished, loads)
        print(text)
        write_section(args.out, text, "baseline")
        with open(os.path.join(EXPORT, "baseline.json"), "w") as f:
            json.dump({"machine": info, "baseline": base, "results": results}, f, indent=1)
        log(f"wrote {args.out}")
        return
    text = report(results, info, argv, started, finished, loads)
    # Sections other scripts own (scale.py's, criterion_report.py's, the
    # --baseline run's), between `<!-- NAME:begin -->` and `<!-- NAME:end -->`,
    # are kept as they were.
    try:
        with open(args.out) as f:
            old = f.read()
    except FileNotFoundError:
        old = ""
    kept = [m.group(0) for m in re.finditer(r"<!-- (\w+):begin -->.*?<!-- \1:end -->", old, re.S)]
    if kept:
        text = text.rstrip("\n") + "\n\n" + "\n\n".join(kept) + "\n"
    with open(args.out, "w") as f:
        f.write(text)
    with open(os.path.join(EXPORT, "results.json"), "w") as f:
        json.dump({"machine": info, "results": results}, f, indent=1)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
