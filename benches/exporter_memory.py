#!/usr/bin/env python3
"""Peak memory of rss-exporter scraped on a large namespace.

    benches/exporter_memory.py                  # 100,000 pairs -> BENCHMARKS.md
    benches/exporter_memory.py 10000 --out /tmp/e.md

Needs root (the farm is a network namespace) and GNU time. Builds
rss-exporter and the farm (release), holds PAIRS established loopback
pairs in the namespace rss-exp-mem, and runs
`/usr/bin/time -v rss-exporter -N rss-exp-mem --listen 127.0.0.1:PORT`
with its default options (the doctor's sampler every 10 s, the process
map every 30 s). Then, for each concurrency C of --concurrency, --rounds
rounds of C simultaneous `GET /metrics`; each scrape must answer 200 with
the farm's established sockets in `rss_sockets`. Then a scrape every 5 s
until --min-seconds have passed, so that the sampler and the process map
run several times. Last, SIGTERM; GNU time's
"Maximum resident set size" is the peak of the whole run.

The report (machine, commit, load average, the scrapes' times and sizes,
the peak) goes between the `exporter:begin` / `exporter:end` markers of
--out (default BENCHMARKS.md). deploy/rss-exporter.service's MemoryMax
is set from it.
"""

import argparse
import concurrent.futures
import datetime
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

from benchkit import ROOT, Farm, log, machine, write_section

EXPORTER = os.path.join(ROOT, "target", "release", "rss-exporter")
NS = "rss-exp-mem"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(url):
    """One GET: seconds, bytes, and the established TCP sockets it counts."""
    t = time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as r:
        status = r.status
        body = r.read().decode()
    secs = time.perf_counter() - t
    if status != 200:
        raise RuntimeError(f"{url}: status {status}")
    est = sum(float(m.group(1)) for m in re.finditer(
        r'^rss_sockets\{[^}]*table="tcp"[^}]*state="established"[^}]*\} (\S+)$', body, re.M))
    return secs, len(body), int(est)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pairs", nargs="?", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=6, help="rounds per concurrency (default 6)")
    ap.add_argument("--concurrency", default="1,4,8", help="simultaneous scrapes per round (default 1,4,8)")
    ap.add_argument("--min-seconds", type=int, default=75,
                    help="keep the exporter running (a scrape every 5 s) at least this long (default 75)")
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    ap.add_argument("--no-build", action="store_true", help="use the binaries already built")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("exporter_memory.py: needs root (the farm is a network namespace)")
    if not os.path.exists("/usr/bin/time"):
        sys.exit("exporter_memory.py: /usr/bin/time is missing (apt-get install time)")
    if os.path.exists(f"/run/netns/{NS}"):
        sys.exit(f"exporter_memory.py: /run/netns/{NS} exists: another farm is running")
    if not args.no_build:
        log("building rss-exporter and the farm (release)")
        subprocess.run(["cargo", "build", "--release", "-p", "rss", "--example", "farm"], cwd=ROOT, check=True)
        subprocess.run(["cargo", "build", "--release", "-p", "rss-exporter"], cwd=ROOT, check=True)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    commit += "+dirty" if dirty else ""
    levels = [int(c) for c in args.concurrency.split(",")]
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M")
    load0 = os.getloadavg()[0]
    log(f"== {args.pairs} pairs: building the farm")
    farm = Farm(args.pairs, NS)
    rows = []
    try:
        port = free_port()
        url = f"http://127.0.0.1:{port}/metrics"
        timing = os.path.join(ROOT, "target", "exporter-memory.time")
        argv = ["/usr/bin/time", "-v", "-o", timing, EXPORTER, "-N", NS, "--listen", f"127.0.0.1:{port}"]
        log("$ " + " ".join(argv[4:]))
        exporter = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            began = time.monotonic()
            deadline = began + 120
            while True:
                try:
                    scrape(url)
                    break
                except OSError:
                    if exporter.poll() is not None:
                        sys.exit(f"rss-exporter exited with status {exporter.returncode} before it answered")
                    if time.monotonic() > deadline:
                        sys.exit(f"rss-exporter did not answer {url} within 120 s")
                    time.sleep(0.5)
            for c in levels:
                secs, sizes, counts = [], [], []
                with concurrent.futures.ThreadPoolExecutor(c) as pool:
                    for r in range(args.rounds):
                        for s, n, est in pool.map(scrape, [url] * c):
                            secs.append(s)
                            sizes.append(n)
                            if est != 2 * args.pairs:
                                sys.exit(f"a scrape counted {est} established TCP sockets, "
                                         f"not the farm's {2 * args.pairs}")
                            counts.append(est)
                        log(f"   {c} at once, round {r + 1}: {statistics.median(secs):.2f} s median so far")
                rows.append({"c": c, "scrapes": len(secs), "median_s": statistics.median(secs),
                             "max_s": max(secs), "bytes": statistics.median(sizes),
                             "established": (min(counts), max(counts))})
            # Long enough for the sampler and the process map to run
            # several times: one scrape every 5 s until --min-seconds.
            while time.monotonic() - began < args.min_seconds:
                time.sleep(5)
                scrape(url)
        finally:
            # SIGTERM to rss-exporter, GNU time's child: time then reports.
            with open(f"/proc/{exporter.pid}/task/{exporter.pid}/children") as f:
                for child in f.read().split():
                    os.kill(int(child), signal.SIGTERM)
            exporter.wait(timeout=60)
    finally:
        farm.stop()
    with open(timing) as f:
        peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read()).group(1))
    finished = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M")
    info = machine("/usr/bin/true")
    lines = [
        "<!-- exporter:begin -->",
        "## Exporter memory",
        "",
        "Generated by `benches/exporter_memory.py` (rerun it; it rewrites only this section). "
        f"As root, from the repository root: `benches/exporter_memory.py {' '.join(sys.argv[1:])}`".rstrip() + "",
        "",
        f"Commit {commit}; {info['cpu']}, {info['nproc']} cores, {info['mem_gib']} GiB, kernel {info['kernel']}; "
        f"run {started} to {finished} (UTC), load average {load0:.2f} at start, {os.getloadavg()[0]:.2f} at the end. "
        f"A farm of {args.pairs:,} established loopback pairs in one namespace; `rss-exporter -N {NS}` "
        "(release, default options: the doctor's sampler every 10 s, the process map every 30 s) "
        f"under `/usr/bin/time -v`, scraped in rounds of simultaneous `GET /metrics` ({args.rounds} rounds "
        f"per row), then once every 5 s until {args.min_seconds} s had passed (the sampler and the process map "
        "ran several times), then SIGTERM.",
        "",
        "| scrapes at once | scrapes | median time | slowest | body | established TCP sockets counted |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lo, hi = r["established"]
        est = f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"
        lines.append(f"| {r['c']} | {r['scrapes']} | {r['median_s']:.2f} s | {r['max_s']:.2f} s | "
                     f"{r['bytes'] / 1024:.0f} KiB | {est} |")
    lines += [
        "",
        f"Peak resident set size of the whole run: **{peak:,} KiB ({peak / 1024:.0f} MiB)**. "
        "Concurrent requests for one exposition format share one scrape (single-flight), so the "
        "peak does not grow with the number of scrapers; it grows with the sockets in a namespace.",
        "<!-- exporter:end -->",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    write_section(args.out, text, "exporter")
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
