//! Strategies of the acting user: list, read, create, change, copy and delete. A user reaches only
//! their own strategies and an admin everyone's; a strategy out of reach is "not found", so that
//! ids do not reveal what other users have.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set, SqlErr,
    sea_query::{Expr, Func, LikeExpr},
};
use serde_json::Value;

use super::{
    entity,
    model::{
        ExampleTurn, STRATEGIES_PER_PAGE, Strategy, StrategyDetails, StrategyFields, StrategyForm, StrategyList,
        StrategyOption, StrategyRow, StrategySort, copy_name, validate,
    },
    usage,
};
use crate::{
    audit::{self, Action, Changes},
    server::sql::like_pattern,
    server::state::AppState,
    shared::AppError,
    users::{entity as users, model::CurrentUser},
};

const STRATEGY_ENTITY: &str = "strategy";
const CLIENT_ENTITY: &str = "client";

/// Now, to the microsecond that PostgreSQL keeps, so that what is returned equals what is stored.
fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

fn not_found() -> AppError {
    AppError::NotFound("This strategy".to_owned())
}

/// The strategies `user` may see: their own and the shared ones (an admin: all).
fn scoped(user: &CurrentUser) -> Select<entity::Entity> {
    let select = entity::Entity::find();
    if user.is_admin() {
        select
    } else {
        select.filter(Condition::any().add(entity::Column::OwnerId.eq(user.id)).add(entity::Column::Shared.eq(true)))
    }
}

async fn find_reachable<C: ConnectionTrait>(db: &C, user: &CurrentUser, id: i64) -> Result<entity::Model, AppError> {
    scoped(user).filter(entity::Column::Id.eq(id)).one(db).await?.ok_or_else(not_found)
}

fn may_change(user: &CurrentUser, strategy: &entity::Model) -> bool {
    user.is_admin() || strategy.owner_id == user.id
}

/// A strategy `user` may change: their own (an admin: any). A shared strategy of someone else is
/// read-only for them.
async fn find_changeable<C: ConnectionTrait>(db: &C, user: &CurrentUser, id: i64) -> Result<entity::Model, AppError> {
    let strategy = find_reachable(db, user, id).await?;
    if !may_change(user, &strategy) {
        return Err(AppError::Refused(
            "Only its owner or an admin changes a shared strategy; duplicate it to make your own.".to_owned(),
        ));
    }
    Ok(strategy)
}

/// Whether `user` may use `strategy_id` (for example as a client's strategy).
pub async fn reachable<C: ConnectionTrait>(db: &C, user: &CurrentUser, strategy_id: i64) -> Result<bool, DbErr> {
    Ok(scoped(user).filter(entity::Column::Id.eq(strategy_id)).count(db).await? > 0)
}

fn text_of(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

/// Empty strings are stored as NULL.
fn optional(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

fn conversation_of(model: &entity::Model) -> Vec<ExampleTurn> {
    model.example_conversation.clone().and_then(|json| serde_json::from_value(json).ok()).unwrap_or_default()
}

fn conversation_json(turns: &[ExampleTurn]) -> Value {
    serde_json::to_value(turns).unwrap_or_default()
}

pub fn fields_of(model: &entity::Model) -> StrategyFields {
    StrategyFields {
        name: model.name.clone(),
        tag: text_of(&model.tag),
        tone: text_of(&model.tone),
        ai_instructions: model.ai_instructions.clone(),
        objective: text_of(&model.objective),
        objection_handling: text_of(&model.objection_handling),
        qualification_priority: text_of(&model.qualification_priority),
        disqualification_criteria: text_of(&model.disqualification_criteria),
        creativity: u8::try_from(model.creativity).unwrap_or_default(),
        example_conversation: conversation_of(model),
        reply_delay_min: u32::try_from(model.reply_delay_min).unwrap_or_default(),
        reply_delay_max: u32::try_from(model.reply_delay_max).unwrap_or_default(),
        default_ai_mode: model.default_ai_mode.clone(),
        takeover_minutes: u32::try_from(model.takeover_minutes).unwrap_or_default(),
        ai_message_cap: u32::try_from(model.ai_message_cap).unwrap_or(1),
        followup_minutes: model.followup_minutes.split(',').filter_map(|minutes| minutes.trim().parse().ok()).collect(),
    }
}

fn strategy_of(model: &entity::Model) -> Strategy {
    Strategy {
        id: model.id,
        owner_id: model.owner_id,
        fields: fields_of(model),
        created_at: model.created_at.to_rfc3339(),
        updated_at: model.updated_at.to_rfc3339(),
    }
}

/// Sets every content column of `active` to `fields`.
fn assign(active: &mut entity::ActiveModel, fields: &StrategyFields) {
    active.name = Set(fields.name.clone());
    active.tag = Set(optional(&fields.tag));
    active.tone = Set(optional(&fields.tone));
    active.ai_instructions = Set(fields.ai_instructions.clone());
    active.objective = Set(optional(&fields.objective));
    active.objection_handling = Set(optional(&fields.objection_handling));
    active.qualification_priority = Set(optional(&fields.qualification_priority));
    active.disqualification_criteria = Set(optional(&fields.disqualification_criteria));
    active.creativity = Set(i16::from(fields.creativity));
    active.example_conversation =
        Set((!fields.example_conversation.is_empty()).then(|| conversation_json(&fields.example_conversation)));
    // Validation caps both at a day, far below i32::MAX.
    active.reply_delay_min = Set(i32::try_from(fields.reply_delay_min).unwrap_or(i32::MAX));
    active.reply_delay_max = Set(i32::try_from(fields.reply_delay_max).unwrap_or(i32::MAX));
    active.default_ai_mode = Set(fields.default_ai_mode.clone());
    active.takeover_minutes = Set(i32::try_from(fields.takeover_minutes).unwrap_or(i32::MAX));
    active.ai_message_cap = Set(i32::try_from(fields.ai_message_cap).unwrap_or(i32::MAX));
    active.followup_minutes = Set(followup_column(&fields.followup_minutes));
}

/// The follow-up waits as stored: minutes, comma-separated.
fn followup_column(minutes: &[u32]) -> String {
    minutes.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// Each field's value as the audit log records it.
fn audited_values(fields: &StrategyFields) -> [(&'static str, Value); 16] {
    [
        ("name", fields.name.clone().into()),
        ("tag", fields.tag.clone().into()),
        ("tone", fields.tone.clone().into()),
        ("ai_instructions", fields.ai_instructions.clone().into()),
        ("objective", fields.objective.clone().into()),
        ("objection_handling", fields.objection_handling.clone().into()),
        ("qualification_priority", fields.qualification_priority.clone().into()),
        ("disqualification_criteria", fields.disqualification_criteria.clone().into()),
        ("creativity", fields.creativity.into()),
        ("example_conversation", conversation_json(&fields.example_conversation)),
        ("reply_delay_min", fields.reply_delay_min.into()),
        ("reply_delay_max", fields.reply_delay_max.into()),
        ("default_ai_mode", fields.default_ai_mode.clone().into()),
        ("takeover_minutes", fields.takeover_minutes.into()),
        ("ai_message_cap", fields.ai_message_cap.into()),
        ("followups", crate::strategies::model::waits_text(&fields.followup_minutes).into()),
    ]
}

/// A new strategy's fields that are set.
fn created(fields: &StrategyFields) -> Changes {
    audited_values(fields)
        .into_iter()
        .filter(|(_, value)| !matches!(value, Value::String(text) if text.is_empty()))
        .filter(|(_, value)| !matches!(value, Value::Array(items) if items.is_empty()))
        .fold(Changes::new(), |changes, (field, value)| changes.set(field, value))
}

fn changed(before: &StrategyFields, after: &StrategyFields) -> Changes {
    audited_values(before)
        .into_iter()
        .zip(audited_values(after))
        .fold(Changes::new(), |changes, ((field, from), (_, to))| changes.diff(field, from, to))
}

fn validated(form: &StrategyForm) -> Result<StrategyFields, AppError> {
    validate(form).map_err(AppError::Validation)
}

async fn owner_names<C: ConnectionTrait>(
    db: &C,
    owner_ids: Vec<i64>,
) -> Result<std::collections::HashMap<i64, String>, DbErr> {
    Ok(users::Entity::find()
        .filter(users::Column::Id.is_in(owner_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|user| (user.id, user.name))
        .collect())
}

fn ordered(select: Select<entity::Entity>, sort: StrategySort) -> Select<entity::Entity> {
    match sort {
        // Lower-cased, so that both backends sort "beta" between "Alpha" and "Gamma".
        StrategySort::Name => {
            select.order_by(Func::lower(Expr::col(entity::Column::Name)), Order::Asc).order_by_asc(entity::Column::Id)
        }
        StrategySort::Updated => select.order_by_desc(entity::Column::UpdatedAt).order_by_desc(entity::Column::Id),
        StrategySort::Created => select.order_by_desc(entity::Column::CreatedAt).order_by_desc(entity::Column::Id),
    }
}

/// One page of the strategies `user` reaches whose name or tag contains `query`.
pub async fn list(
    state: &AppState,
    user: &CurrentUser,
    query: &str,
    sort: StrategySort,
    page: u64,
) -> Result<StrategyList, AppError> {
    crate::shared::search::check_search(query)?;
    let db = &state.db;
    let mut select = scoped(user);
    if !query.trim().is_empty() {
        // Scoped: ExprTrait is implemented for every type and would shadow `Ord::max` below.
        use sea_orm::sea_query::ExprTrait as _;
        let pattern = like_pattern(query);
        let lower = |column: entity::Column| Expr::expr(Func::lower(Expr::col(column)));
        select = select.filter(
            Condition::any()
                .add(lower(entity::Column::Name).like(LikeExpr::new(&pattern).escape('\\')))
                .add(lower(entity::Column::Tag).like(LikeExpr::new(&pattern).escape('\\'))),
        );
    }
    let total = select.clone().count(db).await?;
    let pages = total.div_ceil(STRATEGIES_PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let models =
        ordered(select, sort).offset((page - 1) * STRATEGIES_PER_PAGE).limit(STRATEGIES_PER_PAGE).all(db).await?;
    let ids: Vec<i64> = models.iter().map(|model| model.id).collect();
    let clients = usage::counts(db, &ids).await?;
    let default = default_for(db, user.id).await?;
    let owners = if user.is_admin() {
        owner_names(db, models.iter().map(|model| model.owner_id).collect()).await?
    } else {
        Default::default()
    };
    let rows = models
        .into_iter()
        .map(|model| StrategyRow {
            id: model.id,
            clients: clients.get(&model.id).copied().unwrap_or(0),
            is_default: default == Some(model.id),
            shared: model.shared,
            owner_name: user.is_admin().then(|| owners.get(&model.owner_id).cloned().unwrap_or_default()),
            updated_on: model.updated_at.format("%Y-%m-%d").to_string(),
            creativity: u8::try_from(model.creativity).unwrap_or_default(),
            tag: text_of(&model.tag),
            tone: text_of(&model.tone),
            name: model.name,
        })
        .collect();
    Ok(StrategyList { rows, total, page, pages, sort, shows_owners: user.is_admin() })
}

pub async fn get(state: &AppState, user: &CurrentUser, id: i64) -> Result<Strategy, AppError> {
    let db = &state.db;
    Ok(strategy_of(&find_reachable(db, user, id).await?))
}

/// The owner's strategies other than `except`, by name.
async fn others_of_owner<C: ConnectionTrait>(db: &C, owner_id: i64, except: i64) -> Result<Vec<StrategyOption>, DbErr> {
    Ok(ordered(entity::Entity::find(), StrategySort::Name)
        .filter(entity::Column::OwnerId.eq(owner_id))
        .filter(entity::Column::Id.ne(except))
        .all(db)
        .await?
        .into_iter()
        .map(|model| StrategyOption { id: model.id, name: model.name })
        .collect())
}

/// The strategy with what the editor shows around it: owner, clients using it, where they can move.
pub async fn details(state: &AppState, user: &CurrentUser, id: i64) -> Result<StrategyDetails, AppError> {
    let db = &state.db;
    let model = find_reachable(db, user, id).await?;
    let owner_name = users::Entity::find_by_id(model.owner_id).one(db).await?.map(|owner| owner.name);
    Ok(StrategyDetails {
        clients_using: usage::count(db, model.id).await?,
        move_targets: others_of_owner(db, model.owner_id, model.id).await?,
        owner_name: owner_name.unwrap_or_default(),
        owned_by_viewer: model.owner_id == user.id,
        can_change: may_change(user, &model),
        can_share: user.is_admin(),
        shared: model.shared,
        is_default: default_for(db, user.id).await? == Some(model.id),
        strategy: strategy_of(&model),
    })
}

/// The strategy new clients of `user_id` get unless another is chosen, if they have one.
pub async fn default_for<C: ConnectionTrait>(db: &C, user_id: i64) -> Result<Option<i64>, DbErr> {
    Ok(users::Entity::find_by_id(user_id)
        .select_only()
        .column(users::Column::DefaultStrategyId)
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten())
}

/// A new strategy of `user`; their first becomes their default for new clients.
async fn insert<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    fields: &StrategyFields,
) -> Result<entity::Model, AppError> {
    let now = now();
    let mut active = entity::ActiveModel {
        owner_id: Set(user.id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    assign(&mut active, fields);
    let model = active.insert(db).await?;
    // One statement, so that two first strategies made at once cannot both claim it.
    users::Entity::update_many()
        .col_expr(users::Column::DefaultStrategyId, model.id.into())
        .filter(users::Column::Id.eq(user.id))
        .filter(users::Column::DefaultStrategyId.is_null())
        .exec(db)
        .await?;
    audit::record(db, Some(user.id), STRATEGY_ENTITY, model.id, Action::Create, created(fields)).await?;
    Ok(model)
}

/// A new strategy owned by `user`.
pub async fn create(state: &AppState, user: &CurrentUser, form: &StrategyForm) -> Result<Strategy, AppError> {
    let db = &state.db;
    let fields = validated(form)?;
    let txn = crate::server::db::begin_write(db).await?;
    let model = insert(&txn, user, &fields).await?;
    txn.commit().await?;
    Ok(strategy_of(&model))
}

pub async fn update(state: &AppState, user: &CurrentUser, id: i64, form: &StrategyForm) -> Result<Strategy, AppError> {
    let db = &state.db;
    let fields = validated(form)?;
    let txn = crate::server::db::begin_write(db).await?;
    let model = find_changeable(&txn, user, id).await?;
    let changes = changed(&fields_of(&model), &fields);
    if changes.is_empty() {
        return Ok(strategy_of(&model));
    }
    let mut active = model.into_active_model();
    assign(&mut active, &fields);
    active.updated_at = Set(now());
    let model = active.update(&txn).await?;
    audit::record(&txn, Some(user.id), STRATEGY_ENTITY, model.id, Action::Update, changes).await?;
    txn.commit().await?;
    Ok(strategy_of(&model))
}

/// A copy named "… (copy)". It belongs to `user`, who made it, even when an admin copies
/// someone else's strategy.
pub async fn duplicate(state: &AppState, user: &CurrentUser, id: i64) -> Result<Strategy, AppError> {
    let db = &state.db;
    let txn = crate::server::db::begin_write(db).await?;
    let original = find_reachable(&txn, user, id).await?;
    let fields = StrategyFields { name: copy_name(&original.name), ..fields_of(&original) };
    let copy = insert(&txn, user, &fields).await?;
    txn.commit().await?;
    Ok(strategy_of(&copy))
}

/// Makes a strategy the one new clients get unless another is chosen: `user`'s own default for
/// their strategy or a shared one; an admin making another user's strategy the default does it for
/// that user, its owner.
pub async fn make_default(state: &AppState, user: &CurrentUser, id: i64) -> Result<(), AppError> {
    let txn = crate::server::db::begin_write(&state.db).await?;
    let strategy = find_reachable(&txn, user, id).await?;
    let for_user = if strategy.owner_id == user.id || strategy.shared { user.id } else { strategy.owner_id };
    let before = default_for(&txn, for_user).await?;
    if before == Some(strategy.id) {
        return Ok(());
    }
    users::Entity::update_many()
        .col_expr(users::Column::DefaultStrategyId, strategy.id.into())
        .filter(users::Column::Id.eq(for_user))
        .exec(&txn)
        .await?;
    let changes = Changes::new().diff("default_strategy_id", before, Some(strategy.id));
    audit::record(&txn, Some(user.id), "user", for_user, Action::Update, changes).await?;
    txn.commit().await?;
    Ok(())
}

/// Refuses to stop sharing or delete a strategy that other users' clients use: those clients would
/// be left with a strategy their owner cannot reach.
async fn refuse_if_others_use<C: ConnectionTrait>(
    db: &C,
    strategy: &entity::Model,
    doing: &str,
) -> Result<(), AppError> {
    let others = usage::count_of_other_owners(db, strategy.id, strategy.owner_id).await?;
    if others > 0 {
        let clients = if others == 1 { "1 client".to_owned() } else { format!("{others} clients") };
        return Err(AppError::Conflict(format!(
            "{clients} of other users use this shared strategy; they must move to another strategy before {doing}."
        )));
    }
    Ok(())
}

/// Shares a strategy with the team, or stops sharing it (admins only; the caller checks). When
/// sharing stops, other users' default for new clients stops being this strategy.
pub async fn set_shared(state: &AppState, admin: &CurrentUser, id: i64, shared: bool) -> Result<(), AppError> {
    let txn = crate::server::db::begin_write(&state.db).await?;
    let strategy = find_reachable(&txn, admin, id).await?;
    if strategy.shared == shared {
        return Ok(());
    }
    if !shared {
        refuse_if_others_use(&txn, &strategy, "sharing stops").await?;
        users::Entity::update_many()
            .col_expr(users::Column::DefaultStrategyId, Expr::value(Option::<i64>::None))
            .filter(users::Column::DefaultStrategyId.eq(strategy.id))
            .filter(users::Column::Id.ne(strategy.owner_id))
            .exec(&txn)
            .await?;
    }
    entity::Entity::update_many()
        .col_expr(entity::Column::Shared, shared.into())
        .filter(entity::Column::Id.eq(strategy.id))
        .exec(&txn)
        .await?;
    let changes = Changes::new().diff("shared", strategy.shared, shared);
    audit::record(&txn, Some(admin.id), STRATEGY_ENTITY, strategy.id, Action::Update, changes).await?;
    txn.commit().await?;
    Ok(())
}

fn clients_phrase(count: u64) -> String {
    if count == 1 { "1 client uses".to_owned() } else { format!("{count} clients use") }
}

/// Checks that `target` can take over the clients of `strategy`.
async fn move_target<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    strategy: &entity::Model,
    target: i64,
) -> Result<entity::Model, AppError> {
    const FIELD: &str = "move_clients_to";
    if target == strategy.id {
        return Err(AppError::field(FIELD, "Choose a strategy other than the one you are deleting."));
    }
    match find_reachable(db, user, target).await {
        Ok(target) if target.owner_id == strategy.owner_id => Ok(target),
        Ok(_) | Err(AppError::NotFound(_)) => {
            Err(AppError::field(FIELD, "Choose one of the owner's other strategies for these clients."))
        }
        Err(error) => Err(error),
    }
}

/// Moves the clients of `strategy` to `target`, recording each client's change.
async fn move_clients<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    strategy: &entity::Model,
    target: &entity::Model,
) -> Result<(), AppError> {
    let client_ids = usage::client_ids(db, strategy.id).await?;
    usage::move_clients(db, strategy.id, target.id).await?;
    let entries = client_ids.into_iter().map(|id| (id, Changes::new().diff("strategy_id", strategy.id, target.id)));
    audit::record_many(db, Some(user.id), CLIENT_ENTITY, Action::Update, entries).await?;
    Ok(())
}

/// A client given this strategy after the count cannot be left without one: the foreign key
/// refuses the delete, and the user is asked to try again.
fn delete_refused(error: DbErr) -> AppError {
    match error.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => AppError::Conflict(
            "A client was just given this strategy; try again to move them too before deleting it.".to_owned(),
        ),
        _ => error.into(),
    }
}

/// Deletes a strategy. Clients using it must move to `move_clients_to`, another strategy of the
/// same owner; moving and deleting happen in one transaction.
pub async fn delete(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    move_clients_to: Option<i64>,
) -> Result<(), AppError> {
    let db = &state.db;
    let txn = crate::server::db::begin_write(db).await?;
    let strategy = find_changeable(&txn, user, id).await?;
    refuse_if_others_use(&txn, &strategy, "deleting it").await?;
    let clients = usage::count(&txn, strategy.id).await?;
    let mut changes = Changes::new().set("name", strategy.name.clone());
    if clients > 0 {
        let Some(target) = move_clients_to else {
            return Err(AppError::Conflict(format!(
                "{} this strategy; choose another strategy to move them to before deleting it.",
                clients_phrase(clients)
            )));
        };
        let target = move_target(&txn, user, &strategy, target).await?;
        move_clients(&txn, user, &strategy, &target).await?;
        changes = changes.set("clients_moved", clients).set("clients_moved_to", target.id);
    }
    entity::Entity::delete_by_id(strategy.id).exec(&txn).await.map_err(delete_refused)?;
    audit::record(&txn, Some(user.id), STRATEGY_ENTITY, strategy.id, Action::Delete, changes).await?;
    txn.commit().await.map_err(delete_refused)?;
    Ok(())
}

/// The strategies `user` can give a client, by name.
pub async fn options(state: &AppState, user: &CurrentUser) -> Result<Vec<StrategyOption>, AppError> {
    let db = &state.db;
    Ok(ordered(scoped(user), StrategySort::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|model| StrategyOption { id: model.id, name: model.name })
        .collect())
}
