//! An upload is stored a piece at a time while it arrives: its draft is marked `uploading` and
//! hidden until the file is complete and checked.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClientImports {
    Table,
    Uploading,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ClientImports::Table)
                    .add_column(ColumnDef::new(ClientImports::Uploading).boolean().not_null().default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(ClientImports::Table).drop_column(ClientImports::Uploading).to_owned())
            .await
    }
}
