//! Which processes hold which sockets: the `/proc/*/fd` walk behind `ss -p`,
//! or the kernel's task-file iterator where it may be used
//! ([`HolderSource`], `task_files.rs`), which gives the same holders in the
//! same order without reading a link per descriptor.
//!
//! A [`ProcessMap`] is built only when asked for: the walk reads the link of every
//! descriptor of every process it may look at, which costs far more than
//! the netlink dump itself on a busy host. To keep that cost down the walk
//! opens each `/proc/PID/fd` once, reads every link relative to that
//! directory (`readlinkat`) into a stack buffer, parses `socket:[INODE]`
//! without allocating, and spreads the processes over the available cores.
//! It never reads extended attributes (ss reads a security context per
//! socket even without `-Z`).
//!
//! It does not list a descriptor table when it can do without: since
//! Linux 6.2 the size of a `/proc/PID/fd` directory (`fstat`) is the number
//! of open descriptors, so the walk reads the links of descriptors 0, 1,
//! 2, … until it has found that many. Listing the directory (`getdents64`)
//! costs about a quarter of a `readlinkat` per entry; probing a missing
//! number costs most of one, so a table with more holes than 4 plus a
//! quarter of the descriptors found so far (a high descriptor far above
//! the others, a table with many closed) is listed from the first number
//! not probed, and the misses stay cheaper than the listing they save. A size of 0 (older kernels, a process without a table), a
//! `proc_root` that is not procfs (whose directory sizes mean something
//! else and whose listing order is not numeric) and any error but `ENOENT`
//! from a probe fall back to the listing. Either way the descriptors are
//! read in ascending order, which is procfs's `readdir` order.
//!
//! # What `ss` shows, and in which order
//!
//! `ss -p` lists every holder of a socket: each (process, descriptor) pair,
//! so a listener shared by a master and its workers shows all of them, and
//! a process that holds one socket through several descriptors shows each.
//! `ss` prepends holders to a hash chain while it walks `/proc` in
//! `readdir` order (processes in ascending pid order, then descriptors in
//! ascending order), so it prints the holders of one socket in the reverse
//! of that walk. Measured with ss 6.1 on kernel 6.18, a listener held by a
//! master (pid 9463, fds 3, 4, 5) and three forked workers (fds 3–6 each)
//! prints `(pid=9506,fd=6),(pid=9506,fd=5),…,(pid=9504,fd=3),
//! (pid=9463,fd=5),(pid=9463,fd=4),(pid=9463,fd=3)`. [`ProcessMap::get`]
//! returns holders in exactly that order: the reverse of the `readdir`
//! walk, whatever order the directories yield.
//!
//! With threads (`ss -p -T`), `ss` walks `/proc/PID/fd` for the process
//! (tid = pid), then, for every other thread listed by `/proc/PID/task` in
//! `readdir` order, that thread's `fd` directory; every thread normally
//! shares the descriptor table, so each holder appears once per thread,
//! named after the thread (`/proc/PID/task/TID/comm`, the name a thread set
//! with `PR_SET_NAME`). Measured: a process 9524 with threads 9565 `wrk0`
//! and 9566 `wrk1` prints `(("wrk1",pid=9524,tid=9566,fd=3),
//! ("wrk0",pid=9524,tid=9565,fd=3),("python3",pid=9524,tid=9524,fd=3))`.
//! Here the leader's own entry has [`Process::tid`] `None` (as the model
//! documents: a tid only where it differs from the pid); a renderer that
//! shows threads prints `tid=` + the pid for it.
//!
//! The command name comes from `/proc/PID/comm`, whole; `ss` reads
//! `/proc/PID/stat` and cuts the name at its first `)`: printing it as `ss`
//! does (cut and escaped) is `ss::command_text`'s job.
//!
//! # Errors and races
//!
//! Processes come and go during the walk: a process or thread that vanishes
//! (`ENOENT`, `ESRCH`) and a directory this caller may not read (`EACCES`,
//! `EPERM`: an unprivileged caller sees only its own processes) are
//! skipped. The processes skipped for want of privilege are counted
//! ([`ProcessMap::hidden`], [`ProcessMap::is_partial`]), so a tool can say
//! that the list is partial and that root would see more. Only an unreadable `proc_root` and resource exhaustion
//! (`EMFILE`, `ENFILE`, `ENOMEM`), which would silently truncate the map,
//! are errors. The map is a snapshot: a descriptor opened or closed during
//! the walk may or may not be in it.

use std::collections::HashSet;
use std::ffi::CStr;
use std::fs::OpenOptions;
use std::io;
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::error::{Error, Result};
use crate::model::{Process, Socket};

/// `f_type` of procfs (`PROC_SUPER_MAGIC`).
const PROC_SUPER_MAGIC: i64 = 0x9fa0;

/// What to walk and what to keep; see [`ProcessMap::build`].
///
/// Build it with the setters or with struct-update syntax
/// (`ProcessMapOptions { threads: true, ..Default::default() }`).
#[derive(Debug, Clone)]
pub struct ProcessMapOptions {
    /// Record only these socket inodes (`None`: every socket). Every link
    /// must still be read to learn its inode, but nothing else is recorded
    /// and command names are read only for processes holding a wanted
    /// socket, so a filtered query on a host with 100k sockets stays cheap.
    pub wanted: Option<HashSet<u64>>,
    /// Also walk every thread's descriptor table (`/proc/PID/task/TID/fd`),
    /// as `ss -p -T` does: holders are then recorded once per thread.
    pub threads: bool,
    /// Where procfs is mounted (default `/proc`); tests point it at a fake tree.
    pub proc_root: PathBuf,
    /// Worker threads for the walk (default: `available_parallelism`).
    /// `1` walks on the calling thread.
    pub parallelism: Option<NonZeroUsize>,
    /// Where the holders come from: the kernel's task-file iterator or
    /// the `/proc` walk (default [`HolderSource::Auto`]).
    pub source: HolderSource,
}

/// Where [`ProcessMap::build`] learns which process holds which socket.
///
/// Both give the same holders in the same order; they differ in cost and
/// in what they need. The walk reads one link per open descriptor of every
/// process (`/proc/PID/fd/N`), which is what `ss -p` does. The kernel's
/// task-file iterator runs a small BPF program over every process's
/// descriptor table in one `read` and reports only the sockets: on a host
/// with many descriptors it is many times faster, for a fixed cost of a
/// few milliseconds (reading the kernel's type information and loading
/// the program). It needs `CAP_BPF` and `CAP_PERFMON` (or
/// `CAP_SYS_ADMIN`), Linux 5.11 with BTF (`/sys/kernel/btf/vmlinux`), the
/// initial pid namespace with `/proc` mounted from it, and no thread
/// holders ([`ProcessMapOptions::threads`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum HolderSource {
    /// The iterator where it can be used (see above), else the walk; a
    /// failure of the iterator falls back to the walk too.
    #[default]
    Auto,
    /// Always the `/proc/*/fd` walk.
    Proc,
    /// Always the iterator: [`ProcessMap::build`] fails where it cannot
    /// be used.
    Kernel,
}

impl Default for ProcessMapOptions {
    fn default() -> Self {
        ProcessMapOptions {
            wanted: None,
            threads: false,
            proc_root: PathBuf::from("/proc"),
            parallelism: None,
            source: HolderSource::Auto,
        }
    }
}

impl ProcessMapOptions {
    /// Every socket, no threads, `/proc`, all cores.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records only the sockets with these inodes.
    pub fn wanted(mut self, inodes: impl IntoIterator<Item = u64>) -> Self {
        self.wanted = Some(inodes.into_iter().collect());
        self
    }

    /// Also records holders per thread (`ss -T`).
    pub fn threads(mut self, threads: bool) -> Self {
        self.threads = threads;
        self
    }

    /// Walks another procfs mount (or a fake tree).
    pub fn proc_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.proc_root = root.into();
        self
    }

    /// Uses this many worker threads.
    pub fn parallelism(mut self, workers: NonZeroUsize) -> Self {
        self.parallelism = Some(workers);
        self
    }

    /// Takes the holders from this source.
    pub fn source(mut self, source: HolderSource) -> Self {
        self.source = source;
        self
    }
}

/// Socket inode → the processes holding it, from one walk of `/proc/*/fd`
/// (what `ss -p` prints).
///
/// [`get`](ProcessMap::get) returns a socket's holders in `ss`'s order:
/// every (process, descriptor) pair, in the reverse of a walk by ascending
/// pid then descriptor (so a listener shared by a master and its workers
/// lists the workers first). With [`ProcessMapOptions::threads`] (`ss -p
/// -T`) each thread's descriptor table is walked too, and each holder
/// appears once per thread, named after the thread; the leader's own
/// entry has [`Process::tid`] `None`. [`Process::command`] is
/// `/proc/PID/comm`, raw: print it with
/// [`ss::command_text`](crate::ss::command_text).
///
/// A process that exits during the walk is skipped; one whose descriptors
/// the caller may not read (another user's, without root) is skipped and
/// counted ([`hidden`](ProcessMap::hidden), [`is_partial`](ProcessMap::is_partial)).
/// The map is a snapshot: a descriptor opened or closed during the walk
/// may or may not be in it.
///
/// ```no_run
/// use sockdiag::{ProcessMap, ProcessMapOptions};
///
/// let map = ProcessMap::build(&ProcessMapOptions::new())?;
/// for p in map.get(12345) {
///     println!("{} pid={} fd={}", p.command, p.pid, p.fd);
/// }
/// # Ok::<(), sockdiag::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ProcessMap {
    /// Sorted; `inodes[i]` is the socket `processes[i]` holds.
    inodes: Vec<u64>,
    /// Grouped by inode, each group in `ss`'s order.
    processes: Vec<Process>,
    /// Distinct inodes.
    distinct: usize,
    /// Processes whose descriptors this caller may not read.
    hidden: usize,
    /// Where the holders came from: [`HolderSource::Proc`] or
    /// [`HolderSource::Kernel`].
    source: HolderSource,
    /// Where to look in `inodes`: see [`Buckets`].
    buckets: Buckets,
}

/// An index over the sorted inodes: the range of inode numbers is cut into
/// equal buckets (a power of two wide), and `starts[b]` is the first
/// position of bucket `b`. Socket inodes are numbered from one counter, so
/// they spread evenly and a lookup searches a few entries, not the whole
/// table (a dump gives its sockets in no inode order).
#[derive(Debug, Clone, Default)]
struct Buckets {
    /// The smallest inode.
    first: u64,
    /// log2 of a bucket's width.
    shift: u32,
    /// `starts[b]..starts[b + 1]`: the positions of bucket `b`.
    starts: Vec<u32>,
}

/// Inodes per bucket, on average, that [`Buckets::new`] aims at.
const PER_BUCKET: usize = 4;

impl Buckets {
    fn new(inodes: &[u64]) -> Buckets {
        let (Some(&first), Some(&last)) = (inodes.first(), inodes.last()) else {
            return Buckets::default();
        };
        let wanted = (inodes.len() / PER_BUCKET).max(1) as u64;
        let span = last - first;
        // The narrowest power-of-two width that needs at most `wanted` buckets.
        let mut shift = 0;
        while shift < 63 && (span >> shift) >= wanted {
            shift += 1;
        }
        let count = (span >> shift) as usize + 1;
        let mut starts = Vec::with_capacity(count + 1);
        let mut at = 0;
        for b in 0..count as u64 {
            while inodes.get(at).is_some_and(|&i| (i - first) >> shift < b) {
                at += 1;
            }
            starts.push(at as u32);
        }
        starts.push(inodes.len() as u32);
        Buckets {
            first,
            shift,
            starts,
        }
    }

    /// The positions in `inodes` where `inode` may be.
    fn range(&self, inode: u64) -> std::ops::Range<usize> {
        let Some(b) = inode
            .checked_sub(self.first)
            .map(|d| d >> self.shift)
            .and_then(|b| usize::try_from(b).ok())
        else {
            return 0..0;
        };
        match (
            self.starts.get(b),
            b.checked_add(1).and_then(|e| self.starts.get(e)),
        ) {
            (Some(&s), Some(&e)) => s as usize..e as usize,
            _ => 0..0,
        }
    }
}

/// Two maps are equal when they hold the same holders in the same order
/// and hid the same number of processes, whatever their source.
impl PartialEq for ProcessMap {
    fn eq(&self, other: &Self) -> bool {
        self.inodes == other.inodes
            && self.processes == other.processes
            && self.distinct == other.distinct
            && self.hidden == other.hidden
    }
}

impl Eq for ProcessMap {}

impl ProcessMap {
    /// Walks `opts.proc_root` and records who holds which socket.
    ///
    /// Fails only when the root cannot be listed or the process runs out of
    /// descriptors or memory. A process that exits during the walk is
    /// skipped; one whose descriptors this caller may not read is skipped
    /// and counted in [`ProcessMap::hidden`].
    pub fn build(opts: &ProcessMapOptions) -> Result<ProcessMap> {
        if opts.wanted.as_ref().is_some_and(HashSet::is_empty) {
            return Ok(ProcessMap::default());
        }
        let root_path = opts.proc_root.as_path();
        let file_error = |source| Error::File {
            path: root_path.to_path_buf(),
            source,
        };
        let root: OwnedFd = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
            .open(root_path)
            .map_err(file_error)?
            .into();
        let ctx = Walk::new(&root, opts, Listing::Auto);
        if let Some(map) = ctx.kernel_map(opts)? {
            return Ok(map);
        }
        let mut dents = Dents::new();
        let mut pids = Vec::new();
        dents
            .each(&root, |name| {
                if let Some(pid) = parse_id(name.to_bytes()) {
                    pids.push(pid);
                }
            })
            .map_err(file_error)?;
        let blocks = pids.len().div_ceil(PIDS_PER_BLOCK);
        let workers = opts
            .parallelism
            .or_else(|| std::thread::available_parallelism().ok())
            .map_or(1, NonZeroUsize::get)
            .min(blocks)
            .max(1);
        let mut results = ctx.run(&pids, workers, &mut dents)?;
        results.sort_unstable_by_key(|(block, _)| *block);
        Ok(ProcessMap::assemble(results.into_iter().map(|(_, r)| r)))
    }

    /// Where the holders came from ([`HolderSource::Proc`] or
    /// [`HolderSource::Kernel`]; never `Auto`).
    pub fn source(&self) -> HolderSource {
        self.source
    }

    /// The holders of the socket with this inode, in `ss -p`'s order; empty
    /// when none was found (and always for inode 0).
    pub fn get(&self, inode: u64) -> &[Process] {
        if inode == 0 {
            return &[];
        }
        let range = self.buckets.range(inode);
        let Some(bucket) = self.inodes.get(range.clone()) else {
            return &[];
        };
        let start = range.start + bucket.partition_point(|&i| i < inode);
        let end = range.start + bucket.partition_point(|&i| i <= inode);
        self.processes.get(start..end).unwrap_or(&[])
    }

    /// Sets `socket.processes` to the holders of its inode (clones; clears
    /// the list when there are none).
    pub fn attach(&self, socket: &mut Socket) {
        let holders = self.get(socket.inode);
        if holders.is_empty() {
            if let Some(d) = socket.detail_mut() {
                d.processes.clear();
            }
        } else {
            let list = &mut socket.detail_or_insert().processes;
            list.clear();
            list.extend_from_slice(holders);
        }
    }

    /// How many processes the walk skipped because this caller may not
    /// read their descriptors (`/proc/PID/fd`: `EACCES` or `EPERM`). Without
    /// root (strictly: `CAP_SYS_PTRACE` and `CAP_DAC_READ_SEARCH`) that is
    /// every process of another user, and their sockets have no holders
    /// in this map. Processes procfs does not list at all (mounted with
    /// `hidepid=invisible`) are not counted.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// True when some processes were [`hidden`](ProcessMap::hidden): the
    /// map is partial, and a tool may say "run as root to see every
    /// process".
    ///
    /// ```no_run
    /// let map = sockdiag::ProcessMap::build(&sockdiag::ProcessMapOptions::new())?;
    /// if map.is_partial() {
    ///     eprintln!("{} processes not shown: run as root to see them", map.hidden());
    /// }
    /// # Ok::<(), sockdiag::Error>(())
    /// ```
    pub fn is_partial(&self) -> bool {
        self.hidden > 0
    }

    /// Number of distinct sockets with at least one holder.
    pub fn len(&self) -> usize {
        self.distinct
    }

    /// True when no socket holder was found.
    pub fn is_empty(&self) -> bool {
        self.distinct == 0
    }

    /// Every socket inode with its holders, by ascending inode.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &[Process])> + '_ {
        let mut start = 0;
        self.inodes.chunk_by(|a, b| a == b).map(move |run| {
            let s = start;
            start += run.len();
            (
                run.first().copied().unwrap_or(0),
                self.processes.get(s..start).unwrap_or(&[]),
            )
        })
    }

    /// Builds the map from block results given in walk order.
    fn assemble(blocks: impl Iterator<Item = Block>) -> ProcessMap {
        let mut raw = Vec::new();
        let mut comms: Vec<String> = Vec::new();
        let mut hidden = 0;
        for block in blocks {
            hidden += block.hidden;
            let base = comms.len() as u32;
            comms.extend(block.comms);
            raw.extend(block.entries.into_iter().map(|mut e| {
                e.comm = e.comm.saturating_add(base);
                e
            }));
        }
        // ss prints the reverse of its walk; a stable sort of the reversed
        // walk keeps that order within each inode.
        raw.reverse();
        raw.sort_by_key(|e| e.inode);
        let distinct = raw.chunk_by(|a, b| a.inode == b.inode).count();
        let inodes: Vec<u64> = raw.iter().map(|e| e.inode).collect();
        let buckets = Buckets::new(&inodes);
        let processes = raw
            .iter()
            .map(|e| Process {
                command: comms.get(e.comm as usize).cloned().unwrap_or_default(),
                pid: e.pid,
                fd: e.fd,
                tid: (e.tid != e.pid).then_some(e.tid),
            })
            .collect();
        ProcessMap {
            inodes,
            processes,
            distinct,
            hidden,
            source: HolderSource::Proc,
            buckets,
        }
    }
}

/// Pids handed to a worker at a time. One: the walk's cost is in the
/// kernel, per descriptor, and a few processes often hold nearly all of
/// them (a farm of 12 processes with 16k sockets each took 0.74 s with
/// blocks of 4 pids, two of three heavy blocks landing on one core); the
/// shared counter costs nothing next to one `readlinkat`.
const PIDS_PER_BLOCK: usize = 1;

/// How descriptor tables are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listing {
    /// Probed by number where the directory's size gives their count.
    Auto,
    /// Always listed (`getdents64`), as on kernels before 6.2: only tests
    /// ask for it, to compare the two ways.
    #[cfg_attr(not(test), allow(dead_code))]
    Always,
}

/// Missing descriptor numbers a probe passes over, plus one per
/// [`PROBE_FOUND_PER_MISS`] descriptors found, before the rest of the
/// table is listed instead. A miss costs about 2.5 µs, and each
/// descriptor probed rather than listed saves about 0.9 µs (a
/// `getdents64` entry): misses beyond a quarter of the found would cost
/// more than the listing. Most processes hold a few descriptors and one
/// far above (a shell's 255), so the fixed part stays small.
const PROBE_MISSES: u64 = 4;

/// See [`PROBE_MISSES`].
const PROBE_FOUND_PER_MISS: u64 = 4;

/// What reading one descriptor's link said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// The descriptor is open (whatever its link).
    Open,
    /// No such descriptor (`ENOENT`).
    Missing,
    /// Another error: the listing takes over from this descriptor.
    Failed,
}

/// Probes descriptors 0, 1, 2, … with `look` until `count` were open.
/// Returns `None` when they all were found, or the first descriptor the
/// listing must still read when the misses went past the budget
/// ([`PROBE_MISSES`] + found / [`PROBE_FOUND_PER_MISS`]) or `look` failed.
fn probe(count: u64, mut look: impl FnMut(u32) -> Seen) -> Option<u32> {
    let (mut found, mut missed) = (0u64, 0u64);
    let mut fd = 0u32;
    while found < count {
        if missed > PROBE_MISSES + found / PROBE_FOUND_PER_MISS {
            return Some(fd);
        }
        match look(fd) {
            Seen::Open => found += 1,
            Seen::Missing => missed += 1,
            Seen::Failed => return Some(fd),
        }
        fd += 1;
    }
    None
}

/// One holder found by the walk.
#[derive(Debug, Clone, Copy)]
struct Raw {
    inode: u64,
    pid: i32,
    tid: i32,
    fd: i32,
    /// Index into the block's (later the map's) command names.
    comm: u32,
}

/// What the walk of one block of pids found, in walk order.
#[derive(Debug, Default)]
struct Block {
    entries: Vec<Raw>,
    comms: Vec<String>,
    /// Processes whose `fd` directory this caller may not read.
    hidden: usize,
    /// Descriptor tables read (at least partly) by listing them.
    listed: usize,
}

/// The shared, read-only state of one walk.
struct Walk<'a> {
    root: &'a OwnedFd,
    root_path: &'a Path,
    wanted: Option<&'a HashSet<u64>>,
    threads: bool,
    /// Probe descriptor numbers before listing (`proc_root` is procfs).
    probe: bool,
}

impl<'a> Walk<'a> {
    /// A walk of `root`, the open `opts.proc_root`.
    fn new(root: &'a OwnedFd, opts: &'a ProcessMapOptions, listing: Listing) -> Self {
        Walk {
            root,
            root_path: opts.proc_root.as_path(),
            wanted: opts.wanted.as_ref(),
            threads: opts.threads,
            probe: listing == Listing::Auto
                && crate::sys::fs_type(root.as_fd()).is_ok_and(|t| t == PROC_SUPER_MAGIC),
        }
    }

    /// The map from the kernel's task-file iterator, when `opts.source`
    /// asks for it and it can be used; `None` for the walk.
    fn kernel_map(&self, opts: &ProcessMapOptions) -> Result<Option<ProcessMap>> {
        let usable = || !self.threads && self.probe && crate::task_files::usable(&opts.proc_root);
        match opts.source {
            HolderSource::Proc => return Ok(None),
            HolderSource::Auto if !usable() => return Ok(None),
            HolderSource::Kernel if !usable() => {
                return Err(Error::Io {
                    context: "the task-file iterator needs CAP_BPF and CAP_PERFMON (or \
                              CAP_SYS_ADMIN), the initial pid namespace with its /proc, \
                              and no thread holders",
                    source: io::Error::from(io::ErrorKind::Unsupported),
                });
            }
            HolderSource::Auto | HolderSource::Kernel => {}
        }
        let keep = |inode: u64| inode != 0 && self.wanted.is_none_or(|w| w.contains(&inode));
        let held = match crate::task_files::socket_descriptors(keep) {
            Ok(held) => held,
            Err(_) if opts.source == HolderSource::Auto => return Ok(None),
            Err(e) => return Err(e),
        };
        // One block per process, in the iterator's order (ascending pid,
        // then descriptor: the walk's).
        // The iterator kept only wanted sockets: each process's name is read
        // once, for its first.
        let blocks = held.chunk_by(|a, b| a.pid == b.pid).map(|run| {
            let mut prefix = Name::new();
            prefix.push_num(run.first().map_or(0, |h| h.pid)).push(b"/");
            Block {
                comms: vec![self.read_comm(&prefix)],
                entries: run
                    .iter()
                    .map(|h| Raw {
                        inode: h.inode,
                        pid: h.pid as i32,
                        tid: h.pid as i32,
                        fd: h.fd as i32,
                        comm: 0,
                    })
                    .collect(),
                ..Block::default()
            }
        });
        let mut map = ProcessMap::assemble(blocks);
        map.source = HolderSource::Kernel;
        Ok(Some(map))
    }

    /// Walks the pid blocks on this thread and `workers - 1` helpers. The
    /// blocks are handed out by a shared counter, so the walk completes
    /// whatever number of helpers could be started.
    fn run(&self, pids: &[u32], workers: usize, dents: &mut Dents) -> Result<Vec<(usize, Block)>> {
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..workers)
                .filter_map(|_| {
                    let (next, stop) = (&next, &stop);
                    std::thread::Builder::new()
                        .name("sockdiag-proc".into())
                        .spawn_scoped(scope, move || {
                            self.worker(pids, next, stop, &mut Dents::new())
                        })
                        .ok()
                })
                .collect();
            let mut result = self.worker(pids, &next, &stop, dents);
            for h in helpers {
                let found = h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
                match (&mut result, found) {
                    (Ok(all), Ok(blocks)) => all.extend(blocks),
                    (Ok(_), Err(e)) => result = Err(e),
                    (Err(_), _) => {}
                }
            }
            result
        })
    }

    /// Takes blocks of pids until none is left, returning (block number, findings).
    fn worker(
        &self,
        pids: &[u32],
        next: &AtomicUsize,
        stop: &AtomicBool,
        dents: &mut Dents,
    ) -> Result<Vec<(usize, Block)>> {
        let mut out = Vec::new();
        let mut tids = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let b = next.fetch_add(1, Ordering::Relaxed);
            let Some(chunk) = pids.chunks(PIDS_PER_BLOCK).nth(b) else {
                break;
            };
            let mut block = Block::default();
            for &pid in chunk {
                if let Err(e) = self.pid(pid, dents, &mut tids, &mut block) {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
            if !block.entries.is_empty() || block.hidden > 0 {
                out.push((b, block));
            }
        }
        Ok(out)
    }

    /// Walks one process (and its threads, when asked).
    fn pid(&self, pid: u32, dents: &mut Dents, tids: &mut Vec<u32>, out: &mut Block) -> Result<()> {
        let mut name = Name::new();
        name.push_num(pid).push(b"/");
        self.fd_dir(&name, pid, pid, dents, out)?;
        if !self.threads {
            return Ok(());
        }
        name.push(b"task");
        let Some(task) = self.open_dir(&name, b"")? else {
            return Ok(());
        };
        tids.clear();
        // A process that exits mid-listing simply has fewer threads.
        let _ = dents.each(&task, |n| {
            if let Some(tid) = parse_id(n.to_bytes()) {
                tids.push(tid);
            }
        });
        drop(task);
        name.push(b"/");
        for &tid in tids.iter() {
            if tid == pid {
                continue;
            }
            let mut thread = name;
            thread.push_num(tid).push(b"/");
            self.fd_dir(&thread, pid, tid, dents, out)?;
        }
        Ok(())
    }

    /// Walks `<prefix>fd`, recording wanted sockets held by (pid, tid); the
    /// command name is read from `<prefix>comm` at the first one.
    fn fd_dir(
        &self,
        prefix: &Name,
        pid: u32,
        tid: u32,
        dents: &mut Dents,
        out: &mut Block,
    ) -> Result<()> {
        let dir = match self.open_dir_or_denied(prefix, b"fd")? {
            Ok(dir) => dir,
            Err(denied) => {
                // A process counts once, not once per thread.
                if denied && tid == pid {
                    out.hidden += 1;
                }
                return Ok(());
            }
        };
        let mut comm = None;
        let dirfd = dir.as_fd();
        let mut record = |fd: u32, link: &[u8]| {
            let Some(inode) = socket_inode(link) else {
                return;
            };
            if inode == 0 || self.wanted.is_some_and(|w| !w.contains(&inode)) {
                return;
            }
            let comm = *comm.get_or_insert_with(|| {
                out.comms.push(self.read_comm(prefix));
                out.comms.len() as u32 - 1
            });
            out.entries.push(Raw {
                inode,
                pid: pid as i32,
                tid: tid as i32,
                fd: fd as i32,
                comm,
            });
        };
        // The first descriptor the listing reads: those below were probed.
        let mut from = 0;
        if let Some(count) = self.open_count(dirfd) {
            let probed = probe(count, |fd| {
                let mut name = Name::new();
                name.push_num(fd);
                let Some(name) = name.with(b"") else {
                    return Seen::Failed;
                };
                let mut link = [0u8; 64];
                match crate::sys::readlinkat(dirfd, name, &mut link) {
                    Ok(len) => {
                        // A target that fills the buffer may be cut, and
                        // no socket link is that long.
                        if let Some(target) = link.get(..len).filter(|_| len < link.len()) {
                            record(fd, target);
                        }
                        Seen::Open
                    }
                    Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Seen::Missing,
                    Err(_) => Seen::Failed,
                }
            });
            match probed {
                None => return Ok(()),
                Some(fd) => from = fd,
            }
        }
        // Errors while listing (the process exited) end the walk of this
        // directory; what was found so far is kept, as ss does.
        let _ = dents.each(&dir, |n| {
            let Some(fd) = parse_id(n.to_bytes()).filter(|&fd| fd >= from) else {
                return;
            };
            let mut link = [0u8; 64];
            if let Some(len) = read_link_at(dirfd, n, &mut link) {
                record(fd, link.get(..len).unwrap_or(&[]));
            }
        });
        out.listed += 1;
        Ok(())
    }

    /// How many descriptors the open table `dir` holds, when it says so
    /// and the walk may probe them (see the module's documentation).
    fn open_count(&self, dir: BorrowedFd<'_>) -> Option<u64> {
        if !self.probe {
            return None;
        }
        crate::sys::file_size(dir).ok().and_then(descriptor_count)
    }

    /// Opens `<prefix><leaf>` as a directory; `None` when it vanished or may
    /// not be read.
    fn open_dir(&self, prefix: &Name, leaf: &[u8]) -> Result<Option<OwnedFd>> {
        Ok(self.open_dir_or_denied(prefix, leaf)?.ok())
    }

    /// [`Walk::open_dir`], saying why a directory was not opened:
    /// `Err(true)` when this caller may not read it (`EACCES`, `EPERM`).
    fn open_dir_or_denied(
        &self,
        prefix: &Name,
        leaf: &[u8],
    ) -> Result<std::result::Result<OwnedFd, bool>> {
        let mut buf = *prefix;
        let Some(path) = buf.with(leaf) else {
            return Ok(Err(false));
        };
        match open_at(self.root.as_fd(), path, libc::O_RDONLY | libc::O_DIRECTORY) {
            Ok(fd) => Ok(Ok(fd)),
            Err(e) if is_exhaustion(&e) => Err(Error::File {
                path: self
                    .root_path
                    .join(String::from_utf8_lossy(path.to_bytes()).as_ref()),
                source: e,
            }),
            Err(e) => Ok(Err(matches!(
                e.raw_os_error(),
                Some(libc::EACCES | libc::EPERM)
            ))),
        }
    }

    /// `<prefix>comm` without its newline; empty when unreadable (ss then
    /// prints an empty name too).
    fn read_comm(&self, prefix: &Name) -> String {
        let mut buf = *prefix;
        let Some(path) = buf.with(b"comm") else {
            return String::new();
        };
        let Ok(file) = open_at(self.root.as_fd(), path, libc::O_RDONLY) else {
            return String::new();
        };
        let mut file = std::fs::File::from(file);
        let mut text = [0u8; 256];
        let mut len = 0;
        while len < text.len() {
            let Some(rest) = text.get_mut(len..) else {
                break;
            };
            match io::Read::read(&mut file, rest) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let text = text.get(..len).unwrap_or(&[]);
        let text = text.strip_suffix(b"\n").unwrap_or(text);
        lossy_per_byte(text)
    }
}

/// The number of open descriptors a `/proc/PID/fd` directory's size
/// gives; `None` for 0 (kernels before 6.2, a process without a table).
fn descriptor_count(size: i64) -> Option<u64> {
    u64::try_from(size).ok().filter(|&n| n > 0)
}

/// Errors that would silently truncate the map if skipped.
fn is_exhaustion(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOMEM)
    )
}

/// A decimal id (pid, tid, fd): digits only, no sign, fits in `i32`.
fn parse_id(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 10 {
        return None;
    }
    let mut n: u32 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(c - b'0'))?;
    }
    (n <= i32::MAX as u32).then_some(n)
}

/// The inode of a `socket:[INODE]` link target.
fn socket_inode(link: &[u8]) -> Option<u64> {
    let digits = link.strip_prefix(b"socket:[")?.strip_suffix(b"]")?;
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(n)
}

/// A path relative to the proc root, built on the stack (the longest,
/// `PID/task/TID/comm`, is 31 bytes).
#[derive(Clone, Copy)]
struct Name {
    buf: [u8; 64],
    len: usize,
    overflow: bool,
}

impl Name {
    fn new() -> Self {
        Name {
            buf: [0; 64],
            len: 0,
            overflow: false,
        }
    }

    fn push(&mut self, s: &[u8]) -> &mut Self {
        match self.buf.get_mut(self.len..self.len + s.len()) {
            Some(dst) => {
                dst.copy_from_slice(s);
                self.len += s.len();
            }
            None => self.overflow = true,
        }
        self
    }

    fn push_num(&mut self, n: u32) -> &mut Self {
        let mut digits = [0u8; 10];
        let mut i = digits.len();
        let mut n = n;
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 || i == 0 {
                break;
            }
        }
        self.push(&digits[i..])
    }

    /// This path followed by `leaf`, NUL-terminated; `None` if it did not fit.
    fn with(&mut self, leaf: &[u8]) -> Option<&CStr> {
        let end = self.len + leaf.len();
        if self.overflow || end >= self.buf.len() {
            return None;
        }
        self.buf.get_mut(self.len..end)?.copy_from_slice(leaf);
        *self.buf.get_mut(end)? = 0;
        CStr::from_bytes_with_nul(self.buf.get(..=end)?).ok()
    }
}

/// `openat(dir, path, flags | O_CLOEXEC)`.
fn open_at(dir: BorrowedFd<'_>, path: &CStr, flags: libc::c_int) -> io::Result<OwnedFd> {
    crate::sys::openat(dir, path, flags)
}

/// `readlinkat(dir, name)` into `buf`; `None` on error or if the target
/// filled the whole buffer (it may be cut, and no socket link is that long).
fn read_link_at(dir: BorrowedFd<'_>, name: &CStr, buf: &mut [u8]) -> Option<usize> {
    crate::sys::readlinkat(dir, name, buf)
        .ok()
        .filter(|&n| n < buf.len())
}

/// A reusable `getdents64` buffer: lists a directory without the
/// allocations of `std::fs::read_dir` or `opendir`.
struct Dents {
    buf: Vec<u8>,
}

impl Dents {
    fn new() -> Self {
        Dents {
            buf: vec![0; 32 * 1024],
        }
    }

    /// Calls `f` with the name of every entry of `dir` but `.` and `..`, in
    /// `readdir` order.
    fn each(&mut self, dir: &OwnedFd, mut f: impl FnMut(&CStr)) -> io::Result<()> {
        // struct linux_dirent64: d_ino u64, d_off i64, d_reclen u16,
        // d_type u8, d_name[] NUL-terminated, padded to 8 bytes.
        const NAME: usize = 19;
        loop {
            let n = crate::sys::getdents64(dir.as_fd(), &mut self.buf)?;
            if n == 0 {
                return Ok(());
            }
            let filled = self.buf.get(..n).unwrap_or(&self.buf);
            let mut pos = 0;
            while let Some(rec) = filled.get(pos..).filter(|r| r.len() > NAME) {
                let reclen = usize::from(u16::from_ne_bytes([rec[16], rec[17]]));
                let Some(name) = rec.get(NAME..reclen) else {
                    break;
                };
                if let Ok(name) = CStr::from_bytes_until_nul(name)
                    && !matches!(name.to_bytes(), b"." | b"..")
                {
                    f(name);
                }
                pos += reclen;
            }
        }
    }
}

/// UTF-8 text with each byte that does not decode replaced by one U+FFFD,
/// so a renderer can print one `?` per original byte, as `ss` does.
fn lossy_per_byte(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        s.push_str(chunk.valid());
        for _ in chunk.invalid() {
            s.push(char::REPLACEMENT_CHARACTER);
        }
    }
    s
}

#[cfg(test)]
mod tests {

    #[test]
    fn undecodable_bytes_become_one_replacement_each() {
        assert_eq!(lossy_per_byte(b"c\xff\xfem"), "c\u{fffd}\u{fffd}m");
        assert_eq!(lossy_per_byte(b"caf\xc3\xa9"), "caf\u{e9}");
        assert_eq!(lossy_per_byte(b"\xe2\x82x"), "\u{fffd}\u{fffd}x");
    }
    use super::*;
    use std::os::fd::{AsRawFd, IntoRawFd, RawFd};
    use std::os::unix::fs::{PermissionsExt, symlink};
    use std::sync::atomic::AtomicU32;

    /// A fake proc tree in a fresh temporary directory, removed on drop.
    struct FakeProc {
        root: PathBuf,
    }

    impl FakeProc {
        fn new() -> FakeProc {
            static N: AtomicU32 = AtomicU32::new(0);
            let root = std::env::temp_dir().join(format!(
                "sockdiag-process-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&root);
            std::fs::create_dir_all(&root).unwrap();
            std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
            FakeProc { root }
        }

        fn dir(&self, rel: &str) -> PathBuf {
            let p = self.root.join(rel);
            std::fs::create_dir_all(&p).unwrap();
            for a in p.ancestors().take_while(|a| a.starts_with(&self.root)) {
                std::fs::set_permissions(a, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
            p
        }

        /// `<task>/comm` and `<task>/fd/N -> target` for each (N, target).
        fn task(&self, task: &str, comm: &str, fds: &[(i32, &str)]) {
            let d = self.dir(task);
            std::fs::write(d.join("comm"), format!("{comm}\n")).unwrap();
            let fd = self.dir(&format!("{task}/fd"));
            for (n, target) in fds {
                symlink(target, fd.join(n.to_string())).unwrap();
            }
        }

        fn opts(&self) -> ProcessMapOptions {
            ProcessMapOptions::new().proc_root(&self.root)
        }

        /// Pids in the order `readdir` lists them (what ss walks).
        fn walk_order(&self, rel: &str) -> Vec<i32> {
            std::fs::read_dir(self.root.join(rel))
                .unwrap()
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        }
    }

    impl Drop for FakeProc {
        fn drop(&mut self) {
            let _ = std::fs::set_permissions(
                self.root.join("500/fd"),
                std::fs::Permissions::from_mode(0o755),
            );
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }

    fn p(command: &str, pid: i32, fd: i32, tid: Option<i32>) -> Process {
        Process {
            command: command.into(),
            pid,
            fd,
            tid,
        }
    }

    /// Expected holders of one inode: `(pid, fds in readdir order)` walked in
    /// `pids` order, then reversed as ss prints them.
    fn ss_order(fake: &FakeProc, pids: &[i32], holders: &[(i32, &str, &[i32])]) -> Vec<Process> {
        let mut walk = Vec::new();
        for pid in pids {
            for (hp, comm, fds) in holders {
                if hp != pid {
                    continue;
                }
                for fd in fake.walk_order(&format!("{pid}/fd")) {
                    if fds.contains(&fd) {
                        walk.push(p(comm, *pid, fd, None));
                    }
                }
            }
        }
        walk.reverse();
        walk
    }

    fn standard_tree() -> FakeProc {
        let f = FakeProc::new();
        f.task(
            "100",
            "master",
            &[
                (3, "socket:[123]"),
                (4, "socket:[456]"),
                (5, "/dev/null"),
                (7, "socket:[123]"),
            ],
        );
        f.task(
            "200",
            "worker one",
            &[(3, "socket:[123]"), (9, "pipe:[77]"), (10, "socket:[0]")],
        );
        f.task(
            "201",
            "idle",
            &[(0, "/dev/pts/0"), (1, "anon_inode:[eventfd]")],
        );
        // Vanished between readdir and open: a dangling entry, and a pid
        // directory whose fd directory is gone.
        symlink("/nonexistent/sockdiag-test", f.root.join("300")).unwrap();
        f.dir("400");
        // Not pids.
        symlink("100", f.root.join("self")).unwrap();
        f.task("net", "x", &[(3, "socket:[123]")]);
        f.task("12a", "x", &[(3, "socket:[123]")]);
        f.task("-1", "x", &[(3, "socket:[123]")]);
        f
    }

    #[test]
    fn finds_every_holder_in_ss_order() {
        let f = standard_tree();
        for workers in [1, 2, 3] {
            let opts = f.opts().parallelism(NonZeroUsize::new(workers).unwrap());
            let map = ProcessMap::build(&opts).unwrap();
            let pids = f.walk_order("");
            let expected = ss_order(
                &f,
                &pids,
                &[(100, "master", &[3, 7]), (200, "worker one", &[3])],
            );
            assert_eq!(map.get(123), expected.as_slice(), "{workers} workers");
            assert_eq!(map.get(123).len(), 3);
            assert_eq!(map.get(456), &[p("master", 100, 4, None)]);
            assert_eq!(map.get(0), &[]);
            assert_eq!(map.get(77), &[]);
            assert_eq!(map.len(), 2);
            assert!(!map.is_empty());
            let all: Vec<_> = map.iter().map(|(i, ps)| (i, ps.len())).collect();
            assert_eq!(all, [(123, 3), (456, 1)]);
        }
    }

    #[test]
    fn wanted_restricts_what_is_recorded() {
        let f = standard_tree();
        let map = ProcessMap::build(&f.opts().wanted([456, 999])).unwrap();
        assert_eq!(map.len(), 1);
        assert_eq!(map.get(123), &[]);
        assert_eq!(map.get(456), &[p("master", 100, 4, None)]);
        let none = ProcessMap::build(&f.opts().wanted([])).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn attach_fills_and_replaces() {
        let f = standard_tree();
        let map = ProcessMap::build(&f.opts()).unwrap();
        let mut s = Socket::new(crate::Table::Tcp, crate::Family::Inet, crate::State::Listen);
        s.inode = 456;
        map.attach(&mut s);
        assert_eq!(s.processes(), [p("master", 100, 4, None)]);
        s.inode = 0;
        map.attach(&mut s);
        assert!(s.processes().is_empty());
    }

    #[test]
    fn threads_are_walked_when_asked() {
        let f = FakeProc::new();
        f.task("600", "leader", &[(3, "socket:[42]")]);
        f.task("600/task/600", "leader", &[(3, "socket:[42]")]);
        f.task("600/task/601", "wrk0", &[(3, "socket:[42]")]);
        f.task("600/task/602", "wrk1", &[(3, "socket:[42]")]);
        f.dir("600/task/603"); // exited: no fd directory
        let plain = ProcessMap::build(&f.opts()).unwrap();
        assert_eq!(plain.get(42), &[p("leader", 600, 3, None)]);

        let map = ProcessMap::build(&f.opts().threads(true)).unwrap();
        let mut expected = vec![p("leader", 600, 3, None)];
        for tid in f.walk_order("600/task") {
            let comm = match tid {
                601 => "wrk0",
                602 => "wrk1",
                _ => continue,
            };
            expected.push(p(comm, 600, 3, Some(tid)));
        }
        expected.reverse();
        assert_eq!(map.get(42), expected.as_slice());
    }

    #[test]
    fn unreadable_fd_dir_is_skipped() {
        let f = standard_tree();
        f.task("500", "secret", &[(3, "socket:[123]"), (4, "socket:[888]")]);
        std::fs::set_permissions(
            f.root.join("500/fd"),
            std::fs::Permissions::from_mode(0o000),
        )
        .unwrap();
        let opts = f.opts().parallelism(NonZeroUsize::MIN);
        // Root reads anything: walk as an unprivileged user from a thread
        // of its own (setfsuid changes only the calling thread and drops
        // its DAC capabilities; a non-root caller keeps its own ids).
        let map = std::thread::spawn(move || {
            crate::sys::testing::setfsuid(65534);
            ProcessMap::build(&opts)
        })
        .join()
        .unwrap()
        .unwrap();
        assert_eq!(map.get(888), &[]);
        assert!(map.get(123).iter().all(|p| p.pid != 500));
        assert_eq!(map.get(123).len(), 3);
        // Counted once, and only it: 300 (gone) and 400 (no fd directory)
        // are not hidden.
        assert_eq!(map.hidden(), 1);
        assert!(map.is_partial());
    }

    #[test]
    fn a_complete_walk_hides_nothing() {
        let f = standard_tree();
        let map = ProcessMap::build(&f.opts()).unwrap();
        assert_eq!(map.hidden(), 0);
        assert!(!map.is_partial());
        let threads = ProcessMap::build(&f.opts().threads(true)).unwrap();
        assert_eq!(threads.hidden(), 0);
        assert_eq!(threads.get(123), map.get(123));
    }

    #[test]
    fn a_hidden_process_counts_once_whatever_its_threads() {
        let f = FakeProc::new();
        f.task("500", "secret", &[(3, "socket:[888]")]);
        f.task("500/task/500", "secret", &[(3, "socket:[888]")]);
        f.task("500/task/501", "wrk", &[(3, "socket:[888]")]);
        f.task("600", "open", &[(3, "socket:[42]")]);
        f.task("600/task/600", "open", &[(3, "socket:[42]")]);
        f.task("600/task/601", "shut", &[(3, "socket:[42]")]);
        for d in ["500/fd", "500/task/501/fd", "600/task/601/fd"] {
            std::fs::set_permissions(f.root.join(d), std::fs::Permissions::from_mode(0o000))
                .unwrap();
        }
        let opts = f.opts().threads(true).parallelism(NonZeroUsize::MIN);
        let map = std::thread::spawn(move || {
            crate::sys::testing::setfsuid(65534);
            ProcessMap::build(&opts)
        })
        .join()
        .unwrap()
        .unwrap();
        for d in ["500/task/501/fd", "600/task/601/fd"] {
            let _ =
                std::fs::set_permissions(f.root.join(d), std::fs::Permissions::from_mode(0o755));
        }
        // 500's tables are all unreadable: one process hidden, not one
        // per thread. 600's thread 601 is unreadable and its process's
        // table is not: 600 is not hidden.
        assert_eq!(map.hidden(), 1);
        assert_eq!(map.get(888), &[]);
        assert_eq!(map.get(42), &[p("open", 600, 3, None)]);
    }

    #[test]
    fn odd_files_in_the_tree_are_passed_over_without_blocking() {
        // FIFOs where directories are expected would block an open
        // without O_DIRECTORY; a `comm` that is a directory fails to read.
        let f = FakeProc::new();
        f.task("700", "fifo-fd", &[]);
        std::fs::remove_dir(f.root.join("700/fd")).unwrap();
        testkit::mkfifo(&f.root.join("700/fd"));
        f.task("701", "fifo-task", &[(3, "socket:[71]")]);
        testkit::mkfifo(&f.root.join("701/task"));
        f.task("702", "", &[(3, "socket:[72]")]);
        std::fs::remove_file(f.root.join("702/comm")).unwrap();
        f.dir("702/comm");
        f.task("703", "plain-fd", &[]);
        std::fs::remove_dir(f.root.join("703/fd")).unwrap();
        std::fs::write(f.root.join("703/fd"), "socket:[73]").unwrap();
        let map = ProcessMap::build(&f.opts().threads(true)).unwrap();
        let all: Vec<_> = map.iter().map(|(i, ps)| (i, ps.to_vec())).collect();
        assert_eq!(
            all,
            [
                (71, vec![p("fifo-task", 701, 3, None)]),
                (72, vec![p("", 702, 3, None)]),
            ]
        );
        assert_eq!(map.hidden(), 0);

        let root = f.root.join("fifo-root");
        testkit::mkfifo(&root);
        let e = ProcessMap::build(&ProcessMapOptions::new().proc_root(&root)).unwrap_err();
        match e {
            Error::File { path, source } => {
                assert_eq!(path, root);
                assert_eq!(source.raw_os_error(), Some(libc::ENOTDIR));
            }
            e => panic!("{e:?}"),
        }
    }

    /// Set in the child process that [`descriptors_running_out_is_an_error`]
    /// runs itself in.
    const EXHAUSTION_CHILD: &str = "SOCKDIAG_TEST_FD_EXHAUSTION_CHILD";

    #[test]
    fn descriptors_running_out_is_an_error() {
        const NAME: &str = "process::tests::descriptors_running_out_is_an_error";
        if std::env::var_os(EXHAUSTION_CHILD).is_none() {
            // The descriptor limit is the whole process's: lower it in a
            // child that runs this test alone.
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", NAME, "--test-threads=1", "--nocapture"])
                .env(EXHAUSTION_CHILD, "1")
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && text.contains("1 passed"),
                "{text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            return;
        }
        let f = standard_tree();
        let opts = f.opts().parallelism(NonZeroUsize::MIN);
        // Every descriptor taken but one: the root opens, the first
        // `PID/fd` does not.
        crate::sys::testing::set_fd_limit(64);
        let mut held = Vec::new();
        while let Ok(file) = std::fs::File::open("/dev/null") {
            held.push(file);
        }
        assert!(held.pop().is_some());
        let e = ProcessMap::build(&opts).unwrap_err();
        drop(held);
        let pid = f.walk_order("").into_iter().find(|&p| p >= 0).unwrap();
        match e {
            Error::File { path, source } => {
                assert_eq!(path, f.root.join(format!("{pid}/fd")));
                assert_eq!(source.raw_os_error(), Some(libc::EMFILE));
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn missing_root_is_an_error() {
        let opts = ProcessMapOptions::new().proc_root("/nonexistent/sockdiag-proc");
        assert!(matches!(ProcessMap::build(&opts), Err(Error::File { .. })));
    }

    #[test]
    fn parsers_reject_garbage() {
        assert_eq!(socket_inode(b"socket:[123]"), Some(123));
        assert_eq!(
            socket_inode(b"socket:[18446744073709551615]"),
            Some(u64::MAX)
        );
        for bad in [
            &b"socket:[]"[..],
            b"socket:[12",
            b"socket:[1a]",
            b"socket:[18446744073709551616]",
            b"pipe:[1]",
            b"",
        ] {
            assert_eq!(
                socket_inode(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(parse_id(b"0"), Some(0));
        assert_eq!(parse_id(b"2147483647"), Some(i32::MAX as u32));
        // Leading zeros: at most 10 digits for an id, 20 for an inode.
        assert_eq!(parse_id(b"0000000001"), Some(1));
        assert_eq!(parse_id(b"00000000001"), None);
        assert_eq!(socket_inode(b"socket:[00000000000000000001]"), Some(1));
        assert_eq!(socket_inode(b"socket:[000000000000000000001]"), None);
        for bad in [
            &b""[..],
            b"2147483648",
            b"99999999999",
            b"-1",
            b"+1",
            b"1 ",
            b"self",
        ] {
            assert_eq!(parse_id(bad), None);
        }
        let mut n = Name::new();
        n.push_num(0)
            .push(b"/")
            .push_num(4294967295)
            .push(b"/task/");
        assert_eq!(
            n.with(b"comm").unwrap().to_bytes(),
            b"0/4294967295/task/comm"
        );
        n.push(&[b'x'; 60]);
        assert!(n.with(b"fd").is_none());
    }

    fn inode_of(fd: RawFd) -> u64 {
        use std::os::unix::fs::MetadataExt;
        // stat(2) follows the descriptor's link to the socket's inode.
        std::fs::metadata(format!("/proc/self/fd/{fd}"))
            .unwrap()
            .ino()
    }

    /// The calling thread's id, from `/proc/thread-self` (`PID/task/TID`).
    fn own_tid() -> i32 {
        let link = std::fs::read_link("/proc/thread-self").unwrap();
        link.file_name().unwrap().to_str().unwrap().parse().unwrap()
    }

    fn own_comm() -> String {
        std::fs::read_to_string("/proc/self/comm")
            .unwrap()
            .trim_end_matches('\n')
            .to_string()
    }

    #[test]
    fn live_finds_this_process_listener_and_its_dup() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dup = listener.try_clone().unwrap();
        let (a, b) = (listener.as_raw_fd(), dup.as_raw_fd());
        let ino = inode_of(a);
        assert_eq!(ino, inode_of(b));
        let me = std::process::id() as i32;
        let comm = own_comm();
        let expected = [p(&comm, me, a.max(b), None), p(&comm, me, a.min(b), None)];

        let map = ProcessMap::build(&ProcessMapOptions::new().wanted([ino])).unwrap();
        assert_eq!(map.get(ino), &expected);
        assert_eq!(map.len(), 1);

        // Unfiltered, the socket is among the others. Other tests of this
        // binary may fork meanwhile and hold a copy until they exec.
        let all = ProcessMap::build(&ProcessMapOptions::new()).unwrap();
        let mine: Vec<_> = all
            .get(ino)
            .iter()
            .filter(|p| p.pid == me)
            .cloned()
            .collect();
        assert_eq!(mine, expected);
        assert!(!all.is_empty());
    }

    #[test]
    fn live_threads_list_each_thread() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let ino = inode_of(listener.as_raw_fd());
        let me = std::process::id() as i32;
        let (tx, rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let helper = std::thread::Builder::new()
            .name("sdtest-helper".into())
            .spawn(move || {
                tx.send(own_tid()).unwrap();
                let _ = done_rx.recv();
            })
            .unwrap();
        let tid = rx.recv().unwrap();
        let map = ProcessMap::build(&ProcessMapOptions::new().wanted([ino]).threads(true)).unwrap();
        done_tx.send(()).unwrap();
        helper.join().unwrap();
        let holders = map.get(ino);
        let fd = listener.as_raw_fd();
        assert!(
            holders.contains(&p(&own_comm(), me, fd, None)),
            "{holders:?}"
        );
        assert!(
            holders.contains(&p("sdtest-helper", me, fd, Some(tid))),
            "{holders:?}"
        );
        // The leader's entry comes last: it was walked first.
        assert_eq!(holders.last(), Some(&p(&own_comm(), me, fd, None)));
    }

    /// The map of `wanted` from the kernel's task-file iterator; `None`
    /// (a loud skip, a failure under `RSS_REQUIRE_PRIVILEGED`) where this
    /// process may not load it.
    fn kernel_map(test: &str, wanted: impl IntoIterator<Item = u64>) -> Option<ProcessMap> {
        let opts = ProcessMapOptions::new()
            .wanted(wanted)
            .source(HolderSource::Kernel);
        let missing = (!crate::task_files::usable(Path::new("/proc")))
            .then_some("the task-file iterator needs CAP_BPF and the initial pid namespace");
        if !testkit::require(test, missing) {
            return None;
        }
        Some(ProcessMap::build(&opts).unwrap())
    }

    #[test]
    fn every_inode_is_found_in_its_bucket_and_no_other_is() {
        let shapes: [&[u64]; 6] = [
            &[],
            &[5],
            &[7, 7, 7],
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            &[3, 3, 90, 91, 1000, 1000, 1000, 70_000, 70_001, u64::MAX - 1],
            &[u64::MAX - 3, u64::MAX - 2, u64::MAX],
        ];
        for inodes in shapes {
            let raw: Vec<Raw> = inodes
                .iter()
                .enumerate()
                .map(|(n, &inode)| Raw {
                    inode,
                    pid: 100 + n as i32,
                    tid: 100 + n as i32,
                    fd: 3,
                    comm: 0,
                })
                .collect();
            let block = Block {
                entries: raw,
                comms: vec!["p".into()],
                ..Block::default()
            };
            let map = ProcessMap::assemble(std::iter::once(block));
            let mut probes: Vec<u64> = inodes.to_vec();
            for &i in inodes {
                probes.extend([i.wrapping_sub(1), i.wrapping_add(1)]);
            }
            probes.extend([0, 1, 2, 4, 6, 89, 92, 999, 1001, 69_999, u64::MAX]);
            for probe in probes {
                let want: Vec<i32> = inodes
                    .iter()
                    .enumerate()
                    .filter(|&(_, &i)| i == probe && probe != 0)
                    .map(|(n, _)| 100 + n as i32)
                    .rev()
                    .collect();
                let got: Vec<i32> = map.get(probe).iter().map(|p| p.pid).collect();
                assert_eq!(got, want, "inode {probe} in {inodes:?}");
            }
        }
    }

    /// The holders in `map` that are this process, by inode.
    fn own(map: &ProcessMap) -> Vec<(u64, Process)> {
        let me = std::process::id() as i32;
        map.iter()
            .flat_map(|(ino, holders)| holders.iter().map(move |h| (ino, h.clone())))
            .filter(|(_, h)| h.pid == me)
            .collect()
    }

    #[test]
    fn live_the_iterator_and_the_walk_agree_on_this_process() {
        const NAME: &str = "live_the_iterator_and_the_walk_agree_on_this_process";
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dup = listener.try_clone().unwrap();
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let inodes = [listener.as_raw_fd(), dup.as_raw_fd(), udp.as_raw_fd()].map(inode_of);
        let walk = ProcessMap::build(
            &ProcessMapOptions::new()
                .wanted(inodes)
                .source(HolderSource::Proc),
        )
        .unwrap();
        assert_eq!(walk.source(), HolderSource::Proc);
        assert_eq!(walk.len(), 2);
        let Some(kernel) = kernel_map(NAME, inodes) else {
            return;
        };
        // Another test of this binary may fork meanwhile and hold a copy
        // until it execs: only this process's holders are compared.
        assert_eq!(own(&kernel), own(&walk));
        assert_eq!(own(&walk).len(), 3);
        assert_eq!(kernel.hidden(), 0);
        let auto = ProcessMap::build(&ProcessMapOptions::new().wanted(inodes)).unwrap();
        assert_eq!(
            auto.source(),
            HolderSource::Kernel,
            "Auto where the iterator works"
        );
        assert_eq!(own(&auto), own(&walk));
        // Threads (`ss -T`) are the walk's, whatever was asked.
        let threads = ProcessMap::build(&ProcessMapOptions::new().wanted(inodes).threads(true));
        assert_eq!(threads.unwrap().source(), HolderSource::Proc);
        let e = ProcessMap::build(
            &ProcessMapOptions::new()
                .threads(true)
                .source(HolderSource::Kernel),
        )
        .unwrap_err();
        assert!(e.to_string().contains("no thread holders"), "{e}");
    }

    #[test]
    fn live_the_iterator_reports_sockets_of_the_process_table_only() {
        const NAME: &str = "live_the_iterator_reports_sockets_of_the_process_table_only";
        // A pipe: its inode numbers come from the same counter as
        // sockets', so a non-socket reported would show up under it.
        let (pipe_r, pipe_w) = std::io::pipe().unwrap();
        let pipe = inode_of(pipe_r.as_raw_fd());
        // A thread with a table of its own, holding a socket the process's
        // table does not.
        let (tx, rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let helper = std::thread::spawn(move || {
            crate::sys::testing::unshare_files();
            let own = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            // /proc/self/fd is the process's table; this thread's is its own.
            let path = format!("/proc/thread-self/fd/{}", own.as_raw_fd());
            tx.send(std::os::unix::fs::MetadataExt::ino(
                &std::fs::metadata(path).unwrap(),
            ))
            .unwrap();
            let _ = done_rx.recv();
        });
        let own_ino = rx.recv().unwrap();
        let shared = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let shared_ino = inode_of(shared.as_raw_fd());
        let me = std::process::id() as i32;
        let walk = ProcessMap::build(
            &ProcessMapOptions::new()
                .wanted([own_ino, shared_ino])
                .source(HolderSource::Proc),
        )
        .unwrap();
        let kernel = kernel_map(NAME, [own_ino, shared_ino]);
        let all = kernel
            .is_some()
            .then(|| ProcessMap::build(&ProcessMapOptions::new().source(HolderSource::Kernel)));
        done_tx.send(()).unwrap();
        helper.join().unwrap();
        assert!(walk.get(own_ino).is_empty(), "{:?}", walk.get(own_ino));
        assert_eq!(own(&walk).len(), 1, "{:?}", walk.get(shared_ino));
        let (Some(kernel), Some(all)) = (kernel, all) else {
            return;
        };
        assert_eq!(
            own(&kernel),
            own(&walk),
            "a thread's own table is not the process's"
        );
        let all = all.unwrap();
        assert!(
            all.get(pipe).iter().all(|p| p.pid != me),
            "the pipe {pipe} was reported: {:?}",
            all.get(pipe)
        );
        assert!(all.get(shared_ino).iter().any(|p| p.pid == me));
        drop((pipe_r, pipe_w));
    }

    /// Walks one process of the tree at `root` as [`ProcessMap::build`]
    /// would; returns its map and how many descriptor tables were listed.
    fn walk_one(root: &Path, pid: u32, threads: bool, listing: Listing) -> (ProcessMap, usize) {
        let opts = ProcessMapOptions::new().proc_root(root).threads(threads);
        let dir: OwnedFd = std::fs::File::open(root).unwrap().into();
        let walk = Walk::new(&dir, &opts, listing);
        let mut block = Block::default();
        walk.pid(pid, &mut Dents::new(), &mut Vec::new(), &mut block)
            .unwrap();
        let listed = block.listed;
        (ProcessMap::assemble(std::iter::once(block)), listed)
    }

    /// The descriptors `probe` looks at in a table holding `open`, and
    /// what it returns.
    fn probed(count: u64, open: &[u32]) -> (Vec<u32>, Option<u32>) {
        let mut looked = Vec::new();
        let next = probe(count, |fd| {
            looked.push(fd);
            if open.contains(&fd) {
                Seen::Open
            } else {
                Seen::Missing
            }
        });
        (looked, next)
    }

    #[test]
    fn probe_stops_at_the_count_or_past_the_miss_budget() {
        // Dense: exactly the open descriptors, nothing past the last.
        let dense: Vec<u32> = (0..10).collect();
        assert_eq!(probed(10, &dense), (dense.clone(), None));
        assert_eq!(probed(0, &dense), (vec![], None));
        // A hole of 4 is probed through; 5 hands over to the listing at
        // the first number not probed.
        assert_eq!(probed(4, &[0, 1, 2, 7]), ((0..=7).collect(), None));
        assert_eq!(probed(4, &[0, 1, 2, 8]), ((0..8).collect(), Some(8)));
        // Each 4 descriptors found allow one more miss: 16 found, 8.
        let mut wide: Vec<u32> = (0..16).collect();
        wide.push(16 + 8);
        assert_eq!(probed(17, &wide), ((0..=24).collect(), None));
        *wide.last_mut().unwrap() += 1;
        assert_eq!(probed(17, &wide), ((0..25).collect(), Some(25)));
        // Fewer open than counted (closed during the walk): the budget
        // ends the probe and the listing reads what is left.
        assert_eq!(probed(5, &[0, 1, 2]), ((0..8).collect(), Some(8)));
        // Any other error hands over at once, from that descriptor.
        let mut looked = Vec::new();
        let next = probe(10, |fd| {
            looked.push(fd);
            if fd == 4 { Seen::Failed } else { Seen::Open }
        });
        assert_eq!((looked, next), ((0..=4).collect(), Some(4)));
    }

    #[test]
    fn a_directory_size_of_0_is_no_count() {
        assert_eq!(descriptor_count(0), None);
        assert_eq!(descriptor_count(-1), None);
        assert_eq!(descriptor_count(1), Some(1));
        assert_eq!(descriptor_count(5000), Some(5000));
    }

    #[test]
    fn a_tree_that_is_not_procfs_is_listed_in_its_own_order() {
        // Its directories have sizes too (not descriptor counts), and its
        // readdir order is not numeric: probing would reorder holders.
        let f = FakeProc::new();
        let fds = [40, 3, 17, 9, 25, 4, 33, 12, 6, 21];
        let links: Vec<(i32, &str)> = fds.iter().map(|&n| (n, "socket:[80]")).collect();
        f.task("800", "fake", &links);
        let order = f.walk_order("800/fd");
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_ne!(
            order, sorted,
            "this tree lists numerically: the test needs another order"
        );
        let expected: Vec<_> = order
            .iter()
            .rev()
            .map(|&fd| p("fake", 800, fd, None))
            .collect();
        let map = ProcessMap::build(&f.opts()).unwrap();
        assert_eq!(map.get(80), expected.as_slice());
        let (one, listed) = walk_one(&f.root, 800, false, Listing::Auto);
        assert_eq!(one, map);
        assert_eq!(listed, 1);
    }

    /// Set in the child process that
    /// [`live_tables_of_every_shape_read_alike_probed_or_listed`] runs as
    /// a holder of one socket under these descriptor numbers.
    const FD_TABLE_CHILD: &str = "SOCKDIAG_TEST_FD_TABLE_CHILD";

    /// Thread names of that child.
    const FD_TABLE_THREADS: [&str; 2] = ["fdt-a", "fdt-b"];

    #[test]
    fn live_tables_of_every_shape_read_alike_probed_or_listed() {
        const NAME: &str = "process::tests::live_tables_of_every_shape_read_alike_probed_or_listed";
        if let Some(spec) = std::env::var_os(FD_TABLE_CHILD) {
            // The child: one socket as each descriptor of `spec`, no other
            // descriptor above 2, two named threads; it says `ready INODE`
            // and holds them until its stdin closes.
            let targets: Vec<RawFd> = spec
                .to_str()
                .unwrap()
                .split(',')
                .map(|t| t.parse().unwrap())
                .collect();
            crate::sys::testing::raise_fd_limit(8192);
            let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            let ino = inode_of(sock.as_raw_fd());
            let sock = sock.into_raw_fd();
            crate::sys::testing::hold_only(sock, &targets);
            let (tx, rx) = std::sync::mpsc::channel();
            for name in FD_TABLE_THREADS {
                let tx = tx.clone();
                std::thread::Builder::new()
                    .name(name.into())
                    .spawn(move || {
                        tx.send(()).unwrap();
                        loop {
                            std::thread::park();
                        }
                    })
                    .unwrap();
            }
            for _ in FD_TABLE_THREADS {
                rx.recv().unwrap();
            }
            println!("ready {ino}");
            let _ = io::Read::read_to_end(&mut io::stdin(), &mut Vec::new());
            return;
        }
        let dense: Vec<RawFd> = (3..=199).collect();
        let holes: Vec<RawFd> = (3..=199).filter(|fd| fd % 7 != 0).collect();
        // (descriptors, whether a probe hands over to the listing)
        let shapes: [(&[RawFd], bool); 4] = [
            (&dense, false),
            // Holes the budget probes through: one number in 7.
            (&holes, false),
            // A high descriptor far above the rest.
            (&[3, 4, 5000], true),
            (&[5000], true),
        ];
        for (targets, listed_when_probed) in shapes {
            let spec: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
            let mut child = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", NAME, "--test-threads=1", "--nocapture"])
                .env(FD_TABLE_CHILD, spec.join(","))
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            let mut lines = io::BufRead::lines(io::BufReader::new(child.stdout.take().unwrap()));
            let ino: u64 = lines
                .by_ref()
                .map_while(|l| l.ok())
                // libtest may print `test NAME ... ` on the same line.
                .find_map(|l| l.rsplit_once("ready ")?.1.parse().ok())
                .expect("the holder child did not start");
            let pid = child.id();
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap();
            let comm = comm.trim_end_matches('\n');
            let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
                .unwrap()
                .count();
            let what = format!("descriptors {targets:?}");

            let (probed, listed_probed) = walk_one(Path::new("/proc"), pid, false, Listing::Auto);
            let (listed, listed_listed) = walk_one(Path::new("/proc"), pid, false, Listing::Always);
            let expected: Vec<_> = targets
                .iter()
                .rev()
                .map(|&fd| p(comm, pid as i32, fd, None))
                .collect();
            assert_eq!(probed.get(ino), expected.as_slice(), "{what}");
            assert_eq!(probed, listed, "{what}");
            // The kernel's iterator: the same holders, in the same order.
            if let Some(kernel) = kernel_map(NAME, [ino]) {
                assert_eq!(kernel, probed, "{what} from the task-file iterator");
                assert_eq!(kernel.source(), HolderSource::Kernel);
            }
            assert_eq!(listed_probed, usize::from(listed_when_probed), "{what}");
            assert_eq!(listed_listed, 1, "{what}");

            // -T: every thread's table (the same one), read both ways.
            let (probed, listed_probed) = walk_one(Path::new("/proc"), pid, true, Listing::Auto);
            let (listed, listed_listed) = walk_one(Path::new("/proc"), pid, true, Listing::Always);
            assert_eq!(probed, listed, "{what} -T");
            assert_eq!(
                listed_probed,
                if listed_when_probed { tasks } else { 0 },
                "{what} -T"
            );
            assert_eq!(listed_listed, tasks, "{what} -T");
            let holders = probed.get(ino);
            assert_eq!(holders.len(), targets.len() * tasks, "{what} -T");
            assert_eq!(holders.last(), expected.last(), "{what} -T");
            for name in FD_TABLE_THREADS {
                let mine: Vec<_> = holders
                    .iter()
                    .filter(|h| h.command == name && h.tid.is_some_and(|t| t != pid as i32))
                    .map(|h| h.fd)
                    .collect();
                let fds: Vec<_> = targets.iter().rev().copied().collect();
                assert_eq!(mine, fds, "{what} -T {name}");
            }
            drop(child.stdin.take());
            assert!(child.wait().unwrap().success(), "{what}");
        }
    }

    #[test]
    fn a_vanished_process_yields_nothing_either_way() {
        let mut child = std::process::Command::new("/bin/true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        for listing in [Listing::Auto, Listing::Always] {
            let (map, _) = walk_one(Path::new("/proc"), pid, true, listing);
            assert!(map.is_empty());
        }
    }

    /// `users:(...)` as ss 6.1 prints it (no escaping, no threads).
    fn users(ps: &[Process]) -> String {
        let list: Vec<_> = ps
            .iter()
            .map(|p| format!("(\"{}\",pid={},fd={})", p.command, p.pid, p.fd))
            .collect();
        format!("users:({})", list.join(","))
    }

    #[test]
    fn live_matches_system_ss_for_a_shared_listener() {
        testkit::require_tool!("/usr/bin/ss");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let lfd = listener.as_raw_fd();
        let ino = inode_of(lfd);
        assert!(lfd < 100);
        // Two workers holding the listener as fds 100 and 101, like a
        // pre-forked server; the listener stays close-on-exec here so no
        // other child of this test binary inherits it.
        let mut kids = Vec::new();
        for _ in 0..2 {
            let mut cmd = std::process::Command::new("/bin/sleep");
            cmd.arg("30").stdin(std::process::Stdio::null());
            crate::sys::testing::dup_in_child(&mut cmd, lfd, &[100, 101]);
            kids.push(cmd.spawn().unwrap());
        }
        let ready = |pid: u32| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c == "sleep\n")
                && std::fs::read_link(format!("/proc/{pid}/fd/101")).is_ok()
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !kids.iter().all(|k| ready(k.id())) {
            assert!(
                std::time::Instant::now() < deadline,
                "children did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        // Only the workers hold it from here on: this process lets go, so
        // no child another test forks from it can inherit the listener
        // between fork and exec. A liveness wait (generous 10 s) for such a
        // child, if one holds it now, to exec or exit; then the holders
        // stay as they are while both tools look.
        drop(listener);
        let holders = || {
            ProcessMap::build(&ProcessMapOptions::new().wanted([ino]))
                .unwrap()
                .get(ino)
                .len()
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while holders() != 4 {
            assert!(
                std::time::Instant::now() < deadline,
                "the listener is held by {} fds 10 s after this process closed it, not the workers' 4",
                holders()
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }

        let map = ProcessMap::build(&ProcessMapOptions::new().wanted([ino])).unwrap();
        let ours = users(map.get(ino));
        let out = std::process::Command::new("/usr/bin/ss")
            .args(["-tlnpH", "sport", "=", &format!(":{port}")])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let theirs = text
            .find("users:(")
            .map(|i| text[i..].trim_end().to_string())
            .unwrap_or_default();
        let pids: Vec<u32> = kids.iter().map(|k| k.id()).collect();
        for mut k in kids {
            let _ = k.kill();
            let _ = k.wait();
        }
        // Each of the 2 workers holds it as fds 100 and 101.
        assert_eq!(map.get(ino).len(), 4, "{ours}");
        for pid in pids {
            assert!(ours.contains(&format!("pid={pid},fd=100")), "{ours}");
            assert!(ours.contains(&format!("pid={pid},fd=101")), "{ours}");
        }
        assert_eq!(ours, theirs);
    }
}
