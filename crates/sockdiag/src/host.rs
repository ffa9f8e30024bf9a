//! The host's files the crate and `rss` read by name, each read in one
//! place, behind a pure parser tested on literal text where it has text:
//! the local port range (`/proc/sys/net/ipv4/ip_local_port_range`) and the
//! other sysctls, the service names (`/etc/services`), the calling thread's
//! `/proc/net` directory, cgroup v2 ids (`/sys/fs/cgroup`) and the cgroup2
//! hierarchy (from `/proc/mounts`), whether SELinux is on
//! (`/sys/fs/selinux`), IP protocol names (`/etc/protocols`), iproute2's
//! netlink protocol names (`nl_protos`) and the calling thread's effective
//! capabilities (`/proc/thread-self/status`); and [`open_checked`], the one
//! opener of a path given by a user. The walk of processes' descriptors
//! for `ss -p` is [`ProcessMap`](crate::ProcessMap)'s own.
//!
//! `/proc/net` is a link to `/proc/self/net`, which follows the namespace of
//! the thread group leader; [`PROC_NET`] (`/proc/thread-self/net`) follows
//! the calling thread, which is what [`NetNs::run`](crate::NetNs::run)
//! moves. A dump reads the rows of its socket tables when a diag module
//! is missing ([`Source`](crate::Source)).
#![deny(unsafe_code)]

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// The calling thread's `/proc/net` directory.
pub const PROC_NET: &str = "/proc/thread-self/net";

/// Opens `name` (`tcp`, `sockstat`, …) in the calling thread's `/proc/net`.
pub fn open_proc_net(name: &str) -> io::Result<File> {
    File::open(Path::new(PROC_NET).join(name))
}

// --------------------------------------------------- paths given by users

/// What a path given by a user (`-F FILE`, `-N PATH`, a replay file, a
/// textfile's directory) must be, checked by [`open_checked`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileKind {
    /// A regular file.
    Regular,
    /// A regular file, or a FIFO (a pipe from another process, as
    /// `/dev/stdin` may be), read as a stream: the open does not wait for
    /// a writer (without one the FIFO reads as empty), reads then block
    /// as usual.
    Stream,
    /// A directory.
    Directory,
    /// A network namespace file: a file of the `nsfs` filesystem
    /// (`/run/netns/NAME`, `/proc/PID/ns/net`) of type `CLONE_NEWNET`.
    NetNamespace,
}

/// `f_type` of the `nsfs` filesystem (`NSFS_MAGIC`).
pub const NSFS_MAGIC: i64 = 0x6e73_6673;

/// What a file type is, in words, for messages: `a FIFO`, `a directory`, ...
pub fn describe_type(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_file() {
        "a regular file"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

fn wrong_kind(kind: FileKind, what: &str) -> io::Error {
    let want = match kind {
        FileKind::Regular => "a regular file",
        FileKind::Stream => "a regular file or a FIFO",
        FileKind::Directory => "a directory",
        FileKind::NetNamespace => "a network namespace file",
    };
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("not {want} (it is {what})"),
    )
}

/// Opens `path` for reading, as a user's path must be opened: the type is
/// checked before the open (`stat`, so that no device or FIFO is ever
/// opened) and again on the open file (`fstat`, the same file); the open
/// itself never blocks (`O_NONBLOCK`, with `O_NOCTTY` and `O_CLOEXEC`). A
/// FIFO, socket, device, or a file of the wrong kind is refused with
/// [`io::ErrorKind::InvalidInput`] and a message that says what it is.
/// Links are followed (`/run/netns` entries and `/proc/self/fd` are
/// links); the file reached is what is checked. `O_NONBLOCK` stays set on
/// the returned file (but for a FIFO of [`FileKind::Stream`]), which
/// changes nothing for regular files, directories and namespace files.
///
/// ```
/// use sockdiag::host::{FileKind, open_checked};
/// use std::path::Path;
/// assert!(open_checked(Path::new("/proc/self/ns/net"), FileKind::NetNamespace).is_ok());
/// let e = open_checked(Path::new("/dev/null"), FileKind::Regular).unwrap_err();
/// assert_eq!(e.to_string(), "not a regular file (it is a character device)");
/// let e = open_checked(Path::new("/etc/hostname"), FileKind::NetNamespace).unwrap_err();
/// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
/// ```
pub fn open_checked(path: &Path, kind: FileKind) -> io::Result<File> {
    use std::os::unix::fs::FileTypeExt;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let fits = |m: &std::fs::Metadata| match kind {
        FileKind::Regular | FileKind::NetNamespace => m.file_type().is_file(),
        FileKind::Stream => m.file_type().is_file() || m.file_type().is_fifo(),
        FileKind::Directory => m.file_type().is_dir(),
    };
    let before = std::fs::metadata(path)?;
    if !fits(&before) {
        return Err(wrong_kind(kind, describe_type(&before.file_type())));
    }
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    if kind == FileKind::Directory {
        flags |= libc::O_DIRECTORY;
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)?;
    let after = file.metadata()?;
    if !fits(&after) {
        return Err(wrong_kind(kind, describe_type(&after.file_type())));
    }
    if (after.dev(), after.ino()) != (before.dev(), before.ino()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "replaced while being opened",
        ));
    }
    if kind == FileKind::Stream && after.file_type().is_fifo() {
        crate::sys::set_blocking(std::os::fd::AsFd::as_fd(&file))?;
    }
    if kind == FileKind::NetNamespace {
        let fd = std::os::fd::AsFd::as_fd(&file);
        if crate::sys::fs_type(fd)? != NSFS_MAGIC {
            return Err(wrong_kind(kind, "a file of another filesystem"));
        }
        if crate::sys::ns_type(fd)? != libc::CLONE_NEWNET {
            return Err(wrong_kind(kind, "another kind of namespace"));
        }
    }
    Ok(file)
}

// ------------------------------------------------------------ capabilities

/// `CAP_NET_ADMIN`, the capability `SOCK_DESTROY` (`ss -K`) needs.
pub const CAP_NET_ADMIN: u32 = 12;

/// `CAP_SYS_ADMIN`, the capability `setns(2)` needs.
pub const CAP_SYS_ADMIN: u32 = 21;

/// Whether capability `cap` (a `CAP_*` number) is in the `CapEff:` line of
/// a `/proc/PID/status` text; `None` when there is no such line.
///
/// ```
/// use sockdiag::host::{CAP_SYS_ADMIN, capability_in_status};
/// assert_eq!(capability_in_status("CapEff:\t000001fffeffffff\n", CAP_SYS_ADMIN), Some(true));
/// assert_eq!(capability_in_status("CapEff:\t0000000000000000\n", CAP_SYS_ADMIN), Some(false));
/// assert_eq!(capability_in_status("Name:\trss\n", CAP_SYS_ADMIN), None);
/// ```
pub fn capability_in_status(status: &str, cap: u32) -> Option<bool> {
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))?
        .trim();
    let bits = u64::from_str_radix(hex, 16).ok()?;
    Some(cap < 64 && bits & (1u64 << cap) != 0)
}

/// Whether the calling thread holds capability `cap` in its effective set
/// (`/proc/thread-self/status`); `None` when that cannot be read.
pub fn has_capability(cap: u32) -> Option<bool> {
    let status = std::fs::read_to_string("/proc/thread-self/status").ok()?;
    capability_in_status(&status, cap)
}

/// Whether the calling thread holds every capability of `caps` in its
/// effective set; `None` when that cannot be read (one read of its status).
pub(crate) fn has_capabilities(caps: &[u32]) -> Option<bool> {
    let status = std::fs::read_to_string("/proc/thread-self/status").ok()?;
    caps.iter().try_fold(true, |all, &c| {
        Some(all && capability_in_status(&status, c)?)
    })
}

/// The kernel's own type information (BTF), which the task-file iterator
/// of `ProcessMap` reads its structure layouts from.
pub(crate) const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

// ------------------------------------------------------------------ sysctls

/// The file of the sysctl `key` (`net.ipv4.tcp_max_tw_buckets`) under
/// `proc_root` (`/proc`, or another mount of procfs).
///
/// ```
/// use std::path::Path;
/// assert_eq!(
///     sockdiag::host::sysctl_file(Path::new("/proc"), "net.ipv4.tcp_max_tw_buckets"),
///     Path::new("/proc/sys/net/ipv4/tcp_max_tw_buckets")
/// );
/// ```
pub fn sysctl_file(proc_root: &Path, key: &str) -> PathBuf {
    proc_root.join("sys").join(key.replace('.', "/"))
}

// ------------------------------------------------------ ip_local_port_range

/// The sysctl of the local port range.
const PORT_RANGE_SYSCTL: &str = "net.ipv4.ip_local_port_range";

/// The file of `net.ipv4.ip_local_port_range` under `proc_root` (`/proc`,
/// or another mount of procfs).
///
/// ```
/// use std::path::Path;
/// assert_eq!(
///     sockdiag::host::port_range_file(Path::new("/proc")),
///     Path::new("/proc/sys/net/ipv4/ip_local_port_range")
/// );
/// ```
pub fn port_range_file(proc_root: &Path) -> PathBuf {
    sysctl_file(proc_root, PORT_RANGE_SYSCTL)
}

/// Parses the text of `ip_local_port_range`: two port numbers ("32768\t60999\n"),
/// the ephemeral ports, inclusive.
///
/// ```
/// use sockdiag::host::parse_port_range;
/// assert_eq!(parse_port_range("1024\t2048\n"), Some((1024, 2048)));
/// assert_eq!(parse_port_range("nonsense"), None);
/// ```
pub fn parse_port_range(text: &str) -> Option<(u16, u16)> {
    let mut it = text.split_whitespace().map(|w| w.parse::<u16>().ok());
    Some((it.next()??, it.next()??))
}

/// Reads and parses a local port range file (see [`port_range_file`]);
/// `None` when it cannot be read or parsed.
pub fn read_port_range(path: &Path) -> Option<(u16, u16)> {
    parse_port_range(&std::fs::read_to_string(path).ok()?)
}

/// The local port range of the calling thread's network namespace.
pub fn local_port_range() -> Option<(u16, u16)> {
    read_port_range(&port_range_file(Path::new("/proc")))
}

// ------------------------------------------------------------ /sys/fs

/// The id of a cgroup v2 path (`/system.slice`): the inode of its folder
/// under `/sys/fs/cgroup`; `None` when there is none.
pub fn cgroup_id(path: &str) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    let rel = path.trim_start_matches('/');
    std::fs::metadata(Path::new("/sys/fs/cgroup").join(rel))
        .ok()
        .map(|m| m.ino())
}

/// True when SELinux is enabled on this host (its file system is mounted).
pub fn selinux_enabled() -> bool {
    Path::new("/sys/fs/selinux/enforce").exists()
}

// ------------------------------------------------------------ /etc/services

/// The services file.
pub const SERVICES_FILE: &str = "/etc/services";

/// The text of `/etc/services`, empty when it cannot be read (bytes that
/// are not UTF-8 are replaced).
pub fn read_services() -> String {
    std::fs::read(SERVICES_FILE)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// One entry of `/etc/services`: `name port/protocol aliases… # comment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service<'a> {
    /// The official name.
    pub name: &'a str,
    /// The port.
    pub port: u16,
    /// The protocol (`tcp`, `udp`, `sctp`, …).
    pub protocol: &'a str,
    aliases: &'a str,
}

impl<'a> Service<'a> {
    /// The other names of the service.
    pub fn aliases(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.aliases.split_whitespace()
    }

    /// True when `name` is the service's name or one of its aliases.
    pub fn is_named(&self, name: &str) -> bool {
        self.name == name || self.aliases().any(|a| a == name)
    }
}

/// The entries of a services file's text, in order, as glibc's files
/// backend reads them: a `#` starts a comment; a line without a name and a
/// `port/protocol` pair, or whose port is not a number, is skipped.
///
/// ```
/// use sockdiag::host::parse_services;
/// let text = "ssh 22/tcp # SSH\nhttp 80/tcp www  # WWW\n";
/// let http = parse_services(text).nth(1).unwrap();
/// assert_eq!((http.name, http.port, http.protocol), ("http", 80, "tcp"));
/// assert!(http.is_named("www"));
/// ```
pub fn parse_services(text: &str) -> impl Iterator<Item = Service<'_>> {
    text.lines().filter_map(|line| {
        let line = line.split('#').next().unwrap_or("").trim_start();
        let mut words = line.split_whitespace();
        let (name, pair) = (words.next()?, words.next()?);
        let (port, protocol) = pair.split_once('/')?;
        let rest = line[name.len()..].trim_start();
        Some(Service {
            name,
            port: port.parse().ok()?,
            protocol,
            aliases: &rest[pair.len()..],
        })
    })
}

// ----------------------------------------------------------- /etc/protocols

/// The IP protocol names file.
pub const PROTOCOLS_FILE: &str = "/etc/protocols";

/// The text of `/etc/protocols`, empty when it cannot be read (bytes that
/// are not UTF-8 are replaced).
pub fn read_protocols() -> String {
    read_lossy(PROTOCOLS_FILE).unwrap_or_default()
}

/// The `(number, name)` entries of a protocols file's text, in order: `name
/// number aliases… # comment`; a line whose number is not a `u16` is
/// skipped. The first entry of a number is the one `getprotobynumber` gives.
///
/// ```
/// let text = "# c\nicmp 1 ICMP # x\ntcp 6 TCP\nbad\n";
/// let all: Vec<_> = sockdiag::host::parse_protocols(text).collect();
/// assert_eq!(all, [(1, "icmp"), (6, "tcp")]);
/// ```
pub fn parse_protocols(text: &str) -> impl Iterator<Item = (u16, &str)> {
    text.lines().filter_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let mut it = line.split_whitespace();
        let (name, num) = (it.next()?, it.next()?);
        Some((num.parse().ok()?, name))
    })
}

// ------------------------------------------------------ iproute2 nl_protos

/// iproute2's netlink protocol names, in the order it looks for them: the
/// first that can be read is used.
pub const NL_PROTOS_FILES: [&str; 2] = ["/etc/iproute2/nl_protos", "/usr/share/iproute2/nl_protos"];

/// The text of the first of [`NL_PROTOS_FILES`] that can be read (`ID NAME`
/// lines), `None` when neither can.
pub fn read_nl_protos() -> Option<String> {
    NL_PROTOS_FILES.iter().find_map(|p| read_lossy(p))
}

// --------------------------------------------------------- cgroup v2 (/sys)

/// The mount table.
pub const MOUNTS_FILE: &str = "/proc/mounts";

/// The first cgroup2 mount point in a mount table's text (`/proc/mounts`
/// syntax: `SOURCE DIR TYPE …`, with space, tab, newline and backslash in
/// DIR written as `\ooo`).
///
/// ```
/// let text = "proc /proc proc rw 0 0\ncgroup2 /sys/fs/cg\\040x cgroup2 rw 0 0\n";
/// assert_eq!(sockdiag::host::parse_cgroup2_mount(text).as_deref(), Some("/sys/fs/cg x"));
/// ```
pub fn parse_cgroup2_mount(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let mut f = l.split_whitespace();
        let (_, dir, ty) = (f.next()?, f.next()?, f.next()?);
        (ty == "cgroup2").then(|| unescape_mount(dir))
    })
}

/// Every cgroup v2 directory as `(id, path)`: the id is the directory's
/// inode number on cgroupfs (what `sock_diag` reports), the path is relative
/// to the cgroup2 mount (`/` for its root). The hierarchy is walked from
/// the first cgroup2 mount in [`MOUNTS_FILE`] without crossing into other
/// mounts, as iproute2's `cg_init_map` does (`nftw(FTW_MOUNT)`); empty when
/// there is no cgroup2 mount.
pub fn cgroup_paths() -> Vec<(u64, String)> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let Some(mnt) = read_lossy(MOUNTS_FILE).and_then(|t| parse_cgroup2_mount(&t)) else {
        return out;
    };
    let Ok(root) = std::fs::symlink_metadata(&mnt) else {
        return out;
    };
    let dev = root.dev();
    let mut stack = vec![PathBuf::from(&mnt)];
    while let Some(dir) = stack.pop() {
        let Ok(md) = std::fs::symlink_metadata(&dir) else {
            continue;
        };
        if !md.is_dir() || md.dev() != dev {
            continue;
        }
        let rel = dir
            .strip_prefix(&mnt)
            .map(|r| format!("/{}", r.display()))
            .unwrap_or_else(|_| "/".into());
        out.push((md.ino(), rel));
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(e.path());
                }
            }
        }
    }
    out
}

/// `/proc/mounts` escapes space, tab, newline and backslash as `\ooo`.
fn unescape_mount(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 4 <= b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A file's text, bytes that are not UTF-8 replaced; `None` when it cannot
/// be read.
fn read_lossy(path: &str) -> Option<String> {
    std::fs::read(path)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges() {
        assert_eq!(parse_port_range("32768\t60999\n"), Some((32768, 60999)));
        assert_eq!(parse_port_range("  1 2 3"), Some((1, 2)));
        assert_eq!(parse_port_range("1024"), None);
        assert_eq!(parse_port_range(""), None);
        assert_eq!(parse_port_range("1024 70000"), None);
        assert_eq!(parse_port_range("-1 5"), None);
    }

    #[test]
    fn services() {
        let text = "# comment line\n\
                    \n\
                    tcpmux\t1/tcp\t\t\t\t# TCP port service multiplexer\n\
                    http\t\t80/tcp\t\twww\twww-http\t# WorldWideWeb HTTP\n\
                    domain 53/udp\n\
                    broken 99999/tcp\n\
                    noslash 7\n\
                    lonely\n";
        let all: Vec<_> = parse_services(text).collect();
        assert_eq!(all.len(), 3, "{all:?}");
        assert_eq!(
            (all[0].name, all[0].port, all[0].protocol),
            ("tcpmux", 1, "tcp")
        );
        assert_eq!(all[0].aliases().count(), 0);
        assert_eq!(
            all[1].aliases().collect::<Vec<_>>(),
            ["www", "www-http"],
            "the comment is no alias"
        );
        assert!(all[1].is_named("http") && all[1].is_named("www-http"));
        assert!(!all[1].is_named("WorldWideWeb"));
        assert_eq!(
            (all[2].name, all[2].port, all[2].protocol),
            ("domain", 53, "udp")
        );
    }

    #[test]
    fn protocols() {
        let all: Vec<_> =
            parse_protocols("# c\nicmp 1 ICMP # x\nbad\nnan x\nother 1\n  tcp\t6\nbig 70000\n")
                .collect();
        assert_eq!(all, [(1, "icmp"), (1, "other"), (6, "tcp")]);
    }

    #[test]
    fn mount_points_unescape_octal() {
        assert_eq!(unescape_mount("/a\\040b\\011c"), "/a b\tc");
        assert_eq!(unescape_mount("\\134x\\012"), "\\x\n");
        assert_eq!(unescape_mount("/a\\04"), "/a\\04");
        assert_eq!(unescape_mount("/a\\089"), "/a\\089");
        let t =
            "none /x tmpfs rw 0 0\ncgroup2 /c\\0401 cgroup2 rw 0 0\ncgroup2 /d cgroup2 rw 0 0\n";
        assert_eq!(parse_cgroup2_mount(t).as_deref(), Some("/c 1"));
        assert_eq!(
            parse_cgroup2_mount("cgroup /sys/fs/cgroup/cpu cgroup rw 0 0\n"),
            None
        );
        assert_eq!(parse_cgroup2_mount("cgroup2 /c\n"), None);
    }

    #[test]
    fn capability_bits() {
        let s = "Name:\trss\nCapPrm:\t0\nCapEff:\t000001fffeffffff\n";
        assert_eq!(capability_in_status(s, CAP_NET_ADMIN), Some(true));
        assert_eq!(
            capability_in_status("CapEff:\t1000\n", CAP_NET_ADMIN),
            Some(true)
        );
        assert_eq!(
            capability_in_status("CapEff:\t0800\n", CAP_NET_ADMIN),
            Some(false)
        );
        assert_eq!(
            capability_in_status("CapEff:\t200000\n", CAP_SYS_ADMIN),
            Some(true)
        );
        assert_eq!(
            capability_in_status("CapEff:\tffffffffffffffff\n", 64),
            Some(false)
        );
        assert_eq!(capability_in_status("CapEff:\tzz\n", CAP_NET_ADMIN), None);
        assert_eq!(capability_in_status("Name:\tx\n", CAP_NET_ADMIN), None);
        // This thread's own set is readable.
        assert!(has_capability(CAP_NET_ADMIN).is_some());
    }

    #[test]
    fn paths() {
        assert_eq!(
            sysctl_file(Path::new("/proc"), "net.core.somaxconn"),
            Path::new("/proc/sys/net/core/somaxconn")
        );
        assert_eq!(
            sysctl_file(Path::new("/proc"), "net.ipv4.ip_local_port_range"),
            port_range_file(Path::new("/proc"))
        );
        assert_eq!(
            port_range_file(Path::new("/srv/proc")),
            Path::new("/srv/proc/sys/net/ipv4/ip_local_port_range")
        );
    }

    /// A directory of this process's own under the temporary directory,
    /// removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let p =
                std::env::temp_dir().join(format!("sockdiag-host-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Scratch(p)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// The status flags of an open file, from `flags:` (octal) in its
    /// `/proc/self/fdinfo` entry.
    fn open_flags(f: &File) -> i32 {
        use std::os::fd::AsRawFd;
        let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", f.as_raw_fd())).unwrap();
        let oct = info
            .lines()
            .find_map(|l| l.strip_prefix("flags:"))
            .unwrap()
            .trim();
        i32::from_str_radix(oct, 8).unwrap()
    }

    /// Each kind opens what it names, read-only, non-blocking and
    /// close-on-exec; only a directory is opened with `O_DIRECTORY`; a
    /// FIFO as a stream opens without a writer and is then blocking.
    #[test]
    fn open_checked_opens_each_kind() {
        use std::io::Read;
        let dir = Scratch::new("open");
        let file = dir.0.join("file");
        std::fs::write(&file, "text").unwrap();
        let ns = Path::new("/proc/self/ns/net");
        for (path, kind) in [
            (file.as_path(), FileKind::Regular),
            (file.as_path(), FileKind::Stream),
            (dir.0.as_path(), FileKind::Directory),
            (ns, FileKind::NetNamespace),
        ] {
            let f = open_checked(path, kind).unwrap_or_else(|e| panic!("{path:?} {kind:?}: {e}"));
            let flags = open_flags(&f);
            assert_eq!(flags & libc::O_ACCMODE, libc::O_RDONLY, "{kind:?}");
            assert_ne!(flags & libc::O_NONBLOCK, 0, "{kind:?}: {flags:o}");
            assert_ne!(flags & libc::O_CLOEXEC, 0, "{kind:?}: {flags:o}");
            assert_eq!(
                flags & libc::O_DIRECTORY != 0,
                kind == FileKind::Directory,
                "{kind:?}: {flags:o}"
            );
        }
        let mut text = String::new();
        open_checked(&file, FileKind::Regular)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "text");
        let fifo = dir.0.join("fifo");
        testkit::mkfifo(&fifo);
        let f = open_checked(&fifo, FileKind::Stream).unwrap();
        assert_eq!(open_flags(&f) & libc::O_NONBLOCK, 0, "a FIFO stream blocks");
        assert!(std::os::unix::fs::FileTypeExt::is_fifo(
            &f.metadata().unwrap().file_type()
        ));
    }

    /// What is not of the kind asked for is refused, unopened, with a
    /// message that says what it is.
    #[test]
    fn open_checked_refuses_other_kinds_and_says_what_they_are() {
        let dir = Scratch::new("refuse");
        let file = dir.0.join("file");
        std::fs::write(&file, "text").unwrap();
        let fifo = dir.0.join("fifo");
        testkit::mkfifo(&fifo);
        let sock = dir.0.join("sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let null = Path::new("/dev/null");
        let uts = Path::new("/proc/self/ns/uts");
        use FileKind::*;
        for (path, kind, want) in [
            (
                null,
                Regular,
                "not a regular file (it is a character device)",
            ),
            (fifo.as_path(), Regular, "not a regular file (it is a FIFO)"),
            (
                sock.as_path(),
                Regular,
                "not a regular file (it is a socket)",
            ),
            (
                dir.0.as_path(),
                Regular,
                "not a regular file (it is a directory)",
            ),
            (
                null,
                Stream,
                "not a regular file or a FIFO (it is a character device)",
            ),
            (
                dir.0.as_path(),
                Stream,
                "not a regular file or a FIFO (it is a directory)",
            ),
            (
                file.as_path(),
                Directory,
                "not a directory (it is a regular file)",
            ),
            (fifo.as_path(), Directory, "not a directory (it is a FIFO)"),
            (
                file.as_path(),
                NetNamespace,
                "not a network namespace file (it is a file of another filesystem)",
            ),
            (
                uts,
                NetNamespace,
                "not a network namespace file (it is another kind of namespace)",
            ),
            (
                dir.0.as_path(),
                NetNamespace,
                "not a network namespace file (it is a directory)",
            ),
        ] {
            let e = open_checked(path, kind).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{path:?} {kind:?}");
            assert_eq!(e.to_string(), want, "{path:?} {kind:?}");
        }
        let e = open_checked(&dir.0.join("missing"), Regular).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }

    /// The calling thread's capabilities are its status file's `CapEff`,
    /// for every capability number and one past the last.
    #[test]
    fn this_threads_capabilities() {
        let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
        for cap in 0..=64 {
            assert_eq!(
                has_capability(cap),
                capability_in_status(&status, cap),
                "{cap}"
            );
        }
    }

    #[test]
    fn port_range_files() {
        let dir = Scratch::new("range");
        let good = dir.0.join("good");
        std::fs::write(&good, "1024\t2048\n").unwrap();
        let bad = dir.0.join("bad");
        std::fs::write(&bad, "1024\n").unwrap();
        assert_eq!(read_port_range(&good), Some((1024, 2048)));
        assert_eq!(read_port_range(&bad), None);
        assert_eq!(read_port_range(&dir.0.join("missing")), None);
        let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap();
        let here = parse_port_range(&text);
        assert!(here.is_some(), "{text:?}");
        assert_eq!(local_port_range(), here);
    }

    /// The host files read whole, as they are (or empty, or `None`, when
    /// missing); bytes that are not UTF-8 replaced.
    #[test]
    fn host_files_are_read_lossily() {
        let lossy = |p: &str| {
            std::fs::read(p)
                .ok()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        };
        assert_eq!(read_services(), lossy(SERVICES_FILE).unwrap_or_default());
        assert_eq!(read_protocols(), lossy(PROTOCOLS_FILE).unwrap_or_default());
        assert_eq!(
            read_nl_protos(),
            lossy(NL_PROTOS_FILES[0]).or_else(|| lossy(NL_PROTOS_FILES[1]))
        );
        let dir = Scratch::new("lossy");
        let f = dir.0.join("f");
        std::fs::write(&f, b"a\xffb\n").unwrap();
        assert_eq!(
            read_lossy(f.to_str().unwrap()).as_deref(),
            Some("a\u{fffd}b\n")
        );
        assert_eq!(read_lossy(dir.0.join("missing").to_str().unwrap()), None);
        assert_eq!(
            selinux_enabled(),
            Path::new("/sys/fs/selinux/enforce").exists()
        );
    }

    /// A cgroup's id is the inode of its folder under `/sys/fs/cgroup`,
    /// with or without a leading slash.
    #[test]
    fn cgroup_ids_are_inodes() {
        use std::os::unix::fs::MetadataExt;
        let root = Path::new("/sys/fs/cgroup");
        assert_eq!(
            cgroup_id("/"),
            std::fs::metadata(root).ok().map(|m| m.ino())
        );
        for e in std::fs::read_dir(root).into_iter().flatten().flatten() {
            let name = e.file_name().into_string().unwrap();
            let ino = std::fs::metadata(e.path()).unwrap().ino();
            assert_eq!(cgroup_id(&format!("/{name}")), Some(ino), "{name}");
            assert_eq!(cgroup_id(&name), Some(ino), "{name}");
        }
        assert_eq!(cgroup_id("/sockdiag-no-such-cgroup"), None);
    }

    /// The walk starts at the cgroup2 mount (`/`) and names each cgroup
    /// made under it by its path from there.
    #[test]
    fn cgroup_paths_walk_the_cgroup2_mount() {
        use std::os::unix::fs::MetadataExt;
        testkit::require_privileged!();
        let mounts = std::fs::read_to_string(MOUNTS_FILE).unwrap();
        let mnt = PathBuf::from(parse_cgroup2_mount(&mounts).expect("a cgroup2 mount"));
        let name = format!("sockdiag-host-{}", std::process::id());
        let sub = mnt.join(&name);
        let inner = sub.join("inner");
        std::fs::create_dir_all(&inner).unwrap();
        let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();
        let want = [
            (ino(&mnt), "/".to_string()),
            (ino(&sub), format!("/{name}")),
            (ino(&inner), format!("/{name}/inner")),
        ];
        let paths = cgroup_paths();
        std::fs::remove_dir(&inner).unwrap();
        std::fs::remove_dir(&sub).unwrap();
        for w in &want {
            assert!(paths.contains(w), "{w:?} in {paths:?}");
        }
        assert!(paths.iter().all(|(_, p)| p.starts_with('/')), "{paths:?}");
    }
}
