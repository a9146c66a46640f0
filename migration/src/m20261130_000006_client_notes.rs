//! The client page's notes become a log: each note is a row with its author and time, added and
//! never written over. `clients.notes` stays as the text given when the client was added (by hand
//! or by an import, which only ever appends to it); the page shows it as the log's first entry.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000001_initial_schema::{Clients, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClientNotes {
    Table,
    Id,
    ClientId,
    AuthorId,
    Body,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One connection for every statement: on SQLite another pooled connection may still hold the
    /// schema from before a previous statement (seen as "duplicate column name").
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ClientNotes::Table)
                    .col(big_pk_auto(ClientNotes::Id))
                    .col(big_integer(ClientNotes::ClientId))
                    .col(big_integer_null(ClientNotes::AuthorId))
                    .col(text(ClientNotes::Body))
                    .col(timestamp_with_time_zone(ClientNotes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("client_notes_client_fk")
                            .from(ClientNotes::Table, ClientNotes::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    // A note outlives its author's account, as the audit log does.
                    .foreign_key(
                        ForeignKey::create()
                            .name("client_notes_author_fk")
                            .from(ClientNotes::Table, ClientNotes::AuthorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The page and the export read a client's notes newest first, by keyset.
        manager
            .create_index(
                Index::create()
                    .name("client_notes_client_idx")
                    .table(ClientNotes::Table)
                    .col(ClientNotes::ClientId)
                    .col(ClientNotes::CreatedAt)
                    .col(ClientNotes::Id)
                    .to_owned(),
            )
            .await
    }

    /// Folds the log back into `clients.notes`, oldest note first, before the table goes.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let fold = match manager.get_database_backend() {
            sea_orm_migration::sea_orm::DatabaseBackend::Postgres => {
                "UPDATE clients SET notes = concat_ws(E'\\n\\n', notes, (SELECT string_agg(n.body, E'\\n\\n' \
                 ORDER BY n.created_at, n.id) FROM client_notes n WHERE n.client_id = clients.id)) \
                 WHERE id IN (SELECT client_id FROM client_notes)"
            }
            _ => {
                "UPDATE clients SET notes = ltrim(COALESCE(notes, '') || char(10) || char(10) || (SELECT \
                 group_concat(body, char(10) || char(10)) FROM (SELECT n.body FROM client_notes n \
                 WHERE n.client_id = clients.id ORDER BY n.created_at, n.id)), char(10)) \
                 WHERE id IN (SELECT client_id FROM client_notes)"
            }
        };
        manager.get_connection().execute_unprepared(fold).await?;
        manager.drop_table(Table::drop().table(ClientNotes::Table).to_owned()).await
    }
}
