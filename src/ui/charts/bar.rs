//! A bar chart: one value per category, such as new leads per day.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{Columns, columns};
use super::stacked::{Category, Series};

/// One bar.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    /// Under the bar, short: "3 Nov".
    pub label: String,
    /// In the tooltip and the table: "Tue 3 Nov 2026".
    pub full_label: String,
    pub value: u64,
    /// Where the bar leads (the clients added that day...).
    pub href: Option<String>,
}

/// Bars over categories, with a y axis named `y_label` and the categories' axis named `x_label`.
/// The title must be unique on the page (it names the chart's ids).
#[component]
pub fn BarChart(
    #[prop(into)] title: String,
    #[prop(into)] x_label: String,
    #[prop(into)] y_label: String,
    bars: Vec<Bar>,
) -> impl IntoView {
    let mut categories = Vec::with_capacity(bars.len());
    let mut values = Vec::with_capacity(bars.len());
    for bar in bars {
        categories.push(Category { label: bar.label, full_label: bar.full_label, href: bar.href });
        values.push(bar.value);
    }
    let series = vec![Series { name: y_label.clone(), class: String::new(), values }];
    columns(Columns { title, x_label, y_label, categories, series, stacked: false })
}
