//! What bounds a client: body size and time, and idle connections.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::CONTENT_LENGTH;
use hyper::Request;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::config::Limits;
use crate::error::ApiError;

/// Reads a request body of at most `limits.max_body_bytes`, within
/// `limits.body_read_timeout`.
///
/// A body over the limit is still read and discarded up to
/// [`drain_cap`] bytes before the `413` goes out: HTTP/2 clients (curl
/// among them) treat a response to a request whose body was cut off by a
/// stream reset as a transport error and never show the `413`. Beyond the
/// cap, or when Content-Length already declares more, the answer goes out
/// at once and the connection may be reset.
pub(crate) async fn read_body(req: Request<Incoming>, limits: &Limits) -> Result<Bytes, ApiError> {
    let limit = limits.max_body_bytes;
    let cap = drain_cap(limit);
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > cap as u64) {
        return Err(ApiError::BodyTooLarge { limit });
    }
    let mut body = req.into_body();
    let read = async {
        let mut buf = bytes::BytesMut::new();
        let mut seen = 0usize;
        while let Some(frame) = body.frame().await {
            let frame = frame
                .map_err(|_| ApiError::BadRequest("the request body could not be read".into()))?;
            let Ok(data) = frame.into_data() else {
                continue;
            }; // trailers
            seen = seen.saturating_add(data.len());
            if seen > cap {
                break;
            }
            if seen <= limit {
                buf.extend_from_slice(&data);
            }
        }
        if seen > limit {
            return Err(ApiError::BodyTooLarge { limit });
        }
        Ok(buf.freeze())
    };
    match tokio::time::timeout(limits.body_read_timeout, read).await {
        Err(_) => Err(ApiError::BodyTimeout),
        Ok(r) => r,
    }
}

/// How much of an oversized body is read (and thrown away) so that the
/// client sees the `413`.
fn drain_cap(limit: usize) -> usize {
    limit.saturating_mul(4).max(1 << 20)
}

/// Per-connection activity, for the idle watchdog: `busy` is set by any
/// read or write, `in_flight` counts requests being answered.
#[derive(Default)]
pub(crate) struct Activity {
    busy: AtomicBool,
    in_flight: AtomicUsize,
}

impl Activity {
    /// Whether nothing happened since the last call, with no request in
    /// flight; clears the flag.
    pub(crate) fn quiet_since_last_check(&self) -> bool {
        let was_busy = self.busy.swap(false, Ordering::Relaxed);
        !was_busy && self.in_flight.load(Ordering::Relaxed) == 0
    }

    /// Marks a request in flight until the guard drops.
    pub(crate) fn request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }
}

/// A request in flight (see [`Activity::request`]).
pub(crate) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.busy.store(true, Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A stream that records activity: one relaxed store per I/O call, no clock.
pub(crate) struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Tracked<S> {
    pub(crate) fn new(inner: S, activity: Arc<Activity>) -> Tracked<S> {
        Tracked { inner, activity }
    }

    fn mark(&self) {
        self.activity.busy.store(true, Ordering::Relaxed);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.mark();
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.mark();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.mark();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_only_without_traffic_or_requests() {
        let a = Arc::new(Activity::default());
        assert!(a.quiet_since_last_check());
        let req = a.request();
        assert!(!a.quiet_since_last_check());
        drop(req);
        assert!(
            !a.quiet_since_last_check(),
            "the request's end counts as activity"
        );
        assert!(a.quiet_since_last_check());
    }
}
