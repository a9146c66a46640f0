//! Building blocks every page shares: form feedback, page headers, pagination.
pub mod charts;
pub mod command_palette;
pub mod form_flash;
pub mod forms;
pub mod icon;
pub mod live;
pub mod page;
pub mod theme;
pub mod toast;
pub mod url;
