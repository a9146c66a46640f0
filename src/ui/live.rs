//! A browser tab's end of the team's live stream (server-sent events). One stream per tab: over
//! HTTP/1.1 a browser keeps six connections to a host across all its tabs. The frame provides the
//! [`TabStream`] and keeps it open; a page that needs its own (the chat's, opened from the newest
//! message it shows so that none is missed) takes its place while it lives and hands the frame's
//! listeners what they hear. Without JavaScript there is no stream: pages are complete as served,
//! and a reload shows what is new.
use leptos::prelude::*;

/// Someone listening to one kind of event of the tab's stream.
#[derive(Clone, Copy)]
struct Listener {
    key: u64,
    name: &'static str,
    on_data: Callback<String>,
    on_open: Option<Callback<()>>,
}

/// The tab's stream, provided by the frame.
#[derive(Clone, Copy)]
// On the server there is no stream: the frame only provides it.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub struct TabStream {
    listeners: StoredValue<Vec<Listener>>,
    next_key: StoredValue<u64>,
    /// How many of the shown components follow a stream of their own.
    pages: RwSignal<usize>,
}

impl TabStream {
    /// Provides the tab's stream to everything below. In the browser, the frame's own stream of
    /// `path`, listening to the events in `names`, is open while no page has one of its own.
    pub fn provide(path: &'static str, names: &'static [&'static str]) -> TabStream {
        let tab = TabStream {
            listeners: StoredValue::new(Vec::new()),
            next_key: StoredValue::new(0),
            pages: RwSignal::new(0),
        };
        provide_context(tab);
        #[cfg(feature = "hydrate")]
        Effect::new(move |_| {
            // The effect's clean-up (when a page opens its own) closes this one.
            if tab.pages.get() == 0 {
                use_event_source(path, None, names, move |name, data| tab.dispatch(&name, data), move || tab.opened());
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (path, names);
        tab
    }

    /// Calls `on_data` with the data of every `name` event while the calling component lives, and
    /// `on_open` (if any) each time the stream opens, a reconnect included.
    pub fn listen(
        self,
        name: &'static str,
        on_data: impl Fn(String) + Send + Sync + 'static,
        on_open: Option<Callback<()>>,
    ) {
        let key = self.next_key.try_update_value(|key| {
            *key += 1;
            *key
        });
        let Some(key) = key else { return };
        let listener = Listener { key, name, on_data: Callback::new(on_data), on_open };
        self.listeners.update_value(|listeners| listeners.push(listener));
        on_cleanup(move || {
            self.listeners.try_update_value(|listeners| listeners.retain(|listener| listener.key != key));
        });
    }

    /// Hands the data of a `name` event to its listeners.
    pub fn dispatch(self, name: &str, data: String) {
        let matching: Vec<Callback<String>> = self
            .listeners
            .try_with_value(|listeners| {
                listeners.iter().filter(|listener| listener.name == name).map(|listener| listener.on_data).collect()
            })
            .unwrap_or_default();
        for on_data in matching {
            on_data.run(data.clone());
        }
    }

    /// Tells the listeners that the stream (re)opened: what it did not replay, they read again.
    pub fn opened(self) {
        let matching: Vec<Callback<()>> = self
            .listeners
            .try_with_value(|listeners| listeners.iter().filter_map(|listener| listener.on_open).collect())
            .unwrap_or_default();
        for on_open in matching {
            on_open.run(());
        }
    }

    /// The calling component follows a stream of its own while it lives (which must hand what it
    /// hears to [`TabStream::dispatch`] and [`TabStream::opened`]): the frame's closes meanwhile.
    pub fn page_stream(self) {
        self.pages.update(|pages| *pages += 1);
        on_cleanup(move || {
            self.pages.try_update(|pages| *pages = pages.saturating_sub(1));
        });
    }
}

/// Reloads a page's data (`reload`) when the tab's stream brings a `name` event and whenever the
/// stream (re)opens, since such events are not replayed. A burst of events makes one reload. The
/// page renders the new data into the elements it has (the same view, rebuilt in place), so what
/// someone is typing in one of its fields stays, and so does a scrolled grid. Outside a frame (or
/// on the server) it does nothing.
pub fn use_live_reload(name: &'static str, reload: impl Fn() + Send + Sync + 'static) {
    let Some(tab) = use_context::<TabStream>() else { return };
    let soon = settled_reload(reload);
    tab.listen(name, move |_| soon(), Some(Callback::new(move |()| soon())));
}

/// `reload` as [`use_live_reload`] runs it: once for a burst of calls.
pub fn settled_reload(reload: impl Fn() + Send + Sync + 'static) -> impl Fn() + Copy + Send + Sync + 'static {
    let reload = Callback::new(move |()| reload());
    let scheduled = StoredValue::new(false);
    move || {
        #[cfg(feature = "hydrate")]
        if scheduled.try_get_value() == Some(false) {
            scheduled.set_value(true);
            set_timeout(
                move || {
                    // Not if the page is gone meanwhile.
                    if scheduled.try_set_value(false).is_none() {
                        reload.run(());
                    }
                },
                SETTLE,
            );
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (scheduled, reload);
    }
}

/// How long a reload waits for the rest of a burst of events.
#[cfg(feature = "hydrate")]
const SETTLE: std::time::Duration = std::time::Duration::from_millis(250);

/// Calls `on_event` with the name and data of every event named in `names` of the stream at `path` (from
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
    on_event: impl Fn(String, String) + 'static,
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
                    on_event(event.type_(), data);
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
    let _ = (path, after, names, on_event, on_open);
}
