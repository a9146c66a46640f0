//! Configuration from the environment (and an optional `.env`). Every bad value is reported as one
//! clear line naming the variable; `main` prints it and exits with code 1.
use std::{
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

use thiserror::Error;

pub const DEFAULT_SQLITE_PATH: &str = "data/crm.db";
pub const DEFAULT_SITE_ADDR: &str = "127.0.0.1:3000";

#[derive(Debug, Error, PartialEq, Eq)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

fn bad(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { variable, problem: problem.into() }
}

#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `path` is the file (or `:memory:`), `url` the full sqlx URL.
    Sqlite {
        path: String,
        url: String,
    },
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let raw = raw.trim();
        let (scheme, _) = raw
            .split_once(':')
            .ok_or_else(|| bad("DATABASE_URL", "not a URL (expected sqlite://PATH or postgres://USER@HOST/DB)"))?;
        match scheme {
            "sqlite" => {
                let rest = raw.trim_start_matches("sqlite:").trim_start_matches("//");
                let path = rest.split('?').next().unwrap_or_default().to_owned();
                if path.is_empty() {
                    return Err(bad("DATABASE_URL", "the sqlite URL names no file (expected sqlite://data/crm.db)"));
                }
                let url = if rest.contains("mode=") {
                    format!("sqlite://{rest}")
                } else if rest.contains('?') {
                    format!("sqlite://{rest}&mode=rwc")
                } else {
                    format!("sqlite://{rest}?mode=rwc")
                };
                Ok(DatabaseUrl::Sqlite { path, url })
            }
            "postgres" | "postgresql" => {
                let parsed = url::Url::parse(raw)
                    .map_err(|error| bad("DATABASE_URL", format!("not a valid PostgreSQL URL: {error}")))?;
                if parsed.host_str().unwrap_or_default().is_empty() {
                    return Err(bad("DATABASE_URL", "the PostgreSQL URL names no host"));
                }
                Ok(DatabaseUrl::Postgres(raw.to_owned()))
            }
            other => Err(bad("DATABASE_URL", format!("unknown scheme '{other}' (expected sqlite:// or postgres://)"))),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            DatabaseUrl::Sqlite { url, .. } => url,
            DatabaseUrl::Postgres(url) => url,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite { .. } => "SQLite",
            DatabaseUrl::Postgres(_) => "PostgreSQL",
        }
    }
}

/// The URL without its password, for logs.
impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact_url(self.as_str()))
    }
}

/// Replaces the password of a URL with `***`, so that URLs can be logged.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => raw.to_owned(),
    }
}

/// Where booking confirmations are sent from: `SMTP_URL` (`smtp://user:pass@host:port`,
/// `smtps://` for TLS from the first byte, `?tls=required` for STARTTLS) and `SMTP_FROM`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub url: String,
    pub from: String,
}

/// Never the password: the URL is redacted.
impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig").field("url", &redact_url(&self.url)).field("from", &self.from).finish()
    }
}

fn smtp_config(url: Option<String>, from: Option<String>) -> Result<Option<SmtpConfig>, ConfigError> {
    let Some(raw) = url else {
        return match from {
            Some(_) => Err(bad("SMTP_FROM", "is set but SMTP_URL is not")),
            None => Ok(None),
        };
    };
    let parsed = url::Url::parse(&raw).map_err(|_| bad("SMTP_URL", "is not a URL like smtp://user:pass@host:587"))?;
    if !matches!(parsed.scheme(), "smtp" | "smtps") {
        return Err(bad("SMTP_URL", format!("unknown scheme '{}' (expected smtp:// or smtps://)", parsed.scheme())));
    }
    if parsed.host_str().unwrap_or_default().is_empty() {
        return Err(bad("SMTP_URL", "the URL names no host"));
    }
    let from = from.unwrap_or_else(|| format!("CRM <bookings@{}>", parsed.host_str().unwrap_or("localhost")));
    if !from.contains('@') {
        return Err(bad("SMTP_FROM", "is not an address like CRM <bookings@example.com>"));
    }
    Ok(Some(SmtpConfig { url: raw, from }))
}

/// The OpenAI-compatible chat-completions endpoint the AI persona asks (`AI_BASE_URL`, like
/// `https://api.openai.com/v1`, with `AI_API_KEY`, `AI_MODEL` and `AI_TIMEOUT_SECS`). Unset: the
/// built-in offline persona answers.
#[derive(Clone, PartialEq, Eq)]
pub struct AiConfig {
    /// Without a trailing slash; `/chat/completions` is added.
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
    /// How long one call may take, answer included.
    pub timeout: Duration,
}

/// Never the key.
impl std::fmt::Debug for AiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AiConfig")
            .field("base_url", &redact_url(&self.base_url))
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .finish()
    }
}

pub const DEFAULT_AI_MODEL: &str = "gpt-4o-mini";
pub const DEFAULT_AI_TIMEOUT_SECS: u64 = 30;
/// A call that takes longer than a reply job's lease would be made twice.
pub const MAX_AI_TIMEOUT_SECS: u64 = 90;

fn ai_config(
    base_url: Option<String>,
    api_key: Option<String>,
    model: Option<String>,
    timeout: Duration,
) -> Result<Option<AiConfig>, ConfigError> {
    let Some(raw) = base_url else {
        return match (api_key, model) {
            (Some(_), _) => Err(bad("AI_API_KEY", "is set but AI_BASE_URL is not (like https://api.openai.com/v1)")),
            (_, Some(_)) => Err(bad("AI_MODEL", "is set but AI_BASE_URL is not (like https://api.openai.com/v1)")),
            _ => Ok(None),
        };
    };
    let parsed =
        url::Url::parse(raw.trim()).map_err(|_| bad("AI_BASE_URL", "is not a URL like https://api.openai.com/v1"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("AI_BASE_URL", format!("unknown scheme '{}' (expected https:// or http://)", parsed.scheme())));
    }
    if parsed.host_str().unwrap_or_default().is_empty() {
        return Err(bad("AI_BASE_URL", "the URL names no host"));
    }
    if parsed.password().is_some() || !parsed.username().is_empty() {
        return Err(bad("AI_BASE_URL", "holds a user or password: put the key in AI_API_KEY"));
    }
    if timeout > Duration::from_secs(MAX_AI_TIMEOUT_SECS) {
        return Err(bad("AI_TIMEOUT_SECS", format!("must be at most {MAX_AI_TIMEOUT_SECS} (a reply job's lease)")));
    }
    let model = model.unwrap_or_else(|| DEFAULT_AI_MODEL.to_owned());
    if model.trim().is_empty() {
        return Err(bad("AI_MODEL", "is empty"));
    }
    Ok(Some(AiConfig {
        base_url: raw.trim().trim_end_matches('/').to_owned(),
        api_key: api_key.filter(|key| !key.trim().is_empty()).map(|key| key.trim().to_owned()),
        model: model.trim().to_owned(),
        timeout,
    }))
}

#[derive(Clone, PartialEq, Eq)]
pub struct AdminBootstrap {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for AdminBootstrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminBootstrap").field("email", &self.email).field("password", &"***").finish()
    }
}

/// One address or network (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`) of `CRM_TRUSTED_PROXIES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNetwork {
    address: IpAddr,
    prefix: u8,
}

impl IpNetwork {
    pub fn parse(raw: &str) -> Option<IpNetwork> {
        let (address, prefix) = match raw.split_once('/') {
            Some((address, prefix)) => (address.trim(), Some(prefix.trim())),
            None => (raw.trim(), None),
        };
        let address: IpAddr = address.parse().ok()?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit()) => {
                prefix.parse::<u8>().ok().filter(|prefix| *prefix <= bits)?
            }
            Some(_) => return None,
        };
        Some(IpNetwork { address, prefix })
    }

    pub fn contains(&self, candidate: IpAddr) -> bool {
        // An IPv4 peer may arrive as an IPv4-mapped IPv6 address on a dual-stack socket.
        let candidate = match candidate {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(candidate, IpAddr::V4),
            v4 => v4,
        };
        match (self.address, candidate) {
            (IpAddr::V4(network), IpAddr::V4(candidate)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(network) & mask == u32::from(candidate) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(candidate)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(network) & mask == u128::from(candidate) & mask
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub redis_url: Option<String>,
    /// Prefix of every Redis key this instance writes, so that several apps (or test runs) share one server.
    pub redis_prefix: String,
    pub site_addr: SocketAddr,
    pub site_root: PathBuf,
    pub admin: Option<AdminBootstrap>,
    /// How long in-flight requests may take to finish after SIGTERM/Ctrl-C.
    pub shutdown_grace: Duration,
    /// The origin browsers use to reach the app (`https://crm.example.com`), normalised without a
    /// trailing slash; `None` when the app is reached at its own address.
    pub public_origin: Option<String>,
    /// Whether the app is served over HTTPS: `Secure` + `__Host-` session cookie, HSTS, and `https`
    /// as the scheme of same-origin checks. True when `public_origin` is https, unless overridden.
    pub secure: bool,
    /// Whether visitors may create accounts once one exists (the very first account, which
    /// becomes the admin, can always be created). Closed by default.
    pub allow_signup: bool,
    /// Sign-up attempts allowed per client address in an hour.
    pub signup_attempts_per_ip: u32,
    /// Bookings, reschedules and cancellations on the public pages allowed per client address in
    /// 15 minutes.
    pub booking_attempts_per_ip: u32,
    /// Booking confirmations by e-mail; `None`: none are sent.
    pub smtp: Option<SmtpConfig>,
    /// The AI persona's endpoint; `None`: the offline persona answers.
    pub ai: Option<AiConfig>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`CRM_TRUSTED_PROXIES`; none by default).
    pub trusted_proxies: Vec<IpNetwork>,
    /// A session ends after this long without a request...
    pub session_idle: Duration,
    /// ...and this long after signing in, whatever happens ("keep me signed in" uses `remember_me`).
    pub session_absolute: Duration,
    pub remember_me: Duration,
    /// Failed sign-ins allowed in 15 minutes: per account from one client address, per account
    /// from all addresses together, and per client address.
    pub login_attempts_per_account: u32,
    pub login_attempts_per_account_total: u32,
    pub login_attempts_per_ip: u32,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests can supply their own environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());

        let database_url = match get("DATABASE_URL") {
            Some(raw) => DatabaseUrl::parse(&raw)?,
            None => DatabaseUrl::parse(&format!("sqlite://{DEFAULT_SQLITE_PATH}"))?,
        };

        let redis_url = match get("REDIS_URL") {
            None => None,
            Some(raw) => {
                let parsed =
                    url::Url::parse(&raw).map_err(|error| bad("REDIS_URL", format!("not a valid URL: {error}")))?;
                if !matches!(parsed.scheme(), "redis" | "rediss") {
                    return Err(bad(
                        "REDIS_URL",
                        format!("unknown scheme '{}' (expected redis:// or rediss://)", parsed.scheme()),
                    ));
                }
                if parsed.host_str().unwrap_or_default().is_empty() {
                    return Err(bad("REDIS_URL", "the URL names no host"));
                }
                Some(raw)
            }
        };

        let redis_prefix = get("REDIS_KEY_PREFIX").unwrap_or_else(|| "crm:".to_owned());

        let site_addr_raw = get("LEPTOS_SITE_ADDR").unwrap_or_else(|| DEFAULT_SITE_ADDR.to_owned());
        let site_addr = site_addr_raw
            .parse::<SocketAddr>()
            .map_err(|_| bad("LEPTOS_SITE_ADDR", format!("'{site_addr_raw}' is not an address like 127.0.0.1:3000")))?;

        let site_root = PathBuf::from(get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".to_owned()));

        let admin = match (get("CRM_ADMIN_EMAIL"), lookup("CRM_ADMIN_PASSWORD").filter(|p| !p.is_empty())) {
            (None, None) => None,
            (Some(_), None) => return Err(bad("CRM_ADMIN_PASSWORD", "must be set when CRM_ADMIN_EMAIL is set")),
            (None, Some(_)) => return Err(bad("CRM_ADMIN_EMAIL", "must be set when CRM_ADMIN_PASSWORD is set")),
            (Some(email), Some(password)) => {
                if !looks_like_email(&email) {
                    return Err(bad("CRM_ADMIN_EMAIL", format!("'{email}' is not an email address")));
                }
                if password.chars().count() < 8 {
                    return Err(bad("CRM_ADMIN_PASSWORD", "must be at least 8 characters long"));
                }
                Some(AdminBootstrap { email: email.to_lowercase(), password })
            }
        };

        let whole = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(raw) => raw.parse::<u64>().map_err(|_| bad(name, format!("'{raw}' is not a whole number"))),
            }
        };
        let positive = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            match whole(name, default)? {
                0 => Err(bad(name, "must be greater than zero")),
                value => Ok(value),
            }
        };
        let boolean = |name: &'static str, default: bool| -> Result<bool, ConfigError> {
            match get(name).map(|raw| raw.to_ascii_lowercase()) {
                None => Ok(default),
                Some(raw) if raw == "true" || raw == "1" => Ok(true),
                Some(raw) if raw == "false" || raw == "0" => Ok(false),
                Some(raw) => Err(bad(name, format!("'{raw}' is not true or false"))),
            }
        };

        let shutdown_grace = Duration::from_secs(whole("CRM_SHUTDOWN_GRACE_SECS", 10)?);

        let public_origin = get("CRM_PUBLIC_ORIGIN").map(|raw| parse_public_origin(&raw)).transpose()?;
        let secure = boolean(
            "CRM_SECURE_COOKIES",
            public_origin.as_deref().is_some_and(|origin| origin.starts_with("https://")),
        )?;
        let to_u32 = |name: &'static str, value: u64| u32::try_from(value).map_err(|_| bad(name, "is too large"));

        let trusted_proxies = match get("CRM_TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(raw) => raw
                .split(',')
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .map(|entry| {
                    IpNetwork::parse(entry).ok_or_else(|| {
                        bad(
                            "CRM_TRUSTED_PROXIES",
                            format!("'{entry}' is not an IP address or network (like 10.0.0.1 or 10.0.0.0/8)"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        };

        Ok(Config {
            database_url,
            redis_url,
            redis_prefix,
            site_addr,
            site_root,
            admin,
            shutdown_grace,
            public_origin,
            secure,
            allow_signup: boolean("CRM_ALLOW_SIGNUP", false)?,
            signup_attempts_per_ip: to_u32("CRM_SIGNUP_ATTEMPTS_PER_IP", positive("CRM_SIGNUP_ATTEMPTS_PER_IP", 20)?)?,
            booking_attempts_per_ip: to_u32(
                "CRM_BOOKING_ATTEMPTS_PER_IP",
                positive("CRM_BOOKING_ATTEMPTS_PER_IP", 30)?,
            )?,
            smtp: smtp_config(get("SMTP_URL"), get("SMTP_FROM"))?,
            ai: ai_config(
                get("AI_BASE_URL"),
                get("AI_API_KEY"),
                get("AI_MODEL"),
                Duration::from_secs(positive("AI_TIMEOUT_SECS", DEFAULT_AI_TIMEOUT_SECS)?),
            )?,
            trusted_proxies,
            session_idle: Duration::from_secs(positive("CRM_SESSION_IDLE_SECS", 30 * 60)?),
            session_absolute: Duration::from_secs(positive("CRM_SESSION_ABSOLUTE_SECS", 12 * 3600)?),
            remember_me: Duration::from_secs(positive("CRM_REMEMBER_ME_SECS", 30 * 24 * 3600)?),
            login_attempts_per_account: to_u32(
                "CRM_LOGIN_ATTEMPTS_PER_ACCOUNT",
                positive("CRM_LOGIN_ATTEMPTS_PER_ACCOUNT", 10)?,
            )?,
            login_attempts_per_account_total: to_u32(
                "CRM_LOGIN_ATTEMPTS_PER_ACCOUNT_TOTAL",
                positive("CRM_LOGIN_ATTEMPTS_PER_ACCOUNT_TOTAL", 100)?,
            )?,
            login_attempts_per_ip: to_u32("CRM_LOGIN_ATTEMPTS_PER_IP", positive("CRM_LOGIN_ATTEMPTS_PER_IP", 50)?)?,
        })
    }
}

/// Checks that `raw` is a bare http(s) origin (`https://host[:port]`, at most a trailing `/`) and
/// returns it normalised (lower-case host, no default port, no trailing slash).
fn parse_public_origin(raw: &str) -> Result<String, ConfigError> {
    const VARIABLE: &str = "CRM_PUBLIC_ORIGIN";
    let parsed = url::Url::parse(raw)
        .map_err(|error| bad(VARIABLE, format!("'{raw}' is not a URL like https://crm.example.com: {error}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad(VARIABLE, format!("unknown scheme '{}' (expected http:// or https://)", parsed.scheme())));
    }
    if parsed.host_str().unwrap_or_default().is_empty() {
        return Err(bad(VARIABLE, "the URL names no host"));
    }
    if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad(
            VARIABLE,
            format!("'{raw}' must be an origin only, without a path (like https://crm.example.com)"),
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad(VARIABLE, "must not contain a user name or password"));
    }
    Ok(parsed.origin().ascii_serialization())
}

fn looks_like_email(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults_to_embedded_sqlite_and_local_address() {
        let config = config(&[]).unwrap();
        assert_eq!(config.database_url.kind(), "SQLite");
        assert_eq!(config.database_url.as_str(), "sqlite://data/crm.db?mode=rwc");
        assert_eq!(config.redis_url, None);
        assert_eq!(config.site_addr.to_string(), "127.0.0.1:3000");
        assert!(config.admin.is_none());
    }

    #[test]
    fn postgres_urls_are_accepted_with_both_schemes() {
        for url in ["postgres://u@localhost/crm", "postgresql://u:p@db:5432/crm"] {
            assert_eq!(config(&[("DATABASE_URL", url)]).unwrap().database_url.kind(), "PostgreSQL");
        }
    }

    #[test]
    fn unknown_database_scheme_names_the_variable() {
        let error = config(&[("DATABASE_URL", "mysql://localhost/crm")]).unwrap_err();
        assert_eq!(error.variable, "DATABASE_URL");
        assert!(error.to_string().contains("unknown scheme 'mysql'"), "{error}");
    }

    #[test]
    fn bad_redis_and_address_values_name_their_variable() {
        assert_eq!(config(&[("REDIS_URL", "http://x")]).unwrap_err().variable, "REDIS_URL");
        assert_eq!(config(&[("REDIS_URL", "not a url")]).unwrap_err().variable, "REDIS_URL");
        assert_eq!(config(&[("LEPTOS_SITE_ADDR", "localhost")]).unwrap_err().variable, "LEPTOS_SITE_ADDR");
    }

    #[test]
    fn admin_bootstrap_needs_both_values_and_a_real_password() {
        assert_eq!(config(&[("CRM_ADMIN_EMAIL", "a@b.co")]).unwrap_err().variable, "CRM_ADMIN_PASSWORD");
        assert_eq!(
            config(&[("CRM_ADMIN_EMAIL", "a@b.co"), ("CRM_ADMIN_PASSWORD", "short")]).unwrap_err().variable,
            "CRM_ADMIN_PASSWORD"
        );
        let admin = config(&[("CRM_ADMIN_EMAIL", "Boss@Example.com"), ("CRM_ADMIN_PASSWORD", "long enough")])
            .unwrap()
            .admin
            .unwrap();
        assert_eq!(admin.email, "boss@example.com");
        assert!(!format!("{admin:?}").contains("long enough"), "the password never reaches logs");
    }

    #[test]
    fn public_origin_is_optional_and_normalised() {
        let defaults = config(&[]).unwrap();
        assert_eq!(defaults.public_origin, None);
        assert!(!defaults.secure, "plain HTTP by default");

        for raw in ["https://CRM.Example.com", "https://crm.example.com/", "https://crm.example.com:443"] {
            let https = config(&[("CRM_PUBLIC_ORIGIN", raw)]).unwrap();
            assert_eq!(https.public_origin.as_deref(), Some("https://crm.example.com"), "{raw}");
            assert!(https.secure, "an https origin means secure cookies: {raw}");
        }
        let http = config(&[("CRM_PUBLIC_ORIGIN", "http://crm.internal:8080")]).unwrap();
        assert_eq!(http.public_origin.as_deref(), Some("http://crm.internal:8080"));
        assert!(!http.secure);
    }

    #[test]
    fn bad_public_origins_name_the_variable() {
        for raw in [
            "crm.example.com",
            "ftp://crm.example.com",
            "https://crm.example.com/crm",
            "https://crm.example.com/?x=1",
            "https://user:pw@crm.example.com",
            "file:///etc",
        ] {
            let error = config(&[("CRM_PUBLIC_ORIGIN", raw)]).unwrap_err();
            assert_eq!(error.variable, "CRM_PUBLIC_ORIGIN", "{raw}: {error}");
        }
    }

    #[test]
    fn secure_cookies_can_be_overridden_both_ways() {
        assert!(config(&[("CRM_SECURE_COOKIES", "true")]).unwrap().secure);
        assert!(config(&[("CRM_SECURE_COOKIES", "TRUE")]).unwrap().secure);
        let behind_tls_in_test =
            config(&[("CRM_PUBLIC_ORIGIN", "https://crm.example.com"), ("CRM_SECURE_COOKIES", "false")]);
        assert!(!behind_tls_in_test.unwrap().secure);
        let error = config(&[("CRM_SECURE_COOKIES", "yes please")]).unwrap_err();
        assert_eq!(error.variable, "CRM_SECURE_COOKIES");
        assert!(error.to_string().contains("'yes please'"), "{error}");
    }

    #[test]
    fn passwords_in_urls_are_redacted_for_logs() {
        let url = DatabaseUrl::parse("postgres://crm:secret@db/crm").unwrap();
        assert!(!format!("{url:?}").contains("secret"));
    }

    #[test]
    fn smtp_is_optional_checked_and_its_password_never_logged() {
        assert_eq!(config(&[]).unwrap().smtp, None);
        let set = config(&[("SMTP_URL", "smtps://mailer:hunter2@smtp.example.com:465")]).unwrap();
        let smtp = set.smtp.clone().unwrap();
        assert_eq!(smtp.from, "CRM <bookings@smtp.example.com>");
        assert!(!format!("{set:?}").contains("hunter2"), "{set:?}");
        for (vars, variable) in [
            (vec![("SMTP_URL", "http://smtp.example.com")], "SMTP_URL"),
            (vec![("SMTP_URL", "smtp://")], "SMTP_URL"),
            (vec![("SMTP_FROM", "a@b.c")], "SMTP_FROM"),
            (vec![("SMTP_URL", "smtp://h:25"), ("SMTP_FROM", "nobody")], "SMTP_FROM"),
        ] {
            let error = config(&vars).unwrap_err().to_string();
            assert!(error.contains(variable) && !error.contains("hunter2"), "{error}");
        }
        assert_eq!(config(&[]).unwrap().booking_attempts_per_ip, 30);
    }

    #[test]
    fn the_ai_endpoint_is_optional_checked_and_its_key_never_logged() {
        assert_eq!(config(&[]).unwrap().ai, None);
        let set = config(&[("AI_BASE_URL", "https://api.example.com/v1/"), ("AI_API_KEY", "sk-secret-42")]).unwrap();
        let ai = set.ai.clone().unwrap();
        assert_eq!(ai.base_url, "https://api.example.com/v1");
        assert_eq!(ai.model, DEFAULT_AI_MODEL);
        assert_eq!(ai.timeout, Duration::from_secs(DEFAULT_AI_TIMEOUT_SECS));
        assert_eq!(ai.api_key.as_deref(), Some("sk-secret-42"));
        assert!(!format!("{set:?}").contains("sk-secret-42"), "{set:?}");
        let local =
            config(&[("AI_BASE_URL", "http://127.0.0.1:8080"), ("AI_MODEL", "llama3"), ("AI_TIMEOUT_SECS", "5")]);
        let local = local.unwrap().ai.unwrap();
        assert_eq!((local.model.as_str(), local.timeout, local.api_key), ("llama3", Duration::from_secs(5), None));
        for (vars, variable) in [
            (vec![("AI_BASE_URL", "ftp://api.example.com")], "AI_BASE_URL"),
            (vec![("AI_BASE_URL", "api.example.com")], "AI_BASE_URL"),
            (vec![("AI_BASE_URL", "https://user:sk-secret-42@api.example.com")], "AI_BASE_URL"),
            (vec![("AI_API_KEY", "sk-secret-42")], "AI_API_KEY"),
            (vec![("AI_MODEL", "gpt")], "AI_MODEL"),
            (vec![("AI_BASE_URL", "https://api.example.com"), ("AI_TIMEOUT_SECS", "0")], "AI_TIMEOUT_SECS"),
            (vec![("AI_BASE_URL", "https://api.example.com"), ("AI_TIMEOUT_SECS", "91")], "AI_TIMEOUT_SECS"),
        ] {
            let error = config(&vars).unwrap_err().to_string();
            assert!(error.contains(variable) && !error.contains("sk-secret-42"), "{error}");
        }
    }

    #[test]
    fn session_and_sign_in_settings_have_safe_defaults_and_name_bad_values() {
        let defaults = config(&[]).unwrap();
        assert!(!defaults.allow_signup, "sign-up is closed once the first account exists");
        assert!(config(&[("CRM_ALLOW_SIGNUP", "true")]).unwrap().allow_signup);
        assert_eq!((defaults.signup_attempts_per_ip, defaults.login_attempts_per_account_total), (20, 100));
        assert!(defaults.trusted_proxies.is_empty());
        assert_eq!(defaults.session_idle, Duration::from_secs(1800));
        assert_eq!(defaults.session_absolute, Duration::from_secs(12 * 3600));
        assert_eq!((defaults.login_attempts_per_account, defaults.login_attempts_per_ip), (10, 50));
        assert!(!config(&[("CRM_ALLOW_SIGNUP", "false")]).unwrap().allow_signup);
        assert_eq!(config(&[("CRM_SESSION_IDLE_SECS", "0")]).unwrap_err().variable, "CRM_SESSION_IDLE_SECS");
        assert_eq!(config(&[("CRM_SESSION_ABSOLUTE_SECS", "12h")]).unwrap_err().variable, "CRM_SESSION_ABSOLUTE_SECS");
        assert_eq!(config(&[("CRM_ALLOW_SIGNUP", "maybe")]).unwrap_err().variable, "CRM_ALLOW_SIGNUP");
        assert_eq!(
            config(&[("CRM_LOGIN_ATTEMPTS_PER_IP", "99999999999")]).unwrap_err().variable,
            "CRM_LOGIN_ATTEMPTS_PER_IP"
        );
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let proxies =
            config(&[("CRM_TRUSTED_PROXIES", " 10.0.0.0/8, 192.0.2.7 ,::1, 2001:db8::/32")]).unwrap().trusted_proxies;
        assert_eq!(proxies.len(), 4);
        let trusted = |ip: &str| proxies.iter().any(|network| network.contains(ip.parse().unwrap()));
        assert!(trusted("10.200.3.4") && trusted("192.0.2.7") && trusted("::1") && trusted("2001:db8:5::9"));
        assert!(trusted("::ffff:10.1.2.3"), "IPv4-mapped peers match IPv4 networks");
        assert!(!trusted("192.0.2.8") && !trusted("11.0.0.1") && !trusted("2001:db9::1"));
        assert!(IpNetwork::parse("0.0.0.0/0").unwrap().contains("203.0.113.9".parse().unwrap()));
        for bad in ["10.0.0.0/33", "example.com", "10.0.0.0/", "10.0.0.0/x", "::1/129"] {
            let error = config(&[("CRM_TRUSTED_PROXIES", bad)]).unwrap_err();
            assert_eq!(error.variable, "CRM_TRUSTED_PROXIES", "{bad}");
        }
    }
}
