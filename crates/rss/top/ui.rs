//! Drawing `rss top`'s screen from a [`Model`]: a status line, the table
//! of connections (or process groups), a detail pane with the selected
//! connection's `tcp_info` and a minute of history as sparklines, and the
//! prompt or message line. No I/O: it draws into any ratatui backend.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Sparkline, Table, TableState};

use super::model::{LineEdit, Model, SortKey};
use crate::socket_metrics::{Metrics, Rates, end_text, human, utc_text};
use sockdiag::ss::{Side, state_label};

/// The key help shown on the status line.
pub const HELP: &str = "1-6 sort  / filter  t TIME-WAIT  g group  up/down select  q quit";

fn title(m: &Model, k: SortKey) -> String {
    if m.sort == k {
        format!("{}{}", k.title(), if m.ascending { "^" } else { "v" })
    } else {
        k.title().to_string()
    }
}

fn ms(us: u64) -> String {
    if us == 0 {
        "-".into()
    } else {
        // ss's precision: microseconds, as milliseconds with 3 decimals.
        format!("{:.3}", us as f64 / 1000.0)
    }
}

fn numbers(m: &Metrics, r: &Rates) -> Vec<String> {
    vec![
        m.recv_q.to_string(),
        m.send_q.to_string(),
        human(r.sent),
        human(r.received),
        m.retrans.to_string(),
        ms(m.rtt_us),
    ]
}

/// Draws the whole screen.
pub fn draw(f: &mut Frame<'_>, m: &Model) {
    let area = f.area();
    let detail_h = if m.grouped { 0 } else { 10 };
    let chunks = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(detail_h),
            Constraint::Length(1),
        ])
        .split(area);
    draw_status(f, m, chunks[0]);
    if m.grouped {
        draw_groups(f, m, chunks[1]);
    } else {
        draw_rows(f, m, chunks[1]);
        draw_detail(f, m, chunks[2]);
    }
    let bottom = match (&m.prompt, &m.message) {
        (Some(p), _) => prompt_line(p),
        (None, Some(msg)) => Line::from(msg.clone()),
        (None, None) => Line::from(HELP),
    };
    f.render_widget(Paragraph::new(bottom), chunks[3]);
}

/// `filter> TEXT`: the cursor a reversed cell (`_` at the end), and a
/// hint while the pre-filled text is untouched.
fn prompt_line(p: &LineEdit) -> Line<'static> {
    let chars: Vec<char> = p.text().chars().collect();
    let at = p.cursor().min(chars.len());
    let before: String = chars[..at].iter().collect();
    let mut spans = vec![Span::raw("filter> "), Span::raw(before)];
    let reversed = Style::default().add_modifier(Modifier::REVERSED);
    if at < chars.len() {
        spans.push(Span::styled(chars[at].to_string(), reversed));
        spans.push(Span::raw(chars[at + 1..].iter().collect::<String>()));
    } else {
        spans.push(Span::styled("_", reversed));
    }
    if p.is_fresh() {
        spans.push(Span::raw(
            "   (type to replace; arrows, Ctrl-U, Ctrl-W edit; Enter applies, Esc cancels)",
        ));
    }
    Line::from(spans)
}

fn draw_status(f: &mut Frame<'_>, m: &Model, area: Rect) {
    let when = m
        .taken_at
        .map(|t| utc_text(t).get(11..19).unwrap_or("").to_string())
        .unwrap_or_default();
    let filter = if m.filter_text.is_empty() {
        "none".to_string()
    } else {
        m.filter_text.clone()
    };
    let tw = if m.filter_names_states() {
        ""
    } else if m.time_wait_hidden() {
        "  TIME-WAIT hidden (t)"
    } else {
        "  TIME-WAIT shown (t)"
    };
    let text = format!(
        "rss top  {when}  {} of {} sockets  sort {}  filter: {filter}{}{tw}",
        m.rows().len(),
        m.total,
        title(m, m.sort),
        if m.grouped { "  by process" } else { "" }
    );
    f.render_widget(
        Paragraph::new(text).style(Style::default().add_modifier(Modifier::REVERSED)),
        area,
    );
}

fn draw_rows(f: &mut Frame<'_>, m: &Model, area: Rect) {
    let mut header = vec!["State".to_string(), "Local".to_string(), "Peer".to_string()];
    header.extend(SortKey::ALL.iter().map(|&k| title(m, k)));
    header.push("Process".into());
    let rows = m.rows().iter().map(|r| {
        let mut cells = vec![
            state_label(r.socket.state).to_string(),
            end_text(&r.socket, Side::Local),
            end_text(&r.socket, Side::Peer),
        ];
        cells.extend(numbers(&r.metrics, &r.rates));
        cells.push(r.process.clone());
        Row::new(cells.into_iter().map(Cell::from))
    });
    let widths = [
        Constraint::Length(10),
        Constraint::Length(21),
        Constraint::Length(21),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Min(8),
    ];
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(Style::default().add_modifier(Modifier::BOLD)))
        .block(Block::default().borders(Borders::TOP).title("connections"))
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED))
        .highlight_symbol(">");
    let mut state = TableState::default().with_selected((!m.is_empty()).then_some(m.selected));
    f.render_stateful_widget(table, area, &mut state);
}

fn draw_groups(f: &mut Frame<'_>, m: &Model, area: Rect) {
    let mut header = vec!["Process".to_string(), "Conns".to_string()];
    header.extend(SortKey::ALL.iter().map(|&k| title(m, k)));
    let rows = m.groups().into_iter().map(|g| {
        let mut cells = vec![g.process.clone(), g.count.to_string()];
        cells.extend(numbers(&g.metrics, &g.rates));
        Row::new(cells.into_iter().map(Cell::from))
    });
    let widths = [
        Constraint::Length(24),
        Constraint::Length(6),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(8),
    ];
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(Style::default().add_modifier(Modifier::BOLD)))
        .block(Block::default().borders(Borders::TOP).title("processes"))
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED))
        .highlight_symbol(">");
    let mut state = TableState::default().with_selected((!m.is_empty()).then_some(m.selected));
    f.render_stateful_widget(table, area, &mut state);
}

/// The `tcp_info` lines of the detail pane.
pub fn detail_lines(r: &super::model::Row) -> Vec<String> {
    let s = &r.socket;
    let mut lines = vec![format!(
        "{} {} -> {}  cookie {}  {}",
        state_label(s.state),
        end_text(s, Side::Local),
        end_text(s, Side::Peer),
        s.cookie.map_or("-".into(), |c| format!("{c:#x}")),
        r.process
    )];
    let Some(ti) = &s.tcp_info else {
        lines.push("no tcp_info".into());
        return lines;
    };
    let v = |x: Option<u32>| x.map_or("-".to_string(), |v| v.to_string());
    let v64 = |x: Option<u64>| x.map_or("-".to_string(), |v| v.to_string());
    lines.push(format!(
        "rtt {}/{} ms  rto {} ms  mss {}  cwnd {}  ssthresh {}  cc {}",
        ms(ti.rtt().unwrap_or(0).into()),
        ms(ti.rttvar().unwrap_or(0).into()),
        ti.rto().map_or("-".into(), |x| format!("{}", x / 1000)),
        v(ti.snd_mss()),
        v(ti.snd_cwnd()),
        v(ti.snd_ssthresh()),
        s.congestion.map_or("-".into(), |c| c.to_string()),
    ));
    lines.push(format!(
        "bytes sent {}  acked {}  received {}  notsent {}",
        v64(ti.bytes_sent()),
        v64(ti.bytes_acked()),
        v64(ti.bytes_received()),
        v(ti.notsent_bytes()),
    ));
    lines.push(format!(
        "segs out {}  in {}  retrans {}/{}  lost {}  unacked {}",
        v(ti.segs_out()),
        v(ti.segs_in()),
        v(ti.retrans()),
        v(ti.total_retrans()),
        v(ti.lost()),
        v(ti.unacked()),
    ));
    lines.push(format!(
        "delivery {}bps  pacing {}bps  send {}B/s  recv {}B/s",
        human(ti.delivery_rate().unwrap_or(0) as f64 * 8.0),
        // ~0 (u64::MAX) means no pacing.
        match ti.pacing_rate() {
            Some(p) if p != u64::MAX => human(p as f64 * 8.0),
            _ => "-".into(),
        },
        human(r.rates.sent),
        human(r.rates.received),
    ));
    lines
}

fn draw_detail(f: &mut Frame<'_>, m: &Model, area: Rect) {
    if area.height == 0 {
        return;
    }
    let Some(r) = m.selected_row() else {
        f.render_widget(
            Paragraph::new("no connection selected")
                .block(Block::default().borders(Borders::TOP).title("detail")),
            area,
        );
        return;
    };
    let halves = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(60), Constraint::Percentage(40)])
        .split(area);
    let text: Vec<Line<'_>> = detail_lines(r).into_iter().map(Line::from).collect();
    f.render_widget(
        Paragraph::new(text).block(Block::default().borders(Borders::TOP).title("detail")),
        halves[0],
    );
    let h = m.history(&r.key);
    let plots = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(3),
            Constraint::Length(3),
            Constraint::Min(3),
        ])
        .split(halves[1]);
    let series: [(&str, Vec<u64>); 3] = [
        ("Recv-Q", h.iter().map(|p| p.recv_q).collect()),
        ("Send-Q", h.iter().map(|p| p.send_q).collect()),
        ("rate B/s", h.iter().map(|p| p.rate as u64).collect()),
    ];
    for ((name, data), area) in series.iter().zip(plots.iter()) {
        let last = data.last().copied().unwrap_or(0);
        // The newest points on the right: as many as fit.
        let skip = data.len().saturating_sub(area.width as usize);
        f.render_widget(
            Sparkline::default()
                .block(
                    Block::default()
                        .borders(Borders::TOP)
                        .title(format!("{name} {} (60s)", human(last as f64))),
                )
                .data(&data[skip..]),
            *area,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::EditKey;
    use super::super::model::tests::scene;
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn screen(m: &Model) -> Vec<String> {
        let mut t = Terminal::new(TestBackend::new(120, 30)).unwrap();
        t.draw(|f| draw(f, m)).unwrap();
        let buf = t.backend().buffer().clone();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect()
    }

    fn line_of(lines: &[String], needle: &str) -> usize {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not on screen:\n{}", lines.join("\n")))
    }

    #[test]
    fn draws_known_sockets_sorted() {
        let (a, b) = scene();
        let mut m = Model::new(SortKey::SendRate);
        m.update(&a, None);
        m.update(&b, Some(&a));
        let s = screen(&m);
        assert!(s[0].starts_with("rss top "), "{}", s[0]);
        assert!(s[0].contains("3 of 3 sockets  sort Send/sv"), "{}", s[0]);
        let header = line_of(&s, "Recv-Q");
        for col in [
            "State", "Local", "Peer", "Send-Q", "Send/sv", "Retrans", "RTT ms",
        ] {
            assert!(s[header].contains(col), "{}", s[header]);
        }
        // Busiest sender first: 100 KB/s, then 2 KB/s, then idle.
        let (r1, r2, r3) = (
            line_of(&s, "10.0.0.1:40001"),
            line_of(&s, "10.0.0.1:40003"),
            line_of(&s, "10.0.0.1:40002"),
        );
        assert!(header < r1 && r1 < r2 && r2 < r3, "{}", s.join("\n"));
        let row = &s[r1];
        assert!(row.starts_with(">ESTAB"), "selected first row: {row}");
        for cell in ["10.0.0.2:443", "100.0K", "0.200", "curl(101)"] {
            assert!(row.contains(cell), "{cell} in {row}");
        }
        assert!(
            s[r3].contains("800") && s[r3].contains("5.000"),
            "{}",
            s[r3]
        );
        // The detail pane of the selected connection, with its history.
        let d = line_of(&s, "cookie 0x1");
        assert!(d > r3);
        line_of(&s, "bytes sent 101000");
        line_of(&s, "Recv-Q 0 (60s)");
        line_of(&s, "rate B/s 100.0K (60s)");
        assert!(s[29].contains("q quit"), "{}", s[29]);
    }

    #[test]
    fn sort_keys_and_grouping_redraw() {
        let (a, b) = scene();
        let mut m = Model::new(SortKey::SendRate);
        m.update(&a, None);
        m.update(&b, Some(&a));
        m.sort_by(SortKey::RecvQ);
        let s = screen(&m);
        assert!(line_of(&s, ":40002") < line_of(&s, ":40003"));
        assert!(line_of(&s, ":40003") < line_of(&s, ":40001"));
        assert!(s[0].contains("sort Recv-Qv"));
        m.toggle_grouping();
        let s = screen(&m);
        let nginx = line_of(&s, "nginx(");
        assert!(
            s[nginx].contains(" 2 ") && s[nginx].contains("810"),
            "{}",
            s[nginx]
        );
        assert!(nginx < line_of(&s, "curl("));
        assert!(s[0].contains("by process"));
    }

    #[test]
    fn prompt_and_message_lines() {
        let mut m = Model::new(SortKey::RecvQ);
        m.prompt = Some(LineEdit::prefilled("dport = :44"));
        let s = screen(&m);
        assert!(
            s[29].starts_with("filter> dport = :44_   (type to replace;"),
            "{}",
            s[29]
        );
        m.prompt.as_mut().unwrap().key(EditKey::Backspace);
        let s = screen(&m);
        assert_eq!(s[29].trim_end(), "filter> dport = :4_");
        m.prompt = None;
        m.message = Some("rss: filter: bad".into());
        let s = screen(&m);
        assert_eq!(s[29].trim_end(), "rss: filter: bad");
        line_of(&s, "no connection selected");
    }
}
