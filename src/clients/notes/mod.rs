//! The client's notes: a log of dated, authored entries that are added and never written over.
#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;
