//! Charts drawn on the server as SVG and HTML: readable before hydration and without JavaScript,
//! coloured by the design tokens of style/main.css (the "Charts" section), each with a caption,
//! tooltips on its marks and its numbers as a table.
//!
//! They are static: built once from their props (plain data, such as a server function's answer),
//! no signals; each writes its markup as one string (markup.rs). Every position is computed in
//! integers, so the browser draws what the server drew. Widths are percentages and heights pixels:
//! a chart fills any width with its text at its size.
mod bar;
mod columns;
mod frame;
mod funnel;
mod heatmap;
mod markup;
pub mod scale;
mod stacked;
mod tips;

pub use bar::{Bar, BarChart};
pub use funnel::{Funnel, FunnelStep};
pub use heatmap::Heatmap;
pub use scale::nice_ticks;
pub use stacked::{Category, Series, StackedBarChart};
pub use tips::ChartTips;

#[cfg(all(test, feature = "ssr"))]
mod tests;
