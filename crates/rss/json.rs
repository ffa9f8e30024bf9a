//! `-j`: a JSON array streamed as the dump arrives, one object per socket,
//! in the library model's serde form.

use std::io::{self, Write};

use sockdiag::Socket;

/// Writes `[`, then each socket as it comes, then `]`.
pub struct JsonWriter<W: Write> {
    out: W,
    first: bool,
    done: bool,
}

impl<W: Write> JsonWriter<W> {
    /// A writer; `[` is written with the first socket (or by `finish`), so
    /// a dump that fails before any socket prints nothing.
    pub fn new(out: W) -> io::Result<Self> {
        Ok(JsonWriter {
            out,
            first: true,
            done: false,
        })
    }
}

impl<W: Write> JsonWriter<W> {
    /// Appends one socket.
    pub fn push(&mut self, s: &Socket) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"[\n" } else { b",\n" })?;
        self.first = false;
        serde_json::to_writer(&mut self.out, s).map_err(io::Error::from)
    }

    /// Closes the array (once).
    pub fn finish(&mut self) -> io::Result<()> {
        if !self.done {
            self.done = true;
            self.out
                .write_all(if self.first { b"[]\n" } else { b"\n]\n" })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockdiag::{Family, State, Table};

    #[test]
    fn empty_and_two_sockets_are_valid_json() {
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf).unwrap();
        w.finish().unwrap();
        assert_eq!(buf, b"[]\n");
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf).unwrap();
        let s = Socket::new(Table::Tcp, Family::Inet, State::Listen);
        w.push(&s).unwrap();
        w.push(&s).unwrap();
        w.finish().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 2);
        assert_eq!(v[1]["netid"], "tcp");
        assert_eq!(v[1]["state"], "listen");
    }
}
