//! Isomorphic basics shared by the server and the WASM client.
pub mod error;

pub use error::AppError;
