//! CSV imports of clients: the uploaded file and its settings (`client_imports`), and the rows it
//! could not import (`client_import_errors`), for the downloadable error report.
//!
//! The file is kept as text (it was checked to be UTF-8 before it was stored), the header and
//! the mapping as JSON text, so both databases store them the same way. `processed` is how many
//! data rows the import has gone through: it moves in the transaction that writes those rows, so
//! an import that stops halfway resumes after its last committed batch.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000001_initial_schema::{Strategies, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClientImports {
    Table,
    Id,
    OwnerId,
    FileName,
    Content,
    Header,
    RowCount,
    Mapping,
    StrategyId,
    DuplicateKey,
    OnDuplicate,
    Status,
    Processed,
    Created,
    Updated,
    Skipped,
    Failed,
    Error,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum ClientImportErrors {
    Table,
    Id,
    ImportId,
    RowNumber,
    Message,
    RowValues,
}

fn check(column: &str, values: &[&str]) -> Expr {
    let list = values.iter().map(|value| format!("'{value}'")).collect::<Vec<_>>().join(", ");
    Expr::cust(format!("{column} IN ({list})"))
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
                    .table(ClientImports::Table)
                    .col(big_pk_auto(ClientImports::Id))
                    .col(big_integer(ClientImports::OwnerId))
                    .col(string_len(ClientImports::FileName, 255))
                    .col(text(ClientImports::Content))
                    .col(text(ClientImports::Header))
                    .col(big_integer(ClientImports::RowCount))
                    .col(text_null(ClientImports::Mapping))
                    .col(big_integer_null(ClientImports::StrategyId))
                    .col(string_len(ClientImports::DuplicateKey, 16).default("none"))
                    .col(string_len(ClientImports::OnDuplicate, 8).default("skip"))
                    .col(string_len(ClientImports::Status, 16).default("draft"))
                    .col(big_integer(ClientImports::Processed).default(0))
                    .col(big_integer(ClientImports::Created).default(0))
                    .col(big_integer(ClientImports::Updated).default(0))
                    .col(big_integer(ClientImports::Skipped).default(0))
                    .col(big_integer(ClientImports::Failed).default(0))
                    .col(text_null(ClientImports::Error))
                    .col(timestamp_with_time_zone(ClientImports::CreatedAt).default(Expr::current_timestamp()))
                    .col(timestamp_with_time_zone(ClientImports::UpdatedAt).default(Expr::current_timestamp()))
                    .col(timestamp_with_time_zone_null(ClientImports::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("client_imports_owner_fk")
                            .from(ClientImports::Table, ClientImports::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    // The strategy only seeds new rows: deleting it later must not be blocked.
                    .foreign_key(
                        ForeignKey::create()
                            .name("client_imports_strategy_fk")
                            .from(ClientImports::Table, ClientImports::StrategyId)
                            .to(Strategies::Table, Strategies::Id)
                            .on_delete(ForeignKeyAction::SetNull)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .check((
                        "client_imports_status_check",
                        check("status", &["draft", "queued", "running", "done", "failed"]),
                    ))
                    .check((
                        "client_imports_duplicate_key_check",
                        check("duplicate_key", &["none", "email", "phone", "external_id"]),
                    ))
                    .check(("client_imports_on_duplicate_check", check("on_duplicate", &["skip", "update"])))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("client_imports_owner_idx")
                    .table(ClientImports::Table)
                    .col(ClientImports::OwnerId)
                    .col(ClientImports::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClientImportErrors::Table)
                    .col(big_pk_auto(ClientImportErrors::Id))
                    .col(big_integer(ClientImportErrors::ImportId))
                    .col(big_integer(ClientImportErrors::RowNumber))
                    .col(text(ClientImportErrors::Message))
                    .col(text(ClientImportErrors::RowValues))
                    .foreign_key(
                        ForeignKey::create()
                            .name("client_import_errors_import_fk")
                            .from(ClientImportErrors::Table, ClientImportErrors::ImportId)
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
                    .name("client_import_errors_import_idx")
                    .table(ClientImportErrors::Table)
                    .col(ClientImportErrors::ImportId)
                    .col(ClientImportErrors::RowNumber)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ClientImportErrors::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ClientImports::Table).to_owned()).await?;
        Ok(())
    }
}
