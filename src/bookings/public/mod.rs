//! The public booking page (`/book/{slug}`, `/book/{slug}/{type}`), the visitor's private manage
//! link (`/booking/{token}`) and the settings section with the user's booking link and calendar
//! feed. No sign-in: each page reaches only what its slug or token grants, and every write is
//! rate limited per client address.
pub mod api;
pub mod model;
pub mod page;
pub mod picker;
pub mod settings;

#[cfg(feature = "ssr")]
pub mod clients;
#[cfg(feature = "ssr")]
pub mod links;
#[cfg(feature = "ssr")]
pub mod service;
