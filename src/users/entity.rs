//! SeaORM entity of the `users` table (server only; never crosses the wire).
use sea_orm::{Set, entity::prelude::*};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub company: Option<String>,
    pub budget: Option<String>,
    pub timezone: String,
    pub booking_enabled: bool,
    pub working_hours: Option<Json>,
    pub ghl_calendar_id: Option<String>,
    pub ghl_location_id: Option<String>,
    pub ghl_assigned_user_id: Option<String>,
    pub is_active: bool,
    /// The account's public booking page is `/book/{booking_slug}`.
    pub booking_slug: Option<String>,
    /// The secret of the account's calendar feed URL.
    pub calendar_feed_token: Option<String>,
    /// The strategy new clients of this user get unless another is chosen.
    pub default_strategy_id: Option<i64>,
    /// The websites that may frame the public chat: normalised origins, one per line.
    pub embed_origins: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl ActiveModel {
    /// A new active account with the defaults every account starts with.
    pub fn new_account(email: String, name: String, password_hash: String, role: &str) -> Self {
        let now = chrono::Utc::now();
        ActiveModel {
            email: Set(email),
            name: Set(name),
            password_hash: Set(password_hash),
            role: Set(role.to_owned()),
            timezone: Set("UTC".to_owned()),
            booking_enabled: Set(false),
            embed_origins: Set(String::new()),
            is_active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
    }
}

pub const ROLE_ADMIN: &str = "admin";
pub const ROLE_USER: &str = "user";
