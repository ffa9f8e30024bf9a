//! HTTP: `/` (a landing page) and `/metrics`, served by hyper on a
//! single-threaded tokio runtime.
//!
//! Each connection is its own task, and each scrape runs on tokio's
//! blocking pool, so a slow or hostile client never stalls a scrape.
//! hyper enforces the limits: request heads larger than [`MAX_HEAD`] get
//! `431`, malformed ones `400`, and a client that does not finish its
//! request head within [`HEAD_TIMEOUT`] is disconnected. Connections above
//! [`MAX_CONNECTIONS`] are closed at once, and every connection is closed
//! after [`MAX_LIFETIME`] (gracefully: between requests).

use std::convert::Infallible;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Semaphore;

use crate::encode::{Format, encode};
use crate::scrape::Exporter;

/// Largest request head (request line and headers) accepted, in bytes.
pub const MAX_HEAD: usize = 16 * 1024;
/// Time a client has to send a complete request head.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more are closed on accept.
pub const MAX_CONNECTIONS: usize = 256;
/// Scrapes that run at once; more wait for a free slot.
pub const MAX_SCRAPES: usize = 4;
/// A connection is closed after this long, between two requests.
pub const MAX_LIFETIME: Duration = Duration::from_secs(300);

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

async fn handle(
    req: Request<Incoming>,
    ex: Arc<Exporter>,
    scrapes: Arc<Semaphore>,
) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path();
    if path != "/" && path != "/metrics" {
        return Ok(plain(
            StatusCode::NOT_FOUND,
            "404 not found: try /metrics\n",
        ));
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "405 method not allowed\n");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Ok(r);
    }
    if path == "/" {
        return Ok(reply(
            StatusCode::OK,
            "text/html; charset=utf-8",
            landing(ex.last_error()),
        ));
    }
    let accept = req
        .headers()
        .get(hyper::header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let format = Format::negotiate(accept);
    let Ok(_slot) = scrapes.acquire_owned().await else {
        return Ok(plain(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n"));
    };
    let scraped = tokio::task::spawn_blocking(move || encode(ex.scrape(), format)).await;
    Ok(match scraped {
        Ok(text) => reply(StatusCode::OK, format.content_type(), text),
        Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "scrape failed\n"),
    })
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
        let conns = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let scrapes = Arc::new(Semaphore::new(MAX_SCRAPES));
        loop {
            let stream = match listener.accept().await {
                Ok((s, _)) => s,
                // EMFILE and friends: wait for connections to close.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Ok(permit) = Arc::clone(&conns).try_acquire_owned() else {
                drop(stream);
                continue;
            };
            let ex = Arc::clone(&ex);
            let scrapes = Arc::clone(&scrapes);
            tokio::spawn(async move {
                let svc = service_fn(move |req| handle(req, Arc::clone(&ex), Arc::clone(&scrapes)));
                let conn = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEAD_TIMEOUT)
                    .max_buf_size(MAX_HEAD)
                    .serve_connection(TokioIo::new(stream), svc);
                let mut conn = std::pin::pin!(conn);
                if tokio::time::timeout(MAX_LIFETIME, conn.as_mut())
                    .await
                    .is_err()
                {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(HEAD_TIMEOUT, conn).await;
                }
                drop(permit);
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
