//! SeaORM entity of the `bookings` table. A booking outlives its client (`client_id` becomes null).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bookings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_id: i64,
    pub client_id: Option<i64>,
    pub booking_type: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub timezone: String,
    pub location: Option<String>,
    pub subject: Option<String>,
    pub notes: Option<String>,
    /// `pending`, `confirmed`, `cancelled`, `completed` or `no_show`.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
