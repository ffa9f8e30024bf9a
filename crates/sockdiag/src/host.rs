//! The host's files the crate and `rss` read by name, each read in one
//! place, behind a pure parser tested on literal text where it has text:
//! the local port range (`/proc/sys/net/ipv4/ip_local_port_range`) and the
//! other sysctls, the service names (`/etc/services`), the calling thread's
//! `/proc/net` directory, cgroup v2 ids (`/sys/fs/cgroup`) and whether
//! SELinux is on (`/sys/fs/selinux`).
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
}
