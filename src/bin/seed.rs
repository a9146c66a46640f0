//! Fills a database with a realistic data set for benchmarks and demos:
//!
//! ```text
//! cargo run --release --features ssr --bin seed -- --clients 100000 [--users 10] [--seed 7]
//! ```
//!
//! It uses `DATABASE_URL` (default: the embedded SQLite file), migrates it, and adds users (the
//! first one an admin when the database has none), three strategies per user, the clients spread
//! over the users with plausible names, emails, phones, companies, statuses and dates over two
//! years, about five messages per client (each client's in one conversation, waiting for a reply
//! when the lead wrote last) and a booking for about one client in ten (starting in the last 60 or
//! the next 30 days, booked up to two weeks before; a fifth of the past ones no-shows). Rows go in as
//! multi-row INSERTs of 500 clients (with their messages), one transaction per batch, so a million clients take
//! minutes. Every seeded account signs in with the password printed at the end.
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use crm::server::{config::DatabaseUrl, db};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, TransactionTrait,
    sea_query::{Alias, Expr, Func, InsertStatement, Query, SimpleExpr},
};

const PASSWORD: &str = "seeded data set password";
const BATCH: usize = 500;

const FIRST_NAMES: &[&str] = &[
    "Ana", "Bruno", "Carla", "Diego", "Elena", "Fatima", "Gustavo", "Hana", "Igor", "Julia", "Kenji", "Laura", "Mateo",
    "Nadia", "Omar", "Paula", "Quentin", "Rosa", "Samuel", "Tara", "Umar", "Valeria", "William", "Ximena", "Yusuf",
    "Zoe", "Aisha", "Ben", "Chloe", "Dmitri", "Emma", "Felix", "Grace", "Hugo", "Isla", "Jonas",
];
const LAST_NAMES: &[&str] = &[
    "Silva",
    "Costa",
    "Müller",
    "Smith",
    "Garcia",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Nakamura",
    "Okafor",
    "Larsen",
    "Fernandes",
    "Ibrahim",
    "Novak",
    "Schmidt",
    "Jensen",
    "Moreau",
    "Ricci",
    "Tanaka",
    "Walker",
    "Young",
    "Zhang",
    "Haddad",
    "Lopez",
    "Martin",
    "Nguyen",
    "O'Brien",
    "Petrov",
    "Quinn",
    "Reyes",
    "Sato",
    "Turner",
    "Vargas",
];
const COMPANY_WORDS: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Northwind",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Aperture",
    "Gringotts",
    "Oscorp",
    "Wonka",
    "Monarch",
    "Pied Piper",
    "Blue Sun",
    "Massive Dynamic",
];
const COMPANY_KINDS: &[&str] = &["Labs", "Group", "Partners", "Studio", "Logistics", "Foods", "Health", "Legal"];
const POSITIONS: &[&str] = &["CEO", "Founder", "Head of Sales", "Marketing Manager", "Owner", "Operations Lead"];
/// Status weights follow a funnel: many leads, few won.
const STATUS_WEIGHTS: &[(&str, u32)] =
    &[("lead", 40), ("contacted", 25), ("qualified", 15), ("booked", 8), ("won", 5), ("lost", 7)];
const CLIENT_LINES: &[&str] = &[
    "Hi, I saw your ad and wanted to know more.",
    "What does it cost for a team of five?",
    "Can we talk next week?",
    "We already use another tool, why switch?",
    "Sounds good, send me the details.",
];
const AI_LINES: &[&str] = &[
    "Thanks for reaching out! What would you like to achieve?",
    "Happy to help. Would a short call on Tuesday work for you?",
    "Great question: most teams of five start on the standard plan.",
    "I have booked you for Thursday at 10:00. See you then!",
];

struct Options {
    clients: usize,
    users: usize,
    seed: u64,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options { clients: 10_000, users: 10, seed: 7 };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = |name: &str| -> Result<usize, String> {
            args.next()
                .and_then(|value| value.replace('_', "").parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match flag.as_str() {
            "--clients" => options.clients = value("--clients")?,
            "--users" => options.users = value("--users")?.max(1),
            "--seed" => options.seed = value("--seed")? as u64,
            "--help" | "-h" => {
                return Err(
                    "usage: seed [--clients N] [--users N] [--seed N]   (DATABASE_URL picks the database)".into()
                );
            }
            other => return Err(format!("unknown argument {other} (try --help)")),
        }
    }
    Ok(options)
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

fn weighted_status(rng: &mut StdRng) -> &'static str {
    let total: u32 = STATUS_WEIGHTS.iter().map(|(_, weight)| weight).sum();
    let mut roll = rng.random_range(0..total);
    for (status, weight) in STATUS_WEIGHTS {
        if roll < *weight {
            return status;
        }
        roll -= weight;
    }
    "lead"
}

fn ascii_slug(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            'ü' => Some('u'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// Runs a multi-row insert and returns the new ids, in order.
async fn insert_returning_ids<C: ConnectionTrait>(db: &C, mut insert: InsertStatement) -> Result<Vec<i64>, DbErr> {
    insert.returning_col(Alias::new("id"));
    let rows = db.query_all(&insert).await?;
    rows.into_iter().map(|row| row.try_get_by_index::<i64>(0)).collect()
}

/// `count` message times between `from` and `to`, as chats happen: in one to three sittings at
/// random moments, each opened by the lead, every answer seconds after the lead's message and the
/// lead's next message minutes after the answer. (Spread evenly over the months instead, every
/// message would be its own sitting, and the dashboard's speed to lead would read in days.)
fn conversation_times(rng: &mut StdRng, count: usize, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    if count == 0 {
        return Vec::new();
    }
    // A sitting lasts under an hour (five exchanges at most): starting an hour before `to` keeps
    // every message in the past.
    let latest_start = (to - from - Duration::hours(1)).num_seconds().max(0);
    let exchanges = count.div_ceil(2);
    let sittings = rng.random_range(1..=exchanges.min(3));
    let mut starts: Vec<DateTime<Utc>> =
        (0..sittings).map(|_| from + Duration::seconds(rng.random_range(0..=latest_start))).collect();
    starts.sort();
    let mut times = Vec::with_capacity(count);
    let mut at = from;
    for n in 0..count {
        let exchange = n / 2;
        let sitting = exchange * sittings / exchanges;
        let opens_sitting = n % 2 == 0 && (exchange == 0 || (exchange - 1) * sittings / exchanges != sitting);
        at = if opens_sitting {
            starts[sitting].max(at + Duration::minutes(1))
        } else if n % 2 == 0 {
            at + Duration::seconds(rng.random_range(60..=600))
        } else {
            at + Duration::seconds(rng.random_range(2..=40))
        };
        times.push(at.min(to));
    }
    times
}

async fn insert_users(
    db: &DatabaseConnection,
    count: usize,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    let existing = db
        .query_one(&Query::select().expr(Func::count(Expr::col(Alias::new("id")))).from(Alias::new("users")).to_owned())
        .await?
        .and_then(|row| row.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0);
    let stamp = now.timestamp();
    let mut insert = Query::insert();
    insert.into_table(Alias::new("users")).columns(
        ["email", "name", "password_hash", "role", "timezone", "is_active", "created_at", "updated_at"].map(Alias::new),
    );
    for n in 0..count {
        let role = if existing == 0 && n == 0 { "admin" } else { "user" };
        let values: [SimpleExpr; 8] = [
            format!("seed{stamp}-{n}@seed.example").into(),
            format!("Seed User {}", n + 1).into(),
            hash.into(),
            role.into(),
            "UTC".into(),
            true.into(),
            now.into(),
            now.into(),
        ];
        insert.values_panic(values);
    }
    let ids = insert_returning_ids(db, insert).await?;
    // What every account gets for bookings (slug, feed token, default type, hours), as sign-up does.
    for id in &ids {
        let txn = db.begin().await?;
        if let Some(user) = crm::users::entity::Entity::find_by_id(*id).one(&txn).await? {
            crm::domains::set_up_account(&txn, None, &user)
                .await
                .map_err(|error| DbErr::Custom(format!("booking set-up of user {id}: {error}")))?;
        }
        txn.commit().await?;
    }
    Ok(ids)
}

async fn insert_strategies(
    db: &DatabaseConnection,
    users: &[i64],
    now: DateTime<Utc>,
) -> Result<Vec<(i64, i64)>, DbErr> {
    const PERSONAS: &[(&str, &str)] = &[
        ("Friendly closer", "Warm, upbeat and concise"),
        ("Patient advisor", "Calm, thorough, never pushy"),
        ("Direct qualifier", "Short questions, straight to the point"),
    ];
    let mut insert = Query::insert();
    insert.into_table(Alias::new("strategies")).columns(
        [
            "owner_id",
            "name",
            "tone",
            "ai_instructions",
            "objective",
            "creativity",
            "reply_delay_min",
            "reply_delay_max",
            "created_at",
            "updated_at",
        ]
        .map(Alias::new),
    );
    let mut owners = Vec::new();
    for user in users {
        for (name, tone) in PERSONAS {
            let values: [SimpleExpr; 10] = [
                (*user).into(),
                (*name).into(),
                (*tone).into(),
                "Answer questions, qualify the lead and offer a call.".into(),
                "Book a discovery call.".into(),
                5i16.into(),
                30i32.into(),
                90i32.into(),
                now.into(),
                now.into(),
            ];
            insert.values_panic(values);
            owners.push(*user);
        }
    }
    let ids = insert_returning_ids(db, insert).await?;
    Ok(ids.into_iter().zip(owners).collect())
}

/// One batch of clients with their messages and bookings, in one transaction.
async fn insert_client_batch(
    db: &DatabaseConnection,
    rng: &mut StdRng,
    strategies: &[(i64, i64)],
    first_index: usize,
    size: usize,
    now: DateTime<Utc>,
    booked_hours: &mut std::collections::HashSet<(i64, i64)>,
) -> Result<(usize, usize), DbErr> {
    let txn = db.begin().await?;
    let two_years = Duration::days(730).num_seconds();
    let mut insert = Query::insert();
    insert.into_table(Alias::new("clients")).columns(
        [
            "owner_id",
            "strategy_id",
            "name",
            "email",
            "phone",
            "company",
            "position",
            "external_id",
            "status",
            "last_message",
            "last_message_at",
            "created_at",
            "updated_at",
        ]
        .map(Alias::new),
    );
    let mut plans = Vec::with_capacity(size);
    for offset in 0..size {
        let index = first_index + offset;
        let (strategy_id, owner_id) = strategies[rng.random_range(0..strategies.len())];
        let first = pick(rng, FIRST_NAMES);
        let last = pick(rng, LAST_NAMES);
        let company = format!("{} {}", pick(rng, COMPANY_WORDS), pick(rng, COMPANY_KINDS));
        let created_at = now - Duration::seconds(rng.random_range(0..two_years));
        let messages = rng.random_range(0..=10usize);
        let times = conversation_times(rng, messages, created_at, now);
        let last_message_at = times.last().copied();
        let last_message = last_message_at.map(|_| pick(rng, CLIENT_LINES).to_owned());
        let email = (rng.random_range(0..10) < 9)
            .then(|| format!("{}.{}{}@{}.example", ascii_slug(first), ascii_slug(last), index, ascii_slug(&company)));
        let phone = (rng.random_range(0..10) < 7).then(|| {
            format!(
                "+1 {:03} {:03} {:04}",
                rng.random_range(200..999),
                rng.random_range(200..999),
                rng.random_range(0..9999)
            )
        });
        let values: [SimpleExpr; 13] = [
            owner_id.into(),
            strategy_id.into(),
            format!("{first} {last}").into(),
            email.into(),
            phone.into(),
            company.into(),
            pick(rng, POSITIONS).into(),
            format!("seed-{index}").into(),
            weighted_status(rng).into(),
            last_message.into(),
            last_message_at.into(),
            created_at.into(),
            created_at.into(),
        ];
        insert.values_panic(values);
        plans.push((owner_id, times, rng.random_range(0..10) == 0));
    }
    let ids = insert_returning_ids(&txn, insert).await?;

    let mut message_count = 0;
    let mut messages = Query::insert();
    messages
        .into_table(Alias::new("messages"))
        .columns(["client_id", "role", "body", "channel", "created_at"].map(Alias::new));
    let mut bookings = Query::insert();
    bookings.into_table(Alias::new("bookings")).columns(
        [
            "owner_id",
            "client_id",
            "starts_at",
            "ends_at",
            "blocked_from",
            "blocked_until",
            "subject",
            "status",
            "created_at",
            "updated_at",
        ]
        .map(Alias::new),
    );
    let mut booking_count = 0;
    for (id, (owner_id, times, booked)) in ids.iter().zip(plans) {
        for (n, time) in times.iter().enumerate() {
            let (role, body) =
                if n % 2 == 0 { ("client", pick(rng, CLIENT_LINES)) } else { ("ai", pick(rng, AI_LINES)) };
            let values: [SimpleExpr; 5] = [(*id).into(), role.into(), body.into(), "web".into(), (*time).into()];
            messages.values_panic(values);
            message_count += 1;
        }
        if booked {
            let hour = rng.random_range(-24 * 60..24 * 30);
            let starts_at = now + Duration::hours(hour);
            // Active bookings of one owner never overlap (the database refuses it): a second
            // booking in an hour already taken is a cancelled one.
            let status = if starts_at < now {
                if rng.random_range(0..5) == 0 { "no_show" } else { "completed" }
            } else if booked_hours.insert((owner_id, hour)) {
                "confirmed"
            } else {
                "cancelled"
            };
            // Booked up to two weeks before it starts (or before now, for one in the past), but
            // not before the lead first wrote: the dashboard's "bookings made" spread over days.
            let latest = starts_at.min(now);
            let earliest = times.first().copied().unwrap_or(latest).min(latest);
            let made = (latest - Duration::seconds(rng.random_range(0..14 * 86_400))).max(earliest);
            let values: [SimpleExpr; 10] = [
                owner_id.into(),
                (*id).into(),
                starts_at.into(),
                (starts_at + Duration::minutes(30)).into(),
                starts_at.into(),
                (starts_at + Duration::minutes(30)).into(),
                "Discovery call".into(),
                status.into(),
                made.into(),
                made.into(),
            ];
            bookings.values_panic(values);
            booking_count += 1;
        }
    }
    if message_count > 0 {
        txn.execute(&messages).await?;
    }
    if booking_count > 0 {
        txn.execute(&bookings).await?;
    }
    txn.commit().await?;
    Ok((message_count, booking_count))
}

#[tokio::main]
async fn main() {
    dotenvy::dotenv().ok();
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| migration::DEFAULT_DATABASE_URL.to_owned());
    if url.starts_with("sqlite") {
        let _ = std::fs::create_dir_all("data");
    }
    if let Err(error) = run(&url, options).await {
        eprintln!("seed: {error}");
        std::process::exit(1);
    }
}

/// One conversation per seeded client with messages (as the conversations migration makes them
/// for existing data), and its messages moved into it; clients seeded earlier keep theirs.
async fn make_conversations(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let latest = "SELECT m.{} FROM messages m WHERE m.client_id = c.id ORDER BY m.created_at DESC, m.id DESC LIMIT 1";
    let insert = format!(
        "INSERT INTO conversations (client_id, owner_id, state, ai_mode, last_activity_at, last_message_id, version, created_at) \
         SELECT c.id, c.owner_id, CASE WHEN ({}) = 'client' THEN 'waiting' ELSE 'open' END, 'off', \
         (SELECT MAX(m.created_at) FROM messages m WHERE m.client_id = c.id), ({}), 0, \
         (SELECT MIN(m.created_at) FROM messages m WHERE m.client_id = c.id) \
         FROM clients c WHERE EXISTS (SELECT 1 FROM messages m WHERE m.client_id = c.id) \
         AND NOT EXISTS (SELECT 1 FROM conversations v WHERE v.client_id = c.id)",
        latest.replace("{}", "role"),
        latest.replace("{}", "id"),
    );
    let txn = db.begin().await?;
    let made = txn.execute_unprepared(&insert).await?.rows_affected();
    let assign = if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        "UPDATE messages m SET conversation_id = v.id FROM conversations v \
         WHERE v.client_id = m.client_id AND m.conversation_id IS NULL"
    } else {
        "UPDATE messages SET conversation_id = (SELECT v.id FROM conversations v WHERE v.client_id = messages.client_id) \
         WHERE conversation_id IS NULL"
    };
    txn.execute_unprepared(assign).await?;
    // Fresh statistics first: with none, PostgreSQL answers the back-fill's `idempotency_key IS
    // NULL` from that unique index, reading every message for each conversation (8 minutes instead
    // of 1 at 100,000 clients).
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        txn.execute_unprepared("ANALYZE messages").await?;
        txn.execute_unprepared("ANALYZE conversations").await?;
    }
    // Speed to lead and hand-offs, as the message writer would have kept them.
    for statement in migration::backfill_speed_to_lead(txn.get_database_backend()) {
        txn.execute_unprepared(statement).await?;
    }
    txn.commit().await?;
    // Statistics for the rows as they are now, and on PostgreSQL the dead row versions of the
    // back-fill's updates cleared (as autovacuum would, in time), so that benchmarks see the plans
    // and the index-only scans a live database would.
    let settle =
        if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres { "VACUUM ANALYZE" } else { "ANALYZE" };
    db.execute_unprepared(settle).await?;
    Ok(made)
}

async fn run(url: &str, options: Options) -> Result<(), String> {
    let url = DatabaseUrl::parse(url).map_err(|error| format!("DATABASE_URL: {error}"))?;
    let db = db::connect(&url).await.map_err(|error| format!("cannot connect: {error}"))?;
    let db = db::migrate(db, &url).await.map_err(|error| format!("cannot migrate: {error}"))?;
    let started = Instant::now();
    let now = Utc::now();
    let hash = crm::users::password::hash(PASSWORD.to_owned()).await.map_err(|error| error.to_string())?;
    let mut rng = StdRng::seed_from_u64(options.seed);
    let mut booked_hours = std::collections::HashSet::new();

    let users = insert_users(&db, options.users, &hash, now).await.map_err(|error| error.to_string())?;
    let strategies = insert_strategies(&db, &users, now).await.map_err(|error| error.to_string())?;
    let (mut messages, mut bookings) = (0, 0);
    let mut done = 0;
    while done < options.clients {
        // At most 10 messages of 5 values per client: 500 clients stay under SQLite's limit of
        // 32,766 bound parameters per statement (PostgreSQL allows 65,535).
        let size = (options.clients - done).min(BATCH);
        let (m, b) = insert_client_batch(&db, &mut rng, &strategies, done, size, now, &mut booked_hours)
            .await
            .map_err(|error| error.to_string())?;
        messages += m;
        bookings += b;
        done += size;
        if done % 50_000 < size || done == options.clients {
            eprintln!("seed: {done} / {} clients ({:.0} s)", options.clients, started.elapsed().as_secs_f64());
        }
    }
    let conversations = make_conversations(&db).await.map_err(|error| error.to_string())?;
    println!(
        "seeded {} users, {} strategies, {} clients ({conversations} conversations), {} messages, {} bookings in {:.1} s",
        users.len(),
        strategies.len(),
        options.clients,
        messages,
        bookings,
        started.elapsed().as_secs_f64()
    );
    println!("every seeded account signs in with the password: {PASSWORD}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_times_come_in_sittings_with_quick_answers_and_stay_in_the_clients_life() {
        let mut rng = StdRng::seed_from_u64(3);
        let to = DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z").unwrap().with_timezone(&Utc);
        for (days, count) in [(700, 10), (700, 1), (30, 7), (0, 10), (1, 4)] {
            let from = to - Duration::days(days) - Duration::minutes(5);
            for _ in 0..200 {
                let times = conversation_times(&mut rng, count, from, to);
                assert_eq!(times.len(), count);
                assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");
                assert!(times.iter().all(|time| *time >= from && *time <= to), "{times:?}");
                for pair in times.chunks(2).filter(|pair| pair.len() == 2) {
                    assert!(pair[1] - pair[0] <= Duration::seconds(40), "an answer came late: {times:?}");
                }
                let breaks = times.windows(2).filter(|pair| pair[1] - pair[0] > Duration::minutes(11)).count();
                assert!(breaks <= 2, "more than three sittings: {times:?}");
            }
        }
        assert!(conversation_times(&mut rng, 0, to - Duration::days(1), to).is_empty());
    }
}
