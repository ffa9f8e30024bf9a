//! Socket holders from the kernel's task-file iterator: `-p` without one
//! `readlinkat` per descriptor.
//!
//! The `/proc/*/fd` walk ([`crate::process`]) costs a path lookup and a
//! `readlinkat` per open descriptor of every process (about 3.4 µs each on
//! the machines measured), which dominates `ss -p` on a host with many
//! sockets. Since Linux 5.8 the kernel can run a small BPF program for
//! every (task, descriptor, file) it holds: an iterator of type
//! `task_file`; the program here also asks `bpf_sock_from_file` (5.11)
//! whether the file is a socket, which looks only at the file, not at its
//! inode. The program here writes one 16-byte record per socket
//! descriptor of a process's main thread (socket inode, pid, descriptor),
//! and a `read` of the iterator returns them, in the walk's own order:
//! ascending pid, then ascending descriptor.
//!
//! The program reads three kernel structures (`file`, `inode`,
//! `task_struct`), whose layouts differ between kernel builds: the member
//! offsets come from the kernel's own type information
//! (`/sys/kernel/btf/vmlinux`, read in a streaming pass, 64 KiB at a time),
//! and the kernel's verifier checks every load against the same
//! information before the program runs.
//!
//! It is only used where it sees what the walk would: the caller may load
//! tracing programs (`CAP_BPF` and `CAP_PERFMON`, or `CAP_SYS_ADMIN`),
//! runs in the initial pid namespace with `/proc` mounted from it (the
//! program reports the kernel's pids, which are then the pids `/proc`
//! shows), and asks for processes, not threads (`ss -T`). Anything else,
//! or any failure to read the type information, load, attach or read the
//! program, falls back to the walk.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::error::Error;

/// The inode number of the initial pid namespace (`PROC_PID_INIT_INO`).
const INIT_PID_NS_INO: u64 = 0xEFFF_FFFC;

/// Bytes of the BTF file read at a time.
const BTF_CHUNK: usize = 64 * 1024;

/// One record the program writes: inode (u64), pid (u32), fd (u32),
/// native byte order.
const RECORD: usize = 16;

/// A socket descriptor of a process, as the iterator reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Held {
    pub(crate) inode: u64,
    pub(crate) pid: u32,
    pub(crate) fd: u32,
}

/// A step that failed, as the crate's error: [`Error::Io`] naming it.
fn failed(context: &'static str, source: io::Error) -> Error {
    Error::Io { context, source }
}

/// A step that found what it read malformed or incomplete.
fn invalid(context: &'static str, what: &'static str) -> Error {
    failed(context, io::Error::new(io::ErrorKind::InvalidData, what))
}

/// True when this process may load the iterator and its pids are the ones
/// `proc_root` shows (see the module's documentation); cheap: this
/// thread's status, a `stat` and a `readlink`.
pub(crate) fn usable(proc_root: &Path) -> bool {
    permitted() && same_pids(proc_root)
}

/// `CAP_BPF` and `CAP_PERFMON`, or `CAP_SYS_ADMIN`, are effective.
fn permitted() -> bool {
    use crate::host::{CAP_SYS_ADMIN, has_capabilities};
    const CAP_PERFMON: u32 = 38;
    const CAP_BPF: u32 = 39;
    has_capabilities(&[CAP_SYS_ADMIN]) == Some(true)
        || has_capabilities(&[CAP_BPF, CAP_PERFMON]) == Some(true)
}

/// This process is in the initial pid namespace and `proc_root` is a
/// procfs of that namespace (its `self` is this process's pid).
fn same_pids(proc_root: &Path) -> bool {
    let in_init =
        std::fs::metadata(proc_root.join("self/ns/pid")).is_ok_and(|m| m.ino() == INIT_PID_NS_INO);
    in_init
        && std::fs::read_link(proc_root.join("self")).is_ok_and(|p| {
            p.as_os_str().as_encoded_bytes() == std::process::id().to_string().as_bytes()
        })
}

/// Every socket descriptor held by a process's main thread whose inode
/// `keep` accepts, in ascending pid then descriptor order.
pub(crate) fn socket_descriptors(keep: impl Fn(u64) -> bool) -> Result<Vec<Held>, Error> {
    let btf = File::open(crate::host::VMLINUX_BTF)
        .map_err(|e| failed("reading the kernel's type information", e))?;
    let layout = Layout::find(BufReader::with_capacity(BTF_CHUNK, btf))?;
    let program = program(&layout)?;
    let prog = crate::sys::bpf_prog_load_iter(&program, layout.iter_func)
        .map_err(|e| failed("loading the task-file iterator", e))?;
    let link = crate::sys::bpf_link_create_iter(prog.as_fd())
        .map_err(|e| failed("attaching the task-file iterator", e))?;
    drop(prog);
    let iter = crate::sys::bpf_iter_create(link.as_fd())
        .map_err(|e| failed("starting the task-file iterator", e))?;
    drop(link);
    read_records(File::from(iter), keep)
}

/// Reads the iterator to its end and decodes its records, keeping those
/// whose inode `keep` accepts.
fn read_records(mut iter: impl Read, keep: impl Fn(u64) -> bool) -> Result<Vec<Held>, Error> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; BTF_CHUNK];
    // Bytes of a record cut by the end of one read.
    let mut filled = 0;
    loop {
        let Some(free) = buf.get_mut(filled..) else {
            return Err(invalid("reading the task-file iterator", "buffer"));
        };
        let n = match iter.read(free) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(failed("reading the task-file iterator", e)),
        };
        filled += n;
        let whole = filled - filled % RECORD;
        out.extend(
            buf.get(..whole)
                .unwrap_or(&[])
                .chunks_exact(RECORD)
                .map(decode_record)
                .filter(|h| keep(h.inode)),
        );
        buf.copy_within(whole..filled, 0);
        filled -= whole;
    }
    if filled != 0 {
        return Err(invalid(
            "reading the task-file iterator",
            "the iterator ended inside a record",
        ));
    }
    Ok(out)
}

/// One 16-byte record: inode, pid, fd (native byte order).
fn decode_record(r: &[u8]) -> Held {
    let u64_at = |i: usize| {
        r.get(i..i + 8)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u64::from_ne_bytes)
    };
    let u32_at = |i: usize| {
        r.get(i..i + 4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_ne_bytes)
    };
    Held {
        inode: u64_at(0),
        pid: u32_at(8),
        fd: u32_at(12),
    }
}

/// The kernel's layout the program depends on: byte offsets of members,
/// and the type id of the iterator's target function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Layout {
    /// `struct file`'s `f_inode`.
    pub(crate) file_inode: u32,
    /// `struct inode`'s `i_ino`.
    pub(crate) inode_ino: u32,
    /// `struct task_struct`'s `pid` (the thread id).
    pub(crate) task_pid: u32,
    /// `struct task_struct`'s `tgid` (the process id).
    pub(crate) task_tgid: u32,
    /// BTF id of the function `bpf_iter_task_file`.
    pub(crate) iter_func: u32,
}

/// The names looked up, in the order of [`Layout::find`]'s tables.
const NAMES: [&[u8]; 8] = [
    b"file",
    b"inode",
    b"task_struct",
    b"bpf_iter_task_file",
    b"f_inode",
    b"i_ino",
    b"pid",
    b"tgid",
];

/// (struct name, member name, field of [`Layout`]) by index into [`NAMES`].
const MEMBERS: [(usize, usize, usize); 4] = [(0, 4, 0), (1, 5, 1), (2, 6, 2), (2, 7, 3)];

const BTF_KIND_STRUCT: u32 = 4;
const BTF_KIND_FUNC: u32 = 12;

impl Layout {
    /// Reads a BTF blob (`struct btf_header`, then types and strings),
    /// one pass over the strings and one over the types, in the reader's
    /// buffer. Fails on anything malformed or missing.
    pub(crate) fn find(mut btf: impl BufRead + Seek) -> Result<Layout, Error> {
        const CTX: &str = "reading the kernel's type information";
        let io_err = |e| failed(CTX, e);
        let bad = |what| invalid(CTX, what);
        let mut header = [0u8; 24];
        btf.read_exact(&mut header).map_err(io_err)?;
        let word = |i: usize| {
            header
                .get(i..i + 4)
                .and_then(|b| b.try_into().ok())
                .map_or(0, u32::from_le_bytes)
        };
        if header.get(..2) != Some(&0xeb9f_u16.to_le_bytes()[..]) {
            return Err(bad("not little-endian BTF"));
        }
        let (hdr_len, type_off, type_len, str_off, str_len) = (
            u64::from(word(4)),
            u64::from(word(8)),
            u64::from(word(12)),
            u64::from(word(16)),
            u64::from(word(20)),
        );
        if hdr_len < 24 {
            return Err(bad("BTF header too short"));
        }

        // The strings: where each name we need starts.
        let mut name_at = [None::<u32>; NAMES.len()];
        btf.seek(SeekFrom::Start(hdr_len + str_off))
            .map_err(io_err)?;
        let mut strings = (&mut btf).take(str_len);
        let mut s = Vec::with_capacity(64);
        let mut at: u64 = 0;
        while name_at.iter().any(Option::is_none) {
            s.clear();
            let n = strings.read_until(0, &mut s).map_err(io_err)?;
            if n == 0 {
                break;
            }
            // A string is NUL-terminated; a cut one ends the section.
            let Some(text) = s.strip_suffix(&[0]) else {
                break;
            };
            if let Some(i) = NAMES.iter().position(|name| *name == text)
                && let Some(slot) = name_at.get_mut(i)
                && slot.is_none()
            {
                *slot = u32::try_from(at).ok();
            }
            at += n as u64;
        }
        let Some(name_at) = name_at.iter().copied().collect::<Option<Vec<u32>>>() else {
            return Err(bad("a needed name is not in the kernel's type information"));
        };
        let name = |i: usize| name_at.get(i).copied();

        // The types: the three structs' members and the function's id.
        let mut found = [None::<u32>; 5];
        btf.seek(SeekFrom::Start(hdr_len + type_off))
            .map_err(io_err)?;
        let mut types = (&mut btf).take(type_len);
        let mut id: u32 = 0;
        let mut rec = [0u8; 12];
        while found.iter().any(Option::is_none) {
            id = id.checked_add(1).ok_or_else(|| bad("too many types"))?;
            match types.read_exact(&mut rec) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(io_err(e)),
            }
            let field = |r: &[u8; 12], i: usize| {
                r.get(i..i + 4)
                    .and_then(|b| b.try_into().ok())
                    .map_or(0, u32::from_le_bytes)
            };
            let (name_off, info) = (field(&rec, 0), field(&rec, 4));
            let kind = (info >> 24) & 0x1f;
            let vlen = u64::from(info & 0xffff);
            let bitfields = info >> 31 == 1;
            let trailer = trailer_len(kind, vlen).ok_or_else(|| bad("unknown BTF kind"))?;
            if kind == BTF_KIND_FUNC && Some(name_off) == name(3) && found[4].is_none() {
                found[4] = Some(id);
            }
            let wanted: Vec<(usize, usize)> = if kind == BTF_KIND_STRUCT {
                MEMBERS
                    .iter()
                    .filter(|(st, _, _)| Some(name_off) == name(*st))
                    .map(|&(_, member, slot)| (member, slot))
                    .collect()
            } else {
                Vec::new()
            };
            if wanted.is_empty() {
                skip(&mut types, trailer).map_err(io_err)?;
                continue;
            }
            for _ in 0..vlen {
                types.read_exact(&mut rec).map_err(io_err)?;
                let (m_name, m_off) = (field(&rec, 0), field(&rec, 8));
                let bits = if bitfields {
                    m_off & 0x00ff_ffff
                } else {
                    m_off
                };
                for &(member, slot) in &wanted {
                    // The first struct of a name counts (vmlinux has one).
                    if let Some(f) = found.get_mut(slot)
                        && f.is_none()
                        && Some(m_name) == name(member)
                        && bits % 8 == 0
                    {
                        *f = Some(bits / 8);
                    }
                }
            }
        }
        match found {
            [
                Some(file_inode),
                Some(inode_ino),
                Some(task_pid),
                Some(task_tgid),
                Some(iter_func),
            ] => Ok(Layout {
                file_inode,
                inode_ino,
                task_pid,
                task_tgid,
                iter_func,
            }),
            _ => Err(bad(
                "a needed type or member is not in the kernel's type information",
            )),
        }
    }
}

/// Consumes `n` bytes of `r` (fewer at its end).
fn skip(r: &mut impl BufRead, mut n: u64) -> io::Result<()> {
    while n > 0 {
        let available = r.fill_buf()?.len();
        if available == 0 {
            return Ok(());
        }
        let step = usize::try_from(n).map_or(available, |n| n.min(available));
        r.consume(step);
        n -= step as u64;
    }
    Ok(())
}

/// Bytes that follow a type's 12-byte record, by kind (`btf.h`); `None`
/// for a kind this reader does not know.
fn trailer_len(kind: u32, vlen: u64) -> Option<u64> {
    Some(match kind {
        // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG
        2 | 7 | 8 | 9 | 10 | 11 | 12 | 16 | 18 => 0,
        // INT, VAR, DECL_TAG
        1 | 14 | 17 => 4,
        // ARRAY
        3 => 12,
        // STRUCT, UNION, DATASEC, ENUM64
        4 | 5 | 15 | 19 => 12 * vlen,
        // ENUM, FUNC_PROTO
        6 | 13 => 8 * vlen,
        _ => return None,
    })
}

/// One BPF instruction: opcode, registers, offset, immediate.
fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[0] = code;
    b[1] = (dst & 0x0f) | (src << 4);
    b[2..4].copy_from_slice(&off.to_ne_bytes());
    b[4..8].copy_from_slice(&imm.to_ne_bytes());
    b
}

/// The iterator program for this layout. In C it would read:
///
/// ```c
/// if (!ctx->file || !ctx->task) return 0;
/// if (ctx->task->pid != ctx->task->tgid) return 0;   // main thread only
/// struct inode *i = ctx->file->f_inode;
/// if (!i || !bpf_sock_from_file(ctx->file)) return 0;  // sockets only
/// struct { u64 ino; u32 pid, fd; } r = { i->i_ino, ctx->task->tgid, ctx->fd };
/// bpf_seq_write(ctx->meta->seq, &r, sizeof r);
/// return 0;
/// ```
pub(crate) fn program(l: &Layout) -> Result<Vec<u8>, Error> {
    // Opcodes (BPF_CLASS | BPF_SIZE/OP | BPF_MODE/SRC).
    const LDX_DW: u8 = 0x79;
    const LDX_W: u8 = 0x61;
    const STX_DW: u8 = 0x7b;
    const STX_W: u8 = 0x63;
    const MOV64_X: u8 = 0xbf;
    const MOV64_K: u8 = 0xb7;
    const ADD64_K: u8 = 0x07;
    const JEQ_K: u8 = 0x15;
    const JNE_X: u8 = 0x5d;
    const CALL: u8 = 0x85;
    const EXIT: u8 = 0x95;
    const BPF_FUNC_SEQ_WRITE: i32 = 127;
    const BPF_FUNC_SOCK_FROM_FILE: i32 = 162;
    // struct bpf_iter__task_file: meta, task, fd, file (8 bytes each).
    const CTX_META: i16 = 0;
    const CTX_TASK: i16 = 8;
    const CTX_FD: i16 = 16;
    const CTX_FILE: i16 = 24;
    let off = |o: u32| {
        i16::try_from(o).map_err(|_| {
            invalid(
                "building the task-file iterator",
                "a member offset is too large",
            )
        })
    };
    let (f_inode, i_ino, pid, tgid) = (
        off(l.file_inode)?,
        off(l.inode_ino)?,
        off(l.task_pid)?,
        off(l.task_tgid)?,
    );
    // Each jump goes to `out` (two instructions before the end); `j(n)`
    // is its offset from instruction n.
    const LEN: i16 = 27;
    let j = |n: i16| LEN - 2 - n - 1;
    let code = [
        insn(MOV64_X, 6, 1, 0, 0),                    // 0: r6 = ctx
        insn(LDX_DW, 7, 6, CTX_FILE, 0),              // 1: r7 = ctx->file
        insn(JEQ_K, 7, 0, j(2), 0),                   // 2: if !r7 goto out
        insn(LDX_DW, 8, 6, CTX_TASK, 0),              // 3: r8 = ctx->task
        insn(JEQ_K, 8, 0, j(4), 0),                   // 4: if !r8 goto out
        insn(LDX_W, 2, 8, pid, 0),                    // 5: r2 = task->pid
        insn(LDX_W, 3, 8, tgid, 0),                   // 6: r3 = task->tgid
        insn(JNE_X, 2, 3, j(7), 0),                   // 7: if r2 != r3 goto out
        insn(LDX_DW, 9, 7, f_inode, 0),               // 8: r9 = file->f_inode
        insn(JEQ_K, 9, 0, j(9), 0),                   // 9: if !r9 goto out
        insn(MOV64_X, 1, 7, 0, 0),                    // 10: r1 = file
        insn(CALL, 0, 0, 0, BPF_FUNC_SOCK_FROM_FILE), // 11: a socket?
        insn(JEQ_K, 0, 0, j(12), 0),                  // 12: if !r0 goto out
        insn(LDX_DW, 4, 9, i_ino, 0),                 // 13: r4 = inode->i_ino
        insn(STX_DW, 10, 4, -16, 0),                  // 14: r.ino = r4
        insn(LDX_W, 3, 8, tgid, 0),                   // 15: r3 = task->tgid
        insn(STX_W, 10, 3, -8, 0),                    // 16: r.pid = r3
        insn(LDX_DW, 5, 6, CTX_FD, 0),                // 16: r5 = ctx->fd
        insn(STX_W, 10, 5, -4, 0),                    // 17: r.fd = r5
        insn(LDX_DW, 1, 6, CTX_META, 0),              // 18: r1 = ctx->meta
        insn(LDX_DW, 1, 1, 0, 0),                     // 19: r1 = meta->seq
        insn(MOV64_X, 2, 10, 0, 0),                   // 20: r2 = fp
        insn(ADD64_K, 2, 0, 0, -16),                  // 21: r2 = &r
        insn(MOV64_K, 3, 0, 0, RECORD as i32),        // 22: r3 = sizeof r
        insn(CALL, 0, 0, 0, BPF_FUNC_SEQ_WRITE),      // 23: bpf_seq_write
        insn(MOV64_K, 0, 0, 0, 0),                    // 24: out: r0 = 0
        insn(EXIT, 0, 0, 0, 0),                       // 25: return
    ];
    debug_assert_eq!(code.len(), LEN as usize);
    Ok(code.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A BTF blob with these types (kind, name, vlen/members) and strings.
    struct Blob {
        strings: Vec<u8>,
        types: Vec<u8>,
    }

    impl Blob {
        fn new() -> Self {
            Blob {
                strings: vec![0],
                types: Vec::new(),
            }
        }

        /// The offset of `s` in the strings, added once (BTF's strings are
        /// deduplicated).
        fn name(&mut self, s: &str) -> u32 {
            let mut at = 0;
            for t in self.strings.split(|&b| b == 0) {
                if t == s.as_bytes() && !t.is_empty() {
                    return at;
                }
                at += t.len() as u32 + 1;
            }
            let at = self.strings.len() as u32;
            self.strings.extend_from_slice(s.as_bytes());
            self.strings.push(0);
            at
        }

        fn record(&mut self, name: u32, kind: u32, vlen: u32, flag: bool, size: u32) {
            let info = (u32::from(flag) << 31) | (kind << 24) | vlen;
            for w in [name, info, size] {
                self.types.extend_from_slice(&w.to_le_bytes());
            }
        }

        fn strukt(&mut self, name: &str, members: &[(&str, u32)], flag: bool) {
            let n = self.name(name);
            self.record(n, 4, members.len() as u32, flag, 64);
            for &(m, bits) in members {
                let mn = self.name(m);
                for w in [mn, 1, bits] {
                    self.types.extend_from_slice(&w.to_le_bytes());
                }
            }
        }

        fn bytes(&self) -> Vec<u8> {
            let mut b = Vec::new();
            b.extend_from_slice(&0xeb9f_u16.to_le_bytes());
            b.push(1);
            b.push(0);
            for w in [
                24u32,
                0,
                self.types.len() as u32,
                self.types.len() as u32,
                self.strings.len() as u32,
            ] {
                b.extend_from_slice(&w.to_le_bytes());
            }
            b.extend_from_slice(&self.types);
            b.extend_from_slice(&self.strings);
            b
        }
    }

    /// Types like a kernel's: noise of every kind around the ones needed,
    /// after whatever `first` adds; `struct file`'s `f_inode` at `f_inode`
    /// (a raw member offset: bits, with a bitfield size above bit 24 when
    /// `flag`).
    fn kernel_like(flag: bool, f_inode: u32, first: impl FnOnce(&mut Blob)) -> Blob {
        let mut b = Blob::new();
        first(&mut b);
        let int = b.name("int");
        b.record(int, 1, 0, false, 4);
        b.types.extend_from_slice(&[0; 4]);
        b.record(0, 2, 0, false, 1); // PTR
        b.record(0, 3, 0, false, 0); // ARRAY
        b.types.extend_from_slice(&[0; 12]);
        b.strukt("file_lock", &[("f_inode", 8)], false); // a decoy struct
        b.strukt("file", &[("f_mode", 0), ("f_inode", f_inode)], flag);
        b.record(0, 6, 2, false, 4); // ENUM
        b.types.extend_from_slice(&[0; 16]);
        b.strukt("inode", &[("i_mode", 0), ("i_ino", 512)], flag);
        b.record(0, 13, 1, false, 0); // FUNC_PROTO
        b.types.extend_from_slice(&[0; 8]);
        b.strukt(
            "task_struct",
            &[("pid", 1264 * 8), ("tgid", 1268 * 8)],
            flag,
        );
        b.strukt("inode", &[("i_mode", 8), ("i_ino", 8)], flag); // a second `inode`
        let func = b.name("bpf_iter_task_file");
        b.record(func, 12, 0, false, 7);
        b
    }

    /// Type ids in [`kernel_like`] with nothing first.
    const FUNC_ID: u32 = 11;

    fn expected() -> Layout {
        Layout {
            file_inode: 32,
            inode_ino: 64,
            task_pid: 1264,
            task_tgid: 1268,
            iter_func: FUNC_ID,
        }
    }

    #[test]
    fn finds_the_members_and_the_function() {
        for flag in [false, true] {
            let blob = kernel_like(flag, 256, |_| {}).bytes();
            assert_eq!(
                Layout::find(Cursor::new(blob)).unwrap(),
                expected(),
                "kind_flag {flag}"
            );
        }
        // A bitfield size in the top byte is not part of the offset.
        let blob = kernel_like(true, (8 << 24) | 256, |_| {}).bytes();
        assert_eq!(Layout::find(Cursor::new(blob)).unwrap(), expected());
        // Type ids count every record before the function.
        let blob = kernel_like(false, 256, |b| b.record(0, 2, 0, false, 1)).bytes();
        let l = Layout::find(Cursor::new(blob)).unwrap();
        assert_eq!(l.iter_func, FUNC_ID + 1);
    }

    #[test]
    fn missing_pieces_and_garbage_are_errors() {
        let mut no_func = kernel_like(false, 256, |_| {});
        no_func.types.truncate(no_func.types.len() - 12);
        assert!(
            Layout::find(Cursor::new(no_func.bytes())).is_err(),
            "no function"
        );

        let mut b = Blob::new();
        b.strukt("file", &[("f_inode", 256)], false);
        assert!(
            Layout::find(Cursor::new(b.bytes())).is_err(),
            "names missing"
        );

        let mut big_endian = kernel_like(false, 256, |_| {}).bytes();
        big_endian[..2].copy_from_slice(&0xeb9f_u16.to_be_bytes());
        assert!(Layout::find(Cursor::new(big_endian)).is_err(), "big-endian");

        let unknown = kernel_like(false, 256, |b| b.record(0, 31, 0, false, 0));
        assert!(
            Layout::find(Cursor::new(unknown.bytes())).is_err(),
            "unknown kind"
        );

        // An offset that is not a whole byte is not used.
        let odd = kernel_like(false, 257, |_| {});
        assert!(Layout::find(Cursor::new(odd.bytes())).is_err(), "odd bits");

        let whole = kernel_like(false, 256, |_| {}).bytes();
        for len in 0..whole.len() {
            let cut = whole[..len].to_vec();
            assert!(Layout::find(Cursor::new(cut)).is_err(), "cut at {len}");
        }
    }

    #[test]
    fn the_program_jumps_to_its_end_and_uses_the_layout() {
        let l = Layout {
            file_inode: 32,
            inode_ino: 64,
            task_pid: 1264,
            task_tgid: 1268,
            iter_func: 1,
        };
        let p = program(&l).unwrap();
        assert_eq!(p.len(), 27 * 8);
        let at = |n: usize| &p[n * 8..n * 8 + 8];
        let off = |n: usize| i16::from_ne_bytes([at(n)[2], at(n)[3]]);
        let imm = |n: usize| i32::from_ne_bytes([at(n)[4], at(n)[5], at(n)[6], at(n)[7]]);
        // Every conditional jump lands on instruction 25 (r0 = 0).
        for n in [2, 4, 7, 9, 12] {
            assert_eq!(n as i16 + 1 + off(n), 25, "jump at {n}");
        }
        assert_eq!(
            (off(5), off(6), off(8), off(13), off(15)),
            (1264, 1268, 32, 64, 1268)
        );
        // The helpers: bpf_sock_from_file, then bpf_seq_write.
        assert_eq!((at(11)[0], imm(11)), (0x85, 162));
        assert_eq!((at(24)[0], imm(24)), (0x85, 127));
        assert_eq!(at(26)[0], 0x95);
        let too_far = Layout {
            task_tgid: 40_000,
            ..l
        };
        assert!(program(&too_far).is_err());
    }

    #[test]
    fn records_decode_across_reads_and_a_cut_record_is_an_error() {
        let mut bytes = Vec::new();
        for (ino, pid, fd) in [(7u64, 1u32, 3u32), (u64::MAX, 4_000_000, 19_999)] {
            bytes.extend_from_slice(&ino.to_ne_bytes());
            bytes.extend_from_slice(&pid.to_ne_bytes());
            bytes.extend_from_slice(&fd.to_ne_bytes());
        }
        /// Returns at most 5 bytes per read.
        struct Dribble(Cursor<Vec<u8>>);
        impl Read for Dribble {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(5);
                self.0.read(&mut buf[..n])
            }
        }
        let got = read_records(Dribble(Cursor::new(bytes.clone())), |_| true).unwrap();
        assert_eq!(
            got,
            [
                Held {
                    inode: 7,
                    pid: 1,
                    fd: 3
                },
                Held {
                    inode: u64::MAX,
                    pid: 4_000_000,
                    fd: 19_999
                }
            ]
        );
        let odd = read_records(Cursor::new(bytes.clone()), |i| i != 7).unwrap();
        assert_eq!(odd, got[1..]);
        bytes.pop();
        assert!(read_records(Cursor::new(bytes), |_| true).is_err());
    }
}
