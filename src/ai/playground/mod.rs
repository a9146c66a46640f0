//! The strategy editor's playground ("Try this persona"): the person chats as a lead with the
//! persona of the strategy as it stands in the editor (saved or not), in a sandbox that creates no
//! client, message or booking. Each reply shows its action and the exact request an AI endpoint is
//! sent for it. The conversation lives in the page; every turn sends it whole.
pub mod api;
pub mod model;
pub mod panel;
#[cfg(feature = "ssr")]
pub mod service;

pub use panel::Playground;
