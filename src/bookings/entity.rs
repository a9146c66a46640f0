//! SeaORM entity of the `bookings` table. A booking outlives its client (`client_id` becomes null).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bookings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_id: i64,
    pub client_id: Option<i64>,
    /// The type's name when it was booked (older rows: a free word such as "call").
    pub booking_type: String,
    pub booking_type_id: Option<i64>,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// The meeting with the type's buffers before and after: what no other active booking of the
    /// owner may overlap (enforced by the database).
    pub blocked_from: DateTimeUtc,
    pub blocked_until: DateTimeUtc,
    /// The zone of whoever booked it, in which its times are told to them.
    pub timezone: String,
    pub location: Option<String>,
    pub subject: Option<String>,
    pub notes: Option<String>,
    /// `pending`, `confirmed`, `cancelled`, `completed` or `no_show`.
    pub status: String,
    pub cancel_reason: Option<String>,
    pub manage_token: Option<String>,
    pub ical_uid: Option<String>,
    pub sequence: i32,
    /// Who booked on the public page, as they typed it (the matched client may change later).
    pub guest_name: Option<String>,
    pub guest_email: Option<String>,
    pub guest_phone: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
