//! `/clients/new` and `/clients/{id}/edit`: the client form. The browser checks the same rules as the
//! server (`ClientForm::validate`) as soon as a field is left; the server has the last word.
use leptos::{form::ActionForm, prelude::*, server_fn::ServerFn as _};
use leptos_router::hooks::use_params_map;

use super::{
    api::{CreateClient, EditorData, UpdateClient, client_editor},
    model::{DUPLICATE_FIELD, DUPLICATE_ID_FIELD, STATUSES, validate_client_email, validate_phone},
};
use crate::{
    shared::AppError,
    ui::{
        form_flash::kept,
        forms::{FieldError, FormError, action_error},
        page::PageHeader,
    },
};

#[component]
pub fn NewClientPage() -> impl IntoView {
    let editor = Resource::new(|| (), |_| client_editor(None));
    view! {
        <PageHeader title="New client" subtitle="A lead for one of your strategies to talk to." />
        <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading…" lines=5 /> }>
            {move || Suspend::new(async move {
                match editor.await {
                    Ok(editor) => view! { <CreateForm editor /> }.into_any(),
                    Err(error) => view! { <p class="card error-panel" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn EditClientPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|id| id.parse::<i64>().ok());
    let editor = Resource::new_blocking(id, |id| {
        crate::ui::page::page_data(async move {
            match id {
                Some(id) => client_editor(Some(id)).await,
                None => Err(AppError::NotFound("This client".to_owned())),
            }
        })
    });
    view! {
        <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading…" lines=5 /> }>
            {move || Suspend::new(async move {
                match editor.await {
                    Ok(editor) => view! {
                        <PageHeader title="Client" subtitle="Profile, status and strategy." />
                        <EditForm editor />
                    }
                    .into_any(),
                    Err(error) => view! {
                        <crate::ui::page::ErrorPage error back_href="/clients" back_label="Back to the clients" />
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

/// The form as the person left it, when this page shows its failed post (without JavaScript).
fn with_kept_values(mut editor: EditorData, server_fn: &str) -> EditorData {
    let form = &mut editor.form;
    for (field, value) in [
        ("name", &mut form.name),
        ("email", &mut form.email),
        ("phone", &mut form.phone),
        ("company", &mut form.company),
        ("position", &mut form.position),
        ("external_id", &mut form.external_id),
        ("status", &mut form.status),
        ("strategy_id", &mut form.strategy_id),
        ("notes", &mut form.notes),
    ] {
        if let Some(typed) = kept(server_fn, field) {
            *value = typed;
        }
    }
    editor
}

#[component]
fn CreateForm(editor: EditorData) -> impl IntoView {
    let editor = with_kept_values(editor, CreateClient::PATH);
    let action = ServerAction::<CreateClient>::new();
    crate::ui::toast::announce(action.value(), "Client created.");
    let error = action_error(action);
    view! {
        <ActionForm action attr:class="card form-stack" attr:novalidate="">
            <ClientFields editor error with_notes=true />
            <DuplicateWarning error />
            <div class="form-actions">
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Saving…" } else { "Add client" }}
                </button>
                <a class="button button-quiet" href="/clients">"Cancel"</a>
            </div>
        </ActionForm>
    }
}

#[component]
fn EditForm(editor: EditorData) -> impl IntoView {
    let editor = with_kept_values(editor, UpdateClient::PATH);
    let action = ServerAction::<UpdateClient>::new();
    crate::ui::toast::announce(action.value(), "Client saved.");
    let error = action_error(action);
    let id = editor.id.unwrap_or_default();
    view! {
        <ActionForm action attr:class="card form-stack" attr:novalidate="">
            <input type="hidden" name="id" value=id />
            <ClientFields editor error with_notes=false />
            <div class="form-actions">
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Saving…" } else { "Save client" }}
                </button>
                <a class="button button-quiet" href=format!("/clients/{id}")>"Cancel"</a>
            </div>
        </ActionForm>
    }
}

/// The server found the email or phone on one of the owner's clients: a link to it, and a box to
/// tick to add this one all the same (unticked after every refusal).
#[component]
fn DuplicateWarning(error: Signal<Option<AppError>>) -> impl IntoView {
    let duplicate = move || {
        let error = error.get()?;
        let message = error.field_message(DUPLICATE_FIELD)?.to_owned();
        let id = error.field_message(DUPLICATE_ID_FIELD)?.parse::<i64>().ok()?;
        Some((message, id))
    };
    move || {
        duplicate().map(|(message, id)| {
            view! {
                <div class="notice notice-warning" role="alert" data-testid="duplicate-warning">
                    <p>{message} " " <a href=format!("/clients/{id}")>"Open that client"</a> " or add this one as well."</p>
                    <label class="checkbox">
                        <input type="checkbox" name="add_anyway" value="on" />
                        " Add this client anyway"
                    </label>
                </div>
            }
        })
    }
}

/// The fields, with the server's errors and the browser's instant checks merged per field.
#[component]
fn ClientFields(editor: EditorData, error: Signal<Option<AppError>>, with_notes: bool) -> impl IntoView {
    let form = editor.form;
    // Messages found in the browser when a field is left; cleared as soon as it is valid again.
    let local = RwSignal::new(std::collections::BTreeMap::<String, String>::new());
    // `try_update`: pressing Enter in a field submits the form, the page goes away, and the field
    // then loses focus, after its signals are gone.
    let check = move |field: &'static str, problem: Option<String>| {
        local.try_update(|errors| match problem {
            Some(message) => {
                errors.insert(field.to_owned(), message);
            }
            None => {
                errors.remove(field);
            }
        })
    };
    let merged = Signal::derive(move || {
        let mut fields = match error.try_get().flatten() {
            Some(AppError::Validation(fields)) => fields,
            Some(other) => return Some(other),
            None => Default::default(),
        };
        fields.extend(local.try_get().unwrap_or_default());
        (!fields.is_empty()).then_some(AppError::Validation(fields))
    });
    let invalid = move |field: &'static str| {
        move || {
            if merged.try_get().flatten().is_some_and(|e| e.field_message(field).is_some()) { "true" } else { "false" }
        }
    };
    let no_strategies = editor.strategies.is_empty();
    let strategy = form.strategy_id.clone();
    let status = form.status.clone();
    view! {
        <FormError error=merged />
        {no_strategies.then(|| view! {
            <p class="notice" role="note">
                "A client needs a strategy to talk to them. "
                <a href="/strategies">"Create a strategy first."</a>
            </p>
        })}
        <div class="form-grid">
            <div class="field">
                <label for="name">"Name"</label>
                <input id="name" name="name" required maxlength="200" autocomplete="off" value=form.name
                    aria-invalid=invalid("name") aria-describedby="name-error"
                    on:blur=move |event| {
                        let empty = event_target_value(&event).trim().is_empty();
                        check("name", empty.then(|| "Enter the client's name.".to_owned()));
                    } />
                <FieldError error=merged field="name" />
            </div>
            <div class="field">
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="off" value=form.email
                    aria-invalid=invalid("email") aria-describedby="email-error"
                    on:blur=move |event| {
                        check("email", validate_client_email(&event_target_value(&event)).err().map(str::to_owned));
                    } />
                <FieldError error=merged field="email" />
            </div>
            <div class="field">
                <label for="phone">"Phone"</label>
                <input id="phone" name="phone" type="tel" autocomplete="off" value=form.phone
                    aria-invalid=invalid("phone") aria-describedby="phone-error"
                    on:blur=move |event| {
                        check("phone", validate_phone(&event_target_value(&event)).err().map(str::to_owned));
                    } />
                <FieldError error=merged field="phone" />
            </div>
            <div class="field">
                <label for="company">"Company"</label>
                <input id="company" name="company" maxlength="200" value=form.company
                    aria-invalid=invalid("company") aria-describedby="company-error" />
                <FieldError error=merged field="company" />
            </div>
            <div class="field">
                <label for="position">"Position"</label>
                <input id="position" name="position" maxlength="200" value=form.position
                    aria-invalid=invalid("position") aria-describedby="position-error" />
                <FieldError error=merged field="position" />
            </div>
            <div class="field">
                <label for="external_id">"External id"</label>
                <input id="external_id" name="external_id" maxlength="100" value=form.external_id
                    aria-invalid=invalid("external_id") aria-describedby="external_id-hint external_id-error" />
                <p class="hint" id="external_id-hint">"The lead's id in GoHighLevel or another tool; unique per owner."</p>
                <FieldError error=merged field="external_id" />
            </div>
            <div class="field">
                <label for="status">"Status"</label>
                <select id="status" name="status" aria-invalid=invalid("status") aria-describedby="status-error">
                    {STATUSES.iter().map(|(value, label)| {
                        view! { <option value=*value selected=status == *value>{*label}</option> }
                    }).collect_view()}
                </select>
                <FieldError error=merged field="status" />
            </div>
            <div class="field">
                <label for="strategy_id">"Strategy"</label>
                <select id="strategy_id" name="strategy_id" aria-invalid=invalid("strategy_id")
                    aria-describedby="strategy_id-error">
                    // Nothing is chosen silently: without a default strategy, the person picks one.
                    {strategy.is_empty().then(|| view! { <option value="" selected=true>"Choose a strategy…"</option> })}
                    {editor.strategies.into_iter().map(|(id, name)| {
                        let selected = strategy == id.to_string();
                        view! { <option value=id selected=selected>{name}</option> }
                    }).collect_view()}
                </select>
                <FieldError error=merged field="strategy_id" />
            </div>
        </div>
        // A client's later notes go to the log on its page, where none is written over.
        {with_notes.then(|| view! {
            <div class="field">
                <label for="notes">"Notes"</label>
                <textarea id="notes" name="notes" rows="4" maxlength="20000" aria-invalid=invalid("notes")
                    aria-describedby="notes-error" inner_html=crate::ui::forms::textarea_html(&form.notes)></textarea>
                <FieldError error=merged field="notes" />
            </div>
        })}
    }
}
