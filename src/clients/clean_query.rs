//! A plain GET form sends every field, empty or not (`/clients?q=&status=`). The list and the
//! board answer such an address with a redirect to the same query without its empty parameters,
//! so that the addresses people see, share and bookmark stay clean without JavaScript too.
use axum::{
    extract::Request,
    http::Method,
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};

/// The pages whose filter forms are plain GET forms.
const FILTERED_PAGES: [&str; 2] = ["/clients", "/pipeline"];

/// Redirects a GET of a filtered page whose query holds empty parameters to the clean address.
pub async fn drop_empty_parameters(request: Request, next: Next) -> Response {
    if request.method() == Method::GET
        && FILTERED_PAGES.contains(&request.uri().path())
        && let Some(clean) = request.uri().query().and_then(without_empty)
    {
        return Redirect::to(&format!("{}{clean}", request.uri().path())).into_response();
    }
    next.run(request).await
}

/// `?…` without the parameters whose value is empty or blank (`""` when none is left); `None`
/// when there is none to drop. The others are kept as they were sent.
pub fn without_empty(query: &str) -> Option<String> {
    let pairs: Vec<&str> = query.split('&').collect();
    let kept: Vec<&str> = pairs
        .iter()
        .copied()
        .filter(|pair| {
            url::form_urlencoded::parse(pair.as_bytes()).next().is_some_and(|(_, value)| !value.trim().is_empty())
        })
        .collect();
    if kept.len() == pairs.len() {
        return None;
    }
    Some(if kept.is_empty() { String::new() } else { format!("?{}", kept.join("&")) })
}

#[cfg(test)]
mod tests {
    use super::without_empty;

    #[test]
    fn empty_and_blank_parameters_are_dropped_and_the_rest_kept() {
        assert_eq!(without_empty("q=&status=&strategy=").as_deref(), Some(""));
        assert_eq!(without_empty("q=ana+lima&status=&sort=name").as_deref(), Some("?q=ana+lima&sort=name"));
        assert_eq!(without_empty("q=+&owner=3").as_deref(), Some("?owner=3"));
        assert_eq!(without_empty("q=ana&status=won"), None);
    }
}
