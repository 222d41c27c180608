//! One HTTP request, run as its own task in the driver's `JoinSet` (so that
//! `Transmit::Cancel` can abort it).

use janus_proto::{HttpMethod, HttpRequest, RequestId};

/// Largest HTTP body accepted (a long-poll batch of big SDPs fits easily).
const MAX_BODY: usize = 16 << 20;

/// Status and body, or why there is none (for logs; never with the URL).
pub(crate) type HttpResult = Result<(u16, String), String>;

/// Performs `req` against the server whose URL is `base`.
pub(crate) async fn perform(
    client: reqwest::Client,
    base: String,
    req: HttpRequest,
) -> (RequestId, HttpResult) {
    let result = send(&client, &format!("{base}{}", req.path), &req).await;
    (req.id, result)
}

async fn send(client: &reqwest::Client, url: &str, req: &HttpRequest) -> HttpResult {
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
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!("response body over {MAX_BODY} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    let body = String::from_utf8(body).map_err(|e| format!("response body: {e}"))?;
    Ok((status, body))
}
