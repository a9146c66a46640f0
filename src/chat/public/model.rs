//! What the public chat page shows and what its start form sends.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::chat::model::{MAX_MESSAGE_CHARS, ThreadMessage};

/// Where the page's live stream is (`/talk/{slug}/events`).
pub fn events_path(slug: &str) -> String {
    format!("/talk/{slug}/events")
}

/// `/talk/{slug}`: whose chat it is and, once the lead has started, their conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicChat {
    pub slug: String,
    pub owner_name: String,
    /// The zone the times are shown in (the owner's).
    pub zone: String,
    /// Whether a lead can start a conversation: the owner has a strategy to give a new client.
    pub open: bool,
    pub lead: Option<LeadThread>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadThread {
    pub name: String,
    /// The newest messages the lead may see, oldest first (never a private note).
    pub messages: Vec<ThreadMessage>,
}

/// The first message, with who the lead is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StartTalkForm {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub body: String,
    /// The lead's browser's time zone (empty without JavaScript: the owner's is used).
    pub timezone: String,
}

/// Who the lead said they are, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadIdentity {
    pub name: String,
    pub email: String,
    pub phone: String,
}

impl StartTalkForm {
    /// The lead and the first message, or a message per field. An email or a phone is needed, so
    /// that the team can answer after the lead has left the page.
    pub fn validate(&self) -> Result<(LeadIdentity, String), BTreeMap<String, String>> {
        let mut errors = BTreeMap::new();
        if let Err(message) = crate::users::model::validate_name(&self.name) {
            errors.insert("name".to_owned(), message);
        }
        let (email, phone) = (self.email.trim(), self.phone.trim());
        if email.is_empty() && phone.is_empty() {
            errors.insert("email".to_owned(), "Give an email or a phone number, so that we can answer you.".to_owned());
        } else if !email.is_empty()
            && let Err(message) = crate::users::model::validate_email(email)
        {
            errors.insert("email".to_owned(), message.to_owned());
        }
        if let Err(message) = crate::clients::model::validate_phone(phone) {
            errors.insert("phone".to_owned(), message.to_owned());
        }
        let body = self.body.trim();
        if body.is_empty() {
            errors.insert("body".to_owned(), "Write your message.".to_owned());
        } else if body.chars().count() > MAX_MESSAGE_CHARS {
            errors.insert("body".to_owned(), format!("Keep a message under {MAX_MESSAGE_CHARS} characters."));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let lead = LeadIdentity { name: self.name.trim().to_owned(), email: email.to_owned(), phone: phone.to_owned() };
        Ok((lead, body.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(name: &str, email: &str, phone: &str, body: &str) -> StartTalkForm {
        StartTalkForm {
            name: name.into(),
            email: email.into(),
            phone: phone.into(),
            body: body.into(),
            ..Default::default()
        }
    }

    #[test]
    fn an_email_or_a_phone_is_enough_and_one_is_needed() {
        assert!(form("Ana", "ana@example.com", "", "Hi").validate().is_ok());
        assert!(form("Ana", "", "+351 912 345 678", "Hi").validate().is_ok());
        let errors = form("Ana", "", "", "Hi").validate().unwrap_err();
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["email"]);
    }

    #[test]
    fn each_bad_field_is_named() {
        let long = "x".repeat(MAX_MESSAGE_CHARS + 1);
        let errors = form(" ", "not-an-email", "12", &long).validate().unwrap_err();
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["body", "email", "name", "phone"]);
        assert_eq!(form("Ana", "ana@example.com", "", "  ").validate().unwrap_err()["body"], "Write your message.");
    }
}
