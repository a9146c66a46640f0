//! A tab's end of the team's live stream: one `EventSource` per tab. A page that shows
//! conversations opens it from the newest message it shows; on the other pages the frame opens it
//! ([`TabStream`]), so that the owner hears of a hand-off wherever they are. The browser reconnects
//! by itself and sends the last message id it got, from which the server replays what was missed.
//! Without JavaScript there is no stream: the pages are complete as served, and a reload shows
//! what is new.
use leptos::prelude::*;
use serde::Deserialize;

use super::super::model::ChatEvent;
#[cfg(feature = "hydrate")]
use super::super::model::EVENTS_PATH;

/// The events of the team's stream that pages listen to.
#[cfg(feature = "hydrate")]
const TEAM_EVENTS: &[&str] = &["message", "conversation", "handoff", "read"];

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

impl HandOff {
    pub fn of(event: &ChatEvent) -> Option<HandOff> {
        match event {
            ChatEvent::HandedOff { client_id, owner_id, client_name, reason, failed, note_id, .. } => Some(HandOff {
                client_id: *client_id,
                owner_id: *owner_id,
                client_name: client_name.clone(),
                reason: reason.clone(),
                failed: *failed,
                note_id: *note_id,
            }),
            _ => None,
        }
    }
}

/// The tab's stream, provided by the frame: its listener hears every hand-off, through a page's
/// stream when a page has one open, through the frame's own otherwise.
#[derive(Clone, Copy)]
// On the server there is no stream: the frame only provides it.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub struct TabStream {
    listener: Callback<HandOff>,
    /// How many of the shown components follow a stream of their own.
    pages: RwSignal<usize>,
}

impl TabStream {
    /// Provides the tab's stream to everything below, `listener` hearing every hand-off. In the
    /// browser, the frame's own stream (of hand-offs only) is open while no page has one.
    pub fn provide(listener: impl Fn(HandOff) + Send + Sync + 'static) {
        let tab = TabStream { listener: Callback::new(listener), pages: RwSignal::new(0) };
        provide_context(tab);
        #[cfg(feature = "hydrate")]
        Effect::new(move |_| {
            // The effect's clean-up (when a page opens its own) closes this one.
            if tab.pages.get() == 0 {
                let on_data = move |data: String| {
                    if let Ok(hand_off) = serde_json::from_str::<HandOff>(&data) {
                        tab.listener.run(hand_off);
                    }
                };
                use_event_source(EVENTS_PATH, None, &["handoff"], on_data, || {});
            }
        });
    }
}

/// Calls `on_event` with every event of the team's stream while the calling component lives (and
/// the frame's listener with its hand-offs). `after`: the newest message id the page already shows
/// (so no message between the page's load and the stream's start is lost). `on_open`: the stream
/// is (again) open; only messages are replayed, so a page reads the rest of what it shows again.
pub fn use_chat_stream(after: Option<i64>, on_event: impl Fn(ChatEvent) + 'static, on_open: impl Fn() + 'static) {
    #[cfg(feature = "hydrate")]
    {
        let tab = use_context::<TabStream>();
        if let Some(tab) = tab {
            tab.pages.update(|pages| *pages += 1);
            on_cleanup(move || {
                tab.pages.try_update(|pages| *pages = pages.saturating_sub(1));
            });
        }
        let on_data = move |data: String| {
            if let Ok(parsed) = serde_json::from_str::<ChatEvent>(&data) {
                if let (Some(tab), Some(hand_off)) = (tab, HandOff::of(&parsed)) {
                    tab.listener.run(hand_off);
                }
                on_event(parsed);
            }
        };
        use_event_source(EVENTS_PATH, after, TEAM_EVENTS, on_data, on_open);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (after, on_event, on_open);
}

/// Calls `on_data` with the data of every event named in `names` of the stream at `path` (from
/// the message after `after`) while the calling component lives, and `on_open` each time the stream
/// opens (a reconnect included). A `reset` event (too far behind to catch up) reloads the page.
///
/// A hidden tab closes its stream and opens it again when shown, from the newest message id it
/// got, so that it misses nothing: over HTTP/1.1 a browser keeps six connections to a host across
/// all its tabs, and tabs left open in the background must not hold them.
pub fn use_event_source(
    path: &str,
    after: Option<i64>,
    names: &[&str],
    on_data: impl Fn(String) + 'static,
    on_open: impl Fn() + 'static,
) {
    #[cfg(feature = "hydrate")]
    {
        use std::{
            cell::{Cell, RefCell},
            rc::Rc,
        };

        use leptos::{
            __reexports::send_wrapper::SendWrapper,
            wasm_bindgen::{JsCast, closure::Closure},
            web_sys::{EventSource, MessageEvent, VisibilityState},
        };

        let Some(document) = leptos::web_sys::window().and_then(|window| window.document()) else { return };
        let last_id = Rc::new(Cell::new(after));
        let listener = {
            let last_id = last_id.clone();
            Rc::new(Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                if let Ok(id) = event.last_event_id().parse::<i64>() {
                    last_id.set(Some(id));
                }
                if let Some(data) = event.data().as_string() {
                    on_data(data);
                }
            }))
        };
        let opened = Rc::new(Closure::<dyn FnMut()>::new(on_open));
        let reset = Rc::new(Closure::<dyn FnMut(MessageEvent)>::new(move |_: MessageEvent| {
            if let Some(window) = leptos::web_sys::window() {
                let _ = window.location().reload();
            }
        }));
        let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        let path = path.to_owned();
        let open = move || -> Option<EventSource> {
            let url = match last_id.get() {
                Some(id) => format!("{path}?after={id}"),
                None => path.clone(),
            };
            let source = EventSource::new(&url).ok()?;
            for name in &names {
                let _ = source.add_event_listener_with_callback(name, (*listener).as_ref().unchecked_ref());
            }
            let _ = source.add_event_listener_with_callback("reset", (*reset).as_ref().unchecked_ref());
            let _ = source.add_event_listener_with_callback("open", (*opened).as_ref().unchecked_ref());
            Some(source)
        };
        let visible = |document: &leptos::web_sys::Document| document.visibility_state() != VisibilityState::Hidden;
        let current = Rc::new(RefCell::new(if visible(&document) { open() } else { None }));
        let on_visibility = {
            let (current, document) = (current.clone(), document.clone());
            Closure::<dyn FnMut()>::new(move || {
                let mut current = current.borrow_mut();
                if !visible(&document) {
                    if let Some(source) = current.take() {
                        source.close();
                    }
                } else if current.is_none() {
                    *current = open();
                }
            })
        };
        let _ = document.add_event_listener_with_callback("visibilitychange", on_visibility.as_ref().unchecked_ref());
        let held = SendWrapper::new((document, current, on_visibility));
        on_cleanup(move || {
            let (document, current, on_visibility) = held.take();
            let _ = document
                .remove_event_listener_with_callback("visibilitychange", on_visibility.as_ref().unchecked_ref());
            if let Some(source) = current.borrow_mut().take() {
                source.close();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (path, after, names, on_data, on_open);
}
