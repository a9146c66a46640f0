//! A funnel: how many leads reached each stage, and what share of the step before and of the first.
//!
//! Plain HTML rows (the numbers are text a phone wraps as it needs) with a thin SVG bar each.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::frame::{Row, figure, table};
use super::markup::{Esc, w};
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
    let mut out = String::with_capacity(2_048 + steps.len() * 700);
    w!(
        out,
        "<figcaption class=\"chart-title\">{}</figcaption><p class=\"chart-note\">{}</p><ol class=\"chart-funnel-steps\">",
        Esc(&title),
        Esc(&note)
    );
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
        w!(out, "<li class=\"chart-funnel-step chart-s-{}\"><span class=\"chart-funnel-label\">", Esc(&step.class));
        match &step.href {
            Some(href) => w!(out, "<a class=\"chart-funnel-link\" href=\"{}\">{}</a>", Esc(href), Esc(&step.label)),
            None => w!(out, "{}", Esc(&step.label)),
        }
        w!(
            out,
            "</span><span class=\"chart-funnel-rates\">{}</span><span class=\"chart-funnel-value\">{value}</span>",
            Esc(&rates)
        );
        bar(&mut out, &pct(width), &tooltip, step.href.as_deref());
        out.push_str("</li>");
        rows.push(Row {
            label: step.label,
            href: step.href,
            cells: vec![value, step_rate.unwrap_or_else(dash), cumulative_rate.unwrap_or_else(dash)],
        });
    }
    out.push_str("</ol>");
    if max == 0 {
        out.push_str("<p class=\"chart-empty\">No data in this range</p>");
    }
    let columns = ["Step", "Count", "% of previous", "% of all"].map(String::from);
    table(&mut out, &columns, &rows);
    figure("chart-funnel", out)
}

/// A step's bar on its track. With a link, the bar is one too, for the pointer only: the label's link
/// (which covers the row) is the one to reach with the keyboard, and this one lets the bar's
/// tooltip show above it.
fn bar(out: &mut String, width: &str, tooltip: &str, href: Option<&str>) {
    out.push_str("<svg class=\"chart-funnel-bar\" width=\"100%\" height=\"10\" aria-hidden=\"true\">");
    if let Some(href) = href {
        w!(out, "<a href=\"{}\" tabindex=\"-1\">", Esc(href));
    }
    w!(
        out,
        "<rect class=\"chart-funnel-track\" width=\"100%\" height=\"10\" rx=\"5\"/>\
         <rect class=\"chart-funnel-fill\" width=\"{width}\" height=\"10\" rx=\"5\"><title>{}</title></rect>",
        Esc(tooltip)
    );
    if href.is_some() {
        out.push_str("</a>");
    }
    out.push_str("</svg>");
}

fn dash() -> String {
    "–".to_string()
}
