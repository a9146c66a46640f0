//! A stacked bar chart: several series per category, such as messages by who wrote them.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{Columns, columns};

/// One category (a day, a week) on the x axis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Category {
    /// Under the bar, short: "3 Nov".
    pub label: String,
    /// In the tooltips and the table: "Tue 3 Nov 2026".
    pub full_label: String,
    pub href: Option<String>,
}

/// One series: a part of every bar, in its own colour.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub name: String,
    /// The colour, as a modifier of `chart-s-`: a stage (`lead`, `contacted`, `qualified`,
    /// `booked`, `won`, `lost`), `ai`, `agent` or `primary`.
    pub class: String,
    /// One per category, in the categories' order (a missing one counts as 0).
    pub values: Vec<u64>,
}

/// Bars of stacked series over categories, with a legend naming the series. The first series is
/// at the bottom of each bar. The title must be unique on the page (it names the chart's ids).
#[component]
pub fn StackedBarChart(
    #[prop(into)] title: String,
    #[prop(into)] x_label: String,
    #[prop(into)] y_label: String,
    categories: Vec<Category>,
    series: Vec<Series>,
) -> impl IntoView {
    columns(Columns { title, x_label, y_label, categories, series, stacked: true })
}
