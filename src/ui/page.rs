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

/// On the server, gives the page's HTTP response the status of `error` (404, 403...).
pub fn set_page_status(error: &crate::shared::AppError) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(
            axum::http::StatusCode::from_u16(error.status_code())
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
    #[cfg(not(feature = "ssr"))]
    let _ = error;
}

/// A page's own data (the client of `/clients/7`): when it cannot be had, the page answers with
/// that error's status. Used by a blocking resource, which holds the response back until it has
/// loaded, so that the status is decided before the first byte is sent, every time.
pub async fn page_data<T>(
    data: impl std::future::Future<Output = Result<T, crate::shared::AppError>>,
) -> Result<T, crate::shared::AppError> {
    let result = data.await;
    if let Err(error) = &result {
        set_page_status(error);
    }
    result
}

/// A page that cannot be shown: one clear message inside the layout, the matching HTTP status, and
/// a way back.
#[component]
pub fn ErrorPage(
    error: crate::shared::AppError,
    #[prop(default = "/")] back_href: &'static str,
    #[prop(default = "Go to the dashboard")] back_label: &'static str,
) -> impl IntoView {
    use crate::shared::AppError;
    set_page_status(&error);
    let (code, heading) = match &error {
        AppError::NotFound(_) => ("404", "Page not found"),
        AppError::Forbidden | AppError::Refused(_) => ("403", "No access"),
        AppError::Unauthenticated => ("401", "Please sign in"),
        _ => ("", "Something went wrong"),
    };
    view! {
        <Title text=heading />
        <section class="card empty-state not-found" role="alert" data-testid="error-page">
            {(!code.is_empty()).then(|| view! { <p class="big-code" aria-hidden="true">{code}</p> })}
            <h1>{heading}</h1>
            <p class="muted">{error.to_string()}</p>
            <a class="button" href=back_href>{back_label}</a>
        </section>
    }
}
