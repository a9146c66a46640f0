//! The first-run checklist on the dashboard.
use leptos::prelude::*;

use super::{api::load_first_steps, model::FirstSteps};

struct Step {
    done: bool,
    title: &'static str,
    detail: &'static str,
    links: &'static [(&'static str, &'static str)],
}

fn steps(first: FirstSteps) -> [Step; 3] {
    [
        Step {
            done: first.strategy,
            title: "Create a strategy",
            detail: "The AI persona that talks to your leads: its tone, its questions, its offer.",
            links: &[("/strategies/new", "New strategy")],
        },
        Step {
            done: first.client,
            title: "Add your leads",
            detail: "One by one, or a whole spreadsheet at once.",
            links: &[("/clients/new", "Add a client"), ("/clients/import", "Import a CSV")],
        },
        Step {
            done: first.schedule,
            title: "Set your time zone and working hours",
            detail: "Appointments are only offered when you work, in your own time zone.",
            links: &[("/settings", "Open settings")],
        },
    ]
}

/// Shown until all three steps are done; then nothing.
#[component]
pub fn FirstRunChecklist() -> impl IntoView {
    let first = Resource::new_blocking(|| (), |_| load_first_steps());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let first = first.await.ok().filter(|first| !first.complete())?;
                Some(view! {
                    <section class="card checklist" aria-labelledby="checklist-title" data-testid="first-run">
                        <header class="checklist-header">
                            <h2 id="checklist-title">"Get started"</h2>
                            <p class="muted">{format!("{} of 3 done", first.done())}</p>
                        </header>
                        <progress class="checklist-progress" max="3" value=first.done()
                            aria-label="Steps done"></progress>
                        <ol class="checklist-steps">
                            {steps(first)
                                .into_iter()
                                .map(|step| {
                                    view! {
                                        <li class="checklist-step" data-done=step.done.to_string()>
                                            <span class="checklist-mark" aria-hidden="true">
                                                {step.done.then(|| view! { <crate::ui::icon::Icon name="check" /> })}
                                            </span>
                                            <div>
                                                <p class="checklist-title">
                                                    {step.title}
                                                    {step.done.then(|| view! { <span class="visually-hidden">" (done)"</span> })}
                                                </p>
                                                <p class="muted">{step.detail}</p>
                                                {(!step.done).then(|| view! {
                                                    <p class="checklist-links">
                                                        {step.links.iter().map(|(href, label)| view! {
                                                            <a class="button button-quiet" href=*href>{*label}</a>
                                                        }).collect_view()}
                                                    </p>
                                                })}
                                            </div>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ol>
                    </section>
                })
            })}
        </Suspense>
    }
}
