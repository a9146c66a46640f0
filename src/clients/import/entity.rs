//! SeaORM entities of `client_imports`, `client_import_chunks` and `client_import_errors` (see the
//! client imports and import storage migrations).
pub mod import {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "client_imports")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub owner_id: i64,
        pub file_name: String,
        /// The stored file's size in bytes (its text is in `client_import_chunks` until it is imported).
        pub file_size: i64,
        /// `comma`, `semicolon` or `tab`: see `model::SEPARATORS`.
        pub separator: String,
        /// JSON array of the column names.
        pub header: String,
        pub row_count: i64,
        /// JSON array: the column of each field of `IMPORT_FIELDS`, or null.
        pub mapping: Option<String>,
        pub strategy_id: Option<i64>,
        pub duplicate_key: String,
        pub on_duplicate: String,
        /// A duplicate replaces the client's values instead of only filling its empty fields.
        pub replace_existing: bool,
        /// Comma-separated keys of fields a duplicate replaces one by one (see `model::REPLACEABLE`).
        pub replace_fields: String,
        pub status: String,
        /// A draft whose file is still being received: hidden until the upload completes.
        pub uploading: bool,
        pub processed: i64,
        pub created: i64,
        pub updated: i64,
        pub skipped: i64,
        pub failed: i64,
        pub error: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub finished_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The text of a stored file, in pieces of about [`super::service::CHUNK_BYTES`], in `seq` order.
pub mod chunk {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "client_import_chunks")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub import_id: i64,
        pub seq: i32,
        pub content: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod row_error {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "client_import_errors")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub import_id: i64,
        /// The line of the file where the row starts (the header is line 1).
        pub row_number: i64,
        pub message: String,
        /// JSON array of the row's cells, for the report.
        pub row_values: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
