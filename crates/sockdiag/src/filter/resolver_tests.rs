//! The system resolver against this host's own files and kernel: services
//! from `/etc/services` (the CI installs `netbase`), the loopback's index,
//! numeric hosts without DNS, and the cgroup2 root.

use std::net::IpAddr;
use std::os::unix::fs::MetadataExt;

use super::*;

#[test]
fn services_come_from_etc_services_tcp_entries() {
    let text = crate::host::read_services();
    let Some(ssh) = crate::host::parse_services(&text)
        .find(|s| s.protocol == "tcp" && s.name == "ssh")
        .map(|s| s.port)
    else {
        testkit::require(testkit::test_name!(), Some("no ssh/tcp in /etc/services"));
        return;
    };
    assert_eq!(SystemResolver.service("ssh"), Some(ssh));
    // An alias names the service too (`www` is http's in netbase).
    if let Some(http) = crate::host::parse_services(&text)
        .find(|s| s.protocol == "tcp" && s.is_named("www"))
        .map(|s| s.port)
    {
        assert_eq!(SystemResolver.service("www"), Some(http));
    }
    // A UDP-only service is not a TCP port (`bootps` is 67/udp only).
    let udp_only = crate::host::parse_services(&text)
        .filter(|s| s.protocol == "udp")
        .map(|s| s.name)
        .find(|n| {
            !crate::host::parse_services(&text).any(|s| s.protocol == "tcp" && s.is_named(n))
        });
    if let Some(n) = udp_only {
        assert_eq!(SystemResolver.service(n), None, "{n} is UDP only");
    }
    assert_eq!(SystemResolver.service("no-such-service-rss"), None);
}

#[test]
fn interfaces_by_the_kernel() {
    assert_eq!(SystemResolver.ifindex("lo"), Some(1));
    assert_eq!(SystemResolver.ifindex("no-such-if0"), None);
}

#[test]
fn numeric_hosts_need_no_lookup() {
    assert_eq!(
        SystemResolver.host("127.0.0.1"),
        vec!["127.0.0.1".parse::<IpAddr>().unwrap()]
    );
    assert_eq!(
        SystemResolver.host("::1"),
        vec!["::1".parse::<IpAddr>().unwrap()]
    );
    assert!(SystemResolver.host("no host here").is_empty());
}

#[test]
fn cgroups_by_their_directory_inode() {
    let Ok(root) = std::fs::metadata("/sys/fs/cgroup") else {
        testkit::require(testkit::test_name!(), Some("no /sys/fs/cgroup"));
        return;
    };
    assert_eq!(SystemResolver.cgroup("/"), Some(root.ino()));
    assert_eq!(SystemResolver.cgroup("/no-such-cgroup-rss"), None);
}
