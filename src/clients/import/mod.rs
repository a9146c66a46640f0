//! CSV import of clients: upload and check a file, map its columns, preview, then run it as a
//! background job with progress and a downloadable report of the rows it could not import.
pub mod api;
pub mod model;
pub mod page;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod parse;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod storage;
#[cfg(feature = "ssr")]
pub mod stream;
