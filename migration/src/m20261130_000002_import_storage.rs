//! Imports that cannot exhaust the server, and that say what they did to existing clients.
//!
//! - The uploaded file moves out of `client_imports` into `client_import_chunks` (pieces of about
//!   a megabyte, in order), so that reading an import's status and counters never reads its file,
//!   and writing or reading the file never needs it in one bound value. The file's size in bytes
//!   stays on the import (`file_size`), for the per-user quota and the import history.
//! - `separator`: the column separator the file was read with (`comma`, `semicolon` or `tab`).
//! - `replace_existing`: whether a duplicate row replaces an existing client's values, or (the
//!   default) only fills its empty fields; `replace_fields` names fields replaced one by one
//!   (comma-separated keys) when not all are.
//! - `client_imports_status_created_idx` serves the sweep of expired drafts.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClientImports {
    Table,
    Id,
    Content,
    Separator,
    ReplaceExisting,
    ReplaceFields,
    FileSize,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ClientImportChunks {
    Table,
    Id,
    ImportId,
    Seq,
    Content,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ClientImportChunks::Table)
                    .col(big_pk_auto(ClientImportChunks::Id))
                    .col(big_integer(ClientImportChunks::ImportId))
                    .col(integer(ClientImportChunks::Seq))
                    .col(text(ClientImportChunks::Content))
                    .foreign_key(
                        ForeignKey::create()
                            .name("client_import_chunks_import_fk")
                            .from(ClientImportChunks::Table, ClientImportChunks::ImportId)
                            .to(ClientImports::Table, ClientImports::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("client_import_chunks_import_seq_key")
                    .table(ClientImportChunks::Table)
                    .col(ClientImportChunks::ImportId)
                    .col(ClientImportChunks::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for column in [
            ColumnDef::new(ClientImports::Separator).string_len(16).not_null().default("comma").to_owned(),
            ColumnDef::new(ClientImports::ReplaceExisting).boolean().not_null().default(false).to_owned(),
            ColumnDef::new(ClientImports::ReplaceFields).string_len(128).not_null().default("").to_owned(),
            ColumnDef::new(ClientImports::FileSize).big_integer().not_null().default(0).to_owned(),
        ] {
            manager.alter_table(Table::alter().table(ClientImports::Table).add_column(column).to_owned()).await?;
        }
        let db = manager.get_connection();
        // Files of imports that have not finished move to the new table as one piece each.
        db.execute_unprepared(
            "INSERT INTO client_import_chunks (import_id, seq, content) \
             SELECT id, 0, content FROM client_imports WHERE content <> ''",
        )
        .await?;
        db.execute_unprepared(match manager.get_database_backend() {
            sea_orm_migration::sea_orm::DatabaseBackend::Postgres => {
                "UPDATE client_imports SET file_size = octet_length(content)"
            }
            _ => "UPDATE client_imports SET file_size = length(CAST(content AS BLOB))",
        })
        .await?;
        manager
            .alter_table(Table::alter().table(ClientImports::Table).drop_column(ClientImports::Content).to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("client_imports_status_created_idx")
                    .table(ClientImports::Table)
                    .col(ClientImports::Status)
                    .col(ClientImports::CreatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("client_imports_status_created_idx").table(ClientImports::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ClientImports::Table)
                    .add_column(ColumnDef::new(ClientImports::Content).text().not_null().default(""))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // Back in one piece (string_agg / group_concat keep the order of the ordered subquery).
        let gather = match manager.get_database_backend() {
            sea_orm_migration::sea_orm::DatabaseBackend::Postgres => {
                "UPDATE client_imports SET content = COALESCE((SELECT string_agg(c.content, '' ORDER BY c.seq) \
                 FROM client_import_chunks c WHERE c.import_id = client_imports.id), '')"
            }
            _ => {
                "UPDATE client_imports SET content = COALESCE((SELECT group_concat(content, '') FROM \
                 (SELECT content FROM client_import_chunks c WHERE c.import_id = client_imports.id ORDER BY c.seq)), '')"
            }
        };
        db.execute_unprepared(gather).await?;
        for column in [
            ClientImports::FileSize,
            ClientImports::ReplaceFields,
            ClientImports::ReplaceExisting,
            ClientImports::Separator,
        ] {
            manager.alter_table(Table::alter().table(ClientImports::Table).drop_column(column).to_owned()).await?;
        }
        manager.drop_table(Table::drop().table(ClientImportChunks::Table).to_owned()).await?;
        Ok(())
    }
}
