//! The client page's reads (profile with bookings, conversation, activity). Each read checks that
//! the viewer may reach the client first. Notes are in `notes/`; the stage is set by `service`.
use std::collections::{HashMap, HashSet};

use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;

use super::{
    detail::{
        ActivityEntry, BookingRow, CLIENT_BOOKINGS_SHOWN, ClientDetail, MessageRow, TIMELINE_PAGE_SIZE, TimelinePage,
        TimelineQuery,
    },
    model::status_label,
    service::{CLIENT_ENTITY, find, strategy_names},
    timeline,
};
use crate::{
    audit::entity as audit_log,
    bookings::entity as bookings,
    chat::entity as messages,
    server::{local_time, state::AppState},
    shared::AppError,
    users::{entity as users, model::CurrentUser},
};

/// `(id, name, time zone)` of the given users.
async fn people<C: ConnectionTrait>(db: &C, ids: Vec<i64>) -> Result<HashMap<i64, (String, String)>, AppError> {
    let rows: Vec<(i64, String, String)> = users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .select_only()
        .columns([users::Column::Id, users::Column::Name, users::Column::Timezone])
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, name, zone)| (id, (name, zone))).collect())
}

pub(crate) async fn viewer_zone<C: ConnectionTrait>(db: &C, user: &CurrentUser) -> Result<Tz, AppError> {
    let zone: Option<String> =
        users::Entity::find_by_id(user.id).select_only().column(users::Column::Timezone).into_tuple().one(db).await?;
    Ok(local_time::zone(zone.as_deref().unwrap_or("UTC")))
}

/// The profile and the latest bookings: four queries.
pub async fn detail(state: &AppState, user: &CurrentUser, id: i64) -> Result<ClientDetail, AppError> {
    let db = &state.db;
    let client = find(db, user, id).await?;
    let people = people(db, vec![user.id, client.owner_id]).await?;
    let zone = local_time::zone(people.get(&user.id).map_or("UTC", |(_, zone)| zone.as_str()));
    let strategy_name = strategy_names(db, [client.strategy_id]).await?.remove(&client.strategy_id);
    let mut booking_rows = bookings::Entity::find()
        .filter(bookings::Column::ClientId.eq(id))
        .order_by_desc(bookings::Column::StartsAt)
        .order_by_desc(bookings::Column::Id)
        .limit(CLIENT_BOOKINGS_SHOWN + 1)
        .all(db)
        .await?;
    let more_bookings = booking_rows.len() as u64 > CLIENT_BOOKINGS_SHOWN;
    booking_rows.truncate(CLIENT_BOOKINGS_SHOWN as usize);
    Ok(ClientDetail {
        id: client.id,
        name: client.name,
        email: client.email,
        phone: client.phone,
        company: client.company,
        position: client.position,
        external_id: client.external_id,
        status: client.status,
        initial_notes: client.notes.unwrap_or_default(),
        strategy_id: client.strategy_id,
        strategy_name: strategy_name.unwrap_or_default(),
        owner_name: people.get(&client.owner_id).map(|(name, _)| name.clone()).unwrap_or_default(),
        timezone: zone.name().to_owned(),
        created_at: local_time::format(client.created_at, zone),
        last_activity_at: local_time::format(client.last_activity_at, zone),
        bookings: booking_rows
            .into_iter()
            .map(|booking| BookingRow {
                id: booking.id,
                subject: booking.subject.unwrap_or_else(|| "Appointment".to_owned()),
                booking_type: booking.booking_type,
                starts_at: local_time::format(booking.starts_at, zone),
                ends_at: local_time::format(booking.ends_at, zone),
                location: booking.location,
                status: booking.status,
            })
            .collect(),
        more_bookings,
    })
}

/// A page of the conversation, latest first: three queries.
pub async fn messages(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    query: &TimelineQuery,
) -> Result<TimelinePage<MessageRow>, AppError> {
    let db = &state.db;
    find(db, user, id).await?;
    let zone = viewer_zone(db, user).await?;
    let page = timeline::latest_first(
        db,
        messages::Entity::find().filter(messages::Column::ClientId.eq(id)),
        (messages::Column::CreatedAt, messages::Column::Id),
        query,
        TIMELINE_PAGE_SIZE,
        |message| (message.created_at, message.id),
    )
    .await?;
    Ok(TimelinePage {
        items: page
            .items
            .into_iter()
            .map(|message| MessageRow {
                id: message.id,
                role: message.role,
                body: message.body,
                channel: message.channel,
                sent_at: local_time::format(message.created_at, zone),
            })
            .collect(),
        newer: page.newer,
        older: page.older,
    })
}

fn field_label(field: &str) -> String {
    match field {
        "strategy_id" => "Strategy".to_owned(),
        "external_id" => "External id".to_owned(),
        other => {
            let mut label = other.replace('_', " ");
            if let Some(first) = label.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            label
        }
    }
}

/// A recorded value as the page shows it: statuses by label, strategies by name.
fn shown_value(field: &str, value: &Value, strategies: &HashMap<i64, String>) -> String {
    match (field, value) {
        (_, Value::Null) => "(empty)".to_owned(),
        ("status", Value::String(status)) => status_label(status).to_owned(),
        ("strategy_id", Value::Number(id)) => {
            id.as_i64().and_then(|id| strategies.get(&id).cloned()).unwrap_or_else(|| "a deleted strategy".to_owned())
        }
        (_, Value::String(text)) => text.clone(),
        (_, other) => other.to_string(),
    }
}

/// The start of a long text, for a timeline line.
fn excerpt(text: &str) -> String {
    const CHARS: usize = 80;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > CHARS { format!("{}…", text.chars().take(CHARS).collect::<String>()) } else { text }
}

/// The timeline line of a notes change: notes are too long to quote whole, so it says whether
/// text was added below them (as an import does) and quotes the start of what they were before.
fn describe_notes(label: &str, change: &Value) -> String {
    let from = change.get("from").and_then(Value::as_str).filter(|from| !from.trim().is_empty());
    let to = change.get("to").and_then(Value::as_str).unwrap_or_default();
    match from {
        None => format!("{label} edited"),
        Some(from) if to.starts_with(from) => format!("{label}: text added below the previous notes"),
        Some(from) => format!("{label} edited (before: “{}”)", excerpt(from)),
    }
}

/// One line per field of an audit record's changes.
fn describe(changes: &Value, strategies: &HashMap<i64, String>) -> Vec<String> {
    let Some(fields) = changes.as_object() else { return Vec::new() };
    fields
        .iter()
        .map(|(field, change)| {
            let label = field_label(field);
            if field == "notes" {
                return describe_notes(&label, change);
            }
            if field == "note" {
                let text = change.get("to").and_then(Value::as_str).unwrap_or_default();
                return format!("“{}”", excerpt(text));
            }
            match (change.get("from"), change.get("to")) {
                (Some(from), Some(to)) => {
                    format!(
                        "{label}: {} → {}",
                        shown_value(field, from, strategies),
                        shown_value(field, to, strategies)
                    )
                }
                (None, Some(to)) => format!("{label}: {}", shown_value(field, to, strategies)),
                _ => format!("{label} changed"),
            }
        })
        .collect()
}

fn strategy_ids_in(changes: &Value, into: &mut HashSet<i64>) {
    if let Some(change) = changes.get("strategy_id") {
        for side in ["from", "to"] {
            if let Some(id) = change.get(side).and_then(Value::as_i64) {
                into.insert(id);
            }
        }
    }
}

/// A page of the client's audit trail, latest first: at most five queries.
pub async fn activity(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    query: &TimelineQuery,
) -> Result<TimelinePage<ActivityEntry>, AppError> {
    let db = &state.db;
    find(db, user, id).await?;
    let page = timeline::latest_first(
        db,
        audit_log::Entity::find()
            .filter(audit_log::Column::Entity.eq(CLIENT_ENTITY))
            .filter(audit_log::Column::EntityId.eq(id)),
        (audit_log::Column::CreatedAt, audit_log::Column::Id),
        query,
        TIMELINE_PAGE_SIZE,
        |entry| (entry.created_at, entry.id),
    )
    .await?;
    let mut actor_ids: Vec<i64> = page.items.iter().filter_map(|entry| entry.actor_id).collect();
    actor_ids.push(user.id);
    actor_ids.sort_unstable();
    actor_ids.dedup();
    let people = people(db, actor_ids).await?;
    let zone = local_time::zone(people.get(&user.id).map_or("UTC", |(_, zone)| zone.as_str()));
    let mut strategy_ids = HashSet::new();
    for entry in &page.items {
        if let Some(changes) = &entry.changes {
            strategy_ids_in(changes, &mut strategy_ids);
        }
    }
    let strategies = strategy_names(db, strategy_ids).await?;
    let items = page
        .items
        .into_iter()
        .map(|entry| ActivityEntry {
            id: entry.id,
            at: local_time::format(entry.created_at, zone),
            actor: entry
                .actor_id
                .and_then(|actor| people.get(&actor).map(|(name, _)| name.clone()))
                .unwrap_or_else(|| "System".to_owned()),
            verb: match entry.action.as_str() {
                "create" => "created the client",
                "delete" => "deleted the client",
                _ if entry.changes.as_ref().is_some_and(|changes| changes.get("note").is_some()) => "added a note",
                _ => "changed",
            }
            .to_owned(),
            changes: entry.changes.as_ref().map(|changes| describe(changes, &strategies)).unwrap_or_default(),
        })
        .collect();
    Ok(TimelinePage { items, newer: page.newer, older: page.older })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_changes_say_what_happened_to_the_previous_text() {
        let line = |from: Value, to: &str| describe_notes("Notes", &serde_json::json!({"from": from, "to": to}));
        assert_eq!(line(Value::Null, "new"), "Notes edited");
        assert_eq!(line("Mine".into(), "Mine\n\n--- Imported ---\nmore"), "Notes: text added below the previous notes");
        let long = "x".repeat(100);
        assert_eq!(line(long.as_str().into(), "other"), format!("Notes edited (before: “{}…”)", "x".repeat(80)));
    }

    #[test]
    fn describes_changes_in_words() {
        let strategies = HashMap::from([(7, "Closer".to_owned())]);
        let changes = serde_json::json!({
            "status": {"from": "lead", "to": "won"},
            "strategy_id": {"from": 7, "to": 9},
            "notes": {"from": "Called   twice,\nno answer", "to": "long text"},
            "external_id": {"to": "ghl-1"},
            "phone": {"from": "+1 555", "to": null},
        });
        let mut lines = describe(&changes, &strategies);
        lines.sort();
        assert_eq!(
            lines,
            vec![
                "External id: ghl-1",
                "Notes edited (before: “Called twice, no answer”)",
                "Phone: +1 555 → (empty)",
                "Status: Lead → Won",
                "Strategy: Closer → a deleted strategy",
            ]
        );
    }
}
