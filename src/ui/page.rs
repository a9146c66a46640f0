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
