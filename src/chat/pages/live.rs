//! The chat's end of the team's live stream ([`crate::ui::live`]). A page that shows
//! conversations opens the tab's stream from the newest message it shows; on the other pages the
//! frame's stream is open, so that the owner hears of a hand-off wherever they are. The browser
//! reconnects by itself and sends the last message id it got, from which the server replays what
//! was missed.
#[cfg(feature = "hydrate")]
use leptos::prelude::*;
use serde::Deserialize;

use super::super::model::ChatEvent;
#[cfg(feature = "hydrate")]
use super::super::model::EVENTS_PATH;

/// The name of the stream's hand-off events.
pub const HAND_OFF_EVENT: &str = "handoff";

/// The events of the team's stream that chat pages listen to.
#[cfg(feature = "hydrate")]
const TEAM_EVENTS: &[&str] = &["message", "conversation", HAND_OFF_EVENT, "read"];

/// What the frame needs of a hand-off event (the data of the stream's `handoff` events, read
/// without the whole [`ChatEvent`], whose code stays with the chat's pages).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HandOff {
    pub client_id: i64,
    pub owner_id: i64,
    pub client_name: String,
    pub reason: String,
    pub failed: bool,
    pub note_id: i64,
}

/// Calls `on_event` with every event of the team's stream while the calling component lives (and
/// the frame's listeners with what they listen to). `after`: the newest message id the page
/// already shows (so no message between the page's load and the stream's start is lost).
/// `on_open`: the stream is (again) open; only messages are replayed, so a page reads the rest of
/// what it shows again.
pub fn use_chat_stream(after: Option<i64>, on_event: impl Fn(ChatEvent) + 'static, on_open: impl Fn() + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use crate::ui::live::{TabStream, use_event_source};
        let tab = use_context::<TabStream>();
        if let Some(tab) = tab {
            tab.page_stream();
        }
        let on_data = move |name: String, data: String| {
            if let Ok(parsed) = serde_json::from_str::<ChatEvent>(&data) {
                on_event(parsed);
            }
            if let Some(tab) = tab {
                tab.dispatch(&name, data);
            }
        };
        let on_open = move || {
            on_open();
            if let Some(tab) = tab {
                tab.opened();
            }
        };
        use_event_source(EVENTS_PATH, after, TEAM_EVENTS, on_data, on_open);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (after, on_event, on_open);
}
