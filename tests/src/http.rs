//! A tiny HTTP/1.1 and WebSocket client for talking to the Janus under test: plain or TLS
//! (trusting the harness's CA), one request per connection, bounded by a timeout.
//!
//! It exists so the harness can check Janus without the project's own client crates (which it
//! tests). It supports what Janus sends: `Content-Length`, chunked or close-delimited bodies,
//! and unfragmented or fragmented WebSocket text frames.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::digest;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use rustls::pki_types::ServerName;
use serde_json::Value;

use crate::error::{HarnessError, Result};

/// The subprotocol Janus's WebSocket transport speaks.
pub const JANUS_WS_PROTOCOL: &str = "janus-protocol";

/// One HTTP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The body, decoded as UTF-8 (lossily).
    pub body: String,
}

impl HttpResponse {
    /// Parses the body as JSON.
    pub fn json(&self) -> Result<Value> {
        parse_json(&self.body)
    }
}

/// A blocking HTTP/WebSocket client; cheap to clone.
#[derive(Clone, Debug)]
pub struct HttpClient {
    tls: Option<Arc<rustls::ClientConfig>>,
    timeout: Duration,
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpClient {
    /// A client for plain `http://` and `ws://` URLs, with a 10 s timeout.
    pub fn new() -> Self {
        Self {
            tls: None,
            timeout: Duration::from_secs(10),
        }
    }

    /// A client that also speaks `https://` and `wss://`, trusting only the CA certificate(s)
    /// in `ca_pem` (e.g. [`crate::Janus::ca_cert_pem`]).
    pub fn trusting(ca_pem: &str) -> Result<Self> {
        Ok(Self {
            tls: Some(crate::tls::client_config(ca_pem)?),
            ..Self::new()
        })
    }

    /// Sets the connect/read/write timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// `GET url`.
    pub fn get(&self, url: &str) -> Result<HttpResponse> {
        self.request("GET", url, None)
    }

    /// `POST url` with a JSON body.
    pub fn post_json(&self, url: &str, body: &Value) -> Result<HttpResponse> {
        self.request("POST", url, Some(&body.to_string()))
    }

    /// Sends one request on a fresh connection and reads the whole response.
    pub fn request(
        &self,
        method: &'static str,
        url: &str,
        body: Option<&str>,
    ) -> Result<HttpResponse> {
        let fail = |reason: String| HarnessError::Http {
            method,
            url: url.to_owned(),
            reason,
        };
        let target = Target::parse(url).map_err(fail)?;
        let mut stream = self.connect(&target).map_err(|e| fail(e.to_string()))?;
        let body = body.unwrap_or("");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: janus-tests\r\n\
             Accept: application/json\r\nContent-Type: application/json\r\n\
             Content-Length: {len}\r\nConnection: close\r\n\r\n{body}",
            path = target.path,
            host = target.host_header(),
            len = body.len(),
        );
        stream
            .write_all(request.as_bytes())
            .and_then(|()| stream.flush())
            .map_err(|e| fail(format!("sending the request: {e}")))?;
        let mut reader = BufReader::new(stream);
        let (status, headers) =
            read_head(&mut reader).map_err(|e| fail(format!("reading the response: {e}")))?;
        let body = read_body(&mut reader, &headers)
            .map_err(|e| fail(format!("reading the response body: {e}")))?;
        Ok(HttpResponse {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    /// Opens a WebSocket (`ws://` or `wss://`) offering the `janus-protocol` subprotocol, and
    /// checks the server's handshake answer (status 101, `Sec-WebSocket-Accept`).
    pub fn websocket(&self, url: &str) -> Result<WebSocket> {
        let fail = |reason: String| HarnessError::Http {
            method: "WebSocket",
            url: url.to_owned(),
            reason,
        };
        let target = Target::parse(url).map_err(fail)?;
        let mut stream = self.connect(&target).map_err(|e| fail(e.to_string()))?;
        let mut nonce = [0u8; 16];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| fail("no randomness for the handshake key".into()))?;
        let key = base64::engine::general_purpose::STANDARD.encode(nonce);
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Protocol: {JANUS_WS_PROTOCOL}\r\n\r\n",
            path = target.path,
            host = target.host_header(),
        );
        stream
            .write_all(request.as_bytes())
            .and_then(|()| stream.flush())
            .map_err(|e| fail(format!("sending the handshake: {e}")))?;
        let mut reader = BufReader::new(stream);
        let (status, headers) =
            read_head(&mut reader).map_err(|e| fail(format!("reading the handshake: {e}")))?;
        if status != 101 {
            return Err(fail(format!("expected status 101, got {status}")));
        }
        let accept = digest::digest(
            &digest::SHA1_FOR_LEGACY_USE_ONLY,
            format!("{key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11").as_bytes(),
        );
        let expected = base64::engine::general_purpose::STANDARD.encode(accept.as_ref());
        if header(&headers, "sec-websocket-accept") != Some(expected.as_str()) {
            return Err(fail("wrong or missing Sec-WebSocket-Accept".into()));
        }
        let protocol = header(&headers, "sec-websocket-protocol").map(str::to_owned);
        Ok(WebSocket {
            reader,
            protocol,
            url: url.to_owned(),
        })
    }

    fn connect(&self, target: &Target) -> io::Result<Stream> {
        let addr = resolve(&target.host, target.port)?;
        let tcp = TcpStream::connect_timeout(&addr, self.timeout)?;
        tcp.set_read_timeout(Some(self.timeout))?;
        tcp.set_write_timeout(Some(self.timeout))?;
        tcp.set_nodelay(true)?;
        if !target.tls {
            return Ok(Stream::Plain(tcp));
        }
        let config = self.tls.clone().ok_or_else(|| {
            io::Error::other("TLS URL but the client trusts no CA: use HttpClient::trusting")
        })?;
        let name = ServerName::try_from(target.host.clone())
            .map_err(|e| io::Error::other(format!("bad server name: {e}")))?;
        let connection = rustls::ClientConnection::new(config, name).map_err(io::Error::other)?;
        let mut stream = rustls::StreamOwned::new(connection, tcp);
        // Complete the handshake now, so certificate problems show up as connect errors.
        while stream.conn.is_handshaking() {
            stream.conn.complete_io(&mut stream.sock)?;
        }
        Ok(Stream::Tls(Box::new(stream)))
    }
}

/// An open WebSocket to Janus (see [`HttpClient::websocket`]).
pub struct WebSocket {
    reader: BufReader<Stream>,
    protocol: Option<String>,
    url: String,
}

impl std::fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("url", &self.url)
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

impl WebSocket {
    /// The subprotocol the server selected (Janus: `janus-protocol`).
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// Sends one text frame.
    pub fn send_text(&mut self, text: &str) -> Result<()> {
        let mut mask = [0u8; 4];
        SystemRandom::new()
            .fill(&mut mask)
            .map_err(|_| self.fail("no randomness for the frame mask".into()))?;
        let payload = text.as_bytes();
        let mut frame = vec![0x81]; // FIN + text
        match payload.len() {
            len @ 0..=125 => frame.push(0x80 | len as u8),
            len @ 126..=0xffff => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
        let stream = self.reader.get_mut();
        stream
            .write_all(&frame)
            .and_then(|()| stream.flush())
            .map_err(|e| self.fail(format!("sending a frame: {e}")))
    }

    /// Receives the next text message (control frames other than close are skipped).
    pub fn recv_text(&mut self) -> Result<String> {
        let mut message = Vec::new();
        loop {
            let (fin, opcode, payload) = self
                .read_frame()
                .map_err(|e| self.fail(format!("reading a frame: {e}")))?;
            match opcode {
                0x8 => return Err(self.fail("the server closed the WebSocket".into())),
                0x1 | 0x0 => {
                    message.extend_from_slice(&payload);
                    if fin {
                        return Ok(String::from_utf8_lossy(&message).into_owned());
                    }
                }
                _ => {} // ping, pong, binary: not part of the Janus API
            }
        }
    }

    /// Sends a JSON request and returns the next JSON message.
    pub fn request(&mut self, request: &Value) -> Result<Value> {
        self.send_text(&request.to_string())?;
        parse_json(&self.recv_text()?)
    }

    fn read_frame(&mut self) -> io::Result<(bool, u8, Vec<u8>)> {
        let mut head = [0u8; 2];
        self.reader.read_exact(&mut head)?;
        let fin = head[0] & 0x80 != 0;
        let opcode = head[0] & 0x0f;
        let masked = head[1] & 0x80 != 0;
        let len = match head[1] & 0x7f {
            126 => {
                let mut b = [0u8; 2];
                self.reader.read_exact(&mut b)?;
                u64::from(u16::from_be_bytes(b))
            }
            127 => {
                let mut b = [0u8; 8];
                self.reader.read_exact(&mut b)?;
                u64::from_be_bytes(b)
            }
            len => u64::from(len),
        };
        let mut mask = [0u8; 4];
        if masked {
            self.reader.read_exact(&mut mask)?;
        }
        let len = usize::try_from(len).map_err(io::Error::other)?;
        let mut payload = vec![0u8; len];
        self.reader.read_exact(&mut payload)?;
        if masked {
            for (b, m) in payload.iter_mut().zip(mask.iter().cycle()) {
                *b ^= m;
            }
        }
        Ok((fin, opcode, payload))
    }

    fn fail(&self, reason: String) -> HarnessError {
        HarnessError::Http {
            method: "WebSocket",
            url: self.url.clone(),
            reason,
        }
    }
}

pub(crate) fn parse_json(body: &str) -> Result<Value> {
    serde_json::from_str(body).map_err(|source| HarnessError::Json {
        source,
        body: body.chars().take(500).collect(),
    })
}

/// A parsed `scheme://host:port/path` URL.
struct Target {
    tls: bool,
    host: String,
    port: u16,
    path: String,
}

impl Target {
    fn parse(url: &str) -> Result<Self, String> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| "URL without a scheme".to_owned())?;
        let (tls, default_port) = match scheme {
            "http" | "ws" => (false, 80),
            "https" | "wss" => (true, 443),
            other => return Err(format!("unsupported scheme {other}")),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => (
                host,
                port.parse().map_err(|_| format!("bad port {port:?}"))?,
            ),
            _ => (authority, default_port),
        };
        Ok(Self {
            tls,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            path: path.to_owned(),
        })
    }

    fn host_header(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn resolve(host: &str, port: u16) -> io::Result<SocketAddr> {
    (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::other(format!("{host} resolves to nothing")))
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => s.read(buf),
            Self::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => s.write(buf),
            Self::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(s) => s.flush(),
            Self::Tls(s) => s.flush(),
        }
    }
}

type Headers = Vec<(String, String)>;

fn header<'h>(headers: &'h Headers, name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn read_head(reader: &mut impl BufRead) -> io::Result<(u16, Headers)> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::other(format!("bad status line {:?}", line.trim_end())))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            return Ok((status, headers));
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
}

fn read_body(reader: &mut impl BufRead, headers: &Headers) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    if header(headers, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let mut line = String::new();
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| io::Error::other(format!("bad chunk size {:?}", line.trim())))?;
            if size == 0 {
                return Ok(body);
            }
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..])?;
            line.clear();
            reader.read_line(&mut line)?; // CRLF after the chunk
        }
    }
    if let Some(len) = header(headers, "content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| io::Error::other(format!("bad Content-Length {len:?}")))?;
        body.resize(len, 0);
        reader.read_exact(&mut body)?;
        return Ok(body);
    }
    // Close-delimited; a TLS peer that skips close_notify is fine here.
    match reader.read_to_end(&mut body) {
        Ok(_) => Ok(body),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(body),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_scheme_host_port_path() {
        let t = Target::parse("https://127.0.0.1:8089/janus/info").expect("valid URL");
        assert!(t.tls);
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("127.0.0.1", 8089, "/janus/info")
        );
        let t = Target::parse("ws://localhost").expect("valid URL");
        assert!(!t.tls);
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("localhost", 80, "/")
        );
        assert!(Target::parse("ftp://x/").is_err());
    }

    #[test]
    fn chunked_bodies_are_reassembled() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let mut reader = BufReader::new(&raw[..]);
        let (status, headers) = read_head(&mut reader).expect("valid head");
        assert_eq!(status, 200);
        assert_eq!(
            read_body(&mut reader, &headers).expect("valid body"),
            b"abcde"
        );
    }
}
