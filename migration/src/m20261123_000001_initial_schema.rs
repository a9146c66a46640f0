//! The whole data model of ARCHITECTURE.md: users, strategies, clients, messages, bookings,
//! webhook events, jobs, audit log and sessions. One definition serves SQLite and PostgreSQL;
//! the few PostgreSQL-only extras (trigram search) are added at the end.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    Role,
    Company,
    Budget,
    Timezone,
    BookingEnabled,
    WorkingHours,
    GhlCalendarId,
    GhlLocationId,
    GhlAssignedUserId,
    IsActive,
}

#[derive(DeriveIden)]
pub enum Strategies {
    Table,
    Id,
    OwnerId,
    Name,
    Tag,
    Tone,
    AiInstructions,
    Objective,
    ObjectionHandling,
    QualificationPriority,
    DisqualificationCriteria,
    Creativity,
    ExampleConversation,
    ReplyDelayMin,
    ReplyDelayMax,
}

#[derive(DeriveIden)]
pub enum Clients {
    Table,
    Id,
    OwnerId,
    StrategyId,
    Name,
    Email,
    Phone,
    Company,
    Position,
    ExternalId,
    Status,
    Notes,
    LastMessage,
    LastMessageAt,
}

#[derive(DeriveIden)]
pub enum Messages {
    Table,
    Id,
    ClientId,
    Role,
    Body,
    Channel,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Bookings {
    Table,
    Id,
    OwnerId,
    ClientId,
    BookingType,
    StartsAt,
    EndsAt,
    Timezone,
    Location,
    Subject,
    Notes,
    Status,
}

#[derive(DeriveIden)]
pub enum WebhookEvents {
    Table,
    Id,
    Source,
    ExternalId,
    EventType,
    Payload,
    Status,
    Error,
    ReceivedAt,
    ProcessedAt,
}

#[derive(DeriveIden)]
pub enum Jobs {
    Table,
    Id,
    Queue,
    Payload,
    Attempts,
    MaxAttempts,
    RunAtMs,
    LockedUntilMs,
    LockedBy,
    LastError,
    CreatedAtMs,
}

#[derive(DeriveIden)]
pub enum AuditLog {
    Table,
    Id,
    ActorId,
    Entity,
    EntityId,
    Action,
    Changes,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Sessions {
    Table,
    Id,
    UserId,
    Data,
    ExpiresAtMs,
}

/// Statuses a client moves through in the pipeline. Kept in one place so the CHECK and the app agree.
pub const CLIENT_STATUSES: &[&str] = &["lead", "contacted", "qualified", "booked", "won", "lost"];
pub const BOOKING_STATUSES: &[&str] = &["pending", "confirmed", "cancelled", "completed", "no_show"];
pub const MESSAGE_ROLES: &[&str] = &["client", "ai", "agent", "system"];

fn one_of(column: &str, values: &[&str]) -> Expr {
    let list = values.iter().map(|value| format!("'{value}'")).collect::<Vec<_>>().join(", ");
    Expr::cust(format!("{column} IN ({list})"))
}

fn created_updated(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(timestamp_with_time_zone(Alias::new("created_at")).default(Expr::current_timestamp()))
        .col(timestamp_with_time_zone(Alias::new("updated_at")).default(Expr::current_timestamp()))
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(name: &str, table: impl IntoIden, columns: &[&'static str]) -> IndexCreateStatement {
    let mut statement = Index::create().name(name).table(table).to_owned();
    for column in columns {
        statement.col(Alias::new(*column));
    }
    statement
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        // SQLite has transactional DDL too: a failed migration leaves nothing half-made.
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                created_updated(
                    Table::create()
                        .table(Users::Table)
                        .col(big_pk_auto(Users::Id))
                        .col(string_len(Users::Email, 254))
                        .col(string_len(Users::Name, 200))
                        .col(string_len(Users::PasswordHash, 255))
                        .col(string_len(Users::Role, 16).default("user"))
                        .col(string_len_null(Users::Company, 200))
                        .col(string_len_null(Users::Budget, 100))
                        .col(string_len(Users::Timezone, 64).default("UTC"))
                        .col(boolean(Users::BookingEnabled).default(false))
                        .col(json_null(Users::WorkingHours))
                        .col(string_len_null(Users::GhlCalendarId, 100))
                        .col(string_len_null(Users::GhlLocationId, 100))
                        .col(string_len_null(Users::GhlAssignedUserId, 100))
                        .col(boolean(Users::IsActive).default(true))
                        .check(("users_role_check", one_of("role", &["admin", "user"]))),
                )
                .to_owned(),
            )
            .await?;
        manager.create_index(index("users_email_key", Users::Table, &["email"]).unique().to_owned()).await?;
        manager.create_index(index("users_created_idx", Users::Table, &["created_at", "id"])).await?;
        manager.create_index(index("users_name_idx", Users::Table, &["name", "id"])).await?;

        manager
            .create_table(
                created_updated(
                    Table::create()
                        .table(Strategies::Table)
                        .col(big_pk_auto(Strategies::Id))
                        .col(big_integer(Strategies::OwnerId))
                        .col(string_len(Strategies::Name, 200))
                        .col(string_len_null(Strategies::Tag, 100))
                        .col(string_len_null(Strategies::Tone, 200))
                        .col(text(Strategies::AiInstructions).default(""))
                        .col(text_null(Strategies::Objective))
                        .col(text_null(Strategies::ObjectionHandling))
                        .col(text_null(Strategies::QualificationPriority))
                        .col(text_null(Strategies::DisqualificationCriteria))
                        .col(small_integer(Strategies::Creativity).default(5))
                        .col(json_null(Strategies::ExampleConversation))
                        .col(integer(Strategies::ReplyDelayMin).default(0))
                        .col(integer(Strategies::ReplyDelayMax).default(0))
                        .foreign_key(&mut fk(
                            "strategies_owner_fk",
                            (Strategies::Table, Strategies::OwnerId),
                            (Users::Table, Users::Id),
                            ForeignKeyAction::Cascade,
                        ))
                        .check(("strategies_creativity_check", Expr::cust("creativity BETWEEN 0 AND 10")))
                        .check((
                            "strategies_reply_delay_check",
                            Expr::cust("reply_delay_min >= 0 AND reply_delay_min <= reply_delay_max"),
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index("strategies_owner_name_idx", Strategies::Table, &["owner_id", "name", "id"]))
            .await?;
        manager
            .create_index(index("strategies_owner_created_idx", Strategies::Table, &["owner_id", "created_at", "id"]))
            .await?;

        manager
            .create_table(
                created_updated(
                    Table::create()
                        .table(Clients::Table)
                        .col(big_pk_auto(Clients::Id))
                        .col(big_integer(Clients::OwnerId))
                        .col(big_integer(Clients::StrategyId))
                        .col(string_len(Clients::Name, 200))
                        .col(string_len_null(Clients::Email, 254))
                        .col(string_len_null(Clients::Phone, 32))
                        .col(string_len_null(Clients::Company, 200))
                        .col(string_len_null(Clients::Position, 200))
                        .col(string_len_null(Clients::ExternalId, 100))
                        .col(string_len(Clients::Status, 16).default("lead"))
                        .col(text_null(Clients::Notes))
                        .col(text_null(Clients::LastMessage))
                        .col(timestamp_with_time_zone_null(Clients::LastMessageAt))
                        .foreign_key(&mut fk(
                            "clients_owner_fk",
                            (Clients::Table, Clients::OwnerId),
                            (Users::Table, Users::Id),
                            ForeignKeyAction::Cascade,
                        ))
                        // A strategy in use cannot vanish: the app moves its clients first.
                        .foreign_key(&mut fk(
                            "clients_strategy_fk",
                            (Clients::Table, Clients::StrategyId),
                            (Strategies::Table, Strategies::Id),
                            ForeignKeyAction::Restrict,
                        ))
                        .check(("clients_status_check", one_of("status", CLIENT_STATUSES))),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("clients_owner_external_id_key", Clients::Table, &["owner_id", "external_id"])
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Keyset pagination: every sort key, per owner (users) and global (admins), ends in id.
        for (name, columns) in [
            ("clients_owner_name_idx", &["owner_id", "name", "id"][..]),
            ("clients_owner_created_idx", &["owner_id", "created_at", "id"]),
            ("clients_owner_last_message_idx", &["owner_id", "last_message_at", "id"]),
            ("clients_owner_status_idx", &["owner_id", "status", "id"]),
            ("clients_name_idx", &["name", "id"]),
            ("clients_created_idx", &["created_at", "id"]),
            ("clients_last_message_idx", &["last_message_at", "id"]),
            ("clients_status_idx", &["status", "id"]),
            ("clients_strategy_idx", &["strategy_id", "id"]),
            ("clients_email_idx", &["email"]),
            ("clients_phone_idx", &["phone"]),
        ] {
            manager.create_index(index(name, Clients::Table, columns)).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(big_pk_auto(Messages::Id))
                    .col(big_integer(Messages::ClientId))
                    .col(string_len(Messages::Role, 16))
                    .col(text(Messages::Body))
                    .col(string_len(Messages::Channel, 32).default("web"))
                    .col(timestamp_with_time_zone(Messages::CreatedAt).default(Expr::current_timestamp()))
                    .foreign_key(&mut fk(
                        "messages_client_fk",
                        (Messages::Table, Messages::ClientId),
                        (Clients::Table, Clients::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .check(("messages_role_check", one_of("role", MESSAGE_ROLES)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("messages_client_created_idx", Messages::Table, &["client_id", "created_at", "id"]))
            .await?;

        manager
            .create_table(
                created_updated(
                    Table::create()
                        .table(Bookings::Table)
                        .col(big_pk_auto(Bookings::Id))
                        .col(big_integer(Bookings::OwnerId))
                        .col(big_integer_null(Bookings::ClientId))
                        .col(string_len(Bookings::BookingType, 64).default("call"))
                        .col(timestamp_with_time_zone(Bookings::StartsAt))
                        .col(timestamp_with_time_zone(Bookings::EndsAt))
                        .col(string_len(Bookings::Timezone, 64).default("UTC"))
                        .col(string_len_null(Bookings::Location, 300))
                        .col(string_len_null(Bookings::Subject, 300))
                        .col(text_null(Bookings::Notes))
                        .col(string_len(Bookings::Status, 16).default("pending"))
                        .foreign_key(&mut fk(
                            "bookings_owner_fk",
                            (Bookings::Table, Bookings::OwnerId),
                            (Users::Table, Users::Id),
                            ForeignKeyAction::Cascade,
                        ))
                        .foreign_key(&mut fk(
                            "bookings_client_fk",
                            (Bookings::Table, Bookings::ClientId),
                            (Clients::Table, Clients::Id),
                            ForeignKeyAction::SetNull,
                        ))
                        .check(("bookings_status_check", one_of("status", BOOKING_STATUSES)))
                        .check(("bookings_time_order_check", Expr::cust("ends_at > starts_at"))),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index("bookings_owner_starts_idx", Bookings::Table, &["owner_id", "starts_at", "id"]))
            .await?;
        manager.create_index(index("bookings_starts_idx", Bookings::Table, &["starts_at", "id"])).await?;
        manager.create_index(index("bookings_client_idx", Bookings::Table, &["client_id", "starts_at"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookEvents::Table)
                    .col(big_pk_auto(WebhookEvents::Id))
                    .col(string_len(WebhookEvents::Source, 64))
                    .col(string_len(WebhookEvents::ExternalId, 200))
                    .col(string_len(WebhookEvents::EventType, 100))
                    .col(text(WebhookEvents::Payload))
                    .col(string_len(WebhookEvents::Status, 16).default("received"))
                    .col(text_null(WebhookEvents::Error))
                    .col(timestamp_with_time_zone(WebhookEvents::ReceivedAt).default(Expr::current_timestamp()))
                    .col(timestamp_with_time_zone_null(WebhookEvents::ProcessedAt))
                    .check(("webhook_events_status_check", one_of("status", &["received", "processed", "failed"])))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("webhook_events_source_external_key", WebhookEvents::Table, &["source", "external_id"])
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("webhook_events_received_idx", WebhookEvents::Table, &["received_at", "id"]))
            .await?;

        // Times are epoch milliseconds: compared in SQL on both databases without format pitfalls.
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(big_pk_auto(Jobs::Id))
                    .col(string_len(Jobs::Queue, 64))
                    .col(text(Jobs::Payload))
                    .col(integer(Jobs::Attempts).default(0))
                    .col(integer(Jobs::MaxAttempts).default(5))
                    .col(big_integer(Jobs::RunAtMs))
                    .col(big_integer_null(Jobs::LockedUntilMs))
                    .col(string_len_null(Jobs::LockedBy, 64))
                    .col(text_null(Jobs::LastError))
                    .col(big_integer(Jobs::CreatedAtMs))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("jobs_queue_run_at_idx", Jobs::Table, &["queue", "run_at_ms", "id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_pk_auto(AuditLog::Id))
                    .col(big_integer_null(AuditLog::ActorId))
                    .col(string_len(AuditLog::Entity, 32))
                    .col(big_integer(AuditLog::EntityId))
                    .col(string_len(AuditLog::Action, 16))
                    .col(json_null(AuditLog::Changes))
                    .col(timestamp_with_time_zone(AuditLog::CreatedAt).default(Expr::current_timestamp()))
                    .foreign_key(&mut fk(
                        "audit_log_actor_fk",
                        (AuditLog::Table, AuditLog::ActorId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .check(("audit_log_action_check", one_of("action", &["create", "update", "delete"])))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("audit_log_entity_idx", AuditLog::Table, &["entity", "entity_id", "created_at", "id"]))
            .await?;
        manager.create_index(index("audit_log_actor_idx", AuditLog::Table, &["actor_id", "created_at", "id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string_len(Sessions::Id, 64).primary_key())
                    .col(big_integer_null(Sessions::UserId))
                    .col(text(Sessions::Data))
                    .col(big_integer(Sessions::ExpiresAtMs))
                    .foreign_key(&mut fk(
                        "sessions_user_fk",
                        (Sessions::Table, Sessions::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("sessions_expires_idx", Sessions::Table, &["expires_at_ms"])).await?;
        manager.create_index(index("sessions_user_idx", Sessions::Table, &["user_id"])).await?;

        if manager.get_database_backend() == DatabaseBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm").await?;
            db.execute_unprepared(&format!(
                "CREATE INDEX clients_search_trgm_idx ON clients USING gin (({}) gin_trgm_ops)",
                CLIENT_SEARCH_EXPRESSION
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Sessions::Table.into_iden(),
            AuditLog::Table.into_iden(),
            Jobs::Table.into_iden(),
            WebhookEvents::Table.into_iden(),
            Bookings::Table.into_iden(),
            Messages::Table.into_iden(),
            Clients::Table.into_iden(),
            Strategies::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        // The pg_trgm extension stays: other databases objects may use it, and it is harmless.
        Ok(())
    }
}

/// The text the client search matches on PostgreSQL; queries must use the same expression to hit the index.
pub const CLIENT_SEARCH_EXPRESSION: &str =
    "lower(name || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(company, ''))";
