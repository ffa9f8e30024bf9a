//! What `rss top` shows, without a terminal: rows built from samples,
//! sorted, filtered, grouped by process, with a minute of history per
//! connection. Pure: fed [`Sample`]s, read by the UI and by tests.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use sockdiag::filter::Filter;
use sockdiag::sample::{Sample, SocketKey};
use sockdiag::{Socket, States};

use crate::socket_metrics::{Metrics, Rates};

/// How long the sparklines look back.
pub const HISTORY: Duration = Duration::from_secs(60);

/// The column rows are sorted by (largest first unless reversed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Recv-Q.
    RecvQ,
    /// Send-Q.
    SendQ,
    /// Bytes sent per second (the default).
    #[default]
    SendRate,
    /// Bytes received per second.
    RecvRate,
    /// Retransmitted segments (total).
    Retrans,
    /// Smoothed round-trip time.
    Rtt,
}

impl SortKey {
    /// Every key, in column order; the key press that selects each is its
    /// position plus one (`1`..`6`).
    pub const ALL: [SortKey; 6] = [
        SortKey::RecvQ,
        SortKey::SendQ,
        SortKey::SendRate,
        SortKey::RecvRate,
        SortKey::Retrans,
        SortKey::Rtt,
    ];

    /// The column title.
    pub fn title(self) -> &'static str {
        match self {
            SortKey::RecvQ => "Recv-Q",
            SortKey::SendQ => "Send-Q",
            SortKey::SendRate => "Send/s",
            SortKey::RecvRate => "Recv/s",
            SortKey::Retrans => "Retrans",
            SortKey::Rtt => "RTT ms",
        }
    }

    /// Parses `--sort` values.
    pub fn parse(s: &str) -> Option<SortKey> {
        Some(match s {
            "recv-q" | "recvq" => SortKey::RecvQ,
            "send-q" | "sendq" => SortKey::SendQ,
            "send" | "send-rate" => SortKey::SendRate,
            "recv" | "recv-rate" => SortKey::RecvRate,
            "retrans" => SortKey::Retrans,
            "rtt" => SortKey::Rtt,
            _ => return None,
        })
    }

    fn value(self, m: &Metrics, r: &Rates) -> f64 {
        match self {
            SortKey::RecvQ => m.recv_q as f64,
            SortKey::SendQ => m.send_q as f64,
            SortKey::SendRate => r.sent,
            SortKey::RecvRate => r.received,
            SortKey::Retrans => m.retrans as f64,
            SortKey::Rtt => m.rtt_us as f64,
        }
    }
}

/// One connection on screen.
#[derive(Debug, Clone)]
pub struct Row {
    /// Its identity across samples.
    pub key: SocketKey,
    /// The latest socket.
    pub socket: Socket,
    /// Its values.
    pub metrics: Metrics,
    /// Rates since the previous sample (zero for a new socket).
    pub rates: Rates,
    /// `command(pid)` of its first holder, or `-`.
    pub process: String,
}

/// One process group on screen (grouping on).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// `command(pid)` or `-`.
    pub process: String,
    /// Connections in the group.
    pub count: usize,
    /// Summed queues and counters; the largest RTT.
    pub metrics: Metrics,
    /// Summed rates.
    pub rates: Rates,
}

/// One point of a connection's history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Time since the first sample.
    pub at: Duration,
    /// Recv-Q.
    pub recv_q: u64,
    /// Send-Q.
    pub send_q: u64,
    /// Bytes sent and received per second.
    pub rate: f64,
}

/// A key for the prompt's line editor ([`LineEdit::key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKey {
    /// A printable character.
    Char(char),
    /// Delete the character before the cursor.
    Backspace,
    /// Delete the character under the cursor.
    Delete,
    /// Cursor one character left.
    Left,
    /// Cursor one character right.
    Right,
    /// Cursor to the start (Home, Ctrl-A).
    Home,
    /// Cursor to the end (End, Ctrl-E).
    End,
    /// Delete from the start to the cursor (Ctrl-U).
    KillStart,
    /// Delete from the cursor to the end (Ctrl-K).
    KillEnd,
    /// Delete the word before the cursor (Ctrl-W): blanks, then non-blanks.
    KillWord,
}

/// One line being edited as a shell edits it. Opened pre-filled (the
/// filter in force), the text is *fresh*: a character typed first replaces
/// it; any editing key (arrows, Home/End, Backspace, Ctrl-U/W/K) keeps it
/// and edits it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEdit {
    text: Vec<char>,
    cursor: usize,
    fresh: bool,
}

impl LineEdit {
    /// A line holding `text`, the cursor at its end, fresh if not empty.
    pub fn prefilled(text: &str) -> LineEdit {
        let text: Vec<char> = text.chars().collect();
        LineEdit {
            cursor: text.len(),
            fresh: !text.is_empty(),
            text,
        }
    }

    /// The text.
    pub fn text(&self) -> String {
        self.text.iter().collect()
    }

    /// The cursor, in characters from the start.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Whether the pre-filled text is untouched (the next character
    /// replaces it).
    pub fn is_fresh(&self) -> bool {
        self.fresh
    }

    /// Applies one key.
    pub fn key(&mut self, k: EditKey) {
        let fresh = std::mem::take(&mut self.fresh);
        match k {
            EditKey::Char(c) => {
                if fresh {
                    self.text.clear();
                    self.cursor = 0;
                }
                self.text.insert(self.cursor, c);
                self.cursor += 1;
            }
            EditKey::Backspace => {
                if self.cursor > 0 {
                    self.cursor -= 1;
                    self.text.remove(self.cursor);
                }
            }
            EditKey::Delete => {
                if self.cursor < self.text.len() {
                    self.text.remove(self.cursor);
                }
            }
            EditKey::Left => self.cursor = self.cursor.saturating_sub(1),
            EditKey::Right => self.cursor = (self.cursor + 1).min(self.text.len()),
            EditKey::Home => self.cursor = 0,
            EditKey::End => self.cursor = self.text.len(),
            EditKey::KillStart => {
                self.text.drain(..self.cursor);
                self.cursor = 0;
            }
            EditKey::KillEnd => self.text.truncate(self.cursor),
            EditKey::KillWord => {
                let mut start = self.cursor;
                while start > 0 && self.text[start - 1].is_whitespace() {
                    start -= 1;
                }
                while start > 0 && !self.text[start - 1].is_whitespace() {
                    start -= 1;
                }
                self.text.drain(start..self.cursor);
                self.cursor = start;
            }
        }
    }
}

/// The states hidden by default when the filter names none: TIME-WAIT
/// (the connections already closed; `t` shows them), CLOSE and
/// bound-inactive sockets. LISTEN is shown: a listener's Recv-Q is its
/// accept queue.
pub const HIDDEN_BY_DEFAULT: States = States::TIME_WAIT
    .union(States::CLOSE)
    .union(States::BOUND_INACTIVE);

/// The state of the view.
#[derive(Debug, Default)]
pub struct Model {
    rows: Vec<Row>,
    history: HashMap<SocketKey, VecDeque<Point>>,
    /// The sort column.
    pub sort: SortKey,
    /// Smallest first instead of largest.
    pub ascending: bool,
    /// Rows are process groups.
    pub grouped: bool,
    /// Index of the selected row in the visible order.
    pub selected: usize,
    /// The filter as typed (ss's language), empty for none.
    pub filter_text: String,
    filter: Option<Filter>,
    states: Option<States>,
    /// The filter being typed at the prompt, when it is open.
    pub prompt: Option<LineEdit>,
    /// States not shown when the filter names none ([`HIDDEN_BY_DEFAULT`],
    /// or none with `-a`; `t` toggles TIME-WAIT).
    pub hidden: States,
    /// A one-line message (a bad filter).
    pub message: Option<String>,
    /// Sockets in the last sample before filtering.
    pub total: usize,
    /// Wall-clock time of the last sample.
    pub taken_at: Option<std::time::SystemTime>,
}

fn process_of(s: &Socket) -> String {
    match s.processes().first() {
        Some(p) => format!("{}({})", p.command, p.pid),
        None => "-".into(),
    }
}

impl Model {
    /// An empty view sorted by `sort`.
    pub fn new(sort: SortKey) -> Model {
        Model {
            sort,
            hidden: HIDDEN_BY_DEFAULT,
            ..Model::default()
        }
    }

    /// Shows TIME-WAIT if hidden, hides it if shown (`t`).
    pub fn toggle_time_wait(&mut self) {
        self.hidden.toggle(States::TIME_WAIT);
        self.selected = 0;
    }

    /// Whether TIME-WAIT rows are hidden (when the filter names no state).
    pub fn time_wait_hidden(&self) -> bool {
        self.hidden.contains(States::TIME_WAIT)
    }

    /// Whether the filter names states (then it alone decides which show).
    pub fn filter_names_states(&self) -> bool {
        self.states.is_some()
    }

    /// Sets the filter from ss words (`state established dport = :443`);
    /// on error the previous filter stays and the message says why.
    pub fn set_filter(&mut self, text: &str) -> Result<(), String> {
        let words = sockdiag::ss::split_words(text);
        let mut states = crate::filter::SS_ALL;
        let rest = crate::filter::parse_states(&words, &mut states).map_err(|e| e.0)?;
        let saw_state = rest.len() != words.len();
        let filter = Filter::parse(rest).map_err(|e| format!("filter: {e}"))?;
        self.filter = filter;
        self.states = saw_state.then_some(states);
        self.filter_text = text.trim().to_string();
        self.selected = 0;
        Ok(())
    }

    fn selects(&self, s: &Socket) -> bool {
        let shown = match self.states {
            Some(st) => st.contains(s.state.bit()),
            None => !self.hidden.intersects(s.state.bit()),
        };
        shown && self.filter.as_ref().is_none_or(|f| f.matches(s))
    }

    /// Takes in a new sample (`prev` the one before, for rates).
    pub fn update(&mut self, sample: &Sample, prev: Option<&Sample>) {
        let before: HashMap<SocketKey, &Socket> = prev
            .map(|p| p.sockets.iter().map(|s| (SocketKey::of(s), s)).collect())
            .unwrap_or_default();
        let secs = prev
            .map(|p| sample.elapsed.saturating_sub(p.elapsed).as_secs_f64())
            .unwrap_or(0.0);
        self.total = sample.sockets.len();
        self.taken_at = Some(sample.taken_at);
        self.rows.clear();
        for s in &sample.sockets {
            let key = SocketKey::of(s);
            let metrics = Metrics::of(s);
            let rates = before
                .get(&key)
                .map(|b| Rates::between(&Metrics::of(b), &metrics, secs))
                .unwrap_or_default();
            let h = self.history.entry(key).or_default();
            // The same sample again (a new filter): replace, not append.
            if h.back().is_some_and(|p| p.at == sample.elapsed) {
                h.pop_back();
            }
            h.push_back(Point {
                at: sample.elapsed,
                recv_q: metrics.recv_q,
                send_q: metrics.send_q,
                rate: rates.sent + rates.received,
            });
            while h
                .front()
                .is_some_and(|p| sample.elapsed.saturating_sub(p.at) > HISTORY)
            {
                h.pop_front();
            }
            if self.selects(s) {
                self.rows.push(Row {
                    key,
                    socket: s.clone(),
                    metrics,
                    rates,
                    process: process_of(s),
                });
            }
        }
        // Forget connections that are gone.
        let live: std::collections::HashSet<SocketKey> =
            sample.sockets.iter().map(SocketKey::of).collect();
        self.history.retain(|k, _| live.contains(k));
        self.sort_rows();
        self.clamp();
    }

    fn order(&self, a: f64, b: f64) -> std::cmp::Ordering {
        let o = a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal);
        if self.ascending { o } else { o.reverse() }
    }

    fn sort_rows(&mut self) {
        let key = self.sort;
        let mut rows = std::mem::take(&mut self.rows);
        // Ties keep a stable order: by cookie (age), so rows do not jump.
        rows.sort_by(|a, b| {
            self.order(
                key.value(&a.metrics, &a.rates),
                key.value(&b.metrics, &b.rates),
            )
            .then_with(|| a.key.cmp(&b.key))
        });
        self.rows = rows;
    }

    /// Sorts by `key`; the same key again flips the direction.
    pub fn sort_by(&mut self, key: SortKey) {
        if self.sort == key {
            self.ascending = !self.ascending;
        } else {
            self.sort = key;
            self.ascending = false;
        }
        self.sort_rows();
    }

    /// The connections, in display order.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The process groups, in display order.
    pub fn groups(&self) -> Vec<Group> {
        let mut groups: Vec<Group> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for r in &self.rows {
            let i = *index.entry(r.process.as_str()).or_insert_with(|| {
                groups.push(Group {
                    process: r.process.clone(),
                    count: 0,
                    metrics: Metrics::default(),
                    rates: Rates::default(),
                });
                groups.len() - 1
            });
            let g = &mut groups[i];
            g.count += 1;
            g.metrics.recv_q += r.metrics.recv_q;
            g.metrics.send_q += r.metrics.send_q;
            g.metrics.bytes_sent += r.metrics.bytes_sent;
            g.metrics.bytes_received += r.metrics.bytes_received;
            g.metrics.retrans += r.metrics.retrans;
            g.metrics.rtt_us = g.metrics.rtt_us.max(r.metrics.rtt_us);
            g.rates.sent += r.rates.sent;
            g.rates.received += r.rates.received;
            g.rates.retrans += r.rates.retrans;
        }
        let key = self.sort;
        groups.sort_by(|a, b| {
            self.order(
                key.value(&a.metrics, &a.rates),
                key.value(&b.metrics, &b.rates),
            )
            .then_with(|| a.process.cmp(&b.process))
        });
        groups
    }

    /// Number of visible lines.
    pub fn len(&self) -> usize {
        if self.grouped {
            self.groups().len()
        } else {
            self.rows.len()
        }
    }

    /// True when nothing is shown.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn clamp(&mut self) {
        let n = self.len();
        if self.selected >= n {
            self.selected = n.saturating_sub(1);
        }
    }

    /// Moves the selection by `by` lines.
    pub fn move_selection(&mut self, by: isize) {
        let n = self.len();
        if n == 0 {
            self.selected = 0;
            return;
        }
        self.selected = self.selected.saturating_add_signed(by).min(n - 1);
    }

    /// Groups by process or not.
    pub fn toggle_grouping(&mut self) {
        self.grouped = !self.grouped;
        self.selected = 0;
    }

    /// The selected connection (not when grouped).
    pub fn selected_row(&self) -> Option<&Row> {
        if self.grouped {
            None
        } else {
            self.rows.get(self.selected)
        }
    }

    /// The history of a connection, oldest first.
    pub fn history(&self, key: &SocketKey) -> Vec<Point> {
        self.history
            .get(key)
            .map(|h| h.iter().copied().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use sockdiag::{Endpoint, Family, Process, State, Table, TcpInfo};

    /// A TCP socket with the given values in its `tcp_info`.
    pub(crate) fn sock(
        cookie: u64,
        port: u16,
        recv_q: u32,
        bytes_sent: u64,
        retrans: u32,
        rtt_us: u32,
        command: &str,
    ) -> Socket {
        let mut s = Socket::new(Table::Tcp, Family::Inet, State::Established);
        s.cookie = Some(cookie);
        s.local = Endpoint::Inet {
            addr: [10, 0, 0, 1].into(),
            port,
        };
        s.peer = Endpoint::Inet {
            addr: [10, 0, 0, 2].into(),
            port: 443,
        };
        s.recv_q = recv_q;
        let mut raw = vec![0u8; 232];
        raw[0] = 1; // TCP_ESTABLISHED
        raw[68..72].copy_from_slice(&rtt_us.to_ne_bytes());
        raw[100..104].copy_from_slice(&retrans.to_ne_bytes());
        raw[200..208].copy_from_slice(&bytes_sent.to_ne_bytes());
        s.tcp_info = Some(TcpInfo::from_bytes(&raw));
        if !command.is_empty() {
            let pid = if command == "curl" { 101 } else { 200 };
            s.detail_or_insert()
                .processes
                .push(Process::new(command, pid, 3));
        }
        s
    }

    fn typed(line: &mut LineEdit, text: &str) {
        for c in text.chars() {
            line.key(EditKey::Char(c));
        }
    }

    #[test]
    fn typing_replaces_a_prefilled_line() {
        let mut l = LineEdit::prefilled("state time-wait");
        assert!(l.is_fresh());
        typed(&mut l, "dport = :443");
        assert_eq!(l.text(), "dport = :443");
        assert!(!l.is_fresh());
        // Empty: nothing to replace.
        let mut l = LineEdit::prefilled("");
        assert!(!l.is_fresh());
        typed(&mut l, "sport");
        assert_eq!(l.text(), "sport");
    }

    #[test]
    fn editing_keys_keep_a_prefilled_line() {
        // An arrow first: the text stays, typing inserts at the cursor.
        let mut l = LineEdit::prefilled("dport = :443");
        l.key(EditKey::Left);
        l.key(EditKey::Left);
        l.key(EditKey::Left);
        typed(&mut l, "8");
        assert_eq!(l.text(), "dport = :8443");
        assert_eq!(l.cursor(), 10);
        // Backspace first: deletes one, keeps the rest.
        let mut l = LineEdit::prefilled("dport = :443");
        l.key(EditKey::Backspace);
        assert_eq!(l.text(), "dport = :44");
        typed(&mut l, "5");
        assert_eq!(l.text(), "dport = :445");
        // Home, Delete, End, Right at the end.
        l.key(EditKey::Home);
        l.key(EditKey::Delete);
        assert_eq!(l.text(), "port = :445");
        typed(&mut l, "s");
        assert_eq!(l.text(), "sport = :445");
        l.key(EditKey::End);
        l.key(EditKey::Right);
        assert_eq!(l.cursor(), 12);
        l.key(EditKey::Left);
        l.key(EditKey::Right);
        l.key(EditKey::Right);
        assert_eq!(l.cursor(), 12);
    }

    #[test]
    fn ctrl_u_w_and_k_delete_as_a_shell_does() {
        let mut l = LineEdit::prefilled("state established dport = :443");
        // Ctrl-W: the word before the cursor, and the blanks before it.
        l.key(EditKey::KillWord);
        assert_eq!(l.text(), "state established dport = ");
        l.key(EditKey::KillWord);
        assert_eq!(l.text(), "state established dport ");
        l.key(EditKey::KillWord);
        l.key(EditKey::KillWord);
        assert_eq!(l.text(), "state ");
        // Ctrl-U from the middle: the start up to the cursor.
        let mut l = LineEdit::prefilled("state established dport = :443");
        for _ in 0..12 {
            l.key(EditKey::Left);
        }
        l.key(EditKey::KillStart);
        assert_eq!(l.text(), "dport = :443");
        assert_eq!(l.cursor(), 0);
        // Ctrl-K: from the cursor to the end.
        l.key(EditKey::Right);
        l.key(EditKey::KillEnd);
        assert_eq!(l.text(), "d");
        // At the start, Ctrl-W and Backspace do nothing.
        l.key(EditKey::Home);
        l.key(EditKey::KillWord);
        l.key(EditKey::Backspace);
        assert_eq!(l.text(), "d");
        // Not ASCII: characters, not bytes.
        let mut l = LineEdit::prefilled("src café");
        l.key(EditKey::Backspace);
        l.key(EditKey::Left);
        typed(&mut l, "é");
        assert_eq!(l.text(), "src caéf");
    }

    #[test]
    fn listeners_shown_and_time_wait_hidden_by_default() {
        let mut listen = sock(10, 5000, 7, 0, 0, 0, "");
        listen.state = State::Listen;
        let mut tw = sock(11, 40010, 0, 0, 0, 0, "");
        tw.state = State::TimeWait;
        let est = sock(12, 40011, 0, 0, 0, 0, "");
        let sample = Sample::new(0, Duration::ZERO, vec![listen, tw, est]);
        let shown = |m: &Model| -> Vec<u64> {
            let mut v: Vec<u64> = m.rows().iter().map(|r| r.socket.cookie.unwrap()).collect();
            v.sort_unstable();
            v
        };
        let mut m = Model::new(SortKey::RecvQ);
        m.update(&sample, None);
        assert_eq!(shown(&m), [10, 12]);
        assert!(m.time_wait_hidden());
        // `t` shows TIME-WAIT, again hides it.
        m.toggle_time_wait();
        m.update(&sample, None);
        assert_eq!(shown(&m), [10, 11, 12]);
        m.toggle_time_wait();
        m.update(&sample, None);
        assert_eq!(shown(&m), [10, 12]);
        // A filter that names states decides alone.
        m.set_filter("state time-wait").unwrap();
        m.update(&sample, None);
        assert_eq!(shown(&m), [11]);
        m.set_filter("").unwrap();
        m.update(&sample, None);
        assert_eq!(shown(&m), [10, 12]);
        // The listener's accept queue sorts first by Recv-Q.
        assert_eq!(m.rows()[0].socket.cookie, Some(10));
    }

    pub(crate) fn scene() -> (Sample, Sample) {
        let a = Sample::new(
            0,
            Duration::ZERO,
            vec![
                sock(1, 40001, 0, 1000, 0, 200, "curl"),
                sock(2, 40002, 500, 0, 3, 5000, "nginx"),
                sock(3, 40003, 10, 0, 1, 900, "nginx"),
            ],
        );
        let b = Sample::new(
            1,
            Duration::from_secs(1),
            vec![
                sock(1, 40001, 0, 101_000, 0, 200, "curl"),
                sock(2, 40002, 800, 0, 5, 5000, "nginx"),
                sock(3, 40003, 10, 2000, 1, 900, "nginx"),
            ],
        );
        (a, b)
    }

    fn ports(m: &Model) -> Vec<u16> {
        m.rows()
            .iter()
            .map(|r| r.socket.local_port().unwrap())
            .collect()
    }

    #[test]
    fn sorts_by_each_key_and_flips() {
        let (a, b) = scene();
        let mut m = Model::new(SortKey::SendRate);
        m.update(&a, None);
        m.update(&b, Some(&a));
        assert_eq!(ports(&m), [40001, 40003, 40002]);
        m.sort_by(SortKey::RecvQ);
        assert_eq!(ports(&m), [40002, 40003, 40001]);
        m.sort_by(SortKey::RecvQ);
        assert_eq!(ports(&m), [40001, 40003, 40002]);
        m.sort_by(SortKey::Retrans);
        assert_eq!(ports(&m), [40002, 40003, 40001]);
        m.sort_by(SortKey::Rtt);
        assert_eq!(ports(&m), [40002, 40003, 40001]);
        assert_eq!(m.rows()[2].rates.sent, 100_000.0);
    }

    #[test]
    fn filters_in_ss_language() {
        let (a, b) = scene();
        let mut m = Model::new(SortKey::RecvQ);
        m.set_filter("sport >= :40002").unwrap();
        m.update(&a, None);
        m.update(&b, Some(&a));
        assert_eq!(ports(&m), [40002, 40003]);
        assert!(m.set_filter("sport >=").is_err());
        assert_eq!(m.filter_text, "sport >= :40002");
        m.set_filter("state listening").unwrap();
        m.update(&b, Some(&a));
        assert!(m.rows().is_empty());
    }

    #[test]
    fn groups_by_process() {
        let (a, b) = scene();
        let mut m = Model::new(SortKey::RecvQ);
        m.update(&a, None);
        m.update(&b, Some(&a));
        let g = m.groups();
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].count, 2);
        assert!(g[0].process.starts_with("nginx("));
        assert_eq!(g[0].metrics.recv_q, 810);
        assert_eq!(g[0].metrics.retrans, 6);
    }

    #[test]
    fn history_keeps_a_minute() {
        let mut m = Model::new(SortKey::RecvQ);
        for i in 0..100u64 {
            let s = Sample::new(
                i,
                Duration::from_secs(i),
                vec![sock(9, 1, i as u32, 0, 0, 0, "")],
            );
            m.update(&s, None);
        }
        let h = m.history(&SocketKey::Cookie(9));
        assert_eq!(h.len(), 61);
        assert_eq!(h.last().unwrap().recv_q, 99);
    }
}
