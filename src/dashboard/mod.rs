//! The dashboard (`/`): the numbers a sales team runs on over a range of days in the viewer's
//! time zone (tiles against the period before, speed to lead, the funnel, series, the activity
//! heatmap, upcoming bookings, strategies and, for admins, people), drawn as SVG on the server.
pub mod api;
pub mod model;
pub mod page;

#[cfg(feature = "ssr")]
pub mod figures;
#[cfg(feature = "ssr")]
pub mod range;
#[cfg(feature = "ssr")]
pub mod service;
