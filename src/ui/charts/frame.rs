//! The pieces every chart shares: the table behind "Show as table", the marks' links and tooltips,
//! the y axis, and the figure that holds a chart's markup.
use leptos::prelude::*;

use super::markup::{Esc, w};
use super::scale::{compact, scaled_tenths, tenths};

/// The figure of class `class` (after `chart`) holding `markup`, drawn once: it has no reactive
/// parts, and hydration leaves the server's markup as it is.
pub(super) fn figure(class: &'static str, markup: String) -> impl IntoView {
    view! { <figure class=format!("chart {class}") inner_html=markup></figure> }
}

/// One row of a chart's table: its label (a link when the mark has one) and its cells.
pub(super) struct Row {
    pub label: String,
    pub href: Option<String>,
    pub cells: Vec<String>,
}

/// The chart's numbers as a table, folded away under "Show as table"; every column after the first
/// holds numbers.
pub(super) fn table(out: &mut String, columns: &[String], rows: &[Row]) {
    out.push_str(
        "<details class=\"chart-table\"><summary>Show as table</summary>\
         <div class=\"chart-table-scroll\"><table class=\"data-table\"><thead><tr>",
    );
    for (i, column) in columns.iter().enumerate() {
        let class = if i == 0 { "" } else { " class=\"chart-num\"" };
        w!(out, "<th scope=\"col\"{class}>{}</th>", Esc(column));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr><th scope=\"row\">");
        match &row.href {
            Some(href) => w!(out, "<a href=\"{}\">{}</a>", Esc(href), Esc(&row.label)),
            None => w!(out, "{}", Esc(&row.label)),
        }
        out.push_str("</th>");
        for cell in &row.cells {
            w!(out, "<td class=\"chart-num\">{}</td>", Esc(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div></details>");
}

/// Opens a mark (a bar, a column of a stacked chart) with its tooltip: an SVG link when it leads
/// somewhere, so that it can be reached with the keyboard, else a group. [`close_mark`] ends it.
pub(super) fn open_mark(out: &mut String, href: Option<&str>, tooltip: &str) {
    match href {
        Some(href) => {
            w!(out, "<g><a class=\"chart-mark\" href=\"{}\"><title>{}</title>", Esc(href), Esc(tooltip))
        }
        None => w!(out, "<g class=\"chart-mark\"><title>{}</title>", Esc(tooltip)),
    }
}

pub(super) fn close_mark(out: &mut String, linked: bool) {
    out.push_str(if linked { "</a></g>" } else { "</g>" });
}

/// The `<title>` and `<desc>` that name and describe a chart's `<svg>`, after its opening tag
/// (which refers to them by these ids).
pub(super) fn svg_labels(out: &mut String, id: &str, title: &str, desc: &str) {
    w!(out, "<title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>", Esc(title), Esc(desc));
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
pub(super) fn y_axis(out: &mut String, plot: &Plot, ticks: &[u64], name: &str) {
    let max = ticks.last().copied().unwrap_or(1);
    w!(out, "<g aria-hidden=\"true\"><text class=\"chart-axis-name\" x=\"-{GUTTER}\" y=\"12\">{}</text>", Esc(name));
    for &tick in ticks {
        // Half a pixel off the grid: a one-pixel line then covers one row of pixels, sharp.
        let y = tenths(plot.y(tick, max) - 5);
        let class = if tick == 0 { "chart-grid chart-zero" } else { "chart-grid" };
        w!(
            out,
            "<line class=\"{class}\" x1=\"0\" x2=\"100%\" y1=\"{y}\" y2=\"{y}\"/>\
             <text class=\"chart-tick chart-y-tick\" x=\"-8\" y=\"{y}\" dy=\"0.32em\" text-anchor=\"end\">{}</text>",
            compact(tick)
        );
    }
    out.push_str("</g>");
}

/// The note over an empty plot, centred at `y`.
pub(super) fn empty_note(out: &mut String, y: u64) {
    w!(out, "<text class=\"chart-empty\" x=\"50%\" y=\"{y}\" text-anchor=\"middle\">No data in this range</text>");
}

/// The width left of the plot for the y axis' labels: the same as `.chart-plot`'s padding in
/// style/main.css.
pub(super) const GUTTER: u64 = 44;
