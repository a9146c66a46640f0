//! A funnel: how many leads reached each stage, and what share of the step before and of the first.
//!
//! Plain HTML rows (the numbers are text a phone wraps as it needs) with a thin SVG bar each.
use leptos::either::Either;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::frame::{Row, table};
use super::scale::{pct, rate};
use crate::shared::numbers::group_thousands;

/// One step of the funnel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunnelStep {
    pub label: String,
    /// The colour: a stage key (`lead`, `contacted`, `qualified`, `booked`, `won`, `lost`).
    pub class: String,
    pub value: u64,
    /// 0..1 of the step before; `None` for the first step.
    pub step_rate: Option<f64>,
    /// 0..1 of the first step; `None` for the first step.
    pub cumulative_rate: Option<f64>,
    pub href: Option<String>,
}

/// The steps as rows of bars proportional to their values, each with its value and its two rates
/// ("62% of previous · 31% of all"); `note` says what a step counts.
#[component]
pub fn Funnel(#[prop(into)] title: String, #[prop(into)] note: String, steps: Vec<FunnelStep>) -> impl IntoView {
    let max = steps.iter().map(|s| s.value).max().unwrap_or(0);
    let mut rows = Vec::with_capacity(steps.len());
    let mut items = Vec::with_capacity(steps.len());
    for step in steps {
        let step_rate = step.step_rate.map(rate);
        let cumulative_rate = step.cumulative_rate.map(rate);
        let rates = [
            step_rate.as_ref().map(|r| format!("{r} of previous")),
            cumulative_rate.as_ref().map(|r| format!("{r} of all")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
        let value = group_thousands(step.value);
        let tooltip = if rates.is_empty() {
            format!("{}: {value}", step.label)
        } else {
            format!("{}: {value} ({rates})", step.label)
        };
        // A step above zero keeps a sliver of a bar, however small next to the first.
        let width =
            if max == 0 || step.value == 0 { 0 } else { (step.value as u128 * 10_000 / max as u128).max(50) as u64 };
        rows.push(Row {
            label: step.label.clone(),
            href: step.href.clone(),
            cells: vec![value.clone(), step_rate.unwrap_or_else(dash), cumulative_rate.unwrap_or_else(dash)],
        });
        let label = match step.href.clone() {
            Some(href) => Either::Left(view! { <a class="chart-funnel-link" href=href>{step.label}</a> }),
            None => Either::Right(step.label),
        };
        items.push(view! {
            <li class=format!("chart-funnel-step chart-s-{}", step.class)>
                <span class="chart-funnel-label">{label}</span>
                <span class="chart-funnel-rates">{rates}</span>
                <span class="chart-funnel-value">{value}</span>
                {bar(pct(width), tooltip, step.href)}
            </li>
        });
    }
    let columns = ["Step", "Count", "% of previous", "% of all"].map(String::from).to_vec();
    view! {
        <figure class="chart chart-funnel">
            <figcaption class="chart-title">{title}</figcaption>
            <p class="chart-note">{note}</p>
            <ol class="chart-funnel-steps">{items}</ol>
            {(max == 0).then(|| view! { <p class="chart-empty">"No data in this range"</p> })}
            {table(columns, rows)}
        </figure>
    }
}

/// A step's bar on its track. With a link, the bar is one too, for the pointer only: the label's link
/// (which covers the row) is the one to reach with the keyboard, and this one lets the bar's
/// tooltip show above it.
fn bar(width: String, tooltip: String, href: Option<String>) -> impl IntoView {
    match href {
        Some(href) => Either::Left(view! {
            <svg class="chart-funnel-bar" width="100%" height="10" aria-hidden="true">
                <a href=href tabindex="-1">
                    <rect class="chart-funnel-track" width="100%" height="10" rx="5" />
                    <rect class="chart-funnel-fill" width=width height="10" rx="5">
                        <title>{tooltip}</title>
                    </rect>
                </a>
            </svg>
        }),
        None => Either::Right(view! {
            <svg class="chart-funnel-bar" width="100%" height="10" aria-hidden="true">
                <rect class="chart-funnel-track" width="100%" height="10" rx="5" />
                <rect class="chart-funnel-fill" width=width height="10" rx="5">
                    <title>{tooltip}</title>
                </rect>
            </svg>
        }),
    }
}

fn dash() -> String {
    "–".to_string()
}
