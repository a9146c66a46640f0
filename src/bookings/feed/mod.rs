//! Calendar files: a user's feed at a secret address (`/calendar/{token}.ics`, which calendar apps
//! subscribe to) and the `.ics` of one booking for the person who booked it
//! (`/booking/{token}/invite.ics`), both written by [`ics`].
#[cfg(feature = "ssr")]
pub mod ics;
#[cfg(feature = "ssr")]
pub mod route;
