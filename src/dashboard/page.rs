//! `/`: the dashboard. The range (and for an admin, the owner) lives in the URL; presets are
//! links and the custom range a GET form, so it all works without JavaScript. Every chart is SVG
//! drawn on the server with a table beside it, and every figure links to the rows behind it.
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::{
    api::load_dashboard,
    model::{Dashboard, DashboardQuery, Figure, PRESETS, Speed, StrategyRow, Tile, UserRow, duration, percent, share},
};
use crate::{
    shared::AppError,
    ui::{
        charts::{
            Bar, BarChart, Category, ChartTips, Funnel, FunnelStep as ChartStep, Heatmap, Series, StackedBarChart,
        },
        page::PageHeader,
    },
};

fn current_query() -> Memo<DashboardQuery> {
    let query = use_query_map();
    Memo::new(move |_| {
        let map = query.read();
        let get = |key: &str| map.get(key).unwrap_or_default();
        DashboardQuery {
            range: get("range"),
            from: get("from"),
            to: get("to"),
            owner: get("owner").trim().parse::<i64>().ok(),
        }
    })
}

/// `&owner=…` for links that keep an admin's owner filter.
fn owner_param(owner: Option<i64>) -> String {
    owner.map(|owner| format!("&owner={owner}")).unwrap_or_default()
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let query = current_query();
    let data = Resource::new_blocking(move || query.get(), |query| crate::ui::page::page_data(load_dashboard(query)));
    view! {
        <PageHeader title="Dashboard" subtitle="Your pipeline at a glance." />
        <crate::onboarding::checklist::FirstRunChecklist />
        <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading the dashboard…" lines=10 /> }>
            {move || Suspend::new(async move {
                let query = query.get_untracked();
                match data.await {
                    Ok(dashboard) => view! { <Figures dashboard query /> }.into_any(),
                    Err(error @ AppError::Validation(_)) => view! {
                        <RangePicker query error=Some(error) dashboard=None />
                    }.into_any(),
                    Err(error) => view! { <crate::ui::page::ErrorPage error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The presets, the custom range and (admins) the owner.
#[component]
fn RangePicker(query: DashboardQuery, error: Option<AppError>, dashboard: Option<Dashboard>) -> impl IntoView {
    let (preset, from, to, label, previous_label) = match &dashboard {
        Some(dashboard) => (
            dashboard.range.preset.clone(),
            dashboard.range.from.clone(),
            dashboard.range.to.clone(),
            dashboard.range.label.clone(),
            dashboard.range.previous_label.clone(),
        ),
        None => ("custom".to_owned(), query.from.clone(), query.to.clone(), String::new(), String::new()),
    };
    let owner = query.owner;
    let owners = dashboard.as_ref().map(|dashboard| dashboard.owners.clone()).unwrap_or_default();
    let field_error = move |field: &str| error.as_ref().and_then(|error| error.field_message(field)).map(str::to_owned);
    let (from_error, to_error, range_error) = (field_error("from"), field_error("to"), field_error("range"));
    let navigate = use_navigate();
    let presets = PRESETS
        .iter()
        .map(|(value, text, _)| {
            let current = preset == *value;
            view! {
                <a class="segment" href=format!("/?range={value}{}", owner_param(owner))
                    aria-current=current.then_some("true")>{*text}</a>
            }
        })
        .collect_view();
    let owner_select = (!owners.is_empty()).then(|| {
        let keep = match preset.as_str() {
            "custom" => format!("range=custom&from={from}&to={to}"),
            preset => format!("range={preset}"),
        };
        view! {
            <label class="range-owner">
                <span>"Owner"</span>
                <select name="owner" data-testid="dashboard-owner"
                    on:change=move |event| {
                        let value = event_target_value(&event);
                        let owner = if value.is_empty() { String::new() } else { format!("&owner={value}") };
                        navigate(&format!("/?{keep}{owner}"), Default::default());
                    }>
                    <option value="" selected=owner.is_none()>"Everyone"</option>
                    {owners.into_iter().map(|person| view! {
                        <option value=person.id.to_string() selected=owner == Some(person.id)>{person.name}</option>
                    }).collect_view()}
                </select>
            </label>
        }
    });
    view! {
        <form method="get" action="/" class="dashboard-range card" aria-label="Date range">
            <nav class="segmented" aria-label="Range presets">{presets}</nav>
            <fieldset class="custom-range">
                <legend class="visually-hidden">"Custom range"</legend>
                <input type="hidden" name="range" value="custom" />
                <label>
                    <span>"From"</span>
                    <input type="date" name="from" value=from required
                        aria-invalid=from_error.is_some().then_some("true") />
                </label>
                <label>
                    <span>"To"</span>
                    <input type="date" name="to" value=to required
                        aria-invalid=to_error.is_some().then_some("true") />
                </label>
                {owner.filter(|_| owner_select.is_none()).map(|owner| view! {
                    <input type="hidden" name="owner" value=owner.to_string() />
                })}
                <button class="button button-quiet" type="submit">"Apply"</button>
            </fieldset>
            {owner_select}
            {(!label.is_empty()).then(|| view! {
                <p class="range-label muted" data-testid="dashboard-range">
                    <strong>{label}</strong>" compared with "{previous_label}
                </p>
            })}
            {[from_error, to_error, range_error].into_iter().flatten().map(|message| view! {
                <p class="field-error" role="alert">{message}</p>
            }).collect_view()}
        </form>
    }
}

#[component]
fn Figures(dashboard: Dashboard, query: DashboardQuery) -> impl IntoView {
    let range = format!("from={}&to={}", dashboard.range.from, dashboard.range.to);
    let owner = owner_param(if dashboard.owners.is_empty() { None } else { dashboard.owner });
    let previous_label = dashboard.range.previous_label.clone();
    let tiles = dashboard
        .tiles
        .iter()
        .cloned()
        .map(|tile| view! { <TileCard tile previous_label=previous_label.clone() /> })
        .collect_view();
    let new_leads: Vec<Bar> = dashboard
        .new_leads
        .iter()
        .map(|day| Bar {
            label: day.label.clone(),
            full_label: day.full_label.clone(),
            value: day.count,
            href: Some(day.href.clone()),
        })
        .collect();
    let days: Vec<Category> = dashboard
        .messages
        .iter()
        .map(|day| Category {
            label: day.label.clone(),
            full_label: day.full_label.clone(),
            href: Some(format!("/chat?from={d}&to={d}{owner}", d = day.day)),
        })
        .collect();
    let series = |name: &str, class: &str, value: fn(&super::model::DayMessages) -> u64| Series {
        name: name.to_owned(),
        class: class.to_owned(),
        values: dashboard.messages.iter().map(value).collect(),
    };
    let messages = vec![
        series("From leads", "lead", |day| day.lead),
        series("By the AI", "ai", |day| day.ai),
        series("By the team", "agent", |day| day.agent),
    ];
    let weeks: Vec<Bar> = dashboard
        .bookings_by_week
        .iter()
        .map(|week| Bar {
            label: week.label.clone(),
            full_label: week.full_label.clone(),
            value: week.count,
            href: Some(week.href.clone()),
        })
        .collect();
    let funnel_note = format!(
        "Leads created {}, by the stage they are in now. Each step counts the leads at that stage or a later one; \
         lost leads ({}) count only in the first.",
        dashboard.range.label, dashboard.lost,
    );
    let steps = funnel_steps(&dashboard, &range, &owner);
    let weekdays: Vec<String> =
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"].map(str::to_owned).to_vec();
    let hours: Vec<String> = (0..24).map(|hour| format!("{hour:02}")).collect();
    let heatmap_title = format!("When leads write ({})", dashboard.range.timezone);
    let cell_titles = heatmap_titles(&dashboard.heatmap);
    let heatmap = dashboard.heatmap.clone();
    let speed = dashboard.speed.clone();
    let strategies = dashboard.strategies.clone();
    let people = dashboard.users.clone();
    view! {
        <RangePicker query error=None dashboard=Some(dashboard.clone()) />
        <section class="tiles" aria-label="Key figures">{tiles}</section>
        <SpeedCard speed owner=owner.clone() />
        <ChartTips>
        <div class="dashboard-grid">
            <section class="card chart-card">
                <BarChart title="New leads per day" x_label="Day" y_label="Leads" bars=new_leads />
            </section>
            <section class="card chart-card">
                <StackedBarChart title="Messages per day" x_label="Day" y_label="Messages" categories=days series=messages />
            </section>
            <section class="card chart-card">
                <Funnel title="Funnel" note=funnel_note steps />
            </section>
            <section class="card chart-card">
                <BarChart title="Bookings made per week" x_label="Week" y_label="Bookings" bars=weeks />
            </section>
            <section class="card chart-card chart-wide">
                <Heatmap title=heatmap_title row_labels=weekdays column_labels=hours values=heatmap cell_titles />
            </section>
            <Upcoming dashboard />
            <Strategies rows=strategies range=range.clone() owner />
            {people.map(|rows| view! { <People rows range /> })}
        </div>
        </ChartTips>
    }
}

fn heatmap_titles(values: &[Vec<u64>]) -> Vec<Vec<String>> {
    const DAYS: [&str; 7] = ["Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays"];
    values
        .iter()
        .zip(DAYS)
        .map(|(row, day)| {
            row.iter()
                .enumerate()
                .map(|(hour, n)| format!("{day} {hour:02}:00–{:02}:00: {n} lead messages", (hour + 1) % 24))
                .collect()
        })
        .collect()
}

fn funnel_steps(dashboard: &Dashboard, range: &str, owner: &str) -> Vec<ChartStep> {
    let first = dashboard.funnel.first().map(|step| step.reached).unwrap_or(0);
    let mut previous = None;
    dashboard
        .funnel
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let status = if index == 0 { String::new() } else { format!("&status={}", step.status) };
            let chart = ChartStep {
                label: step.label.clone(),
                class: step.status.clone(),
                value: step.reached,
                step_rate: previous.and_then(|before| share(step.reached, before)),
                cumulative_rate: (index > 0).then(|| share(step.reached, first)).flatten(),
                href: Some(format!("/clients?{range}{status}&sort=created{owner}")),
            };
            previous = Some(step.reached);
            chart
        })
        .collect()
}

#[component]
fn TileCard(tile: Tile, previous_label: String) -> impl IntoView {
    let change = tile.value.change(&tile.previous);
    let previous_text = tile.previous.text();
    let body = view! {
        <span class="tile-label">{tile.label.clone()}</span>
        <span class="tile-value">{tile.value.text()}</span>
        <span class="tile-change">
            {change.map(|(text, good)| view! {
                <span class="change-chip" class:change-good=good class:change-bad=!good>{text}</span>
            })}
            <span class="muted">{format!("vs {previous_text} ({previous_label})")}</span>
        </span>
        <span class="visually-hidden">{tile.help.clone()}</span>
    };
    match tile.href {
        Some(href) => view! { <a class="tile card" href=href title=tile.help>{body}</a> }.into_any(),
        None => view! { <div class="tile card" title=tile.help>{body}</div> }.into_any(),
    }
}

#[component]
fn SpeedCard(speed: super::model::SpeedToLead, owner: String) -> impl IntoView {
    let column = |who: &'static str, now: Speed, before: Speed| {
        let change = Figure::Seconds(now.median_secs).change(&Figure::Seconds(before.median_secs));
        view! {
            <div class="speed-column" data-testid=format!("speed-{}", who.to_lowercase())>
                <h3>{who}</h3>
                <p class="speed-median">{duration(now.median_secs)}</p>
                <p class="muted">"median · p90 "{duration(now.p90_secs)}</p>
                <p class="muted">{format!("{} first answers", now.answered)}</p>
                {change.map(|(text, good)| view! {
                    <span class="change-chip" class:change-good=good class:change-bad=!good>{text}</span>
                })}
            </div>
        }
    };
    view! {
        <section class="card speed-card" aria-labelledby="speed-title">
            <div class="speed-head">
                <h2 id="speed-title">"Speed to lead"</h2>
                <p class="muted">"From a lead's first message to the first answer, by who answered first."</p>
            </div>
            <div class="speed-columns">
                {column("AI", speed.ai, speed.ai_previous)}
                {column("Team", speed.human, speed.human_previous)}
            </div>
            {(speed.unanswered > 0).then(|| view! {
                <p class="speed-waiting">
                    <a href=format!("/chat?show=waiting{owner}")>
                        {format!("{} new {} still without an answer", speed.unanswered, if speed.unanswered == 1 { "lead" } else { "leads" })}
                    </a>
                </p>
            })}
        </section>
    }
}

#[component]
fn Upcoming(dashboard: Dashboard) -> impl IntoView {
    let empty = dashboard.upcoming.is_empty();
    view! {
        <section class="card list-card" aria-labelledby="upcoming-title">
            <h2 id="upcoming-title">"Upcoming bookings"</h2>
            {if empty {
                view! { <p class="muted">"Nothing booked ahead. "<a href="/bookings/new">"Book a time"</a></p> }.into_any()
            } else {
                view! {
                    <ul class="upcoming">
                        {dashboard.upcoming.into_iter().map(|booking| view! {
                            <li>
                                <a href=format!("/bookings/{}", booking.id)>{booking.who}</a>
                                <span class="muted">{booking.what}</span>
                                <span class="upcoming-when">{booking.when}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Strategies(rows: Vec<StrategyRow>, range: String, owner: String) -> impl IntoView {
    view! {
        <section class="card list-card table-card" aria-labelledby="strategies-title">
            <h2 id="strategies-title">"Strategies"</h2>
            <p class="muted">"Leads created in the range, by strategy: how many reached “Booked” or “Won”, and how many the AI handed to the team."</p>
            {if rows.is_empty() {
                view! { <p class="muted">"No leads in this range."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="data-table" data-testid="dashboard-strategies">
                            <thead><tr>
                                <th scope="col">"Strategy"</th><th scope="col" class="num">"Leads"</th>
                                <th scope="col" class="num">"Booked"</th><th scope="col" class="num">"Handed off"</th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|row| view! {
                                    <tr>
                                        <th scope="row"><a href=format!("/strategies/{}", row.id)>{row.name}</a></th>
                                        <td class="num"><a href=format!("/clients?{range}&strategy={}&sort=created{owner}", row.id)>{row.leads}</a></td>
                                        <td class="num">{format!("{} · {}", row.booked, percent(share(row.booked, row.leads)))}</td>
                                        <td class="num">{format!("{} · {}", row.handed_off, percent(share(row.handed_off, row.leads)))}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn People(rows: Vec<UserRow>, range: String) -> impl IntoView {
    view! {
        <section class="card list-card table-card chart-wide" aria-labelledby="people-title">
            <h2 id="people-title">"People"</h2>
            <div class="table-scroll">
                <table class="data-table" data-testid="dashboard-people">
                    <thead><tr>
                        <th scope="col">"Person"</th><th scope="col" class="num">"Leads"</th>
                        <th scope="col" class="num">"Median first answer"</th><th scope="col" class="num">"Bookings"</th>
                        <th scope="col" class="num">"Shows"</th><th scope="col" class="num">"Wins"</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|row| view! {
                            <tr>
                                <th scope="row"><a href=format!("/?{range}&range=custom&owner={}", row.id)>{row.name}</a></th>
                                <td class="num"><a href=format!("/clients?{range}&owner={}&sort=created", row.id)>{row.leads}</a></td>
                                <td class="num">{duration(row.median_first_reply_secs)}</td>
                                <td class="num"><a href=row.bookings_href>{row.bookings}</a></td>
                                <td class="num"><a href=row.shows_href>{row.shows}</a></td>
                                <td class="num">{row.wins}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
