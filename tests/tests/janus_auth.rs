//! `api_secret` and signed-token authentication of a harness Janus.

use janus_tests::{Janus, signed_token};
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

fn error_code(reply: &Value) -> Option<i64> {
    reply["error"]["code"].as_i64()
}

#[test]
fn api_secret_is_required_to_create_a_session_but_not_for_info() {
    let janus = Janus::builder()
        .api_secret("right-secret")
        .launch()
        .expect("Janus starts");

    let info = janus.info().expect("info needs no secret");
    assert_eq!(info["api_secret"], true);

    let without = janus
        .api_post("", &json!({"janus": "create", "transaction": "no-secret"}))
        .expect("a reply");
    assert_eq!(without["janus"], "error");
    assert_eq!(error_code(&without), Some(403), "{without}");

    let wrong = janus
        .api_post(
            "",
            &json!({"janus": "create", "transaction": "bad", "apisecret": "wrong"}),
        )
        .expect("a reply");
    assert_eq!(error_code(&wrong), Some(403), "{wrong}");

    let right = janus
        .api_post(
            "",
            &json!({"janus": "create", "transaction": "good", "apisecret": janus.api_secret()}),
        )
        .expect("a reply");
    assert_eq!(right["janus"], "success", "{right}");
    assert!(right["data"]["id"].as_u64().is_some(), "{right}");
}

#[test]
fn signed_tokens_are_accepted_and_bad_ones_rejected() {
    let janus = Janus::builder()
        .token_auth("token-secret")
        .launch()
        .expect("Janus starts");
    assert_eq!(janus.info().expect("info")["auth_token"], true);

    let token = janus.token(&["janus.plugin.echotest"]).expect("a token");
    let created = janus
        .api_post(
            "",
            &json!({"janus": "create", "transaction": "t1", "token": token}),
        )
        .expect("a reply");
    assert_eq!(created["janus"], "success", "{created}");
    let session = created["data"]["id"].as_u64().expect("a session id");

    let attached = janus
        .api_post(
            &format!("/{session}"),
            &json!({"janus": "attach", "plugin": "janus.plugin.echotest",
                    "transaction": "t2", "token": token}),
        )
        .expect("a reply");
    assert_eq!(attached["janus"], "success", "{attached}");

    let not_listed = janus
        .api_post(
            &format!("/{session}"),
            &json!({"janus": "attach", "plugin": "janus.plugin.videoroom",
                    "transaction": "t3", "token": token}),
        )
        .expect("a reply");
    assert_eq!(error_code(&not_listed), Some(405), "{not_listed}");

    let forged = signed_token(
        "some-other-secret",
        SystemTime::now() + Duration::from_secs(3600),
        &["janus.plugin.echotest"],
    );
    let rejected = janus
        .api_post(
            "",
            &json!({"janus": "create", "transaction": "t4", "token": forged}),
        )
        .expect("a reply");
    assert_eq!(error_code(&rejected), Some(403), "{rejected}");

    let missing = janus
        .api_post("", &json!({"janus": "create", "transaction": "t5"}))
        .expect("a reply");
    assert_eq!(error_code(&missing), Some(403), "{missing}");
}

#[test]
fn an_expired_token_is_rejected() {
    let janus = Janus::builder()
        .token_auth("token-secret")
        .launch()
        .expect("Janus starts");
    let expired = signed_token(
        "token-secret",
        SystemTime::now() - Duration::from_secs(60),
        &["janus.plugin.echotest"],
    );
    let reply = janus
        .api_post(
            "",
            &json!({"janus": "create", "transaction": "old", "token": expired}),
        )
        .expect("a reply");
    assert_eq!(error_code(&reply), Some(403), "{reply}");
}
