//! Page furniture: the header with title and subtitle.
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PageHeader(
    title: &'static str,
    subtitle: &'static str,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <Title text=title />
        <header class="page-header">
            <div>
                <h1>{title}</h1>
                <p class="muted">{subtitle}</p>
            </div>
            {children.map(|children| view! { <div class="page-actions">{children()}</div> })}
        </header>
    }
}

/// What a page shows while its data loads: grey bars in the shape of the content to come, and the
/// label for screen readers.
#[component]
pub fn Skeleton(label: &'static str, #[prop(default = 4)] lines: usize) -> impl IntoView {
    view! {
        <div class="card skeleton" role="status" aria-busy="true">
            <span class="visually-hidden">{label}</span>
            {(0..lines).map(|_| view! { <div class="skeleton-line" aria-hidden="true"></div> }).collect_view()}
        </div>
    }
}
