//! SeaORM entity of the `booking_types` table.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "booking_types")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_id: i64,
    pub name: String,
    pub slug: String,
    pub duration_min: i32,
    pub slot_interval_min: i32,
    pub buffer_before_min: i32,
    pub buffer_after_min: i32,
    pub min_notice_min: i32,
    pub rolling_days: i32,
    pub max_per_day: Option<i32>,
    /// `phone`, `video`, `address` or `text`.
    pub location_kind: String,
    pub location_value: Option<String>,
    pub description: Option<String>,
    pub active: bool,
    /// Set when the owner deleted the type: it is kept (switched off) for the bookings made with it.
    pub deleted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
