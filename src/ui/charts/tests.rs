//! The charts rendered to HTML as the server sends them, and a demo page to look at them
//! (`cargo test --lib --features ssr ui::charts::tests::write_demo -- --ignored`).
use chrono::{Datelike, Days, NaiveDate};
use leptos::prelude::*;

use super::*;

fn render(chart: impl FnOnce() -> AnyView) -> String {
    Owner::new().with(|| chart().to_html())
}

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

/// The attributes of the `<text>` element that reads `content`.
fn text_attributes<'a>(html: &'a str, content: &str) -> &'a str {
    let end = format!("{content}</text>");
    let end = end.as_str();
    html.split("<text ")
        .skip(1)
        .find_map(|tag| tag.split_once('>').filter(|(_, rest)| rest.starts_with(end)).map(|(attributes, _)| attributes))
        .unwrap_or_else(|| panic!("no text {content}: {html}"))
}

fn bar(label: &str, value: u64, href: Option<&str>) -> Bar {
    Bar { label: label.into(), full_label: format!("Full {label}"), value, href: href.map(Into::into) }
}

#[test]
fn bar_chart_is_an_accessible_figure_with_a_tooltip_per_bar_and_a_table() {
    let html = render(|| {
        let bars =
            vec![bar("2 Nov", 3, None), bar("3 Nov", 12, Some("/clients?added=2026-11-03")), bar("4 Nov", 0, None)];
        view! { <BarChart title="New leads" x_label="Day" y_label="Leads" bars=bars /> }.into_any()
    });
    assert!(html.starts_with("<figure class=\"chart chart-columns\">"), "{html}");
    assert!(html.contains("<figcaption class=\"chart-title\">New leads</figcaption>"));
    // Its bars are links, which an image would hide: it is a group.
    assert!(html.contains("role=\"group\"") && !html.contains("role=\"img\""));
    assert!(html.contains("aria-labelledby=\"chart-new-leads-title\""));
    assert!(html.contains("aria-describedby=\"chart-new-leads-desc\""));
    assert!(html.contains("<title id=\"chart-new-leads-title\">New leads</title>"));
    assert!(html.contains("<desc id=\"chart-new-leads-desc\">Highest: 12 on Full 3 Nov. Total: 15.</desc>"));
    assert!(html.contains("width=\"100%\""));
    // The chart's own title, then one per bar.
    assert_eq!(count(&html, "<title"), 1 + 3);
    assert!(html.contains("<title>Full 3 Nov: 12</title>"));
    assert!(html.contains("<title>Full 4 Nov: 0</title>"));
    // The linked bar is an SVG link, and its row in the table links there too.
    assert!(html.contains("<a class=\"chart-mark\" href=\"/clients?added=2026-11-03\"><title>"));
    assert_eq!(count(&html, "href=\"/clients?added=2026-11-03\""), 2);
    // Ticks 0, 5, 10, 15 and the axes' names.
    for tick in ["0", "5", "10", "15"] {
        assert!(text_attributes(&html, tick).starts_with("class=\"chart-tick chart-y-tick\""), "{tick}: {html}");
    }
    assert!(html.contains(">Leads</text>") && html.contains(">Day</text>"));
    assert!(html.contains("<details class=\"chart-table\"><summary>Show as table</summary>"));
    assert!(html.contains("<th scope=\"col\">Day</th><th scope=\"col\" class=\"chart-num\">Leads</th>"));
    for value in ["3", "12", "0"] {
        assert!(html.contains(&format!("<td class=\"chart-num\">{value}</td>")), "{value}");
    }
    assert!(!html.contains("No data in this range"));
}

#[test]
fn labels_and_links_are_escaped() {
    let html = render(|| {
        let bars = vec![Bar {
            label: "<b>x</b>".into(),
            full_label: "<b>x</b> & co".into(),
            value: 1,
            href: Some("/a?b=\"c\"".into()),
        }];
        view! { <BarChart title="<i>T</i>" x_label="<u>x</u>" y_label="y" bars=bars /> }.into_any()
    });
    assert!(!html.contains("<b>") && !html.contains("<i>") && !html.contains("<u>"), "{html}");
    assert!(html.contains("&lt;b&gt;x&lt;/b&gt;</text>"));
    assert!(html.contains("<title>&lt;b&gt;x&lt;/b&gt; &amp; co: 1</title>"));
    assert!(html.contains("&lt;i&gt;T&lt;/i&gt;</figcaption>"));
    assert!(html.contains("href=\"/a?b=&quot;c&quot;\""));
}

/// Every text and attribute of every chart goes through the escaping: the charts write their
/// markup as strings, so nothing else would.
#[test]
fn every_chart_escapes_every_text_it_is_given() {
    const HOSTILE: &str = "\"><script>x</script><b a='1'>&amp;";
    let h = || HOSTILE.to_string();
    let html = render(move || {
        let categories = vec![Category { label: h(), full_label: h(), href: Some(h()) }];
        let series = vec![Series { name: h(), class: h(), values: vec![2] }];
        let steps = vec![FunnelStep {
            label: h(),
            class: h(),
            value: 1,
            step_rate: None,
            cumulative_rate: None,
            href: Some(h()),
        }];
        view! {
            <StackedBarChart title=h() x_label=h() y_label=h() categories series />
            <Funnel title=h() note=h() steps />
            <Heatmap
                title=h()
                row_labels=vec![h()]
                column_labels=vec![h()]
                values=vec![vec![1]]
                cell_titles=vec![vec![h()]]
            />
            <Heatmap title="Untitled cells" row_labels=vec![h()] column_labels=vec![h()] values=vec![vec![1]] />
        }
        .into_any()
    });
    assert!(!html.contains("<script>") && !html.contains("<b "), "{html}");
    let escaped = "&quot;&gt;&lt;script&gt;x&lt;/script&gt;&lt;b a=&#39;1&#39;&gt;&amp;amp;";
    // Captions, legend, axis names, labels, tooltips, table headers and cells, links and classes.
    assert!(count(&html, escaped) >= 25, "{}: {html}", count(&html, escaped));
}

#[test]
fn an_empty_chart_still_draws_an_axis_and_says_so() {
    for bars in [vec![], vec![bar("1 Nov", 0, None), bar("2 Nov", 0, None)]] {
        let marks = bars.len();
        let html =
            render(move || view! { <BarChart title="Leads" x_label="Day" y_label="Leads" bars=bars /> }.into_any());
        assert!(html.contains("No data in this range"), "{html}");
        assert!(html.contains("<desc id=\"chart-leads-desc\">No data in this range.</desc>"));
        for tick in ["0", "1"] {
            assert!(text_attributes(&html, tick).starts_with("class=\"chart-tick chart-y-tick\""), "{tick}: {html}");
        }
        assert_eq!(count(&html, "<title"), 1 + marks);
    }
}

#[test]
fn many_categories_thin_their_labels_but_keep_every_bar() {
    let html = render(|| {
        let bars = (1..=30).map(|day| bar(&format!("{day} Nov"), day, None)).collect();
        view! { <BarChart title="Leads" x_label="Day" y_label="Leads" bars=bars /> }.into_any()
    });
    assert_eq!(count(&html, "class=\"chart-bar\""), 30);
    // Every 3rd label on a wide chart, every 4th on a narrower one, every 7th on a phone: the days
    // whose index is a multiple of one of them; only the first in all.
    assert_eq!(count(&html, " Nov</text>"), 17);
    assert_eq!(count(&html, "<text class=\"chart-tick\" x="), 1);
    assert!(
        text_attributes(&html, "8 Nov").starts_with("class=\"chart-tick chart-hide-xl chart-hide-l chart-hide-m\"")
    );
}

#[test]
fn stacked_bars_have_a_legend_a_tooltip_per_column_naming_its_parts_and_totals() {
    let html = render(|| {
        let categories = ["2 Nov", "3 Nov"]
            .map(|label| Category { label: label.into(), full_label: format!("Full {label}"), href: None })
            .to_vec();
        let series = vec![
            Series { name: "Lead".into(), class: "lead".into(), values: vec![3, 0] },
            Series { name: "AI".into(), class: "ai".into(), values: vec![5, 4] },
            Series { name: "Agent".into(), class: "agent".into(), values: vec![2] },
        ];
        view! {
            <StackedBarChart title="Messages" x_label="Day" y_label="Messages" categories=categories series=series />
        }
        .into_any()
    });
    assert!(html.contains("<ul class=\"chart-legend\">"));
    // No column is a link: the drawing is one image.
    assert!(html.contains("role=\"img\"") && !html.contains("role=\"group\""));
    for class in ["lead", "ai", "agent"] {
        assert!(
            html.contains(&format!("<span class=\"chart-swatch chart-s-{class}\" aria-hidden=\"true\">")),
            "{class}"
        );
    }
    // The chart's title and one per column, which names every part: the segments have none.
    assert_eq!(count(&html, "<title"), 1 + 2);
    assert!(html.contains("<title>Full 2 Nov: 10 in total (Lead 3, AI 5, Agent 2)</title>"));
    assert_eq!(count(&html, "class=\"chart-bar chart-seg chart-s-"), 3 + 1);
    assert!(html.contains("<title>Full 3 Nov: 4 in total (Lead 0, AI 4, Agent 0)</title>"));
    assert!(html.contains("Highest: 10 on Full 2 Nov. Total: Lead 3, AI 9, Agent 2."));
    assert!(html.contains("class=\"chart-num\">Total</th>"));
    let cells: String = [3, 5, 2, 10].map(|v| format!("<td class=\"chart-num\">{v}</td>")).concat();
    assert!(html.contains(&cells));
}

#[test]
fn funnel_rows_show_values_and_both_rates() {
    let html = render(|| {
        let steps = vec![
            FunnelStep {
                label: "Lead".into(),
                class: "lead".into(),
                value: 1240,
                step_rate: None,
                cumulative_rate: None,
                href: Some("/clients?status=lead".into()),
            },
            FunnelStep {
                label: "<b>Won</b>".into(),
                class: "won".into(),
                value: 384,
                step_rate: Some(0.62),
                cumulative_rate: Some(0.31),
                href: None,
            },
        ];
        view! { <Funnel title="Pipeline" note="Each step counts the leads that reached it" steps=steps /> }.into_any()
    });
    assert!(html.contains("<figcaption class=\"chart-title\">Pipeline</figcaption>"));
    assert!(html.contains("<p class=\"chart-note\">Each step counts the leads that reached it</p>"));
    assert_eq!(count(&html, "<li class=\"chart-funnel-step"), 2);
    assert!(html.contains("chart-funnel-step chart-s-won"));
    assert!(html.contains(">62% of previous · 31% of all</span>"));
    assert!(html.contains("<span class=\"chart-funnel-value\">1,240</span>"));
    assert!(html.contains("<a class=\"chart-funnel-link\" href=\"/clients?status=lead\">Lead</a>"));
    // The bar links there too, for the pointer: one stop for the keyboard.
    assert!(html.contains("<a href=\"/clients?status=lead\" tabindex=\"-1\">"));
    assert_eq!(count(&html, "<title"), 2);
    assert!(html.contains("<title>&lt;b&gt;Won&lt;/b&gt;: 384 (62% of previous · 31% of all)</title>"));
    assert!(html.contains("width=\"100.00%\"") && html.contains("width=\"30.96%\""));
    assert!(html.contains("<td class=\"chart-num\">1,240</td><td class=\"chart-num\">–</td>"));
    assert!(
        html.contains(
            "<td class=\"chart-num\">384</td><td class=\"chart-num\">62%</td><td class=\"chart-num\">31%</td>"
        )
    );
    assert!(!html.contains("<b>"));
}

#[test]
fn heatmap_shades_every_cell_with_a_tooltip() {
    let html = render(|| {
        let (row_labels, column_labels, values) = week_by_hour();
        let mut cell_titles = vec![vec![String::new(); 24]; 7];
        cell_titles[1][14] = "Tue 14:00–15:00: busy".into();
        view! {
            <Heatmap
                title="Messages by hour"
                row_labels=row_labels
                column_labels=column_labels
                values=values
                cell_titles=cell_titles
            />
        }
        .into_any()
    });
    assert!(html.contains("role=\"img\"") && html.contains("aria-labelledby=\"chart-messages-by-hour-title\""));
    assert_eq!(count(&html, "class=\"chart-cell "), 7 * 24);
    assert_eq!(count(&html, "<title"), 1 + 7 * 24);
    assert!(html.contains("<title>Tue 14:00–15:00: busy</title>"));
    assert!(html.contains("<title>Sun 03: 0</title>"));
    assert!(html.contains("chart-cell chart-heat-0") && html.contains("chart-cell chart-heat-5"));
    assert!(html.contains("<desc id=\"chart-messages-by-hour-desc\">Highest: "));
    // Hours: all 24 on a wide chart, every 2nd on a narrower one, every 3rd on a phone.
    assert_eq!(count(&html, "y=\"12\" text-anchor=\"middle\">"), 24);
    let shown_everywhere =
        (0..24).filter(|h| text_attributes(&html, &format!("{h:02}")).starts_with("class=\"chart-tick\" ")).count();
    assert_eq!(shown_everywhere, 4);
    assert!(text_attributes(&html, "01").starts_with("class=\"chart-tick chart-hide-m chart-hide-s\""));
    assert_eq!(count(&html, "text-anchor=\"end\">"), 7);
    assert_eq!(count(&html, "<th scope=\"row\">"), 7);
    assert_eq!(count(&html, "<td class=\"chart-num\">"), 7 * 24);
    assert!(html.contains(">Fewer") && html.contains("More</p>"));
}

#[test]
fn an_empty_heatmap_says_so() {
    let html = render(|| {
        let days = ["Mon", "Tue"].map(String::from).to_vec();
        let hours = ["00", "01"].map(String::from).to_vec();
        view! { <Heatmap title="Hours" row_labels=days column_labels=hours values=vec![] /> }.into_any()
    });
    assert!(html.contains("No data in this range"));
    assert_eq!(count(&html, "chart-cell chart-heat-0"), 4);
}

#[test]
fn rendering_is_deterministic() {
    let page = || render(|| demo_charts().into_any());
    assert_eq!(page(), page());
}

/// Writes /tmp/charts/demo-light.html and demo-dark.html: every chart with realistic data, in the
/// app's stylesheet, to look at in a browser or a headless screenshot.
#[test]
#[ignore]
fn write_demo() {
    let charts = render(|| demo_charts().into_any());
    std::fs::create_dir_all("/tmp/charts").unwrap();
    let css = concat!(env!("CARGO_MANIFEST_DIR"), "/style/main.css");
    for theme in ["light", "dark"] {
        let page = format!(
            "<!DOCTYPE html><html lang=\"en\" data-theme=\"{theme}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <link rel=\"stylesheet\" href=\"file://{css}\"><style>\
             .demo-grid {{ display: grid; gap: 1.5rem;\
             grid-template-columns: repeat(auto-fit, minmax(min(100%, 30rem), 1fr)); }}\
             .demo-wide {{ grid-column: 1 / -1; }}</style></head>\
             <body><main class=\"content\"><h1>Charts</h1><div class=\"demo-grid\">{charts}</div></main>\
             <script>document.querySelectorAll(\"a.chart-mark\")[4].focus()</script></body></html>"
        );
        std::fs::write(format!("/tmp/charts/demo-{theme}.html"), page).unwrap();
    }
}

fn demo_charts() -> impl IntoView {
    let start = NaiveDate::from_ymd_opt(2026, 10, 27).unwrap();
    let days: Vec<NaiveDate> = (0..30).map(|i| start.checked_add_days(Days::new(i)).unwrap()).collect();
    // A steady wobble, quieter at weekends: the same every run.
    let wobble = |i: u64, base: u64, spread: u64| {
        let weekend = matches!(days[i as usize].weekday().num_days_from_monday(), 5 | 6);
        let v = base + (i * 7 + i * i * 3) % spread;
        if weekend { v / 3 } else { v }
    };
    let short = |d: &NaiveDate| d.format("%-d %b").to_string();
    let full = |d: &NaiveDate| d.format("%a %-d %b %Y").to_string();

    let bars: Vec<Bar> = days
        .iter()
        .enumerate()
        .map(|(i, d)| Bar {
            label: short(d),
            full_label: full(d),
            value: wobble(i as u64, 4, 11),
            href: Some(format!("/clients?added={d}")),
        })
        .collect();
    let categories: Vec<Category> =
        days.iter().map(|d| Category { label: short(d), full_label: full(d), href: None }).collect();
    let series = vec![
        Series { name: "Leads".into(), class: "lead".into(), values: (0..30).map(|i| wobble(i, 20, 31)).collect() },
        Series { name: "AI".into(), class: "ai".into(), values: (0..30).map(|i| wobble(i, 14, 23)).collect() },
        Series { name: "Agents".into(), class: "agent".into(), values: (0..30).map(|i| wobble(i, 3, 9)).collect() },
    ];
    let weeks: Vec<Bar> = (0..8u64)
        .map(|w| {
            let monday = NaiveDate::from_ymd_opt(2026, 10, 5).unwrap().checked_add_days(Days::new(w * 7)).unwrap();
            Bar {
                label: short(&monday),
                full_label: format!("Week of {}", full(&monday)),
                value: [9, 14, 11, 17, 15, 21, 19, 24][w as usize],
                href: None,
            }
        })
        .collect();
    let stages = [
        ("Lead", "lead", 1240),
        ("Contacted", "contacted", 812),
        ("Qualified", "qualified", 430),
        ("Booked", "booked", 212),
        ("Won", "won", 96),
        ("Lost", "lost", 138),
    ];
    let steps: Vec<FunnelStep> = stages
        .iter()
        .enumerate()
        .map(|(i, &(label, class, value))| {
            let first = stages[0].2 as f64;
            let lost = class == "lost";
            FunnelStep {
                label: label.into(),
                class: class.into(),
                value,
                step_rate: (i > 0 && !lost).then(|| value as f64 / stages[i - 1].2 as f64),
                cumulative_rate: (i > 0).then(|| value as f64 / first),
                href: Some(format!("/clients?status={class}")),
            }
        })
        .collect();
    let (row_labels, column_labels, values) = week_by_hour();
    let no_data: Vec<Bar> = (0..14).map(|i| Bar { value: 0, href: None, ..bars[i].clone() }).collect();
    view! {
        <section class="card demo-wide">
            <BarChart title="New leads per day" x_label="Day" y_label="Leads" bars=bars />
        </section>
        <section class="card demo-wide">
            <StackedBarChart
                title="Messages per day"
                x_label="Day"
                y_label="Messages"
                categories=categories
                series=series
            />
        </section>
        <section class="card">
            <BarChart title="Bookings per week" x_label="Week" y_label="Bookings" bars=weeks />
        </section>
        <section class="card">
            <Funnel
                title="Pipeline"
                note="Each step counts the leads that reached this stage or a later one"
                steps=steps
            />
        </section>
        <section class="card demo-wide">
            <Heatmap title="Messages by hour" row_labels=row_labels column_labels=column_labels values=values />
        </section>
        <section class="card">
            <BarChart title="Bookings, last two weeks" x_label="Day" y_label="Bookings" bars=no_data />
        </section>
    }
}

/// Messages by weekday and hour: busy in working hours, quiet at night and at the weekend.
fn week_by_hour() -> (Vec<String>, Vec<String>, Vec<Vec<u64>>) {
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map(String::from).to_vec();
    let hours = (0..24).map(|h| format!("{h:02}")).collect();
    let values = (0..7u64)
        .map(|d| {
            (0..24u64)
                .map(|h| {
                    let day = if d >= 5 { 1 } else { 4 };
                    let hour = match h {
                        9..=11 | 14..=16 => 6,
                        8 | 12 | 13 | 17 => 4,
                        18..=21 => 2,
                        7 | 22 => 1,
                        _ => 0,
                    };
                    day * hour + (d * 5 + h * 3) % 4 * (hour > 0) as u64
                })
                .collect()
        })
        .collect();
    (days, hours, values)
}
