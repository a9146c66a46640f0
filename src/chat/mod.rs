//! Conversations between leads and their AI persona. So far: the message store the client page reads.
#[cfg(feature = "ssr")]
pub mod entity;
