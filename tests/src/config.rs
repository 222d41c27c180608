//! Options of a Janus under test, and the config templates of `tests/config/` they fill.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{HarnessError, Result};
use crate::janus::Janus;

/// The checked-in templates: (file name, contents). `{{NAME}}` placeholders are filled by
/// [`render`]; every file lands in the instance's config folder.
const TEMPLATES: &[(&str, &str)] = &[
    ("janus.jcfg", include_str!("../config/janus.jcfg")),
    (
        "janus.transport.http.jcfg",
        include_str!("../config/janus.transport.http.jcfg"),
    ),
    (
        "janus.transport.websockets.jcfg",
        include_str!("../config/janus.transport.websockets.jcfg"),
    ),
    (
        "janus.plugin.echotest.jcfg",
        include_str!("../config/janus.plugin.echotest.jcfg"),
    ),
    (
        "janus.plugin.streaming.jcfg",
        include_str!("../config/janus.plugin.streaming.jcfg"),
    ),
    (
        "janus.plugin.videoroom.jcfg",
        include_str!("../config/janus.plugin.videoroom.jcfg"),
    ),
    (
        "janus.plugin.audiobridge.jcfg",
        include_str!("../config/janus.plugin.audiobridge.jcfg"),
    ),
    (
        "janus.plugin.textroom.jcfg",
        include_str!("../config/janus.plugin.textroom.jcfg"),
    ),
    (
        "janus.plugin.videocall.jcfg",
        include_str!("../config/janus.plugin.videocall.jcfg"),
    ),
    (
        "janus.plugin.recordplay.jcfg",
        include_str!("../config/janus.plugin.recordplay.jcfg"),
    ),
    (
        "janus.plugin.voicemail.jcfg",
        include_str!("../config/janus.plugin.voicemail.jcfg"),
    ),
    (
        "janus.plugin.sip.jcfg",
        include_str!("../config/janus.plugin.sip.jcfg"),
    ),
    (
        "janus.plugin.nosip.jcfg",
        include_str!("../config/janus.plugin.nosip.jcfg"),
    ),
];

/// Plugins disabled unless a test asks for them: the scripting plugins need scripts we do not
/// ship.
const DEFAULT_DISABLED_PLUGINS: &[&str] = &["lua", "duktape"];

/// How Janus formats the JSON it sends (`json` in the transports' config).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonStyle {
    /// Pretty-printed with indentation (Janus's default).
    #[default]
    Indented,
    /// One line, spaces after separators.
    Plain,
    /// One line, no spaces.
    Compact,
}

impl JsonStyle {
    fn as_str(self) -> &'static str {
        match self {
            Self::Indented => "indented",
            Self::Plain => "plain",
            Self::Compact => "compact",
        }
    }
}

/// Options of a Janus under test; [`JanusBuilder::launch`] starts it.
///
/// Defaults: `session_timeout` 60 s, `reclaim_session_timeout` 0, no API secret, no token
/// auth, no TLS, half-trickle, every plugin but the scripting ones (`lua`, `duktape`),
/// `debug_level` 4, indented JSON, 10 s to become ready, numeric plugin ids, the Janus binary named by
/// `JANUS_BINARY` or else Debian's (see [`JanusBuilder::binary`]).
#[derive(Clone, Debug)]
#[must_use]
pub struct JanusBuilder {
    pub(crate) session_timeout: u32,
    pub(crate) reclaim_session_timeout: u32,
    pub(crate) api_secret: Option<String>,
    pub(crate) token_auth_secret: Option<String>,
    pub(crate) tls: bool,
    pub(crate) full_trickle: bool,
    pub(crate) disabled_plugins: Vec<String>,
    pub(crate) only_plugins: Option<Vec<String>>,
    pub(crate) debug_level: u8,
    pub(crate) json: JsonStyle,
    pub(crate) server_name: String,
    pub(crate) start_timeout: Duration,
    pub(crate) extra_config: String,
    pub(crate) binary: Option<PathBuf>,
    pub(crate) string_ids: bool,
    pub(crate) admin_secret: Option<String>,
    pub(crate) stored_tokens: bool,
    pub(crate) slowlink_threshold: u32,
    pub(crate) every_media_address: bool,
    pub(crate) rtp_ports: u16,
}

impl Default for JanusBuilder {
    fn default() -> Self {
        Self {
            session_timeout: 60,
            reclaim_session_timeout: 0,
            api_secret: None,
            token_auth_secret: None,
            tls: false,
            full_trickle: false,
            disabled_plugins: DEFAULT_DISABLED_PLUGINS
                .iter()
                .map(|p| (*p).to_owned())
                .collect(),
            only_plugins: None,
            debug_level: 4,
            json: JsonStyle::Indented,
            server_name: "janus-tests".to_owned(),
            start_timeout: Duration::from_secs(10),
            extra_config: String::new(),
            binary: None,
            string_ids: false,
            admin_secret: None,
            slowlink_threshold: 0,
            stored_tokens: false,
            every_media_address: false,
            rtp_ports: 100,
        }
    }
}

impl JanusBuilder {
    /// Gives Janus at least `ports` RTP ports (default 100, in slots of 100, at most 12,000):
    /// each PeerConnection with bundled media takes one, so many concurrent calls need more.
    pub fn rtp_ports(mut self, ports: u16) -> Self {
        self.rtp_ports = ports.max(1);
        self
    }

    /// Default options (see the type's doc).
    pub fn new() -> Self {
        Self::default()
    }

    /// `session_timeout` in seconds (0 disables it); `info` reports it as `session-timeout`.
    pub fn session_timeout(mut self, seconds: u32) -> Self {
        self.session_timeout = seconds;
        self
    }

    /// `slowlink_threshold`: lost packets per second on a medium that make Janus send
    /// `slowlink` (0, Janus's default: never).
    pub fn slowlink_threshold(mut self, lost: u32) -> Self {
        self.slowlink_threshold = lost;
        self
    }

    /// `reclaim_session_timeout` in seconds: how long a session survives its transport so a
    /// client can `claim` it after reconnecting.
    pub fn reclaim_session_timeout(mut self, seconds: u32) -> Self {
        self.reclaim_session_timeout = seconds;
        self
    }

    /// `api_secret`: every request but `info` must carry `"apisecret"`.
    pub fn api_secret(mut self, secret: impl Into<String>) -> Self {
        self.api_secret = Some(secret.into());
        self
    }

    /// The Admin API on, over HTTP (`/admin`) and WebSocket, on loopback, with this
    /// `admin_secret` ([`Janus::admin_http_url`], [`Janus::admin_ws_url`]).
    pub fn admin_api(mut self, secret: impl Into<String>) -> Self {
        self.admin_secret = Some(secret.into());
        self
    }

    /// `token_auth = true` without a secret: tokens are the ones the Admin API stores
    /// (`add_token`); turn the Admin API on too ([`admin_api`](Self::admin_api)).
    pub fn stored_tokens(mut self) -> Self {
        self.stored_tokens = true;
        self
    }

    /// `token_auth = true` with `token_auth_secret = secret`: requests must carry a `"token"`
    /// signed with the secret (see [`crate::signed_token`] and [`Janus::token`]).
    pub fn token_auth(mut self, secret: impl Into<String>) -> Self {
        self.token_auth_secret = Some(secret.into());
        self
    }

    /// HTTPS and WSS next to plain HTTP and WS, with a certificate for `IP:127.0.0.1` issued
    /// by a CA generated for this instance ([`Janus::ca_cert_pem`]).
    pub fn tls(mut self, enabled: bool) -> Self {
        self.tls = enabled;
        self
    }

    /// `full_trickle`: Janus trickles its candidates as `trickle` events instead of putting
    /// them all in the SDP (half-trickle, the default).
    pub fn full_trickle(mut self, enabled: bool) -> Self {
        self.full_trickle = enabled;
        self
    }

    /// Disables a plugin, by short name (`"videoroom"`) or file name (`"libjanus_videoroom.so"`).
    pub fn disable_plugin(mut self, plugin: &str) -> Self {
        self.disabled_plugins.push(plugin.to_owned());
        self
    }

    /// Enables only these plugins (short names or file names); all others are disabled.
    pub fn only_plugins(mut self, plugins: &[&str]) -> Self {
        self.only_plugins = Some(plugins.iter().map(|p| (*p).to_owned()).collect());
        self
    }

    /// `debug_level`, 0 (none) to 7 (huge); the log is in [`Janus::log_path`].
    pub fn debug_level(mut self, level: u8) -> Self {
        self.debug_level = level.min(7);
        self
    }

    /// JSON style of both transports.
    pub fn json(mut self, style: JsonStyle) -> Self {
        self.json = style;
        self
    }

    /// `server_name`, reported by `info` as `server-name`.
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = name.into();
        self
    }

    /// How long a start may take before it fails (default 10 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Raw text appended to `janus.jcfg` (e.g. an extra section). Meant for tests of odd
    /// configurations; nothing checks it.
    pub fn extra_config(mut self, text: impl Into<String>) -> Self {
        self.extra_config.push('\n');
        self.extra_config.push_str(&text.into());
        self
    }

    /// The Janus binary to run, e.g. `<prefix>/bin/janus` of a source build (`cargo xtask
    /// janus-1.4` builds 1.4.1 and prints that path). Overrides the `JANUS_BINARY` environment
    /// variable; without either the harness runs the `janus` on PATH or `/usr/bin/janus`
    /// (Debian's 1.1.2). A binary under a prefix other than `/usr` gets that prefix's own
    /// `lib/janus/plugins` and `lib/janus/transports` (another version's plugins do not load).
    /// [`Janus::version`] says which version runs.
    pub fn binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.binary = Some(path.into());
        self
    }

    /// `string_ids = true` in the VideoRoom's and the AudioBridge's `general` section: room
    /// and participant ids are strings (`"1234"` for the template's room) instead of numbers.
    pub fn string_ids(mut self, enabled: bool) -> Self {
        self.string_ids = enabled;
        self
    }

    /// Janus gathers host candidates on every media address of the namespace, not only
    /// [`MEDIA_IP`](crate::MEDIA_IP): `ice_enforce_list` names 127.0.0.2, 127.0.0.4
    /// ([`MEDIA_IP_2`](crate::MEDIA_IP_2)) and fd00:6a61:6e75::2
    /// ([`MEDIA_IP6`](crate::MEDIA_IP6)), and `ipv6 = true` (`media` section) lets it use the
    /// IPv6 one. Never the TURN server's 127.0.0.3. Launching needs a namespace that has them
    /// ([`require_media_addresses`](crate::require_media_addresses)).
    pub fn every_media_address(mut self, enabled: bool) -> Self {
        self.every_media_address = enabled;
        self
    }

    /// Starts Janus with these options, inside the test namespace; see [`Janus::launch`].
    pub fn launch(self) -> Result<Janus> {
        Janus::launch_with(self)
    }
}

/// Ports and paths one instance's config needs.
#[derive(Clone, Debug)]
pub(crate) struct Placement<'a> {
    pub(crate) configs_folder: &'a Path,
    pub(crate) data_dir: &'a Path,
    pub(crate) lib_dir: &'a Path,
    pub(crate) http_port: u16,
    pub(crate) ws_port: u16,
    pub(crate) https_port: u16,
    pub(crate) wss_port: u16,
    /// The Admin API's HTTP and WebSocket ports (unused when it is off).
    pub(crate) admin_ports: (u16, u16),
    pub(crate) rtp_ports: (u16, u16),
    pub(crate) cert_paths: Option<(&'a Path, &'a Path)>,
}

/// Fills the templates and writes them into `placement.configs_folder`.
pub(crate) fn write_configs(options: &JanusBuilder, placement: &Placement<'_>) -> Result<()> {
    fs::create_dir_all(placement.configs_folder).map_err(|e| {
        HarnessError::io(
            format!("creating {}", placement.configs_folder.display()),
            e,
        )
    })?;
    let disabled = disabled_plugins(options, placement.lib_dir);
    let quoted = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let (cert_pem, cert_key) = match placement.cert_paths {
        Some((pem, key)) => (
            format!("cert_pem = \"{}\"", quoted(&pem.display().to_string())),
            format!("cert_key = \"{}\"", quoted(&key.display().to_string())),
        ),
        None => (String::new(), String::new()),
    };
    let values: Vec<(&str, String)> = vec![
        (
            "CONFIGS_FOLDER",
            quoted(&placement.configs_folder.display().to_string()),
        ),
        ("LIB_DIR", quoted(&placement.lib_dir.display().to_string())),
        (
            "DATA_DIR",
            quoted(&placement.data_dir.display().to_string()),
        ),
        ("DEBUG_LEVEL", options.debug_level.to_string()),
        ("MEDIA_IP", crate::netns::MEDIA_IP.to_string()),
        ("ICE_ENFORCE_LIST", ice_enforce_list(options)),
        ("IPV6", options.every_media_address.to_string()),
        ("SERVER_NAME", quoted(&options.server_name)),
        ("SESSION_TIMEOUT", options.session_timeout.to_string()),
        (
            "RECLAIM_SESSION_TIMEOUT",
            options.reclaim_session_timeout.to_string(),
        ),
        (
            "API_SECRET",
            options
                .api_secret
                .as_ref()
                .map(|s| format!("api_secret = \"{}\"", quoted(s)))
                .unwrap_or_default(),
        ),
        (
            "TOKEN_AUTH",
            if options.token_auth_secret.is_some() || options.stored_tokens {
                "token_auth = true".to_owned()
            } else {
                String::new()
            },
        ),
        (
            "TOKEN_AUTH_SECRET",
            options
                .token_auth_secret
                .as_ref()
                .map(|s| format!("token_auth_secret = \"{}\"", quoted(s)))
                .unwrap_or_default(),
        ),
        (
            "RTP_PORT_RANGE",
            format!("{}-{}", placement.rtp_ports.0, placement.rtp_ports.1),
        ),
        ("FULL_TRICKLE", options.full_trickle.to_string()),
        ("SLOWLINK_THRESHOLD", options.slowlink_threshold.to_string()),
        ("DISABLED_PLUGINS", disabled.join(",")),
        ("JSON", options.json.as_str().to_owned()),
        ("HTTP_PORT", placement.http_port.to_string()),
        ("WS_PORT", placement.ws_port.to_string()),
        ("HTTPS_PORT", placement.https_port.to_string()),
        ("WSS_PORT", placement.wss_port.to_string()),
        ("TLS", options.tls.to_string()),
        ("ADMIN", options.admin_secret.is_some().to_string()),
        ("ADMIN_HTTP_PORT", placement.admin_ports.0.to_string()),
        ("ADMIN_WS_PORT", placement.admin_ports.1.to_string()),
        (
            "ADMIN_SECRET",
            options
                .admin_secret
                .as_ref()
                .map(|s| format!("admin_secret = \"{}\"", quoted(s)))
                .unwrap_or_default(),
        ),
        ("CERT_PEM", cert_pem),
        ("CERT_KEY", cert_key),
        (
            "STRING_IDS",
            if options.string_ids {
                "string_ids = true".to_owned()
            } else {
                String::new()
            },
        ),
    ];
    for sub in ["recordings", "voicemail"] {
        let dir = placement.data_dir.join(sub);
        fs::create_dir_all(&dir)
            .map_err(|e| HarnessError::io(format!("creating {}", dir.display()), e))?;
    }
    for (name, template) in TEMPLATES {
        if !plugin_present(name, placement.lib_dir) {
            continue;
        }
        let mut text = render(name, template, &values)?;
        if *name == "janus.jcfg" {
            text.push_str(&options.extra_config);
            text.push('\n');
        }
        let path = placement.configs_folder.join(name);
        fs::write(&path, text)
            .map_err(|e| HarnessError::io(format!("writing {}", path.display()), e))?;
    }
    Ok(())
}

/// The addresses Janus gathers on (`ice_enforce_list`), comma-separated.
pub(crate) fn ice_enforce_list(options: &JanusBuilder) -> String {
    use crate::netns::{MEDIA_IP, MEDIA_IP_2, MEDIA_IP6};
    if options.every_media_address {
        format!("{MEDIA_IP},{MEDIA_IP_2},{MEDIA_IP6}")
    } else {
        MEDIA_IP.to_string()
    }
}

/// Replaces every `{{NAME}}` of `template`; a placeholder left over is an error.
pub(crate) fn render(
    name: &'static str,
    template: &str,
    values: &[(&str, String)],
) -> Result<String> {
    let mut text = template.to_owned();
    for (key, value) in values {
        text = text.replace(&format!("{{{{{key}}}}}"), value);
    }
    // Comments may mention the syntax; only non-comment lines must be fully rendered.
    if let Some(line) = text
        .lines()
        .find(|l| l.contains("{{") && !l.trim_start().starts_with('#'))
    {
        return Err(HarnessError::Template {
            template: name,
            snippet: line.trim().to_owned(),
        });
    }
    Ok(text)
}

/// Whether the Janus whose modules are in `lib_dir` has the plugin a template configures
/// (`janus.plugin.<name>.jcfg`); true for other templates, and when the folder cannot be read.
/// Versions differ here: VoiceMail is in Debian's 1.1.2 but was removed in 1.1.3, so 1.4.1
/// gets no `janus.plugin.voicemail.jcfg`.
fn plugin_present(template: &str, lib_dir: &Path) -> bool {
    let Some(plugin) = template
        .strip_prefix("janus.plugin.")
        .and_then(|t| t.strip_suffix(".jcfg"))
    else {
        return true;
    };
    let plugins = lib_dir.join("plugins");
    !plugins.is_dir() || plugins.join(format!("libjanus_{plugin}.so")).exists()
}

/// The `disable = ".."` list of `janus.jcfg`'s `plugins` section.
fn disabled_plugins(options: &JanusBuilder, lib_dir: &Path) -> Vec<String> {
    let file_name = |p: &str| {
        if p.ends_with(".so") {
            p.to_owned()
        } else {
            format!("libjanus_{p}.so")
        }
    };
    let mut disabled: Vec<String> = options
        .disabled_plugins
        .iter()
        .map(|p| file_name(p))
        .collect();
    if let Some(only) = &options.only_plugins {
        let keep: Vec<String> = only.iter().map(|p| file_name(p)).collect();
        disabled.retain(|p| !keep.contains(p));
        if let Ok(entries) = fs::read_dir(lib_dir.join("plugins")) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(".so") && !keep.contains(&name) && !disabled.contains(&name) {
                    disabled.push(name);
                }
            }
        }
    }
    disabled.sort();
    disabled.dedup();
    disabled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_fills_placeholders_and_rejects_leftovers() {
        let values = vec![("PORT", "8088".to_owned())];
        let text = render("t", "# {{ANY}} in a comment\nport = {{PORT}}\n", &values)
            .expect("all placeholders known");
        assert!(text.contains("port = 8088"));
        let err =
            render("t", "port = {{PORT}}\nip = {{IP}}\n", &values).expect_err("{{IP}} is unknown");
        assert!(err.to_string().contains("ip = {{IP}}"), "{err}");
    }

    /// The `janus.jcfg` that `options` render, in a folder of its own (`tag`) removed after.
    fn rendered_core(options: &JanusBuilder, tag: &str) -> String {
        let dir = std::env::temp_dir().join(format!("janus-tests-{tag}-{}", std::process::id()));
        let placement = Placement {
            configs_folder: &dir,
            data_dir: &dir,
            lib_dir: Path::new("/nonexistent"),
            http_port: 1,
            ws_port: 2,
            https_port: 3,
            wss_port: 4,
            admin_ports: (5, 6),
            rtp_ports: (20000, 20099),
            cert_paths: None,
        };
        let written = write_configs(options, &placement);
        let core = fs::read_to_string(dir.join("janus.jcfg")).unwrap_or_default();
        let _ = fs::remove_dir_all(&dir);
        written.expect("templates render");
        core
    }

    #[test]
    fn every_template_renders_with_default_options() {
        let core = rendered_core(&JanusBuilder::new().api_secret("s\"x"), "render");
        assert!(core.contains("rtp_port_range = \"20000-20099\""), "{core}");
        assert!(core.contains("api_secret = \"s\\\"x\""), "{core}");
        assert!(core.contains("ice_enforce_list = \"127.0.0.2\""), "{core}");
        assert!(core.contains("libjanus_lua.so"), "{core}");
        assert!(core.contains("ipv6 = false"), "{core}");
    }

    #[test]
    fn every_media_address_enforces_all_three_and_enables_ipv6() {
        let options = JanusBuilder::new().every_media_address(true);
        assert_eq!(
            ice_enforce_list(&options),
            "127.0.0.2,127.0.0.4,fd00:6a61:6e75::2"
        );
        let core = rendered_core(&options, "render6");
        assert!(
            core.contains("ice_enforce_list = \"127.0.0.2,127.0.0.4,fd00:6a61:6e75::2\""),
            "{core}"
        );
        assert!(core.contains("ipv6 = true"), "{core}");
        assert!(!core.contains("ice_ignore_list ="), "{core}");
    }

    #[test]
    fn only_plugins_keeps_listed_ones_enabled() {
        let options = JanusBuilder::new().only_plugins(&["lua"]);
        let disabled = disabled_plugins(&options, Path::new("/nonexistent"));
        assert_eq!(disabled, vec!["libjanus_duktape.so".to_owned()]);
    }
}
