//! The booking domain's schema: availability, booking types, and bookings that cannot overlap.
//!
//! - `availability_windows`: weekly hours, one or more windows per weekday (0 = Monday), in
//!   minutes from midnight in the user's own zone. Filled from `users.working_hours` (each enabled
//!   day becomes a window; a user without saved hours gets the app's default, Monday to Friday
//!   09:00-17:00). The JSON column stays, and `down()` leaves it as it was.
//! - `availability_overrides`: one date's own hours. A row without minutes is a day off; rows with
//!   minutes are that date's windows and replace the weekday's.
//! - `booking_types` (Cal.com's event types), slug unique per owner; every existing user gets the
//!   default "30-minute call".
//! - `bookings` gain the type, the blocked interval (the meeting plus the type's buffers), a cancel
//!   reason, a random manage token, a stable iCalendar UID and a SEQUENCE. Two active bookings
//!   (`pending`, `confirmed`) of one owner never have overlapping blocked intervals: an exclusion
//!   constraint on PostgreSQL (btree_gist), a trigger on SQLite (where writers are serialised, so
//!   the check inside the writing statement cannot race). Active bookings that already overlapped
//!   an earlier one before this migration are cancelled, with a reason saying so.
//! - `users` gain a unique booking slug (made from the name, deduplicated) and a calendar feed token.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

const ACTIVE: &str = "('pending', 'confirmed')";

/// The default weekly hours of a user who never saved any (the app's `WorkingHours::default`).
const DEFAULT_WINDOWS: [(i32, i32, i32); 5] =
    [(0, 540, 1020), (1, 540, 1020), (2, 540, 1020), (3, 540, 1020), (4, 540, 1020)];

const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A URL slug from a display name: lower-case ASCII letters and digits separated by single
/// hyphens, common Latin accents folded, at most 40 characters (room for a "-2"); "user" when nothing is left.
/// Frozen here on purpose: a migration must not change when the app's own slug rules do.
fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded: &str = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'ç' | 'ć' | 'č' => "c",
            'ď' | 'đ' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' => "i",
            'ł' => "l",
            'ñ' | 'ń' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
            'ř' => "r",
            'ś' | 'š' | 'ş' => "s",
            'ß' => "ss",
            'ť' | 'ţ' => "t",
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
            'ý' | 'ÿ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            'æ' => "ae",
            'œ' => "oe",
            c if c.is_ascii_alphanumeric() => {
                slug.push(c);
                continue;
            }
            _ => "-",
        };
        slug.push_str(folded);
    }
    let mut collapsed = String::with_capacity(slug.len());
    for part in slug.split('-').filter(|part| !part.is_empty()) {
        if !collapsed.is_empty() {
            collapsed.push('-');
        }
        collapsed.push_str(part);
    }
    collapsed.truncate(40);
    let collapsed = collapsed.trim_end_matches('-').to_owned();
    if collapsed.is_empty() { "user".to_owned() } else { collapsed }
}

struct Sql {
    backend: DatabaseBackend,
}

impl Sql {
    fn pk(&self) -> &'static str {
        match self.backend {
            DatabaseBackend::Postgres => "BIGSERIAL PRIMARY KEY",
            _ => "INTEGER PRIMARY KEY AUTOINCREMENT",
        }
    }

    /// The type the initial schema's `timestamp_with_time_zone` columns have.
    fn timestamp(&self) -> &'static str {
        match self.backend {
            DatabaseBackend::Postgres => "TIMESTAMP WITH TIME ZONE",
            _ => "timestamp_with_timezone_text",
        }
    }

    fn date(&self) -> &'static str {
        match self.backend {
            DatabaseBackend::Postgres => "DATE",
            _ => "date_text",
        }
    }

    /// 128 random bits as 32 hex digits.
    fn random_hex(&self) -> &'static str {
        match self.backend {
            DatabaseBackend::Postgres => "replace(gen_random_uuid()::text, '-', '')",
            _ => "lower(hex(randomblob(16)))",
        }
    }

    fn placeholder(&self, n: usize) -> String {
        match self.backend {
            DatabaseBackend::Postgres => format!("${n}"),
            _ => "?".to_owned(),
        }
    }
}

async fn run(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    manager.get_connection().execute_unprepared(sql).await.map(|_| ())
}

/// The windows of one user's saved `working_hours` JSON: each enabled day's start and end.
fn windows_of(json: &str) -> Vec<(i32, i32, i32)> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(json) else {
        return DEFAULT_WINDOWS.to_vec();
    };
    let Some(days) = value.get("days").and_then(|days| days.as_array()) else {
        return DEFAULT_WINDOWS.to_vec();
    };
    let minutes = |text: Option<&serde_json::Value>| -> Option<i32> {
        let (hours, minutes) = text?.as_str()?.split_once(':')?;
        let (hours, minutes): (i32, i32) = (hours.parse().ok()?, minutes.parse().ok()?);
        ((0..24).contains(&hours) && (0..60).contains(&minutes)).then_some(hours * 60 + minutes)
    };
    let mut windows = Vec::new();
    for (weekday, key) in DAY_KEYS.iter().enumerate() {
        let Some(day) = days.iter().find(|day| day.get("day").and_then(|d| d.as_str()) == Some(key)) else {
            // A day missing from older JSON reads as the default's (see `WorkingHours::normalized`).
            windows.extend(DEFAULT_WINDOWS.iter().filter(|window| window.0 == weekday as i32));
            continue;
        };
        if day.get("enabled").and_then(|e| e.as_bool()) != Some(true) {
            continue;
        }
        if let (Some(start), Some(end)) = (minutes(day.get("start")), minutes(day.get("end")))
            && start < end
        {
            windows.push((weekday as i32, start, end));
        }
    }
    windows
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let sql = Sql { backend: db.get_database_backend() };
        let postgres = sql.backend == DatabaseBackend::Postgres;
        let (pk, ts, date, random) = (sql.pk(), sql.timestamp(), sql.date(), sql.random_hex());

        run(
            manager,
            &format!(
                "CREATE TABLE availability_windows (
                    id {pk},
                    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE ON UPDATE CASCADE,
                    weekday SMALLINT NOT NULL,
                    start_minute INTEGER NOT NULL,
                    end_minute INTEGER NOT NULL,
                    CONSTRAINT availability_windows_weekday_check CHECK (weekday BETWEEN 0 AND 6),
                    CONSTRAINT availability_windows_minutes_check
                        CHECK (start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute)
                )"
            ),
        )
        .await?;
        run(
            manager,
            "CREATE INDEX availability_windows_user_idx ON availability_windows (user_id, weekday, start_minute)",
        )
        .await?;
        run(
            manager,
            &format!(
                "CREATE TABLE availability_overrides (
                    id {pk},
                    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE ON UPDATE CASCADE,
                    date {date} NOT NULL,
                    start_minute INTEGER,
                    end_minute INTEGER,
                    CONSTRAINT availability_overrides_minutes_check CHECK (
                        (start_minute IS NULL AND end_minute IS NULL)
                        OR (start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute)
                    )
                )"
            ),
        )
        .await?;
        run(manager, "CREATE INDEX availability_overrides_user_date_idx ON availability_overrides (user_id, date)")
            .await?;

        run(
            manager,
            &format!(
                "CREATE TABLE booking_types (
                    id {pk},
                    owner_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE ON UPDATE CASCADE,
                    name VARCHAR(100) NOT NULL,
                    slug VARCHAR(64) NOT NULL,
                    duration_min INTEGER NOT NULL,
                    slot_interval_min INTEGER NOT NULL,
                    buffer_before_min INTEGER NOT NULL DEFAULT 0,
                    buffer_after_min INTEGER NOT NULL DEFAULT 0,
                    min_notice_min INTEGER NOT NULL DEFAULT 0,
                    rolling_days INTEGER NOT NULL DEFAULT 60,
                    max_per_day INTEGER,
                    location_kind VARCHAR(16) NOT NULL DEFAULT 'video',
                    location_value VARCHAR(300),
                    description TEXT,
                    active BOOLEAN NOT NULL DEFAULT TRUE,
                    created_at {ts} NOT NULL DEFAULT CURRENT_TIMESTAMP,
                    updated_at {ts} NOT NULL DEFAULT CURRENT_TIMESTAMP,
                    CONSTRAINT booking_types_duration_check CHECK (duration_min BETWEEN 5 AND 1440),
                    CONSTRAINT booking_types_interval_check CHECK (slot_interval_min BETWEEN 5 AND 1440),
                    CONSTRAINT booking_types_buffers_check
                        CHECK (buffer_before_min BETWEEN 0 AND 1440 AND buffer_after_min BETWEEN 0 AND 1440),
                    CONSTRAINT booking_types_notice_check CHECK (min_notice_min BETWEEN 0 AND 525600),
                    CONSTRAINT booking_types_rolling_check CHECK (rolling_days BETWEEN 1 AND 730),
                    CONSTRAINT booking_types_max_per_day_check CHECK (max_per_day IS NULL OR max_per_day >= 1),
                    CONSTRAINT booking_types_location_kind_check
                        CHECK (location_kind IN ('phone', 'video', 'address', 'text'))
                )"
            ),
        )
        .await?;
        run(manager, "CREATE UNIQUE INDEX booking_types_owner_slug_key ON booking_types (owner_id, slug)").await?;
        run(
            manager,
            "INSERT INTO booking_types (owner_id, name, slug, duration_min, slot_interval_min, min_notice_min, rolling_days, location_kind)
             SELECT id, '30-minute call', '30-minute-call', 30, 30, 120, 60, 'video' FROM users",
        )
        .await?;

        // Bookings. SQLite cannot drop a column that a REFERENCES clause names, so there the type's
        // foreign key is kept by the guard triggers below.
        let type_reference =
            if postgres { " REFERENCES booking_types (id) ON DELETE SET NULL ON UPDATE CASCADE" } else { "" };
        for column in [
            format!("booking_type_id BIGINT{type_reference}"),
            format!("blocked_from {ts}"),
            format!("blocked_until {ts}"),
            "cancel_reason TEXT".to_owned(),
            "manage_token VARCHAR(64)".to_owned(),
            "ical_uid VARCHAR(128)".to_owned(),
            "sequence INTEGER NOT NULL DEFAULT 0".to_owned(),
        ] {
            run(manager, &format!("ALTER TABLE bookings ADD COLUMN {column}")).await?;
        }
        run(
            manager,
            &format!(
                "UPDATE bookings SET blocked_from = starts_at, blocked_until = ends_at,
                    manage_token = {random}, ical_uid = {random} || '@crm'"
            ),
        )
        .await?;
        run(
            manager,
            &format!(
                "UPDATE bookings SET status = 'cancelled',
                    cancel_reason = 'Overlapped an earlier booking when overlapping bookings became impossible.'
                 WHERE status IN {ACTIVE} AND EXISTS (
                    SELECT 1 FROM bookings earlier
                    WHERE earlier.owner_id = bookings.owner_id AND earlier.id < bookings.id
                      AND earlier.status IN {ACTIVE}
                      AND earlier.blocked_from < bookings.blocked_until
                      AND earlier.blocked_until > bookings.blocked_from)"
            ),
        )
        .await?;
        run(manager, "CREATE UNIQUE INDEX bookings_manage_token_key ON bookings (manage_token)").await?;
        run(manager, "CREATE UNIQUE INDEX bookings_ical_uid_key ON bookings (ical_uid)").await?;
        // Free slots read an owner's active bookings that end after the range starts.
        run(
            manager,
            &format!(
                "CREATE INDEX bookings_active_interval_idx ON bookings (owner_id, blocked_until, blocked_from)
                 WHERE status IN {ACTIVE}"
            ),
        )
        .await?;

        if postgres {
            run(manager, "CREATE EXTENSION IF NOT EXISTS btree_gist").await?;
            run(
                manager,
                "ALTER TABLE bookings ADD CONSTRAINT bookings_blocked_check CHECK (
                    blocked_from IS NOT NULL AND blocked_until IS NOT NULL
                    AND blocked_from <= starts_at AND blocked_until >= ends_at)",
            )
            .await?;
            run(
                manager,
                &format!(
                    "ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
                        owner_id WITH =, tstzrange(blocked_from, blocked_until, '[)') WITH &&
                    ) WHERE (status IN {ACTIVE})"
                ),
            )
            .await?;
        } else {
            for (event, not_self) in [("INSERT", ""), ("UPDATE", " AND other.id <> NEW.id")] {
                run(
                    manager,
                    &format!(
                        "CREATE TRIGGER bookings_guard_{name} BEFORE {event} ON bookings BEGIN
                            SELECT RAISE(ABORT, 'bookings_blocked_check')
                            WHERE NEW.blocked_from IS NULL OR NEW.blocked_until IS NULL
                               OR NEW.blocked_from > NEW.starts_at OR NEW.blocked_until < NEW.ends_at;
                            SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: bookings_booking_type_fk')
                            WHERE NEW.booking_type_id IS NOT NULL
                              AND NOT EXISTS (SELECT 1 FROM booking_types WHERE id = NEW.booking_type_id);
                            SELECT RAISE(ABORT, 'bookings_no_overlap')
                            WHERE NEW.status IN {ACTIVE} AND EXISTS (
                                SELECT 1 FROM bookings other
                                WHERE other.owner_id = NEW.owner_id AND other.status IN {ACTIVE}{not_self}
                                  AND other.blocked_until > NEW.blocked_from
                                  AND other.blocked_from < NEW.blocked_until);
                        END",
                        name = event.to_lowercase()
                    ),
                )
                .await?;
            }
            run(
                manager,
                "CREATE TRIGGER booking_types_detach_bookings AFTER DELETE ON booking_types BEGIN
                    UPDATE bookings SET booking_type_id = NULL WHERE booking_type_id = OLD.id;
                END",
            )
            .await?;
        }

        // Availability from the saved working hours.
        let users = db
            .query_all_raw(Statement::from_string(
                sql.backend,
                if postgres {
                    "SELECT id, name, CAST(working_hours AS TEXT) AS hours FROM users ORDER BY id"
                } else {
                    "SELECT id, name, working_hours AS hours FROM users ORDER BY id"
                },
            ))
            .await?;
        let insert_window = format!(
            "INSERT INTO availability_windows (user_id, weekday, start_minute, end_minute) VALUES ({}, {}, {}, {})",
            sql.placeholder(1),
            sql.placeholder(2),
            sql.placeholder(3),
            sql.placeholder(4)
        );
        let set_slug = format!(
            "UPDATE users SET booking_slug = {}, calendar_feed_token = {random} WHERE id = {}",
            sql.placeholder(1),
            sql.placeholder(2)
        );
        run(manager, "ALTER TABLE users ADD COLUMN booking_slug VARCHAR(64)").await?;
        run(manager, "ALTER TABLE users ADD COLUMN calendar_feed_token VARCHAR(64)").await?;
        let mut taken = std::collections::HashSet::new();
        for row in users {
            let id: i64 = row.try_get("", "id")?;
            let name: String = row.try_get("", "name")?;
            let hours: Option<String> = row.try_get("", "hours")?;
            let windows = hours.as_deref().map(windows_of).unwrap_or_else(|| DEFAULT_WINDOWS.to_vec());
            for (weekday, start, end) in windows {
                db.execute_raw(Statement::from_sql_and_values(
                    sql.backend,
                    &insert_window,
                    [id.into(), weekday.into(), start.into(), end.into()],
                ))
                .await?;
            }
            let base = slugify(&name);
            let mut slug = base.clone();
            let mut n = 2;
            while !taken.insert(slug.clone()) {
                slug = format!("{base}-{n}");
                n += 1;
            }
            db.execute_raw(Statement::from_sql_and_values(sql.backend, &set_slug, [slug.into(), id.into()])).await?;
        }
        run(manager, "CREATE UNIQUE INDEX users_booking_slug_key ON users (booking_slug)").await?;
        run(manager, "CREATE UNIQUE INDEX users_calendar_feed_token_key ON users (calendar_feed_token)").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
        run(manager, "DROP INDEX users_booking_slug_key").await?;
        run(manager, "DROP INDEX users_calendar_feed_token_key").await?;
        run(manager, "ALTER TABLE users DROP COLUMN booking_slug").await?;
        run(manager, "ALTER TABLE users DROP COLUMN calendar_feed_token").await?;
        if postgres {
            run(manager, "ALTER TABLE bookings DROP CONSTRAINT bookings_no_overlap").await?;
            run(manager, "ALTER TABLE bookings DROP CONSTRAINT bookings_blocked_check").await?;
        } else {
            run(manager, "DROP TRIGGER bookings_guard_insert").await?;
            run(manager, "DROP TRIGGER bookings_guard_update").await?;
            run(manager, "DROP TRIGGER booking_types_detach_bookings").await?;
        }
        run(manager, "DROP INDEX bookings_active_interval_idx").await?;
        run(manager, "DROP INDEX bookings_manage_token_key").await?;
        run(manager, "DROP INDEX bookings_ical_uid_key").await?;
        for column in [
            "booking_type_id",
            "blocked_from",
            "blocked_until",
            "cancel_reason",
            "manage_token",
            "ical_uid",
            "sequence",
        ] {
            run(manager, &format!("ALTER TABLE bookings DROP COLUMN {column}")).await?;
        }
        run(manager, "DROP TABLE booking_types").await?;
        run(manager, "DROP TABLE availability_overrides").await?;
        run(manager, "DROP TABLE availability_windows").await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_readable_ascii() {
        assert_eq!(slugify("João  Silva"), "joao-silva");
        assert_eq!(slugify("  Ana-María O'Neil! "), "ana-maria-o-neil");
        assert_eq!(slugify("李小龙"), "user");
        assert_eq!(slugify(&"x".repeat(60)).len(), 40);
    }

    #[test]
    fn working_hours_become_windows() {
        let json = r#"{"days":[{"day":"mon","enabled":true,"start":"08:30","end":"12:00"},
            {"day":"tue","enabled":false,"start":"09:00","end":"17:00"},
            {"day":"wed","enabled":true,"start":"bad","end":"17:00"}]}"#;
        // Thursday and Friday are missing and read as the default; Saturday and Sunday too (off).
        assert_eq!(windows_of(json), vec![(0, 510, 720), (3, 540, 1020), (4, 540, 1020)]);
        assert_eq!(windows_of("not json"), DEFAULT_WINDOWS.to_vec());
    }
}
