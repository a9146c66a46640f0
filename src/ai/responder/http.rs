//! The persona on any OpenAI-compatible chat-completions endpoint (OpenAI, Azure's compatible
//! route, OpenRouter, a local Ollama or vLLM). The reply's action comes from the endpoint's tool
//! calls (`book_slot`, `move_booking`, `hand_off`, `set_stage`), never from the text; the reply
//! pipeline checks it.
//!
//! A call that fails for a reason that may pass (a 5xx, a 429, no connection) is tried again a few
//! times with a growing pause, or after the endpoint's `Retry-After` when that is short. A call
//! that takes longer than the timeout is not repeated: the lead has waited long enough, and the
//! team sees the failure. No error, log line or debug output holds the key.
use std::{sync::OnceLock, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Reply, ReplyAction, ReplyRequest, Responder, ResponderError, Speaker};
use crate::server::config::AiConfig;

/// How often and how long a failing call is tried again.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Calls in all, the first included.
    pub attempts: u32,
    /// The pause after the first failure; it doubles after each.
    pub backoff: Duration,
    /// A `Retry-After` longer than this is not waited for: the call fails with it.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 3, backoff: Duration::from_millis(500), max_wait: Duration::from_secs(20) }
    }
}

/// One connection pool for every call of the process.
fn client() -> reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .user_agent(concat!("crm/", env!("CARGO_PKG_VERSION")))
                .build()
                .unwrap_or_default()
        })
        .clone()
}

pub struct HttpResponder {
    config: AiConfig,
    policy: RetryPolicy,
}

impl HttpResponder {
    pub fn new(config: AiConfig) -> Self {
        HttpResponder { config, policy: RetryPolicy::default() }
    }

    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    fn endpoint(&self) -> String {
        format!("{}/chat/completions", self.config.base_url)
    }

    /// Whatever an error text holds, never the key.
    fn scrub(&self, text: &str) -> String {
        match &self.config.api_key {
            Some(key) if !key.is_empty() => text.replace(key.as_str(), "[key]"),
            _ => text.to_owned(),
        }
    }

    async fn call(&self, body: &Value) -> Result<Value, Failure> {
        let mut request = client().post(self.endpoint()).timeout(self.config.timeout).json(body);
        if let Some(key) = &self.config.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|error| self.transport_failure(&error))?;
        let status = response.status();
        if status.is_success() {
            return response.json::<Value>().await.map_err(|error| {
                if error.is_timeout() {
                    self.timed_out()
                } else {
                    Failure::permanent("the AI endpoint's answer could not be read")
                }
            });
        }
        let retry_after = retry_after(response.headers(), Utc::now());
        let detail = response.text().await.ok().and_then(|text| error_message(&text)).map(|text| self.scrub(&text));
        let code = status.as_u16();
        let with_detail = |what: String| match &detail {
            Some(detail) => format!("{what}: {detail}"),
            None => what,
        };
        Err(match code {
            429 => Failure {
                error: ResponderError::Transient(format!("the AI endpoint is limiting requests (HTTP {code})")),
                retry: true,
                retry_after,
            },
            500..=599 => Failure {
                error: ResponderError::Transient(with_detail(format!("the AI endpoint failed (HTTP {code})"))),
                retry: true,
                retry_after,
            },
            401 | 403 => Failure::permanent(&format!("the AI endpoint refused the key (HTTP {code})")),
            _ => Failure::permanent(&with_detail(format!("the AI endpoint refused the request (HTTP {code})"))),
        })
    }

    fn timed_out(&self) -> Failure {
        Failure {
            error: ResponderError::Transient(format!(
                "the AI endpoint did not answer within {} s",
                self.config.timeout.as_secs()
            )),
            retry: false,
            retry_after: None,
        }
    }

    fn transport_failure(&self, error: &reqwest::Error) -> Failure {
        if error.is_timeout() {
            return self.timed_out();
        }
        Failure {
            error: ResponderError::Transient("could not reach the AI endpoint".to_owned()),
            retry: true,
            retry_after: None,
        }
    }
}

/// A failed call, and whether another is worth it.
struct Failure {
    error: ResponderError,
    retry: bool,
    retry_after: Option<Duration>,
}

impl Failure {
    fn permanent(reason: &str) -> Self {
        Failure { error: ResponderError::Permanent(reason.to_owned()), retry: false, retry_after: None }
    }
}

#[async_trait]
impl Responder for HttpResponder {
    async fn reply(&self, request: &ReplyRequest) -> Result<Reply, ResponderError> {
        let body = request_body(&self.config.model, request);
        let mut pause = self.policy.backoff;
        for attempt in 1..=self.policy.attempts.max(1) {
            match self.call(&body).await {
                Ok(answer) => return parse_answer(&answer, request),
                Err(failure) => {
                    let wait = failure.retry_after.unwrap_or(pause);
                    if !failure.retry || attempt >= self.policy.attempts || wait > self.policy.max_wait {
                        return Err(failure.error);
                    }
                    tracing::info!(attempt, reason = %failure.error, "the AI endpoint failed; trying again");
                    tokio::time::sleep(wait).await;
                    pause *= 2;
                }
            }
        }
        Err(ResponderError::Transient("the AI endpoint failed".to_owned()))
    }
}

/// A slot's time as the endpoint is given it and answers it.
fn slot_time(starts_at: DateTime<Utc>) -> String {
    starts_at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// What the persona is told besides the strategy's prompt: the free times, which only the
/// `book_slot` tool books.
fn slots_message(request: &ReplyRequest) -> String {
    let booked = request.appointment.as_ref().map(|appointment| {
        format!(
            "The lead has a call booked for {} ({}). If they ask to move it, offer free times and call \
             move_booking with the chosen one; never book a second call for them. ",
            appointment.label, request.zone_label
        )
    });
    let booked = booked.unwrap_or_default();
    if request.slots.is_empty() {
        return format!("{booked}No free times are available: do not offer or book any.");
    }
    let tool = if request.appointment.is_some() { "move_booking" } else { "book_slot" };
    let mut text = format!(
        "{booked}Free times the booking tool returned, in the lead's time zone ({}). Offer two or three of \
         them, and call {tool} with the exact value in brackets once the lead has chosen one:",
        request.zone_label
    );
    for slot in &request.slots {
        text.push_str(&format!("\n- {} [{}]", slot.label, slot_time(slot.starts_at)));
    }
    text
}

/// The chat-completions request for `request`: the editor's system prompt, the free times, the
/// conversation oldest first, and the tools of the actions the persona may take.
pub fn request_body(model: &str, request: &ReplyRequest) -> Value {
    let mut messages = vec![
        json!({ "role": "system", "content": request.system_prompt }),
        json!({ "role": "system", "content": slots_message(request) }),
    ];
    for turn in &request.history {
        messages.push(match turn.speaker {
            Speaker::Lead => json!({ "role": "user", "content": turn.text }),
            Speaker::Ai => json!({ "role": "assistant", "content": turn.text }),
            Speaker::Agent => json!({ "role": "assistant", "name": "team", "content": turn.text }),
            Speaker::System => json!({ "role": "system", "content": turn.text }),
        });
    }
    let mut tools = vec![
        json!({ "type": "function", "function": {
            "name": "hand_off",
            "description": "Hand the conversation to a person on the team, with the reason: the lead asks for a \
                            person, is upset, or asks what you cannot answer.",
            "parameters": { "type": "object", "properties": {
                "reason": { "type": "string", "description": "Why a person should take over, for the team." }
            }, "required": ["reason"], "additionalProperties": false }
        }}),
        json!({ "type": "function", "function": {
            "name": "set_stage",
            "description": "Move the lead to another stage of the sales pipeline (for example lost when they are \
                            not a fit).",
            "parameters": { "type": "object", "properties": {
                "stage": { "type": "string", "enum": request.stages }
            }, "required": ["stage"], "additionalProperties": false }
        }}),
    ];
    if !request.slots.is_empty() {
        let times: Vec<String> = request.slots.iter().map(|slot| slot_time(slot.starts_at)).collect();
        // A lead with a call moves it: a second booking is not offered.
        let (name, description) = match request.appointment {
            Some(_) => (
                "move_booking",
                "Move the lead's booked call to the free time they chose. Only a time from the list, once the lead \
                 has clearly chosen it.",
            ),
            None => (
                "book_slot",
                "Book the free time the lead chose. Only a time from the list, once the lead has clearly chosen it.",
            ),
        };
        tools.insert(
            0,
            json!({ "type": "function", "function": {
                "name": name,
                "description": description,
                "parameters": { "type": "object", "properties": {
                    "starts_at": { "type": "string", "enum": times, "description": "The chosen time, as listed." }
                }, "required": ["starts_at"], "additionalProperties": false }
            }}),
        );
    }
    let temperature = f64::from(request.strategy.creativity.min(10)) / 10.0;
    // A follow-up is a nudge: no tool to call, whatever the history says.
    if let Some(followup) = request.followup {
        messages.push(json!({ "role": "system", "content": followup_instruction(followup) }));
        return json!({ "model": model, "messages": messages, "temperature": temperature });
    }
    json!({
        "model": model,
        "messages": messages,
        "tools": tools,
        "tool_choice": "auto",
        "temperature": temperature,
    })
}

fn followup_instruction(followup: super::FollowUp) -> String {
    let quiet = crate::strategies::model::wait_text(followup.quiet_minutes);
    let mut text = format!(
        "The lead has not answered your last message for {quiet}. Write follow-up {} of {}: one or two short \
         sentences in your tone that ask again what your last message asked, without repeating it word for word.",
        followup.number, followup.of
    );
    if followup.number >= followup.of {
        text.push_str(" It is the last one: say they can write whenever it suits them.");
    }
    text
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: AnswerMessage,
}

#[derive(Deserialize)]
struct AnswerMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ToolCall>,
}

#[derive(Deserialize)]
struct ToolCall {
    function: FunctionCall,
}

#[derive(Deserialize)]
struct FunctionCall {
    name: String,
    #[serde(default)]
    arguments: String,
}

/// The reply in a chat-completions answer: its text and the first tool call as the action. An
/// action that cannot be read becomes a hand-off, so a person looks; no text and no action is an
/// error.
pub fn parse_answer(answer: &Value, request: &ReplyRequest) -> Result<Reply, ResponderError> {
    let answer: Answer = serde_json::from_value(answer.clone())
        .map_err(|_| ResponderError::Permanent("the AI endpoint's answer could not be read".to_owned()))?;
    let Some(choice) = answer.choices.into_iter().next() else {
        return Err(ResponderError::Permanent("the AI endpoint answered with no message".to_owned()));
    };
    let text = choice.message.content.unwrap_or_default().trim().to_owned();
    let action =
        choice.message.tool_calls.first().map(|call| action_of(&call.function)).unwrap_or(ReplyAction::Continue);
    let text = if text.is_empty() { default_text(&action, request) } else { Some(text) };
    match text {
        Some(text) => Ok(Reply { text, action }),
        None => Err(ResponderError::Permanent("the AI endpoint answered with no message".to_owned())),
    }
}

fn action_of(call: &FunctionCall) -> ReplyAction {
    let arguments: Value = serde_json::from_str(&call.arguments).unwrap_or(Value::Null);
    let text =
        |name: &str| arguments.get(name).and_then(Value::as_str).map(str::trim).filter(|value| !value.is_empty());
    let unreadable = || ReplyAction::HandOff {
        reason: format!("The AI asked for an action that could not be read ({}).", call.name),
    };
    match call.name.as_str() {
        "book_slot" => match text("starts_at").and_then(|value| DateTime::parse_from_rfc3339(value).ok()) {
            Some(starts_at) => ReplyAction::Book { starts_at: starts_at.with_timezone(&Utc) },
            None => unreadable(),
        },
        "move_booking" => match text("starts_at").and_then(|value| DateTime::parse_from_rfc3339(value).ok()) {
            Some(starts_at) => ReplyAction::Move { starts_at: starts_at.with_timezone(&Utc) },
            None => unreadable(),
        },
        "hand_off" => ReplyAction::HandOff {
            reason: text("reason").unwrap_or("The AI asked for a person to take over.").chars().take(500).collect(),
        },
        "set_stage" => match text("stage") {
            Some(stage) => ReplyAction::SetStage { stage: stage.to_owned() },
            None => unreadable(),
        },
        _ => unreadable(),
    }
}

/// What the lead reads when the endpoint only called a tool.
fn default_text(action: &ReplyAction, request: &ReplyRequest) -> Option<String> {
    match action {
        ReplyAction::Book { starts_at } => {
            let label =
                request.slots.iter().find(|slot| slot.starts_at == *starts_at).map(|slot| slot.label.clone())?;
            Some(format!("You're booked for {label} ({}). See you then!", request.zone_label))
        }
        ReplyAction::Move { starts_at } => {
            let label =
                request.slots.iter().find(|slot| slot.starts_at == *starts_at).map(|slot| slot.label.clone())?;
            Some(format!("Done: your call is moved to {label} ({}). See you then!", request.zone_label))
        }
        ReplyAction::HandOff { .. } => Some("Let me bring in a colleague who can help you with this.".to_owned()),
        ReplyAction::Continue | ReplyAction::SetStage { .. } => None,
    }
}

/// `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let raw = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = raw.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(raw).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// The message of an error answer (`{"error": {"message": ...}}`), shortened.
fn error_message(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    let message = value.pointer("/error/message").or_else(|| value.get("error")).and_then(Value::as_str)?;
    let message: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
    (!message.is_empty()).then(|| message.chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;
    use crate::{
        ai::responder::{OfferedSlot, Turn},
        strategies::model::{StrategyForm, draft_fields},
    };

    fn request() -> ReplyRequest {
        let starts_at = Utc.with_ymd_and_hms(2026, 12, 8, 9, 0, 0).unwrap();
        ReplyRequest {
            strategy: draft_fields(&StrategyForm::default()),
            system_prompt: "You are Friendly closer.".to_owned(),
            lead_name: "Sam".to_owned(),
            history: vec![
                Turn { speaker: Speaker::Lead, text: "Hi".to_owned() },
                Turn { speaker: Speaker::Ai, text: "Hello! How big is your team?".to_owned() },
                Turn { speaker: Speaker::Agent, text: "Ana here, welcome.".to_owned() },
                Turn { speaker: Speaker::Lead, text: "We are 5".to_owned() },
            ],
            slots: vec![OfferedSlot {
                starts_at,
                label: "Tue 8 Dec, 10:00".to_owned(),
                weekday: 1,
                hour: 10,
                minute: 0,
            }],
            appointment: None,
            zone_label: "CET".to_owned(),
            stages: vec!["new".to_owned(), "lost".to_owned()],
            followup: None,
        }
    }

    #[test]
    fn a_lead_with_a_call_gets_the_move_tool_instead_of_a_second_booking() {
        let booked = ReplyRequest {
            appointment: Some(crate::ai::responder::Appointment {
                starts_at: Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap(),
                label: "Mon 7 Dec, 10:00".to_owned(),
            }),
            ..request()
        };
        let body = request_body("gpt-test", &booked);
        let times = body["messages"][1]["content"].as_str().unwrap();
        assert!(times.starts_with("The lead has a call booked for Mon 7 Dec, 10:00 (CET)."), "{times}");
        assert!(times.contains("call move_booking with the exact value"), "{times}");
        let tools: Vec<&str> =
            body["tools"].as_array().unwrap().iter().map(|tool| tool["function"]["name"].as_str().unwrap()).collect();
        assert_eq!(tools, ["move_booking", "hand_off", "set_stage"]);
        let moved = parse_answer(
            &answer(Value::Null, Some(("move_booking", r#"{"starts_at":"2026-12-08T09:00:00Z"}"#))),
            &booked,
        )
        .unwrap();
        assert_eq!(
            moved,
            Reply {
                text: "Done: your call is moved to Tue 8 Dec, 10:00 (CET). See you then!".to_owned(),
                action: ReplyAction::Move { starts_at: booked.slots[0].starts_at },
            }
        );
    }

    #[test]
    fn a_follow_up_asks_for_a_nudge_and_offers_no_tool() {
        let followup = ReplyRequest {
            followup: Some(crate::ai::responder::FollowUp { number: 2, of: 2, quiet_minutes: 4_320 }),
            ..request()
        };
        let body = request_body("gpt-test", &followup);
        assert!(body.get("tools").is_none() && body.get("tool_choice").is_none(), "{body}");
        let last = body["messages"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["role"], "system");
        let instruction = last["content"].as_str().unwrap();
        assert!(instruction.contains("not answered your last message for 3d"), "{instruction}");
        assert!(
            instruction.contains("follow-up 2 of 2") && instruction.contains("It is the last one"),
            "{instruction}"
        );
    }

    #[test]
    fn the_request_holds_the_prompt_the_times_the_history_in_order_and_the_tools() {
        let body = request_body("gpt-test", &request());
        assert_eq!(body["model"], "gpt-test");
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(messages[0], json!({ "role": "system", "content": "You are Friendly closer." }));
        assert!(messages[1]["content"].as_str().unwrap().contains("- Tue 8 Dec, 10:00 [2026-12-08T09:00:00Z]"));
        let roles: Vec<&str> = messages[2..].iter().map(|message| message["role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["user", "assistant", "assistant", "user"]);
        assert_eq!(messages[4]["name"], "team");
        assert_eq!(messages[5]["content"], "We are 5");
        let tools: Vec<&str> =
            body["tools"].as_array().unwrap().iter().map(|tool| tool["function"]["name"].as_str().unwrap()).collect();
        assert_eq!(tools, ["book_slot", "hand_off", "set_stage"]);
        assert_eq!(
            body["tools"][0]["function"]["parameters"]["properties"]["starts_at"]["enum"][0],
            "2026-12-08T09:00:00Z"
        );
        assert_eq!(body["tools"][2]["function"]["parameters"]["properties"]["stage"]["enum"], json!(["new", "lost"]));

        let mut closed = request();
        closed.slots.clear();
        let body = request_body("gpt-test", &closed);
        assert!(body["messages"][1]["content"].as_str().unwrap().starts_with("No free times"));
        assert!(body["tools"].as_array().unwrap().iter().all(|tool| tool["function"]["name"] != "book_slot"));
    }

    fn answer(content: Value, tool: Option<(&str, &str)>) -> Value {
        let tool_calls: Vec<Value> = tool
            .map(|(name, arguments)| {
                json!({ "id": "call_1", "type": "function", "function": { "name": name, "arguments": arguments } })
            })
            .into_iter()
            .collect();
        json!({ "choices": [{ "index": 0, "message": { "role": "assistant", "content": content, "tool_calls": tool_calls } }] })
    }

    #[test]
    fn an_answer_gives_its_text_and_its_first_tool_call_as_the_action() {
        let request = request();
        let reply = parse_answer(&answer(json!("How many are you?"), None), &request).unwrap();
        assert_eq!(reply, Reply { text: "How many are you?".to_owned(), action: ReplyAction::Continue });

        let booked = parse_answer(
            &answer(Value::Null, Some(("book_slot", r#"{"starts_at":"2026-12-08T09:00:00Z"}"#))),
            &request,
        );
        assert_eq!(
            booked.unwrap(),
            Reply {
                text: "You're booked for Tue 8 Dec, 10:00 (CET). See you then!".to_owned(),
                action: ReplyAction::Book { starts_at: request.slots[0].starts_at },
            }
        );
        let lost = parse_answer(
            &answer(json!("Sorry, we only work with teams."), Some(("set_stage", r#"{"stage":"lost"}"#))),
            &request,
        );
        assert_eq!(lost.unwrap().action, ReplyAction::SetStage { stage: "lost".to_owned() });

        for (name, arguments) in [("book_slot", "{not json"), ("send_money", "{}"), ("set_stage", "{}")] {
            let reply = parse_answer(&answer(json!("One moment."), Some((name, arguments))), &request).unwrap();
            assert!(matches!(reply.action, ReplyAction::HandOff { .. }), "{name}: {reply:?}");
        }
        for empty in [json!({ "choices": [] }), answer(json!("  "), None), json!({ "nonsense": true }), json!([1, 2])] {
            assert!(matches!(parse_answer(&empty, &request), Err(ResponderError::Permanent(_))), "{empty}");
        }
    }

    #[test]
    fn retry_after_is_read_in_seconds_or_as_a_date() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&headers, now), None);
        headers.insert(reqwest::header::RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(2)));
        headers.insert(reqwest::header::RETRY_AFTER, "Tue, 01 Dec 2026 12:00:07 GMT".parse().unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
        headers.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn an_error_answer_is_shortened_and_never_holds_the_key() {
        assert_eq!(
            error_message(r#"{"error":{"message":"Invalid model\n  gpt-9"}}"#).as_deref(),
            Some("Invalid model gpt-9")
        );
        assert_eq!(error_message("<html>bad gateway</html>"), None);
        let responder = HttpResponder::new(AiConfig {
            base_url: "http://127.0.0.1:9".to_owned(),
            api_key: Some("sk-secret-42".to_owned()),
            model: "m".to_owned(),
            timeout: Duration::from_secs(1),
        });
        assert_eq!(responder.scrub("Incorrect API key provided: sk-secret-42."), "Incorrect API key provided: [key].");
    }
}
