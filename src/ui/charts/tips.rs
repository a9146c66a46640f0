//! Tooltips for the charts inside, after hydration: a mark's tooltip shows at once above it on
//! hover, on keyboard focus and on a tap, styled by the design tokens, where the browser's own
//! (from the mark's SVG `<title>`, all there is without JavaScript) waits a second, shows only
//! on hover and never on touch.
//!
//! When a mark is first pointed at or focused, its `<title>` becomes a `data-tip` attribute (and
//! the `aria-label` of a link, its accessible name), so the browser's tooltip does not show as
//! well. A chart's markup is set once, so nothing redraws the title taken out.
use leptos::prelude::*;

#[component]
pub fn ChartTips(children: Children) -> impl IntoView {
    let root = NodeRef::<leptos::html::Div>::new();
    let tip = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let (Some(root), Some(tip)) = (root.get(), tip.get()) {
            listen(root.into(), tip.into());
        }
    });
    view! {
        <div class="chart-tips" node_ref=root>
            {children()}
            <div class="chart-tip" aria-hidden="true" hidden node_ref=tip></div>
        </div>
    }
}

/// The listeners of one `ChartTips`, removed when it unmounts.
#[cfg(feature = "hydrate")]
type Listeners = Vec<(
    leptos::web_sys::EventTarget,
    &'static str,
    leptos::wasm_bindgen::closure::Closure<dyn FnMut(leptos::web_sys::Event)>,
)>;

#[cfg(feature = "hydrate")]
fn listen(root: leptos::web_sys::Element, tip: leptos::web_sys::Element) {
    use leptos::wasm_bindgen::{JsCast, closure::Closure};
    use leptos::web_sys::{Element, Event, EventTarget, KeyboardEvent};

    // The mark whose tooltip shows, so that a scroll moves the tooltip with it.
    let shown: std::rc::Rc<std::cell::RefCell<Option<(Element, String)>>> = Default::default();
    let show = {
        let (tip, shown) = (tip.clone(), shown.clone());
        move |event: Event| {
            let target = event.target().and_then(|target| target.dyn_into::<Element>().ok());
            match target.and_then(|target| tip_of(&target)) {
                Some((mark, text)) => {
                    place(&tip, &mark, &text);
                    *shown.borrow_mut() = Some((mark, text));
                }
                None => hide(&tip, &shown),
            }
        }
    };
    let hide_on = |escape_only: bool| {
        let (tip, shown) = (tip.clone(), shown.clone());
        move |event: Event| {
            let key = event.dyn_ref::<KeyboardEvent>().map(KeyboardEvent::key);
            if !escape_only || key.as_deref() == Some("Escape") {
                hide(&tip, &shown);
            }
        }
    };
    // A scroll (the page's, or the browser bringing a focused mark into view, which may land just
    // after the mark was pointed at) moves the tooltip along rather than hiding it.
    let follow = {
        let (tip, shown) = (tip.clone(), shown.clone());
        move |_: Event| {
            if let Some((mark, text)) = shown.borrow().as_ref() {
                place(&tip, mark, text);
            }
        }
    };
    let root: EventTarget = root.into();
    let mut listeners: Listeners = vec![
        (root.clone(), "pointerover", Closure::new(show.clone())),
        (root.clone(), "focusin", Closure::new(show)),
        (root.clone(), "pointerleave", Closure::new(hide_on(false))),
        (root.clone(), "focusout", Closure::new(hide_on(false))),
        (root, "keydown", Closure::new(hide_on(true))),
    ];
    if let Some(window) = leptos::web_sys::window() {
        listeners.push((window.into(), "scroll", Closure::new(follow)));
    }
    for (target, name, handler) in &listeners {
        let _ = target.add_event_listener_with_callback(name, handler.as_ref().unchecked_ref());
    }
    let held = leptos::__reexports::send_wrapper::SendWrapper::new(listeners);
    on_cleanup(move || {
        for (target, name, handler) in held.take() {
            let _ = target.remove_event_listener_with_callback(name, handler.as_ref().unchecked_ref());
        }
    });
}

/// The mark under `target` (itself or one of its nearest parents inside its `<svg>`) with its
/// tooltip; its `<title>` becomes `data-tip` the first time.
#[cfg(feature = "hydrate")]
fn tip_of(target: &leptos::web_sys::Element) -> Option<(leptos::web_sys::Element, String)> {
    let mut node = Some(target.clone());
    for _ in 0..4 {
        let element = node?;
        if let Some(text) = element.get_attribute("data-tip") {
            return Some((element, text));
        }
        // The chart's own title (which has an id) names the chart, not a mark.
        if let Ok(Some(title)) = element.query_selector(":scope > title:not([id])") {
            let text = title.text_content().unwrap_or_default();
            title.remove();
            let _ = element.set_attribute("data-tip", &text);
            if element.tag_name().eq_ignore_ascii_case("a") {
                let _ = element.set_attribute("aria-label", &text);
            }
            return Some((element, text));
        }
        if element.tag_name().eq_ignore_ascii_case("svg") {
            return None;
        }
        node = element.parent_element();
    }
    None
}

/// Shows `text` above the middle of `mark`, kept inside the window.
#[cfg(feature = "hydrate")]
fn place(tip: &leptos::web_sys::Element, mark: &leptos::web_sys::Element, text: &str) {
    use leptos::wasm_bindgen::JsCast as _;
    tip.set_text_content(Some(text));
    let _ = tip.remove_attribute("hidden");
    let rect = mark.get_bounding_client_rect();
    let width = tip.get_bounding_client_rect().width();
    let window_width =
        leptos::web_sys::window().and_then(|window| window.inner_width().ok()).and_then(|w| w.as_f64()).unwrap_or(0.0);
    let centre = rect.left() + rect.width() / 2.0;
    let left = (centre - width / 2.0).clamp(8.0, (window_width - width - 8.0).max(8.0));
    let top = (rect.top() - 8.0).max(0.0);
    // Through the CSSOM: the content security policy refuses a `style` attribute.
    if let Some(tip) = tip.dyn_ref::<leptos::web_sys::HtmlElement>() {
        let style = tip.style();
        let _ = style.set_property("left", &format!("{left:.0}px"));
        let _ = style.set_property("top", &format!("{top:.0}px"));
    }
}

#[cfg(feature = "hydrate")]
fn hide(tip: &leptos::web_sys::Element, shown: &std::cell::RefCell<Option<(leptos::web_sys::Element, String)>>) {
    let _ = tip.set_attribute("hidden", "");
    shown.borrow_mut().take();
}
