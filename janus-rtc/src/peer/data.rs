//! Data channels (janus.js `data`, `ondataopen`, `ondata`).

use str0m::channel::{ChannelConfig, ChannelData, ChannelId};

use super::PeerConnection;
use crate::event::DataMessage;
use crate::{Error, Event};

impl PeerConnection {
    /// Sends a data-channel message on the open channel `label` (janus.js `data`).
    pub fn send_data(&mut self, label: &str, binary: bool, data: &[u8]) -> Result<(), Error> {
        self.ensure_open()?;
        let id = self
            .channels
            .iter()
            .find(|(_, l)| l.as_str() == label)
            .map(|(id, _)| *id)
            .ok_or_else(|| Error::UnknownChannel(label.to_owned()))?;
        let result = match self.rtc.channel(id) {
            Some(mut ch) => ch.write(binary, data).map(|_| ()),
            None => return Err(Error::UnknownChannel(label.to_owned())),
        };
        self.drain();
        result.map_err(Error::from)
    }

    /// Opens another data channel on the association, with a subprotocol (`""` for none).
    /// No renegotiation once data was negotiated; before that, pass a
    /// [`Track::data`](crate::Track::data) to the next offer instead.
    pub fn open_data_channel(&mut self, label: &str, protocol: &str) -> Result<(), Error> {
        self.ensure_open()?;
        if !self.has_data_mline {
            return Err(Error::Jsep("no data m-line yet: offer a Track::data first"));
        }
        self.open_channel(label.to_owned(), protocol.to_owned());
        self.drain();
        Ok(())
    }

    /// Labels of the open data channels.
    pub fn data_channels(&self) -> Vec<&str> {
        self.channels.iter().map(|(_, l)| l.as_str()).collect()
    }

    pub(super) fn open_channel(&mut self, label: String, protocol: String) {
        let config = ChannelConfig {
            label,
            protocol,
            ..Default::default()
        };
        self.rtc.direct_api().create_data_channel(config);
    }

    pub(super) fn on_channel_open(&mut self, id: ChannelId, label: String) -> Event {
        match self.channels.iter_mut().find(|(i, _)| *i == id) {
            Some((_, l)) => l.clone_from(&label),
            None => self.channels.push((id, label.clone())),
        }
        // str0m has the configuration of every channel opened in-band (DCEP), ours and
        // Janus's alike, by the time it says the channel is open.
        let protocol = self
            .rtc
            .channel(id)
            .and_then(|ch| ch.config().map(|c| c.protocol.clone()))
            .unwrap_or_default();
        Event::DataOpen { label, protocol }
    }

    pub(super) fn on_channel_data(&self, d: ChannelData) -> Event {
        let label = self
            .channels
            .iter()
            .find(|(i, _)| *i == d.id)
            .map(|(_, l)| l.clone())
            .unwrap_or_default();
        Event::Data(DataMessage {
            label,
            binary: d.binary,
            data: d.data,
        })
    }

    pub(super) fn on_channel_close(&mut self, id: ChannelId) -> Option<Event> {
        let at = self.channels.iter().position(|(i, _)| *i == id)?;
        let (_, label) = self.channels.remove(at);
        Some(Event::DataClosed { label })
    }
}
