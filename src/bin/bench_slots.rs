//! Times the free-slot function for a busy calendar:
//!
//! ```text
//! cargo run --release --features ssr --bin bench_slots -- [--bookings 2000] [--runs 300] [--days 30]
//! ```
//!
//! It uses `DATABASE_URL` (default: a fresh SQLite file, `data/bench-slots.db`), migrates it, adds
//! one account (with the default "30-minute call" type and weekday hours every account gets) and
//! `--bookings` confirmed bookings spread over the weeks ahead, then asks for `--days` days of free
//! slots `--runs` times, as the calendar and the public page do. It prints p50, p90 and p99 of the
//! whole call (two indexed queries and the computation) and of the computation alone.
use std::time::{Duration as StdDuration, Instant};

use chrono::{Datelike, Duration, NaiveTime, TimeZone, Utc};
use crm::{
    bookings::{
        availability::{
            service::{self, free_slots},
            slots,
        },
        entity as bookings,
        types::entity as booking_types,
    },
    server::{config::DatabaseUrl, db},
    users::entity as users,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

struct Options {
    bookings: usize,
    runs: usize,
    days: i64,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options { bookings: 2000, runs: 300, days: 30 };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = |name: &str| {
            args.next().and_then(|value| value.parse::<usize>().ok()).ok_or(format!("{name} needs a number"))
        };
        match flag.as_str() {
            "--bookings" => options.bookings = value("--bookings")?,
            "--runs" => options.runs = value("--runs")?.max(1),
            "--days" => options.days = value("--days")?.clamp(1, 62) as i64,
            "--help" | "-h" => {
                return Err(
                    "usage: bench_slots [--bookings N] [--runs N] [--days N]   (DATABASE_URL picks the database)"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other} (try --help)")),
        }
    }
    Ok(options)
}

fn percentiles(mut samples: Vec<StdDuration>) -> String {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0;
    format!("p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms", at(0.5), at(0.9), at(0.99))
}

#[tokio::main]
async fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    if let Err(error) = run(options).await {
        eprintln!("bench_slots: {error}");
        std::process::exit(1);
    }
}

async fn run(options: Options) -> Result<(), String> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        let _ = std::fs::create_dir_all("data");
        let _ = std::fs::remove_file("data/bench-slots.db");
        "sqlite://data/bench-slots.db?mode=rwc".to_owned()
    });
    let url = DatabaseUrl::parse(&url).map_err(|error| format!("DATABASE_URL: {error}"))?;
    let db = db::connect(&url).await.map_err(|error| format!("cannot connect: {error}"))?;
    let db = db::migrate(db, &url).await.map_err(|error| format!("cannot migrate: {error}"))?;
    let error = |error: sea_orm::DbErr| error.to_string();

    let email = format!("bench-slots-{}@example.com", Utc::now().timestamp_micros());
    let txn = db.begin().await.map_err(error)?;
    let user = users::ActiveModel::new_account(email, "Bench Slots".into(), "-".into(), "user")
        .insert(&txn)
        .await
        .map_err(error)?;
    crm::domains::set_up_account(&txn, None, &user).await.map_err(|error| error.to_string())?;
    txn.commit().await.map_err(error)?;
    let booking_type = booking_types::Entity::find()
        .filter(booking_types::Column::OwnerId.eq(user.id))
        .one(&db)
        .await
        .map_err(error)?
        .ok_or("the account has no booking type")?;
    let zone = crm::server::local_time::zone(&user.timezone);

    // Half-hour bookings on weekdays between 9:00 and 17:00 in the owner's zone, from tomorrow
    // on, every other half hour: 8 a day, so 2,000 take about 250 weekdays.
    let started = Instant::now();
    let now = Utc::now();
    let mut day = now.with_timezone(&zone).date_naive() + Duration::days(1);
    let mut inserted = 0;
    let txn = db.begin().await.map_err(error)?;
    while inserted < options.bookings {
        if day.weekday().number_from_monday() <= 5 {
            for hour in 9..17 {
                if inserted == options.bookings {
                    break;
                }
                let local = day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default());
                let Some(starts_at) = zone.from_local_datetime(&local).earliest().map(|at| at.with_timezone(&Utc))
                else {
                    continue;
                };
                let ends_at = starts_at + Duration::minutes(30);
                bookings::ActiveModel {
                    owner_id: Set(user.id),
                    booking_type: Set(booking_type.name.clone()),
                    booking_type_id: Set(Some(booking_type.id)),
                    starts_at: Set(starts_at),
                    ends_at: Set(ends_at),
                    blocked_from: Set(starts_at),
                    blocked_until: Set(ends_at),
                    timezone: Set(user.timezone.clone()),
                    status: Set("confirmed".into()),
                    sequence: Set(0),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await
                .map_err(error)?;
                inserted += 1;
            }
        }
        day += Duration::days(1);
    }
    txn.commit().await.map_err(error)?;
    eprintln!("bench_slots: {inserted} bookings in {:.1} s", started.elapsed().as_secs_f64());

    // The busiest stretch: the next `days` days, which are all booked at every other half hour.
    let range = (now, now + Duration::days(options.days));
    let mut whole = Vec::with_capacity(options.runs);
    let mut offered = 0;
    for _ in 0..options.runs {
        let started = Instant::now();
        let slots = free_slots(&db, &user, &booking_type, range, zone, now).await.map_err(|error| error.to_string())?;
        whole.push(started.elapsed());
        offered = slots.len();
    }
    // The computation's inputs, read as `free_slots` reads them.
    let failed = |error: crm::shared::AppError| error.to_string();
    let (first, last) = (
        range.0.with_timezone(&zone).date_naive() - Duration::days(1),
        range.1.with_timezone(&zone).date_naive() + Duration::days(1),
    );
    let availability = service::load(&db, &user, first, last).await.map_err(failed)?;
    let (from, to) = (range.0 - Duration::days(2), range.1 + Duration::days(2));
    let busy = service::busy(&db, user.id, booking_type.id, zone, from, to).await.map_err(failed)?;
    let rules = service::rules_of(&booking_type);
    let mut computation = Vec::with_capacity(options.runs);
    for _ in 0..options.runs {
        let started = Instant::now();
        std::hint::black_box(slots::compute(&availability, &rules, &busy, range.0, range.1, now));
        computation.push(started.elapsed());
    }
    println!(
        "{} days of slots ({offered} offered) for an owner with {inserted} bookings, {} runs, {}:",
        options.days,
        options.runs,
        url.kind()
    );
    println!("  free_slots (queries and computation): {}", percentiles(whole));
    println!("  computation alone:                    {}", percentiles(computation));
    Ok(())
}
