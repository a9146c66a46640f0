//! What the inbox, the thread and the live stream exchange: plain types shared by both builds.
use serde::{Deserialize, Serialize};

/// The longest message anyone may write.
pub const MAX_MESSAGE_CHARS: usize = 5_000;
/// Conversations per inbox page.
pub const INBOX_PAGE_SIZE: u64 = 25;
/// Messages per thread page.
pub const THREAD_PAGE_SIZE: u64 = 30;
/// The address of the live stream (server-sent events) of a signed-in tab.
pub const EVENTS_PATH: &str = "/chat/events";
/// The bus channel every conversation event goes out on.
pub const BUS_CHANNEL: &str = "chat";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationState {
    /// Someone is on it (or nobody needs to be).
    Open,
    /// The lead wrote last and a person should answer.
    Waiting,
    Closed,
}

impl ConversationState {
    pub const ALL: [ConversationState; 3] = [Self::Open, Self::Waiting, Self::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Waiting => "waiting",
            Self::Closed => "closed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::Waiting => "Waiting for a reply",
            Self::Closed => "Closed",
        }
    }

    /// The state after a message by `role`: a lead's message waits for an answer, a person's or
    /// the AI's public answer opens the conversation again (a hand-off then waits for a person),
    /// anything else leaves it.
    pub fn after_message(self, role: &str, private: bool) -> Self {
        match role {
            "client" => Self::Waiting,
            "agent" | "ai" if !private => Self::Open,
            _ => self,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AiMode {
    /// Only people answer.
    Off,
    /// The AI drafts, a person sends.
    Suggest,
    /// The AI answers on its own.
    Auto,
}

impl AiMode {
    pub const ALL: [AiMode; 3] = [Self::Off, Self::Suggest, Self::Auto];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Suggest => "suggest",
            Self::Auto => "auto",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|mode| mode.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Off => "AI off",
            Self::Suggest => "AI suggests",
            Self::Auto => "AI answers",
        }
    }
}

/// Who wrote a message, as shown.
pub fn role_label(role: &str) -> &'static str {
    match role {
        "client" => "Lead",
        "ai" => "AI",
        "agent" => "Team",
        _ => "System",
    }
}

/// The inbox's filters and position, all from the address (`/chat?q=…&show=waiting&after=…`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxQuery {
    /// A part of the client's name.
    #[serde(default)]
    pub q: String,
    /// `waiting`, `unread` or empty.
    #[serde(default)]
    pub show: String,
    /// An AI mode, or empty.
    #[serde(default)]
    pub ai: String,
    /// A client stage, or empty.
    #[serde(default)]
    pub stage: String,
    /// An owner's id (admins only), or empty.
    #[serde(default)]
    pub owner: String,
    /// Conversations with a public message on this day or later (YYYY-MM-DD in the viewer's
    /// time zone), or empty: the dashboard's "active conversations" of a range.
    #[serde(default)]
    pub from: String,
    /// ...and on this day or earlier, or empty.
    #[serde(default)]
    pub to: String,
    /// The cursor of the page's start: the last row of the page before.
    #[serde(default)]
    pub after: String,
}

impl InboxQuery {
    /// The days of activity the query asks for (`from`, `to`), those that are dates.
    #[cfg(feature = "ssr")]
    pub fn active_days(&self) -> (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>) {
        let day = crate::server::local_time::parse_day;
        (day(&self.from), day(&self.to))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxRow {
    pub conversation_id: i64,
    pub client_id: i64,
    pub client_name: String,
    pub client_status: String,
    /// For an admin: whose client it is.
    pub owner_name: Option<String>,
    pub state: ConversationState,
    pub ai_mode: AiMode,
    /// In the viewer's time zone.
    pub last_activity: String,
    /// The newest message's first words (a private note shows as one).
    pub preview: String,
    pub preview_role: String,
    pub preview_private: bool,
    /// Messages the viewer has not seen (at most [`UNREAD_CAP`], shown as "99+").
    pub unread: i64,
}

/// Unread counts stop at this many.
pub const UNREAD_CAP: i64 = 99;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxPage {
    pub rows: Vec<InboxRow>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
    /// For an admin: every user, `(id, name)`, for the owner filter.
    pub owners: Vec<(i64, String)>,
    /// Set when a search with many matches read this many conversations without filling the
    /// page; `next` searches on after them.
    pub searched: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadMessage {
    pub id: i64,
    pub role: String,
    pub body: String,
    pub private: bool,
    /// `sent` or `failed`.
    pub delivery: String,
    pub failure_reason: Option<String>,
    /// The agent who wrote it, for agent messages.
    pub author: Option<String>,
    /// In the viewer's time zone.
    pub sent_at: String,
    /// When it was written (the stream formats it for each viewer).
    pub at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCard {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub strategy_id: i64,
    pub strategy_name: String,
    pub owner_name: String,
    /// The next confirmed bookings, soonest first.
    pub upcoming: Vec<CardBooking>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardBooking {
    pub id: i64,
    pub title: String,
    /// In the viewer's time zone.
    pub starts: String,
}

/// The AI's draft answer in "AI suggests" mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AiDraft {
    pub text: String,
    /// What sending it as is also does ("Books Tue 8 Dec, 10:00"), when anything.
    pub action: Option<String>,
    /// The lead message it answers.
    pub reply_to: i64,
}

impl AiDraft {
    /// Whether `message` makes this draft out of date, as the server decides when it writes one: a
    /// public message written after the one the draft answers. A stream replays messages, so one
    /// the draft already took into account can arrive after the draft.
    pub fn outdated_by(&self, message: &ThreadMessage) -> bool {
        !message.private && message.id > self.reply_to
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    pub client: ClientCard,
    /// `None` until the first message.
    pub conversation_id: Option<i64>,
    pub state: ConversationState,
    pub ai_mode: AiMode,
    pub version: i64,
    /// "14:30" (the viewer's time) while the AI sleeps after a person's message.
    pub ai_paused_until: Option<String>,
    /// The same instant, for the page to take the notice down when it passes.
    pub ai_paused_at: Option<chrono::DateTime<chrono::Utc>>,
    pub ai_draft: Option<AiDraft>,
    /// Oldest first, the newest last.
    pub messages: Vec<ThreadMessage>,
    /// The cursor of the page of older messages, when there are some.
    pub older: Option<String>,
    /// The newest message id anywhere when the thread was read: the page's live stream replays
    /// from there, so nothing written between the load and the stream's start is missed.
    pub stream_after: Option<i64>,
}

/// What the live stream says. Message events carry the message's id as the event id, so a
/// reconnecting browser gets what it missed; the others are hints to reload a part of the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChatEvent {
    Message {
        conversation_id: i64,
        client_id: i64,
        owner_id: i64,
        message: ThreadMessage,
    },
    /// The state, AI mode, pause or version changed.
    Conversation {
        conversation_id: i64,
        client_id: i64,
        owner_id: i64,
        state: ConversationState,
        ai_mode: AiMode,
        /// Until when the AI sleeps after a person's message...
        #[serde(default)]
        ai_paused_until: Option<chrono::DateTime<chrono::Utc>>,
        /// ...in the viewer's time zone (the stream formats it for each viewer).
        #[serde(default)]
        ai_paused_label: Option<String>,
        #[serde(default)]
        ai_draft: Option<AiDraft>,
    },
    /// The AI left the conversation to the team: it handed it over, or its reply failed. The
    /// owner's open pages say so.
    HandedOff {
        conversation_id: i64,
        client_id: i64,
        owner_id: i64,
        client_name: String,
        reason: String,
        /// The reply failed (rather than the AI choosing to hand over).
        failed: bool,
        /// The team's note that says so in the thread.
        note_id: i64,
    },
    /// `user_id` has read the conversation up to a message (their other tabs update the count).
    Read {
        conversation_id: i64,
        client_id: i64,
        owner_id: i64,
        user_id: i64,
    },
}

impl ChatEvent {
    pub fn owner_id(&self) -> i64 {
        match self {
            Self::Message { owner_id, .. }
            | Self::Conversation { owner_id, .. }
            | Self::HandedOff { owner_id, .. }
            | Self::Read { owner_id, .. } => *owner_id,
        }
    }

    pub fn client_id(&self) -> i64 {
        match self {
            Self::Message { client_id, .. }
            | Self::Conversation { client_id, .. }
            | Self::HandedOff { client_id, .. }
            | Self::Read { client_id, .. } => *client_id,
        }
    }

    /// The event's name in the stream.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Message { .. } => "message",
            Self::Conversation { .. } => "conversation",
            Self::HandedOff { .. } => "handoff",
            Self::Read { .. } => "read",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: i64, private: bool) -> ThreadMessage {
        ThreadMessage {
            id,
            role: "client".to_owned(),
            body: "Hello".to_owned(),
            private,
            delivery: "sent".to_owned(),
            failure_reason: None,
            author: None,
            sent_at: String::new(),
            at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn only_a_public_message_after_the_one_a_draft_answers_outdates_it() {
        let draft = AiDraft { text: "Would Tuesday work?".to_owned(), action: None, reply_to: 10 };
        // Replayed by a stream that reopened after the draft was made: the draft answers it.
        assert!(!draft.outdated_by(&message(10, false)));
        assert!(!draft.outdated_by(&message(9, false)));
        assert!(!draft.outdated_by(&message(11, true)), "a private note changes nothing for the lead");
        assert!(draft.outdated_by(&message(11, false)));
    }
}
