//! An admin's "whose" select on the calendar's pages: a GET form that keeps the page's other
//! parameters, so it works without JavaScript; with it, choosing a name opens that owner's page at
//! once. The server decides what the chosen owner's page shows to whom.
use leptos::prelude::*;

/// `path?{keep}&owner={id}`.
fn href(path: &str, keep: &[(&'static str, String)], owner: &str) -> String {
    let mut query: Vec<String> = keep
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{key}={}", crate::ui::url::encode_component(value)))
        .collect();
    query.push(format!("owner={}", crate::ui::url::encode_component(owner)));
    format!("{path}?{}", query.join("&"))
}

/// Nothing for someone who is not offered a choice (an empty `owners`).
#[component]
pub fn OwnerPicker(
    /// The page the form opens.
    path: &'static str,
    /// The select's label ("Whose availability").
    label: &'static str,
    owners: Vec<(i64, String)>,
    owner_id: i64,
    /// The page's other parameters, kept as they are.
    #[prop(optional)]
    keep: Vec<(&'static str, String)>,
) -> impl IntoView {
    if owners.is_empty() {
        return ().into_any();
    }
    let navigate = leptos_router::hooks::use_navigate();
    let hidden = keep.clone();
    view! {
        <form method="get" action=path class="owner-picker" data-testid="owner-picker">
            {hidden.into_iter().filter(|(_, value)| !value.is_empty()).map(|(key, value)| view! {
                <input type="hidden" name=key value=value />
            }).collect_view()}
            <label class="visually-hidden" for="owner-picker">{label}</label>
            <select id="owner-picker" name="owner" on:change=move |event| {
                navigate(&href(path, &keep, &event_target_value(&event)), Default::default());
            }>
                {owners.into_iter().map(|(id, name)| view! {
                    <option value=id selected=id == owner_id>{name}</option>
                }).collect_view()}
            </select>
            <button type="submit" class="button button-quiet button-small">"Show"</button>
        </form>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_keeps_the_other_parameters() {
        assert_eq!(href("/bookings/settings", &[], "4"), "/bookings/settings?owner=4");
        let keep = [("date", "2027-03-01".to_owned()), ("client_q", "ana b".to_owned()), ("type", String::new())];
        assert_eq!(href("/bookings/new", &keep, "4"), "/bookings/new?date=2027-03-01&client_q=ana%20b&owner=4");
    }
}
