//! The playground's answers: the responder the app is configured with, the owner's real free
//! slots, the strategy's fields as typed, an example lead, and nothing written anywhere.
use std::time::Duration;

use sea_orm::EntityTrait;

use super::model::{MAX_TURNS, PlaygroundReply, PlaygroundTurn};
use crate::{
    ai::{
        reply::{checked, offered_slots},
        responder::{self, ReplyAction, ReplyRequest, Speaker, Turn, http::request_body},
    },
    chat::model::MAX_MESSAGE_CHARS,
    clients::model::{STATUSES, status_label},
    server::state::AppState,
    shared::AppError,
    strategies::{
        model::{StrategyForm, draft_fields},
        prompt::{LeadContext, system_prompt},
    },
    users::{entity as users, model::CurrentUser},
};

/// Replies a user may ask for in [`WINDOW`]: an endpoint's calls cost money.
const REPLIES_PER_WINDOW: u32 = 60;
const WINDOW: Duration = Duration::from_secs(600);

/// The persona of `form` answers the last of `turns`, which must be the lead's.
pub async fn answer(
    state: &AppState,
    user: &CurrentUser,
    form: &StrategyForm,
    turns: &[PlaygroundTurn],
) -> Result<PlaygroundReply, AppError> {
    check_turns(turns)?;
    let decision = state.infra.rate_limiter.hit(&format!("playground:{}", user.id), REPLIES_PER_WINDOW, WINDOW).await?;
    if !decision.allowed {
        return Err(AppError::RateLimited { retry_after_secs: decision.retry_after.as_secs().max(1) });
    }
    let owner = users::Entity::find_by_id(user.id).one(&state.db).await?.ok_or(AppError::Unauthenticated)?;
    let zone = crate::chat::public::service::owner_zone(&owner);
    let now = crate::chat::service::now();
    let (booking_type, slots) = offered_slots(&state.db, &owner, zone, now).await?;
    let fields = draft_fields(form);
    let lead = LeadContext { can_book: booking_type.is_some(), ..LeadContext::example() };
    let history = turns
        .iter()
        .map(|turn| Turn { speaker: if turn.lead { Speaker::Lead } else { Speaker::Ai }, text: turn.text.clone() })
        .collect();
    let request = ReplyRequest {
        system_prompt: system_prompt(&fields, &lead),
        strategy: fields,
        lead_name: lead.name.clone(),
        history,
        slots,
        appointment: None,
        zone_label: now.with_timezone(&zone).format("%Z").to_string(),
        stages: STATUSES.iter().map(|(stage, _)| (*stage).to_owned()).collect(),
        followup: None,
    };
    let (model, responder_name) = match &state.config.ai {
        Some(ai) => (ai.model.clone(), format!("the AI endpoint's model {}", ai.model)),
        None => ("your-model".to_owned(), "the built-in offline persona".to_owned()),
    };
    let body = request_body(&model, &request);
    let shown = PlaygroundReply {
        text: String::new(),
        action: None,
        failed: false,
        responder: responder_name,
        request: readable(&body),
    };
    Ok(match responder::configured(&state.config).reply(&request).await {
        Ok(reply) => {
            let reply = checked(reply, &request);
            PlaygroundReply { action: would(&reply.action, &request), text: reply.text, ..shown }
        }
        Err(error) => PlaygroundReply { text: format!("AI reply failed: {error}"), failed: true, ..shown },
    })
}

/// The request as it reads: "system:" and the text, for each message, then the tools.
fn readable(body: &serde_json::Value) -> String {
    let mut text = String::new();
    for message in body["messages"].as_array().into_iter().flatten() {
        let role = message["role"].as_str().unwrap_or_default();
        let name = message["name"].as_str().map(|name| format!(" ({name})")).unwrap_or_default();
        let content = message["content"].as_str().unwrap_or_default();
        text.push_str(&format!("{role}{name}:\n{content}\n\n"));
    }
    let tools: Vec<&str> =
        body["tools"].as_array().into_iter().flatten().filter_map(|tool| tool["function"]["name"].as_str()).collect();
    match tools.as_slice() {
        [] => text.push_str("No tools."),
        tools => text.push_str(&format!("Tools it may call: {}.", tools.join(", "))),
    }
    text
}

fn check_turns(turns: &[PlaygroundTurn]) -> Result<(), AppError> {
    let refuse = |message: &str| Err(AppError::field("message", message));
    match turns.last() {
        None => return refuse("Write a message as the lead."),
        Some(last) if !last.lead => return refuse("Write a message as the lead."),
        Some(_) => {}
    }
    if turns.len() > MAX_TURNS {
        return refuse("This test conversation is long enough: start over.");
    }
    if turns.iter().any(|turn| turn.text.trim().is_empty()) {
        return refuse("Write a message as the lead.");
    }
    if turns.iter().any(|turn| turn.text.chars().count() > MAX_MESSAGE_CHARS) {
        return refuse(&format!("Keep each message within {MAX_MESSAGE_CHARS} characters."));
    }
    Ok(())
}

/// What the reply's action would do in a real conversation.
fn would(action: &ReplyAction, request: &ReplyRequest) -> Option<String> {
    match action {
        ReplyAction::Continue => None,
        ReplyAction::Book { starts_at } => {
            let slot = request.slots.iter().find(|slot| slot.starts_at == *starts_at)?;
            Some(format!("Would book {} ({}): nothing is booked here.", slot.label, request.zone_label))
        }
        ReplyAction::Move { starts_at } => {
            let slot = request.slots.iter().find(|slot| slot.starts_at == *starts_at)?;
            Some(format!("Would move the lead's call to {} ({}).", slot.label, request.zone_label))
        }
        ReplyAction::SetStage { stage } => Some(format!("Would move the lead to “{}”.", status_label(stage))),
        ReplyAction::HandOff { reason } => Some(format!("Would hand the conversation to the team: {reason}")),
    }
}
