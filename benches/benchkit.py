"""What benches/compare.py and benches/scale.py share: paths, the farm
(examples/farm.rs) held open through its stdin, the machine facts, and the
checks before a run."""

import os
import platform
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RSS = os.path.join(ROOT, "target", "release", "rss")
FARM = os.path.join(ROOT, "target", "release", "examples", "farm")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def machine(ss):
    """The facts of this machine a report states, with `ss -V` of `ss`."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), cpu)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "kernel": platform.release(),
        "ss": subprocess.run([ss, "-V"], text=True, capture_output=True).stdout.strip(),
        "cpu": cpu,
        "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


def commit():
    """The commit measured, short, with "+dirty" when tracked files differ
    from it: a report names it so that its figures can be traced."""
    def git(*a):
        return subprocess.run(["git", "-C", ROOT, *a], text=True, capture_output=True).stdout.strip()
    # The reports themselves (BENCHMARKS.md, the plot) are not what is measured.
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".",
                  ":!BENCHMARKS.md", ":!docs/scale.png")
    return git("rev-parse", "--short", "HEAD") + ("+dirty" if changed else "")


def preflight(script, ns, tools=(), build=True):
    """Exits with a message unless run as root with `tools` installed and no
    farm at /run/netns/`ns`; then builds rss and the farm (release) if `build`."""
    if os.geteuid() != 0:
        sys.exit(f"{script}: needs root (the farm is a network namespace)")
    for tool in tools:
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            sys.exit(f"{script}: {tool} is missing (apt-get install hyperfine time iproute2)")
    if os.path.exists(f"/run/netns/{ns}"):
        sys.exit(f"{script}: /run/netns/{ns} exists: another farm is running")
    if build:
        log("building rss and the farm (release)")
        # Two builds: an example brings in the dev-dependencies' features,
        # and rss is measured as `cargo build --release` makes it.
        subprocess.run(["cargo", "build", "--release", "-p", "rss", "--example", "farm"], cwd=ROOT, check=True)
        subprocess.run(["cargo", "build", "--release", "-p", "rss", "--bin", "rss"], cwd=ROOT, check=True)


class Farm:
    """examples/farm.rs mounted at /run/netns/`ns`, held open through its
    stdin: `pairs` established pairs, 4 listeners with no connection, and
    the farm's further `extra` arguments. `facts` holds what it printed
    before `ready`; `build_s` how long that took."""

    def __init__(self, pairs, ns, extra=(), stop_timeout=60):
        t = time.perf_counter()
        self.args = [FARM, "--pairs", str(pairs), "--name", ns, "--listeners-only", "4", *extra]
        self.stop_timeout = stop_timeout
        self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.facts = {}
        for line in self.proc.stdout:
            line = line.strip()
            if line == "ready":
                break
            key, _, value = line.partition(" ")
            self.facts[key] = value
        else:
            self.proc.wait()
            raise RuntimeError(f"farm exited with status {self.proc.returncode} before it was ready")
        self.build_s = time.perf_counter() - t

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                self.proc.wait()


def settle(paths):
    """Puts the files `paths` (the binaries measured) in one page-cache state:
    written back, evicted, then read by one run of each. Peak memory counts
    the mapped pages of a program's file, and how many a fault maps depends
    on how the file entered the cache (a file just written by the linker or
    by `cp` sits in larger blocks than one read back by a run)."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    for path in paths:
        subprocess.run([path, "--version"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def write_section(path, text, name):
    """Replaces the `NAME:begin`..`NAME:end` section of `path` with `text`
    (appends it when there is none)."""
    try:
        with open(path) as f:
            old = f.read()
    except FileNotFoundError:
        old = ""
    pat = re.compile(rf"<!-- {name}:begin -->.*?<!-- {name}:end -->\n?", re.S)
    if pat.search(old):
        new = pat.sub(lambda _m: text, old, count=1)
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + text
    with open(path, "w") as f:
        f.write(new)
