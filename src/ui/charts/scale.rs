//! Pure helpers for the charts: axis ticks, number formats, positions and label thinning.
//!
//! Positions are computed and written with integer arithmetic only, so the server and the WASM
//! client produce the very same attribute strings (hydration compares nothing, but a client-side
//! render must draw the same chart).

/// The y axis' ticks for data up to `max`: from 0 in steps of 1, 2 or 5 × 10ⁿ, at most five ticks,
/// the last one at or above `max`. All-zero data still gets an axis: `[0, 1]`.
pub fn nice_ticks(max: u64) -> Vec<u64> {
    let mut magnitude: u64 = 1;
    loop {
        for factor in [1, 2, 5] {
            let step = magnitude.saturating_mul(factor);
            let intervals = max.div_ceil(step).max(1);
            if intervals <= 4 {
                return (0..=intervals).map(|i| i.saturating_mul(step)).collect();
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

/// A count for a tick label, short: `950`, `1.5k`, `12k`, `2.5M`.
pub fn compact(value: u64) -> String {
    let (unit, suffix) = match value {
        0..1_000 => return value.to_string(),
        1_000..1_000_000 => (1_000, "k"),
        1_000_000..1_000_000_000 => (1_000_000, "M"),
        _ => (1_000_000_000, "B"),
    };
    let whole = value / unit;
    let tenth = value % unit * 10 / unit;
    if tenth == 0 || whole >= 100 { format!("{whole}{suffix}") } else { format!("{whole}.{tenth}{suffix}") }
}

/// `part / whole` of 100 %, as an SVG length with two decimals: `12.50%`.
pub fn percent(part: u64, whole: u64) -> String {
    pct(if whole == 0 { 0 } else { (part.min(whole) as u128 * 10_000 / whole as u128) as u64 })
}

/// A length in hundredths of a percent, as an SVG length: `12.50%`.
pub fn pct(hundredths: u64) -> String {
    format!("{}.{:02}%", hundredths / 100, hundredths % 100)
}

/// A length in tenths of a pixel, written as pixels: `183.4`.
pub fn tenths(value: u64) -> String {
    format!("{}.{}", value / 10, value % 10)
}

/// `value` of `height` pixels scaled by `value / top`, in tenths of a pixel.
pub fn scaled_tenths(value: u64, top: u64, height: u64) -> u64 {
    if top == 0 { 0 } else { (value.min(top) as u128 * height as u128 * 10 / top as u128) as u64 }
}

/// A rate of 0..1 as a whole percentage: `62%`, and `<1%` for a small rate that is not zero.
pub fn rate(rate: f64) -> String {
    let rate = if rate.is_finite() { rate.max(0.0) } else { 0.0 };
    let whole = (rate * 100.0).round() as u64;
    if whole == 0 && rate > 0.0 { "<1%".to_string() } else { format!("{whole}%") }
}

/// Every how many categories an axis label fits, when `count` labels of up to `chars` characters
/// share `width` pixels (at the charts' 12px label size, with room between neighbours).
pub fn label_step(count: usize, chars: usize, width: usize) -> usize {
    let label = chars * 7 + 6;
    (count * label).div_ceil(width.max(1)).max(1)
}

/// The chart widths the label thinning plans for: each a range of widths (the `@container` rules
/// of the Charts section in style/main.css) with the class that hides a label there, and the
/// narrowest plot in the range in pixels (the range's lower bound less the y axis' gutter; the
/// last is a 360px phone's).
const TIERS: [(&str, usize); 4] =
    [(" chart-hide-xl", 648), (" chart-hide-l", 488), (" chart-hide-m", 360), (" chart-hide-s", 220)];

/// Every how many of `count` labels of up to `chars` characters one is shown, in each tier.
pub fn label_steps(count: usize, chars: usize) -> [usize; 4] {
    TIERS.map(|(_, width)| label_step(count, chars, width))
}

/// The class of the `index`-th axis label: hidden in the tiers whose step skips it, and `None`
/// when no tier shows it.
pub fn label_class(index: usize, steps: &[usize; 4]) -> Option<String> {
    let mut class = String::from("chart-tick");
    let mut shown = false;
    for ((hide, _), &step) in TIERS.iter().zip(steps) {
        if index.is_multiple_of(step) {
            shown = true;
        } else {
            class.push_str(hide);
        }
    }
    shown.then_some(class)
}

/// An id prefix for a chart's `<title>` and `<desc>`, from its title: the same on the server and
/// in the browser. Titles of the charts on one page must differ.
pub fn chart_id(title: &str) -> String {
    let mut id = String::from("chart");
    let mut gap = true;
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            if gap {
                id.push('-');
            }
            id.push(c);
            gap = false;
        } else {
            gap = true;
        }
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_use_round_steps_from_zero() {
        assert_eq!(nice_ticks(0), [0, 1]);
        assert_eq!(nice_ticks(1), [0, 1]);
        assert_eq!(nice_ticks(3), [0, 1, 2, 3]);
        assert_eq!(nice_ticks(7), [0, 2, 4, 6, 8]);
        assert_eq!(nice_ticks(10), [0, 5, 10]);
        assert_eq!(nice_ticks(12), [0, 5, 10, 15]);
        assert_eq!(nice_ticks(20), [0, 5, 10, 15, 20]);
        assert_eq!(nice_ticks(99), [0, 50, 100]);
        assert_eq!(nice_ticks(1234), [0, 500, 1000, 1500]);
    }

    #[test]
    fn nice_ticks_always_cover_the_maximum_in_two_to_five_ticks() {
        for max in (0..5_000).chain([u64::MAX / 3, u64::MAX]) {
            let ticks = nice_ticks(max);
            assert!((2..=5).contains(&ticks.len()), "{max}: {ticks:?}");
            assert_eq!(ticks[0], 0);
            assert!(*ticks.last().unwrap() >= max || max > u64::MAX / 2, "{max}: {ticks:?}");
            if max >= 2 {
                assert!(ticks.len() >= 3, "{max}: {ticks:?}");
            }
        }
    }

    #[test]
    fn numbers_read_short_on_axes_and_in_full_elsewhere() {
        assert_eq!(compact(950), "950");
        assert_eq!(compact(1_500), "1.5k");
        assert_eq!(compact(12_000), "12k");
        assert_eq!(compact(250_000), "250k");
        assert_eq!(compact(2_500_000), "2.5M");
    }

    #[test]
    fn lengths_and_rates_have_fixed_precision() {
        assert_eq!(percent(1, 8), "12.50%");
        assert_eq!(percent(1, 3), "33.33%");
        assert_eq!(percent(5, 0), "0.00%");
        assert_eq!(tenths(1834), "183.4");
        assert_eq!(scaled_tenths(5, 10, 164), 820);
        assert_eq!(scaled_tenths(20, 10, 164), 1640);
        assert_eq!(rate(0.625), "63%");
        assert_eq!(rate(0.001), "<1%");
        assert_eq!(rate(0.0), "0%");
        assert_eq!(rate(f64::NAN), "0%");
    }

    #[test]
    fn labels_thin_out_so_they_never_overlap() {
        // 30 days of "30 Nov": every 3rd day on a wide chart, every 7th on a phone.
        let steps = label_steps(30, 6);
        assert_eq!(steps, [3, 3, 4, 7]);
        assert_eq!(label_class(0, &steps).as_deref(), Some("chart-tick"));
        assert_eq!(label_class(3, &steps).as_deref(), Some("chart-tick chart-hide-m chart-hide-s"));
        assert_eq!(label_class(7, &steps).as_deref(), Some("chart-tick chart-hide-xl chart-hide-l chart-hide-m"));
        assert_eq!(label_class(5, &steps), None);
        // 8 weeks: all but on the narrowest; 24 hours: all on a wide chart, every 3rd on a phone.
        assert_eq!(label_steps(8, 6), [1, 1, 2, 2]);
        assert_eq!(label_steps(24, 2), [1, 1, 2, 3]);
    }

    #[test]
    fn chart_ids_are_slugs_of_the_title() {
        assert_eq!(chart_id("New leads per day"), "chart-new-leads-per-day");
        assert_eq!(chart_id("  Messages: AI & agent "), "chart-messages-ai-agent");
        assert_eq!(chart_id("<b>x</b>"), "chart-b-x-b");
        assert_eq!(chart_id(""), "chart");
    }
}
