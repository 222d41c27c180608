//! One HTTP request, run as its own task in the driver's `JoinSet` (so that
//! `Transmit::Cancel` can abort it).

use janus_proto::{HttpMethod, HttpRequest, RequestId};

/// Status and body, or why there is none (for logs; never with the URL).
pub(crate) type HttpResult = Result<(u16, String), String>;

/// Performs `req` against the server whose URL is `base`, reading at most `max_body` bytes
/// of the answer (one over the core's limit: the core decides on what is too large).
pub(crate) async fn perform(
    client: reqwest::Client,
    base: String,
    req: HttpRequest,
    max_body: usize,
) -> (RequestId, HttpResult) {
    let result = send(&client, &format!("{base}{}", req.path), &req, max_body).await;
    (req.id, result)
}

async fn send(
    client: &reqwest::Client,
    url: &str,
    req: &HttpRequest,
    max_body: usize,
) -> HttpResult {
    // Errors are shown without the URL: a long-poll URL carries credentials.
    let redact = |e: reqwest::Error| e.without_url().to_string();
    let builder = match req.method {
        HttpMethod::Get => client.get(url),
        HttpMethod::Post => client.post(url),
    }
    .timeout(req.timeout);
    let builder = match &req.body {
        Some(body) => builder
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.clone()),
        None => builder,
    };
    let mut resp = builder.send().await.map_err(redact)?;
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(redact)? {
        let room = max_body - body.len();
        if chunk.len() >= room {
            body.extend_from_slice(&chunk[..room]);
            // Over the limit: the core fails it by its length, whatever the bytes.
            return Ok((status, String::from_utf8_lossy(&body).into_owned()));
        }
        body.extend_from_slice(&chunk);
    }
    let body = String::from_utf8(body).map_err(|e| format!("response body: {e}"))?;
    Ok((status, body))
}
