//! The Admin API through both adapters against a Janus whose harness turns it on: our own
//! live sessions and handles listed, `handle_info` of a live EchoTest PeerConnection, a
//! stored token added and used, a PeerConnection hung up and a handle detached from the Admin
//! API as our handle hears it, settings changed, a plugin asked, pcap dumps, and a wrong
//! secret as a typed 403.
#![allow(clippy::unwrap_used, missing_docs)]

use janus_blocking::rtc::{Event as RtcEvent, HandleEvent, PeerConfig, Track};
use janus_blocking::{Client, Handle, Session};
use janus_proto::admin;
use janus_proto::{ClientConfig, ErrorCode, Event};
use janus_tests::rtc::{ECHOTEST, WAIT, pick};
use janus_tests::{Janus, JanusBuilder};
use serde_json::json;

const SECRET: &str = "janusoverlord";

fn launch(builder: JanusBuilder) -> Janus {
    builder.admin_api(SECRET).launch().unwrap()
}

fn admin_client(url: &str, secret: Option<&str>) -> Client {
    let config = ClientConfig::new([url])
        .unwrap()
        .admin_api(secret)
        .request_timeout(WAIT);
    Client::connect(config).unwrap()
}

/// Our ordinary client, a session and an EchoTest handle.
fn user(janus: &Janus) -> (Client, Session, Handle) {
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let handle = session.attach(ECHOTEST).unwrap();
    (client, session, handle)
}

/// The handle in a live EchoTest call (audio, video, data), both sides up.
fn call(janus: &Janus, handle: &mut Handle) {
    handle
        .add_peer(PeerConfig::default(), janus.media_ip().into())
        .unwrap();
    let body = json!({"audio": true, "video": true, "data": true});
    handle
        .offer(
            body,
            &[Track::audio(), Track::video(), Track::data("admin")],
        )
        .unwrap();
    handle.events().wait_for(WAIT, pick::both_up()).unwrap();
}

#[test]
fn admin_lists_our_live_sessions_and_handles_over_http_and_websocket() {
    let janus = launch(Janus::builder());
    let (_user, session, handle) = user(&janus);
    for url in [
        janus.admin_http_url().unwrap(),
        janus.admin_ws_url().unwrap(),
    ] {
        let admin = admin_client(&url, Some(SECRET));
        let sessions = admin.admin(&admin::ListSessions).unwrap().sessions;
        assert_eq!(sessions, [session.id()], "{url}");
        let handles = admin
            .admin(&admin::ListHandles {
                session: session.id(),
            })
            .unwrap()
            .handles;
        assert_eq!(handles, [handle.id().handle], "{url}");
        // `info` and `ping` are the Janus API's own, on the admin endpoint too.
        assert_eq!(admin.info().unwrap().version_string, janus.version().string);
        admin.ping().unwrap();
    }
}

#[test]
fn handle_info_of_a_live_echotest_shows_ice_and_dtls_connected() {
    let janus = launch(Janus::builder());
    let (_user, _session, mut handle) = user(&janus);
    call(&janus, &mut handle);
    let admin = admin_client(&janus.admin_http_url().unwrap(), Some(SECRET));
    let reply = admin.admin(&admin::HandleInfo::new(handle.id())).unwrap();
    assert_eq!(
        (reply.session_id, reply.handle_id),
        (handle.id().session, handle.id().handle)
    );
    let info = reply.info;
    assert_eq!(info.plugin.as_deref(), Some(ECHOTEST));
    assert_eq!(info.flags.get("ready"), Some(&true), "{:?}", info.flags);
    let webrtc = info.webrtc.expect("a PeerConnection");
    let ice = webrtc.ice.expect("ICE");
    assert!(
        matches!(ice.state.as_deref(), Some("connected" | "ready")),
        "{ice:?}"
    );
    // The pair in use is ours: the namespace's media address on both ends.
    let pair = ice.selected_pair.unwrap_or_default();
    assert!(pair.contains("127.0.0.2"), "{pair}");
    let dtls = webrtc.dtls.expect("DTLS");
    assert_eq!(dtls.state.as_deref(), Some("connected"), "{dtls:?}");
    assert_eq!(dtls.valid, Some(true));
    assert!(webrtc.media.is_some());
}

#[test]
fn a_hangup_from_the_admin_api_reaches_our_handle_and_closes_its_connection() {
    let janus = launch(Janus::builder());
    let (_user, _session, mut handle) = user(&janus);
    call(&janus, &mut handle);
    let admin = admin_client(&janus.admin_ws_url().unwrap(), Some(SECRET));
    admin
        .admin(&admin::HangupWebrtc {
            handle: handle.id(),
        })
        .unwrap();
    let (mut hangup, mut closed) = (None, false);
    handle
        .events()
        .wait_for(WAIT, |e| {
            match e {
                HandleEvent::Janus(Event::Hangup { reason, .. }) => hangup = Some(reason),
                HandleEvent::Rtc(RtcEvent::Closed) => closed = true,
                _ => {}
            }
            (hangup.is_some() && closed).then_some(())
        })
        .unwrap();
    assert_eq!(hangup.flatten().as_deref(), Some("Admin API"));
}

#[test]
fn a_detach_from_the_admin_api_reaches_our_handle() {
    let janus = launch(Janus::builder());
    let (_user, session, handle) = user(&janus);
    let admin = admin_client(&janus.admin_http_url().unwrap(), Some(SECRET));
    admin
        .admin(&admin::DetachHandle {
            handle: handle.id(),
        })
        .unwrap();
    handle
        .events()
        .wait_for(WAIT, |e| match e {
            HandleEvent::Janus(Event::Detached { handle: h }) => Some(h),
            _ => None,
        })
        .unwrap();
    let handles = admin
        .admin(&admin::ListHandles {
            session: session.id(),
        })
        .unwrap();
    assert!(handles.handles.is_empty(), "{handles:?}");
    // And the session itself, destroyed from the Admin API, is gone from the list.
    admin
        .admin(&admin::DestroySession {
            session: session.id(),
        })
        .unwrap();
    assert!(
        admin
            .admin(&admin::ListSessions)
            .unwrap()
            .sessions
            .is_empty()
    );
}

#[test]
fn a_token_added_by_the_admin_api_lets_a_client_in_and_removing_it_shuts_it_out() {
    let janus = launch(Janus::builder().stored_tokens());
    let admin = admin_client(&janus.admin_http_url().unwrap(), Some(SECRET));
    let token = "a-token-of-the-test";
    let added = admin
        .admin(&admin::AddToken {
            token: token.into(),
            plugins: Some(vec![ECHOTEST.into()]),
        })
        .unwrap();
    assert_eq!(added.data.plugins, [ECHOTEST]);
    let listed = admin.admin(&admin::ListTokens).unwrap().data.tokens;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].token.as_str(), listed[0].allowed_plugins.clone()),
        (token, vec![ECHOTEST.to_owned()])
    );

    let with = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap().token(token)).unwrap();
    let session = with.create_session().unwrap();
    session.attach(ECHOTEST).unwrap();
    // The token is not allowed on the VideoRoom.
    let refused = session.attach("janus.plugin.videoroom").unwrap_err();
    assert_eq!(
        refused.janus_code(),
        Some(ErrorCode::UnauthorizedPlugin),
        "{refused:?}"
    );
    admin
        .admin(&admin::AllowToken {
            token: token.into(),
            plugins: vec!["janus.plugin.videoroom".into()],
        })
        .unwrap();
    session.attach("janus.plugin.videoroom").unwrap();

    let without = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let err = without.create_session().unwrap_err();
    assert_eq!(err.janus_code(), Some(ErrorCode::Unauthorized), "{err:?}");

    admin
        .admin(&admin::RemoveToken {
            token: token.into(),
        })
        .unwrap();
    let err = with.create_session().unwrap_err();
    assert_eq!(err.janus_code(), Some(ErrorCode::Unauthorized), "{err:?}");
}

#[test]
fn a_wrong_or_missing_admin_secret_is_a_typed_403() {
    let janus = launch(Janus::builder());
    for secret in [Some("wrong"), None] {
        let admin = admin_client(&janus.admin_http_url().unwrap(), secret);
        let err = admin.admin(&admin::ListSessions).unwrap_err();
        assert_eq!(
            err.janus_code(),
            Some(ErrorCode::Unauthorized),
            "{secret:?}: {err:?}"
        );
    }
    // An admin request on a client of the Janus API is refused before anything is sent.
    let (user, _, _) = user(&janus);
    let err = user.admin(&admin::ListSessions).unwrap_err();
    assert!(
        matches!(
            err,
            janus_rtc::ClientError::Local(janus_proto::Error::NotAdmin)
        ),
        "{err:?}"
    );
}

#[test]
fn settings_change_and_get_status_reports_them() {
    let janus = launch(Janus::builder());
    let admin = admin_client(&janus.admin_ws_url().unwrap(), Some(SECRET));
    let before = admin.admin(&admin::GetStatus).unwrap().status;
    assert_eq!(before.session_timeout, 60);
    assert_eq!(
        admin.admin(&admin::SetLogLevel { level: 5 }).unwrap().level,
        5
    );
    let timeout = admin
        .admin(&admin::SetSessionTimeout { timeout: 120 })
        .unwrap();
    assert_eq!(timeout.timeout, 120);
    let nmt = admin
        .admin(&admin::SetNoMediaTimer { no_media_timer: 3 })
        .unwrap();
    assert_eq!(nmt.get("no_media_timer"), Some(3));
    let locking = admin
        .admin(&admin::SetLockingDebug { debug: true })
        .unwrap();
    assert_eq!(locking.get("locking_debug"), Some(true));
    let after = admin.admin(&admin::GetStatus).unwrap().status;
    assert_eq!(
        (
            after.log_level,
            after.session_timeout,
            after.no_media_timer,
            after.locking_debug
        ),
        (5, 120, 3, true)
    );

    // A server that stops accepting sessions refuses `create` with a typed error.
    let refusing = admin
        .admin(&admin::AcceptNewSessions { accept: false })
        .unwrap();
    assert_eq!(refusing.get("accept"), Some(false));
    let user = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let err = user.create_session().unwrap_err();
    assert_eq!(
        err.janus_code(),
        Some(ErrorCode::NotAcceptingSessions),
        "{err:?}"
    );
    admin
        .admin(&admin::AcceptNewSessions { accept: true })
        .unwrap();
    user.create_session().unwrap();
}

#[test]
fn message_plugin_asks_the_videoroom_for_its_rooms() {
    let janus = launch(Janus::builder());
    let admin = admin_client(&janus.admin_http_url().unwrap(), Some(SECRET));
    let reply = admin
        .admin(&admin::MessagePlugin {
            plugin: "janus.plugin.videoroom".into(),
            request: json!({"request": "list"}),
        })
        .unwrap();
    let rooms = reply.response["list"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        rooms.iter().any(|r| r["room"] == 1234),
        "{}",
        reply.response
    );
    // A request this crate does not type goes as a `Call`, its reply the fields as they came.
    let raw = admin.admin(&admin::Call::new("list_sessions")).unwrap();
    assert_eq!(raw["sessions"], json!([]));
    // `custom_logline` lands in Janus's log.
    admin
        .admin(&admin::CustomLogline {
            line: "a line from the janus-rs admin test".into(),
            level: Some(4),
        })
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        janus
            .log_tail(50)
            .contains("a line from the janus-rs admin test")
    );
}

#[test]
fn a_pcap_dump_of_a_live_call_is_written_on_the_server() {
    let janus = launch(Janus::builder());
    let (_user, _session, mut handle) = user(&janus);
    call(&janus, &mut handle);
    let admin = admin_client(&janus.admin_http_url().unwrap(), Some(SECRET));
    let folder = std::env::temp_dir().join(format!("janus-admin-pcap-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let mut start = admin::StartPcap::new(handle.id());
    start.folder = Some(folder.display().to_string());
    start.filename = Some("call.pcap".into());
    admin.admin(&start).unwrap();
    let peer = handle.peer().unwrap();
    // Audio through the EchoTest while dumping (Janus dumps RTP and RTCP, not SCTP): 25
    // packets of the Opus sample each way.
    let audio = peer
        .local_tracks()
        .unwrap()
        .into_iter()
        .find(|t| t.kind == janus_blocking::rtc::TrackKind::Audio)
        .unwrap()
        .mid;
    for frame in janus_tests::samples::opus().into_iter().take(25) {
        peer.write_frame(&audio, frame.rtp_time, &frame.data)
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    admin
        .admin(&admin::StopPcap {
            handle: handle.id(),
        })
        .unwrap();
    let pcap = std::fs::read(folder.join("call.pcap")).unwrap();
    // A pcap file: its magic number, and packets after the 24-byte file header (each at
    // least a 16-byte record header and an RTP header).
    assert!(pcap.len() > 24 + 25 * (16 + 12), "{} bytes", pcap.len());
    assert!(
        matches!(
            pcap[..4],
            [0xd4, 0xc3, 0xb2, 0xa1] | [0xa1, 0xb2, 0xc3, 0xd4]
        ),
        "{:02x?}",
        &pcap[..4]
    );
}

/// The same API through janus-tokio, over the admin WebSocket.
mod tokio_adapter {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn the_tokio_client_lists_sessions_and_reads_handle_info() {
        let janus = tokio::task::block_in_place(|| launch(Janus::builder()));
        let user = janus_tokio::Client::connect(ClientConfig::new([janus.ws_url()]).unwrap())
            .await
            .unwrap();
        let session = user.create_session().await.unwrap();
        let handle = session.attach(ECHOTEST).await.unwrap();
        let config = ClientConfig::new([janus.admin_ws_url().unwrap()])
            .unwrap()
            .admin_api(Some(SECRET));
        let admin = janus_tokio::Client::connect(config).await.unwrap();
        let sessions = admin.admin(&admin::ListSessions).await.unwrap().sessions;
        assert_eq!(sessions, [session.id()]);
        let info = admin
            .admin(&admin::HandleInfo::new(handle.id()))
            .await
            .unwrap();
        assert_eq!(info.info.plugin.as_deref(), Some(ECHOTEST));
        assert!(info.info.webrtc.is_none_or(|w| {
            w.dtls
                .is_none_or(|d| d.state.as_deref() != Some("connected"))
        }));
        let err = janus_tokio::Client::connect(
            ClientConfig::new([janus.admin_http_url().unwrap()])
                .unwrap()
                .admin_api(Some("wrong")),
        )
        .await
        .unwrap()
        .admin(&admin::GetStatus)
        .await
        .unwrap_err();
        assert_eq!(err.janus_code(), Some(ErrorCode::Unauthorized));
    }
}
