//! The audit log: who created, changed or deleted what, and when. Always written with the same
//! connection (transaction) as the change itself, so a change without its record cannot exist.
pub mod entity;

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

/// The fields a change touched: `{"field": {"from": old, "to": new}}`. Secrets are recorded as
/// changed without their values (see [`Changes::secret`]).
#[derive(Debug, Default, Clone)]
pub struct Changes(Map<String, Value>);

impl Changes {
    pub fn new() -> Self {
        Changes::default()
    }

    /// Records `field` when `from` and `to` differ.
    pub fn diff<T: PartialEq + Into<Value>>(mut self, field: &str, from: T, to: T) -> Self {
        if from != to {
            self.0.insert(field.to_owned(), serde_json::json!({ "from": from.into(), "to": to.into() }));
        }
        self
    }

    /// Records the value of a new record's field.
    pub fn set<T: Into<Value>>(mut self, field: &str, value: T) -> Self {
        self.0.insert(field.to_owned(), serde_json::json!({ "to": value.into() }));
        self
    }

    /// Records the value a deleted record's field had, so that it can be read back.
    pub fn removed<T: Into<Value>>(mut self, field: &str, value: T) -> Self {
        self.0.insert(field.to_owned(), serde_json::json!({ "from": value.into() }));
        self
    }

    /// Records that a secret (a password) changed, without any value.
    pub fn secret(mut self, field: &str) -> Self {
        self.0.insert(field.to_owned(), serde_json::json!({ "changed": true }));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn entry(actor_id: Option<i64>, entity: &str, entity_id: i64, action: Action, changes: Changes) -> entity::ActiveModel {
    entity::ActiveModel {
        actor_id: Set(actor_id),
        entity: Set(entity.to_owned()),
        entity_id: Set(entity_id),
        action: Set(action.as_str().to_owned()),
        changes: Set((!changes.is_empty()).then_some(Value::Object(changes.0))),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
}

/// Writes one audit record with `db`, which should be the transaction of the change.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    actor_id: Option<i64>,
    entity: &str,
    entity_id: i64,
    action: Action,
    changes: Changes,
) -> Result<(), sea_orm::DbErr> {
    entry(actor_id, entity, entity_id, action, changes).insert(db).await?;
    Ok(())
}

/// Writes one record per `(entity id, changes)` of a bulk change, in multi-row inserts rather
/// than one statement per row.
pub async fn record_many<C: ConnectionTrait>(
    db: &C,
    actor_id: Option<i64>,
    entity: &str,
    action: Action,
    entries: impl IntoIterator<Item = (i64, Changes)>,
) -> Result<(), sea_orm::DbErr> {
    // Seven values a row: 1,000 rows stay far below both databases' bound-parameter limits.
    const ROWS_PER_INSERT: usize = 1_000;
    let models: Vec<entity::ActiveModel> =
        entries.into_iter().map(|(id, changes)| entry(actor_id, entity, id, action, changes)).collect();
    for chunk in models.chunks(ROWS_PER_INSERT) {
        entity::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    Ok(())
}
