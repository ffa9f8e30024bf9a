//! The hand-written half of the serde form (the `serde` feature): types
//! whose JSON is not what a derive would give. Every impl here reads back
//! exactly what it writes, so a [`Socket`](crate::Socket) survives a round
//! trip through `rss -j`.
//!
//! - States and timer kinds are their lower-case names; a number this
//!   library does not know keeps it: `{"unknown": 40}`.
//! - Inline names are strings, or arrays of bytes when not UTF-8.
//! - Endpoints are objects whose keys say the kind (`addr`/`port`,
//!   `path`/`abstract`/`inode`, `protocol`/`ifindex`,
//!   `protocol`/`portid`/`group`), `null` for none.
//! - `tcp_info` and `mptcp_info` are objects of the fields the kernel sent.
#![deny(unsafe_code)]

use std::net::IpAddr;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::model::{
    Detail, DetailBox, Endpoint, InlineBytes, SockOpt, State, TimerKind, UnixName, UnixNameRef,
};
use crate::tcp_info::{MptcpInfo, TcpInfo};

/// Reads a `T` (a [`Socket`](crate::Socket), a `Vec<Socket>`, a
/// [`diagnose::Report`](crate::diagnose::Report), ...) from JSON, and fails
/// when reading would drop a field this version of the library does not
/// know, naming where it is: `unknown field at [0].from_the_future
/// (written by a newer version?)`. Feature `serde` (default).
///
/// Plain `Deserialize` (`serde_json::from_str`) is the lenient reader: an
/// object of the model skips fields it does not know, so the output of a
/// newer writer still reads, and the fields it added are lost without a
/// word. Where a key decides what a value is (an [`Endpoint`]'s keys give
/// its kind; a [`Timer`](crate::Timer)), an unknown key is an error in both
/// readers. A tool that must not lose data reads with this function.
///
/// It reads `text` leniently, writes the value back, and looks for a key
/// of `text` that the value does not write: one holding anything but
/// `null`, `false`, `0`, `""`, `[]` or `{}` (what the model leaves out
/// when it is empty) was dropped.
///
/// ```
/// use sockdiag::{Socket, from_json_strict};
/// let text = r#"[{"netid":"tcp","family":"inet","state":"listen",
///     "local":{"addr":"0.0.0.0","port":22},"peer":{"addr":"0.0.0.0","port":0},
///     "recv_q":0,"send_q":128,"inode":1,"from_the_future":7}]"#;
/// // Lenient: the unknown field is dropped.
/// let sockets: Vec<Socket> = serde_json::from_str(text)?;
/// assert_eq!(sockets[0].send_q, 128);
/// // Strict: it is an error that says where.
/// let err = from_json_strict::<Vec<Socket>>(text).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "unknown field at [0].from_the_future (written by a newer version?)"
/// );
/// // What this version writes reads back strictly.
/// let again: Vec<Socket> = from_json_strict(&serde_json::to_string(&sockets)?)?;
/// assert_eq!(again, sockets);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn from_json_strict<T>(text: &str) -> Result<T, serde_json::Error>
where
    T: serde::de::DeserializeOwned + Serialize,
{
    use serde::de::Error as _;
    let input: serde_json::Value = serde_json::from_str(text)?;
    let value = T::deserialize(&input)?;
    let written = serde_json::to_value(&value)?;
    let mut path = String::new();
    match dropped_key(&input, &written, &mut path) {
        false => Ok(value),
        true => Err(serde_json::Error::custom(format!(
            "unknown field at {path} (written by a newer version?)"
        ))),
    }
}

/// Whether `input` has a key that `written` lacks and that holds more than
/// an empty value; `path` is then left naming it (`[0].a.b`).
fn dropped_key(input: &serde_json::Value, written: &serde_json::Value, path: &mut String) -> bool {
    use serde_json::Value;
    let empty = |v: &Value| match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    };
    let len = path.len();
    match (input, written) {
        (Value::Object(a), Value::Object(b)) => a.iter().any(|(k, v)| {
            path.truncate(len);
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(k);
            match b.get(k) {
                None => !empty(v),
                Some(w) => dropped_key(v, w, path),
            }
        }),
        (Value::Array(a), Value::Array(b)) => a.iter().zip(b).enumerate().any(|(i, (v, w))| {
            path.truncate(len);
            path.push_str(&format!("[{i}]"));
            dropped_key(v, w, path)
        }),
        _ => false,
    }
}

/// A name, or a number the library does not know.
#[derive(Deserialize)]
#[serde(untagged)]
enum NameOrUnknown {
    Name(String),
    Unknown { unknown: u8 },
}

impl Serialize for State {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            State::Other(n) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("unknown", n)?;
                m.end()
            }
            st => s.serialize_str(st.name()),
        }
    }
}

impl<'de> Deserialize<'de> for State {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<State, D::Error> {
        match NameOrUnknown::deserialize(d)? {
            NameOrUnknown::Unknown { unknown } => Ok(State::from_kernel(unknown)),
            NameOrUnknown::Name(n) => State::KNOWN
                .iter()
                .find(|s| s.name() == n)
                .copied()
                .ok_or_else(|| de::Error::custom(format!("unknown socket state {n:?}"))),
        }
    }
}

impl Serialize for TimerKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TimerKind::Unknown(n) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("unknown", n)?;
                m.end()
            }
            k => s.serialize_str(k.name()),
        }
    }
}

impl<'de> Deserialize<'de> for TimerKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TimerKind, D::Error> {
        match NameOrUnknown::deserialize(d)? {
            NameOrUnknown::Unknown { unknown } => TimerKind::from_kernel(unknown)
                .ok_or_else(|| de::Error::custom("timer kind 0 means no timer")),
            NameOrUnknown::Name(n) => (1..=5)
                .filter_map(TimerKind::from_kernel)
                .find(|k| k.name() == n)
                .ok_or_else(|| de::Error::custom(format!("unknown timer kind {n:?}"))),
        }
    }
}

/// A name as JSON: a string, or its bytes when not UTF-8.
struct NameBytes<'a>(&'a [u8]);

impl Serialize for NameBytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(self.0) {
            Ok(t) => s.serialize_str(t),
            // Not text: the bytes themselves, so nothing is lost.
            Err(_) => self.0.serialize(s),
        }
    }
}

impl<const N: usize> Serialize for InlineBytes<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        NameBytes(self.as_bytes()).serialize(s)
    }
}

impl<'de, const N: usize> Deserialize<'de> for InlineBytes<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<InlineBytes<N>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Text(String),
            Bytes(Vec<u8>),
        }
        let b = match Repr::deserialize(d)? {
            Repr::Text(t) => t.into_bytes(),
            Repr::Bytes(b) => b,
        };
        if b.len() > N.min(255) {
            return Err(de::Error::custom(format!(
                "name of {} bytes, at most {} fit",
                b.len(),
                N.min(255)
            )));
        }
        Ok(InlineBytes::new(&b))
    }
}

impl Serialize for Endpoint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Endpoint::Inet { addr, port } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("addr", &addr)?;
                m.serialize_entry("port", &port)?;
                m.end()
            }
            Endpoint::Unix { name, inode } => {
                let mut m = s.serialize_map(None)?;
                match name.view() {
                    UnixNameRef::Unnamed => {}
                    UnixNameRef::Path(p) => m.serialize_entry("path", &NameBytes(p))?,
                    UnixNameRef::Abstract(a) => m.serialize_entry("abstract", &NameBytes(a))?,
                }
                m.serialize_entry("inode", &inode)?;
                m.end()
            }
            Endpoint::Packet { protocol, ifindex } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("protocol", &protocol)?;
                m.serialize_entry("ifindex", &ifindex)?;
                m.end()
            }
            Endpoint::Netlink {
                protocol,
                portid,
                group,
            } => {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("protocol", &protocol)?;
                m.serialize_entry("portid", &portid)?;
                m.serialize_entry("group", &group)?;
                m.end()
            }
            Endpoint::None => s.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for Endpoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Endpoint, D::Error> {
        type Name = InlineBytes<{ crate::consts::UNIX_PATH_MAX }>;
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Repr {
            addr: Option<IpAddr>,
            port: Option<u16>,
            path: Option<Name>,
            #[serde(rename = "abstract")]
            abstract_name: Option<Name>,
            inode: Option<u64>,
            protocol: Option<u16>,
            ifindex: Option<u32>,
            portid: Option<u32>,
            group: Option<u32>,
        }
        let Some(r) = Option::<Repr>::deserialize(d)? else {
            return Ok(Endpoint::None);
        };
        let e = if let Some(addr) = r.addr {
            Endpoint::Inet {
                addr,
                port: r.port.unwrap_or(0),
            }
        } else if let Some(inode) = r.inode {
            let name = match (r.path, r.abstract_name) {
                (Some(p), _) => UnixName::new_path(p.as_bytes()),
                (None, Some(a)) => UnixName::new_abstract(a.as_bytes()),
                (None, None) => UnixName::UNNAMED,
            };
            Endpoint::Unix { name, inode }
        } else if let Some(portid) = r.portid {
            let protocol = r.protocol.unwrap_or(0);
            Endpoint::Netlink {
                protocol: u8::try_from(protocol)
                    .map_err(|_| de::Error::custom("netlink protocol above 255"))?,
                portid,
                group: r.group.unwrap_or(0),
            }
        } else if let Some(ifindex) = r.ifindex {
            Endpoint::Packet {
                protocol: r.protocol.unwrap_or(0),
                ifindex,
            }
        } else {
            return Err(de::Error::custom(
                "an endpoint needs addr, inode, portid or ifindex",
            ));
        };
        Ok(e)
    }
}

impl Serialize for SockOpt {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let names: Vec<String> = self
            .iter_names()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect();
        names.serialize(s)
    }
}

impl<'de> Deserialize<'de> for SockOpt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SockOpt, D::Error> {
        let mut o = SockOpt::empty();
        for n in Vec::<String>::deserialize(d)? {
            o |= SockOpt::from_name(&n.to_ascii_uppercase())
                .ok_or_else(|| de::Error::custom(format!("unknown socket option {n:?}")))?;
        }
        Ok(o)
    }
}

impl Serialize for TcpInfo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (k, v) in self.fields() {
            if k == "delivery_rate_app_limited" {
                m.serialize_entry(k, &(v != 0))?;
            } else {
                m.serialize_entry(k, &v)?;
            }
        }
        m.end()
    }
}

/// Reads a map of field names to integers (or booleans) in order.
fn field_map<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, u64)>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<(String, u64)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a map of field names to integers")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            #[derive(Deserialize)]
            #[serde(untagged)]
            enum Num {
                Int(u64),
                Bool(bool),
            }
            let mut out = Vec::new();
            while let Some((k, v)) = a.next_entry::<String, Num>()? {
                let v = match v {
                    Num::Int(n) => n,
                    Num::Bool(b) => b as u64,
                };
                out.push((k, v));
            }
            Ok(out)
        }
    }
    d.deserialize_map(V)
}

impl<'de> Deserialize<'de> for TcpInfo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TcpInfo, D::Error> {
        let f = field_map(d)?;
        Ok(TcpInfo::from_fields(
            f.iter().map(|(k, v)| (k.as_str(), *v)),
        ))
    }
}

impl Serialize for MptcpInfo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (k, v) in self.fields() {
            m.serialize_entry(k, &v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for MptcpInfo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<MptcpInfo, D::Error> {
        let f = field_map(d)?;
        Ok(MptcpInfo::from_fields(
            f.iter().map(|(k, v)| (k.as_str(), *v)),
        ))
    }
}

/// `Socket`'s rarer facts, flattened into the socket's object: absent keys
/// when there are none, and no `Detail` when none is read back.
impl Serialize for DetailBox {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_deref() {
            Some(d) => d.serialize(s),
            None => s.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for DetailBox {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DetailBox, D::Error> {
        let detail = Detail::deserialize(d)?;
        Ok(DetailBox((!detail.is_empty()).then(|| Box::new(detail))))
    }
}
