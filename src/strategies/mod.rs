//! Strategies: the AI sales personas that talk to leads, and the system prompt each one yields.
pub mod model;
pub mod prompt;
