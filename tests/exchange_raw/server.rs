//! A tiny scripted HTTP/1.1 server on loopback for the exchange's wire-level tests.
//!
//! It runs on its own thread and runtime, in real time, so tests on tokio's paused clock do not
//! advance its timers. Each connection serves one request with the next scripted reply (the
//! last reply repeats) and records what it received.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One scripted answer.
#[derive(Clone)]
pub enum Reply {
    /// Status, extra headers, body; `Content-Length` is added.
    Http(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// Status and a body sent chunked (no `Content-Length`), `chunks` times `chunk`.
    Chunked(u16, Vec<u8>, usize),
    /// Reads the request, then never answers.
    Hang,
    /// Reads the request, then closes the connection without a byte.
    Close,
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Self {
        Reply::Http(
            status,
            vec![("Content-Type", "application/json".into())],
            body.as_bytes().to_vec(),
        )
    }

    pub fn token(access_token: &str, expires_in: u64) -> Self {
        Reply::json(
            200,
            &format!(
                r#"{{"token_type":"Bearer","expires_in":{expires_in},"ext_expires_in":{expires_in},"access_token":"{access_token}"}}"#
            ),
        )
    }

    pub fn with_header(self, name: &'static str, value: &str) -> Self {
        match self {
            Reply::Http(s, mut h, b) => {
                h.push((name, value.to_owned()));
                Reply::Http(s, h, b)
            }
            other => other,
        }
    }
}

/// A request as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// Lower-case header names.
    pub headers: HashMap<String, String>,
    pub form: HashMap<String, String>,
}

pub struct RawServer {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl RawServer {
    /// Starts serving `replies` in order (the last one repeats).
    pub fn start(replies: Vec<Reply>) -> RawServer {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                let mut n = 0;
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    let reply = replies[n.min(replies.len() - 1)].clone();
                    n += 1;
                    tokio::spawn(serve(stream, reply, log.clone()));
                }
            });
        });
        RawServer { addr, received }
    }

    /// `http://127.0.0.1:port`.
    pub fn authority_host(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}

async fn serve(mut stream: TcpStream, reply: Reply, log: Arc<Mutex<Vec<Received>>>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    log.lock().unwrap().push(request);
    let bytes = match reply {
        Reply::Http(status, headers, body) => {
            let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("Connection: close\r\n\r\n");
            let mut bytes = head.into_bytes();
            bytes.extend_from_slice(&body);
            bytes
        }
        Reply::Chunked(status, chunk, count) => {
            let head = format!(
                "HTTP/1.1 {status} X\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            );
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            for _ in 0..count {
                let mut part = format!("{:x}\r\n", chunk.len()).into_bytes();
                part.extend_from_slice(&chunk);
                part.extend_from_slice(b"\r\n");
                if stream.write_all(&part).await.is_err() {
                    return; // The client stopped reading: that is the point.
                }
            }
            b"0\r\n\r\n".to_vec()
        }
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
        Reply::Close => return,
    };
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}

async fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, path) = (first.next()?.to_owned(), first.next()?.to_owned());
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let form = url::form_urlencoded::parse(&body).into_owned().collect();
    Some(Received {
        method,
        path,
        headers,
        form,
    })
}
