//! A heatmap: a grid of counts (weekdays by hours), each cell as dark as its share of the highest.
use leptos::prelude::*;

use super::columns::empty_note;
use super::frame::{Row, table};
use super::scale::{chart_id, label_class, label_steps, pct};
use crate::shared::numbers::group_thousands;

/// The grid's rows and cells, in pixels; widths are percentages of the plot.
const TOP: u64 = 24;
const ROW: u64 = 24;
const CELL: u64 = 20;
/// The shades above zero (`chart-heat-1` to `chart-heat-5` in style/main.css).
const LEVELS: u64 = 5;

/// `values[row][column]` as shaded cells, rows labelled on the left and columns on top (thinned
/// out on a narrow screen). `cell_titles[row][column]` is a cell's tooltip, such as
/// "Tue 14:00–15:00: 12 messages"; without one it reads "Tue 14: 12". The title must be unique on
/// the page (it names the chart's ids).
#[component]
pub fn Heatmap(
    #[prop(into)] title: String,
    row_labels: Vec<String>,
    column_labels: Vec<String>,
    values: Vec<Vec<u64>>,
    #[prop(optional)] cell_titles: Vec<Vec<String>>,
) -> impl IntoView {
    let id = chart_id(&title);
    let value = |r: usize, c: usize| values.get(r).and_then(|row| row.get(c)).copied().unwrap_or(0);
    let (rows, columns) = (row_labels.len(), column_labels.len());
    let cells = || (0..rows).flat_map(|r| (0..columns).map(move |c| (r, c)));
    let max = cells().map(|(r, c)| value(r, c)).max().unwrap_or(0);
    let total = cells().fold(0u64, |sum, (r, c)| sum.saturating_add(value(r, c)));
    let desc = match cells().find(|&(r, c)| max > 0 && value(r, c) == max) {
        Some((r, c)) => format!(
            "Highest: {} on {} at {}. Total: {}.",
            group_thousands(max),
            row_labels[r],
            column_labels[c],
            group_thousands(total)
        ),
        None => "No data in this range.".to_string(),
    };

    let slot = |c: usize| (c as u64 * 10_000 / columns.max(1) as u64, (c as u64 + 1) * 10_000 / columns.max(1) as u64);
    let chars = column_labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let steps = label_steps(columns, chars);
    let column_ticks = column_labels
        .iter()
        .enumerate()
        .filter_map(|(c, label)| {
            let class = label_class(c, &steps)?;
            let (start, end) = slot(c);
            Some(view! {
                <text class=class x=pct((start + end) / 2) y="12" text-anchor="middle">
                    {label.clone()}
                </text>
            })
        })
        .collect_view();
    let row_ticks = row_labels
        .iter()
        .enumerate()
        .map(|(r, label)| {
            let y = TOP + r as u64 * ROW + CELL / 2;
            view! {
                <text class="chart-tick" x="-8" y=y dy="0.32em" text-anchor="end">
                    {label.clone()}
                </text>
            }
        })
        .collect_view();
    let marks = cells()
        .map(|(r, c)| {
            let v = value(r, c);
            let level = if max == 0 { 0 } else { (v * LEVELS).div_ceil(max) };
            let (start, end) = slot(c);
            // A gap of an eighth of a column between cells, half on each side.
            let gap = (end - start) / 8;
            let tooltip = cell_titles
                .get(r)
                .and_then(|row| row.get(c))
                .filter(|t| !t.is_empty())
                .cloned()
                .unwrap_or_else(|| format!("{} {}: {}", row_labels[r], column_labels[c], group_thousands(v)));
            view! {
                <rect
                    class=format!("chart-cell chart-heat-{level}")
                    x=pct(start + gap / 2)
                    width=pct(end - start - gap)
                    y={TOP + r as u64 * ROW}
                    height=CELL
                    rx="3"
                >
                    <title>{tooltip}</title>
                </rect>
            }
        })
        .collect_view();

    let table_rows = row_labels
        .iter()
        .enumerate()
        .map(|(r, label)| Row {
            label: label.clone(),
            href: None,
            cells: (0..columns).map(|c| group_thousands(value(r, c))).collect(),
        })
        .collect();
    let mut table_columns = vec![String::new()];
    table_columns.extend(column_labels.iter().cloned());
    let height = TOP + rows as u64 * ROW;
    let legend = (0..=LEVELS)
        .map(|level| view! { <span class=format!("chart-swatch chart-heat-{level}")></span> })
        .collect_view();
    view! {
        <figure class="chart chart-heatmap">
            <figcaption class="chart-title">{title.clone()}</figcaption>
            <div class="chart-plot">
                <svg
                    class="chart-svg"
                    width="100%"
                    height=height
                    role="img"
                    aria-labelledby=format!("{id}-title")
                    aria-describedby=format!("{id}-desc")
                >
                    <title id=format!("{id}-title")>{title}</title>
                    <desc id=format!("{id}-desc")>{desc}</desc>
                    <g aria-hidden="true">{column_ticks} {row_ticks}</g>
                    <g>{marks}</g>
                    {(max == 0).then(|| empty_note(TOP + rows as u64 * ROW / 2))}
                </svg>
            </div>
            <p class="chart-heat-legend" aria-hidden="true">
                "Fewer" {legend} "More"
            </p>
            {table(table_columns, table_rows)}
        </figure>
    }
}
