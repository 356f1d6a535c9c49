//! Response bodies and a transport-neutral reply, turned into a hyper response at the edge.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::body::{Bytes, Frame, SizeHint};

use super::response::Ids;

/// Size of the body [`Fault::Oversized`](super::Fault::Oversized) streams: just over 2 MiB,
/// twice the client's 1 MiB cap.
pub const OVERSIZED_FAULT_BYTES: usize = (2 << 20) + (64 << 10);

const CHUNK: usize = 64 << 10;
const OVERSIZED_PREFIX: &[u8] = br#"{"token_type":"Bearer","expires_in":3599,"access_token":""#;

/// A response body: whole, or an endless-looking JSON token streamed in chunks.
pub(crate) enum Body {
    Full(Option<Bytes>),
    Oversized { sent: usize },
}

impl Body {
    pub(crate) fn full(bytes: impl Into<Bytes>) -> Self {
        Body::Full(Some(bytes.into()))
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let frame = match self.get_mut() {
            Body::Full(bytes) => bytes.take().map(Frame::data),
            Body::Oversized { sent } if *sent >= OVERSIZED_FAULT_BYTES => None,
            Body::Oversized { sent } => {
                let len = CHUNK.min(OVERSIZED_FAULT_BYTES - *sent);
                let mut chunk = vec![b'A'; len];
                if *sent == 0 {
                    chunk[..OVERSIZED_PREFIX.len()].copy_from_slice(OVERSIZED_PREFIX);
                }
                *sent += len;
                Some(Frame::data(Bytes::from(chunk)))
            }
        };
        Poll::Ready(frame.map(Ok))
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Full(bytes) => bytes.is_none(),
            Body::Oversized { sent } => *sent >= OVERSIZED_FAULT_BYTES,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Full(Some(bytes)) => SizeHint::with_exact(bytes.len() as u64),
            Body::Full(None) => SizeHint::with_exact(0),
            // Unknown length: sent chunked, so the client must enforce its own cap.
            Body::Oversized { .. } => SizeHint::default(),
        }
    }
}

/// What to answer, before it becomes an HTTP response.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Body,
}

pub(crate) const JSON: &str = "application/json; charset=utf-8";
pub(crate) const HTML: &str = "text/html; charset=utf-8";

impl Reply {
    pub(crate) fn new(status: u16, content_type: &'static str, body: Body) -> Self {
        Reply {
            status,
            content_type,
            headers: Vec::new(),
            body,
        }
    }

    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The hyper response, with the headers Entra always sends: `cache-control: no-store`,
    /// `pragma: no-cache`, `x-ms-request-id`, and `client-request-id` when asked for.
    pub(crate) fn into_response(self, ids: &Ids) -> hyper::Response<Body> {
        let mut builder = hyper::Response::builder()
            .status(self.status)
            .header("content-type", self.content_type)
            .header("cache-control", "no-store, no-cache")
            .header("pragma", "no-cache")
            .header("x-ms-request-id", ids.trace_id.as_str());
        if let Some(id) = &ids.echo {
            builder = builder.header("client-request-id", id.as_str());
        }
        for (name, value) in self.headers {
            builder = builder.header(name, value);
        }
        builder.body(self.body).unwrap_or_else(|_| {
            let mut fallback = hyper::Response::new(Body::full(Bytes::new()));
            *fallback.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        })
    }
}
