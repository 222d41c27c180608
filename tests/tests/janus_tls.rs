//! HTTPS and WSS of a harness Janus, trusted through the CA the harness generates.

use janus_tests::{HarnessError, HttpClient, Janus};
use serde_json::json;

#[test]
fn https_info_and_wss_info_work_with_the_generated_ca() {
    let janus = Janus::builder()
        .tls(true)
        .launch()
        .expect("Janus starts with TLS");
    let client = HttpClient::trusting(janus.ca_cert_pem().expect("a CA")).expect("a TLS client");

    let https = janus.https_url().expect("an https URL");
    assert!(https.starts_with("https://127.0.0.1:"), "{https}");
    let response = client.get(&format!("{https}/info")).expect("https info");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.json().expect("JSON")["name"],
        "Janus WebRTC Server"
    );

    let mut wss = client
        .websocket(&janus.wss_url().expect("a wss URL"))
        .expect("wss handshake");
    assert_eq!(wss.protocol(), Some("janus-protocol"));
    let reply = wss
        .request(&json!({"janus": "info", "transaction": "over-wss"}))
        .expect("a reply over wss");
    assert_eq!(reply["janus"], "server_info");

    let pem_on_disk = std::fs::read_to_string(janus.ca_cert_path().expect("a CA path"))
        .expect("the CA file is readable");
    assert_eq!(pem_on_disk, janus.ca_cert_pem().expect("a CA"));
}

#[test]
fn a_client_without_the_ca_is_refused() {
    let janus = Janus::builder()
        .tls(true)
        .launch()
        .expect("Janus starts with TLS");
    let https = janus.https_url().expect("an https URL");
    let other = Janus::builder()
        .tls(true)
        .launch()
        .expect("a second TLS Janus");
    let wrong_ca = HttpClient::trusting(other.ca_cert_pem().expect("a CA")).expect("a client");
    let error = wrong_ca
        .get(&format!("{https}/info"))
        .expect_err("a certificate from another CA must be refused");
    assert!(error.to_string().contains("certificate"), "{error}");
}

#[test]
fn tls_urls_need_tls_enabled() {
    let janus = Janus::launch().expect("Janus starts");
    assert!(matches!(
        janus.https_url(),
        Err(HarnessError::NotConfigured("TLS"))
    ));
    assert!(janus.wss_url().is_err());
    assert!(janus.ca_cert_pem().is_err());
}
