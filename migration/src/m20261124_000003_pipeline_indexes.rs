//! The pipeline board shows, per stage, the clients with the most recent activity: an index on
//! `(status, last_activity_at, id)`, per owner and global, makes each column one short range scan
//! even for a stage with no clients (the activity index alone would read every client to find none).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: &[(&str, &[&str])] = &[
    ("clients_owner_status_activity_idx", &["owner_id", "status", "last_activity_at", "id"]),
    ("clients_status_activity_idx", &["status", "last_activity_at", "id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, columns) in INDEXES {
            let mut index = Index::create().name(*name).table(Alias::new("clients")).to_owned();
            for column in *columns {
                index.col(Alias::new(*column));
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager.drop_index(Index::drop().name(*name).table(Alias::new("clients")).to_owned()).await?;
        }
        Ok(())
    }
}
