//! The admin's view of accounts: one row per user, and a page of them.
use serde::{Deserialize, Serialize};

use super::model::Role;

pub const USERS_PER_PAGE: u64 = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    /// "2026-11-24", for display.
    pub created_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserList {
    pub rows: Vec<UserRow>,
    /// Matching users, across all pages.
    pub total: u64,
    /// 1-based.
    pub page: u64,
    pub pages: u64,
    /// The admin looking at the list (their own row offers no actions).
    pub viewer_id: i64,
}
