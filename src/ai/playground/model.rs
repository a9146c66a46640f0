//! What crosses the wire between the playground and the server.
use serde::{Deserialize, Serialize};

/// The turns a playground conversation may hold: a long test is started over.
pub const MAX_TURNS: usize = 40;

/// One message of the playground's conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaygroundTurn {
    /// The person playing the lead wrote it; otherwise the persona.
    pub lead: bool,
    pub text: String,
}

/// The persona's answer to the newest lead turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaygroundReply {
    pub text: String,
    /// What the reply would do in a real conversation ("Would book Tue 8 Dec, 10:00 (CET)."); none
    /// when it only answers.
    pub action: Option<String>,
    /// The responder failed: `text` says why.
    pub failed: bool,
    /// Who answered: "the built-in offline persona" or the endpoint's model.
    pub responder: String,
    /// The chat-completions request an AI endpoint is sent for this reply, as it reads: each
    /// message under its role, then the tools it may call.
    pub request: String,
}
