#!/usr/bin/env python3
"""Writes crates/rss/link-order.txt: the functions rss's common commands run,
which crates/rss/build.rs has the linker place first, together.

    benches/link_order.py           # build, trace, write the file
    benches/link_order.py --check   # how much of the file the built binary has

Why: the kernel maps code 64 KiB around each page a program faults on, and
the peak memory `time -f %M` reports counts every mapped page. With the
functions of a short command spread over the whole binary, `rss -s` had
most of its 2.5 MB of code resident; grouped, a few hundred KiB.

How: builds rss (release), holds a farm of 200 loopback pairs (and, as
compare.py's farms, UDP sockets and unix sockets, one of them named) in
the namespace rss-order (`--ns`), runs each command of COMMANDS under valgrind's
callgrind (`--demangle=no`), once in this namespace and once with `-N`
in the farm's, and keeps every function callgrind saw run that the binary
defines (nm). The commands come in order of priority: each adds the
functions the ones before it did not run, most used first. The C
runtime's code that every run executes and callgrind does not name
(`_start`, which it calls "(below main)"; `frame_dummy` and the rest of
crtbegin.o's section, run from .init_array and .fini_array) comes first.
Needs root, valgrind and binutils (apt-get install valgrind binutils).

Regenerate it after a change of toolchain, of a dependency's version or of
the release profile (the mangled names carry hashes of them): a name the
binary no longer has is skipped by the linker, silently. `--check` prints
the share of the file's names the built binary still defines; compare.py
prints it with its report.
"""

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

from benchkit import RSS, ROOT, Farm, log, preflight

ORDER = os.path.join(ROOT, "crates", "rss", "link-order.txt")
NS = "rss-order"
# In order of priority: each command's functions not placed yet follow those
# of the commands before it (most used first), so the short commands, whose
# peak memory is mostly code, find theirs in the shortest prefix.
COMMANDS = [
    ["--version"], ["-s"], ["-uan"], ["-xa"], ["-tan"], ["-tan", "sport", "=", ":22"],
    ["-tani"], ["-tlnp"], ["-tanp"], ["-tan", "-j"], ["-tanH"], ["-a"], ["-tanoiem"],
    ["-tulpn"], ["-tane"], ["-ltn"], ["--help"],
]
# Functions every run executes that callgrind does not name.
ALWAYS = ["_start", "frame_dummy", "__do_global_dtors_aux"]
HEADER = """\
# Functions of the release rss binary that its common commands run, placed
# first by the linker (crates/rss/build.rs). Written by benches/link_order.py;
# regenerate it after a change of toolchain, dependency or release profile.
"""


def defined(binary):
    """The function symbols `binary` defines."""
    out = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True).stdout
    return {p[2] for p in (l.split() for l in out.splitlines()) if len(p) == 3 and p[1] in "tTwW"}


def listed():
    with open(ORDER) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def check():
    names = listed()
    have = defined(RSS)
    n = sum(1 for s in names if s in have)
    print(f"link-order.txt: {n} of {len(names)} names defined by {os.path.relpath(RSS, ROOT)}"
          f" ({100 * n / max(1, len(names)):.0f}%)")
    return n, len(names)


def traced(argv):
    """The function names callgrind saw run in `argv`."""
    with tempfile.NamedTemporaryFile(prefix="rss-callgrind.") as out:
        subprocess.run(["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out.name}", *argv],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        names = set()
        with open(out.name) as f:
            for line in f:
                m = re.match(r"^c?fn=\(\d+\) (.+)$", line.rstrip("\n"))
                if m:
                    names.add(m.group(1))
        return names


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="report how much of the file the built binary defines")
    ap.add_argument("--ns", default=NS, help=f"the farm's namespace name (default {NS})")
    args = ap.parse_args()
    if args.check:
        check()
        return
    ns = args.ns
    preflight("link_order.py", ns, tools=("valgrind", "nm"))
    have = defined(RSS)
    uses = collections.Counter()
    runs = []
    # Named unix sockets and UDP sockets, as in compare.py's farms: -xa and
    # -uan render rows that a farm of TCP pairs alone would not have.
    farm = Farm(200, ns, ["--udp", "20", "--unix", "20"])
    try:
        for cmd in COMMANDS:
            # In this namespace and, as compare.py runs it, in the farm's.
            ran = traced([RSS, *cmd]) & have
            if cmd[0] not in ("--version", "--help"):
                ran |= traced([RSS, "-N", ns, *cmd]) & have
            log(f"{' '.join(cmd)}: {len(ran)} functions")
            uses.update(ran)
            runs.append(ran)
    finally:
        farm.stop()
    if not uses:
        sys.exit("link_order.py: callgrind saw no function of rss run")
    order = [s for s in ALWAYS if s in have]
    for ran in runs:
        order += sorted(ran - set(order), key=lambda s: (-uses[s], s))
    with open(ORDER, "w") as f:
        f.write(HEADER)
        f.write("\n".join(order) + "\n")
    log(f"wrote {os.path.relpath(ORDER, ROOT)}: {len(order)} functions")


if __name__ == "__main__":
    main()
