//! `janusctl`: see `janusctl --help`, and the crate doc of the `janusctl` library.

// A command-line tool's job is to print.
#![allow(clippy::print_stdout)]

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use janusctl::args::{Cli, Command, EchotestArgs, InfoArgs, LoadArgs, PublishArgs, RecordArgs};
use janusctl::files::{self, Sources};
use janusctl::{Error, Result, connect, echotest, info, load, publish, record};

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("janusctl: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("janusctl: {e}");
            ExitCode::from(2)
        }
    }
}

/// `-v`: the client's decisions; `-vv`: everything. `RUST_LOG` overrides both.
fn logging(verbose: u8) {
    let level = match verbose {
        0 => "error",
        1 => "warn,janus_proto=debug,janus_tokio=debug,janus_rtc=debug",
        _ => "debug,janus_proto=trace,janus_tokio=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

async fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Info(args) => info_command(args).await,
        Command::Echotest(args) => echotest_command(args).await,
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "janusctl", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Publish(args) => publish_command(args).await,
        Command::Record(args) => record_command(args).await,
        Command::Load(args) => load_command(args).await,
    }
}

async fn info_command(args: InfoArgs) -> Result<ExitCode> {
    let client = connect::client(&args.server).await?;
    let reply = client.info().await?;
    if args.json {
        println!("{}", json(&reply));
    } else {
        print!("{}", info::table(&reply));
    }
    Ok(ExitCode::SUCCESS)
}

async fn echotest_command(args: EchotestArgs) -> Result<ExitCode> {
    let ip = connect::media_ip(args.media.ip, &args.server)?;
    let mut options = echotest::Options::new(ip)?;
    options.duration = args.duration;
    options.pings = args.pings;
    options.wait = args.server.timeout;
    if let Some(path) = &args.audio {
        options.audio = files::read(path)?;
    }
    if let Some(path) = &args.video {
        options.video = files::read(path)?;
    }
    let client = connect::client(&args.server).await?;
    report_echotest(&client, &options, args.json).await
}

/// Runs the EchoTest and prints its report; the exit code is the verdict.
async fn report_echotest(
    client: &janus_tokio::Client,
    options: &echotest::Options,
    json_out: bool,
) -> Result<ExitCode> {
    let text = !json_out;
    if text {
        println!(
            "EchoTest on {} (Janus {}), media from {} for {:.1} s",
            client.server().1,
            client.server_info().version_string,
            options.ip,
            options.duration.as_secs_f64()
        );
    }
    let report = echotest::run(client, options, |second| {
        if text {
            println!("{}", echotest::second_line(second));
            let _ = std::io::stdout().flush();
        }
    })
    .await;
    if text {
        print!("{}", echotest::summary(&report));
    } else {
        println!("{}", json(&report));
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn publish_command(args: PublishArgs) -> Result<ExitCode> {
    let ip = connect::media_ip(args.media.ip, &args.server)?;
    let sources = Sources::open(&args.files, args.fps)?;
    let client = connect::client(&args.server).await?;
    if args.echotest {
        // The EchoTest takes both kinds: a kind without a file sends the built-in sample.
        let mut options = echotest::Options::new(ip)?;
        options.pings = 0;
        options.wait = args.server.timeout;
        options.duration = args.duration.unwrap_or_else(|| {
            let longest = [&sources.audio, &sources.video]
                .into_iter()
                .flatten()
                .map(janus_media::MediaFile::duration)
                .max();
            longest.unwrap_or_default()
        });
        options.audio = sources.audio.unwrap_or(options.audio);
        options.video = sources.video.unwrap_or(options.video);
        return report_echotest(&client, &options, false).await;
    }
    let Some(room) = &args.room else {
        return Err(Error::Usage("--room R or --echotest".into()));
    };
    let options = publish::Options {
        room: publish::room_id(room),
        display: args.display.clone(),
        ip,
        looping: args.looping,
        duration: args.duration,
        wait: args.server.timeout,
    };
    let published = publish::run(&client, &options, sources, |feed| {
        println!("publishing in room {room} as feed {feed}");
        let _ = std::io::stdout().flush();
    })
    .await?;
    println!(
        "published {:.1} s: {} audio frames, {} video frames",
        published.seconds, published.audio_frames, published.video_frames
    );
    Ok(ExitCode::SUCCESS)
}

async fn record_command(args: RecordArgs) -> Result<ExitCode> {
    let ip = connect::media_ip(args.media.ip, &args.server)?;
    let source = match (&args.room, &args.feed, &args.mountpoint) {
        (Some(room), Some(feed), None) => record::Source::Feed {
            room: publish::room_id(room),
            feed: publish::room_id(feed),
        },
        (None, None, Some(id)) => record::Source::Mountpoint(publish::room_id(id)),
        _ => return Err(Error::Usage("--room R --feed F, or --mountpoint M".into())),
    };
    let client = connect::client(&args.server).await?;
    let options = record::Options {
        source,
        dir: args.dir.clone(),
        ip,
        duration: args.duration,
        wait: args.server.timeout,
    };
    let recorded = record::run(&client, &options).await?;
    if recorded.is_empty() {
        eprintln!("janusctl: nothing was received");
        return Ok(ExitCode::FAILURE);
    }
    for r in &recorded {
        println!(
            "{}: {} frames of {}, {:.2} s",
            r.path.display(),
            r.frames,
            r.codec,
            r.seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn load_command(args: LoadArgs) -> Result<ExitCode> {
    let call = if args.webrtc > 0 {
        let ip = connect::media_ip(args.media.ip, &args.server)?;
        let mut call = echotest::Options::new(ip)?;
        call.wait = args.server.timeout;
        Some(call)
    } else {
        None
    };
    let options = load::Options {
        sessions: args.sessions,
        handles: args.handles,
        rate: args.rate,
        webrtc: args.webrtc,
        call,
        duration: args.duration,
        hold: args.hold,
    };
    let client = connect::client(&args.server).await?;
    // Bars on stderr, drawn only when it is a terminal (indicatif checks).
    let progress = load::Progress::new(indicatif::ProgressDrawTarget::stderr(), &options);
    let summary = load::run(&client, &options, &progress).await;
    if args.json {
        println!("{}", json(&summary));
    } else {
        print!("{}", load::table(&summary));
    }
    Ok(if summary.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
