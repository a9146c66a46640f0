//! A heatmap: a grid of counts (weekdays by hours), each cell as dark as its share of the highest.
use leptos::prelude::*;

use super::frame::{Row, empty_note, figure, svg_labels, table};
use super::markup::{Esc, w};
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
    let height = TOP + rows as u64 * ROW;

    // About 200 bytes a cell and 30 a number in the table.
    let mut out = String::with_capacity(4_096 + rows * columns * 230);
    w!(
        out,
        "<figcaption class=\"chart-title\">{}</figcaption><div class=\"chart-plot\"><svg class=\"chart-svg\" \
         width=\"100%\" height=\"{height}\" role=\"img\" aria-labelledby=\"{id}-title\" \
         aria-describedby=\"{id}-desc\">",
        Esc(&title)
    );
    svg_labels(&mut out, &id, &title, &desc);
    out.push_str("<g aria-hidden=\"true\">");
    for (c, label) in column_labels.iter().enumerate() {
        if let Some(class) = label_class(c, &steps) {
            let (start, end) = slot(c);
            w!(
                out,
                "<text class=\"{class}\" x=\"{}\" y=\"12\" text-anchor=\"middle\">{}</text>",
                pct((start + end) / 2),
                Esc(label)
            );
        }
    }
    for (r, label) in row_labels.iter().enumerate() {
        let y = TOP + r as u64 * ROW + CELL / 2;
        w!(
            out,
            "<text class=\"chart-tick\" x=\"-8\" y=\"{y}\" dy=\"0.32em\" text-anchor=\"end\">{}</text>",
            Esc(label)
        );
    }
    out.push_str("</g><g>");
    for (r, c) in cells() {
        let v = value(r, c);
        let level = if max == 0 { 0 } else { (v * LEVELS).div_ceil(max) };
        let (start, end) = slot(c);
        // A gap of an eighth of a column between cells, half on each side.
        let gap = (end - start) / 8;
        let y = TOP + r as u64 * ROW;
        w!(
            out,
            "<rect class=\"chart-cell chart-heat-{level}\" x=\"{}\" width=\"{}\" y=\"{y}\" height=\"{CELL}\" rx=\"3\"><title>",
            pct(start + gap / 2),
            pct(end - start - gap)
        );
        match cell_titles.get(r).and_then(|row| row.get(c)).filter(|t| !t.is_empty()) {
            Some(tooltip) => w!(out, "{}", Esc(tooltip)),
            None => w!(out, "{} {}: {}", Esc(&row_labels[r]), Esc(&column_labels[c]), group_thousands(v)),
        }
        out.push_str("</title></rect>");
    }
    out.push_str("</g>");
    if max == 0 {
        empty_note(&mut out, TOP + rows as u64 * ROW / 2);
    }
    out.push_str("</svg></div><p class=\"chart-heat-legend\" aria-hidden=\"true\">Fewer");
    for level in 0..=LEVELS {
        w!(out, "<span class=\"chart-swatch chart-heat-{level}\"></span>");
    }
    out.push_str("More</p>");

    let table_rows: Vec<Row> = row_labels
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
    table(&mut out, &table_columns, &table_rows);
    figure("chart-heatmap", out)
}
