//! Ids that a plugin gives as numbers or as strings.
//!
//! Rooms, participants, feeds and mountpoints are unsigned integers by default; a plugin
//! configured with `string_ids = true` uses strings instead, on the wire and in its answers.
//! [`Id`] holds either, so one type serves both configurations.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A room, participant, feed or stream id: a number, or a string with `string_ids`.
///
/// ```
/// use janus_proto::plugin::id::Id;
///
/// assert_eq!(serde_json::to_value(Id::from(1234)).unwrap(), serde_json::json!(1234));
/// assert_eq!(serde_json::to_value(Id::from("lobby")).unwrap(), serde_json::json!("lobby"));
/// let id: Id = serde_json::from_value(serde_json::json!("7")).unwrap();
/// assert_eq!(id, Id::Str("7".into()));
/// assert_eq!(id.to_string(), "7");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Id {
    /// A numeric id (the default).
    Num(u64),
    /// A string id (`string_ids = true` in the plugin's configuration).
    Str(String),
}

impl Id {
    /// The number, for a numeric id.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Self::Num(n) => Some(*n),
            Self::Str(_) => None,
        }
    }

    /// The string, for a string id.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Num(_) => None,
            Self::Str(s) => Some(s),
        }
    }
}

impl From<u64> for Id {
    fn from(n: u64) -> Self {
        Self::Num(n)
    }
}

impl From<&str> for Id {
    fn from(s: &str) -> Self {
        Self::Str(s.to_owned())
    }
}

impl From<String> for Id {
    fn from(s: String) -> Self {
        Self::Str(s)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Num(n) => write!(f, "{n}"),
            Self::Str(s) => f.write_str(s),
        }
    }
}
