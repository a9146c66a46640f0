//! Toasts: short notes that an action worked or failed, in one live region at the corner of the
//! screen. They dismiss themselves after a few seconds, or with their close button.
use std::time::Duration;

use leptos::prelude::*;

use crate::shared::AppError;

const SHOWN_FOR: Duration = Duration::from_secs(6);
/// Something that asks for the person's attention stays longer.
const NOTICE_SHOWN_FOR: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Failure,
    /// Something needs the person (a lead waiting for them), with a link to it.
    Notice,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Toast {
    id: u64,
    kind: ToastKind,
    text: String,
    /// `(href, label)`.
    link: Option<(String, String)>,
}

/// The toasts on screen. Provided by the layout, so a toast outlives the page that raised it (the
/// "Client created." raised as the form redirects is still shown on the list).
#[derive(Clone, Copy)]
pub struct Toasts {
    shown: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

impl Toasts {
    pub fn provide() -> Toasts {
        let toasts = Toasts { shown: RwSignal::new(Vec::new()), next_id: StoredValue::new(0) };
        provide_context(toasts);
        toasts
    }

    pub fn success(self, text: impl Into<String>) {
        self.push(ToastKind::Success, text.into(), None);
    }

    pub fn failure(self, text: impl Into<String>) {
        self.push(ToastKind::Failure, text.into(), None);
    }

    /// A note that something needs the person, with a link to it.
    pub fn notice(self, text: impl Into<String>, href: impl Into<String>, label: impl Into<String>) {
        self.push(ToastKind::Notice, text.into(), Some((href.into(), label.into())));
    }

    fn push(self, kind: ToastKind, text: String, link: Option<(String, String)>) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.shown.update(|shown| shown.push(Toast { id, kind, text, link }));
        let shown_for = if kind == ToastKind::Notice { NOTICE_SHOWN_FOR } else { SHOWN_FOR };
        set_timeout(move || self.dismiss(id), shown_for);
    }

    fn dismiss(self, id: u64) {
        self.shown.try_update(|shown| shown.retain(|toast| toast.id != id));
    }
}

/// The toasts of this page's layout, if it has one (the sign-in pages do not).
pub fn use_toasts() -> Option<Toasts> {
    use_context::<Toasts>()
}

#[component]
pub fn ToastRegion(toasts: Toasts) -> impl IntoView {
    view! {
        <div class="toasts" role="status" aria-live="polite" aria-atomic="false">
            <For each=move || toasts.shown.get() key=|toast| toast.id let:toast>
                <div class="toast" data-kind=match toast.kind {
                    ToastKind::Success => "success",
                    ToastKind::Failure => "failure",
                    ToastKind::Notice => "notice",
                }>
                    <span class="toast-icon">
                        <crate::ui::icon::Icon name=match toast.kind {
                            ToastKind::Success => "check",
                            ToastKind::Failure => "alert",
                            ToastKind::Notice => "chat",
                        } />
                    </span>
                    <span class="toast-text">
                        {toast.text.clone()}
                        {toast.link.clone().map(|(href, label)| view! {
                            " " <a class="toast-link" href=href on:click=move |_| toasts.dismiss(toast.id)>{label}</a>
                        })}
                    </span>
                    <button type="button" class="toast-close" aria-label="Dismiss"
                        on:click=move |_| toasts.dismiss(toast.id)><crate::ui::icon::Icon name="close" /></button>
                </div>
            </For>
        </div>
    }
}

/// Raises a success toast each time an action works, for actions whose page shows no confirmation
/// of its own (or that navigate away). Failures are not toasted: they are shown next to the field or
/// at the top of the form, as an alert. The action's value is taken once, here: the page may be gone
/// (a redirect) by the time the action settles, and a disposed value is then simply ignored.
pub fn announce<T: Send + Sync + 'static>(value: MappedSignal<Option<Result<T, AppError>>>, success: &'static str) {
    let Some(toasts) = use_toasts() else { return };
    Effect::new(move |_| {
        if value.try_with(|outcome| matches!(outcome, Some(Ok(_)))) == Some(true) {
            toasts.success(success);
        }
    });
}
