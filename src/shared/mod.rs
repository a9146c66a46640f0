//! Isomorphic basics shared by the server and the WASM client.
pub mod error;
pub mod search;

pub use error::AppError;
