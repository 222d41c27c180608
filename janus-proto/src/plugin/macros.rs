//! `wire_struct!`: the request structs and their nested objects, without the boilerplate.
//!
//! Every plugin request is a struct whose required fields are plain fields and constructor
//! arguments, whose optional fields are `Option`s left out of the JSON when unset, and which
//! keeps an `extra` map for keys this crate does not know. Written out by hand that is a
//! few hundred lines of attributes per plugin; the macro writes them.
//!
//! ```text
//! wire_struct! {
//!     /// Doc of the struct.
//!     request Exists = "exists" {           // or: object Name { .. } for a nested object
//!         fixed { /// doc                    // optional section: constant fields
//!                 ptype: PublisherType, }    // (set to their Default, not arguments)
//!         required { /// doc
//!                    room: Id, }
//!         optional { /// doc
//!                    secret: String, }
//!     }
//! }
//! ```
//! A `request` gets `"request": "<name>"` first in its JSON and implements `PluginRequest`
//! for the module's `PLUGIN`; both get `new(required..)`, and `Default` when nothing is
//! required.

macro_rules! wire_struct {
    // Nothing required: `new()` and `Default`.
    (
        $(#[$meta:meta])*
        $kind:ident $name:ident $(= $request:literal)? {
            $( fixed { $( $(#[$fmeta:meta])* $ffield:ident : $fty:ty ),* $(,)? } )?
            required {}
            optional { $( $(#[$ometa:meta])* $ofield:ident : $oty:ty ),* $(,)? }
        }
    ) => {
        $crate::plugin::macros::wire_struct!(@struct [$(#[$meta])*] $kind $name $(= $request)?
            [$($( [$(#[$fmeta])*] $ffield : $fty ),*)?]
            []
            [$( [$(#[$ometa])*] $ofield : $oty ),*]);
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
    };
    (
        $(#[$meta:meta])*
        $kind:ident $name:ident $(= $request:literal)? {
            $( fixed { $( $(#[$fmeta:meta])* $ffield:ident : $fty:ty ),* $(,)? } )?
            required { $( $(#[$rmeta:meta])* $rfield:ident : $rty:ty ),* $(,)? }
            optional { $( $(#[$ometa:meta])* $ofield:ident : $oty:ty ),* $(,)? }
        }
    ) => {
        $crate::plugin::macros::wire_struct!(@struct [$(#[$meta])*] $kind $name $(= $request)?
            [$($( [$(#[$fmeta])*] $ffield : $fty ),*)?]
            [$( [$(#[$rmeta])*] $rfield : $rty ),*]
            [$( [$(#[$ometa])*] $ofield : $oty ),*]);
    };
    (@struct [$(#[$meta:meta])*] request $name:ident = $request:literal $($rest:tt)*) => {
        $crate::plugin::macros::wire_struct!(@fields
            [$(#[$meta])* #[serde(tag = "request", rename = $request)]] $name $($rest)*);
        impl $crate::plugin::PluginRequest for $name {
            const PLUGIN: &'static str = PLUGIN;
        }
    };
    (@struct [$(#[$meta:meta])*] object $name:ident $($rest:tt)*) => {
        $crate::plugin::macros::wire_struct!(@fields [$(#[$meta])*] $name $($rest)*);
    };
    (@fields [$(#[$meta:meta])*] $name:ident
        [$( [$(#[$fmeta:meta])*] $ffield:ident : $fty:ty ),*]
        [$( [$(#[$rmeta:meta])*] $rfield:ident : $rty:ty ),*]
        [$( [$(#[$ometa:meta])*] $ofield:ident : $oty:ty ),*]
    ) => {
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        $(#[$meta])*
        pub struct $name {
            $( $(#[$fmeta])* pub $ffield: $fty, )*
            $( $(#[$rmeta])* pub $rfield: $rty, )*
            $(
                $(#[$ometa])*
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $ofield: Option<$oty>,
            )*
            /// Other keys, sent as given (for options this crate does not know yet).
            #[serde(flatten)]
            pub extra: serde_json::Map<String, serde_json::Value>,
        }

        impl $name {
            /// With the required fields given and every optional one unset.
            #[allow(clippy::too_many_arguments)]
            pub fn new($( $rfield: impl Into<$rty> ),*) -> Self {
                Self {
                    $( $ffield: Default::default(), )*
                    $( $rfield: $rfield.into(), )*
                    $( $ofield: None, )*
                    extra: serde_json::Map::new(),
                }
            }
        }
    };
}

pub(crate) use wire_struct;

/// `into_variants!`: the `Event::into_*` getters the workflows pass to
/// [`expect`](super::expect), each taking one variant's payload or giving the event back.
///
/// ```text
/// into_variants! {
///     /// doc
///     into_registered => Registered(Peer);
/// }
/// ```
macro_rules! into_variants {
    ($($(#[$doc:meta])* $fn:ident => $variant:ident($ty:ty);)*) => {
        impl Event {
            $(
                $(#[$doc])*
                pub fn $fn(self) -> Result<$ty, Box<Self>> {
                    match self {
                        Self::$variant(v) => Ok(v),
                        other => Err(Box::new(other)),
                    }
                }
            )*
        }
    };
}

pub(crate) use into_variants;
