//! Booking changes told to the team's open pages. Every commit of the booking service announces
//! the booking it wrote on the bus; the team's live stream (one per browser tab, fed by the bus of
//! every instance) passes it on to the owner and the admins as a `booking` event, and the calendar
//! and the bookings list read themselves again. The event carries ids only: each page reads what
//! it shows through its own authorised server function.
use serde::{Deserialize, Serialize};

/// The bus channel of booking changes.
pub const BUS_CHANNEL: &str = "bookings";
/// The name of the live stream's event.
pub const EVENT_NAME: &str = "booking";

/// A booking was made, moved, cancelled, closed or edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingChanged {
    pub booking_id: i64,
    pub owner_id: i64,
}

#[cfg(feature = "ssr")]
impl BookingChanged {
    /// Whether `user` sees the booking: its owner and the admins.
    pub fn reaches(&self, user: &crate::users::model::CurrentUser) -> bool {
        user.is_admin() || user.id == self.owner_id
    }
}

/// Announces a committed change of `booking`. A bus that is down loses the live update only: the
/// change is committed, and an open page shows it when it reads itself again.
#[cfg(feature = "ssr")]
pub async fn announce(state: &crate::server::state::AppState, booking: &super::entity::Model) {
    let event = BookingChanged { booking_id: booking.id, owner_id: booking.owner_id };
    let Ok(payload) = serde_json::to_string(&event) else { return };
    if let Err(error) = state.infra.bus.publish(BUS_CHANNEL, &payload).await {
        tracing::warn!(%error, "could not announce a booking change");
    }
}
