//! SeaORM entity of `availability_windows`: weekly hours in the user's zone.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "availability_windows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// 0 = Monday ... 6 = Sunday.
    pub weekday: i16,
    pub start_minute: i32,
    pub end_minute: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
