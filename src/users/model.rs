//! Account types and validation rules shared by the server and the WASM client.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Admin,
    User,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::User => "user",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        match value {
            "admin" => Some(Role::Admin),
            "user" => Some(Role::User),
            _ => None,
        }
    }
}

/// The signed-in user, as pages and server functions see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The IANA zone from their settings, in which every time is shown to them.
    #[serde(default)]
    pub timezone: String,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// What the sign-up page offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignupStatus {
    /// No account exists yet: the account created now becomes the admin.
    FirstAccount,
    /// Anyone may create an account (`CRM_ALLOW_SIGNUP=true`).
    Open,
    /// Only admins add people (on the Users page).
    Closed,
}

pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longer input is refused before hashing: argon2 cost must not depend on what an attacker sends.
pub const MAX_PASSWORD_BYTES: usize = 256;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_EMAIL_CHARS: usize = 254;

/// Emails are compared and stored trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn validate_email(email: &str) -> Result<(), &'static str> {
    let email = email.trim();
    if email.is_empty() {
        return Err("Enter your email address.");
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err("This email address is too long.");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err("Enter an email address like name@example.com.");
    };
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !domain.contains('@');
    if local.is_empty() || !domain_ok || email.chars().any(char::is_whitespace) {
        return Err("Enter an email address like name@example.com.");
    }
    Ok(())
}

/// Length rules only (NIST 800-63B: no composition rules); the server also refuses common passwords.
pub fn validate_new_password(password: &str) -> Result<(), String> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!("Use at most {MAX_PASSWORD_BYTES} characters."));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!("Use at least {MIN_PASSWORD_CHARS} characters."));
    }
    Ok(())
}

pub fn validate_name(name: &str) -> Result<(), String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("Enter your name.".to_owned());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("Use at most {MAX_NAME_CHARS} characters."));
    }
    Ok(())
}

/// A post-login destination that stays on this site (see [`crate::server::redirect`]).
#[cfg(feature = "ssr")]
pub fn safe_next_path(next: Option<&str>) -> String {
    crate::server::redirect::same_site_or(next, "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(validate_email("ana@example.com").is_ok());
        assert!(validate_email("  Ana@Example.COM ").is_ok());
        for bad in ["", "ana", "ana@", "@example.com", "ana@example", "ana@.com", "a na@example.com", "a@b..com"] {
            assert!(validate_email(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(normalize_email("  Ana@Example.COM "), "ana@example.com");
    }

    #[test]
    fn passwords_between_8_characters_and_256_bytes_are_accepted() {
        assert!(validate_new_password("1234567").is_err());
        assert!(validate_new_password("12345678").is_ok());
        assert!(validate_new_password(&"x".repeat(64)).is_ok());
        assert!(validate_new_password(&"x".repeat(256)).is_ok());
        assert!(validate_new_password(&"x".repeat(257)).is_err());
        // Characters, not bytes, count towards the minimum.
        assert!(validate_new_password("ééééééé").is_err());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn next_paths_stay_on_this_site() {
        assert_eq!(safe_next_path(Some("/clients?page=2")), "/clients?page=2");
        for bad in [
            None,
            Some(""),
            Some("https://evil.example"),
            Some("//evil.example"),
            Some("/\\evil.example"),
            Some("/\t/evil.example"),
        ] {
            assert_eq!(safe_next_path(bad), "/", "{bad:?}");
        }
    }
}
