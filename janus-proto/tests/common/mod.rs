//! What the plugin fixture tests of VideoCall, Record&Play, NoSIP, VoiceMail and SIP share:
//! reading `tests/fixtures/plugins/<plugin>/<janus version>/*.json` (and
//! `<plugin>/handwritten/*.handwritten.json`, named without the suffix) and decoding a
//! message's `plugindata`.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::{Path, PathBuf};

use janus_proto::PluginData;
use janus_proto::plugin::{DecodeError, PluginEvent};
use serde_json::Value;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// (folder, scenario name, the whole message) of every fixture of `plugin`.
pub(crate) fn fixtures(plugin: &str) -> Vec<(String, String, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plugins")
        .join(plugin);
    let mut paths = Vec::new();
    files(&root, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let folder = p.parent().unwrap().file_name().unwrap();
            let name = p.file_name().unwrap().to_string_lossy();
            let name = name
                .trim_end_matches(".json")
                .trim_end_matches(".handwritten");
            let text = std::fs::read_to_string(&p).unwrap();
            (
                folder.to_string_lossy().into_owned(),
                name.to_owned(),
                serde_json::from_str(&text).unwrap(),
            )
        })
        .collect()
}

/// The message's `plugindata` decoded as `E`.
pub(crate) fn decode<E: PluginEvent>(message: &Value) -> Result<E, DecodeError> {
    let data: PluginData = serde_json::from_value(message["plugindata"].clone()).unwrap();
    E::decode(&data)
}
