//! `janusctl`: see `janusctl --help`, and the crate doc of the `janusctl` library.

// A command-line tool's job is to print.
#![allow(clippy::print_stdout)]

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use janusctl::args::{Cli, Command, EchotestArgs, InfoArgs};
use janusctl::{Error, Result, connect, echotest, info};

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
        Command::Publish(_) | Command::Record(_) | Command::Load(_) => Err(Error::Usage(
            "not built yet in this version of janusctl".into(),
        )),
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
        options.audio = read_media(path)?;
    }
    if let Some(path) = &args.video {
        options.video = read_media(path)?;
    }
    let client = connect::client(&args.server).await?;
    let text = !args.json;
    if text {
        println!(
            "EchoTest on {} (Janus {}), media from {ip} for {:.1} s",
            client.server().1,
            client.server_info().version_string,
            args.duration.as_secs_f64()
        );
    }
    let report = echotest::run(&client, &options, |second| {
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

fn read_media(path: &std::path::Path) -> Result<janus_media::MediaFile> {
    let file = std::fs::File::open(path).map_err(|error| Error::File {
        path: path.to_owned(),
        error,
    })?;
    Ok(janus_media::MediaFile::read(std::io::BufReader::new(file))?)
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
