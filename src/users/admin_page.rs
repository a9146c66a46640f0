//! `/users`, for admins: search and page through accounts, add one, change a role, disable or
//! enable an account, and set a new password. Works without JavaScript as plain form posts.
use leptos::{form::ActionForm, prelude::*, server_fn::ServerFn as _};
use leptos_router::{components::Form, hooks::use_query_map};

use super::{
    api::{CreateUser, RenameUser, ResetUserPassword, SetUserActive, SetUserRole, list_users},
    model::Role,
    roster::{UserList, UserRow},
};
use crate::{
    shared::AppError,
    ui::{
        forms::{FieldError, FormError, action_error, invalid},
        page::PageHeader,
    },
};

/// Admins only: anyone else gets the 403 page, without a glimpse of the admin page itself. The
/// list decides (its server function refuses non-admins), and holds the response until it has.
#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    let page = move || query.read().get("page").and_then(|page| page.parse::<u64>().ok()).unwrap_or(1);
    let create = ServerAction::<CreateUser>::new();
    let users = Resource::new_blocking(
        move || (search(), page(), create.version().get()),
        |(q, page, _)| crate::ui::page::page_data(list_users(q, page)),
    );
    view! {
        <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading users…" lines=8 /> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => view! { <UsersAdmin list create search=search() /> }.into_any(),
                    Err(error @ (AppError::Forbidden | AppError::Unauthenticated)) => {
                        view! { <crate::ui::page::ErrorPage error /> }.into_any()
                    }
                    Err(error) => view! { <p class="card error-panel" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn UsersAdmin(list: UserList, create: ServerAction<CreateUser>, search: String) -> impl IntoView {
    let value = search.clone();
    view! {
        <PageHeader title="Users" subtitle="Who can sign in, and what they may do." />
        <CreateUserForm action=create />
        <section class="card" aria-labelledby="users-title">
            <div class="toolbar">
                <h2 id="users-title">"Accounts"</h2>
                <Form method="GET" action="" attr:role="search" attr:class="search-form">
                    <label class="visually-hidden" for="user-search">"Search users"</label>
                    <input id="user-search" type="search" name="q" placeholder="Search by name or email"
                        value=value />
                    <button type="submit" class="button button-quiet">"Search"</button>
                </Form>
            </div>
            <UserTable list search />
        </section>
    }
}

#[component]
fn CreateUserForm(action: ServerAction<CreateUser>) -> impl IntoView {
    let error = action_error(action);
    let kept_admin = crate::ui::form_flash::kept(CreateUser::PATH, "role").as_deref() == Some("admin");
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move || {
        if matches!(action.value().get(), Some(Ok(_)))
            && let Some(form) = form.get()
        {
            form.reset();
        }
    });
    let created = move || match action.value().get() {
        Some(Ok(user)) => Some(format!("{} can now sign in as {}.", user.name, user.email)),
        _ => None,
    };
    view! {
        <details class="card disclosure" open=move || error.get().is_some()>
            <summary>"Add a user"</summary>
            <ActionForm action node_ref=form attr:class="form-stack">
                <FormError error />
                <div class="form-grid">
                    <div class="field">
                        <label for="new-name">"Name"</label>
                        <input id="new-name" name="name" required maxlength="200" autocomplete="off"
                            value=crate::ui::form_flash::kept(CreateUser::PATH, "name")
                            aria-invalid=invalid(error, "name") aria-describedby="new-name-error" />
                        <FieldError error field="name" prefix="new-" />
                    </div>
                    <div class="field">
                        <label for="new-email">"Email"</label>
                        <input id="new-email" name="email" type="email" required autocomplete="off"
                            value=crate::ui::form_flash::kept(CreateUser::PATH, "email")
                            aria-invalid=invalid(error, "email") aria-describedby="new-email-error" />
                        <FieldError error field="email" prefix="new-" />
                    </div>
                    <div class="field">
                        <label for="new-role">"Role"</label>
                        <select id="new-role" name="role" aria-invalid=invalid(error, "role")
                            aria-describedby="new-role-error">
                            <option value="user" selected=!kept_admin>"User: their own clients and strategies"</option>
                            <option value="admin" selected=kept_admin>"Admin: everything, including users"</option>
                        </select>
                        <FieldError error field="role" prefix="new-" />
                    </div>
                    <div class="field">
                        <label for="new-password">"Initial password"</label>
                        <input id="new-password" name="password" type="password" required minlength="8"
                            autocomplete="new-password" aria-invalid=invalid(error, "password")
                            aria-describedby="new-password-hint new-password-error" />
                        <p class="hint" id="new-password-hint">"Share it privately; they can change it in Settings."</p>
                        <FieldError error field="password" prefix="new-" />
                    </div>
                </div>
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Adding…" } else { "Add user" }}
                    </button>
                </div>
            </ActionForm>
        </details>
        {move || created().map(|text| view! { <p class="notice notice-success" role="status">{text}</p> })}
    }
}

#[component]
fn UserTable(list: UserList, search: String) -> impl IntoView {
    if list.rows.is_empty() {
        let text =
            if search.is_empty() { "No users yet.".to_owned() } else { format!("No user matches “{search}”.") };
        return view! {
            <div class="empty-state">
                <p class="empty-title">{text}</p>
            </div>
        }
        .into_any();
    }
    let page_link = {
        let search = search.clone();
        move |page: u64| {
            let mut query = url_query(&[("q", &search)]);
            if page > 1 {
                query.push_str(if query.is_empty() { "?" } else { "&" });
                query.push_str(&format!("page={page}"));
            }
            format!("/users{query}")
        }
    };
    let viewer_id = list.viewer_id;
    let rows = list.rows.clone();
    let summary =
        format!("{} user{} · page {} of {}", list.total, if list.total == 1 { "" } else { "s" }, list.page, list.pages);
    view! {
        <div class="table-wrap">
            <table class="data-table" data-testid="users-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Added"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || rows.clone() key=|row| row.id let:row>
                        <UserRowView row viewer_id />
                    </For>
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">
            <span class="muted">{summary}</span>
            {(list.page > 1).then(|| view! { <a class="button button-quiet" href=page_link(list.page - 1) rel="prev">"Previous"</a> })}
            {(list.page < list.pages).then(|| view! { <a class="button button-quiet" href=page_link(list.page + 1) rel="next">"Next"</a> })}
        </nav>
    }
    .into_any()
}

fn url_query(pairs: &[(&str, &str)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{key}={}", crate::ui::url::encode_component(value)))
        .collect();
    if encoded.is_empty() { String::new() } else { format!("?{}", encoded.join("&")) }
}

/// The error of a row's last action, when it was about this row: without JavaScript every row's
/// form sees the error of the one submission, and only the submitted row should show it.
fn row_error<I, T>(action: ServerAction<I>, user_id: i64) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = T, Error = AppError> + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    let error = action_error(action);
    Signal::derive(move || {
        error.get().filter(|error| match error {
            AppError::Validation(fields) => fields.get("user_id").is_none_or(|id| *id == user_id.to_string()),
            _ => true,
        })
    })
}

#[component]
fn UserRowView(row: UserRow, viewer_id: i64) -> impl IntoView {
    let is_me = viewer_id == row.id;
    let id = row.id;
    let row = RwSignal::new(row);
    let set_role = ServerAction::<SetUserRole>::new();
    crate::ui::toast::announce(set_role.value(), "Role changed.");
    let set_active = ServerAction::<SetUserActive>::new();
    crate::ui::toast::announce(set_active.value(), "Access changed.");
    let reset = ServerAction::<ResetUserPassword>::new();
    let rename = ServerAction::<RenameUser>::new();
    crate::ui::toast::announce(rename.value(), "Name and email saved.");
    Effect::new(move || {
        if let Some(Ok(updated)) = rename.value().get() {
            row.set(updated);
        }
    });
    let rename_error = row_error(rename, id);
    // The row shows what the server answered, without reloading the list.
    Effect::new(move || {
        if let Some(Ok(updated)) = set_role.value().get() {
            row.set(updated);
        }
    });
    Effect::new(move || {
        if let Some(Ok(updated)) = set_active.value().get() {
            row.set(updated);
        }
    });
    let confirming_disable = RwSignal::new(false);
    let reset_error = row_error(reset, id);
    let action_error = Signal::derive(move || {
        set_role.value().get().and_then(Result::err).or_else(|| set_active.value().get().and_then(Result::err))
    });
    let name = move || row.read().name.clone();
    view! {
        <tr data-testid="user-row" data-email=move || row.read().email.clone()>
            <th scope="row">{name} {is_me.then_some(" (you)")}</th>
            <td>{move || row.read().email.clone()}</td>
            <td>
                {move || match row.read().role {
                    Role::Admin => view! { <span class="badge badge-accent">"Admin"</span> },
                    Role::User => view! { <span class="badge badge-neutral">"User"</span> },
                }}
            </td>
            <td data-testid="user-status">
                {move || if row.read().active {
                    view! { <span class="badge badge-ok">"Active"</span> }
                } else {
                    view! { <span class="badge badge-danger">"Disabled"</span> }
                }}
            </td>
            <td>{move || row.read().created_on.clone()}</td>
            <td class="row-actions">
                <details class="inline-disclosure" open=move || rename_error.get().is_some()>
                    <summary class="button button-quiet">"Edit"</summary>
                    <ActionForm action=rename attr:class="inline-form">
                        <input type="hidden" name="user_id" value=id />
                        <label class="visually-hidden" for=format!("rename-{id}-name")>{move || format!("Name of {}", name())}</label>
                        <input id=format!("rename-{id}-name") name="name" required maxlength="200" autocomplete="off"
                            value=move || row.read_untracked().name.clone() aria-invalid=invalid(rename_error, "name")
                            aria-describedby=format!("rename-{id}-name-error") />
                        <label class="visually-hidden" for=format!("rename-{id}-email")>{move || format!("Email of {}", name())}</label>
                        <input id=format!("rename-{id}-email") name="email" type="email" required maxlength="254"
                            autocomplete="off" value=move || row.read_untracked().email.clone()
                            aria-invalid=invalid(rename_error, "email") aria-describedby=format!("rename-{id}-email-error") />
                        <button type="submit" class="button">"Save"</button>
                        <FieldError error=rename_error field="name" prefix=format!("rename-{id}-") />
                        <FieldError error=rename_error field="email" prefix=format!("rename-{id}-") />
                    </ActionForm>
                </details>
                {(!is_me).then(|| view! {
                    <ActionForm action=set_role>
                        <input type="hidden" name="user_id" value=id />
                        <input type="hidden" name="role"
                            value=move || if row.read().role == Role::Admin { "user" } else { "admin" } />
                        <button type="submit" class="button button-quiet">
                            {move || if row.read().role == Role::Admin { "Make user" } else { "Make admin" }}
                        </button>
                    </ActionForm>
                    <ActionForm action=set_active>
                        <input type="hidden" name="user_id" value=id />
                        <input type="hidden" name="active" value=move || (!row.read().active).to_string() />
                        <Show
                            when=move || row.read().active
                            fallback=|| view! { <button type="submit" class="button button-quiet">"Enable"</button> }
                        >
                            // With JavaScript the first press asks for confirmation; without it the
                            // form posts at once (disabling is undone with "Enable").
                            <button type="submit" class="button button-danger"
                                on:click=move |event| {
                                    if !confirming_disable.get() {
                                        event.prevent_default();
                                        confirming_disable.set(true);
                                    }
                                }
                                on:blur=move |_| confirming_disable.set(false)>
                                {move || if confirming_disable.get() { "Confirm: disable and sign out" } else { "Disable" }}
                            </button>
                        </Show>
                    </ActionForm>
                    <details class="inline-disclosure" open=move || reset_error.get().is_some()>
                        <summary class="button button-quiet">"Set password"</summary>
                        <ActionForm action=reset attr:class="inline-form">
                            <input type="hidden" name="user_id" value=id />
                            <label class="visually-hidden" for=format!("reset-{id}")>{move || format!("New password for {}", name())}</label>
                            <input id=format!("reset-{id}") name="password" type="password" required minlength="8"
                                autocomplete="new-password" placeholder="New password"
                                aria-invalid=invalid(reset_error, "password")
                                aria-describedby=format!("reset-{id}-password-error") />
                            <button type="submit" class="button">"Save"</button>
                            <FieldError error=reset_error field="password" prefix=format!("reset-{id}-") />
                        </ActionForm>
                    </details>
                })}
                {move || action_error.get().map(|error| view! { <p class="field-error" role="alert">{error.to_string()}</p> })}
                {move || matches!(reset.value().get(), Some(Ok(_))).then(|| view! {
                    <p class="outcome" role="status">"Password set; they were signed out everywhere."</p>
                })}
            </td>
        </tr>
    }
}
