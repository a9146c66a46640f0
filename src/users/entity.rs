//! SeaORM entity of the `users` table (server only; never crosses the wire).
use sea_orm::entity::prelude::*;

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
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub const ROLE_ADMIN: &str = "admin";
pub const ROLE_USER: &str = "user";
