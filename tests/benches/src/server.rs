//! An HTTP/1.1 keep-alive server on loopback that answers from memory.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use access_tokens_loopback::buffered_request;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::calls::{Op, VENDORS};

/// An HTTP/1.1 keep-alive server on `127.0.0.1` that answers each vendor's list and create
/// from memory, with lists of a fixed length.
pub struct MemoryServer {
    address: std::net::SocketAddr,
}

impl MemoryServer {
    pub(crate) async fn start(list_length: usize) -> Self {
        Self::answering_after(list_length, Duration::ZERO).await
    }

    /// A server that waits `delay` before each answer, as a distant one would.
    pub(crate) async fn answering_after(list_length: usize, delay: Duration) -> Self {
        let mut routes = Routes::new();
        for vendor in VENDORS {
            let (list, created) = vendor.bodies(list_length);
            for (op, body) in [(Op::List, list), (Op::Create, created)] {
                let (method, path) = vendor.route(op);
                let path = path.split('?').next().unwrap_or(path);
                let body = serde_json::to_vec(&body).unwrap();
                let mut response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                response.extend_from_slice(&body);
                routes.insert((method.to_owned(), path.to_owned()), Arc::new(response));
            }
        }
        let routes = Arc::new(routes);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let _ = socket.set_nodelay(true);
                tokio::spawn(serve(socket, routes.clone(), delay));
            }
        });
        Self { address }
    }

    pub(crate) fn uri(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl std::fmt::Debug for MemoryServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MemoryServer({})", self.address)
    }
}

/// Whole HTTP responses by method and path.
pub(crate) type Routes = HashMap<(String, String), Arc<Vec<u8>>>;

/// Answers requests on one connection until the client closes it.
pub(crate) async fn serve(mut socket: tokio::net::TcpStream, routes: Arc<Routes>, delay: Duration) {
    let not_found = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";
    let mut buffer = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        // Read until a whole request (head and body) is buffered.
        let (head_end, length) = loop {
            if let Some(request) = buffered_request(&buffer) {
                break request;
            }
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let request_line =
            String::from_utf8_lossy(&buffer[..head_end]).lines().next().unwrap_or("").to_owned();
        let mut parts = request_line.split(' ');
        let method = parts.next().unwrap_or("").to_owned();
        let path = parts.next().unwrap_or("").split('?').next().unwrap_or("").to_owned();
        buffer.drain(..head_end + 4 + length);
        let response = routes.get(&(method, path));
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let written = match response {
            Some(bytes) => socket.write_all(bytes).await,
            None => socket.write_all(not_found).await,
        };
        if written.is_err() {
            return;
        }
    }
}
