//! Signed tokens for Janus's `token_auth` with `token_auth_secret` (janus-gateway `src/auth.c`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;
use base64::Engine as _;

/// The realm Janus expects in signed tokens.
pub const TOKEN_REALM: &str = "janus";

/// Makes a token Janus accepts when `token_auth = true` and `token_auth_secret = secret`:
/// `<expiry unix secs>,janus,<plugin>[,<plugin>..]:<base64 HMAC-SHA1(secret, part before ':')>`.
///
/// `plugins` are the plugin packages the token may attach to (e.g. `janus.plugin.echotest`);
/// a token that lists none can create sessions but attach to nothing.
pub fn signed_token(secret: &str, expires: SystemTime, plugins: &[&str]) -> String {
    let expiry = expires
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let mut payload = format!("{expiry},{TOKEN_REALM}");
    for plugin in plugins {
        payload.push(',');
        payload.push_str(plugin);
    }
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret.as_bytes());
    let tag = hmac::sign(&key, payload.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(tag.as_ref());
    format!("{payload}:{signature}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_has_janus_layout() {
        let token = signed_token(
            "s3cret",
            UNIX_EPOCH + Duration::from_secs(2_000_000_000),
            &["janus.plugin.echotest", "janus.plugin.videoroom"],
        );
        let (payload, signature) = token
            .split_once(':')
            .expect("a ':' separates the signature");
        assert_eq!(
            payload,
            "2000000000,janus,janus.plugin.echotest,janus.plugin.videoroom"
        );
        // HMAC-SHA1 is 20 bytes: 28 base64 characters with padding.
        assert_eq!(signature.len(), 28);
    }

    #[test]
    fn signature_is_hmac_sha1_of_the_payload() {
        // Reference value: `printf '%s' '2000000000,janus' | openssl dgst -sha1 -hmac key -binary | base64`
        let token = signed_token("key", UNIX_EPOCH + Duration::from_secs(2_000_000_000), &[]);
        assert_eq!(token, "2000000000,janus:umlzB4SAcP/5IRVP36nkfwpFPUk=");
    }
}
