//! Project tasks, run as `cargo xtask <task>`:
//!
//! - `cargo xtask demo`: install what is missing, build the demo, run it in the test namespace.
//! - `cargo xtask test`: everything CI runs (fmt, clippy, docs, dependency fence, packaging,
//!   all tests inside the test namespace, fuzz corpus runs).
//! - `cargo xtask netns -- <cmd> [args..]`: run any command inside a fresh private network
//!   namespace that holds loopback plus a veth `v0` carrying 127.0.0.2, 127.0.0.3, 127.0.0.4
//!   and fd00:6a61:6e75::2 (see README.md).
//! - `cargo xtask install`: install the Janus server (Debian package), iproute2, ffmpeg,
//!   janus-tools, sip-tester (sipp) and coturn if missing.
//! - `cargo xtask bench [-- signalling|scale|webrtc|pcs|failover ..]`: run the anchors of `../shared/anchors`
//!   and our benchmarks in the test namespace, write `target/bench/bench.md` and `bench.json`.
//! - `cargo xtask janus-1.4`: build Janus 1.4.1 from `../shared/janus/` into a cache folder
//!   outside the repository (once; later runs reuse it) and print the path of its binary.
//!
//! Dependency-free on purpose: everything here is `std::process::Command`.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Name of the hidden subcommand that runs inside the fresh namespaces (as its init process).
const NETNS_INNER: &str = "__netns-inner";

/// The media address of the test namespace; must match `janus_tests::MEDIA_IP`.
const MEDIA_ADDR: &str = "127.0.0.2/32";
/// The TURN server's own address (coturn, for the `iceServers` tests), on `v0` too: libnice
/// sends only through the interface of its address, so Janus reaches nothing else (Janus
/// gathers on 127.0.0.2 alone: `ice_enforce_list` names the address).
const TURN_ADDR: &str = "127.0.0.3/32";
/// A second media address on `v0`, for peers and a Janus that gather on several addresses
/// (issue #18); must match `janus_tests::MEDIA_IP_2`.
const MEDIA_ADDR_2: &str = "127.0.0.4/32";
/// The namespace's IPv6 media address, a ULA on `v0` (`nodad`: usable at once, no duplicate
/// address detection to wait for; `noprefixroute`: only its `local` route, so the namespace
/// still routes nowhere); must match `janus_tests::MEDIA_IP6`.
const MEDIA_ADDR6: &str = "fd00:6a61:6e75::2/128";

/// A failed task: the message is printed, the exit code propagated.
struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 1,
        }
    }
}

type Result<T = ()> = std::result::Result<T, Failure>;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  demo                      install what is missing, build and run the demo in the test namespace
  test                      everything CI runs: install, fmt, clippy, build, all tests in the namespace
  netns -- <cmd> [args..]   run a command inside a private network namespace (lo + veth v0 = 127.0.0.2, .3, .4, fd00:6a61:6e75::2)
  install                   install janus, iproute2, ffmpeg, janus-tools, sipp, coturn (apt) when missing
  bench [-- PART..]         anchors + our benchmarks in the namespace, one table in target/bench/
                            (PART: signalling, scale, webrtc, pcs, failover; default all)
  janus-1.4                 build Janus 1.4.1 from ../shared/janus once (cached), print its binary
";

fn main() -> ExitCode {
    let args: Vec<OsString> = env::args_os().skip(1).collect();
    let task = args.first().and_then(|a| a.to_str()).unwrap_or("");
    let rest = args.get(1..).unwrap_or_default();
    let result = match task {
        "demo" => demo(),
        "test" => test(),
        "install" => install(),
        "bench" => bench(strip_dashdash(rest)),
        "janus-1.4" => janus_14(),
        "netns" => netns(strip_dashdash(rest)),
        NETNS_INNER => netns_inner(strip_dashdash(rest)),
        "help" | "-h" | "--help" => {
            eprint!("{USAGE}");
            Ok(())
        }
        other => Err(Failure::new(format!("unknown task {other:?}\n\n{USAGE}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if !failure.message.is_empty() {
                eprintln!("xtask: {}", failure.message);
            }
            ExitCode::from(failure.code.max(1))
        }
    }
}

fn strip_dashdash(args: &[OsString]) -> &[OsString] {
    match args.first() {
        Some(first) if first == "--" => &args[1..],
        _ => args,
    }
}

// ---------------------------------------------------------------------------------------------
// Tasks
// ---------------------------------------------------------------------------------------------

/// `cargo xtask test`: the README's test command; exactly what CI runs.
fn test() -> Result {
    step("install missing system packages");
    install()?;
    // Needs the network for the build dependencies, so before anything runs offline.
    step(&format!(
        "Janus {JANUS_SRC_VERSION} from ../shared/janus (built once, then cached)"
    ));
    let janus_new = janus_source_build()?;
    step("cargo fmt --all -- --check");
    cargo(&["fmt", "--all", "--", "--check"])?;
    step("cargo clippy --workspace --all-targets -- -D warnings");
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    crate_checks()?;
    step("build all tests (network still available)");
    cargo(&["nextest", "run", "--workspace", "--no-run"])?;
    // The doc tests compile when they run: fetch anything they could need first.
    cargo(&["fetch"])?;
    step("tests inside the namespace: cargo nextest run --workspace (offline)");
    nextest_in_netns(None, &["--workspace"])?;
    step("doc tests inside the namespace: cargo test --workspace --doc (offline)");
    in_netns(&["cargo", "test", "--workspace", "--doc"])?;
    step(&format!(
        "tests against Janus {JANUS_SRC_VERSION} inside the namespace (JANUS_BINARY={})",
        janus_new.display()
    ));
    // `--workspace` plus a package filter, not `-p janus-tests`: the same feature set as the
    // run above, so nothing is rebuilt (offline) inside the namespace.
    let filter = format!(
        "package(janus-tests) & ({})",
        TESTS_ON_NEW_JANUS
            .iter()
            .map(|binary| format!("binary({binary})"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    nextest_in_netns(Some(&janus_new), &["--workspace", "-E", &filter])?;
    extra_test_steps()?;
    step("all checks passed");
    Ok(())
}

/// The integration-test binaries of `janus-tests` that also run against the Janus built from
/// source: signalling, auth, lifecycle, TLS, the EchoTest (and through coturn, and on several
/// local addresses, IPv4 and IPv6), VideoRoom (end-to-end encryption
/// too), VideoCall and TextRoom WebRTC tests, the VideoRoom, AudioBridge, Streaming, TextRoom, Record&Play, NoSIP and
/// VoiceMail workflows (VoiceMail's tests skip themselves, saying so: 1.4.1 has no VoiceMail),
/// janusctl's commands, the Admin API, the faults and the secrets and sockets hygiene tests.
/// (nextest's `binary(..)` filter: a bare name filter would match test names.)
const TESTS_ON_NEW_JANUS: [&str; 29] = [
    "faults",
    "sip",
    "secrets_hygiene",
    "blocking_signalling",
    "tokio_signalling",
    "janus_auth",
    "janus_lifecycle",
    "janus_starts",
    "janus_tls",
    "rtc_echotest",
    "rtc_tokio",
    "rtc_videoroom",
    "rtc_e2ee",
    "rtc_turn",
    "rtc_interfaces",
    "rtc_videocall",
    "rtc_textroom",
    "videoroom",
    "audiobridge",
    "streaming_blocking",
    "streaming_tokio",
    "textroom_blocking",
    "textroom_tokio",
    "recordplay",
    "nosip",
    "voicemail",
    "cli_commands",
    "publish_record",
    "admin_api",
];

/// `cargo nextest run <args>` inside a fresh namespace, against `janus` (the harness's
/// `JANUS_BINARY`) or else Debian's Janus; afterwards prints the tests that skipped themselves
/// because the server lacked a feature (the harness's `janus_tests::skip` writes them to
/// `JANUS_TESTS_SKIP_LOG`), so a skip is never silent.
fn nextest_in_netns(janus: Option<&Path>, args: &[&str]) -> Result {
    let target =
        env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo_root().join("target"), PathBuf::from);
    let skip_log = target.join(format!(
        "janus-skips-{}.txt",
        if janus.is_some() { "source" } else { "debian" }
    ));
    let _ = std::fs::remove_file(&skip_log);
    // `env [-u NAME] NAME=VALUE.. cmd`: env's options must come before the assignments.
    let mut command: Vec<OsString> = vec!["env".into()];
    if janus.is_none() {
        // Debian's, even when the caller's environment names another binary.
        command.extend(["-u", "JANUS_BINARY"].map(OsString::from));
    }
    let mut skip_var = OsString::from("JANUS_TESTS_SKIP_LOG=");
    skip_var.push(&skip_log);
    command.push(skip_var);
    if let Some(janus) = janus {
        let mut var = OsString::from("JANUS_BINARY=");
        var.push(janus);
        command.push(var);
    }
    command.extend(["cargo", "nextest", "run"].map(OsString::from));
    command.extend(args.iter().map(OsString::from));
    let result = netns(&command);
    if let Ok(skips) = std::fs::read_to_string(&skip_log) {
        eprintln!(
            "xtask: {} skipped by the server's version:\n{skips}",
            skips.lines().count()
        );
    }
    result
}

/// The crates a user may publish and depend on.
const PUBLISHED: [&str; 5] = [
    "janus-proto",
    "janus-rtc",
    "janus-tokio",
    "janus-blocking",
    "janus-media",
];

/// What the sans-IO cores must never reach, even through a dependency.
const IO_CRATES: [&str; 5] = ["tokio", "mio", "ureq", "tungstenite", "reqwest"];

/// The docs build without a warning; the sans-IO cores cannot reach an I/O crate; every
/// publishable crate packages (and builds from its package).
fn crate_checks() -> Result {
    step("cargo doc --workspace --no-deps (RUSTDOCFLAGS=-D warnings)");
    run(
        Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(["doc", "--workspace", "--no-deps"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    for core in ["janus-proto", "janus-rtc"] {
        step(&format!(
            "cargo tree -p {core}: no {}",
            IO_CRATES.join(", ")
        ));
        let tree = cargo_output(&["tree", "-p", core, "-e", "normal", "--prefix", "none"])?;
        let reached: Vec<&str> = tree
            .lines()
            .filter(|line| {
                let name = line.split(' ').next().unwrap_or_default();
                IO_CRATES.contains(&name)
            })
            .collect();
        if !reached.is_empty() {
            return Err(Failure::new(format!(
                "{core} reaches I/O crates: {}",
                reached.join("; ")
            )));
        }
    }
    step("cargo package of every publishable crate");
    forget_packaged_crates();
    let mut args = vec!["package", "--allow-dirty"];
    for name in PUBLISHED {
        args.extend(["-p", name]);
    }
    cargo(&args)
}

/// `cargo package` verifies each crate against the others through a local registry, which
/// cargo unpacks under `$CARGO_HOME/registry/src/-<hash>/` and never unpacks again for the same
/// name and version: a later run (a new commit, same version) would build against the old
/// sources. Those unpacked copies of our own crates are removed first.
fn forget_packaged_crates() {
    let home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let Some(src) = home.map(|h| h.join("registry/src")) else {
        return;
    };
    let Ok(registries) = std::fs::read_dir(&src) else {
        return;
    };
    for registry in registries.flatten() {
        // Local registries have no name before the hash.
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        let Ok(crates) = std::fs::read_dir(registry.path()) else {
            continue;
        };
        for unpacked in crates.flatten() {
            let name = unpacked.file_name().to_string_lossy().into_owned();
            if PUBLISHED.iter().any(|c| name.starts_with(&format!("{c}-"))) {
                let _ = std::fs::remove_dir_all(unpacked.path());
            }
        }
    }
}

/// Later CI steps go here (fuzz corpus replay, short fuzz runs, benchmarks smoke runs).
///
/// Each step should call [`step`] first, and run inside the namespace with [`in_netns`] when
/// it starts a Janus or must stay offline.
fn extra_test_steps() -> Result {
    // Short runs of the fuzz targets (fuzz/, its own workspace, nightly only; their entry
    // points are janus_sim::fuzz). The committed corpora are already replayed on stable by the
    // tests above (janus-proto/tests/fuzz_corpus_replay.rs, janus-rtc/tests/
    // fuzz_corpus_replay.rs); this adds ~10 s of fresh inputs per target.
    // Network: installing cargo-fuzz and fetching the fuzz crate's dependencies only; the
    // build and the runs are offline. New corpus entries go to fuzz/target, not the tree.
    const TARGETS: [&str; 6] = [
        "incoming_json",
        "client_inputs",
        "plugin_events",
        "rtc_inputs",
        "http_response",
        "turn_stream",
    ];
    const SECONDS: &str = "-max_total_time=10";
    const RUNS: &str = "-runs=5000000";
    let fuzz_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    // The rustup proxy, not `$CARGO` (the stable cargo running this task): `+nightly` needs it.
    let nightly = |args: &[&str]| {
        let mut c = Command::new("cargo");
        c.arg("+nightly")
            .args(args)
            .current_dir(&fuzz_dir)
            .env_remove("CARGO")
            .env_remove("RUSTUP_TOOLCHAIN");
        c
    };
    let has_nightly = nightly(&["--version"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_nightly {
        step("fuzz: skipped (no nightly toolchain; `rustup toolchain install nightly`)");
        return Ok(());
    }
    if find_program("cargo-fuzz").is_none() {
        step("fuzz: cargo install cargo-fuzz --locked");
        run(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))?;
    }
    step("fuzz: fetch the fuzz crate's dependencies");
    run(&mut nightly(&["fetch", "--locked"]))?;
    step("fuzz: cargo +nightly fuzz build (offline)");
    run(nightly(&["fuzz", "build"]).env("CARGO_NET_OFFLINE", "true"))?;
    for target in TARGETS {
        step(&format!("fuzz: {target}, 10 s (offline)"));
        let scratch = fuzz_dir.join("target/ci-corpus").join(target);
        std::fs::create_dir_all(&scratch)
            .map_err(|e| Failure::new(format!("{}: {e}", scratch.display())))?;
        let seeds = fuzz_dir.join("corpus").join(target);
        let (scratch, seeds) = (scratch.to_string_lossy(), seeds.to_string_lossy());
        run(nightly(&[
            "fuzz",
            "run",
            target,
            &scratch,
            &seeds,
            "--",
            SECONDS,
            RUNS,
            "-timeout=10",
        ])
        .env("CARGO_NET_OFFLINE", "true"))?;
    }
    Ok(())
}

/// `cargo xtask demo`: the README's main job.
fn demo() -> Result {
    step("install missing system packages");
    install()?;
    step("build the demo");
    cargo(&["build", "--package", "janus-tests", "--bin", "demo"])?;
    step("run the demo inside the namespace");
    in_netns(&[
        "cargo",
        "run",
        "--quiet",
        "--package",
        "janus-tests",
        "--bin",
        "demo",
    ])
}

// ---------------------------------------------------------------------------------------------
// Benchmarks (issue 16): figures, not tests
// ---------------------------------------------------------------------------------------------

/// The parts of `cargo xtask bench`, in the order they run.
const BENCH_PARTS: [&str; 5] = ["signalling", "scale", "webrtc", "pcs", "failover"];

/// The anchor scripts copied from `../shared/anchors` into `target/bench/anchors/`, so that
/// their `node_modules` and `results/` are this checkout's and the shared folder stays as it is.
const ANCHOR_FILES: [&str; 13] = [
    "package.json",
    "package-lock.json",
    "lib.mjs",
    "janode-bench.mjs",
    "raw-ws-bench.mjs",
    "raw-http-bench.mjs",
    "janode-scale.mjs",
    "summarize.mjs",
    "janus-up.sh",
    "janus-down.sh",
    "run-ws-benches.sh",
    "run-http-bench.sh",
    "run-scale.sh",
];

/// `cargo xtask bench [-- PART..]`: the anchors, then ours, each part in a fresh test
/// namespace; then the table. A part that fails is reported and its rows say "not measured";
/// the task fails at the end if any did.
fn bench(parts: &[OsString]) -> Result {
    let parts: Vec<String> = parts
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(bad) = parts.iter().find(|p| !BENCH_PARTS.contains(&p.as_str())) {
        return Err(Failure::new(format!(
            "unknown bench part {bad:?}: one of {}",
            BENCH_PARTS.join(", ")
        )));
    }
    let wanted = |part: &str| parts.is_empty() || parts.iter().any(|p| p == part);
    let root = repo_root();
    let out = root.join("target/bench");
    let anchors = out.join("anchors");
    let results = anchors.join("results");

    step("install missing system packages");
    install()?;
    if wanted("signalling") || wanted("scale") {
        step("anchors: copy ../shared/anchors, npm ci when node_modules is missing");
        prepare_anchors(&root, &anchors)?;
    }
    step("build the benchmarks (release)");
    let mut build = vec!["build", "--release", "--package", "janus-tests"];
    for bin in [
        "bench_report",
        "bench_signalling",
        "bench_scale",
        "bench_webrtc",
        "bench_pcs",
        "bench_failover",
    ] {
        build.extend(["--bin", bin]);
    }
    cargo(&build)?;
    let bin_dir = target_dir(&root).join("release");
    let bin = |name: &str| bin_dir.join(name).to_string_lossy().into_owned();
    let anchor_env = format!("ANCHOR_DIR={}", out.join("anchor-janus").display());
    let script = |name: &str| anchors.join(name).to_string_lossy().into_owned();
    let path_of = |p: PathBuf| p.to_string_lossy().into_owned();

    let mut failed = Vec::new();
    let mut part = |name: &str, stale: &[PathBuf], command: Vec<String>| {
        for file in stale {
            let _ = std::fs::remove_file(file);
        }
        step(name);
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        if let Err(e) = in_netns(&args) {
            eprintln!("xtask: {name} failed: {}", e.message);
            failed.push(name.to_owned());
        }
    };
    if wanted("signalling") {
        let rounds: Vec<PathBuf> = ["janode", "raw-ws"]
            .iter()
            .flat_map(|c| (1..=2).map(move |r| format!("pinned-{c}-r{r}.txt")))
            .map(|f| results.join(f))
            .collect();
        part(
            "anchors: janode and the raw Node WS floor (run-ws-benches.sh, PIN=1)",
            &rounds,
            argv(&[
                "env",
                &anchor_env,
                "PIN=1",
                "bash",
                &script("run-ws-benches.sh"),
            ]),
        );
        part(
            "anchors: the raw Node HTTP floor (run-http-bench.sh, pinned)",
            &[results.join("raw-http.txt")],
            argv(&[
                "env",
                &anchor_env,
                "PIN=1",
                "bash",
                &script("run-http-bench.sh"),
            ]),
        );
        part(
            "ours: bench_signalling (both adapters, both transports, pinned)",
            &[out.join("signalling.json")],
            argv(&[
                &bin("bench_signalling"),
                &path_of(out.join("signalling.json")),
            ]),
        );
    }
    if wanted("scale") {
        part(
            "anchors: janode, 10,000 sessions on one WebSocket (run-scale.sh)",
            &[results.join("janode-scale-n10000-c50-ka10.txt")],
            argv(&[
                "env",
                &anchor_env,
                "N=10000",
                "CONC=50",
                "KA=10",
                "HOLD=30",
                "bash",
                &script("run-scale.sh"),
            ]),
        );
        part(
            "ours: bench_scale (janus-tokio, 10,000 sessions on one WebSocket)",
            &[out.join("scale.json")],
            argv(&[
                "env",
                "N=10000",
                "CONC=50",
                "HOLD=30",
                &bin("bench_scale"),
                &path_of(out.join("scale.json")),
            ]),
        );
        part(
            "ours: bench_scale (janus-blocking, 10,000 sessions on one WebSocket)",
            &[out.join("scale-blocking.json")],
            argv(&[
                "env",
                "ADAPTER=blocking",
                "N=10000",
                "CONC=50",
                "HOLD=30",
                &bin("bench_scale"),
                &path_of(out.join("scale-blocking.json")),
            ]),
        );
    }
    // The WebRTC parts run once per adapter: `ADAPTER=blocking` writes `<part>-blocking.json`.
    let webrtc_parts = [
        ("webrtc", "offer -> webrtcup x 20, data-channel RTT x 1,000"),
        (
            "pcs",
            "50 EchoTest PeerConnections with media at once, pinned",
        ),
    ];
    for (name, what) in webrtc_parts.into_iter().filter(|(name, _)| wanted(name)) {
        for (adapter, suffix) in [("tokio", ""), ("blocking", "-blocking")] {
            let file = out.join(format!("{name}{suffix}.json"));
            let file_arg = path_of(file.clone());
            part(
                &format!("ours: bench_{name} (janus-{adapter}: {what})"),
                std::slice::from_ref(&file),
                argv(&[
                    "env",
                    &format!("ADAPTER={adapter}"),
                    &bin(&format!("bench_{name}")),
                    &file_arg,
                ]),
            );
        }
    }
    if wanted("failover") {
        part(
            "ours: bench_failover (fail-over refused / silent, reconnect + claim)",
            &[out.join("failover.json")],
            argv(&[&bin("bench_failover"), &path_of(out.join("failover.json"))]),
        );
    }
    step("the table");
    run(Command::new(bin("bench_report")).arg(&out))?;
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(format!(
            "bench: these parts failed (their rows say \"not measured\"): {}",
            failed.join("; ")
        )))
    }
}

fn argv(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_owned()).collect()
}

/// `CARGO_TARGET_DIR` (relative to the repository when relative), else `target/`.
fn target_dir(root: &Path) -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// Copies the anchor scripts beside the repository into `anchors` and runs `npm ci` there
/// (outside the namespace: it needs the registry) when its `node_modules` is missing.
fn prepare_anchors(root: &Path, anchors: &Path) -> Result {
    let shared = root.join("../shared/anchors");
    std::fs::create_dir_all(anchors.join("results"))
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", anchors.display())))?;
    for file in ANCHOR_FILES {
        let (from, to) = (shared.join(file), anchors.join(file));
        let same = std::fs::read(&from).ok() == std::fs::read(&to).ok();
        if !same {
            std::fs::copy(&from, &to).map_err(|e| {
                Failure::new(format!(
                    "cannot copy {} (the anchors live in ../shared/anchors beside the \
                     repository): {e}",
                    from.display()
                ))
            })?;
        }
    }
    if find_program("node").is_none() || find_program("npm").is_none() {
        return Err(Failure::new(
            "the anchors need Node.js and npm: `apt-get install -y nodejs npm`",
        ));
    }
    if !anchors.join("node_modules").is_dir() {
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(anchors))?;
    }
    Ok(())
}

/// `cargo xtask install`: installs what a fresh machine lacks; quick when all is present.
fn install() -> Result {
    let mut packages = Vec::new();
    if find_program("janus").is_none() && !Path::new("/usr/bin/janus").exists() {
        packages.push("janus");
    }
    if find_program("ip").is_none() {
        packages.push("iproute2");
    }
    if find_program("unshare").is_none() {
        packages.push("util-linux");
    }
    // The recording tests check files with `ffprobe` and convert `.mjr` with `janus-pp-rec`.
    if find_program("ffprobe").is_none() {
        packages.push("ffmpeg");
    }
    if find_program("janus-pp-rec").is_none() {
        packages.push("janus-tools");
    }
    // The SIP plugin's tests talk to a real SIP peer.
    if find_program("sipp").is_none() {
        packages.push("sip-tester");
    }
    // The iceServers tests gather from a real STUN/TURN server.
    if find_program("turnserver").is_none() {
        packages.push("coturn");
    }
    if packages.is_empty() {
        eprintln!(
            "xtask: janus, ip, unshare, ffprobe, janus-pp-rec, sipp and turnserver are present"
        );
        return Ok(());
    }
    if !is_root() {
        return Err(Failure::new(format!(
            "missing {}: run `sudo apt-get install -y {}` (or run this task as root)",
            packages.join(", "),
            packages.join(" ")
        )));
    }
    eprintln!("xtask: installing {}", packages.join(" "));
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y"])
        .args(&packages))
}

// ---------------------------------------------------------------------------------------------
// Janus 1.4.1 from source (issue 19), cached outside the repository
// ---------------------------------------------------------------------------------------------

/// The newer server the suite also runs against: its source tarball sits in `../shared/janus/`
/// beside the repository (`git archive` of the tag, see BUILD.md there).
const JANUS_SRC_VERSION: &str = "1.4.1";

/// Debian packages the 1.4.1 build needs (`../shared/janus/BUILD.md`).
const JANUS_BUILD_DEPS: [&str; 20] = [
    "build-essential",
    "autoconf",
    "automake",
    "libtool",
    "pkg-config",
    "gengetopt",
    "libmicrohttpd-dev",
    "libjansson-dev",
    "libssl-dev",
    "libsrtp2-dev",
    "libsofia-sip-ua-dev",
    "libglib2.0-dev",
    "libopus-dev",
    "libogg-dev",
    "libcurl4-openssl-dev",
    "libconfig-dev",
    "libnice-dev",
    "libwebsockets-dev",
    "zlib1g-dev",
    "libusrsctp-dev",
];

/// `configure` flags that work here (BUILD.md): no docs, no message-queue transports, no
/// scripting plugins, no AES-GCM (Debian's libsrtp2 lacks it).
const JANUS_CONFIGURE_FLAGS: [&str; 8] = [
    "--disable-docs",
    "--disable-rabbitmq",
    "--disable-mqtt",
    "--disable-nanomsg",
    "--disable-unix-sockets",
    "--disable-plugin-lua",
    "--disable-plugin-duktape",
    "--disable-aes-gcm",
];

/// Written into the cache folder only after `make install` succeeded; without it the folder is
/// a half build and is built again from scratch.
const BUILT_MARKER: &str = ".janus-rs-built";

/// `cargo xtask janus-1.4`: builds Janus 1.4.1 once (or finds the cached build) and prints the
/// path of its `janus` binary on stdout, ready for `JANUS_BINARY=$(cargo xtask janus-1.4)`.
fn janus_14() -> Result {
    let janus = janus_source_build()?;
    // The one line on stdout, for `$(..)`: everything else this task says goes to stderr.
    #[allow(clippy::print_stdout)]
    {
        println!("{}", janus.display());
    }
    Ok(())
}

/// Returns `<cache>/bin/janus` of the 1.4.1 build, building it first when the cache lacks it.
///
/// The cache folder is `$XDG_CACHE_HOME/janus-rs/janus-1.4.1-<sha256 prefix>/` (else
/// `~/.cache/...`), keyed by the tarball's hash, so a different tarball gets its own build.
/// It is the install prefix (`bin/`, `lib/janus/plugins`, `lib/janus/transports`, `etc/`) and
/// holds the unpacked source (`src/`) and the build log (`build.log`).
fn janus_source_build() -> Result<PathBuf> {
    let shared = repo_root().join("../shared/janus");
    let tarball = shared.join(format!("janus-gateway-{JANUS_SRC_VERSION}.tar.gz"));
    let sums = shared.join("SHA256SUMS");
    if !tarball.is_file() {
        return Err(Failure::new(format!(
            "the Janus {JANUS_SRC_VERSION} source is missing: expected {} \
             (the CI clone has ../shared beside the repository)",
            tarball.display()
        )));
    }
    let sha = verify_sha256(&tarball, &sums)?;
    let cache = cache_home()?
        .join("janus-rs")
        .join(format!("janus-{JANUS_SRC_VERSION}-{}", &sha[..16]));
    let janus = cache.join("bin/janus");
    let marker = cache.join(BUILT_MARKER);
    if marker.is_file() && janus.is_file() {
        eprintln!(
            "xtask: Janus {JANUS_SRC_VERSION}: cached build in {}",
            cache.display()
        );
        return Ok(janus);
    }
    eprintln!(
        "xtask: Janus {JANUS_SRC_VERSION}: building into {} (a few minutes; log in build.log there)",
        cache.display()
    );
    install_build_deps()?;
    if cache.exists() {
        // A half build (no marker): start again from a clean folder.
        std::fs::remove_dir_all(&cache)
            .map_err(|e| Failure::new(format!("cannot remove {}: {e}", cache.display())))?;
    }
    let src_parent = cache.join("src");
    std::fs::create_dir_all(&src_parent)
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", src_parent.display())))?;
    let log = cache.join("build.log");
    let src = src_parent.join(format!("janus-gateway-{JANUS_SRC_VERSION}"));
    let prefix = format!("--prefix={}", cache.display());
    let jobs = format!(
        "-j{}",
        std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
    );
    let started = std::time::Instant::now();
    let steps: [(&str, &Path, Vec<&str>); 5] = [
        (
            "tar xzf",
            &src_parent,
            vec!["tar", "xzf", tarball.to_str().unwrap_or_default()],
        ),
        ("autogen.sh", &src, vec!["sh", "autogen.sh"]),
        (
            "configure",
            &src,
            std::iter::once("./configure")
                .chain(std::iter::once(prefix.as_str()))
                .chain(JANUS_CONFIGURE_FLAGS)
                .collect(),
        ),
        ("make", &src, vec!["make", &jobs]),
        ("make install", &src, vec!["make", "install"]),
    ];
    for (name, dir, argv) in steps {
        eprintln!("xtask: Janus {JANUS_SRC_VERSION}: {}", argv.join(" "));
        logged_step(name, dir, &argv, &log)?;
    }
    if !janus.is_file() {
        return Err(Failure::new(format!(
            "Janus {JANUS_SRC_VERSION}: `make install` succeeded but {} is missing",
            janus.display()
        )));
    }
    std::fs::write(&marker, format!("{sha}\n"))
        .map_err(|e| Failure::new(format!("cannot write {}: {e}", marker.display())))?;
    eprintln!(
        "xtask: Janus {JANUS_SRC_VERSION}: built in {} s: {}",
        started.elapsed().as_secs(),
        janus.display()
    );
    Ok(janus)
}

/// The repository's root (xtask lives one level below it).
fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

/// `$XDG_CACHE_HOME`, else `$HOME/.cache`: always outside the repository.
fn cache_home() -> Result<PathBuf> {
    if let Some(dir) = env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    env::var_os("HOME")
        .filter(|d| !d.is_empty())
        .map(|home| PathBuf::from(home).join(".cache"))
        .ok_or_else(|| Failure::new("neither XDG_CACHE_HOME nor HOME is set: no cache folder"))
}

/// Checks the tarball against its line in `SHA256SUMS` with coreutils' `sha256sum`; returns
/// the hash.
fn verify_sha256(tarball: &Path, sums: &Path) -> Result<String> {
    let name = tarball
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let listed = std::fs::read_to_string(sums)
        .map_err(|e| Failure::new(format!("cannot read {}: {e}", sums.display())))?;
    let expected = listed
        .lines()
        .find_map(|line| {
            let (hash, file) = line.split_once(char::is_whitespace)?;
            (file.trim_start().trim_start_matches('*') == name).then(|| hash.to_ascii_lowercase())
        })
        .ok_or_else(|| Failure::new(format!("{} has no line for {name}", sums.display())))?;
    let out = Command::new("sha256sum")
        .arg(tarball)
        .output()
        .map_err(|e| Failure::new(format!("cannot run sha256sum: {e}")))?;
    if !out.status.success() {
        return Err(Failure::new(format!(
            "sha256sum {} failed: {}",
            tarball.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let actual = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if actual != expected || actual.len() != 64 {
        return Err(Failure::new(format!(
            "{}: sha256 {actual} does not match {expected} in {}",
            tarball.display(),
            sums.display()
        )));
    }
    Ok(actual)
}

/// Installs the Debian build dependencies that `dpkg-query` does not report as installed.
fn install_build_deps() -> Result {
    let missing: Vec<&str> = JANUS_BUILD_DEPS
        .into_iter()
        .filter(|pkg| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", pkg])
                .output()
                .is_ok_and(|o| {
                    o.status.success()
                        && String::from_utf8_lossy(&o.stdout).ends_with("install ok installed")
                })
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() {
        return Err(Failure::new(format!(
            "Janus {JANUS_SRC_VERSION} needs build dependencies: run `sudo apt-get install -y {}` \
             (or run this task as root)",
            missing.join(" ")
        )));
    }
    eprintln!(
        "xtask: installing the Janus {JANUS_SRC_VERSION} build dependencies: {}",
        missing.join(" ")
    );
    // Another apt-get (a neighbour's install) may hold the dpkg lock: wait for it a while.
    // apt's output goes to stderr: stdout is the binary's path (`$(cargo xtask janus-1.4)`).
    run(Command::new("apt-get")
        .args(["-o", "DPkg::Lock::Timeout=600", "update"])
        .stdout(std::io::stderr()))?;
    run(Command::new("apt-get")
        .stdout(std::io::stderr())
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["-o", "DPkg::Lock::Timeout=600", "install", "-y"])
        .arg("--no-install-recommends")
        .args(&missing))
}

/// Runs one build step with its output appended to `log`; on failure says which step failed
/// and prints the log's last lines.
fn logged_step(name: &str, dir: &Path, argv: &[&str], log: &Path) -> Result {
    use std::io::Write as _;
    let open = || {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| Failure::new(format!("cannot open {}: {e}", log.display())))
    };
    let mut header = open()?;
    let _ = writeln!(header, "\n==> {} (in {})", argv.join(" "), dir.display());
    let (program, args) = argv.split_first().expect("a build step has a program");
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(open()?)
        .stderr(open()?)
        .status()
        .map_err(|e| {
            Failure::new(format!(
                "Janus build step `{name}`: cannot run {program}: {e}"
            ))
        })?;
    if status.success() {
        return Ok(());
    }
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(40)..].join("\n");
    Err(Failure::new(format!(
        "Janus {JANUS_SRC_VERSION} build failed at step `{name}` ({status}); \
         last lines of {}:\n{tail}",
        log.display()
    )))
}

// ---------------------------------------------------------------------------------------------
// Network namespace
// ---------------------------------------------------------------------------------------------

/// `cargo xtask netns -- <cmd> [args..]`.
fn netns(command: &[OsString]) -> Result {
    if command.is_empty() {
        return Err(Failure::new("usage: cargo xtask netns -- <cmd> [args..]"));
    }
    let exe = env::current_exe()
        .map_err(|e| Failure::new(format!("cannot find the xtask binary itself: {e}")))?;
    // New net namespace (nothing routes anywhere but our own interfaces), and a new PID
    // namespace whose init is `xtask __netns-inner`: when it ends (the command finished, or
    // unshare died and --kill-child killed it) the kernel kills every process left inside, so
    // no stray Janus can outlive the command. As a normal user, a user namespace maps us to root.
    let mut unshare = Command::new("unshare");
    if !is_root() {
        if !user_namespaces_allowed() {
            return Err(Failure::new(
                "the test namespace needs root or unprivileged user namespaces \
                 (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0)",
            ));
        }
        unshare.arg("--map-root-user");
    }
    unshare
        .args([
            "--net",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount",
            "--mount-proc",
            "--",
        ])
        .arg(exe)
        .arg(NETNS_INNER)
        .arg("--")
        .args(command);
    run(&mut unshare).map_err(|failure| Failure {
        message: format!(
            "`{}` failed inside the namespace (exit code {})",
            command
                .iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            failure.code
        ),
        code: failure.code,
    })
}

/// Runs inside the namespaces, as PID 1: sets the interfaces up, then runs the command offline.
fn netns_inner(command: &[OsString]) -> Result {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| Failure::new("netns: no command given"))?;
    let setup: [&[&str]; 10] = [
        &["link", "set", "lo", "up"],
        &["link", "add", "v0", "type", "veth", "peer", "name", "v1"],
        // No IPv6 link-local addresses: the namespace holds loopback, 127.0.0.2, 127.0.0.3,
        // 127.0.0.4 and fd00:6a61:6e75::2, nothing else.
        &["link", "set", "dev", "v0", "addrgenmode", "none"],
        &["link", "set", "dev", "v1", "addrgenmode", "none"],
        &["addr", "add", MEDIA_ADDR, "dev", "v0"],
        &["addr", "add", TURN_ADDR, "dev", "v0"],
        &["addr", "add", MEDIA_ADDR_2, "dev", "v0"],
        &[
            "-6",
            "addr",
            "add",
            MEDIA_ADDR6,
            "dev",
            "v0",
            "nodad",
            "noprefixroute",
        ],
        &["link", "set", "v0", "up"],
        &["link", "set", "v1", "up"],
    ];
    for args in setup {
        let status = Command::new("ip").args(args).status().map_err(|e| {
            Failure::new(format!("netns: cannot run `ip`: {e} (cargo xtask install)"))
        })?;
        if !status.success() {
            return Err(Failure::new(format!(
                "netns: `ip {}` failed ({status})",
                args.join(" ")
            )));
        }
    }
    // Not `exec`: we stay PID 1 so the command itself keeps ordinary signal handling.
    // The outer `netns` reports a failure; here only the exit code is passed on.
    run(Command::new(program)
        .args(args)
        .env("CARGO_NET_OFFLINE", "true"))
    .map_err(|failure| Failure {
        message: if failure.code == 1 && failure.message.starts_with("cannot run") {
            failure.message
        } else {
            String::new()
        },
        code: failure.code,
    })
}

/// Runs `args` (program first) inside a fresh namespace via this same binary.
fn in_netns(args: &[&str]) -> Result {
    let command: Vec<OsString> = args.iter().map(OsString::from).collect();
    netns(&command)
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn step(name: &str) {
    eprintln!("\n==> {name}");
}

fn cargo(args: &[&str]) -> Result {
    run(Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into())).args(args))
}

/// Runs cargo and returns what it printed on stdout.
fn cargo_output(args: &[&str]) -> Result<String> {
    let out = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(args)
        .output()
        .map_err(|e| Failure::new(format!("cannot run cargo: {e}")))?;
    if !out.status.success() {
        return Err(Failure::new(format!(
            "`cargo {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs a command to completion; a failure carries its exit code.
fn run(command: &mut Command) -> Result {
    let status = command.status().map_err(|e| {
        Failure::new(format!(
            "cannot run {:?}: {e}",
            command.get_program().to_string_lossy()
        ))
    })?;
    if status.success() {
        return Ok(());
    }
    let shown: Vec<String> = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    Err(Failure {
        message: format!("`{}` failed ({status})", shown.join(" ")),
        code: status
            .code()
            .and_then(|c| u8::try_from(c).ok())
            .unwrap_or(1),
    })
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Whether this kernel lets an unprivileged user create user namespaces.
fn user_namespaces_allowed() -> bool {
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    read("/proc/sys/user/max_user_namespaces") != Some(0)
        && read("/proc/sys/kernel/unprivileged_userns_clone") != Some(0)
}

fn is_root() -> bool {
    // `id -u` keeps this crate free of libc; /proc/self/status works without it as well.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}
