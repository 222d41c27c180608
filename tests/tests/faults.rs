//! A server that stalls: Janus stopped with SIGSTOP in the middle of requests, through both
//! adapters and both transports. Each request in flight ends with the typed timeout at its
//! deadline (and not before), keepalives too; after SIGCONT the late replies Janus then
//! sends for the requests that timed out are answers to nothing: a new `attach` gets its own
//! handle (of the plugin it asked for), a new message its own answer, and the session is
//! alive.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, Instant};

use janus_proto::plugin::videoroom::{Event as RoomEvent, List};
use janus_proto::{ClientConfig, RequestError};
use janus_tests::Janus;
use serde_json::json;

const ECHOTEST: &str = "janus.plugin.echotest";
const VIDEOROOM: &str = "janus.plugin.videoroom";
/// Each request's deadline while Janus is stopped.
const DEADLINE: Duration = Duration::from_secs(1);

fn config(url: &str) -> ClientConfig {
    ClientConfig::new([url]).unwrap().request_timeout(DEADLINE)
}

/// The typed timeout of a request Janus never answered.
fn assert_timed_out(err: &janus_rtc::ClientError, started: Instant, what: &str) {
    assert!(
        matches!(
            err,
            janus_rtc::ClientError::Request(RequestError::TimedOut { .. })
        ),
        "{what}: {err:?}"
    );
    assert!(
        started.elapsed() >= DEADLINE,
        "{what}: gave up before its deadline ({:?})",
        started.elapsed()
    );
}

mod blocking {
    use janus_blocking::Client;
    use janus_blocking::plugins::videoroom;

    use super::*;

    #[test]
    fn a_stopped_janus_times_requests_out_and_after_sigcont_each_new_request_gets_its_own_answer() {
        let janus = Janus::launch().unwrap();
        for url in [janus.ws_url(), janus.http_url()] {
            let client = Client::connect(config(&url)).unwrap();
            let session = client.create_session().unwrap();
            let echo = session.attach(ECHOTEST).unwrap();

            let frozen = janus.freeze().unwrap();
            let started = Instant::now();
            let err = session.attach(ECHOTEST).unwrap_err();
            assert_timed_out(&err, started, &format!("{url}: attach"));
            let started = Instant::now();
            let err = echo.message(json!({"audio": true}), None).unwrap_err();
            assert_timed_out(&err, started, &format!("{url}: message"));
            let started = Instant::now();
            let err = session.keepalive().unwrap_err();
            assert_timed_out(&err, started, &format!("{url}: keepalive"));
            drop(frozen);

            // Janus now answers the attach and the message that timed out; neither is taken
            // for an answer to what follows.
            let room = session.attach(VIDEOROOM).unwrap();
            let rooms = videoroom::request(&room, &List::new()).unwrap();
            assert!(matches!(rooms, RoomEvent::RoomList(_)), "{url}: {rooms:?}");
            let reply = echo.message(json!({"audio": false}), None).unwrap();
            assert_eq!(reply.data.data["result"], "ok", "{url}: {reply:?}");
            session.keepalive().unwrap();
            room.detach().unwrap();
            session.destroy().unwrap();
        }
    }
}

mod tokio_adapter {
    use std::future::Future;

    use janus_tokio::Client;
    use janus_tokio::plugins::videoroom;

    use super::*;

    fn run(body: impl Future<Output = ()>) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(60), body)
                .await
                .expect("test timed out");
        });
    }

    #[test]
    fn a_stopped_janus_times_requests_out_and_after_sigcont_each_new_request_gets_its_own_answer() {
        let janus = Janus::launch().unwrap();
        run(async {
            for url in [janus.ws_url(), janus.http_url()] {
                let client = Client::connect(config(&url)).await.unwrap();
                let session = client.create_session().await.unwrap();
                let echo = session.attach(ECHOTEST).await.unwrap();

                let frozen = janus.freeze().unwrap();
                let started = Instant::now();
                let err = session.attach(ECHOTEST).await.unwrap_err();
                assert_timed_out(&err, started, &format!("{url}: attach"));
                let started = Instant::now();
                let err = echo
                    .message(json!({"audio": true}), None)
                    .await
                    .unwrap_err();
                assert_timed_out(&err, started, &format!("{url}: message"));
                let started = Instant::now();
                let err = session.keepalive().await.unwrap_err();
                assert_timed_out(&err, started, &format!("{url}: keepalive"));
                drop(frozen);

                let room = session.attach(VIDEOROOM).await.unwrap();
                let rooms = videoroom::request(&room, &List::new()).await.unwrap();
                assert!(matches!(rooms, RoomEvent::RoomList(_)), "{url}: {rooms:?}");
                let reply = echo.message(json!({"audio": false}), None).await.unwrap();
                assert_eq!(reply.data.data["result"], "ok", "{url}: {reply:?}");
                session.keepalive().await.unwrap();
                room.detach().await.unwrap();
                session.destroy().await.unwrap();
            }
        });
    }
}
