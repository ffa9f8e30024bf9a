#!/usr/bin/env python3
"""The doctor's scenario matrix: real problems and healthy traffic, each in
its own network namespace, each diagnosed N times by `rss doctor -j` with
default options. Prints, per scenario, how often the expected finding was
found at warning or above *and named correctly* (the process, or the
listener), and how often a warning or critical finding was raised that the
scenario does not explain (a false alarm).

Not a test and not timed: run it by hand, as root, on a quiet machine
(`nice` is applied). Namespaces are named `h23r-<scenario>`; every process
it starts runs inside one and is ended by its pid.

    sudo nice python3 benches/doctor_matrix.py [--runs 20] [--rss PATH]
         [--only NAME,...] [--markdown]

The processes inside the namespaces are this script again (`--role`),
started through a symlink to python3 named `h23r-server`, `h23r-client`,
… so that their command name is what a finding must name.
"""

import argparse
import errno
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from benchkit import commit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PORT = 5000
SERVER = ("127.0.0.1", PORT)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Roles: what runs inside a namespace (`--role NAME ARGS`).


def role_listen(backlog, accept, read, close):
    """A server on 127.0.0.1:5000. accept: accept connections; read: read
    what arrives; close: close a connection when the client closes."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(SERVER)
    s.listen(backlog)
    print("ready", flush=True)
    if not accept:
        signal.pause()
    held = []

    def serve(c):
        try:
            while True:
                if not read:
                    time.sleep(3600)
                d = c.recv(65536)
                if not d:
                    break
                if d.startswith(b"ping"):
                    c.sendall(b"pong\n")
        except OSError:
            pass
        if close:
            c.close()
        else:
            held.append(c)

    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def role_syn_clients(n, timeout):
    """n clients in a loop: connect with a short timeout, retry."""

    def loop():
        while True:
            c = socket.socket()
            c.settimeout(timeout)
            try:
                c.connect(SERVER)
                time.sleep(1)
            except OSError:
                pass
            c.close()

    for i in range(n):
        threading.Thread(target=loop, daemon=True).start()
        time.sleep(timeout / n)
    print("ready", flush=True)
    signal.pause()


def role_give_up(n, wait):
    """n clients that connect (the handshake completes in the kernel), wait
    for an answer that never comes and give up: close."""
    cs = []
    for _ in range(n):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(SERVER)
        except BlockingIOError:
            pass
        cs.append(c)
    time.sleep(wait)
    for c in cs:
        c.close()
    print("ready", flush=True)
    signal.pause()


def role_hold(n, send):
    """n clients that connect and stay; with send, each writes until its
    send buffer is full (the server does not read)."""
    cs = []
    for _ in range(n):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(SERVER)
        except BlockingIOError:
            pass
        cs.append(c)
    if send:
        time.sleep(0.3)
        for c in cs:
            try:
                while True:
                    c.send(b"x" * 65536)
            except OSError:
                pass
    print("ready", flush=True)
    signal.pause()


def role_close_after(n):
    """n clients that connect, are accepted and close first."""
    for _ in range(n):
        c = socket.create_connection(SERVER)
        time.sleep(0.05)
        c.close()
    print("ready", flush=True)
    signal.pause()


def role_bulk(flows):
    """flows bulk senders, writing as fast as the path takes it."""

    def loop():
        while True:
            try:
                c = socket.create_connection(SERVER)
                buf = b"x" * 65536
                while True:
                    c.sendall(buf)
            except OSError:
                time.sleep(0.1)

    for _ in range(flows):
        threading.Thread(target=loop, daemon=True).start()
    print("ready", flush=True)
    signal.pause()


def role_storm(threads):
    """Short-lived connections: connect, one request, one answer, close."""

    def loop():
        while True:
            try:
                c = socket.create_connection(SERVER, timeout=5)
                c.sendall(b"ping\n")
                c.recv(16)
                c.close()
            except OSError:
                time.sleep(0.05)

    for _ in range(threads):
        threading.Thread(target=loop, daemon=True).start()
    print("ready", flush=True)
    signal.pause()


def role_time_wait(n):
    """n connections closed by the client first: n TIME-WAIT sockets."""
    for _ in range(n):
        c = socket.create_connection(SERVER)
        c.sendall(b"ping\n")
        c.recv(16)
        c.close()
    print("ready", flush=True)
    signal.pause()


def role_keepalive(n):
    """n idle connections with keepalive probes every second."""
    cs = []
    for _ in range(n):
        c = socket.create_connection(SERVER)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
        cs.append(c)
    print("ready", flush=True)
    signal.pause()


def role_unix_server(path):
    """A unix stream echo server, a thread per connection."""
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.listen(128)
    print("ready", flush=True)

    def serve(c):
        try:
            while True:
                d = c.recv(4096)
                if not d:
                    break
                c.sendall(d)
        except OSError:
            pass
        c.close()

    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def role_unix_clients(path, threads):
    """Busy unix clients: connect, a few exchanges, close, again."""

    def loop():
        while True:
            try:
                c = socket.socket(socket.AF_UNIX)
                c.connect(path)
                for _ in range(20):
                    c.sendall(b"hello\n")
                    c.recv(4096)
                c.close()
            except OSError:
                time.sleep(0.05)

    for _ in range(threads):
        threading.Thread(target=loop, daemon=True).start()
    print("ready", flush=True)
    signal.pause()


ROLES = {
    "listen": lambda a: role_listen(int(a[0]), a[1] == "1", a[2] == "1", a[3] == "1"),
    "syn_clients": lambda a: role_syn_clients(int(a[0]), float(a[1])),
    "give_up": lambda a: role_give_up(int(a[0]), float(a[1])),
    "hold": lambda a: role_hold(int(a[0]), a[1] == "1"),
    "close_after": lambda a: role_close_after(int(a[0])),
    "bulk": lambda a: role_bulk(int(a[0])),
    "storm": lambda a: role_storm(int(a[0])),
    "time_wait": lambda a: role_time_wait(int(a[0])),
    "keepalive": lambda a: role_keepalive(int(a[0])),
    "unix_server": lambda a: role_unix_server(a[0]),
    "unix_clients": lambda a: role_unix_clients(a[0], int(a[1])),
}

# ---------------------------------------------------------------------------
# The scenarios. Each: setup steps (sysctls, iptables rules, processes by
# command name), what must be found, and who it must name.
#
# expect: (kind, how it must be named) pairs; naming is ("process", NAME):
# a socket of the finding held by NAME; ("listener", NAME): the finding's
# first socket is the LISTEN socket on :5000 held by NAME; ("subject",
# TEXT): the finding's subject contains TEXT. allow: kinds the scenario
# explains besides (not false alarms).

DROP_SYN = "-I INPUT 1 -i lo -p tcp --dport 5000 --syn -j DROP"
DROP_FINAL_ACK = "-I OUTPUT 1 -o lo -p tcp --dport 5000 --tcp-flags SYN,ACK,FIN,RST ACK -j DROP"


def lossy(p):
    return f"-I INPUT 1 -i lo -p tcp --dport 5000 -m statistic --mode random --probability {p} -j DROP"


SCENARIOS = [
    # --- problems
    dict(name="syn-drop", problem=True, iptables=[DROP_SYN],
         procs=[("h23r-server", "listen", "128 1 1 1"), ("h23r-client", "syn_clients", "4 5")],
         settle=3, expect=[("syn_sent_stuck", ("process", "h23r-client"))], allow=[]),
    dict(name="never-accepted", problem=True,
         procs=[("h23r-server", "listen", "16 0 0 0"), ("h23r-client", "give_up", "4 0.5")],
         settle=1.5, expect=[("never_accepted", ("listener", "h23r-server"))], allow=[]),
    dict(name="stalled-reader", problem=True,
         procs=[("h23r-server", "listen", "16 1 0 0"), ("h23r-client", "hold", "2 1")],
         settle=1.5, expect=[("recv_queue_growing", ("process", "h23r-server"))], allow=[]),
    dict(name="close-wait-leak", problem=True,
         procs=[("h23r-server", "listen", "16 1 1 0"), ("h23r-client", "close_after", "5")],
         settle=1.5, expect=[("close_wait_leak", ("process", "h23r-server"))], allow=[]),
    dict(name="accept-queue-full", problem=True,
         procs=[("h23r-server", "listen", "2 0 0 0"), ("h23r-client", "hold", "6 0")],
         settle=2, expect=[("listen_queue_full", ("listener", "h23r-server"))],
         allow=["syn_sent_stuck"]),
    dict(name="syn-recv-flood", problem=True, iptables=[DROP_FINAL_ACK],
         sysctls={"net.ipv4.tcp_synack_retries": "12"},
         procs=[("h23r-server", "listen", "256 1 1 1"), ("h23r-client", "hold", "40 0")],
         settle=2.5, expect=[("syn_recv_pileup", ("listener", "h23r-server"))],
         allow=["retransmissions", "send_queue_stuck"]),
    dict(name="port-exhaustion", problem=True, sysctls={"net.ipv4.ip_local_port_range": "40000 40049"},
         procs=[("h23r-server", "listen", "128 1 1 1"), ("h23r-client", "hold", "45 0")],
         settle=1.5, expect=[("port_exhaustion", ("subject", "127.0.0.1:5000"))], allow=[]),
    dict(name="lossy-10%", problem=True, iptables=[lossy(0.10)], mtu=1500,
         procs=[("h23r-server", "listen", "16 1 1 1"), ("h23r-client", "bulk", "2")],
         settle=2, expect=[("retransmissions", ("process", "h23r-client"))], allow=[]),
    dict(name="lossy-20%", problem=True, iptables=[lossy(0.20)], mtu=1500,
         procs=[("h23r-server", "listen", "16 1 1 1"), ("h23r-client", "bulk", "2")],
         settle=2, expect=[("retransmissions", ("process", "h23r-client"))], allow=[]),
    # --- between: 2 % loss is `info` by the documented line; no warning.
    dict(name="lossy-2% (info)", problem=False, iptables=[lossy(0.02)], mtu=1500,
         procs=[("h23r-server", "listen", "16 1 1 1"), ("h23r-client", "bulk", "2")],
         settle=2, expect=[], allow=[]),
    # --- healthy
    dict(name="bulk-0.5%-loss", problem=False, iptables=[lossy(0.005)], mtu=1500,
         procs=[("h23r-server", "listen", "16 1 1 1"), ("h23r-client", "bulk", "2")],
         settle=2, expect=[], allow=[]),
    dict(name="connection-storm", problem=False,
         procs=[("h23r-server", "listen", "128 1 1 1"), ("h23r-client", "storm", "8")],
         settle=1.5, expect=[], allow=[]),
    dict(name="time-wait-3000", problem=False,
         procs=[("h23r-server", "listen", "128 1 1 1"), ("h23r-client", "time_wait", "3000")],
         settle=0.5, expect=[], allow=[]),
    dict(name="idle-keepalive", problem=False,
         procs=[("h23r-server", "listen", "128 1 1 1"), ("h23r-client", "keepalive", "50")],
         settle=2, expect=[], allow=[]),
    dict(name="busy-unix-server", problem=False,
         procs=[("h23r-server", "unix_server", "@SOCK"), ("h23r-client", "unix_clients", "@SOCK 8")],
         settle=1.5, expect=[], allow=[]),
]


def sh(*argv, check=True):
    r = subprocess.run(argv, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {r.stderr.strip()}")
    return r


class Scene:
    """One scenario set up in namespace h23r-<name>, torn down on exit."""

    def __init__(self, sc, bindir, tmp, tag=""):
        self.sc = sc
        name = "".join(ch for ch in sc["name"] if ch.isalnum() or ch == "-")[:20]
        self.ns = f"h23r{tag}-{name}"
        self.bindir = bindir
        self.tmp = tmp
        self.procs = []

    def __enter__(self):
        try:
            return self._setup()
        except BaseException:
            self.__exit__()
            raise

    def _setup(self):
        sh("ip", "netns", "del", self.ns, check=False)
        sh("ip", "netns", "add", self.ns)
        ex = ["ip", "netns", "exec", self.ns]
        if "mtu" in self.sc:
            sh(*ex, "ip", "link", "set", "lo", "mtu", str(self.sc["mtu"]))
        sh(*ex, "ip", "link", "set", "lo", "up")
        for k, v in self.sc.get("sysctls", {}).items():
            sh(*ex, "sysctl", "-qw", f"{k}={v}")
        for rule in self.sc.get("iptables", []):
            sh(*ex, "iptables", *rule.split())
        sock = os.path.join(self.tmp, self.ns + ".sock")
        for name, role, args in self.sc["procs"]:
            argv = [os.path.join(self.bindir, name), os.path.abspath(__file__), "--role", role]
            argv += [sock if a == "@SOCK" else a for a in args.split()]
            p = subprocess.Popen(ex + argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 preexec_fn=os.setsid)
            self.procs.append(p)
            # Liveness: each role prints "ready" once set up (generous bound).
            r, _, _ = select.select([p.stdout], [], [], 120)
            if not r or p.stdout.readline().strip() != b"ready":
                raise RuntimeError(f"{self.ns}: {name} {role} did not start")
        time.sleep(self.sc.get("settle", 1))
        return self

    def __exit__(self, *exc):
        for p in reversed(self.procs):
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
        sh("ip", "netns", "del", self.ns, check=False)


def named(f, how):
    what, who = how
    socks = f.get("sockets", [])
    if what == "process":
        return any(p["command"] == who for s in socks for p in s.get("processes", []))
    if what == "listener":
        return bool(socks) and socks[0]["state"] == "listen" and \
            socks[0]["local"].endswith(f":{PORT}") and \
            any(p["command"] == who for p in socks[0].get("processes", []))
    if what == "subject":
        return who in f.get("subject", "") or who in f.get("summary", "")
    raise ValueError(what)


def judge(sc, report):
    """(found and named correctly, false alarm, the kinds seen)."""
    serious = [f for f in report["findings"] if f["severity"] in ("warning", "critical")]
    explained = {k for k, _ in sc["expect"]} | set(sc["allow"])
    alarm = any(f["kind"] not in explained for f in serious)
    found = all(any(f["kind"] == k and named(f, how) for f in serious) for k, how in sc["expect"])
    kinds = sorted({f"{f['kind']}:{f['severity']}" for f in report["findings"]})
    return found, alarm, kinds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--rss", default=os.path.join(ROOT, "target", "debug", "rss"))
    ap.add_argument("--only", default="", help="scenarios to run, comma-separated")
    ap.add_argument("--tag", default="", help="namespace names are h23rTAG-SCENARIO (two runs at once)")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--role", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    if a.role:
        ROLES[a.role[0]](a.role[1:])
        return
    if os.geteuid() != 0:
        sys.exit("doctor_matrix: run as root (namespaces, iptables)")
    for tool in ("ip", "iptables", "sysctl"):
        if not shutil.which(tool):
            sys.exit(f"doctor_matrix: {tool} not found")
    if not os.access(a.rss, os.X_OK):
        sys.exit(f"doctor_matrix: {a.rss}: not built (cargo build -p rss)")
    os.nice(10)
    # SIGTERM tears the current scene down like an error does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("doctor_matrix: terminated"))
    only = set(filter(None, a.only.split(",")))
    rows = []
    with tempfile.TemporaryDirectory(prefix="h23r-") as tmp:
        bindir = os.path.join(tmp, "bin")
        os.mkdir(bindir)
        for name in ("h23r-server", "h23r-client"):
            os.symlink(sys.executable, os.path.join(bindir, name))
        for sc in SCENARIOS:
            if only and sc["name"] not in only:
                continue
            found = alarms = 0
            seen = {}
            log(f"[{sc['name']}] setting up")
            with Scene(sc, bindir, tmp, a.tag) as scene:
                for i in range(a.runs):
                    r = sh(a.rss, "doctor", "-N", scene.ns, "-j", check=False)
                    if r.returncode not in (0, 1):
                        raise RuntimeError(f"rss doctor: exit {r.returncode}: {r.stderr}")
                    ok, alarm, kinds = judge(sc, json.loads(r.stdout))
                    found += ok
                    alarms += alarm
                    for k in kinds:
                        seen[k] = seen.get(k, 0) + 1
                    log(f"[{sc['name']}] run {i + 1}: found={ok} alarm={alarm} {kinds}")
            rows.append((sc, found, alarms, seen))
    n = a.runs
    if a.markdown:
        # What the table was measured on, so that it can be traced.
        load = os.getloadavg()[0]
        print(f"Generated by `benches/doctor_matrix.py --markdown` ({n} runs of each scenario) "
              f"at commit {commit()}, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; "
              f"kernel {os.uname().release}, {os.cpu_count()} cores, load average {load:.1f} at the end; "
              f"rss: `{os.path.relpath(a.rss, ROOT)}`.\n")
        print("| scenario | type | expected (default options) | found and named | false alarms "
              "| findings seen (in how many runs) |")
        print("|---|---|---|---|---|---|")
    for sc, found, alarms, seen in rows:
        exp = ", ".join(f"`{k}` ({how[0]} {how[1]})" for k, how in sc["expect"]) or "no warning or critical"
        det = f"{found}/{n}" if sc["expect"] else "—"
        s = ", ".join(f"{k} {c}" for k, c in sorted(seen.items())) or "none"
        kind = "problem" if sc["problem"] else "healthy"
        if a.markdown:
            print(f"| {sc['name']} | {kind} | {exp} | {det} | {alarms}/{n} | {s} |")
        else:
            print(f"{sc['name']:<20} {kind:<8} found {det:<6} false alarms {alarms}/{n}  [{s}]")


if __name__ == "__main__":
    main()
