//! HTTP: `/` (a landing page) and `/metrics`, served by hyper on a
//! single-threaded tokio runtime.
//!
//! Each connection is its own task, and each scrape runs on tokio's
//! blocking pool, so a slow or hostile client never stalls a scrape.
//! Scrapes are single-flight: one runs at a time per exposition format,
//! and the `/metrics` requests that arrive while it runs wait for it and
//! are answered with its result (one response body, shared), so a flood of
//! requests costs one scrape and one body, not one each.
//! hyper enforces the request limits: request heads larger than
//! [`MAX_HEAD`] get `431`, malformed ones `400`, and a client that does not
//! send a complete request head within [`HEAD_TIMEOUT`] (counted from the
//! moment the server waits for one, so an idle keep-alive connection too)
//! is disconnected.
//!
//! What keeps the server from being starved:
//!
//! - at most [`MAX_CONNECTIONS`] connections are open; when a new one
//!   arrives at that limit, the connection that made no progress (no byte
//!   read or written) for the longest time and is not being answered is
//!   closed to make room (a request being answered is never evicted);
//!   when every connection is being answered, new connections wait in the
//!   listen backlog, in arrival order, until one is not: every request
//!   waits for at most the scrape in flight and the next one, so a
//!   connection is soon free;
//! - a connection whose response cannot be written for [`WRITE_TIMEOUT`]
//!   (a client that does not read) is closed; so is one that, no write
//!   waiting, makes no progress for [`IDLE_TIMEOUT`] while no request of
//!   it is being answered;
//! - a connection answers at most [`MAX_REQUESTS`] requests, pipelined or
//!   not: the last response says `Connection: close` and the requests
//!   after it are discarded;
//! - every connection is closed after [`MAX_LIFETIME`] (gracefully:
//!   between requests).

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::net::TcpListener;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{ALLOW, CONNECTION, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tokio::task::AbortHandle;

use crate::encode::{Format, encode};

use crate::scrape::Exporter;

/// Largest request head (request line and headers) accepted, in bytes.
pub const MAX_HEAD: usize = 16 * 1024;
/// Time a client has to send a complete request head, counted from when
/// the server starts waiting for it (also between keep-alive requests).
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections open at once. At the limit, a new connection closes the one
/// that has made no progress for the longest time and is not being
/// answered; when every connection is being answered, new ones wait to be
/// accepted.
pub const MAX_CONNECTIONS: usize = 256;
/// A connection with no byte read or written for this long, while none of
/// its requests is being answered and no write waits, is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// A connection whose response could not be written for this long (the
/// client does not read) is closed.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Requests answered on one connection, pipelined or not; the last
/// response says `Connection: close`.
pub const MAX_REQUESTS: u64 = 10;
/// Scrapes that run at once: one per exposition format (single-flight).
pub const MAX_SCRAPES: usize = 2;
/// A connection is closed after this long, between two requests.
pub const MAX_LIFETIME: Duration = Duration::from_secs(300);
/// How often idle and stalled connections are looked for.
const REAP_EVERY: Duration = Duration::from_secs(1);
/// How often a full server whose every connection is being answered looks
/// again for one that is not.
const FULL_RETRY: Duration = Duration::from_millis(10);

const LANDING: &str = "<!DOCTYPE html>
<html><head><title>rss exporter</title></head>
<body><h1>rss exporter</h1>
<p>Socket statistics from NETLINK_SOCK_DIAG, for Prometheus.</p>
<p><a href=\"/metrics\">Metrics</a></p>
";

/// The landing page, with the last scrape error if there was one.
fn landing(last_error: Option<String>) -> String {
    let mut page = LANDING.to_owned();
    if let Some(e) = last_error {
        page.push_str("<p>Last error: ");
        for c in e.chars() {
            match c {
                '<' => page.push_str("&lt;"),
                '>' => page.push_str("&gt;"),
                '&' => page.push_str("&amp;"),
                '"' => page.push_str("&quot;"),
                c => page.push(c),
            }
        }
        page.push_str("</p>\n");
    }
    page.push_str("</body></html>\n");
    page
}

type Body = Full<Bytes>;

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    r
}

fn plain(status: StatusCode, text: &str) -> Response<Body> {
    reply(
        status,
        "text/plain; charset=utf-8",
        Bytes::copy_from_slice(text.as_bytes()),
    )
}

/// Milliseconds since the server started: the time stamps of [`Activity`].
#[derive(Debug, Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn now(self) -> u64 {
        u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// What the server knows of one connection, shared by its task, its
/// socket wrapper ([`Watched`]) and the reaper.
#[derive(Debug)]
struct Activity {
    clock: Clock,
    /// When a byte was last read or written (or the connection accepted).
    progress: AtomicU64,
    /// When a write started waiting for the client to read, plus one; 0
    /// when no write waits.
    write_waits: AtomicU64,
    /// A request of this connection is being answered (the handler runs).
    answering: AtomicBool,
    /// Requests received on this connection.
    requests: AtomicU64,
}

impl Activity {
    fn new(clock: Clock) -> Activity {
        Activity {
            clock,
            progress: AtomicU64::new(clock.now()),
            write_waits: AtomicU64::new(0),
            answering: AtomicBool::new(false),
            requests: AtomicU64::new(0),
        }
    }

    fn progressed(&self) {
        self.progress.store(self.clock.now(), Ordering::Relaxed);
    }

    /// Whether the connection is to be closed at `now`: a write waited
    /// [`WRITE_TIMEOUT`], or, no write waiting, nothing moved for
    /// [`IDLE_TIMEOUT`] while no request was being answered.
    fn stalled(&self, now: u64) -> bool {
        let waits = self.write_waits.load(Ordering::Relaxed);
        if waits != 0 {
            return now.saturating_sub(waits - 1) >= millis(WRITE_TIMEOUT);
        }
        let idle = now.saturating_sub(self.progress.load(Ordering::Relaxed));
        !self.answering.load(Ordering::Relaxed) && idle >= millis(IDLE_TIMEOUT)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Marks a connection as answering while it lives (dropped also when the
/// request's future is dropped).
struct Answering(Arc<Activity>);

impl Answering {
    fn start(act: &Arc<Activity>) -> Answering {
        act.answering.store(true, Ordering::Relaxed);
        Answering(Arc::clone(act))
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.answering.store(false, Ordering::Relaxed);
        self.0.progressed();
    }
}

/// A socket that records its progress in an [`Activity`]: every byte read
/// or written, and since when a write waits.
struct Watched<S> {
    inner: S,
    act: Arc<Activity>,
}

impl<S> Watched<S> {
    fn wrote(&self, r: &Poll<io::Result<usize>>) {
        match r {
            Poll::Ready(Ok(n)) if *n > 0 => {
                self.act.write_waits.store(0, Ordering::Relaxed);
                self.act.progressed();
            }
            Poll::Pending => {
                let now = self.act.clock.now() + 1;
                let _ = self.act.write_waits.compare_exchange(
                    0,
                    now,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                );
            }
            _ => {}
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.act.progressed();
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.wrote(&r);
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.wrote(&r);
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The open connections: their activity and a handle to close them.
#[derive(Debug, Default)]
struct Registry {
    conns: HashMap<u64, (Arc<Activity>, AbortHandle)>,
    next: u64,
}

impl Registry {
    /// Forgets the connections whose task ended.
    fn prune(&mut self) {
        self.conns.retain(|_, (_, h)| !h.is_finished());
    }

    /// Takes out the connection to close for a new one: the one with the
    /// oldest progress among those not being answered.
    fn evict(&mut self) -> Option<AbortHandle> {
        let id = self
            .conns
            .iter()
            .filter(|(_, (a, _))| !a.answering.load(Ordering::Relaxed))
            .min_by_key(|(id, (a, _))| (a.progress.load(Ordering::Relaxed), **id))
            .map(|(id, _)| *id)?;
        self.conns.remove(&id).map(|(_, h)| h)
    }

    /// Whether [`MAX_CONNECTIONS`] are open and every one is being
    /// answered: no room for a new one until one is not.
    fn full(&mut self) -> bool {
        self.prune();
        self.conns.len() >= MAX_CONNECTIONS
            && self
                .conns
                .values()
                .all(|(a, _)| a.answering.load(Ordering::Relaxed))
    }

    /// Takes out the connections idle or stalled too long.
    fn stalled(&mut self, now: u64) -> Vec<AbortHandle> {
        let ids: Vec<u64> = self
            .conns
            .iter()
            .filter(|(_, (a, _))| a.stalled(now))
            .map(|(id, _)| *id)
            .collect();
        ids.iter()
            .filter_map(|id| self.conns.remove(id).map(|(_, h)| h))
            .collect()
    }
}

type Shared = Arc<Mutex<Registry>>;

fn lock(reg: &Shared) -> std::sync::MutexGuard<'_, Registry> {
    // The registry holds no invariant a panic could break halfway.
    reg.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes a connection from the registry when its task ends (or is
/// aborted).
struct Deregister(Shared, u64);

impl Drop for Deregister {
    fn drop(&mut self) {
        lock(&self.0).conns.remove(&self.1);
    }
}

async fn handle(
    req: Request<Incoming>,
    ex: Arc<Exporter>,
    scrapes: Arc<Flights>,
    act: Arc<Activity>,
) -> Result<Response<Body>, Infallible> {
    let n = act.requests.fetch_add(1, Ordering::Relaxed) + 1;
    let _answering = Answering::start(&act);
    let mut r = answer(req, ex, scrapes).await;
    if n >= MAX_REQUESTS {
        r.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    Ok(r)
}

async fn answer(
    req: Request<Incoming>,
    ex: Arc<Exporter>,
    scrapes: Arc<Flights>,
) -> Response<Body> {
    let path = req.uri().path();
    if path != "/" && path != "/metrics" {
        return plain(StatusCode::NOT_FOUND, "404 not found: try /metrics\n");
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "405 method not allowed\n");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    if path == "/" {
        return reply(
            StatusCode::OK,
            "text/html; charset=utf-8",
            landing(ex.last_error()),
        );
    }
    let accept = req
        .headers()
        .get(hyper::header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let format = Format::negotiate(accept);
    let mut flight = Flights::join(&scrapes, &ex, format);
    let landed = flight.wait_for(Option::is_some).await.map(|b| b.clone());
    match landed {
        Ok(Some(text)) => reply(StatusCode::OK, format.content_type(), text),
        _ => plain(StatusCode::INTERNAL_SERVER_ERROR, "scrape failed\n"),
    }
}

/// The scrape of a format in flight: its result, once there (the sender
/// dropped without one: the scrape failed).
type Flight = watch::Receiver<Option<Bytes>>;

/// The scrapes in flight, at most one per format.
#[derive(Debug, Default)]
struct Flights(Mutex<Vec<(Format, Flight)>>);

/// Takes a landed (or failed) scrape out of [`Flights`], so that the next
/// request starts a fresh one.
struct Landed(Arc<Flights>, Format);

impl Drop for Landed {
    fn drop(&mut self) {
        let mut f = self.0.0.lock().unwrap_or_else(|e| e.into_inner());
        f.retain(|(g, _)| *g != self.1);
    }
}

impl Flights {
    /// The scrape of `format` in flight, started when there is none.
    fn join(flights: &Arc<Flights>, ex: &Arc<Exporter>, format: Format) -> Flight {
        let mut f = flights.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, flight)) = f.iter().find(|(g, _)| *g == format) {
            return flight.clone();
        }
        let (tx, flight) = watch::channel(None);
        f.push((format, flight.clone()));
        drop(f);
        let (landed, ex) = (Landed(Arc::clone(flights), format), Arc::clone(ex));
        // Runs to its end even when every waiting connection is gone.
        tokio::task::spawn_blocking(move || {
            let text = Bytes::from(encode(ex.scrape(), format));
            drop(landed);
            let _ = tx.send(Some(text));
        });
        flight
    }
}

/// Serves one connection until it ends, is evicted or times out.
async fn connection(
    stream: tokio::net::TcpStream,
    act: Arc<Activity>,
    ex: Arc<Exporter>,
    scrapes: Arc<Flights>,
) {
    let io = Watched {
        inner: stream,
        act: Arc::clone(&act),
    };
    let svc =
        service_fn(move |req| handle(req, Arc::clone(&ex), Arc::clone(&scrapes), Arc::clone(&act)));
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_buf_size(MAX_HEAD)
        .serve_connection(TokioIo::new(io), svc);
    let mut conn = std::pin::pin!(conn);
    if tokio::time::timeout(MAX_LIFETIME, conn.as_mut())
        .await
        .is_err()
    {
        conn.as_mut().graceful_shutdown();
        let _ = tokio::time::timeout(HEAD_TIMEOUT, conn).await;
    }
}

/// Starts serving `stream`, closing the longest idle connection first
/// when [`MAX_CONNECTIONS`] are open. The accept loop checks that one is
/// not being answered first ([`Registry::full`]); should every one have
/// become answered since, `stream` is served anyway, one over the limit.
fn admit(
    reg: &Shared,
    stream: tokio::net::TcpStream,
    clock: Clock,
    ex: &Arc<Exporter>,
    scrapes: &Arc<Flights>,
) {
    let act = Arc::new(Activity::new(clock));
    let mut r = lock(reg);
    r.prune();
    let mut victim = None;
    if r.conns.len() >= MAX_CONNECTIONS {
        victim = r.evict();
    }
    let id = r.next;
    r.next += 1;
    let task = tokio::spawn({
        let (reg, act, ex, scrapes) = (
            Arc::clone(reg),
            Arc::clone(&act),
            Arc::clone(ex),
            Arc::clone(scrapes),
        );
        async move {
            let _gone = Deregister(reg, id);
            connection(stream, act, ex, scrapes).await;
        }
    });
    // The task cannot have run yet (one thread, no await since the spawn),
    // so it is registered before it can deregister.
    r.conns.insert(id, (act, task.abort_handle()));
    drop(r);
    if let Some(v) = victim {
        v.abort();
    }
}

/// Serves `listener` until the process ends. Returns only on a setup error.
pub fn serve(listener: TcpListener, ex: Arc<Exporter>) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(MAX_SCRAPES + 1)
        .thread_name("rss-exporter")
        .build()?;
    rt.block_on(async move {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let clock = Clock(Instant::now());
        let reg: Shared = Arc::default();
        let scrapes = Arc::new(Flights::default());
        let reaper = Arc::clone(&reg);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(REAP_EVERY);
            loop {
                tick.tick().await;
                let stalled = {
                    let mut r = lock(&reaper);
                    r.prune();
                    r.stalled(clock.now())
                };
                for h in stalled {
                    h.abort();
                }
            }
        });
        loop {
            // New connections wait in the listen backlog, in arrival
            // order, while every open one is being answered (requests wait
            // for at most two scrapes).
            while lock(&reg).full() {
                tokio::time::sleep(FULL_RETRY).await;
            }
            let stream = match listener.accept().await {
                Ok((s, _)) => s,
                // EMFILE and friends: wait for connections to close.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            admit(&reg, stream, clock, &ex, &scrapes);
            // Let the connections just accepted read their requests before
            // more are accepted (and possibly evict them).
            tokio::task::yield_now().await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity(progress: u64) -> Arc<Activity> {
        let a = Activity::new(Clock(Instant::now()));
        a.progress.store(progress, Ordering::Relaxed);
        Arc::new(a)
    }

    #[test]
    fn stalled_connections_are_those_idle_or_waiting_to_write_too_long() {
        let idle = millis(IDLE_TIMEOUT);
        let write = millis(WRITE_TIMEOUT);
        let a = activity(1_000);
        assert!(!a.stalled(1_000 + idle - 1));
        assert!(a.stalled(1_000 + idle));
        // Not while a request is being answered (a long scrape).
        a.answering.store(true, Ordering::Relaxed);
        assert!(!a.stalled(1_000 + 10 * idle));
        // A write waiting since 5,000 (stored plus one), answering or not.
        a.write_waits.store(5_001, Ordering::Relaxed);
        assert!(!a.stalled(5_000 + write - 1));
        assert!(a.stalled(5_000 + write));
        a.answering.store(false, Ordering::Relaxed);
        // A write waiting: the write timeout decides, not the idle one.
        let c = activity(0);
        c.write_waits.store(idle + 1, Ordering::Relaxed);
        assert!(!c.stalled(idle + write - 1));
        assert!(c.stalled(idle + write));
        let b = activity(100_000);
        b.write_waits.store(100_001, Ordering::Relaxed);
        assert!(!b.stalled(100_000 + write - 1));
        assert!(b.stalled(100_000 + write));
    }

    #[test]
    fn eviction_takes_the_longest_idle_connection_not_being_answered() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut reg = Registry::default();
            let add = |reg: &mut Registry, id: u64, progress: u64, answering: bool| {
                let a = activity(progress);
                a.answering.store(answering, Ordering::Relaxed);
                let h = tokio::spawn(std::future::pending::<()>()).abort_handle();
                reg.conns.insert(id, (a, h));
            };
            add(&mut reg, 1, 10, true);
            add(&mut reg, 2, 30, false);
            add(&mut reg, 3, 20, false);
            add(&mut reg, 4, 40, false);
            let mut evicted = Vec::new();
            while let Some(h) = reg.evict() {
                evicted.push(h);
                let mut left: Vec<u64> = reg.conns.keys().copied().collect();
                left.sort();
                match evicted.len() {
                    1 => assert_eq!(left, [1, 2, 4]),
                    2 => assert_eq!(left, [1, 4]),
                    3 => assert_eq!(left, [1]),
                    n => panic!("evicted {n}, {left:?}"),
                }
            }
            // The one being answered stays.
            assert_eq!(evicted.len(), 3);
            assert!(reg.conns.contains_key(&1));
            // Stalled: idle ones past the idle timeout.
            add(&mut reg, 5, 0, false);
            let now = millis(IDLE_TIMEOUT) + 5;
            assert_eq!(reg.stalled(now).len(), 1);
            assert_eq!(reg.conns.keys().copied().collect::<Vec<_>>(), [1]);
        });
    }

    #[test]
    fn full_is_the_limit_with_every_connection_answered() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut reg = Registry::default();
            for id in 0..MAX_CONNECTIONS as u64 {
                let a = activity(id);
                a.answering.store(true, Ordering::Relaxed);
                let h = tokio::spawn(std::future::pending::<()>()).abort_handle();
                reg.conns.insert(id, (a, h));
            }
            assert!(reg.full());
            // One not being answered: room, by evicting it.
            reg.conns[&7].0.answering.store(false, Ordering::Relaxed);
            assert!(!reg.full());
            reg.conns[&7].0.answering.store(true, Ordering::Relaxed);
            // One fewer than the limit: room.
            reg.conns.remove(&0);
            assert!(!reg.full());
        });
    }

    #[test]
    fn landing_page_escapes_the_last_error() {
        let page = landing(Some("dump: <b>&\"".into()));
        assert!(
            page.contains("<p>Last error: dump: &lt;b&gt;&amp;&quot;</p>"),
            "{page}"
        );
        assert!(page.ends_with("</body></html>\n"));
        assert!(!landing(None).contains("Last error"));
    }
}
