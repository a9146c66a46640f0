//! A booking's status as a badge.
use leptos::prelude::*;

use crate::bookings::model::BookingStatus;

pub fn status_label(status: BookingStatus) -> &'static str {
    match status {
        BookingStatus::Pending => "Pending",
        BookingStatus::Confirmed => "Confirmed",
        BookingStatus::Cancelled => "Cancelled",
        BookingStatus::Completed => "Completed",
        BookingStatus::NoShow => "No-show",
    }
}

#[component]
pub fn StatusBadge(status: BookingStatus) -> impl IntoView {
    view! {
        <span class=format!("badge booking-badge booking-{}", status.as_str()) data-testid="booking-status">
            {status_label(status)}
        </span>
    }
}
