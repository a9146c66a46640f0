//! `/clients/import` (choose a file) and `/clients/imports/{id}` (map the columns with a preview,
//! then follow the progress). Both work without JavaScript: the upload is a plain multipart form,
//! the mapping a server-function form, and the progress page refreshes itself while the import
//! runs. With JavaScript the preview follows the mapping as it changes and the progress is polled.
//! The upload page lists the user's latest imports; a draft can be read with another separator or
//! discarded. A missing or foreign import answers 404 before the page streams.
use leptos::{form::ActionForm, prelude::*};
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use super::{
    api::{
        DiscardClientImport, SetClientImportSeparator, StartClientImport, client_import, client_import_history,
        client_import_progress,
    },
    model::{
        DUPLICATE_KEYS, IMPORT_FIELDS, ImportProgress, ImportSummary, ImportView, MAX_UPLOAD_BYTES, ON_DUPLICATE,
        REPLACEABLE, SEPARATORS, STATUS_DONE, STATUS_DRAFT, STATUS_FAILED, field_label, row_form, row_problem,
    },
};
use crate::{
    shared::{AppError, numbers::group_thousands},
    ui::{
        forms::{FieldError, FormError, action_error},
        page::PageHeader,
    },
};

#[component]
pub fn ImportUploadPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || query.read().get("error").filter(|message| !message.is_empty());
    view! {
        <PageHeader title="Import clients" subtitle="Add clients from a spreadsheet saved as CSV.">
            <a class="button button-quiet" href="/clients">"Back to clients"</a>
        </PageHeader>
        <form class="card form-stack" method="post" action="/clients/imports" enctype="multipart/form-data"
            data-testid="import-upload">
            {move || error().map(|message| view! {
                <p class="form-error" role="alert" data-testid="import-upload-error">{message}</p>
            })}
            <div class="field">
                <label for="import-file">"CSV file"</label>
                <input id="import-file" type="file" name="file" accept=".csv,text/csv" required />
                <p class="hint">
                    {format!(
                        "Up to {} MB of UTF-8 text (\"CSV UTF-8\" in Excel), with the column names on the first line. \
                         Next you choose which column is which field.",
                        MAX_UPLOAD_BYTES / (1024 * 1024),
                    )}
                </p>
            </div>
            <div class="form-actions">
                <button type="submit" class="button">"Upload and map columns"</button>
            </div>
        </form>
        <ImportHistory />
    }
}

/// The user's latest imports with what each did.
#[component]
fn ImportHistory() -> impl IntoView {
    let history = Resource::new(|| (), |_| client_import_history());
    view! {
        <section class="card" aria-labelledby="import-history-heading">
            <h2 id="import-history-heading">"Recent imports"</h2>
            <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading…" lines=3 /> }>
                {move || Suspend::new(async move {
                    match history.await {
                        Ok(imports) if imports.is_empty() => {
                            view! { <p class="muted" data-testid="import-history-empty">"No imports yet."</p> }
                                .into_any()
                        }
                        Ok(imports) => view! { <HistoryTable imports /> }.into_any(),
                        Err(error) => view! { <p class="error-panel" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn history_status(progress: &ImportProgress) -> &'static str {
    match progress.status.as_str() {
        STATUS_DRAFT => "Not started",
        STATUS_DONE => "Finished",
        STATUS_FAILED => "Failed",
        "running" => "Importing",
        _ => "Waiting",
    }
}

#[component]
fn HistoryTable(imports: Vec<ImportSummary>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="data-table" data-testid="import-history">
                <thead>
                    <tr>
                        <th scope="col">"File"</th>
                        <th scope="col">"Uploaded"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Added"</th>
                        <th scope="col">"Updated"</th>
                        <th scope="col">"Skipped"</th>
                        <th scope="col">"Errors"</th>
                    </tr>
                </thead>
                <tbody>
                    {imports.into_iter().map(|import| {
                        let p = &import.progress;
                        view! {
                            <tr data-testid="import-history-row">
                                <td><a href=format!("/clients/imports/{}", import.id)>{import.file_name.clone()}</a></td>
                                <td>{import.at.clone()}</td>
                                <td>{history_status(p)}</td>
                                <td data-testid="history-created">{p.created}</td>
                                <td data-testid="history-updated">{p.updated}</td>
                                <td data-testid="history-skipped">{p.skipped}</td>
                                <td data-testid="history-failed">{p.failed}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|id| id.parse::<i64>().ok());
    let start = ServerAction::<StartClientImport>::new();
    let separator = ServerAction::<SetClientImportSeparator>::new();
    let discard = ServerAction::<DiscardClientImport>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if matches!(discard.value().get(), Some(Ok(()))) {
            navigate("/clients/import", Default::default());
        }
    });
    // Blocking: a missing or foreign import answers 404 before the page streams.
    let import = Resource::new_blocking(
        move || (id(), start.version().get(), separator.version().get()),
        |(id, _, _)| {
            crate::ui::page::page_data(async move {
                match id {
                    Some(id) => client_import(id).await,
                    None => Err(AppError::NotFound("This import".to_owned())),
                }
            })
        },
    );
    view! {
        <PageHeader title="Import clients" subtitle="Choose which column is which field, then import.">
            <a class="button button-quiet" href="/clients">"Back to clients"</a>
        </PageHeader>
        <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading…" lines=5 /> }>
            {move || Suspend::new(async move {
                match import.await {
                    Ok(import) if import.progress.status == STATUS_DRAFT => {
                        let id = import.id;
                        view! {
                            <SeparatorForm id current=import.separator.clone() action=separator />
                            <MappingForm import start />
                            <DiscardForm id action=discard />
                        }
                        .into_any()
                    }
                    Ok(import) => view! { <Progress id=import.id file_name=import.file_name initial=import.progress /> }
                        .into_any(),
                    Err(error) => view! {
                        <crate::ui::page::ErrorPage error back_href="/clients/import" back_label="Back to imports" />
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

/// Reads the file again with another column separator.
#[component]
fn SeparatorForm(id: i64, current: String, action: ServerAction<SetClientImportSeparator>) -> impl IntoView {
    let error = action_error(action);
    view! {
        <ActionForm action attr:class="card form-inline" attr:data-testid="import-separator">
            <input type="hidden" name="id" value=id />
            <div class="field">
                <label for="import-separator">"Columns are separated by"</label>
                <select id="import-separator" name="separator">
                    {SEPARATORS.iter().map(|(value, _, label)| view! {
                        <option value=*value selected=current == *value>{*label}</option>
                    }).collect_view()}
                </select>
                <FieldError error field="separator" />
            </div>
            <FormError error />
            <button type="submit" class="button button-quiet" disabled=move || action.pending().get()>
                "Read the file again"
            </button>
        </ActionForm>
    }
}

/// Deletes the draft and its file.
#[component]
fn DiscardForm(id: i64, action: ServerAction<DiscardClientImport>) -> impl IntoView {
    let error = action_error(action);
    view! {
        <ActionForm action attr:class="form-actions" attr:data-testid="import-discard">
            <input type="hidden" name="id" value=id />
            <FormError error />
            <button type="submit" class="button button-quiet" disabled=move || action.pending().get()>
                "Discard"
            </button>
        </ActionForm>
    }
}

#[component]
fn MappingForm(import: ImportView, start: ServerAction<StartClientImport>) -> impl IntoView {
    let error = action_error(start);
    let mapping = RwSignal::new(import.mapping.clone());
    let header = import.header.clone();
    let rows = group_thousands(import.progress.row_count);
    let no_strategies = import.strategies.is_empty();
    let column_selects = IMPORT_FIELDS
        .iter()
        .enumerate()
        .map(|(index, (field, label))| {
            let name = format!("col_{field}");
            let chosen = import.mapping.get(index).copied().flatten();
            let options = header
                .iter()
                .enumerate()
                .map(|(column, title)| view! { <option value=column selected=chosen == Some(column)>{title.clone()}</option> })
                .collect_view();
            let required = index == 0;
            view! {
                <div class="field">
                    <label for=name.clone()>{*label}{required.then_some(" (required)")}</label>
                    <select id=name.clone() name=name.clone()
                        on:change=move |event| {
                            let column = event_target_value(&event).parse::<usize>().ok();
                            mapping.update(|mapping| if let Some(slot) = mapping.get_mut(index) { *slot = column });
                        }>
                        <option value="" selected=chosen.is_none()>"Not imported"</option>
                        {options}
                    </select>
                    <FieldError error field=column_error_key(index) />
                </div>
            }
        })
        .collect_view();
    let strategy = import.strategy_id;
    let preview_rows = import.preview.clone();
    // With the current mapping, would any of the previewed rows import?
    let nothing_imports = move || {
        let mapping = mapping.get();
        preview_rows.iter().all(|row| row_problem(&row_form(row, &mapping, "1")).is_some())
    };
    let nothing_imports = Memo::new(move |_| nothing_imports());
    // Without JavaScript the columns cannot follow the selects, so the button stays usable (the
    // message still shows); once hydrated, it is disabled while nothing would import.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <ActionForm action=start attr:class="card form-stack" attr:data-testid="import-mapping">
            <input type="hidden" name="id" value=import.id />
            <p class="muted">{format!("{}: {rows} rows.", import.file_name)}</p>
            <FormError error />
            {no_strategies.then(|| view! {
                <p class="notice" role="note">
                    "New clients need a strategy to talk to them. "
                    <a href="/strategies">"Create a strategy first."</a>
                </p>
            })}
            <fieldset class="form-grid">
                <legend>"Columns"</legend>
                {column_selects}
            </fieldset>
            <div class="form-grid">
                <div class="field">
                    <label for="import-strategy">"Strategy for new clients"</label>
                    <select id="import-strategy" name="strategy_id">
                        {strategy.is_none().then(|| view! { <option value="" selected=true>"Choose a strategy…"</option> })}
                        {import.strategies.iter().map(|(id, name)| view! {
                            <option value=*id selected=strategy == Some(*id)>{name.clone()}</option>
                        }).collect_view()}
                    </select>
                    <FieldError error field="strategy_id" />
                </div>
                <div class="field">
                    <label for="import-duplicate-key">"A row is a duplicate of a client with"</label>
                    <select id="import-duplicate-key" name="duplicate_key">
                        {DUPLICATE_KEYS.iter().map(|(value, label)| view! {
                            <option value=*value selected=import.duplicate_key == *value>{*label}</option>
                        }).collect_view()}
                    </select>
                    <FieldError error field="duplicate_key" />
                </div>
                <fieldset class="field">
                    <legend>"With a duplicate"</legend>
                    {ON_DUPLICATE.iter().map(|(value, label)| view! {
                        <label class="checkbox">
                            <input type="radio" name="on_duplicate" value=*value
                                checked=import.on_duplicate == *value />
                            " " {*label}
                        </label>
                    }).collect_view()}
                    <FieldError error field="on_duplicate" />
                    <label class="checkbox">
                        <input type="checkbox" name="replace_existing" value="on" checked=import.replace_existing
                            data-testid="import-replace-existing" />
                        " Replace the client's existing values (otherwise only empty fields are filled; \
                         notes are always added below the client's own)"
                    </label>
                </fieldset>
                <fieldset class="field" data-testid="import-replace-fields">
                    <legend>"Or replace only these fields"</legend>
                    {REPLACEABLE.iter().map(|field| {
                        let checked = import.replace_fields.iter().any(|chosen| chosen == field);
                        view! {
                            <label class="checkbox">
                                <input type="checkbox" name=format!("replace_{field}") value="on" checked=checked />
                                " Replace " {field_label(field)}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
            </div>
            <Preview rows=import.preview mapping />
            {move || nothing_imports.get().then(|| view! {
                <p class="form-error" role="alert" data-testid="import-nothing">
                    "None of these rows would be imported: check the separator and which column holds the names."
                </p>
            })}
            <div class="form-actions">
                <button type="submit" class="button" disabled=move || start.pending().get() || (hydrated.get() && nothing_imports.get())>
                    {move || if start.pending().get() { "Starting…" } else { "Import" }}
                </button>
                <a class="button button-quiet" href="/clients/import">"Choose another file"</a>
            </div>
        </ActionForm>
    }
}

/// The validation key of the column select of `IMPORT_FIELDS[index]`.
fn column_error_key(index: usize) -> &'static str {
    const KEYS: [&str; 8] = [
        "col_name",
        "col_email",
        "col_phone",
        "col_company",
        "col_position",
        "col_external_id",
        "col_status",
        "col_notes",
    ];
    KEYS.get(index).copied().unwrap_or("col_name")
}

/// The first rows as they will be imported, with the problem of each row that would be refused.
#[component]
fn Preview(rows: Vec<Vec<String>>, mapping: RwSignal<Vec<Option<usize>>>) -> impl IntoView {
    let body = move || {
        let mapping = mapping.get();
        rows.iter()
            .map(|row| {
                // The strategy is checked when the import starts; any id stands in for it here.
                let form = row_form(row, &mapping, "1");
                let problem = row_problem(&form);
                let cells = [
                    form.name,
                    form.email,
                    form.phone,
                    form.company,
                    form.position,
                    form.external_id,
                    if form.status.is_empty() { "lead".to_owned() } else { form.status },
                    form.notes,
                ];
                view! {
                    <tr data-testid="import-preview-row">
                        {cells.into_iter().map(|cell| view! { <td>{cell}</td> }).collect_view()}
                        <td>{problem.unwrap_or_else(|| "OK".to_owned())}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <section aria-label="Preview">
            <h2>"Preview"</h2>
            <div class="table-wrap">
                <table class="data-table" data-testid="import-preview">
                    <thead>
                        <tr>
                            {IMPORT_FIELDS.iter().map(|(_, label)| view! { <th scope="col">{*label}</th> }).collect_view()}
                            <th scope="col">"Check"</th>
                        </tr>
                    </thead>
                    <tbody>{body}</tbody>
                </table>
            </div>
        </section>
    }
}

fn status_text(progress: &ImportProgress) -> &'static str {
    match progress.status.as_str() {
        STATUS_DONE => "Import finished.",
        STATUS_FAILED => "The import failed.",
        "running" => "Importing…",
        _ => "Waiting to start…",
    }
}

/// How far the import has got; polled every half second while it is queued or running.
#[component]
fn Progress(id: i64, file_name: String, initial: ImportProgress) -> impl IntoView {
    let refresh_without_js = initial.is_active();
    let progress = RwSignal::new(initial);
    Effect::new(move |_| {
        if !progress.with(ImportProgress::is_active) {
            return;
        }
        set_timeout(
            move || {
                leptos::task::spawn_local(async move {
                    match client_import_progress(id).await {
                        Ok(latest) => progress.set(latest),
                        // Try again at the next tick.
                        Err(_) => progress.update(|_| {}),
                    }
                })
            },
            std::time::Duration::from_millis(500),
        );
    });
    let report = format!("/clients/imports/{id}/errors.csv");
    view! {
        <section class="card form-stack" data-testid="import-progress" aria-live="polite">
            {refresh_without_js.then(|| view! {
                <noscript inner_html=r#"<meta http-equiv="refresh" content="2">"# />
            })}
            <p class="muted">{file_name}</p>
            <p data-testid="import-status"><strong>{move || progress.with(status_text)}</strong></p>
            <progress max=move || progress.with(|p| p.row_count.max(1)) value=move || progress.with(|p| p.processed)
                aria-label="Rows imported" data-testid="import-progress-bar"></progress>
            <p data-testid="import-count">
                {move || progress.with(|p| format!("{} of {} rows", group_thousands(p.processed), group_thousands(p.row_count)))}
            </p>
            {move || {
                let p = progress.get();
                (p.status == STATUS_DONE || p.status == STATUS_FAILED).then(|| {
                    let failed = p.failed;
                    view! {
                        {p.error.clone().map(|error| view! { <p class="form-error" role="alert">{error}</p> })}
                        <dl class="facts" data-testid="import-summary">
                            <dt>"Added"</dt><dd data-testid="import-created">{p.created}</dd>
                            <dt>"Updated"</dt><dd data-testid="import-updated">{p.updated}</dd>
                            <dt>"Skipped (duplicates)"</dt><dd data-testid="import-skipped">{p.skipped}</dd>
                            <dt>"Not imported (errors)"</dt><dd data-testid="import-failed">{p.failed}</dd>
                        </dl>
                        <div class="form-actions">
                            {(failed > 0).then(|| view! {
                                <a class="button button-quiet" href=report.clone() download="" rel="external"
                                    data-testid="import-errors-link">"Download the error report"</a>
                            })}
                            <a class="button" href="/clients">"See the clients"</a>
                        </div>
                    }
                })
            }}
        </section>
    }
}
