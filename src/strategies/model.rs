//! Strategies (AI sales personas) as the editor submits them, as validated fields, and as the
//! list shows them. Shared by the server (which validates and stores) and the WASM client (which
//! previews the system prompt from the same fields).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_TAG_CHARS: usize = 100;
pub const MAX_TONE_CHARS: usize = 200;
/// Each long text (instructions, objective, …, the example conversation) is capped, so that a
/// prompt stays within what a model accepts.
pub const MAX_TEXT_CHARS: usize = 20_000;
pub const MAX_CREATIVITY: u8 = 10;
pub const DEFAULT_CREATIVITY: u8 = 5;
/// A day: longer pauses would look like no reply at all.
pub const MAX_REPLY_DELAY_SECS: u32 = 86_400;
pub const STRATEGIES_PER_PAGE: u64 = 20;
/// The AI modes a strategy's new conversations may start with, with their labels.
pub const AI_MODES: [(&str, &str); 3] = [
    ("off", "Off: only people answer"),
    ("suggest", "Suggests: the AI drafts, a person sends"),
    ("auto", "Answers: the AI replies on its own"),
];
pub const DEFAULT_TAKEOVER_MINUTES: u32 = 60;
/// A week: a longer sleep is "off".
pub const MAX_TAKEOVER_MINUTES: u32 = 10_080;
/// GoHighLevel's default.
pub const DEFAULT_AI_MESSAGE_CAP: u32 = 25;
pub const MAX_AI_MESSAGE_CAP: u32 = 500;
/// Follow-ups of a quiet lead: at most this many, each after at most a month.
pub const MAX_FOLLOWUPS: usize = 5;
pub const MAX_FOLLOWUP_MINUTES: u32 = 43_200;
/// What a new strategy starts with: a nudge the next day, then one three days later.
pub const DEFAULT_FOLLOWUPS: &str = "1d, 3d";

/// The editor's fields as submitted: every value a string, named like the form's inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategyForm {
    pub name: String,
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub tone: String,
    #[serde(default)]
    pub ai_instructions: String,
    #[serde(default)]
    pub objective: String,
    #[serde(default)]
    pub objection_handling: String,
    #[serde(default)]
    pub qualification_priority: String,
    #[serde(default)]
    pub disqualification_criteria: String,
    #[serde(default)]
    pub creativity: String,
    /// One turn per line, each starting with `Lead:` or `AI:`.
    #[serde(default)]
    pub example_conversation: String,
    #[serde(default)]
    pub reply_delay_min: String,
    #[serde(default)]
    pub reply_delay_max: String,
    /// Empty: "off" (a form from before the setting existed).
    #[serde(default)]
    pub default_ai_mode: String,
    /// Empty: the default.
    #[serde(default)]
    pub takeover_minutes: String,
    #[serde(default)]
    pub ai_message_cap: String,
    /// The waits before each follow-up, e.g. "1d, 3d"; empty: none.
    #[serde(default)]
    pub followups: String,
}

impl Default for StrategyForm {
    /// What a new strategy starts with.
    fn default() -> Self {
        StrategyForm {
            name: String::new(),
            tag: String::new(),
            tone: String::new(),
            ai_instructions: String::new(),
            objective: String::new(),
            objection_handling: String::new(),
            qualification_priority: String::new(),
            disqualification_criteria: String::new(),
            creativity: DEFAULT_CREATIVITY.to_string(),
            example_conversation: String::new(),
            // A short random pause makes replies read like a person's.
            reply_delay_min: "30".to_owned(),
            reply_delay_max: "90".to_owned(),
            // The product's promise: a new strategy's persona answers leads on its own.
            default_ai_mode: "auto".to_owned(),
            takeover_minutes: DEFAULT_TAKEOVER_MINUTES.to_string(),
            ai_message_cap: DEFAULT_AI_MESSAGE_CAP.to_string(),
            followups: DEFAULT_FOLLOWUPS.to_owned(),
        }
    }
}

/// Accessors by input name, for editor components that handle any one field.
macro_rules! form_fields {
    ($($field:ident),* $(,)?) => {
        impl StrategyForm {
            pub fn field(&self, name: &str) -> Option<&String> {
                match name {
                    $(stringify!($field) => Some(&self.$field),)*
                    _ => None,
                }
            }

            pub fn field_mut(&mut self, name: &str) -> Option<&mut String> {
                match name {
                    $(stringify!($field) => Some(&mut self.$field),)*
                    _ => None,
                }
            }
        }
    };
}

form_fields!(
    name,
    tag,
    tone,
    ai_instructions,
    objective,
    objection_handling,
    qualification_priority,
    disqualification_criteria,
    creativity,
    example_conversation,
    reply_delay_min,
    reply_delay_max,
    default_ai_mode,
    takeover_minutes,
    ai_message_cap,
    followups,
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TurnRole {
    Lead,
    Ai,
}

impl TurnRole {
    /// The prefix of the turn's line in the editor.
    pub fn prefix(self) -> &'static str {
        match self {
            TurnRole::Lead => "Lead:",
            TurnRole::Ai => "AI:",
        }
    }
}

/// One message of an example conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExampleTurn {
    pub role: TurnRole,
    pub text: String,
}

/// A strategy's validated content. Empty strings stand for "not set".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategyFields {
    pub name: String,
    pub tag: String,
    pub tone: String,
    pub ai_instructions: String,
    pub objective: String,
    pub objection_handling: String,
    pub qualification_priority: String,
    pub disqualification_criteria: String,
    /// 0 (predictable) to 10 (inventive).
    pub creativity: u8,
    pub example_conversation: Vec<ExampleTurn>,
    /// The AI waits a random time between these two before replying, in seconds.
    pub reply_delay_min: u32,
    pub reply_delay_max: u32,
    /// The AI mode of a new conversation with a client of this strategy: one of [`AI_MODES`].
    pub default_ai_mode: String,
    /// A person's public message puts the AI to sleep for this long; 0: it does not sleep.
    pub takeover_minutes: u32,
    /// After this many AI messages in a conversation, the AI hands it to a person.
    pub ai_message_cap: u32,
    /// When the lead leaves the AI's message unanswered: the minutes before each follow-up, each
    /// counted from the message before it. Empty: no follow-ups.
    pub followup_minutes: Vec<u32>,
}

impl StrategyFields {
    /// The editor's values for these fields.
    pub fn to_form(&self) -> StrategyForm {
        StrategyForm {
            name: self.name.clone(),
            tag: self.tag.clone(),
            tone: self.tone.clone(),
            ai_instructions: self.ai_instructions.clone(),
            objective: self.objective.clone(),
            objection_handling: self.objection_handling.clone(),
            qualification_priority: self.qualification_priority.clone(),
            disqualification_criteria: self.disqualification_criteria.clone(),
            creativity: self.creativity.to_string(),
            example_conversation: conversation_text(&self.example_conversation),
            reply_delay_min: self.reply_delay_min.to_string(),
            reply_delay_max: self.reply_delay_max.to_string(),
            default_ai_mode: self.default_ai_mode.clone(),
            takeover_minutes: self.takeover_minutes.to_string(),
            ai_message_cap: self.ai_message_cap.to_string(),
            followups: waits_text(&self.followup_minutes),
        }
    }
}

/// A stored strategy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Strategy {
    pub id: i64,
    pub owner_id: i64,
    pub fields: StrategyFields,
    /// RFC 3339 (a string, so the WASM client needs no date parser).
    pub created_at: String,
    pub updated_at: String,
}

/// What the editor needs besides the strategy: whose it is, and what deleting it involves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategyDetails {
    pub strategy: Strategy,
    pub owner_name: String,
    /// False when an admin looks at someone else's strategy, or a user at a shared one.
    pub owned_by_viewer: bool,
    /// The viewer's default strategy for new clients.
    pub is_default: bool,
    /// The viewer may change and delete it (its owner, or an admin).
    pub can_change: bool,
    /// The viewer may share it with the team or stop sharing it (admins).
    pub can_share: bool,
    /// Shared with the team by an admin.
    pub shared: bool,
    /// Clients whose conversations this strategy leads.
    pub clients_using: u64,
    /// The owner's other strategies, where those clients can move before a delete.
    pub move_targets: Vec<StrategyOption>,
}

/// A strategy to choose in a select.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategyOption {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StrategySort {
    /// Most recently changed first.
    #[default]
    Updated,
    /// Newest first.
    Created,
    /// Alphabetical.
    Name,
}

impl StrategySort {
    pub const ALL: [StrategySort; 3] = [StrategySort::Updated, StrategySort::Created, StrategySort::Name];

    pub fn as_str(self) -> &'static str {
        match self {
            StrategySort::Updated => "updated",
            StrategySort::Created => "created",
            StrategySort::Name => "name",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StrategySort::Updated => "Recently changed",
            StrategySort::Created => "Newest",
            StrategySort::Name => "Name",
        }
    }

    /// Unknown values (an old bookmark, a hand-edited address) fall back to the default.
    pub fn parse(value: &str) -> StrategySort {
        StrategySort::ALL.into_iter().find(|sort| sort.as_str() == value).unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategyRow {
    pub id: i64,
    pub name: String,
    pub tag: String,
    pub tone: String,
    pub creativity: u8,
    pub clients: u64,
    /// The viewer's default strategy for new clients.
    pub is_default: bool,
    /// Shared with the team by an admin.
    pub shared: bool,
    /// Only in an admin's list, which shows everyone's strategies.
    pub owner_name: Option<String>,
    /// "2026-11-24", for display.
    pub updated_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategyList {
    pub rows: Vec<StrategyRow>,
    /// Matching strategies, across all pages.
    pub total: u64,
    /// 1-based.
    pub page: u64,
    pub pages: u64,
    pub sort: StrategySort,
    /// The viewer is an admin: rows carry their owner.
    pub shows_owners: bool,
}

/// The editor's text for a conversation: one `Lead:`/`AI:` line per turn.
pub fn conversation_text(turns: &[ExampleTurn]) -> String {
    turns.iter().map(|turn| format!("{} {}", turn.role.prefix(), turn.text)).collect::<Vec<_>>().join("\n")
}

/// Reads one line of the example conversation; `None` when it names no speaker.
fn parse_turn(line: &str) -> Option<Result<ExampleTurn, ()>> {
    let (speaker, text) = line.split_once(':')?;
    let role = match speaker.trim().to_lowercase().as_str() {
        "lead" => TurnRole::Lead,
        "ai" => TurnRole::Ai,
        _ => return None,
    };
    let text = text.trim();
    Some(if text.is_empty() { Err(()) } else { Ok(ExampleTurn { role, text: text.to_owned() }) })
}

/// Reads the example conversation; blank lines are skipped. The error names the first bad line.
pub fn parse_conversation(text: &str) -> Result<Vec<ExampleTurn>, String> {
    let mut turns = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let number = index + 1;
        match parse_turn(line) {
            Some(Ok(turn)) => turns.push(turn),
            Some(Err(())) => return Err(format!("Line {number}: write what was said after the speaker.")),
            None => return Err(format!("Line {number}: start the line with “Lead:” or “AI:”.")),
        }
    }
    Ok(turns)
}

/// The turns that can be read, for the live preview while the user is still typing.
pub fn readable_turns(text: &str) -> Vec<ExampleTurn> {
    text.lines().filter_map(|line| parse_turn(line.trim())?.ok()).collect()
}

fn chars(value: &str) -> usize {
    value.chars().count()
}

fn bounded_text(value: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    if chars(value) > max { Err(format!("Use at most {max} characters.")) } else { Ok(value.to_owned()) }
}

fn parse_creativity(value: &str) -> Result<u8, String> {
    match value.trim().parse::<u8>() {
        Ok(creativity) if creativity <= MAX_CREATIVITY => Ok(creativity),
        _ => Err(format!("Choose a whole number from 0 to {MAX_CREATIVITY}.")),
    }
}

fn parse_delay(value: &str) -> Result<u32, String> {
    match value.trim().parse::<u32>() {
        Ok(seconds) if seconds <= MAX_REPLY_DELAY_SECS => Ok(seconds),
        _ => Err(format!("Enter whole seconds from 0 to {MAX_REPLY_DELAY_SECS} (a day).")),
    }
}

fn parse_ai_mode(value: &str) -> Result<String, String> {
    match value.trim() {
        "" => Ok("off".to_owned()),
        mode if AI_MODES.iter().any(|(known, _)| *known == mode) => Ok(mode.to_owned()),
        _ => Err("Choose off, suggests or answers.".to_owned()),
    }
}

/// A whole number up to `max`; empty is `default`.
fn parse_count(value: &str, default: u32, min: u32, max: u32, unit: &str) -> Result<u32, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(default);
    }
    match value.parse::<u32>() {
        Ok(count) if (min..=max).contains(&count) => Ok(count),
        _ => Err(format!("Enter whole {unit} from {min} to {max}.")),
    }
}

fn parse_takeover(value: &str) -> Result<u32, String> {
    parse_count(value, DEFAULT_TAKEOVER_MINUTES, 0, MAX_TAKEOVER_MINUTES, "minutes")
}

fn parse_cap(value: &str) -> Result<u32, String> {
    parse_count(value, DEFAULT_AI_MESSAGE_CAP, 1, MAX_AI_MESSAGE_CAP, "messages")
}

/// A wait as people write it: "45m", "4h", "2d", "1w".
pub fn wait_text(minutes: u32) -> String {
    match minutes {
        m if m % 10_080 == 0 => format!("{}w", m / 10_080),
        m if m % 1_440 == 0 => format!("{}d", m / 1_440),
        m if m % 60 == 0 => format!("{}h", m / 60),
        m => format!("{m}m"),
    }
}

/// The follow-up waits as the editor shows them: "1d, 3d".
pub fn waits_text(minutes: &[u32]) -> String {
    minutes.iter().map(|&m| wait_text(m)).collect::<Vec<_>>().join(", ")
}

/// One wait with its unit ("90m", "4 h", "2 days", "1w") in minutes.
fn parse_wait(item: &str) -> Option<u32> {
    let item = item.trim().to_lowercase();
    let split = item.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = item.split_at(split);
    let number: u32 = number.parse().ok()?;
    let per_unit = match unit.trim() {
        "m" | "min" | "mins" | "minute" | "minutes" => 1,
        "h" | "hr" | "hrs" | "hour" | "hours" => 60,
        "d" | "day" | "days" => 1_440,
        "w" | "wk" | "week" | "weeks" => 10_080,
        _ => return None,
    };
    number.checked_mul(per_unit)
}

/// The follow-up waits, comma-separated; empty is none.
pub fn parse_followups(value: &str) -> Result<Vec<u32>, String> {
    let items: Vec<&str> = value.split([',', ';']).map(str::trim).filter(|item| !item.is_empty()).collect();
    if items.len() > MAX_FOLLOWUPS {
        return Err(format!("At most {MAX_FOLLOWUPS} follow-ups."));
    }
    items
        .into_iter()
        .map(|item| match parse_wait(item) {
            Some(minutes) if (1..=MAX_FOLLOWUP_MINUTES).contains(&minutes) => Ok(minutes),
            Some(_) => Err(format!("“{item}”: each wait is from 1 minute to 30 days.")),
            None => Err(format!("“{item}”: write each wait with its unit, e.g. 4h, 2d or 1w.")),
        })
        .collect()
}

/// Checks every field; errors are keyed by the form's field names.
pub fn validate(form: &StrategyForm) -> Result<StrategyFields, BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let mut check = |field: &str, result: Result<String, String>| match result {
        Ok(value) => value,
        Err(message) => {
            errors.insert(field.to_owned(), message);
            String::new()
        }
    };
    let name = check("name", bounded_text(&form.name, MAX_NAME_CHARS));
    let tag = check("tag", bounded_text(&form.tag, MAX_TAG_CHARS));
    let tone = check("tone", bounded_text(&form.tone, MAX_TONE_CHARS));
    let ai_instructions = check("ai_instructions", bounded_text(&form.ai_instructions, MAX_TEXT_CHARS));
    let objective = check("objective", bounded_text(&form.objective, MAX_TEXT_CHARS));
    let objection_handling = check("objection_handling", bounded_text(&form.objection_handling, MAX_TEXT_CHARS));
    let qualification_priority =
        check("qualification_priority", bounded_text(&form.qualification_priority, MAX_TEXT_CHARS));
    let disqualification_criteria =
        check("disqualification_criteria", bounded_text(&form.disqualification_criteria, MAX_TEXT_CHARS));
    let conversation = check("example_conversation", bounded_text(&form.example_conversation, MAX_TEXT_CHARS));
    if name.is_empty() && !errors.contains_key("name") {
        errors.insert("name".to_owned(), "Give the strategy a name.".to_owned());
    }
    let example_conversation = parse_conversation(&conversation).unwrap_or_else(|message| {
        errors.insert("example_conversation".to_owned(), message);
        Vec::new()
    });
    let creativity = parse_creativity(&form.creativity).unwrap_or_else(|message| {
        errors.insert("creativity".to_owned(), message);
        0
    });
    let reply_delay_min = parse_delay(&form.reply_delay_min).map_err(|message| {
        errors.insert("reply_delay_min".to_owned(), message);
    });
    let reply_delay_max = parse_delay(&form.reply_delay_max).map_err(|message| {
        errors.insert("reply_delay_max".to_owned(), message);
    });
    if let (Ok(min), Ok(max)) = (reply_delay_min, reply_delay_max)
        && min > max
    {
        errors.insert("reply_delay_max".to_owned(), "The longest pause must be at least the shortest.".to_owned());
    }
    let default_ai_mode = parse_ai_mode(&form.default_ai_mode).unwrap_or_else(|message| {
        errors.insert("default_ai_mode".to_owned(), message);
        String::new()
    });
    let takeover_minutes = parse_takeover(&form.takeover_minutes).unwrap_or_else(|message| {
        errors.insert("takeover_minutes".to_owned(), message);
        0
    });
    let ai_message_cap = parse_cap(&form.ai_message_cap).unwrap_or_else(|message| {
        errors.insert("ai_message_cap".to_owned(), message);
        0
    });
    let followup_minutes = parse_followups(&form.followups).unwrap_or_else(|message| {
        errors.insert("followups".to_owned(), message);
        Vec::new()
    });
    match (reply_delay_min, reply_delay_max) {
        (Ok(reply_delay_min), Ok(reply_delay_max)) if errors.is_empty() => Ok(StrategyFields {
            name,
            tag,
            tone,
            ai_instructions,
            objective,
            objection_handling,
            qualification_priority,
            disqualification_criteria,
            creativity,
            example_conversation,
            reply_delay_min,
            reply_delay_max,
            default_ai_mode,
            takeover_minutes,
            ai_message_cap,
            followup_minutes,
        }),
        _ => Err(errors),
    }
}

/// The fields as far as they can be read, for a preview of an unfinished form: what does not
/// parse yet falls back to a neutral value instead of an error.
pub fn draft_fields(form: &StrategyForm) -> StrategyFields {
    let text = |value: &str| value.trim().to_owned();
    StrategyFields {
        name: text(&form.name),
        tag: text(&form.tag),
        tone: text(&form.tone),
        ai_instructions: text(&form.ai_instructions),
        objective: text(&form.objective),
        objection_handling: text(&form.objection_handling),
        qualification_priority: text(&form.qualification_priority),
        disqualification_criteria: text(&form.disqualification_criteria),
        creativity: parse_creativity(&form.creativity).unwrap_or(DEFAULT_CREATIVITY),
        example_conversation: readable_turns(&form.example_conversation),
        reply_delay_min: parse_delay(&form.reply_delay_min).unwrap_or(0),
        reply_delay_max: parse_delay(&form.reply_delay_max).unwrap_or(0),
        default_ai_mode: parse_ai_mode(&form.default_ai_mode).unwrap_or_else(|_| "off".to_owned()),
        takeover_minutes: parse_takeover(&form.takeover_minutes).unwrap_or(DEFAULT_TAKEOVER_MINUTES),
        ai_message_cap: parse_cap(&form.ai_message_cap).unwrap_or(DEFAULT_AI_MESSAGE_CAP),
        followup_minutes: parse_followups(&form.followups).unwrap_or_default(),
    }
}

/// The name of a copy, kept within the name's length limit.
pub fn copy_name(name: &str) -> String {
    const SUFFIX: &str = " (copy)";
    let room = MAX_NAME_CHARS - SUFFIX.chars().count();
    let base: String = name.chars().take(room).collect();
    format!("{}{SUFFIX}", base.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid_form() -> StrategyForm {
        StrategyForm {
            name: "  Friendly closer ".to_owned(),
            tag: "saas".to_owned(),
            tone: "Warm, concise".to_owned(),
            ai_instructions: "Ask one question at a time.".to_owned(),
            creativity: "7".to_owned(),
            example_conversation: "Lead: Hi, how much is it?\n\n ai: It depends on your team size. How many are you?"
                .to_owned(),
            reply_delay_min: "10".to_owned(),
            reply_delay_max: "60".to_owned(),
            ..StrategyForm::default()
        }
    }

    #[test]
    fn a_valid_form_becomes_trimmed_typed_fields() {
        let fields = validate(&valid_form()).unwrap();
        assert_eq!(fields.name, "Friendly closer");
        assert_eq!(fields.creativity, 7);
        assert_eq!((fields.reply_delay_min, fields.reply_delay_max), (10, 60));
        assert_eq!(
            fields.example_conversation,
            [
                ExampleTurn { role: TurnRole::Lead, text: "Hi, how much is it?".to_owned() },
                ExampleTurn { role: TurnRole::Ai, text: "It depends on your team size. How many are you?".to_owned() },
            ]
        );
        assert_eq!(fields.objective, "", "an empty field is not set");
    }

    #[test]
    fn fields_survive_the_round_trip_through_the_form() {
        let fields = validate(&valid_form()).unwrap();
        assert_eq!(validate(&fields.to_form()).unwrap(), fields);
        assert_eq!(
            fields.to_form().example_conversation,
            "Lead: Hi, how much is it?\nAI: It depends on your team size. How many are you?"
        );
    }

    #[test]
    fn every_invalid_field_gets_its_own_message() {
        let form = StrategyForm {
            name: "   ".to_owned(),
            tag: "t".repeat(MAX_TAG_CHARS + 1),
            tone: "t".repeat(MAX_TONE_CHARS + 1),
            objective: "o".repeat(MAX_TEXT_CHARS + 1),
            creativity: "11".to_owned(),
            example_conversation: "Lead: hello\nCustomer: hi".to_owned(),
            reply_delay_min: "-1".to_owned(),
            reply_delay_max: "86401".to_owned(),
            default_ai_mode: "always".to_owned(),
            takeover_minutes: "10081".to_owned(),
            ai_message_cap: "0".to_owned(),
            followups: "1d, soon".to_owned(),
            ..StrategyForm::default()
        };
        let errors = validate(&form).unwrap_err();
        assert_eq!(errors["name"], "Give the strategy a name.");
        assert_eq!(errors["tag"], "Use at most 100 characters.");
        assert_eq!(errors["tone"], "Use at most 200 characters.");
        assert_eq!(errors["objective"], "Use at most 20000 characters.");
        assert_eq!(errors["creativity"], "Choose a whole number from 0 to 10.");
        assert_eq!(errors["example_conversation"], "Line 2: start the line with “Lead:” or “AI:”.");
        assert!(errors["reply_delay_min"].contains("whole seconds"));
        assert!(errors["reply_delay_max"].contains("whole seconds"));
        assert_eq!(errors["default_ai_mode"], "Choose off, suggests or answers.");
        assert_eq!(errors["takeover_minutes"], "Enter whole minutes from 0 to 10080.");
        assert_eq!(errors["ai_message_cap"], "Enter whole messages from 1 to 500.");
        assert_eq!(errors["followups"], "“soon”: write each wait with its unit, e.g. 4h, 2d or 1w.");
        assert_eq!(errors.len(), 12);
    }

    #[test]
    fn the_persona_settings_default_when_a_form_omits_them() {
        let fields = validate(&valid_form()).unwrap();
        assert_eq!((fields.default_ai_mode.as_str(), fields.takeover_minutes, fields.ai_message_cap), ("auto", 60, 25));
        let old = StrategyForm {
            default_ai_mode: String::new(),
            takeover_minutes: String::new(),
            ai_message_cap: " ".to_owned(),
            ..valid_form()
        };
        let fields = validate(&old).unwrap();
        assert_eq!((fields.default_ai_mode.as_str(), fields.takeover_minutes, fields.ai_message_cap), ("off", 60, 25));
        let never =
            StrategyForm { takeover_minutes: "0".to_owned(), default_ai_mode: "suggest".to_owned(), ..valid_form() };
        assert_eq!(validate(&never).unwrap().takeover_minutes, 0);
    }

    #[test]
    fn follow_up_waits_read_units_and_come_back_in_the_shortest_words() {
        assert_eq!(parse_followups("90m, 4 h; 2 days,1W").unwrap(), [90, 240, 2_880, 10_080]);
        assert_eq!(waits_text(&[90, 240, 2_880, 10_080, 1_500]), "90m, 4h, 2d, 1w, 25h");
        assert_eq!(parse_followups(" , ").unwrap(), Vec::<u32>::new(), "empty: no follow-ups");
        assert_eq!(parse_followups("0m").unwrap_err(), "“0m”: each wait is from 1 minute to 30 days.");
        assert_eq!(parse_followups("31d").unwrap_err(), "“31d”: each wait is from 1 minute to 30 days.");
        assert_eq!(parse_followups("12").unwrap_err(), "“12”: write each wait with its unit, e.g. 4h, 2d or 1w.");
        assert_eq!(parse_followups("1h,1h,1h,1h,1h,1h").unwrap_err(), "At most 5 follow-ups.");
        assert_eq!(parse_followups("99999999999d").unwrap_err().chars().next(), Some('“'), "no overflow");
        let new = validate(&valid_form()).unwrap();
        assert_eq!(new.followup_minutes, [1_440, 4_320], "a new strategy follows up after a day, then three");
        let old = StrategyForm { followups: String::new(), ..valid_form() };
        assert!(validate(&old).unwrap().followup_minutes.is_empty(), "a form without the field: none");
    }

    #[test]
    fn names_are_limited_in_characters_not_bytes() {
        let form = StrategyForm { name: "é".repeat(MAX_NAME_CHARS), ..valid_form() };
        assert!(validate(&form).is_ok());
        let form = StrategyForm { name: "é".repeat(MAX_NAME_CHARS + 1), ..valid_form() };
        assert_eq!(validate(&form).unwrap_err()["name"], "Use at most 200 characters.");
    }

    #[test]
    fn the_shortest_pause_cannot_exceed_the_longest() {
        let form = StrategyForm { reply_delay_min: "120".to_owned(), reply_delay_max: "60".to_owned(), ..valid_form() };
        let errors = validate(&form).unwrap_err();
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["reply_delay_max"]);
        let form = StrategyForm { reply_delay_min: "60".to_owned(), reply_delay_max: "60".to_owned(), ..valid_form() };
        assert!(validate(&form).is_ok());
    }

    #[test]
    fn creativity_and_delays_are_whole_numbers() {
        for bad in ["", "five", "2.5", "-1"] {
            let form = StrategyForm { creativity: bad.to_owned(), ..valid_form() };
            assert!(validate(&form).unwrap_err().contains_key("creativity"), "{bad:?}");
        }
        let form = StrategyForm { creativity: " 0 ".to_owned(), reply_delay_min: "0".to_owned(), ..valid_form() };
        assert_eq!(validate(&form).unwrap().creativity, 0);
    }

    #[test]
    fn conversation_lines_name_their_speaker_and_say_something() {
        assert_eq!(parse_conversation("").unwrap(), []);
        assert_eq!(parse_conversation("\n  \n").unwrap(), []);
        assert_eq!(parse_conversation("Lead: a\nAI:").unwrap_err(), "Line 2: write what was said after the speaker.");
        assert_eq!(
            parse_conversation("Lead: a\n\nhello there").unwrap_err(),
            "Line 3: start the line with “Lead:” or “AI:”."
        );
        let turns = parse_conversation("LEAD: Time: 3pm?").unwrap();
        assert_eq!(turns, [ExampleTurn { role: TurnRole::Lead, text: "Time: 3pm?".to_owned() }]);
    }

    #[test]
    fn a_draft_reads_what_it_can() {
        let form = StrategyForm {
            name: "Draft".to_owned(),
            creativity: "lots".to_owned(),
            example_conversation: "Lead: hi\nnot a turn\nAI: hello".to_owned(),
            ..StrategyForm::default()
        };
        let fields = draft_fields(&form);
        assert_eq!(fields.creativity, DEFAULT_CREATIVITY);
        assert_eq!(fields.example_conversation.len(), 2);
    }

    #[test]
    fn copies_are_named_after_the_original_within_the_limit() {
        assert_eq!(copy_name("Closer"), "Closer (copy)");
        let long = copy_name(&"x".repeat(MAX_NAME_CHARS));
        assert_eq!(long.chars().count(), MAX_NAME_CHARS);
        assert!(long.ends_with(" (copy)"));
    }

    #[test]
    fn fields_are_reached_by_their_input_name() {
        let mut form = valid_form();
        *form.field_mut("tone").unwrap() = "Calm".to_owned();
        assert_eq!(form.field("tone").map(String::as_str), Some("Calm"));
        assert_eq!(form.field("reply_delay_max").map(String::as_str), Some("60"));
        assert!(form.field("owner_id").is_none());
    }

    #[test]
    fn unknown_sorts_fall_back_to_recently_changed() {
        assert_eq!(StrategySort::parse("name"), StrategySort::Name);
        assert_eq!(StrategySort::parse("created"), StrategySort::Created);
        assert_eq!(StrategySort::parse("nonsense"), StrategySort::Updated);
    }
}
