//! The inbox's "active from / to" filter tests a conversation for activity in a range of quarter
//! hours. With `conversation_activity` indexed by client and quarter hour (in place of the client
//! alone, which still serves the cascade from `clients`), that test is one probe of the index, not
//! a read of every quarter hour the conversation was ever active in.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX conversation_activity_client_bucket_idx ON conversation_activity (client_id, bucket)",
        )
        .await?;
        db.execute_unprepared("DROP INDEX conversation_activity_client_idx").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE INDEX conversation_activity_client_idx ON conversation_activity (client_id)")
            .await?;
        db.execute_unprepared("DROP INDEX conversation_activity_client_bucket_idx").await?;
        Ok(())
    }
}
