//! Building blocks every page shares: form feedback, page headers, pagination.
pub mod forms;
pub mod page;
pub mod url;
