//! Sign-up, sign-in and sessions. Every check happens here, on the server: server functions only
//! gather the request's session and address and call these functions.
use std::{net::IpAddr, sync::LazyLock, time::Duration};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    Statement,
};
use tokio::sync::OnceCell;
use tower_sessions::Session;

use super::{
    entity::{self, ROLE_ADMIN, ROLE_USER},
    model::{
        CurrentUser, MAX_EMAIL_CHARS, MAX_NAME_CHARS, MAX_PASSWORD_BYTES, Role, SignupStatus, normalize_email,
        validate_email, validate_name, validate_new_password,
    },
    password,
};
use crate::{
    server::{config::Config, sessions::USER_ID_KEY, state::AppState},
    shared::AppError,
};

/// When the session signed in (epoch seconds): the absolute timeout counts from here.
const AUTHENTICATED_AT_KEY: &str = "authenticated_at";
const REMEMBER_KEY: &str = "remember";
/// When the session last proved activity (epoch milliseconds): see [`keep_alive`].
const LAST_SEEN_KEY: &str = "last_seen_ms";

pub use crate::ui::forms::FORM_FIELD;
/// One message for an unknown email and a wrong password, so neither can be told apart.
pub const BAD_CREDENTIALS: &str = "The email or password is incorrect.";
pub const SIGNUP_CLOSED: &str = "Sign-up is closed. Ask an administrator to create an account for you.";
/// Told only to someone who entered the right password, so it reveals nothing to a guesser.
pub const ACCOUNT_DISABLED: &str = "This account is disabled. Ask an administrator to enable it again.";

/// Limits and lifetimes of sign-in (see [`Config`] for the defaults, which follow OWASP ASVS level 2).
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    pub allow_signup: bool,
    pub idle_timeout: Duration,
    pub absolute_timeout: Duration,
    pub remember_me_timeout: Duration,
    /// Failed sign-ins per account from one address, per account from every address together,
    /// and per address, in one `attempt_window`.
    pub attempts_per_account: u32,
    pub attempts_per_account_total: u32,
    pub attempts_per_ip: u32,
    pub attempt_window: Duration,
    /// Sign-up attempts per address in one `signup_window`.
    pub signup_attempts_per_ip: u32,
    pub signup_window: Duration,
}

impl AuthPolicy {
    pub fn from_config(config: &Config) -> Self {
        AuthPolicy {
            allow_signup: config.allow_signup,
            idle_timeout: config.session_idle,
            absolute_timeout: config.session_absolute,
            remember_me_timeout: config.remember_me,
            attempts_per_account: config.login_attempts_per_account,
            attempts_per_account_total: config.login_attempts_per_account_total,
            attempts_per_ip: config.login_attempts_per_ip,
            attempt_window: Duration::from_secs(15 * 60),
            signup_attempts_per_ip: config.signup_attempts_per_ip,
            signup_window: Duration::from_secs(3600),
        }
    }
}

static COMMON_PASSWORDS: LazyLock<std::collections::HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt").lines().filter(|line| !line.starts_with('#') && !line.is_empty()).collect()
});

pub fn is_common_password(password: &str) -> bool {
    COMMON_PASSWORDS.contains(password.to_lowercase().as_str())
}

/// What is wrong with a password someone chooses: length, or being one of the most common ones.
pub fn new_password_problem(password: &str) -> Option<String> {
    match validate_new_password(password) {
        Err(message) => Some(message),
        Ok(()) if is_common_password(password) => {
            Some("This password is one of the most common ones; choose a less guessable one.".to_owned())
        }
        Ok(()) => None,
    }
}

/// Checks a new account's name, email and password; the errors are keyed by field.
pub fn validate_new_account(name: &str, email: &str, password: &str) -> Result<(), AppError> {
    let mut errors = std::collections::BTreeMap::new();
    if let Err(message) = validate_name(name) {
        errors.insert("name".to_owned(), message);
    }
    if let Err(message) = validate_email(email) {
        errors.insert("email".to_owned(), message.to_owned());
    }
    if let Some(message) = new_password_problem(password) {
        errors.insert("password".to_owned(), message);
    }
    if errors.is_empty() { Ok(()) } else { Err(AppError::Validation(errors)) }
}

/// Refuses fields longer than any valid value before anything else looks at them (422 per field):
/// no limiter key, query or hash ever sees an over-long value.
fn bound_fields(name: Option<&str>, email: &str, password: &str) -> Result<(), AppError> {
    let mut errors = std::collections::BTreeMap::new();
    if let Some(name) = name
        && name.trim().chars().count() > MAX_NAME_CHARS
    {
        errors.insert("name".to_owned(), format!("Use at most {MAX_NAME_CHARS} characters."));
    }
    if email.trim().chars().count() > MAX_EMAIL_CHARS {
        errors.insert("email".to_owned(), "This email address is too long.".to_owned());
    }
    if password.len() > MAX_PASSWORD_BYTES {
        errors.insert("password".to_owned(), format!("Use at most {MAX_PASSWORD_BYTES} characters."));
    }
    if errors.is_empty() { Ok(()) } else { Err(AppError::Validation(errors)) }
}

/// The rate-limit name of a client address: an IPv4 address, or the /64 network of an IPv6 one
/// (one subscriber usually holds a whole /64, so single IPv6 addresses would cost nothing to vary).
pub fn address_key(client_ip: Option<IpAddr>) -> String {
    match client_ip {
        None => "unknown".to_owned(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The rate-limit name of an account: a hash of the normalised email, so that no raw input
/// becomes a key (fixed size, and no addresses in the limiter's store).
pub fn email_key(normalized_email: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = format!("{:x}", Sha256::digest(normalized_email.as_bytes()));
    digest[..32].to_owned()
}

fn rate_limited(decision: &crate::server::infra::RateDecision) -> AppError {
    AppError::RateLimited { retry_after_secs: decision.retry_after.as_secs().max(1) }
}

pub const EMAIL_TAKEN: &str = "An account with this email already exists.";

/// Maps a unique-index violation on insert to the email field's error (two creations with one
/// email at the same moment: the index decides).
pub fn email_conflict(error: sea_orm::DbErr) -> AppError {
    if crate::server::sql::is_unique_violation(&error) {
        AppError::field("email", EMAIL_TAKEN)
    } else {
        AppError::from(error)
    }
}

pub(crate) fn hashing_error(error: password::PasswordError) -> AppError {
    password_error(error)
}

fn to_current_user(user: &entity::Model) -> CurrentUser {
    CurrentUser {
        id: user.id,
        email: user.email.clone(),
        name: user.name.clone(),
        role: Role::parse(&user.role).unwrap_or(Role::User),
        timezone: user.timezone.clone(),
    }
}

fn session_error(error: tower_sessions::session::Error) -> AppError {
    tracing::error!(%error, "session store error");
    AppError::Unavailable
}

fn password_error(error: password::PasswordError) -> AppError {
    tracing::error!(%error, "password hashing failed");
    AppError::Internal
}

pub struct SignupInput {
    pub name: String,
    pub email: String,
    pub password: String,
    /// The browser's IANA time zone, when the sign-up page could tell it; otherwise UTC.
    pub timezone: Option<String>,
}

/// Whether visitors may create an account now, and whether it would be the first (the admin).
pub async fn signup_status(state: &AppState) -> Result<SignupStatus, AppError> {
    Ok(if !account_exists(&state.db).await? {
        SignupStatus::FirstAccount
    } else if state.auth.allow_signup {
        SignupStatus::Open
    } else {
        SignupStatus::Closed
    })
}

async fn account_exists<C: ConnectionTrait>(db: &C) -> Result<bool, AppError> {
    Ok(entity::Entity::find().count(db).await? > 0)
}

/// Creates an account without a per-address limit (start-up, tests); requests use [`signup_from`].
pub async fn signup(state: &AppState, input: SignupInput) -> Result<entity::Model, AppError> {
    create_account(state, input, None).await
}

/// Creates an account for a visitor at `client_ip`, within the per-address sign-up limit.
///
/// The cheap refusals come before the expensive hash, in this order: over-long fields (422, no
/// state anywhere), sign-up closed, the per-address limit, an email already taken, then the
/// remaining rules. The first account ever becomes an admin; later ones are users, and only
/// while open sign-up is allowed (`CRM_ALLOW_SIGNUP`).
pub async fn signup_from(
    state: &AppState,
    input: SignupInput,
    client_ip: Option<IpAddr>,
) -> Result<entity::Model, AppError> {
    create_account(state, input, Some(client_ip)).await
}

async fn create_account(
    state: &AppState,
    input: SignupInput,
    limited_for: Option<Option<IpAddr>>,
) -> Result<entity::Model, AppError> {
    bound_fields(Some(&input.name), &input.email, &input.password)?;
    let email = normalize_email(&input.email);
    if !state.auth.allow_signup && account_exists(&state.db).await? {
        return Err(AppError::Refused(SIGNUP_CLOSED.to_owned()));
    }
    if let Some(client_ip) = limited_for {
        let key = format!("signup:ip:{}", address_key(client_ip));
        let decision =
            state.infra.rate_limiter.acquire(&key, state.auth.signup_attempts_per_ip, state.auth.signup_window).await?;
        if !decision.allowed {
            return Err(rate_limited(&decision));
        }
    }
    if entity::Entity::find().filter(entity::Column::Email.eq(&email)).count(&state.db).await? > 0 {
        return Err(AppError::field("email", "An account with this email already exists. Sign in instead."));
    }
    validate_new_account(&input.name, &input.email, &input.password)?;
    let password_hash = password::hash(input.password).await.map_err(password_error)?;
    let zone = input.timezone.as_deref().filter(|zone| zone.len() <= 64 && zone.parse::<chrono_tz::Tz>().is_ok());
    insert_new_account(state, &email, input.name.trim(), &password_hash, zone).await
}

/// The last step of sign-up, once every check passed and the password is hashed: inserts the
/// account as the first one (the admin) or as a later one. Public so that tests can race it
/// without paying for a hash each time.
#[doc(hidden)]
pub async fn insert_new_account(
    state: &AppState,
    email: &str,
    name: &str,
    password_hash: &str,
    timezone: Option<&str>,
) -> Result<entity::Model, AppError> {
    // A concurrent first sign-up that lost the race for the first-account mark (see
    // `insert_account`) is tried once more, now as a later account.
    match insert_account(state, email, name, password_hash, timezone).await? {
        Some(user) => Ok(user),
        None => insert_account(state, email, name, password_hash, timezone).await?.ok_or(AppError::Internal),
    }
}

/// Inserts the account in one transaction; `None` when it was to be the first account but another
/// sign-up took that place at the same moment (the transaction is rolled back).
///
/// "The first account becomes the admin" is enforced by the database, not by the count alone:
/// on PostgreSQL two transactions can both count zero accounts. The first account is marked
/// `first_account = TRUE`, and a unique index admits one such row ever, so the second marking
/// fails and that sign-up is retried as an ordinary later one (a member when sign-up is open,
/// "sign-up is closed" otherwise), exactly as if it had arrived a moment later.
async fn insert_account(
    state: &AppState,
    email: &str,
    name: &str,
    password_hash: &str,
    timezone: Option<&str>,
) -> Result<Option<entity::Model>, AppError> {
    let txn = crate::server::db::begin_write(&state.db).await?;
    let first_account = !account_exists(&txn).await?;
    if !first_account && !state.auth.allow_signup {
        return Err(AppError::Refused(SIGNUP_CLOSED.to_owned()));
    }
    let role = if first_account { ROLE_ADMIN } else { ROLE_USER };
    let mut account =
        entity::ActiveModel::new_account(email.to_owned(), name.to_owned(), password_hash.to_owned(), role);
    if let Some(zone) = timezone {
        account.timezone = sea_orm::Set(zone.to_owned());
    }
    let user = account.insert(&txn).await.map_err(email_conflict)?;
    if first_account && !mark_first_account(&txn, user.id).await? {
        txn.rollback().await?;
        return Ok(None);
    }
    crate::domains::set_up_account(&txn, Some(user.id), &user).await?;
    crate::audit::record(
        &txn,
        Some(user.id),
        "user",
        user.id,
        crate::audit::Action::Create,
        crate::audit::Changes::new().set("email", user.email.clone()).set("role", role),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(user))
}

/// Marks `user_id` as the first account; `false` when another account already holds the mark.
async fn mark_first_account(txn: &DatabaseTransaction, user_id: i64) -> Result<bool, AppError> {
    let backend = txn.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => "UPDATE users SET first_account = TRUE WHERE id = $1",
        _ => "UPDATE users SET first_account = TRUE WHERE id = ?",
    };
    match txn.execute_raw(Statement::from_sql_and_values(backend, sql, [user_id.into()])).await {
        Ok(_) => Ok(true),
        Err(error) if crate::server::sql::is_unique_violation(&error) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// A hash of a random password, verified against when the email is unknown, so that an unknown
/// email costs the same time as a wrong password.
async fn decoy_hash() -> Result<&'static str, AppError> {
    static DECOY: OnceCell<String> = OnceCell::const_new();
    DECOY
        .get_or_try_init(|| password::hash(uuid::Uuid::new_v4().to_string()))
        .await
        .map(String::as_str)
        .map_err(password_error)
}

/// Checks the credentials under three limits of failed sign-ins per window: per client address,
/// per account from that address, and per account from every address together.
///
/// - Over-long fields are refused first (422) and create no state.
/// - Limits are checked in that order, and a request refused by one creates no state in the
///   others (nor in the one that refused it): refused requests never extend a lock.
/// - Only failed password checks count. A correct password gives its slots back and clears the
///   account's counter for that address, so signing in never uses up an address's budget, and
///   another address guessing at an account does not lock its owner out (short of the looser
///   total per account).
/// - A disabled account is told so only after the right password; a wrong one gets the generic
///   message.
pub async fn authenticate(
    state: &AppState,
    email: &str,
    password_attempt: String,
    client_ip: Option<IpAddr>,
) -> Result<entity::Model, AppError> {
    bound_fields(None, email, &password_attempt)?;
    let email = normalize_email(email);
    if email.is_empty() || password_attempt.is_empty() {
        return Err(AppError::field(FORM_FIELD, BAD_CREDENTIALS));
    }
    let policy = &state.auth;
    let limiter = &state.infra.rate_limiter;
    let address = address_key(client_ip);
    let account = email_key(&email);
    let ip_key = format!("login:ip:{address}");
    let pair_key = format!("login:account:{account}:{address}");
    let account_key = format!("login:account:{account}");
    let limits = [
        (&ip_key, policy.attempts_per_ip),
        (&pair_key, policy.attempts_per_account),
        (&account_key, policy.attempts_per_account_total),
    ];
    for (taken, (key, limit)) in limits.iter().enumerate() {
        let decision = limiter.acquire(key, *limit, policy.attempt_window).await?;
        if !decision.allowed {
            for (key, _) in &limits[..taken] {
                limiter.release(key).await?;
            }
            return Err(rate_limited(&decision));
        }
    }

    let user = entity::Entity::find().filter(entity::Column::Email.eq(&email)).one(&state.db).await?;
    let hash = match &user {
        Some(user) => user.password_hash.clone(),
        None => decoy_hash().await?.to_owned(),
    };
    let matches = password::verify(password_attempt, hash).await.map_err(password_error)?;
    match user {
        Some(user) if matches => {
            limiter.release(&ip_key).await?;
            limiter.reset(&pair_key).await?;
            limiter.release(&account_key).await?;
            if user.is_active { Ok(user) } else { Err(AppError::Refused(ACCOUNT_DISABLED.to_owned())) }
        }
        _ => Err(AppError::field(FORM_FIELD, BAD_CREDENTIALS)),
    }
}

/// Signs `user` in on `session`: a new session id (no fixation), the user id and the sign-in time.
pub async fn start_session(session: &Session, user: &entity::Model, remember: bool) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    session.insert(USER_ID_KEY, user.id).await.map_err(session_error)?;
    session.insert(AUTHENTICATED_AT_KEY, Utc::now().timestamp()).await.map_err(session_error)?;
    session.insert(REMEMBER_KEY, remember).await.map_err(session_error)?;
    session.insert(LAST_SEEN_KEY, Utc::now().timestamp_millis()).await.map_err(session_error)?;
    Ok(())
}

/// Ends the session everywhere it is stored.
pub async fn end_session(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)
}

/// The user signed in on `session`, if any: the session must be within its absolute lifetime and
/// the account still active, otherwise the session is ended.
pub async fn current_user(state: &AppState, session: &Session) -> Result<Option<CurrentUser>, AppError> {
    let Some(user_id) = session.get::<i64>(USER_ID_KEY).await.map_err(session_error)? else {
        return Ok(None);
    };
    let authenticated_at = session.get::<i64>(AUTHENTICATED_AT_KEY).await.map_err(session_error)?.unwrap_or(0);
    let remember = session.get::<bool>(REMEMBER_KEY).await.map_err(session_error)?.unwrap_or(false);
    let lifetime = if remember { state.auth.remember_me_timeout } else { state.auth.absolute_timeout };
    let age = Utc::now().timestamp().saturating_sub(authenticated_at);
    if age < 0 || age as u64 >= lifetime.as_secs() {
        end_session(session).await?;
        return Ok(None);
    }
    if let Some(user) = user_checked_by_guard(user_id) {
        return Ok(Some(user));
    }
    match entity::Entity::find_by_id(user_id).one(&state.db).await? {
        Some(user) if user.is_active => {
            keep_alive(session, state.auth.idle_timeout).await?;
            Ok(Some(to_current_user(&user)))
        }
        _ => {
            end_session(session).await?;
            Ok(None)
        }
    }
}

/// While a page renders, the page guard has already resolved the user of this very request and
/// left it in the request's extensions: looking it up again would cost a second query. It is used
/// only when it is the session's own user: the reactive context is found through a thread-local
/// owner, and code running outside any owner (middleware) must never see another request's user.
fn user_checked_by_guard(session_user_id: i64) -> Option<CurrentUser> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CurrentUser>().cloned())
        .filter(|user| user.id == session_user_id)
}

/// Pushes the idle deadline forward. The session store writes only when the session changed, so
/// the session is changed (and written) at most once per quarter of the idle timeout rather than
/// on every request.
async fn keep_alive(session: &Session, idle_timeout: Duration) -> Result<(), AppError> {
    let now_ms = Utc::now().timestamp_millis();
    let last_seen = session.get::<i64>(LAST_SEEN_KEY).await.map_err(session_error)?.unwrap_or(0);
    let quarter_ms = i64::try_from(idle_timeout.as_millis() / 4).unwrap_or(i64::MAX);
    if now_ms.saturating_sub(last_seen) >= quarter_ms {
        session.insert(LAST_SEEN_KEY, now_ms).await.map_err(session_error)?;
    }
    Ok(())
}

/// Signs the current user out of every other session (other browsers and devices); returns how
/// many sessions ended.
pub async fn end_other_sessions(state: &AppState, session: &Session) -> Result<u64, AppError> {
    let user = require_user(state, session).await?;
    state.sessions.delete_user_sessions(user.id, session.id()).await.map_err(|error| {
        tracing::error!(%error, "could not end the other sessions");
        AppError::Unavailable
    })
}

/// The signed-in user, or 401.
pub async fn require_user(state: &AppState, session: &Session) -> Result<CurrentUser, AppError> {
    current_user(state, session).await?.ok_or(AppError::Unauthenticated)
}

/// Inside a server function: the app's state and the signed-in user of the request, or 401.
pub async fn signed_in() -> Result<(AppState, CurrentUser), AppError> {
    let state = crate::server::state::current()?;
    let user = require_user(&state, &crate::server::request::session().await?).await?;
    Ok((state, user))
}

/// The signed-in admin, or 401/403.
pub async fn require_admin(state: &AppState, session: &Session) -> Result<CurrentUser, AppError> {
    let user = require_user(state, session).await?;
    if user.is_admin() { Ok(user) } else { Err(AppError::Forbidden) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_keyed_by_ipv4_address_or_ipv6_network() {
        let key = |raw: &str| address_key(Some(raw.parse().unwrap()));
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2:aaaa::1"), "one /64, one budget");
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(address_key(None), "unknown");
    }

    #[test]
    fn account_keys_are_fixed_size_hashes_of_the_normalised_email() {
        let key = email_key(&crate::users::model::normalize_email("  Ana@Example.COM "));
        assert_eq!(key, email_key("ana@example.com"));
        assert_eq!(key.len(), 32);
        assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(key, email_key("bo@example.com"));
    }

    #[test]
    fn common_passwords_are_recognised_whatever_their_case() {
        assert!(is_common_password("password123"));
        assert!(is_common_password("PassWord123"));
        assert!(!is_common_password("violet staircase at noon"));
    }
}
