//! The accept loop: plain TCP or TLS on 127.0.0.1, HTTP/1.1 via hyper, one task per
//! connection, all stopped together when the emulator shuts down.

use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::handler;
use super::state::Shared;
use crate::error::{Error, Result};

/// Binds `127.0.0.1:port` (0 = ephemeral) synchronously, so the address is known before any
/// runtime runs the loop.
pub(crate) fn bind(port: u16) -> Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
        Error::config(format!(
            "the emulator cannot listen on 127.0.0.1:{port}: {e}"
        ))
        .with_source(e)
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::config(format!("emulator listener: {e}")).with_source(e))?;
    Ok(listener)
}

/// Serves until `stop` changes or its sender is dropped; then every connection is aborted.
pub(crate) async fn serve(
    listener: std::net::TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(e) => {
            tracing::error!(target: "entra_token::emulator", error = %e, "emulator cannot register its listener");
            return;
        }
    };
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                let (tls, shared) = (tls.clone(), Arc::clone(&shared));
                connections.spawn(connection(stream, tls, shared));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn connection(stream: TcpStream, tls: Option<TlsAcceptor>, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    match tls {
        None => http(stream, shared).await,
        Some(acceptor) => match acceptor.accept(stream).await {
            Ok(stream) => http(stream, shared).await,
            Err(e) => {
                tracing::debug!(target: "entra_token::emulator", error = %e, "TLS handshake failed");
            }
        },
    }
}

async fn http<S>(io: S, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request| handler::handle(Arc::clone(&shared), request));
    if let Err(e) = http1::Builder::new()
        .serve_connection(TokioIo::new(io), service)
        .await
    {
        tracing::debug!(target: "entra_token::emulator", error = %e, "connection ended with an error");
    }
}
