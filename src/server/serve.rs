//! The HTTP/1.1 connection loop, with the time limits `axum::serve` cannot set.
//!
//! - Headers: a request's head must arrive within a fixed time ([`Timeouts`]), counted from when the
//!   connection is ready for it. That bounds a half-sent request (slowloris) and also how long an
//!   idle kept-alive connection stays open.
//! - Bodies: a request body must arrive within a fixed time of the request's start, however
//!   slowly it trickles (a per-read timeout would let one byte every few seconds through).
//! - Shutdown: on the signal, listening stops, idle connections close and requests in flight may
//!   finish; the caller bounds the wait.
//!
//! Only HTTP/1.1 is served: browsers never speak cleartext HTTP/2, and a reverse proxy that
//! terminates TLS talks HTTP/1.1 to its upstream.
use std::{future::Future, net::SocketAddr, time::Duration};

use axum::{Router, body::Body, extract::ConnectInfo, http::Request};
use futures::StreamExt;
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::net::TcpListener;
use tower::ServiceExt;

/// The time limits of one connection.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// How long the head of a request may take to arrive, and how long a kept-alive connection
    /// may wait idle for the next request.
    pub header_read: Duration,
    /// How long a request body may take to arrive, from the request's start.
    pub body: Duration,
}

impl Default for Timeouts {
    /// 20 s for a request head; two minutes for a body (file uploads are the largest: 50 MB in
    /// two minutes needs 3.5 Mbit/s).
    fn default() -> Self {
        Timeouts { header_read: Duration::from_secs(20), body: Duration::from_secs(120) }
    }
}

/// The body of `request`, which fails once `deadline` has passed. An empty body is left as it is.
fn with_body_deadline(request: Request<Incoming>, deadline: tokio::time::Instant) -> Request<Body> {
    use axum::body::HttpBody as _;
    if request.body().is_end_stream() {
        return request.map(Body::new);
    }
    request.map(|body| {
        let chunks = Body::new(body).into_data_stream();
        let timed = futures::stream::unfold((chunks, false), move |(mut chunks, failed)| async move {
            if failed {
                return None;
            }
            match tokio::time::timeout_at(deadline, chunks.next()).await {
                Ok(Some(chunk)) => Some((chunk.map_err(axum::Error::new), (chunks, false))),
                Ok(None) => None,
                Err(_) => Some((
                    Err(axum::Error::new(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request body did not arrive in time",
                    ))),
                    (chunks, true),
                )),
            }
        });
        Body::from_stream(timed)
    })
}

/// Serves `app` on `listener` until `shutdown` completes, then waits for the open connections to
/// finish their requests (the caller puts a deadline on that).
pub async fn serve(listener: TcpListener, app: Router, timeouts: Timeouts, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A streamed page goes out in several small writes; with Nagle's algorithm the last one
        // waits for the client's delayed ACK, adding 40 ms to every page on a kept-alive connection.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        let service = app.clone().map_request(move |request: Request<Incoming>| {
            let mut request = with_body_deadline(request, tokio::time::Instant::now() + timeouts.body);
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            request
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(timeouts.header_read)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
