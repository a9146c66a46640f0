//! The pieces every chart shares: the table behind "Show as table", the marks' links and tooltips,
//! the y axis.
//!
//! Elements that SVG and HTML both have (`a`, `title`) sit under an SVG element in the same
//! `view!`, so the macro makes them SVG elements: a chart rendered in the browser (after a
//! client-side navigation) then gets working links and tooltips too.
use leptos::either::Either;
use leptos::prelude::*;

use super::scale::{compact, scaled_tenths, tenths};

/// One row of a chart's table: its label (a link when the mark has one) and its cells.
pub(super) struct Row {
    pub label: String,
    pub href: Option<String>,
    pub cells: Vec<String>,
}

/// The chart's numbers as a table, folded away under "Show as table"; every column after the first
/// holds numbers.
pub(super) fn table(columns: Vec<String>, rows: Vec<Row>) -> impl IntoView {
    let mut columns = columns.into_iter();
    let first = columns.next().unwrap_or_default();
    view! {
        <details class="chart-table">
            <summary>"Show as table"</summary>
            <div class="chart-table-scroll">
                <table class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">{first}</th>
                            {columns
                                .map(|column| view! { <th scope="col" class="chart-num">{column}</th> })
                                .collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(table_row).collect_view()}
                    </tbody>
                </table>
            </div>
        </details>
    }
}

fn table_row(row: Row) -> impl IntoView {
    let label = match row.href {
        Some(href) => Either::Left(view! { <a href=href>{row.label}</a> }),
        None => Either::Right(row.label),
    };
    view! {
        <tr>
            <th scope="row">{label}</th>
            {row.cells.into_iter().map(|cell| view! { <td class="chart-num">{cell}</td> }).collect_view()}
        </tr>
    }
}

/// A mark (a bar, a column of a stacked chart) with its tooltip: an SVG link when it leads
/// somewhere, so that it can be reached with the keyboard, else a group.
pub(super) fn mark(href: Option<String>, tooltip: String, body: AnyView) -> impl IntoView {
    match href {
        Some(href) => Either::Left(view! {
            <g>
                <a class="chart-mark" href=href>
                    <title>{tooltip}</title>
                    {body}
                </a>
            </g>
        }),
        None => Either::Right(view! {
            <g class="chart-mark">
                <title>{tooltip}</title>
                {body}
            </g>
        }),
    }
}

/// Where the y axis and its grid sit in a column chart, in pixels.
pub(super) struct Plot {
    /// The highest grid line.
    pub top: u64,
    /// The zero line.
    pub base: u64,
}

impl Plot {
    pub fn height(&self) -> u64 {
        self.base - self.top
    }

    /// The y of `value` on an axis that ends at `max`, in tenths of a pixel.
    pub fn y(&self, value: u64, max: u64) -> u64 {
        self.base * 10 - scaled_tenths(value, max, self.height())
    }
}

/// The grid lines at `ticks` with their labels left of the plot (in the gutter the figure keeps
/// for them), and the axis' name above them.
pub(super) fn y_axis(plot: &Plot, ticks: &[u64], name: String) -> impl IntoView + use<> {
    let max = ticks.last().copied().unwrap_or(1);
    let lines = ticks
        .iter()
        .map(|&tick| {
            // Half a pixel off the grid: a one-pixel line then covers one row of pixels, sharp.
            let y = tenths(plot.y(tick, max) - 5);
            let class = if tick == 0 { "chart-grid chart-zero" } else { "chart-grid" };
            view! {
                <line class=class x1="0" x2="100%" y1=y.clone() y2=y.clone() />
                <text class="chart-tick chart-y-tick" x="-8" y=y dy="0.32em" text-anchor="end">
                    {compact(tick)}
                </text>
            }
        })
        .collect_view();
    view! {
        <g aria-hidden="true">
            <text class="chart-axis-name" x=format!("-{GUTTER}") y="12">
                {name}
            </text>
            {lines}
        </g>
    }
}

/// The width left of the plot for the y axis' labels: the same as `.chart-plot`'s padding in
/// style/main.css.
pub(super) const GUTTER: u64 = 44;
