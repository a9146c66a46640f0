//! The charts' markup written straight into a string, which a chart then sets as its figure's
//! inner HTML.
//!
//! A chart is static (its props in, markup out), so nothing in it needs a reactive view. The
//! dashboard spent half of its time rendering its 1,900 elements, 1,600 of them the charts', as
//! erased views; as strings the charts are 11% of a page that is served 65% faster
//! (docs/performance.md). The client hydrates nothing inside a chart, and the browser's parser
//! puts every element in its namespace (SVG inside `<svg>`). Every text and attribute value goes
//! through [`Esc`].
use std::fmt;

/// Writes into a `String`, which cannot fail.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = write!($out, $($arg)*);
    }};
}
pub(super) use w;

/// Text or an attribute value, escaped for both places (`ui::forms::escape_html`'s entities).
pub(super) struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::ui::forms::write_escaped_html(f, self.0)
    }
}
