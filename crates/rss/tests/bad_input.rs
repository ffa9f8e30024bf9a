//! The bad input matrix (issue #13): every way a user or an environment can
//! hand `rss` something wrong, in one table. Each case runs the binary under
//! a generous wall-clock bound (a hang guard) and an address-space limit
//! (`RLIMIT_AS`), and checks:
//!
//! - the documented exit status (2 bad usage, 1 the system or a file
//!   refused, 0 accepted);
//! - on failure: stderr is one clear `rss: …` line (clap's usage errors add
//!   their `Try 'rss --help'` hint), no panic, and nothing on stdout;
//! - on success: stdout is whole lines only, and stderr is empty.
//!
//! A case that accepts absurd input (a huge `$COLUMNS`) must still finish in
//! bounded time and memory: `rss` caps the screen width at 65535 (a
//! documented difference from `ss`, which pads every line to the absurd
//! width).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Liveness bound of one run: a run still going after this long is taken
/// for a hang, killed, and named in the failure. A hang guard sized for a
/// busy machine, not a measure of speed.
const TIME_LIMIT: Duration = Duration::from_secs(60);
/// Address-space limit for one run (debug build, with room to spare).
const MEMORY_LIMIT: u64 = 1 << 30;

/// What a run may print and return.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Exit 2, one `rss:` line containing the needle, empty stdout.
    Usage(&'static str),
    /// Exit 1, one `rss:` line containing the needle, empty stdout.
    Refused(&'static str),
    /// Exit 1 after some sockets: one `rss:` line containing the needle,
    /// stdout the whole rows decoded before the failure (never half a row).
    RefusedAfterRows(&'static str),
    /// Exit 0, empty stderr, stdout of whole lines and at most this many bytes.
    Ok(usize),
}

struct Case {
    name: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    stdin: Option<Vec<u8>>,
    expect: Expect,
}

fn case(name: &'static str, args: &[&str], expect: Expect) -> Case {
    Case {
        name,
        args: args.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
        stdin: None,
        expect,
    }
}

impl Case {
    fn env(mut self, k: &'static str, v: impl Into<String>) -> Case {
        self.env.push((k, v.into()));
        self
    }
    fn stdin(mut self, bytes: &[u8]) -> Case {
        self.stdin = Some(bytes.to_vec());
        self
    }
}

struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    elapsed: Duration,
}

/// Runs rss with `args` and `env` under the time and memory limits.
fn run_limited(args: &[String], env: &[(&str, String)], stdin: Option<&[u8]>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rss"));
    cmd.args(args)
        .env_remove("COLUMNS")
        .env_remove("TCPDIAG_FILE")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: MEMORY_LIMIT,
                rlim_max: MEMORY_LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn rss");
    if let Some(bytes) = stdin {
        let mut w = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        // A writer thread: rss may stop reading early (that is the point).
        std::thread::spawn(move || {
            let _ = w.write_all(&bytes);
        });
    }
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "rss ({} args): still running after {TIME_LIMIT:?}",
                args.len()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    Run {
        code: status.code(),
        stdout: out_t.join().unwrap(),
        stderr: String::from_utf8_lossy(&err_t.join().unwrap()).into_owned(),
        elapsed,
    }
}

#[track_caller]
fn check(c: &Case, r: &Run) {
    let mut what = format!("case {:?} (rss {:?} {:?})", c.name, c.args, c.env);
    if what.len() > 300 {
        what = format!("case {:?} ({} args)", c.name, c.args.len());
    }
    let e = &r.stderr;
    assert!(!e.contains("panicked"), "{what}: panic: {e}");
    assert!(!e.contains("memory allocation"), "{what}: {e}");
    match c.expect {
        Expect::RefusedAfterRows(needle) => {
            assert_eq!(r.code, Some(1), "{what}: stderr {e}");
            assert!(r.stdout.ends_with(b"\n"), "{what}: half a line at the end");
            assert_eq!(e.lines().count(), 1, "{what}: {e}");
            assert!(e.starts_with("rss: ") && e.contains(needle), "{what}: {e}");
        }
        Expect::Usage(needle) | Expect::Refused(needle) => {
            let want = if matches!(c.expect, Expect::Usage(_)) {
                2
            } else {
                1
            };
            assert_eq!(r.code, Some(want), "{what}: stderr {e}");
            assert!(
                r.stdout.is_empty(),
                "{what}: printed {:?}",
                String::from_utf8_lossy(&r.stdout)
            );
            let mut lines = e.lines();
            let first = lines.next().unwrap_or_default();
            assert!(first.starts_with("rss: "), "{what}: {e}");
            assert!(first.contains(needle), "{what}: want {needle:?} in {e}");
            for l in lines {
                assert_eq!(l, "Try 'rss --help' for more information.", "{what}: {e}");
            }
        }
        Expect::Ok(max) => {
            assert_eq!(r.code, Some(0), "{what}: stderr {e}");
            assert!(e.is_empty(), "{what}: stderr {e}");
            assert!(
                r.stdout.len() <= max,
                "{what}: {} bytes of output, at most {max} expected",
                r.stdout.len()
            );
            assert!(
                r.stdout.is_empty() || r.stdout.ends_with(b"\n"),
                "{what}: half a line at the end"
            );
        }
    }
}

/// A private scratch directory for this test process.
fn scratch() -> PathBuf {
    let d = std::env::temp_dir().join(format!("rss-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

/// One `SOCK_DIAG_BY_FAMILY` message: an IPv4 TCP socket in `state`,
/// 127.0.0.1:`sport` -> 127.0.0.1:`dport`, as the kernel lays it out.
fn diag_message(state: u8, sport: u16, dport: u16, inode: u32) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&88u32.to_ne_bytes()); // nlmsg_len: 16 + 72
    m.extend_from_slice(&20u16.to_ne_bytes()); // SOCK_DIAG_BY_FAMILY
    m.extend_from_slice(&2u16.to_ne_bytes()); // NLM_F_MULTI
    m.extend_from_slice(&1u32.to_ne_bytes()); // seq
    m.extend_from_slice(&0u32.to_ne_bytes()); // pid
    m.extend_from_slice(&[libc::AF_INET as u8, state, 0, 0]);
    m.extend_from_slice(&sport.to_be_bytes());
    m.extend_from_slice(&dport.to_be_bytes());
    let mut addr = [0u8; 16];
    addr[..4].copy_from_slice(&[127, 0, 0, 1]);
    m.extend_from_slice(&addr); // src
    m.extend_from_slice(&addr); // dst
    m.extend_from_slice(&0u32.to_ne_bytes()); // if
    m.extend_from_slice(&[0u8; 8]); // cookie
    for v in [0u32, 0, 0, 0, inode] {
        // expires, rqueue, wqueue, uid, inode
        m.extend_from_slice(&v.to_ne_bytes());
    }
    assert_eq!(m.len(), 88);
    m
}

fn done_message() -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&20u32.to_ne_bytes());
    m.extend_from_slice(&3u16.to_ne_bytes()); // NLMSG_DONE
    m.extend_from_slice(&2u16.to_ne_bytes());
    m.extend_from_slice(&1u32.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    m.extend_from_slice(&0i32.to_ne_bytes());
    m
}

fn nested(depth: usize) -> Vec<String> {
    let mut v = vec!["(".to_string(); depth];
    v.extend(["sport", "=", ":1"].map(String::from));
    v.extend(std::iter::repeat_n(")".to_string(), depth));
    v
}

fn matrix(dir: &Path) -> Vec<Case> {
    use Expect::*;
    let good = [
        diag_message(1, 5000, 40000, 11),
        diag_message(10, 5000, 0, 12),
        done_message(),
    ]
    .concat();
    let good_file = write(dir, "good.bin", &good);
    let truncated = write(dir, "truncated.bin", &good[..60]);
    let truncated_later = write(dir, "truncated-later.bin", &good[..120]);
    let mut corrupt = good.clone();
    corrupt[0..4].copy_from_slice(&7u32.to_ne_bytes()); // nlmsg_len 7 < 16
    let corrupt = write(dir, "corrupt.bin", &corrupt);
    let mut huge = good.clone(); // first message
    huge[..4].copy_from_slice(&0x7fff_fff0u32.to_ne_bytes()); // 2 GiB message
    let huge = write(dir, "huge-len.bin", &huge);
    let empty = write(dir, "empty.bin", b"");
    let binary = write(
        dir,
        "binary.filter",
        &[0x7f, b'E', b'L', b'F', 0xff, 0xfe, 0, 1],
    );
    let unreadable_dir = dir.to_str().unwrap().to_string();
    let fifo = dir.join("fifo");
    let _ = std::fs::remove_file(&fifo);
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let fifo = fifo.to_str().unwrap().to_string();
    let deep_file = write(dir, "deep.filter", nested(100_000).join(" ").as_bytes());
    let long_or = {
        let mut v = Vec::new();
        for _ in 0..3000 {
            v.extend(["sport", "=", ":1", "or"].map(String::from));
        }
        v.extend(["sport", "=", ":2"].map(String::from));
        v
    };

    let mut cases = vec![
        // Options.
        case("unknown long option", &["--bogus"], Usage("'--bogus'")),
        case("unknown short option", &["-q"], Usage("'-q'")),
        case(
            "unknown option with value",
            &["-t", "--bogus=3"],
            Usage("'--bogus'"),
        ),
        case("bad family", &["-f", "bogus"], Usage("bogus")),
        case("bad table", &["-A", "tcp,nonsense"], Usage("nonsense")),
        case("empty table list", &["-A", ""], Usage("-A")),
        case(
            "-N twice: the last wins, as in ss",
            &["-N", "a", "-N", "rss-no-such-namespace", "-t"],
            Refused("/run/netns/rss-no-such-namespace"),
        ),
        case("-N without a name", &["-N"], Usage("NSNAME")),
        case(
            "-N empty name",
            &["-N", "", "-t"],
            Usage("empty namespace name"),
        ),
        case("-F without a file", &["-F"], Usage("FILE")),
        case("-D without a file", &["-D"], Usage("FILE")),
        // States.
        case(
            "bad state",
            &["-t", "state", "bogus"],
            Usage("wrong state name 'bogus'"),
        ),
        case(
            "state without name",
            &["-t", "state"],
            Usage("after 'state'"),
        ),
        case(
            "exclude without name",
            &["-t", "exclude"],
            Usage("after 'exclude'"),
        ),
        case(
            "second state bad",
            &["-t", "state", "established", "state", "nope"],
            Usage("'nope'"),
        ),
        // Filters.
        case(
            "unbalanced open",
            &["-t", "(", "dport", "=", ":22"],
            Usage("unbalanced"),
        ),
        case(
            "unbalanced close",
            &["-t", "sport", "=", ":1", ")"],
            Usage("unbalanced"),
        ),
        case("empty parens", &["-t", "(", ")"], Usage("rss: filter: ")),
        case(
            "only open parens",
            &["-t", "(", "("],
            Usage("rss: filter: "),
        ),
        case("unknown word", &["-t", "frobnicate"], Usage("'frobnicate'")),
        case(
            "dangling and",
            &["-t", "dport", "=", ":22", "and"],
            Usage("after 'and'"),
        ),
        case("dangling not", &["-t", "not"], Usage("rss: filter: ")),
        case(
            "port too big",
            &["-t", "dport", "=", ":65536"],
            Usage("ports are 0-65535"),
        ),
        case(
            "huge port",
            &["-t", "dport", ">", ":99999999999999999999"],
            Usage("ports are 0-65535"),
        ),
        case(
            "huge port in address",
            &["-t", "dst", "1.2.3.4:99999999999999999"],
            Usage("ports are 0-65535"),
        ),
        case(
            "bad v4 address",
            &["-t", "dst", "300.1.1.1"],
            Usage("300.1.1.1"),
        ),
        case(
            "bad v4 prefix",
            &["-t", "dst", "10.0.0.0/40"],
            Usage("bad prefix length"),
        ),
        case(
            "bad v6 prefix",
            &["-t", "dst", "::1/129"],
            Usage("bad prefix length"),
        ),
        case(
            "negative prefix",
            &["-t", "dst", "1.2.3.4/-1"],
            Usage("bad prefix length"),
        ),
        case(
            "huge prefix",
            &["-t", "dst", "1.2.3.4/99999999999999999999"],
            Usage("bad prefix length"),
        ),
        case("unclosed bracket", &["-t", "dst", "[::1"], Usage("']'")),
        case(
            "unknown device",
            &["-t", "dev", "=", "rss-nosuchdev"],
            Usage("rss-nosuchdev"),
        ),
        case(
            "huge fwmark",
            &["-t", "fwmark", "=", "0xfffffffffffffffff"],
            Usage("rss: filter: "),
        ),
        case(
            "unknown cgroup",
            &["-t", "cgroup", "=", "/rss-no-such-cgroup"],
            Usage("rss-no-such-cgroup"),
        ),
        case(
            "-F missing file",
            &["-t", "-F", "/nonexistent/filter"],
            Usage("No such file"),
        ),
        case(
            "-F directory",
            &["-t", "-F", &unreadable_dir],
            Usage("not a regular file (it is a directory)"),
        ),
        case(
            "-F binary file",
            &["-t", "-F", &binary],
            Usage("not a text file"),
        ),
        case(
            "-F /dev/zero",
            &["-t", "-F", "/dev/zero"],
            Usage("-F /dev/zero: not a regular file (it is a character device)"),
        ),
        case(
            "-F huge nesting",
            &["-t", "-F", &deep_file],
            Usage("too long"),
        ),
        case(
            "-F - binary stdin",
            &["-t", "-F", "-"],
            Usage("not a text file"),
        )
        .stdin(&[0xff, 0xfe, 0xfd]),
        case("-F - endless stdin", &["-t", "-F", "-"], Usage("too long"))
            .stdin(&vec![b' '; 3 << 20]),
        // Namespaces and files the system refuses.
        case(
            "missing -N namespace",
            &["-t", "-N", "rss-no-such-namespace"],
            Refused("network namespace /run/netns/rss-no-such-namespace: No such file"),
        ),
        case(
            "-N not a namespace",
            &["-t", "-N", "/etc/hostname"],
            Refused(
                "network namespace /etc/hostname: not a network namespace file (it is a file of another filesystem)",
            ),
        ),
        case(
            "-D into a missing directory",
            &["-t", "-D", "/nonexistent/x"],
            Refused("No such file"),
        ),
        // TCPDIAG_FILE: a replayed dump.
        case("TCPDIAG_FILE missing", &["-tan"], Refused("No such file"))
            .env("TCPDIAG_FILE", "/nonexistent/dump"),
        case("TCPDIAG_FILE truncated", &["-tan"], Refused("truncated"))
            .env("TCPDIAG_FILE", truncated),
        case(
            "TCPDIAG_FILE truncated later",
            &["-tan"],
            RefusedAfterRows("truncated"),
        )
        .env("TCPDIAG_FILE", truncated_later),
        case("TCPDIAG_FILE corrupt", &["-tan"], Refused("corrupt")).env("TCPDIAG_FILE", corrupt),
        case("TCPDIAG_FILE 2 GiB message", &["-tan"], Refused("corrupt")).env("TCPDIAG_FILE", huge),
        // Only regular files and FIFOs are replayed: a device or a
        // directory is refused before any read.
        case(
            "TCPDIAG_FILE /dev/zero",
            &["-tan"],
            Refused("/dev/zero: not a regular file or a FIFO (it is a character device)"),
        )
        .env("TCPDIAG_FILE", "/dev/zero"),
        case(
            "TCPDIAG_FILE a directory",
            &["-tan"],
            Refused("not a regular file or a FIFO (it is a directory)"),
        )
        .env("TCPDIAG_FILE", dir.to_str().unwrap()),
        // An empty file, and a FIFO nobody writes to, say so (as ss says
        // "Unexpected EOF reading $TCPDIAG_FILE"; ss blocks forever on the
        // FIFO).
        case("TCPDIAG_FILE empty", &["-tan"], Refused("empty file")).env("TCPDIAG_FILE", empty),
        case(
            "TCPDIAG_FILE FIFO without writer",
            &["-tan"],
            Refused("empty file"),
        )
        .env("TCPDIAG_FILE", fifo.clone()),
        case(
            "-F FIFO",
            &["-tan", "-F", &fifo],
            Usage("fifo: not a regular file (it is a FIFO)"),
        ),
        case(
            "-N FIFO",
            &["-tan", "-N", &fifo],
            Refused("fifo: not a network namespace file (it is a FIFO)"),
        ),
        case(
            "-E -N FIFO",
            &["-E", "-N", &fifo],
            Refused("fifo: not a network namespace file (it is a FIFO)"),
        ),
        case("TCPDIAG_FILE good", &["-tan"], Ok(400)).env("TCPDIAG_FILE", good_file.clone()),
        // Absurd environments: accepted, bounded.
        case("COLUMNS absurd", &["-tan"], Ok(200 * 65536))
            .env("COLUMNS", "99999999999")
            .env("TCPDIAG_FILE", good_file.clone()),
        case("COLUMNS negative", &["-tan"], Ok(400))
            .env("COLUMNS", "-5")
            .env("TCPDIAG_FILE", good_file.clone()),
        case("COLUMNS not a number", &["-tan"], Ok(400))
            .env("COLUMNS", "wide")
            .env("TCPDIAG_FILE", good_file.clone()),
        case("COLUMNS one", &["-tan"], Ok(1000))
            .env("COLUMNS", "1")
            .env("TCPDIAG_FILE", good_file),
        // Conflicting options ss accepts: the last or the union wins, as in ss.
        case(
            "-4 and -6",
            &["-4", "-6", "-t", "-n", "-H", "sport", "=", ":1"],
            Ok(0),
        ),
        case(
            "-a and -l",
            &["-a", "-l", "-t", "-n", "-H", "sport", "=", ":1"],
            Ok(0),
        ),
    ];
    let mut deep = vec!["-t".to_string()];
    deep.extend(nested(2000));
    cases.push(Case {
        name: "deep nesting on the command line",
        args: deep,
        env: Vec::new(),
        stdin: None,
        expect: Usage("nested too deeply"),
    });
    let mut nots = vec!["-t".to_string()];
    nots.extend(std::iter::repeat_n("not".to_string(), 3000));
    nots.extend(["sport", "=", ":2"].map(String::from));
    cases.push(Case {
        name: "thousands of nots",
        args: nots,
        env: Vec::new(),
        stdin: None,
        expect: Usage("nested too deeply"),
    });
    let mut long = vec!["-t".to_string()];
    long.extend(long_or);
    cases.push(Case {
        name: "twelve thousand words",
        args: long,
        env: Vec::new(),
        stdin: None,
        expect: Usage("too long"),
    });
    let mut many_args = vec!["-t".to_string(); 100_000];
    many_args.push("--bogus".into());
    cases.push(Case {
        name: "a hundred thousand options",
        args: many_args,
        env: Vec::new(),
        stdin: None,
        expect: Usage("'--bogus'"),
    });
    cases
}

#[test]
fn bad_input_matrix() {
    let dir = scratch();
    let cases = matrix(&dir);
    let mut names = std::collections::HashSet::new();
    for c in &cases {
        assert!(names.insert(c.name), "duplicate case {}", c.name);
        let r = run_limited(&c.args, &c.env, c.stdin.as_deref());
        check(c, &r);
        eprintln!("ok {:40} {:?} in {:?}", c.name, r.code, r.elapsed);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The replayed dump decodes to exactly the two sockets written into it.
#[test]
fn replayed_dump_shows_what_was_written() {
    let dir = scratch().join("replay");
    std::fs::create_dir_all(&dir).unwrap();
    let good = [
        diag_message(1, 5000, 40000, 11),
        diag_message(10, 5000, 0, 12),
        done_message(),
    ]
    .concat();
    let f = write(&dir, "good.bin", &good);
    let r = run_limited(&["-tanH".into()], &[("TCPDIAG_FILE", f)], None);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let out = String::from_utf8(r.stdout).unwrap();
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert_eq!(rows[0][0], "ESTAB", "{out}");
    assert_eq!(rows[0][3], "127.0.0.1:5000", "{out}");
    assert_eq!(rows[0][4], "127.0.0.1:40000", "{out}");
    assert_eq!(rows[1][0], "LISTEN", "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// An absurd `$COLUMNS` is capped at 65535: every line is padded to at most
/// that, never to the 99,999,999,999 columns asked for.
#[test]
fn absurd_columns_are_capped() {
    let dir = scratch().join("columns");
    std::fs::create_dir_all(&dir).unwrap();
    let good = [diag_message(1, 5000, 40000, 11), done_message()].concat();
    let f = write(&dir, "good.bin", &good);
    let r = run_limited(
        &["-tan".into()],
        &[("TCPDIAG_FILE", f), ("COLUMNS", "99999999999".into())],
        None,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let out = String::from_utf8(r.stdout).unwrap();
    assert_eq!(out.lines().count(), 2);
    for l in out.lines() {
        assert!(l.len() <= 65535, "line of {} bytes", l.len());
        // The width is spread: lines are wide, not compact.
        assert!(l.len() > 60000, "line of {} bytes", l.len());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same absurd `$COLUMNS` with standard output on a terminal whose size
/// is unknown (0 columns, as under `script` or a serial console): `ss` then
/// reads `$COLUMNS` too. Here the pseudo-terminal's reader must receive at
/// most 65535 columns a line.
#[test]
fn absurd_columns_on_a_terminal() {
    // SAFETY: plain libc pty calls on descriptors this test owns.
    let (master, slave) = unsafe {
        let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(m >= 0);
        assert_eq!(libc::grantpt(m), 0);
        assert_eq!(libc::unlockpt(m), 0);
        let name = std::ffi::CStr::from_ptr(libc::ptsname(m)).to_owned();
        let s = libc::open(name.as_ptr(), libc::O_RDWR | libc::O_NOCTTY);
        assert!(s >= 0);
        let ws = libc::winsize {
            ws_row: 0,
            ws_col: 0,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        assert_eq!(libc::ioctl(s, libc::TIOCSWINSZ, &ws), 0);
        // No newline translation: count bytes as written.
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(s, &mut t), 0);
        t.c_oflag &= !libc::OPOST;
        assert_eq!(libc::tcsetattr(s, libc::TCSANOW, &t), 0);
        (m, s)
    };
    use std::os::fd::FromRawFd;
    // SAFETY: both descriptors were just opened and are owned here.
    let master = unsafe { std::fs::File::from_raw_fd(master) };
    let slave = unsafe { std::os::fd::OwnedFd::from_raw_fd(slave) };
    let dir = scratch().join("tty");
    std::fs::create_dir_all(&dir).unwrap();
    let good = [diag_message(1, 5000, 40000, 11), done_message()].concat();
    let f = write(&dir, "good.bin", &good);
    let mut child = Command::new(env!("CARGO_BIN_EXE_rss"))
        .arg("-tan")
        .env("COLUMNS", "99999999999")
        .env("TCPDIAG_FILE", &f)
        .stdin(Stdio::null())
        .stdout(Stdio::from(slave))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        let mut r = BufReader::new(master);
        for _ in 0..2 {
            let mut l = Vec::new();
            // EIO once the child is gone and the slave is closed.
            if r.read_until(b'\n', &mut l).unwrap_or(0) == 0 {
                break;
            }
            lines.push(l.len());
        }
        lines
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("rss -tan on a tty (COLUMNS=99999999999): still running after {TIME_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut e = String::new();
    child.stderr.take().unwrap().read_to_string(&mut e).unwrap();
    assert!(status.success(), "{e}");
    assert!(e.is_empty(), "{e}");
    let lines = reader.join().unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for n in lines {
        assert!(n <= 65536 && n > 60000, "a line of {n} bytes");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `rss -tan | head -1`: the reader goes away after one line; rss exits 0
/// and says nothing. Lines are padded to 65535 columns so that the output
/// outgrows the pipe whatever sockets this host has.
#[test]
fn head_dash_one_exits_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rss"))
        .args(["-tan"])
        .env("COLUMNS", "65535")
        .env_remove("TCPDIAG_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("State"), "{first:.80}");
    // The reader is dropped here, like head exiting.
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
