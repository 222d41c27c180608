//! From the common flags to a connected client.

use std::net::{IpAddr, UdpSocket};

use janus_proto::{ClientConfig, Server as ServerUrl};
use janus_tokio::Client;

use crate::args::Server;
use crate::{Error, Result};

/// The client configuration the flags describe: the servers in order, the credentials, the
/// request timeout (also the connect timeout of each server, so that fail-over is prompt).
pub fn config(server: &Server) -> Result<ClientConfig> {
    let urls = server.urls();
    let bad = urls.iter().find(|u| ServerUrl::parse(u).is_none());
    if let Some(url) = bad {
        return Err(Error::Usage(format!(
            "{url:?} is not a ws://, wss://, http:// or https:// URL"
        )));
    }
    let mut config = ClientConfig::new(urls.iter().copied())
        .ok_or_else(|| Error::Usage("no server URL".into()))?
        .request_timeout(server.timeout)
        .connect_timeout(server.timeout);
    if let Some(token) = &server.token {
        config = config.token(token.expose());
    }
    if let Some(secret) = &server.apisecret {
        config = config.apisecret(secret.expose());
    }
    Ok(config)
}

/// Connects to the first server of the list that answers.
pub async fn client(server: &Server) -> Result<Client> {
    Ok(Client::connect(config(server)?).await?)
}

/// Waits until both sides say the handle's connection is up: ours (ICE and DTLS) and
/// Janus's `webrtcup`, in either order; other events on the way are not for the caller.
pub async fn both_up(handle: &janus_tokio::Handle, wait: std::time::Duration) -> Result<()> {
    use janus_proto::Event;
    use janus_tokio::rtc::{Event as RtcEvent, HandleEvent};
    let (mut ours, mut theirs) = (false, false);
    handle
        .events()
        .wait_for(wait, |e| {
            match e {
                HandleEvent::Rtc(RtcEvent::Connected) => ours = true,
                HandleEvent::Janus(Event::WebrtcUp { .. }) => theirs = true,
                _ => {}
            }
            (ours && theirs).then_some(())
        })
        .await?;
    Ok(())
}

/// The local address for media: the one given, or the one the system would send from to the
/// first server's host (a UDP `connect` sends nothing, it only picks the route).
pub fn media_ip(given: Option<IpAddr>, server: &Server) -> Result<IpAddr> {
    if let Some(ip) = given {
        return Ok(ip);
    }
    let url = server.urls().first().copied().unwrap_or_default();
    let host = host_of(url).ok_or_else(|| Error::Usage(format!("no host in {url:?}")))?;
    let probe = UdpSocket::bind(("0.0.0.0", 0))
        .and_then(|s| s.connect((host, 9)).map(|()| s))
        .and_then(|s| s.local_addr())
        .map_err(|e| Error::Usage(format!("no route to {host}: {e}; give --ip")))?;
    Ok(probe.ip())
}

/// The host part of a URL (`ws://host:port/path`, `[v6]` too).
fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split_once(']').map(|(h, _)| h);
    }
    Some(authority.split(':').next().unwrap_or(authority)).filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_come_out_of_urls() {
        assert_eq!(host_of("ws://127.0.0.1:8188"), Some("127.0.0.1"));
        assert_eq!(
            host_of("https://janus.example/janus"),
            Some("janus.example")
        );
        assert_eq!(host_of("wss://[::1]:8989/"), Some("::1"));
        assert_eq!(host_of("nonsense"), None);
    }
}
