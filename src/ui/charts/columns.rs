//! Vertical bars over categories, one series or several stacked: what `BarChart` and
//! `StackedBarChart` draw.
use leptos::prelude::*;

use super::frame::{Plot, Row, close_mark, empty_note, figure, open_mark, svg_labels, table, y_axis};
use super::markup::{Esc, w};
use super::scale::{chart_id, label_class, label_steps, nice_ticks, pct, tenths};
use super::stacked::{Category, Series};
use crate::shared::numbers::group_thousands;

/// The drawing's height and where its parts sit, in pixels. Only widths scale with the screen
/// (they are percentages), so text keeps its size and lines stay sharp at any width.
const HEIGHT: u64 = 236;
const PLOT: Plot = Plot { top: 28, base: 196 };
const X_TICKS_Y: u64 = 214;
const X_NAME_Y: u64 = 234;
/// How far a bar's rounded corners reach below its real bottom: clipped at the zero line (or hidden
/// under the segment below), so only the top is round.
const CORNER: u64 = 3;
/// The area of a column that shows hover and focus: the plot and a little above it, ending a
/// pixel above the zero line so its focus ring is not clipped.
const HIT_TOP: u64 = PLOT.top - 6;
const HIT_HEIGHT: u64 = PLOT.base - 1 - HIT_TOP;
/// Bars shorter than this (in tenths of a pixel) would vanish: a value above zero shows at least this.
const MIN_BAR: u64 = 20;

pub(super) struct Columns {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub categories: Vec<Category>,
    pub series: Vec<Series>,
    /// Several series stacked, with a legend, the parts in each column's tooltip and a total in the
    /// table.
    pub stacked: bool,
}

pub(super) fn columns(chart: Columns) -> impl IntoView {
    figure("chart-columns", markup(chart))
}

fn markup(chart: Columns) -> String {
    let Columns { title, x_label, y_label, categories, series, stacked } = chart;
    let id = chart_id(&title);
    let totals: Vec<u64> =
        (0..categories.len()).map(|i| series.iter().map(|s| value(s, i)).fold(0, u64::saturating_add)).collect();
    let highest = totals.iter().copied().max().unwrap_or(0);
    let ticks = nice_ticks(highest);
    let max = ticks.last().copied().unwrap_or(1);

    let desc = describe(&categories, &series, &totals, stacked);
    // An image's content is presentational, so a chart whose marks are links is a group of them.
    let role = if categories.iter().any(|c| c.href.is_some()) { "group" } else { "img" };

    let count = categories.len() as u64;
    let chars = categories.iter().map(|c| c.label.chars().count()).max().unwrap_or(0);
    let steps = label_steps(categories.len(), chars);
    // Bars take this share of their slot (in %), the rest is the gap between them.
    let fill = if count > 16 { 70 } else { 60 };
    let slot = |i: u64| (i * 10_000 / count.max(1), (i + 1) * 10_000 / count.max(1));

    // About 200 bytes a category, twice that stacked, and the table.
    let mut out = String::with_capacity(4_096 + categories.len() * if stacked { 600 } else { 350 });
    w!(out, "<figcaption class=\"chart-title\">{}</figcaption>", Esc(&title));
    if stacked {
        legend(&mut out, &series);
    }
    w!(
        out,
        "<div class=\"chart-plot\"><svg class=\"chart-svg\" width=\"100%\" height=\"{HEIGHT}\" role=\"{role}\" \
         aria-labelledby=\"{id}-title\" aria-describedby=\"{id}-desc\">"
    );
    svg_labels(&mut out, &id, &title, &desc);
    let clip = format!("{id}-clip");
    w!(
        out,
        "<defs><clipPath id=\"{clip}\"><rect x=\"0\" y=\"0\" width=\"100%\" height=\"{}\"/></clipPath></defs>",
        PLOT.base
    );
    y_axis(&mut out, &PLOT, &ticks, &y_label);
    w!(out, "<g clip-path=\"url(#{clip})\">");

    let mut labels = String::new();
    let mut rows = Vec::with_capacity(categories.len());
    for (i, category) in categories.into_iter().enumerate() {
        let (start, end) = slot(i as u64);
        let width = end - start;
        if let Some(class) = label_class(i, &steps) {
            w!(
                labels,
                "<text class=\"{class}\" x=\"{}\" y=\"{X_TICKS_Y}\" text-anchor=\"middle\">{}</text>",
                pct(start + width / 2),
                Esc(&category.label)
            );
        }
        let bar_x = pct(start + width * (100 - fill) / 200);
        let bar_width = pct(width * fill / 100);
        let values: Vec<u64> = series.iter().map(|s| value(s, i)).collect();
        let total = totals[i];

        // One tooltip for the column, naming every part of a stacked one.
        let tooltip = if stacked {
            let parts: Vec<String> =
                series.iter().zip(&values).map(|(s, &v)| format!("{} {}", s.name, group_thousands(v))).collect();
            format!("{}: {} in total ({})", category.full_label, group_thousands(total), parts.join(", "))
        } else {
            format!("{}: {}", category.full_label, group_thousands(total))
        };
        open_mark(&mut out, category.href.as_deref(), &tooltip);
        // The whole column answers to the pointer (and shows focus): zero and tiny bars too.
        w!(
            out,
            "<rect class=\"chart-hit\" x=\"{}\" width=\"{}\" y=\"{HIT_TOP}\" height=\"{HIT_HEIGHT}\" rx=\"4\"/>",
            pct(start),
            pct(width)
        );
        // The top segment first, with its rounded corners reaching down under the others.
        let top_series = values.iter().rposition(|&v| v > 0);
        let mut segments = Vec::new();
        let mut below = 0u64;
        for (s, (&v, series)) in values.iter().zip(&series).enumerate() {
            if v == 0 {
                continue;
            }
            let low = PLOT.y(below, max);
            below = below.saturating_add(v);
            let is_top = Some(s) == top_series;
            let high = if is_top { PLOT.y(below, max).min(PLOT.base * 10 - MIN_BAR) } else { PLOT.y(below, max) };
            let height = low - high + if is_top { CORNER * 10 } else { 0 };
            let mut bar = String::with_capacity(120);
            bar.push_str("<rect class=\"chart-bar");
            if stacked {
                w!(bar, " chart-seg chart-s-{}", Esc(&series.class));
            }
            w!(bar, "\" x=\"{bar_x}\" width=\"{bar_width}\" y=\"{}\" height=\"{}\"", tenths(high), tenths(height));
            if is_top {
                w!(bar, " rx=\"{CORNER}\"");
            }
            bar.push_str("/>");
            if is_top { segments.insert(0, bar) } else { segments.push(bar) }
        }
        segments.iter().for_each(|bar| out.push_str(bar));
        close_mark(&mut out, category.href.is_some());

        let mut cells: Vec<String> = values.iter().map(|&v| group_thousands(v)).collect();
        if stacked {
            cells.push(group_thousands(total));
        }
        rows.push(Row { label: category.full_label, href: category.href, cells });
    }
    w!(
        out,
        "</g><g class=\"chart-x-ticks\" aria-hidden=\"true\">{labels}</g>\
         <text class=\"chart-axis-name\" x=\"50%\" y=\"{X_NAME_Y}\" text-anchor=\"middle\" aria-hidden=\"true\">{}</text>",
        Esc(&x_label)
    );
    if highest == 0 {
        empty_note(&mut out, (PLOT.top + PLOT.base) / 2);
    }
    out.push_str("</svg></div>");

    let mut columns = vec![x_label];
    if stacked {
        columns.extend(series.iter().map(|s| s.name.clone()));
        columns.push("Total".to_string());
    } else {
        columns.push(y_label);
    }
    table(&mut out, &columns, &rows);
    out
}

/// A series' value at a category (0 where its values end early).
fn value(series: &Series, index: usize) -> u64 {
    series.values.get(index).copied().unwrap_or(0)
}

/// The chart in a sentence, for its `<desc>`: the highest bar and the totals.
fn describe(categories: &[Category], series: &[Series], totals: &[u64], stacked: bool) -> String {
    let highest = totals.iter().copied().max().unwrap_or(0);
    if highest == 0 {
        return "No data in this range.".to_string();
    }
    let at = totals.iter().position(|&t| t == highest).unwrap_or(0);
    let sums = if stacked {
        let sums: Vec<String> = series
            .iter()
            .map(|s| {
                let sum = (0..categories.len()).map(|i| value(s, i)).fold(0, u64::saturating_add);
                format!("{} {}", s.name, group_thousands(sum))
            })
            .collect();
        sums.join(", ")
    } else {
        group_thousands(totals.iter().copied().fold(0, u64::saturating_add))
    };
    format!("Highest: {} on {}. Total: {sums}.", group_thousands(highest), categories[at].full_label)
}

/// The series' names beside their colours.
fn legend(out: &mut String, series: &[Series]) {
    out.push_str("<ul class=\"chart-legend\">");
    for s in series {
        w!(
            out,
            "<li><span class=\"chart-swatch chart-s-{}\" aria-hidden=\"true\"></span>{}</li>",
            Esc(&s.class),
            Esc(&s.name)
        );
    }
    out.push_str("</ul>");
}
