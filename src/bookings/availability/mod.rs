//! When a user can be booked: weekly windows and date overrides in their zone, and free slots.
pub mod override_entity;
pub mod service;
pub mod slots;
pub mod window_entity;
