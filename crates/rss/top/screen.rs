//! `rss top` on the terminal (feature `tui`): the sampler thread, the keys
//! and the event loop, drawn by [`super::ui`] with ratatui on crossterm.

use std::io::Write;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use sockdiag::Query;
use sockdiag::sample::{Sample, SampleOptions, Sampler};

use super::TopArgs;
use super::model::{EditKey, LineEdit, Model, SortKey};
use super::ui;
use crate::exit::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

/// Runs the full-screen view with checked arguments: `interval` and the
/// starting `model` are already parsed from `args`.
pub(super) fn run(
    args: &TopArgs,
    interval: Duration,
    mut model: Model,
    err: &mut dyn Write,
) -> i32 {
    let usage = |err: &mut dyn Write, msg: String| {
        let _ = writeln!(err, "rss: top: {msg}");
        EXIT_USAGE
    };
    if !crate::exit::is_stdout_tty() {
        return usage(
            err,
            "needs a terminal (stdout is not one); use rss --watch when piped".into(),
        );
    }
    let opts = SampleOptions::default().counters(false).processes(true);
    let ns = args
        .net
        .as_ref()
        .map(|n| {
            let s = n.to_string_lossy();
            sockdiag::NetNs::from_path(if s.contains('/') {
                std::path::PathBuf::from(n)
            } else {
                std::path::Path::new("/run/netns").join(n)
            })
        })
        .transpose();
    // Every state is sampled; the model hides some (TIME-WAIT by default).
    let states = crate::filter::SS_ALL;
    let sampler =
        match ns.and_then(|ns| Sampler::new(Query::tcp().states(states), ns.as_ref(), opts)) {
            Ok(s) => s,
            Err(e) => {
                let _ = writeln!(err, "rss: top: {e}");
                return EXIT_FAILURE;
            }
        };
    crate::sys::catch_stop_signals();
    let mut terminal = match ratatui::try_init() {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(err, "rss: top: cannot set up the terminal: {e}");
            return EXIT_FAILURE;
        }
    };
    let result = event_loop(&mut terminal, sampler, &mut model, interval);
    ratatui::restore();
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => {
            let _ = writeln!(err, "rss: top: {e}");
            EXIT_FAILURE
        }
    }
}

/// What a key press does.
fn on_key(model: &mut Model, code: KeyCode, mods: KeyModifiers) -> bool {
    if code == KeyCode::Char('c') && mods.contains(KeyModifiers::CONTROL) {
        return false;
    }
    if let Some(p) = &mut model.prompt {
        let ctrl = mods.contains(KeyModifiers::CONTROL);
        let edit = match code {
            KeyCode::Enter => {
                let text = p.text();
                model.prompt = None;
                model.message = model.set_filter(&text).err().map(|e| format!("rss: {e}"));
                return true;
            }
            KeyCode::Esc => {
                model.prompt = None;
                return true;
            }
            KeyCode::Char('u') if ctrl => EditKey::KillStart,
            KeyCode::Char('w') if ctrl => EditKey::KillWord,
            KeyCode::Char('k') if ctrl => EditKey::KillEnd,
            KeyCode::Char('a') if ctrl => EditKey::Home,
            KeyCode::Char('e') if ctrl => EditKey::End,
            KeyCode::Char('b') if ctrl => EditKey::Left,
            KeyCode::Char('f') if ctrl => EditKey::Right,
            KeyCode::Char('h') if ctrl => EditKey::Backspace,
            // Other control keys are no text.
            KeyCode::Char(_) if ctrl || mods.contains(KeyModifiers::ALT) => return true,
            KeyCode::Char(c) => EditKey::Char(c),
            KeyCode::Backspace => EditKey::Backspace,
            KeyCode::Delete => EditKey::Delete,
            KeyCode::Left => EditKey::Left,
            KeyCode::Right => EditKey::Right,
            KeyCode::Home => EditKey::Home,
            KeyCode::End => EditKey::End,
            _ => return true,
        };
        p.key(edit);
        return true;
    }
    model.message = None;
    match code {
        KeyCode::Char('q') | KeyCode::Esc => return false,
        KeyCode::Char(c @ '1'..='6') => {
            model.sort_by(SortKey::ALL[(c as u8 - b'1') as usize]);
        }
        KeyCode::Char('s') => {
            let i = SortKey::ALL
                .iter()
                .position(|k| *k == model.sort)
                .unwrap_or(0);
            model.sort_by(SortKey::ALL[(i + 1) % SortKey::ALL.len()]);
        }
        KeyCode::Char('/') | KeyCode::Char('f') => {
            model.prompt = Some(LineEdit::prefilled(&model.filter_text));
        }
        KeyCode::Char('g') => model.toggle_grouping(),
        KeyCode::Char('t') => model.toggle_time_wait(),
        KeyCode::Up | KeyCode::Char('k') => model.move_selection(-1),
        KeyCode::Down | KeyCode::Char('j') => model.move_selection(1),
        KeyCode::PageUp => model.move_selection(-10),
        KeyCode::PageDown => model.move_selection(10),
        KeyCode::Home => model.move_selection(isize::MIN / 2),
        _ => {}
    }
    true
}

/// Takes a sample every `interval` on its own thread, so that a slow dump
/// or `/proc` walk never delays a key press; ends when the receiver is
/// dropped.
fn spawn_sampler(
    mut sampler: Sampler,
    interval: Duration,
) -> mpsc::Receiver<Result<Sample, sockdiag::Error>> {
    let (tx, rx) = mpsc::sync_channel(2);
    std::thread::spawn(move || {
        let mut next = Instant::now();
        loop {
            let sample = sampler.sample();
            let failed = sample.is_err();
            if tx.send(sample).is_err() || failed {
                return;
            }
            next += interval;
            let now = Instant::now();
            if next < now {
                next = now;
            }
            std::thread::sleep(next - now);
        }
    });
    rx
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    sampler: Sampler,
    model: &mut Model,
    interval: Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    let samples = spawn_sampler(sampler, interval);
    let mut prev: Option<Sample> = None;
    let mut older: Option<Sample> = None;
    let mut dirty = true;
    loop {
        loop {
            match samples.try_recv() {
                Ok(sample) => {
                    let sample = sample?;
                    model.update(&sample, prev.as_ref());
                    older = prev.replace(sample);
                    dirty = true;
                }
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    return Err("the sampler stopped".into());
                }
            }
        }
        if dirty {
            terminal.draw(|f| ui::draw(f, model))?;
            dirty = false;
            if prev.is_some() && std::env::var_os("RSS_TOP_TEST_PANIC").is_some_and(|v| v == "1") {
                panic!("RSS_TOP_TEST_PANIC: panicking after the first draw, as asked");
            }
        }
        if crate::sys::stop_requested() {
            return Ok(());
        }
        // Short waits: new samples and SIGTERM are noticed promptly.
        if event::poll(Duration::from_millis(50))? {
            match event::read()? {
                Event::Key(k) if k.kind == KeyEventKind::Press => {
                    if !on_key(model, k.code, k.modifiers) {
                        return Ok(());
                    }
                    if let Some(p) = &prev
                        && model.prompt.is_none()
                    {
                        // A new filter applies to the rows at once.
                        model.update(p, older.as_ref());
                    }
                    dirty = true;
                }
                Event::Resize(..) => dirty = true,
                _ => {}
            }
        }
    }
}
