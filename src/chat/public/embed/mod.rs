//! The public chat on the owner's own website: an iframe of `/talk/{slug}`. Browsers frame the
//! page only for the origins the owner lists in settings (CSP `frame-ancestors`, for this route
//! alone; every other page stays unframeable), and in a frame the lead's cookie is
//! `SameSite=None; Secure; Partitioned`, so it works inside another site and only there.
pub mod api;
pub mod model;
pub mod section;

#[cfg(feature = "ssr")]
pub mod service;
