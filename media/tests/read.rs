//! Reading the committed samples: frame counts, timestamps, durations.
#![allow(missing_docs, clippy::unwrap_used)]

use janus_media::{Codec, IvfReader, OpusReader, ogg_opus::packet_duration};

const VIDEO: &[u8] = include_bytes!("../samples/video.ivf");
const AUDIO: &[u8] = include_bytes!("../samples/audio.opus");

#[test]
fn vp8_sample_has_90_frames_at_3000_tick_steps() {
    let reader = IvfReader::new(VIDEO).unwrap();
    let h = reader.header().clone();
    assert_eq!(h.codec, Some(Codec::Vp8));
    assert_eq!(
        (h.width, h.height, h.rate, h.scale, h.frame_count),
        (320, 240, 30, 1, 90)
    );
    let frames = reader.into_frames().unwrap();
    assert_eq!(frames.len(), 90);
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f.rtp_time, i as u64 * 3000, "frame {i}");
        assert_eq!(f.duration, 3000);
        // -g 30: a keyframe every 30 frames.
        assert_eq!(f.keyframe, i % 30 == 0, "frame {i}");
    }
    let last = frames.last().unwrap();
    assert_eq!(last.rtp_time + last.duration, 3 * 90_000);
}

#[test]
fn opus_sample_has_151_packets_of_20ms() {
    let reader = OpusReader::new(AUDIO).unwrap();
    assert_eq!(reader.channels(), 1);
    assert_eq!(reader.pre_skip(), 312);
    assert_eq!(reader.head().input_sample_rate, 48_000);
    let frames = reader.into_frames().unwrap();
    // 3 s of audio plus libopus's 312-sample look-ahead need 151 packets of 20 ms; the last
    // page's granule trims the end (ffprobe: 3.0065 s).
    assert_eq!(frames.len(), 151);
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f.duration, 960, "packet {i}");
        assert_eq!(f.rtp_time, i as u64 * 960, "packet {i}");
        assert!(f.keyframe);
    }
}

#[test]
fn opus_reader_works_on_a_non_seekable_reader() {
    // A reader that hands out a few bytes at a time and cannot seek (like a pipe).
    struct Trickle<'a>(&'a [u8]);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(7);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let frames = OpusReader::new(Trickle(AUDIO))
        .unwrap()
        .into_frames()
        .unwrap();
    let direct = OpusReader::new(AUDIO).unwrap().into_frames().unwrap();
    assert_eq!(frames, direct);
    // Garbage before the first page: the capture-pattern search reads ahead and seeks back.
    let mut junk = vec![0x55; 3000];
    junk.extend_from_slice(AUDIO);
    let frames = OpusReader::new(Trickle(&junk))
        .unwrap()
        .into_frames()
        .unwrap();
    assert_eq!(frames, direct);
}

#[test]
fn toc_durations() {
    // config 31 (CELT 20 ms), code 0: one frame.
    assert_eq!(packet_duration(&[0xF8]), Some(960));
    // config 3 (SILK 60 ms), code 1: two frames.
    assert_eq!(packet_duration(&[0x19, 0]), Some(5760));
    // config 16 (CELT 2.5 ms), code 3 with 4 frames.
    assert_eq!(packet_duration(&[0x83, 4]), Some(480));
    // code 3 with 0 frames, or over 120 ms, or empty: malformed.
    assert_eq!(packet_duration(&[0x83, 0]), None);
    assert_eq!(packet_duration(&[0x1B, 3]), None);
    assert_eq!(packet_duration(&[]), None);
}

#[test]
fn bad_files_are_errors() {
    assert!(IvfReader::new(&b"DKIX"[..]).is_err());
    assert!(
        IvfReader::new(&VIDEO[..100])
            .and_then(IvfReader::into_frames)
            .is_err()
    );
    assert!(OpusReader::new(VIDEO).is_err());
    assert!(OpusReader::new(&[][..]).is_err());
}

#[test]
fn the_h264_sample_reads_as_90_access_units_with_an_idr_each_second() {
    let file = janus_media::samples::h264().unwrap();
    assert_eq!(file.codec, janus_media::Codec::H264);
    assert_eq!(file.frames.len(), 90);
    let keys: Vec<usize> = (0..90).filter(|&i| file.frames[i].keyframe).collect();
    assert_eq!(keys, [0, 30, 60]);
    assert_eq!(file.frames[31].rtp_time, 31 * 3000);
    assert_eq!(file.duration(), std::time::Duration::from_secs(3));
    for f in &file.frames {
        // Every frame starts with a start code and an access unit delimiter (NAL type 9).
        assert_eq!(f.data[..5], [0, 0, 0, 1, 0x09], "{:02x?}", &f.data[..8]);
    }
    // An IDR frame carries its parameter sets: SPS (7), PPS (8) before the slice.
    let types: Vec<u8> = nal_types(&file.frames[30].data);
    assert!(
        types.starts_with(&[9, 7, 8]) && types.contains(&5),
        "{types:?}"
    );
}

#[test]
fn h264_written_back_is_the_same_byte_stream() {
    let file = janus_media::samples::h264().unwrap();
    let mut w = janus_media::H264Writer::new(Vec::new());
    for f in &file.frames {
        w.write_frame(f.rtp_time, &f.data).unwrap();
    }
    assert_eq!(w.frames(), 90);
    let written = w.finish().unwrap();
    let again = janus_media::MediaFile::read(&written[..]).unwrap();
    assert_eq!(again.frames, file.frames);
}

#[test]
fn not_h264_is_a_typed_error() {
    let err = janus_media::H264Reader::new(&[1u8, 2, 3][..], 30).unwrap_err();
    assert!(matches!(err, janus_media::Error::Invalid { .. }), "{err}");
    assert!(janus_media::H264Reader::new(&[0u8, 0, 0, 1, 0x67][..], 0).is_err());
}

fn nal_types(au: &[u8]) -> Vec<u8> {
    au.windows(4)
        .filter(|w| w[..3] == [0, 0, 1])
        .map(|w| w[3] & 0x1F)
        .collect()
}
