//! Every schema change of the CRM, in order. Runs at server start-up and through the `migration` CLI.
pub use sea_orm_migration::prelude::*;

mod covering_index;

mod m20261123_000001_initial_schema;
mod m20261124_000001_client_sort_and_search;
mod m20261124_000003_pipeline_indexes;
mod m20261125_000001_client_imports;
mod m20261126_000001_client_counts;
mod m20261126_000002_owner_search_index;
mod m20261130_000001_first_account;
mod m20261130_000002_import_storage;
mod m20261130_000003_booking_foundation;
mod m20261130_000005_client_worked_at;
mod m20261130_000006_client_notes;
mod m20261130_000007_default_and_shared_strategies;
mod m20261130_000008_public_booking;
mod m20261130_000020_import_uploads;
mod m20261130_000025_deleted_booking_types;
mod m20261201_000001_conversations;
mod m20261201_000002_lead_chat_tokens;
mod m20261201_000003_embed_origins;
mod m20261201_000004_keyed_jobs;
mod m20261201_000005_ai_replies;
mod m20261201_000006_inbox_ai_mode_indexes;
mod m20261201_000007_ai_takeover;
mod m20261202_000008_message_idempotency;
mod m20261202_000009_followups;
mod m20261203_000010_dashboard;
mod m20261204_000011_dashboard_rollups;
mod m20261205_000012_ai_decisions;
mod m20261206_000013_dashboard_covering_indexes;
mod m20261207_000014_hourly_message_rollups;
mod m20261208_000015_booking_status_indexes;
mod m20261209_000016_conversation_activity_by_client;
mod m20261210_000017_booking_made_indexes;
mod m20261211_000018_conversation_activity_previous;
mod m20261212_000019_everyone_rollups;
mod m20261213_000020_conversation_activity_hourly;
mod m20261214_000021_client_rollups_by_owner;
mod m20261215_000022_client_counts_in_key_order;

pub use m20261123_000001_initial_schema::{BOOKING_STATUSES, CLIENT_SEARCH_EXPRESSION, CLIENT_STATUSES, MESSAGE_ROLES};
pub use m20261201_000001_conversations::{AI_MODES, CONVERSATION_STATES, DELIVERY_STATES};
pub use m20261203_000010_dashboard::backfill as backfill_speed_to_lead;
pub use m20261213_000020_conversation_activity_hourly::LONG_LINK as LONG_ACTIVITY_LINK;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_initial_schema::Migration),
            Box::new(m20261124_000001_client_sort_and_search::Migration),
            Box::new(m20261124_000003_pipeline_indexes::Migration),
            Box::new(m20261125_000001_client_imports::Migration),
            Box::new(m20261126_000001_client_counts::Migration),
            Box::new(m20261126_000002_owner_search_index::Migration),
            Box::new(m20261130_000001_first_account::Migration),
            Box::new(m20261130_000002_import_storage::Migration),
            Box::new(m20261130_000003_booking_foundation::Migration),
            Box::new(m20261130_000005_client_worked_at::Migration),
            Box::new(m20261130_000006_client_notes::Migration),
            Box::new(m20261130_000007_default_and_shared_strategies::Migration),
            Box::new(m20261130_000008_public_booking::Migration),
            Box::new(m20261130_000020_import_uploads::Migration),
            Box::new(m20261130_000025_deleted_booking_types::Migration),
            Box::new(m20261201_000001_conversations::Migration),
            Box::new(m20261201_000002_lead_chat_tokens::Migration),
            Box::new(m20261201_000003_embed_origins::Migration),
            Box::new(m20261201_000004_keyed_jobs::Migration),
            Box::new(m20261201_000005_ai_replies::Migration),
            Box::new(m20261201_000006_inbox_ai_mode_indexes::Migration),
            Box::new(m20261201_000007_ai_takeover::Migration),
            Box::new(m20261202_000008_message_idempotency::Migration),
            Box::new(m20261202_000009_followups::Migration),
            Box::new(m20261203_000010_dashboard::Migration),
            Box::new(m20261204_000011_dashboard_rollups::Migration),
            Box::new(m20261205_000012_ai_decisions::Migration),
            Box::new(m20261206_000013_dashboard_covering_indexes::Migration),
            Box::new(m20261207_000014_hourly_message_rollups::Migration),
            Box::new(m20261208_000015_booking_status_indexes::Migration),
            Box::new(m20261209_000016_conversation_activity_by_client::Migration),
            Box::new(m20261210_000017_booking_made_indexes::Migration),
            Box::new(m20261211_000018_conversation_activity_previous::Migration),
            Box::new(m20261212_000019_everyone_rollups::Migration),
            Box::new(m20261213_000020_conversation_activity_hourly::Migration),
            Box::new(m20261214_000021_client_rollups_by_owner::Migration),
            Box::new(m20261215_000022_client_counts_in_key_order::Migration),
        ]
    }
}

/// The database the app uses when `DATABASE_URL` is not set: a SQLite file under `data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/crm.db?mode=rwc";
