//! The id of a room, mountpoint, feed or participant in a plugin.
//!
//! The stock plugins number their objects with integers unless they are configured with
//! `string_ids = true`, in which case every id is a string. [`Id`] is either, and goes on the
//! wire as it is: a number as a JSON number, a string as a JSON string.
//!
//! ```
//! use janus_proto::plugin::id::Id;
//!
//! assert_eq!(serde_json::to_value(Id::from(1234)).unwrap(), serde_json::json!(1234));
//! assert_eq!(serde_json::to_value(Id::from("lobby")).unwrap(), serde_json::json!("lobby"));
//! assert_eq!(serde_json::from_str::<Id>("\"lobby\"").unwrap(), Id::from("lobby"));
//! assert_eq!(Id::from(7).to_string(), "7");
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

/// A plugin object's id: a number, or a string when the plugin runs with `string_ids`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Id {
    /// A numeric id (the plugins' default).
    Num(u64),
    /// A string id (`string_ids = true` in the plugin's configuration).
    Str(String),
}

impl Id {
    /// The number, if this is a numeric id.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Self::Num(n) => Some(*n),
            Self::Str(_) => None,
        }
    }

    /// The string, if this is a string id.
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
