//! The public chat, `/talk/{slug}` (the slug of the owner's booking page): a lead gives a name and
//! an email or phone, then talks with the owner's team, live. No sign-in: an HttpOnly cookie per
//! page holds a random token that reaches that lead's own conversation and nothing else.
pub mod api;
pub mod embed;
pub mod model;
pub mod page;

#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod stream;
