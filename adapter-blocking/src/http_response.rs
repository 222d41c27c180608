//! An HTTP/1.1 answer read from the bytes as they arrive, without any I/O: the head through
//! `httparse`, then a body framed by `Content-Length`, by chunks, or by the server closing
//! the connection.
//!
//! It is its own piece so that it can be fed a hostile server's bytes in any split (the
//! `http_response` fuzz target, and its corpus replayed by `cargo test`): whatever comes, it
//! ends in an answer or a [`DecodeError`], and what it holds is bounded by [`MAX_HEAD`] plus
//! the body limit it was given, however long the server talks. A body over the limit ends
//! the answer early, [`truncated`](Response::truncated): the core refuses it by its length.
//! `httparse` parses heads and chunk-size lines; the framing rules around them are the few
//! lines a client of one server needs (no trailers are used by Janus; they are skipped).

/// Most response headers looked at; Janus sends about ten.
const MAX_HEADERS: usize = 64;
/// A response head larger than this is refused.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// A chunk-size line or a trailer line longer than this is refused.
const MAX_LINE: usize = 4 * 1024;

/// A whole answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    /// The status code.
    pub(crate) status: u16,
    /// The body, at most the limit long.
    pub(crate) body: Vec<u8>,
    /// The body was longer than the limit and was cut there.
    pub(crate) truncated: bool,
    /// The connection may carry the next request: the server did not ask to close it, the
    /// answer was read whole and nothing came after it.
    pub(crate) reusable: bool,
}

/// Why the bytes are not an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DecodeError {
    /// More than [`MAX_HEAD`] bytes without the end of the head.
    #[error("answer head too large")]
    HeadTooLarge,
    /// Not an HTTP/1.x response head.
    #[error("bad answer: {0}")]
    BadHead(String),
    /// A `Content-Length` that is not a number.
    #[error("bad Content-Length in the answer")]
    BadContentLength,
    /// A chunk-size line, chunk end or trailer that is not HTTP.
    #[error("bad chunk in the answer")]
    BadChunk,
    /// The server closed the connection before the answer was whole.
    #[error("connection closed before the answer")]
    ClosedBeforeAnswer,
    /// The server closed the connection inside the body.
    #[error("connection closed inside the answer")]
    ClosedInsideAnswer,
}

/// Where the reading is.
#[derive(Debug)]
enum State {
    Head,
    /// `left` more body bytes, then the end.
    Length {
        left: usize,
    },
    /// A chunk-size line next.
    ChunkSize,
    /// `left` more bytes of the current chunk, then its CRLF.
    ChunkData {
        left: u64,
    },
    /// The CRLF after a chunk's data.
    ChunkEnd,
    /// Trailer lines after the last chunk, up to an empty one.
    Trailers,
    /// Everything until the server closes.
    UntilClose,
    Done,
}

/// Reads one answer from the bytes [`feed`](Self::feed) is given.
#[derive(Debug)]
pub(crate) struct ResponseDecoder {
    max_body: usize,
    /// Bytes received and not yet consumed.
    buf: Vec<u8>,
    state: State,
    status: u16,
    close: bool,
    body: Vec<u8>,
    started: bool,
}

/// What [`ResponseDecoder::feed`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// The answer is not whole yet.
    NeedMore,
    /// The answer is whole.
    Done(Response),
}

impl ResponseDecoder {
    /// A decoder that keeps at most `max_body` bytes of body.
    pub(crate) fn new(max_body: usize) -> Self {
        Self {
            max_body,
            buf: Vec::new(),
            state: State::Head,
            status: 0,
            close: false,
            body: Vec::new(),
            started: false,
        }
    }

    /// Whether any byte of the answer has come.
    pub(crate) fn started(&self) -> bool {
        self.started
    }

    /// Takes the next bytes from the connection. After `Done` or an error, the decoder is
    /// spent.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<Decoded, DecodeError> {
        self.started |= !bytes.is_empty();
        self.buf.extend_from_slice(bytes);
        loop {
            let progressed = match self.state {
                State::Head => self.head()?,
                State::Length { left } => {
                    let n = left.min(self.buf.len());
                    self.take_body(n);
                    self.state = State::Length { left: left - n };
                    if left == n {
                        return Ok(Decoded::Done(self.finish(true)));
                    }
                    false
                }
                State::ChunkSize => self.chunk_size()?,
                State::ChunkData { left } => {
                    let n = usize::try_from(left)
                        .unwrap_or(usize::MAX)
                        .min(self.buf.len());
                    self.take_body(n);
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        State::ChunkEnd
                    } else {
                        State::ChunkData { left }
                    };
                    left == 0
                }
                State::ChunkEnd => match self.buf.get(..2) {
                    Some(b"\r\n") => {
                        self.buf.drain(..2);
                        self.state = State::ChunkSize;
                        true
                    }
                    Some(_) => return Err(DecodeError::BadChunk),
                    None if self.buf.first().is_some_and(|&b| b != b'\r') => {
                        return Err(DecodeError::BadChunk);
                    }
                    None => false,
                },
                State::Trailers => self.trailer()?,
                State::UntilClose => {
                    let n = self.buf.len();
                    self.take_body(n);
                    false
                }
                State::Done => return Ok(Decoded::Done(self.finish(true))),
            };
            if self.body.len() >= self.max_body && !matches!(self.state, State::Head) {
                // Over the limit: the rest is not read, and the connection is not reused.
                return Ok(Decoded::Done(self.finish(false)));
            }
            if matches!(self.state, State::Done) {
                return Ok(Decoded::Done(self.finish(true)));
            }
            if !progressed {
                return Ok(Decoded::NeedMore);
            }
        }
    }

    /// The server closed the connection: the answer as it stands, when that is whole.
    pub(crate) fn end(&mut self) -> Result<Response, DecodeError> {
        match self.state {
            State::UntilClose => {
                let mut response = self.finish(true);
                response.reusable = false;
                Ok(response)
            }
            State::Head => Err(DecodeError::ClosedBeforeAnswer),
            State::Done => Ok(self.finish(true)),
            _ => Err(DecodeError::ClosedInsideAnswer),
        }
    }

    /// Parses the head when it is all here; `true` when it was.
    fn head(&mut self) -> Result<bool, DecodeError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut resp = httparse::Response::new(&mut headers);
        // Only the first MAX_HEAD bytes are looked at, so that the outcome is the same
        // however the bytes came in.
        let window = &self.buf[..self.buf.len().min(MAX_HEAD)];
        let n = match resp.parse(window) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) if window.len() < MAX_HEAD => return Ok(false),
            Ok(httparse::Status::Partial) => return Err(DecodeError::HeadTooLarge),
            Err(e) => return Err(DecodeError::BadHead(e.to_string())),
        };
        let status = resp.code.unwrap_or(0);
        let mut length = None;
        let mut chunked = false;
        let mut close = resp.version == Some(0);
        for h in resp.headers.iter() {
            let value = String::from_utf8_lossy(h.value);
            if h.name.eq_ignore_ascii_case("content-length") {
                let parsed = value.trim().parse::<usize>();
                length = Some(parsed.map_err(|_| DecodeError::BadContentLength)?);
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            } else if h.name.eq_ignore_ascii_case("connection") {
                let v = value.to_ascii_lowercase();
                close = v.contains("close") || (close && !v.contains("keep-alive"));
            }
        }
        self.buf.drain(..n);
        self.status = status;
        self.close = close;
        let no_body = status == 204 || status == 304 || (100..200).contains(&status);
        self.state = if no_body {
            State::Done
        } else if chunked {
            State::ChunkSize
        } else if let Some(left) = length {
            if left == 0 {
                State::Done
            } else {
                State::Length { left }
            }
        } else {
            State::UntilClose
        };
        Ok(true)
    }

    /// Parses a chunk-size line when it is all here; `true` when it was.
    fn chunk_size(&mut self) -> Result<bool, DecodeError> {
        let window = &self.buf[..self.buf.len().min(MAX_LINE)];
        match httparse::parse_chunk_size(window) {
            Ok(httparse::Status::Complete((n, size))) => {
                self.buf.drain(..n);
                self.state = if size == 0 {
                    State::Trailers
                } else {
                    State::ChunkData { left: size }
                };
                Ok(true)
            }
            Ok(httparse::Status::Partial) if window.len() < MAX_LINE => Ok(false),
            Ok(httparse::Status::Partial) | Err(_) => Err(DecodeError::BadChunk),
        }
    }

    /// Skips one trailer line when it is all here; the empty one ends the answer.
    fn trailer(&mut self) -> Result<bool, DecodeError> {
        let window = &self.buf[..self.buf.len().min(MAX_LINE)];
        let Some(end) = window.windows(2).position(|w| w == b"\r\n") else {
            return if window.len() < MAX_LINE {
                Ok(false)
            } else {
                Err(DecodeError::BadChunk)
            };
        };
        self.buf.drain(..end + 2);
        if end == 0 {
            self.state = State::Done;
        }
        Ok(true)
    }

    /// Moves `n` buffered bytes to the body, keeping at most the limit.
    fn take_body(&mut self, n: usize) {
        let room = self.max_body.saturating_sub(self.body.len());
        self.body.extend_from_slice(&self.buf[..n.min(room)]);
        self.buf.drain(..n);
    }

    /// The answer; `whole` when its end was read.
    fn finish(&mut self, whole: bool) -> Response {
        let truncated = self.body.len() >= self.max_body && !self.body.is_empty();
        let reusable = whole && !truncated && !self.close && self.buf.is_empty();
        self.state = State::Done;
        Response {
            status: self.status,
            body: std::mem::take(&mut self.body),
            truncated,
            reusable,
        }
    }
}

/// The fuzz target's entry point (`fuzz/fuzz_targets/http_response.rs`) and its corpus
/// replay: the first byte picks where the rest is split into reads, the second the body
/// limit. The answer, or the error, must be the same whatever the split, and what the
/// decoder held stays bounded. Returns the answer's status and body text, for the core.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn fuzz_decode(data: &[u8]) -> Option<(u16, String)> {
    let (Some(&step), Some(&limit)) = (data.first(), data.get(1)) else {
        return None;
    };
    let stream = &data[2..];
    let max_body = usize::from(limit) * 16 + 1;
    let whole = decode_in_reads(stream, stream.len().max(1), max_body);
    let split = decode_in_reads(stream, usize::from(step % 17) + 1, max_body);
    assert_eq!(
        whole, split,
        "the answer depends on how the bytes were split"
    );
    match whole {
        Ok(r) => {
            assert!(r.body.len() <= max_body, "body over its limit");
            Some((r.status, String::from_utf8_lossy(&r.body).into_owned()))
        }
        Err(_) => None,
    }
}

/// Feeds `stream` in reads of `step` bytes, then the close.
#[cfg(any(test, feature = "fuzzing"))]
fn decode_in_reads(stream: &[u8], step: usize, max_body: usize) -> Result<Response, DecodeError> {
    let mut decoder = ResponseDecoder::new(max_body);
    let mut fed = 0;
    for read in stream.chunks(step) {
        fed += read.len();
        if let Decoded::Done(r) = decoder.feed(read)? {
            // Bytes after the answer that were not read yet would make it not reusable
            // once they come: the same answer as when they came in the same read.
            let rest = fed < stream.len();
            return Ok(Response {
                reusable: r.reusable && !rest,
                ..r
            });
        }
        assert!(
            decoder.buf.len() <= MAX_HEAD + step,
            "the decoder holds more than a head"
        );
    }
    decoder.end()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Feeds `bytes` one read of `step` bytes at a time; the close when they run out.
    fn decode(bytes: &[u8], step: usize, max_body: usize) -> Result<Response, DecodeError> {
        decode_in_reads(bytes, step, max_body)
    }

    #[test]
    fn a_content_length_answer_is_read_whole_and_keeps_the_connection() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"janus\":1}";
        for step in [1, 3, raw.len()] {
            let r = decode(raw, step, 1000).unwrap();
            assert_eq!((r.status, r.body.as_slice()), (200, &b"{\"janus\":1}"[..]));
            assert!(r.reusable && !r.truncated);
        }
    }

    #[test]
    fn chunks_arriving_a_byte_at_a_time_make_the_same_body_and_trailers_are_skipped() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
            4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\nX-Trailer: 1\r\n\r\n";
        for step in [1, 2, 7, raw.len()] {
            let r = decode(raw, step, 1000).unwrap();
            assert_eq!(r.body, b"abcdefg");
            assert!(r.reusable);
        }
    }

    #[test]
    fn a_body_without_length_ends_when_the_server_closes_and_the_connection_is_not_reused() {
        let r = decode(b"HTTP/1.0 200 OK\r\n\r\nhello", 2, 1000).unwrap();
        assert_eq!(r.body, b"hello");
        assert!(!r.reusable);
    }

    #[test]
    fn a_chunk_that_claims_gigabytes_is_cut_at_the_limit_without_waiting_for_it() {
        // A hostile server announces a huge chunk and keeps talking: the decoder keeps the
        // limit's worth and ends the answer there, holding nothing more.
        let mut d = ResponseDecoder::new(100);
        assert_eq!(
            d.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n")
                .unwrap(),
            Decoded::NeedMore
        );
        assert_eq!(d.feed(&[b'x'; 60]).unwrap(), Decoded::NeedMore);
        assert!(d.buf.is_empty(), "chunk data is not buffered");
        let Decoded::Done(r) = d.feed(&[b'x'; 60]).unwrap() else {
            panic!("not ended at the limit")
        };
        assert_eq!(r.body.len(), 100);
        assert!(r.truncated && !r.reusable);
    }

    #[test]
    fn a_content_length_over_the_limit_is_cut_there() {
        let r = decode(
            b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n0123456789",
            4,
            5,
        )
        .unwrap();
        assert_eq!(r.body, b"01234");
        assert!(r.truncated && !r.reusable);
    }

    #[test]
    fn bytes_after_the_answer_or_connection_close_keep_the_connection_from_reuse() {
        let extra = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n";
        assert!(!decode(extra, extra.len(), 100).unwrap().reusable);
        let close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
        assert!(!decode(close, 5, 100).unwrap().reusable);
    }

    #[test]
    fn malformed_answers_are_typed_errors() {
        let cases: [(&[u8], DecodeError); 5] = [
            (
                b"SSH-2.0-OpenSSH\r\n\r\n",
                DecodeError::BadHead(String::new()),
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n",
                DecodeError::BadContentLength,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                DecodeError::BadChunk,
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Le",
                DecodeError::ClosedBeforeAnswer,
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc",
                DecodeError::ClosedInsideAnswer,
            ),
        ];
        for (raw, want) in cases {
            let got = decode(raw, 3, 100).unwrap_err();
            match want {
                DecodeError::BadHead(_) => assert!(matches!(got, DecodeError::BadHead(_))),
                want => assert_eq!(got, want),
            }
        }
    }

    #[test]
    fn a_head_that_never_ends_is_refused_at_its_limit() {
        let mut d = ResponseDecoder::new(100);
        d.feed(b"HTTP/1.1 200 OK\r\n").unwrap();
        let line = [b"X-Slow: ".as_slice(), &[b'a'; 1000], b"\r\n"].concat();
        let mut refused = None;
        for _ in 0..100 {
            if let Err(e) = d.feed(&line) {
                refused = Some(e);
                break;
            }
        }
        assert_eq!(refused, Some(DecodeError::HeadTooLarge));
    }

    #[test]
    fn no_content_and_zero_length_answers_end_at_their_head() {
        let mut d = ResponseDecoder::new(100);
        let Decoded::Done(r) = d.feed(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap() else {
            panic!("204 waits for a body")
        };
        assert_eq!((r.status, r.body.len(), r.reusable), (204, 0, true));
    }

    #[test]
    fn http_response_corpus_decodes_alike_in_any_split() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/http_response");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            fuzz_decode(&std::fs::read(&path).unwrap());
            seen += 1;
        }
        assert!(seen > 0, "no corpus in {}", dir.display());
    }
}
