//! The command palette: Ctrl+K (Cmd+K on a Mac) opens it anywhere; type to jump to a page, find a
//! client by name, email, phone or company, or start an action; arrows choose, Enter runs, Escape
//! closes. `/` focuses the page's search box (or opens the palette on pages without one).
//!
//! It is a modal `<dialog>`: the browser traps focus in it, closes it on Escape and gives focus back
//! to where it was. Its contents are rendered only while it is open, so the server sends an empty
//! dialog and the client fetches the palette's code the first time it opens.
use std::time::Duration;

use leptos::{ev, html, lazy, prelude::*, web_sys};
use leptos_router::{NavigateOptions, hooks::use_navigate};

use crate::{
    clients::{
        api::find_clients,
        model::{ClientHit, QUICK_FIND_MIN_CHARS},
    },
    ui::theme::{Theme, ThemeSetting},
};

/// How long typing must pause before clients are looked up.
const SEARCH_PAUSE: Duration = Duration::from_millis(150);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Run {
    /// Navigate within the app.
    Go(String),
    /// Load a URL outright (a download).
    Load(&'static str),
    Theme(Theme),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Command {
    label: String,
    /// "Page", "Action" or "Client": shown beside the label.
    group: &'static str,
    /// Extra words that find the command.
    keywords: &'static str,
    run: Run,
}

/// Actions that are not pages: (label, keywords, what to do).
const ACTIONS: &[(&str, &str, &str)] = &[
    ("New client", "add create lead contact", "/clients/new"),
    ("Import clients from CSV", "upload spreadsheet", "/clients/import"),
    ("New strategy", "add create persona ai", "/strategies/new"),
    ("Change password", "account security settings", "/settings"),
];

fn static_commands(is_admin: bool) -> Vec<Command> {
    let pages = crate::app::NAVIGATION.iter().chain(if is_admin { crate::app::ADMIN_NAVIGATION } else { &[] }).map(
        |(path, label, _)| Command {
            label: (*label).to_owned(),
            group: "Page",
            keywords: "go open",
            run: Run::Go((*path).to_owned()),
        },
    );
    let actions = ACTIONS.iter().map(|(label, keywords, path)| Command {
        label: (*label).to_owned(),
        group: "Action",
        keywords,
        run: Run::Go((*path).to_owned()),
    });
    let export = Command {
        label: "Export clients to CSV".to_owned(),
        group: "Action",
        keywords: "download spreadsheet",
        run: Run::Load("/clients/export.csv"),
    };
    let themes = Theme::ALL.into_iter().map(|theme| Command {
        label: format!("Use the {} theme", theme.label().to_lowercase()),
        group: "Action",
        keywords: "appearance colour color mode",
        run: Run::Theme(theme),
    });
    pages.chain(actions).chain(std::iter::once(export)).chain(themes).collect()
}

/// Whether every word typed appears in the command's label or keywords.
fn matches(command: &Command, typed: &str) -> bool {
    let haystack = format!("{} {} {}", command.label, command.group, command.keywords).to_lowercase();
    typed.to_lowercase().split_whitespace().all(|word| haystack.contains(word))
}

fn client_command(hit: ClientHit) -> Command {
    let label = if hit.detail.is_empty() { hit.name } else { format!("{} · {}", hit.name, hit.detail) };
    Command { label, group: "Client", keywords: "", run: Run::Go(format!("/clients/{}", hit.id)) }
}

/// Whether a key press is meant for a text field rather than for a shortcut.
pub fn typing_in_field(event: &web_sys::KeyboardEvent) -> bool {
    use leptos::wasm_bindgen::JsCast;
    event.target().and_then(|target| target.dyn_into::<web_sys::HtmlElement>().ok()).is_some_and(|element| {
        element.is_content_editable() || matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
    })
}

/// Focuses the page's own search box, if it has one marked `data-search-shortcut`.
fn focus_page_search() -> bool {
    use leptos::wasm_bindgen::JsCast;
    let field = document()
        .query_selector("[data-search-shortcut]")
        .ok()
        .flatten()
        .and_then(|element| element.dyn_into::<web_sys::HtmlInputElement>().ok());
    match field {
        Some(field) => {
            let _ = field.focus();
            field.select();
            true
        }
        None => false,
    }
}

/// The palette's frame and the keyboard shortcuts that open it. `open` is shared with the button
/// that opens it by pointer. The palette itself is a lazy chunk of the client, fetched the first
/// time it opens.
#[component]
pub fn CommandPalette(open: RwSignal<bool>, #[prop(into)] is_admin: Signal<bool>) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let shortcuts = window_event_listener(ev::keydown, move |event| {
        let modifier = event.ctrl_key() || event.meta_key();
        if modifier && !event.alt_key() && event.key().eq_ignore_ascii_case("k") {
            event.prevent_default();
            open.update(|open| *open = !*open);
        } else if event.key() == "/"
            && !modifier
            && !event.alt_key()
            && !open.get_untracked()
            && !typing_in_field(&event)
        {
            event.prevent_default();
            if !focus_page_search() {
                open.set(true);
            }
        }
    });
    on_cleanup(move || shortcuts.remove());

    Effect::new(move |_| {
        let Some(dialog) = dialog.get() else { return };
        if open.get() {
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        } else if dialog.open() {
            dialog.close();
        }
    });

    view! {
        <dialog node_ref=dialog class="palette" aria-label="Command palette"
            on:close=move |_| open.set(false)
            // A click on the backdrop lands on the dialog itself, not on its box.
            on:click=move |event| {
                if event.target() == event.current_target() {
                    open.set(false);
                }
            }>
            // Closing unmounts the contents, so the palette always opens empty.
            {move || {
                open.get().then(|| view! {
                    <Suspense fallback=|| ()>
                        {Suspend::new(async move { palette_contents(open, is_admin).await })}
                    </Suspense>
                })
            }}
        </dialog>
    }
}

#[lazy]
fn palette_contents(open: RwSignal<bool>, is_admin: Signal<bool>) -> AnyView {
    view! { <PaletteContents open is_admin /> }.into_any()
}

/// The search field and the list of what it matches.
#[component]
fn PaletteContents(open: RwSignal<bool>, is_admin: Signal<bool>) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let typed = RwSignal::new(String::new());
    let clients = RwSignal::new(Vec::<ClientHit>::new());
    let active = RwSignal::new(0usize);
    let lookups = StoredValue::new(0u64);
    let theme = expect_context::<ThemeSetting>();
    let navigate = use_navigate();

    // The field arrives after the dialog opened (its code loads first): focus it once it is in
    // the document.
    Effect::new(move |_| {
        if let Some(field) = input.get() {
            request_animation_frame(move || {
                let _ = field.focus();
            });
        }
    });

    // Clients are looked up when typing pauses; an answer to an older text is dropped.
    Effect::new(move |_| {
        let text = typed.get();
        active.set(0);
        let lookup = lookups.get_value() + 1;
        lookups.set_value(lookup);
        if text.trim().chars().count() < QUICK_FIND_MIN_CHARS {
            clients.set(Vec::new());
            return;
        }
        set_timeout(
            move || {
                if lookups.try_get_value() != Some(lookup) {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let found = find_clients(text).await.unwrap_or_default();
                    if lookups.try_get_value() == Some(lookup) {
                        clients.try_set(found);
                    }
                });
            },
            SEARCH_PAUSE,
        );
    });

    let commands = Memo::new(move |_| {
        let text = typed.get();
        let mut shown: Vec<Command> =
            static_commands(is_admin.get()).into_iter().filter(|command| matches(command, &text)).collect();
        shown.extend(clients.get().into_iter().map(client_command));
        shown
    });

    let run = move |index: usize| {
        let Some(command) = commands.with_untracked(|commands| commands.get(index).cloned()) else { return };
        open.set(false);
        match command.run {
            // After this handler: closing has just disposed the palette, and the next page must
            // not be built while its reactive owner is being torn down.
            Run::Go(path) => {
                let navigate = navigate.clone();
                request_animation_frame(move || navigate(&path, NavigateOptions::default()));
            }
            Run::Load(url) => {
                let _ = window().location().set_href(url);
            }
            Run::Theme(choice) => theme.choose(choice),
        }
    };
    let run = StoredValue::new_local(run);

    let on_key = move |event: ev::KeyboardEvent| {
        let count = commands.with_untracked(Vec::len);
        match event.key().as_str() {
            "ArrowDown" if count > 0 => {
                event.prevent_default();
                active.update(|index| *index = (*index + 1) % count);
            }
            "ArrowUp" if count > 0 => {
                event.prevent_default();
                active.update(|index| *index = (*index + count - 1) % count);
            }
            "Enter" => {
                event.prevent_default();
                run.with_value(|run| run(active.get_untracked()));
            }
            _ => {}
        }
    };
    let option_id = |index: usize| format!("palette-option-{index}");

    view! {
        <div class="palette-box">
            <label class="visually-hidden" for="palette-input">"Jump to a page, find a client or run an action"</label>
            <input node_ref=input id="palette-input" type="text" role="combobox" autocomplete="off"
                spellcheck="false" aria-autocomplete="list" aria-controls="palette-options"
                aria-expanded="true"
                aria-activedescendant=move || (!commands.with(Vec::is_empty)).then(|| option_id(active.get()))
                placeholder="Jump to a page, find a client, run an action…"
                prop:value=move || typed.get()
                on:input=move |event| typed.set(event_target_value(&event))
                on:keydown=on_key />
            <ul id="palette-options" class="palette-options" role="listbox" aria-label="Results">
                <For each=move || commands.get().into_iter().enumerate() key=|(index, command)| (*index, command.label.clone())
                    let:((index, command))>
                    <li id=option_id(index) role="option" class="palette-option"
                        aria-selected=move || (active.get() == index).to_string()
                        on:mousemove=move |_| active.set(index)
                        on:click=move |_| run.with_value(|run| run(index))>
                        <span class="palette-label">{command.label}</span>
                        <span class="palette-group">{command.group}</span>
                    </li>
                </For>
            </ul>
            <Show when=move || commands.with(Vec::is_empty)>
                <p class="palette-empty muted">"Nothing matches. Clients are found by name, email, phone or company."</p>
            </Show>
            <p class="palette-help muted">
                <kbd>"↑"</kbd><kbd>"↓"</kbd>" to choose · "<kbd>"Enter"</kbd>" to open · "<kbd>"Esc"</kbd>" to close"
            </p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_typed_word_must_match_the_label_group_or_keywords() {
        let commands = static_commands(false);
        let found = |typed: &str| -> Vec<String> {
            commands.iter().filter(|command| matches(command, typed)).map(|command| command.label.clone()).collect()
        };
        assert_eq!(found("new cli"), ["New client"]);
        assert_eq!(found("PIPE"), ["Pipeline"]);
        assert!(found("dark").contains(&"Use the dark theme".to_owned()));
        assert!(found("zzz").is_empty());
        assert!(found("").len() >= crate::app::NAVIGATION.len());
    }

    #[test]
    fn only_admins_are_offered_the_users_page() {
        let has_users = |admin| static_commands(admin).iter().any(|command| command.run == Run::Go("/users".into()));
        assert!(!has_users(false));
        assert!(has_users(true));
    }

    #[test]
    fn a_client_opens_its_page_and_shows_its_detail() {
        let command = client_command(ClientHit { id: 7, name: "Ana Silva".into(), detail: "Acme".into() });
        assert_eq!(command.label, "Ana Silva · Acme");
        assert_eq!(command.run, Run::Go("/clients/7".into()));
    }
}
