//! Conversations with leads: one per client, written by one service function, read in the inbox
//! (`/chat`) and the thread (`/chat/{client_id}`), delivered live over a server-sent event stream
//! fed by the pub/sub bus.
pub mod api;
pub mod model;
pub mod pages;
pub mod public;

#[cfg(feature = "ssr")]
pub mod card;
#[cfg(feature = "ssr")]
pub mod conversation_entity;
#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod events;
#[cfg(feature = "ssr")]
pub mod inbox_rows;
#[cfg(feature = "ssr")]
pub mod read_entity;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod token_entity;
