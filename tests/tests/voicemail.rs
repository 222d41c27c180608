//! The VoiceMail workflow of both adapters (`plugins::voicemail::VoiceMessage`) against the
//! real plugin, with real media: Debian's Janus 1.1.2 (1.4.1 ships no
//! VoiceMail plugin, and the tests say so and skip). Our offer of audio is answered, the
//! typed `started` comes once the connection is up, the Opus sample flows for two seconds,
//! `stop` is the typed `done` naming the file; the file in the plugin's folder is Ogg Opus
//! as `ffprobe` reads it, of about the length sent, and janus-media's Ogg reader finds in
//! it the very Opus frames we sent. The plugin then ends the handle (`detached`). An
//! `update` while not recording is the typed `InvalidState`.
//! `blocking` and `tokio_adapter` run the same scenario, each on its adapter.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::HashSet;
use std::path::Path;

use janus_proto::plugin::voicemail::{Done, ErrorCode, PLUGIN};
use janus_rtc::HandleEvent;
use janus_tests::Janus;
use janus_tests::samples;
use janus_tests::tools::ffprobe;

/// How long the Opus sample is sent.
const SENDING_MS: u64 = 2000;

/// Whether this Janus has the plugin; says why not when it has not.
fn has_voicemail(janus: &Janus) -> bool {
    if janus.has_plugin(PLUGIN).unwrap() {
        return true;
    }
    janus_tests::skip(&format!(
        "Janus {} has no VoiceMail plugin",
        janus.version().string
    ));
    false
}

/// The file `done` names is in the plugin's folder, Ogg Opus of about the length sent,
/// and its packets are the sample's.
fn check_message(dir: &Path, done: &Done) {
    let name = done.file_name().expect("done names the file");
    assert!(
        name.starts_with("janus-voicemail-") && name.ends_with(".opus"),
        "{done:?}"
    );
    let path = dir.join(name);
    let probe = ffprobe(&path).unwrap();
    assert_eq!(probe.format, "ogg", "{probe:?}");
    assert_eq!(probe.codecs, ["opus"], "{probe:?}");
    let sent = SENDING_MS as f64 / 1000.0;
    assert!(
        probe.duration > sent - 1.0 && probe.duration < sent + 1.0,
        "{probe:?}, {sent} s sent"
    );
    let file = std::fs::File::open(&path).unwrap();
    let frames = janus_media::OpusReader::new(std::io::BufReader::new(file))
        .and_then(janus_media::OpusReader::into_frames)
        .unwrap();
    let sample: HashSet<Vec<u8>> = samples::opus().into_iter().map(|f| f.data).collect();
    let same = frames.iter().filter(|f| sample.contains(&f.data)).count();
    assert!(frames.len() >= 50, "{} frames in the message", frames.len());
    assert!(
        same + 2 >= frames.len(),
        "{same} of {} frames are the sample's",
        frames.len()
    );
}

fn is_detached(e: &HandleEvent) -> bool {
    matches!(e.janus(), Some(janus_proto::Event::Detached { .. }))
}

fn code(e: Option<u16>) -> Option<ErrorCode> {
    e.map(ErrorCode::from_code)
}

mod blocking {
    use std::time::{Duration, Instant};

    use janus_blocking::Client;
    use janus_blocking::plugins::voicemail::{self, VoiceMessage};
    use janus_blocking::rtc::PeerConfig;
    use janus_proto::ClientConfig;
    use janus_proto::plugin::voicemail::Update;
    use janus_tests::rtc::{WAIT, pick};
    use janus_tests::samples::{Kind, Samples};

    use super::*;

    #[test]
    fn a_voice_message_of_the_opus_sample_is_an_ogg_opus_file_of_its_frames() {
        let janus = Janus::launch().unwrap();
        if !has_voicemail(&janus) {
            return;
        }
        let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
        let session = client.create_session().unwrap();
        let ip = janus.media_ip().into();
        let message = VoiceMessage::record(&session, PeerConfig::default(), ip).unwrap();
        message
            .handle()
            .events()
            .wait_for(WAIT, pick::connected)
            .unwrap();
        message.wait_started(WAIT).unwrap();
        let peer = message.handle().peer().unwrap();
        let mid = peer.local_tracks().unwrap()[0].mid.clone();
        let start = Instant::now();
        let mut samples = Samples::new(start, false);
        while start.elapsed() < Duration::from_millis(SENDING_MS) {
            let (frames, next) = samples.due(Instant::now());
            for (kind, f) in frames {
                assert_eq!(kind, Kind::Audio);
                let _ = peer.write_frame(&mid, f.rtp_time, &f.data);
            }
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
        let done = message.stop().unwrap();
        check_message(&janus.voicemail_dir(), &done);
        message
            .handle()
            .events()
            .wait_for(WAIT, |e| is_detached(&e).then_some(()))
            .unwrap();
    }

    #[test]
    fn updating_a_voice_message_that_is_not_recording_is_a_typed_invalid_state() {
        let janus = Janus::launch().unwrap();
        if !has_voicemail(&janus) {
            return;
        }
        let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
        let session = client.create_session().unwrap();
        let handle = session.attach(PLUGIN).unwrap();
        let e = voicemail::request(&handle, &Update::new()).unwrap_err();
        assert_eq!(code(e.plugin_code()), Some(ErrorCode::InvalidState), "{e}");
    }
}

mod tokio_adapter {
    use std::future::Future;
    use std::time::{Duration, Instant};

    use janus_proto::ClientConfig;
    use janus_tests::rtc::{WAIT, pick};
    use janus_tests::samples::Samples;
    use janus_tokio::Client;
    use janus_tokio::plugins::voicemail::VoiceMessage;
    use janus_tokio::rtc::PeerConfig;

    use super::*;

    async fn within<T>(body: impl Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(60), body)
            .await
            .expect("test timed out")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_voice_message_of_the_opus_sample_is_an_ogg_opus_file_of_its_frames() {
        let janus = Janus::launch().unwrap();
        if !has_voicemail(&janus) {
            return;
        }
        within(async {
            let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap())
                .await
                .unwrap();
            let session = client.create_session().await.unwrap();
            let ip = janus.media_ip().into();
            let message = VoiceMessage::record(&session, PeerConfig::default(), ip)
                .await
                .unwrap();
            message
                .handle()
                .events()
                .wait_for(WAIT, pick::connected)
                .await
                .unwrap();
            message.wait_started(WAIT).await.unwrap();
            let peer = message.handle().peer().unwrap();
            let mid = peer.local_tracks().await.unwrap()[0].mid.clone();
            let start = Instant::now();
            let mut samples = Samples::new(start, false);
            while start.elapsed() < Duration::from_millis(SENDING_MS) {
                let (frames, next) = samples.due(Instant::now());
                for (_, f) in frames {
                    let _ = peer.write_frame(&mid, f.rtp_time, &f.data).await;
                }
                tokio::time::sleep_until(next.into()).await;
            }
            let done = message.stop().await.unwrap();
            check_message(&janus.voicemail_dir(), &done);
            message
                .handle()
                .events()
                .wait_for(WAIT, |e| is_detached(&e).then_some(()))
                .await
                .unwrap();
        })
        .await;
    }
}
