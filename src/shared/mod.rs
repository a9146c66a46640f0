//! Isomorphic basics shared by the server and the WASM client.
pub mod error;
pub mod numbers;
#[cfg(feature = "ssr")]
pub mod origins;
pub mod search;

pub use error::AppError;
