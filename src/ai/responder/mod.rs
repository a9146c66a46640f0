//! What the persona is asked and what it answers, behind one trait: the built-in offline agent
//! ([`offline::OfflineResponder`]) or an OpenAI-compatible endpoint ([`http::HttpResponder`]).
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::strategies::model::StrategyFields;

pub mod http;
pub mod offline;

/// The responder the configuration names: the endpoint of `AI_BASE_URL`, or the offline persona.
pub fn configured(config: &crate::server::config::Config) -> Box<dyn Responder> {
    match &config.ai {
        Some(ai) => Box::new(http::HttpResponder::new(ai.clone())),
        None => Box::new(offline::OfflineResponder),
    }
}

/// Who said a turn of the history the persona reads. Private notes are never in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    Lead,
    Ai,
    /// A person on the team.
    Agent,
    /// The app (a booking made, a hand-off).
    System,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub speaker: Speaker,
    pub text: String,
}

/// A free slot the persona may offer, as the lead reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferedSlot {
    pub starts_at: DateTime<Utc>,
    /// "Tue 8 Dec, 10:00", in the lead's time zone.
    pub label: String,
    /// The local weekday (0 = Monday), hour and minute, to understand "Tuesday at 10".
    pub weekday: u32,
    pub hour: u32,
    pub minute: u32,
}

/// The lead's next confirmed booking, as the lead reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    pub starts_at: DateTime<Utc>,
    /// "Tue 8 Dec, 10:00", in the lead's time zone, as [`OfferedSlot::label`].
    pub label: String,
}

/// Everything a responder gets for one reply.
#[derive(Debug, Clone)]
pub struct ReplyRequest {
    pub strategy: StrategyFields,
    /// The system prompt, from the same function the strategy editor previews.
    pub system_prompt: String,
    pub lead_name: String,
    /// The conversation so far, oldest first, without private notes.
    pub history: Vec<Turn>,
    /// The owner's free slots now (empty when the persona may not book).
    pub slots: Vec<OfferedSlot>,
    /// The lead's next appointment with the owner, which [`ReplyAction::Move`] moves.
    pub appointment: Option<Appointment>,
    /// The abbreviation of the time zone the slots are labelled in ("CET").
    pub zone_label: String,
    /// The pipeline's stages, in order: the only values of [`ReplyAction::SetStage`].
    pub stages: Vec<String>,
    /// Set when the lead has not answered the persona's last message: a nudge is asked for, not
    /// an answer (its action is ignored).
    pub followup: Option<FollowUp>,
}

/// Which follow-up of a quiet lead is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowUp {
    /// 1 for the first.
    pub number: u32,
    /// How many the strategy sends at most.
    pub of: u32,
    /// How long the lead has been quiet, in minutes.
    pub quiet_minutes: u32,
}

/// What the reply does besides being sent. Checked on the server before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReplyAction {
    Continue,
    /// A person should take over; the conversation waits for a human with this reason.
    HandOff {
        reason: String,
    },
    /// Book the slot starting then: only one of the request's slots.
    Book {
        starts_at: DateTime<Utc>,
    },
    /// Move the lead's appointment to the slot starting then: only one of the request's slots, and
    /// only when the request has an appointment.
    Move {
        starts_at: DateTime<Utc>,
    },
    /// Move the client to this pipeline stage.
    SetStage {
        stage: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub text: String,
    pub action: ReplyAction,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponderError {
    /// Worth trying again later (a timeout, a 5xx, a 429).
    #[error("{0}")]
    Transient(String),
    /// Trying again would give the same answer.
    #[error("{0}")]
    Permanent(String),
}

#[async_trait]
pub trait Responder: Send + Sync {
    async fn reply(&self, request: &ReplyRequest) -> Result<Reply, ResponderError>;
}
