//! What the test crate (access-tokens-tests), the tool's tests and the benchmark crate
//! (access-tokens-bench) share about their loopback servers: a reqwest client of the caller's
//! own, the framing of requests a raw server reads, an OpenBao dev server, and a Prometheus.

mod bao;
mod prometheus;

pub use bao::Bao;
pub use prometheus::{Prometheus, installed};

/// A reqwest builder for a client of the caller's own, after doing what the SDK's docs tell an
/// application to do: the SDK builds reqwest without a crypto provider, and this workspace
/// enables none, so reqwest would panic without a process-wide one.
pub fn reqwest_builder() -> reqwest::ClientBuilder {
    // Another caller may have installed it first; either way ring is the provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// Where the first request in `buffer` ends its head, and its `Content-Length`, once the head
/// and the body are both buffered.
pub fn buffered_request(buffer: &[u8]) -> Option<(usize, usize)> {
    let end = buffer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    (buffer.len() >= end + 4 + length).then_some((end, length))
}

#[cfg(test)]
mod tests {
    use super::buffered_request;

    #[test]
    fn a_request_is_framed_once_its_head_and_body_are_buffered() {
        let request = b"POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(buffered_request(request), Some((35, 2)));
        assert_eq!(buffered_request(&request[..request.len() - 1]), None);
        assert_eq!(buffered_request(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Some((23, 0)));
        assert_eq!(buffered_request(b"GET / HTTP/1.1\r\n"), None);
    }
}
