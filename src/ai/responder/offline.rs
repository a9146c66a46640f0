//! The built-in persona, used when no AI endpoint is configured (and by the tests): a deterministic
//! agent driven by the strategy. It greets in the strategy's tone, asks the qualification questions
//! in order, answers the objections the strategy lists, closes politely on a disqualifying answer,
//! offers real free slots and understands a choice ("the second one", "Tuesday at 10", "10am
//! works"), and books it. It keeps no state: where the conversation stands is read from the
//! history, whose persona turns it wrote itself.
use async_trait::async_trait;

use super::{FollowUp, OfferedSlot, Reply, ReplyAction, ReplyRequest, Responder, ResponderError, Speaker, Turn};

pub struct OfflineResponder;

#[async_trait]
impl Responder for OfflineResponder {
    async fn reply(&self, request: &ReplyRequest) -> Result<Reply, ResponderError> {
        Ok(respond(request))
    }
}

/// Asks the lead to choose a time.
const OFFER: &str = "Would one of these times work for a call?";
/// Ends every list of times: how a later turn knows that the lead is answering one.
const LISTED: &str = "(times in ";
/// Begins a booking's confirmation.
const BOOKED: &str = "You're booked for";
/// Opens an offer of times to move the lead's appointment to.
const MOVING: &str = "Let's find another time for your call on";
/// Begins the confirmation of a moved appointment.
const MOVED: &str = "Done: your call is moved to";
/// How many times an offer lists.
const OFFERED: usize = 3;

const WEEKDAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const STOP_WORDS: &[&str] = &["that", "this", "with", "have", "your", "they", "them", "their", "about", "from", "what"];

/// The strategy's qualification questions, in order: one per line, or per item of a list written
/// on one line ("Team size, then budget."). An item that is not a question becomes one.
pub fn questions(priority: &str) -> Vec<String> {
    let mut items = Vec::new();
    for line in priority.lines() {
        let line = strip_bullet(line);
        for part in line.split(';') {
            let pieces: Vec<String> = if part.contains('?') {
                part.split_inclusive('?').map(str::to_owned).collect()
            } else {
                part.replace(", then ", ";")
                    .replace(" then ", ";")
                    .replace(", ", ";")
                    .split(';')
                    .map(str::to_owned)
                    .collect()
            };
            items.extend(pieces.into_iter().map(|piece| piece.trim().trim_end_matches('.').trim().to_owned()));
        }
    }
    items.into_iter().filter(|item| !item.is_empty()).map(|item| as_question(&item)).collect()
}

fn strip_bullet(line: &str) -> &str {
    let line = line.trim().trim_start_matches(['-', '*', '•']).trim_start();
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && line[digits..].starts_with(['.', ')']) { line[digits + 1..].trim_start() } else { line }
}

fn as_question(item: &str) -> String {
    if item.ends_with('?') {
        return item.to_owned();
    }
    let lowered = lower_first(item);
    let first = lowered.split_whitespace().next().unwrap_or("");
    let direct = ["what", "how", "when", "where", "who", "which", "whether", "if", "why", "your", "the", "their"];
    if direct.contains(&first) {
        format!("Could you tell me {lowered}?")
    } else {
        format!("Could you tell me your {lowered}?")
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        // "ROI", "CRM": an acronym keeps its capitals.
        Some(_) if chars.clone().next().is_some_and(char::is_uppercase) => text.to_owned(),
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The words of `text`, lower-cased, letters, digits and `:` kept ("10:30", "2pm").
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == ':' || c == '\''))
        .map(|word| word.trim_matches('\'').to_owned())
        .filter(|word| !word.is_empty())
        .collect()
}

/// The words of a phrase that carry its meaning (four letters or more, no filler), singular.
fn keywords(phrase: &str) -> Vec<String> {
    words(phrase)
        .into_iter()
        .filter(|word| word.chars().count() >= 4 && !STOP_WORDS.contains(&word.as_str()))
        .map(|word| word.strip_suffix('s').map(str::to_owned).unwrap_or(word))
        .collect()
}

/// Whether the lead's words hold every keyword of `phrase` (as a word's beginning: "student" in
/// "students").
fn mentions(lead: &[String], phrase: &str) -> bool {
    let wanted = keywords(phrase);
    !wanted.is_empty() && wanted.iter().all(|keyword| lead.iter().any(|word| word.starts_with(keyword.as_str())))
}

/// The strategy's objection handling: one `objection: answer` per line.
fn objections(handling: &str) -> Vec<(String, String)> {
    handling
        .lines()
        .filter_map(|line| {
            let line = strip_bullet(line);
            let (trigger, answer) = line.split_once(':').or_else(|| line.split_once(" - "))?;
            let (trigger, answer) = (trigger.trim(), answer.trim());
            (!trigger.is_empty() && !answer.is_empty()).then(|| (trigger.to_owned(), answer.to_owned()))
        })
        .collect()
}

/// The disqualifying answers: one per line or comma.
fn disqualifiers(criteria: &str) -> Vec<String> {
    criteria
        .lines()
        .flat_map(|line| strip_bullet(line).split([',', ';']).map(|item| item.trim().trim_end_matches('.').to_owned()))
        .filter(|item| !item.is_empty())
        .collect()
}

fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or("there")
}

fn greeting(tone: &str, name: &str) -> String {
    let tone = tone.to_lowercase();
    let name = first_name(name);
    if ["formal", "professional", "polite"].iter().any(|word| tone.contains(word)) {
        format!("Hello {name}, thank you for getting in touch.")
    } else if ["playful", "casual", "fun", "relaxed"].iter().any(|word| tone.contains(word)) {
        format!("Hey {name}! Great to hear from you.")
    } else {
        format!("Hi {name}, thanks for reaching out!")
    }
}

/// The slots an offer lists: the first free time of each of the next days, then the next times.
fn pick_offer(slots: &[OfferedSlot]) -> Vec<&OfferedSlot> {
    let mut picked: Vec<&OfferedSlot> = Vec::new();
    for slot in slots {
        if picked.len() == OFFERED {
            break;
        }
        let day = slot.label.split(',').next().unwrap_or_default();
        if !picked.iter().any(|p| p.label.split(',').next().unwrap_or_default() == day) {
            picked.push(slot);
        }
    }
    for slot in slots {
        if picked.len() == OFFERED {
            break;
        }
        if !picked.iter().any(|p| p.starts_at == slot.starts_at) {
            picked.push(slot);
        }
    }
    picked.sort_by_key(|slot| slot.starts_at);
    picked
}

/// "1) Mon 7 Dec, 10:00", one per line, then "(times in UTC)".
fn times(offer: &[&OfferedSlot], zone: &str) -> String {
    let list: Vec<String> = offer.iter().enumerate().map(|(n, slot)| format!("{}) {}", n + 1, slot.label)).collect();
    format!("{}\n{LISTED}{zone})", list.join("\n"))
}

fn offer_text(offer: &[&OfferedSlot], zone: &str) -> String {
    format!("{OFFER}\n{}", times(offer, zone))
}

/// The slots the persona's last offer listed, as far as they are still free.
fn offered_in<'a>(offer: &str, slots: &'a [OfferedSlot]) -> Vec<&'a OfferedSlot> {
    let mut listed: Vec<(usize, &OfferedSlot)> =
        slots.iter().filter_map(|slot| offer.find(&slot.label).map(|at| (at, slot))).collect();
    listed.sort_by_key(|(at, _)| *at);
    listed.into_iter().map(|(_, slot)| slot).collect()
}

/// A time of day in the lead's words: "10", "10am", "10 am", "10:30", "2pm", "14:00".
fn time_in(words: &[String]) -> Option<(u32, Option<u32>)> {
    for (i, word) in words.iter().enumerate() {
        let (number, suffix) = word.split_at(word.find(|c: char| c.is_alphabetic()).unwrap_or(word.len()));
        let suffix = if suffix.is_empty() { words.get(i + 1).map(String::as_str).unwrap_or("") } else { suffix };
        let meridiem = match suffix {
            "am" | "a" => Some(false),
            "pm" | "p" => Some(true),
            _ => None,
        };
        let (hour, minute) = match number.split_once([':', '.']) {
            Some((h, m)) => (h.parse::<u32>().ok(), m.parse::<u32>().ok()),
            None => (number.parse::<u32>().ok(), None),
        };
        let Some(mut hour) = hour else { continue };
        // A bare 1, 2 or 3 is read as a choice from the list, not a time.
        if meridiem.is_none() && minute.is_none() && hour <= 3 {
            continue;
        }
        if hour > 23 || minute.is_some_and(|m| m > 59) {
            continue;
        }
        match meridiem {
            Some(true) if hour < 12 => hour += 12,
            Some(false) if hour == 12 => hour = 0,
            // "at 4" means the afternoon: nobody books a call at 4 in the night.
            None if hour < 8 => hour += 12,
            _ => {}
        }
        return Some((hour, minute));
    }
    None
}

fn weekday_in(words: &[String]) -> Option<u32> {
    words.iter().find_map(|word| {
        WEEKDAYS.iter().position(|day| word.len() >= 3 && day.starts_with(word.as_str())).map(|day| day as u32)
    })
}

fn ordinal_in(words: &[String], count: usize) -> Option<usize> {
    words.iter().find_map(|word| match word.as_str() {
        "first" | "1st" | "1" | "one" => Some(0),
        "second" | "2nd" | "2" | "two" => Some(1),
        "third" | "3rd" | "3" | "three" => Some(2),
        "last" => count.checked_sub(1),
        _ => None,
    })
}

/// Whether the lead asks to move an appointment: "can we reschedule", "I can't make it", "could we
/// do another day".
fn wants_to_move(words: &[String]) -> bool {
    let has = |wanted: &[&str]| words.iter().any(|word| wanted.contains(&word.as_str()));
    has(&["reschedule", "rearrange", "postpone", "move", "change", "push"])
        || (has(&["another", "different", "other", "later", "earlier"]) && has(&["time", "day", "date", "slot"]))
        || (has(&["can't", "cannot", "cant", "won't", "unable"]) && has(&["make", "attend", "come", "join"]))
}

fn wants_to_cancel(words: &[String]) -> bool {
    words.iter().any(|word| word.starts_with("cancel"))
}

fn declines(words: &[String]) -> bool {
    words.iter().any(|word| matches!(word.as_str(), "none" | "neither" | "another" | "other" | "different"))
}

/// What the lead's answer to an offer picks.
enum Choice<'a> {
    Slot(&'a OfferedSlot),
    /// Several offered times fit ("10am" on two days).
    Several(Vec<&'a OfferedSlot>),
    /// A day or time that is not free.
    NotFree,
    /// No day, time or number in it.
    Unclear,
}

/// The slot the lead chose: among those offered, else any free one that matches their day and time.
fn chosen<'a>(words: &[String], offered: &[&'a OfferedSlot], slots: &'a [OfferedSlot]) -> Choice<'a> {
    let weekday = weekday_in(words);
    let time = time_in(words);
    let fits = |slot: &&OfferedSlot| {
        weekday.is_none_or(|day| slot.weekday == day)
            && time.is_none_or(|(hour, minute)| slot.hour == hour && minute.is_none_or(|m| slot.minute == m))
    };
    if weekday.is_none() && time.is_none() {
        return match ordinal_in(words, offered.len()).and_then(|n| offered.get(n).copied()) {
            Some(slot) => Choice::Slot(slot),
            None => Choice::Unclear,
        };
    }
    let among: Vec<&OfferedSlot> = offered.iter().copied().filter(fits).collect();
    match among.as_slice() {
        [only] => Choice::Slot(only),
        [] => slots.iter().find(fits).map_or(Choice::NotFree, Choice::Slot),
        _ => match ordinal_in(words, among.len()).and_then(|n| among.get(n).copied()) {
            Some(slot) => Choice::Slot(slot),
            None => Choice::Several(among),
        },
    }
}

/// The lead's words since the persona last spoke (several quick messages read as one).
fn lead_since_last_reply(history: &[Turn]) -> String {
    let start = history.iter().rposition(|turn| turn.speaker != Speaker::Lead).map_or(0, |at| at + 1);
    history[start..].iter().map(|turn| turn.text.as_str()).collect::<Vec<_>>().join(" ")
}

/// A nudge for a lead who left the persona's last message unanswered: in the strategy's tone, it
/// asks again what that message asked (its question, or to choose among the times it listed, as
/// far as they are still free). The last follow-up leaves the door open.
fn follow_up(request: &ReplyRequest, followup: FollowUp) -> Reply {
    let name = first_name(&request.lead_name);
    // What the persona last asked (an earlier follow-up asked it again, so the newest says it).
    let asked = request
        .history
        .iter()
        .rev()
        .find(|turn| matches!(turn.speaker, Speaker::Ai | Speaker::Agent))
        .map_or("", |turn| turn.text.as_str());
    let tone = request.strategy.tone.to_lowercase();
    let opener = if ["formal", "professional", "polite"].iter().any(|word| tone.contains(word)) {
        format!("Hello {name}, I wanted to follow up on my last message.")
    } else if ["playful", "casual", "fun", "relaxed"].iter().any(|word| tone.contains(word)) {
        format!("Hey {name}, just bumping this up!")
    } else {
        format!("Hi {name}, just checking in.")
    };
    let again = if asked.contains(LISTED) {
        let still_free = offered_in(asked, &request.slots);
        let offer = if still_free.is_empty() { pick_offer(&request.slots) } else { still_free };
        if offer.is_empty() { String::new() } else { offer_text(&offer, &request.zone_label) }
    } else {
        questions(&request.strategy.qualification_priority)
            .into_iter()
            .rev()
            .find(|question| asked.contains(question.as_str()))
            .unwrap_or_else(|| "Is there anything I can help you with?".to_owned())
    };
    let last = followup.number >= followup.of && followup.of > 1;
    let closing =
        if last { "If now isn't the right time, no problem: just write here whenever it suits you." } else { "" };
    let text =
        [opener, again, closing.to_owned()].into_iter().filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" ");
    Reply { text, action: ReplyAction::Continue }
}

/// The reply to the conversation in `request`.
pub fn respond(request: &ReplyRequest) -> Reply {
    if let Some(followup) = request.followup {
        return follow_up(request, followup);
    }
    let strategy = &request.strategy;
    let questions = questions(&strategy.qualification_priority);
    // The team's own messages speak for the same side: after a person's hello, no second greeting.
    let persona_turns: Vec<&Turn> =
        request.history.iter().filter(|turn| matches!(turn.speaker, Speaker::Ai | Speaker::Agent)).collect();
    let last_persona = persona_turns.last().map(|turn| turn.text.as_str()).unwrap_or("");
    let lead_text = lead_since_last_reply(&request.history);
    let lead_words = words(&lead_text);
    let name = first_name(&request.lead_name).to_owned();
    let offer = pick_offer(&request.slots);
    let next_question = questions.iter().find(|q| !persona_turns.iter().any(|turn| turn.text.contains(q.as_str())));
    let pending_question = questions.iter().rev().find(|q| last_persona.contains(q.as_str()));

    let continue_with = |text: String| Reply { text, action: ReplyAction::Continue };
    // What comes after the questions: times to choose from, or a colleague.
    let next_step = |lead_in: &str| -> Reply {
        if !offer.is_empty() {
            return continue_with(format!("{lead_in}{}", offer_text(&offer, &request.zone_label)).trim().to_owned());
        }
        Reply {
            text: format!("{lead_in}A colleague will be in touch shortly to find a time to talk.").trim().to_owned(),
            action: ReplyAction::HandOff { reason: "The lead is qualified and needs a time to talk.".to_owned() },
        }
    };

    if persona_turns.is_empty() {
        let hello = greeting(&strategy.tone, &request.lead_name);
        return match questions.first() {
            Some(question) => continue_with(format!("{hello} {question}")),
            None => next_step(&format!("{hello} ")),
        };
    }

    if let Some(appointment) = &request.appointment
        && !last_persona.contains(LISTED)
    {
        if wants_to_cancel(&lead_words) {
            return Reply {
                text: format!(
                    "Of course, {name}. I'll ask a colleague to take care of your call on {}.",
                    appointment.label
                ),
                action: ReplyAction::HandOff { reason: "The lead wants to cancel their appointment.".to_owned() },
            };
        }
        if wants_to_move(&lead_words) {
            let lead_in = format!("No problem, {name}. {MOVING} {} ({}).", appointment.label, request.zone_label);
            if offer.is_empty() {
                return Reply {
                    text: format!("{lead_in} A colleague will be in touch to find one with you."),
                    action: ReplyAction::HandOff {
                        reason: "The lead wants to move their appointment and no other time is free.".to_owned(),
                    },
                };
            }
            return continue_with(format!("{lead_in} {}", offer_text(&offer, &request.zone_label)));
        }
    }

    if let Some((_, answer)) = objections(&strategy.objection_handling).into_iter().find(|(trigger, _)| {
        lead_text.to_lowercase().contains(&trigger.to_lowercase()) || mentions(&lead_words, trigger)
    }) {
        let again = if last_persona.contains(LISTED) {
            offer_text(&offered_in(last_persona, &request.slots), &request.zone_label)
        } else {
            pending_question.cloned().unwrap_or_default()
        };
        return continue_with(format!("{answer} {again}").trim().to_owned());
    }

    if disqualifiers(&strategy.disqualification_criteria).iter().any(|item| mentions(&lead_words, item)) {
        let text = format!(
            "Thank you for telling me, {name}. It sounds like we are not the right fit for you at the moment, \
             so I won't take more of your time. All the best!"
        );
        let lost = request.stages.iter().any(|stage| stage == "lost");
        let action = if lost { ReplyAction::SetStage { stage: "lost".to_owned() } } else { ReplyAction::Continue };
        return Reply { text, action };
    }

    if last_persona.contains(LISTED) {
        let offered = offered_in(last_persona, &request.slots);
        let offered = if offered.is_empty() { offer.clone() } else { offered };
        let wants_another = Reply {
            text: "No problem. I'll ask a colleague to find a time that suits you.".to_owned(),
            action: ReplyAction::HandOff { reason: "The lead wants a time that was not offered.".to_owned() },
        };
        return match chosen(&lead_words, &offered, &request.slots) {
            Choice::Slot(slot) if request.appointment.is_some() && last_persona.contains(MOVING) => Reply {
                text: format!("{MOVED} {} ({}). See you then, {name}!", slot.label, request.zone_label),
                action: ReplyAction::Move { starts_at: slot.starts_at },
            },
            Choice::Slot(slot) => Reply {
                text: format!("{BOOKED} {} ({}). See you then, {name}!", slot.label, request.zone_label),
                action: ReplyAction::Book { starts_at: slot.starts_at },
            },
            Choice::Several(fitting) => {
                continue_with(format!("Which one do you mean?\n{}", times(&fitting, &request.zone_label)))
            }
            Choice::NotFree => wants_another,
            Choice::Unclear if declines(&lead_words) => wants_another,
            Choice::Unclear if offered.is_empty() => next_step(""),
            Choice::Unclear => continue_with(format!(
                "Which of these suits you best? You can answer with its number.\n{}",
                times(&offered, &request.zone_label)
            )),
        };
    }

    if last_persona.starts_with(BOOKED) || last_persona.starts_with(MOVED) {
        return continue_with(format!("Thanks, {name}! If anything comes up before then, just write here."));
    }

    match next_question {
        Some(question) => continue_with(format!("Thanks! {question}")),
        None => next_step("Thank you, that's everything I needed. "),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone as _, Utc};

    use super::*;
    use crate::{
        ai::responder::Appointment,
        strategies::model::{StrategyForm, draft_fields},
    };

    /// Free times from Monday 7 December 2026 on, in UTC.
    fn slots(times: &[(u32, u32, u32)]) -> Vec<OfferedSlot> {
        times
            .iter()
            .map(|&(day, hour, minute)| {
                let starts_at = Utc.with_ymd_and_hms(2026, 12, day, hour, minute, 0).unwrap();
                OfferedSlot {
                    starts_at,
                    label: format!("{}, {}", starts_at.format("%a %-d %b"), starts_at.format("%H:%M")),
                    weekday: (day - 7) % 7,
                    hour,
                    minute,
                }
            })
            .collect()
    }

    fn week() -> Vec<OfferedSlot> {
        slots(&[(7, 10, 0), (7, 14, 0), (8, 10, 0), (8, 15, 30), (9, 9, 30), (9, 14, 0)])
    }

    struct Chat {
        request: ReplyRequest,
    }

    impl Chat {
        fn new(form: StrategyForm, slots: Vec<OfferedSlot>) -> Chat {
            Chat {
                request: ReplyRequest {
                    strategy: draft_fields(&form),
                    system_prompt: String::new(),
                    lead_name: "Sam Rivera".to_owned(),
                    history: Vec::new(),
                    slots,
                    appointment: None,
                    zone_label: "UTC".to_owned(),
                    stages: ["lead", "contacted", "qualified", "booked", "won", "lost"].map(str::to_owned).to_vec(),
                    followup: None,
                },
            }
        }

        /// The lead writes; the persona's reply is added to the history and returned.
        fn lead(&mut self, text: &str) -> Reply {
            self.request.history.push(Turn { speaker: Speaker::Lead, text: text.to_owned() });
            let reply = respond(&self.request);
            self.request.history.push(Turn { speaker: Speaker::Ai, text: reply.text.clone() });
            reply
        }

        /// The lead stays quiet: follow-up `number` of `of`, added to the history.
        fn quiet(&mut self, number: u32, of: u32) -> Reply {
            self.request.followup = Some(FollowUp { number, of, quiet_minutes: 1_440 });
            let reply = respond(&self.request);
            self.request.followup = None;
            self.request.history.push(Turn { speaker: Speaker::Ai, text: reply.text.clone() });
            reply
        }
    }

    fn said(text: &str) -> Reply {
        Reply { text: text.to_owned(), action: ReplyAction::Continue }
    }

    fn at(day: u32, hour: u32, minute: u32) -> ReplyAction {
        ReplyAction::Book { starts_at: Utc.with_ymd_and_hms(2026, 12, day, hour, minute, 0).unwrap() }
    }

    fn friendly() -> StrategyForm {
        StrategyForm {
            name: "Friendly closer".to_owned(),
            tone: "Warm and brief".to_owned(),
            qualification_priority: "Team size, then budget.".to_owned(),
            objection_handling: "Too expensive: Most teams earn it back within two months.\n\
                                 Already have a tool: We import everything from it in minutes."
                .to_owned(),
            disqualification_criteria: "Students".to_owned(),
            ..StrategyForm::default()
        }
    }

    #[test]
    fn a_friendly_persona_qualifies_handles_an_objection_and_books_the_second_time() {
        let mut chat = Chat::new(friendly(), week());
        assert_eq!(
            chat.lead("Hi, I saw your ad"),
            said("Hi Sam, thanks for reaching out! Could you tell me your team size?")
        );
        assert_eq!(chat.lead("We are 12 people"), said("Thanks! Could you tell me your budget?"));
        assert_eq!(
            chat.lead("Honestly it sounds too expensive"),
            said("Most teams earn it back within two months. Could you tell me your budget?")
        );
        assert_eq!(
            chat.lead("Around 500 a month"),
            said(
                "Thank you, that's everything I needed. Would one of these times work for a call?\n\
                 1) Mon 7 Dec, 10:00\n2) Tue 8 Dec, 10:00\n3) Wed 9 Dec, 09:30\n(times in UTC)"
            )
        );
        assert_eq!(
            chat.lead("The second one please"),
            Reply {
                text: "You're booked for Tue 8 Dec, 10:00 (UTC). See you then, Sam!".to_owned(),
                action: at(8, 10, 0)
            }
        );
        assert_eq!(chat.lead("Thanks!"), said("Thanks, Sam! If anything comes up before then, just write here."));
    }

    #[test]
    fn a_booked_lead_moves_the_call_by_words_and_a_cancellation_goes_to_a_person() {
        let mut chat = Chat::new(friendly(), week());
        chat.lead("Hi");
        chat.lead("We are 12");
        chat.lead("About 500");
        assert_eq!(chat.lead("The first one").action, at(7, 10, 0));
        // The booking service took Monday 10:00: the appointment is no longer a free time.
        chat.request.slots.remove(0);
        let booked = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap();
        chat.request.appointment = Some(Appointment { starts_at: booked, label: "Mon 7 Dec, 10:00".to_owned() });
        // A question that is no request to move is answered as before.
        assert_eq!(chat.lead("Great, thanks"), said("Thanks, Sam! If anything comes up before then, just write here."));
        assert_eq!(
            chat.lead("Sorry, I can't make it on Monday after all. Could we reschedule?"),
            said(
                "No problem, Sam. Let's find another time for your call on Mon 7 Dec, 10:00 (UTC). Would one of \
                 these times work for a call?\n1) Mon 7 Dec, 14:00\n2) Tue 8 Dec, 10:00\n3) Wed 9 Dec, 09:30\n\
                 (times in UTC)"
            )
        );
        assert_eq!(
            chat.lead("Wednesday works"),
            Reply {
                text: "Done: your call is moved to Wed 9 Dec, 09:30 (UTC). See you then, Sam!".to_owned(),
                action: ReplyAction::Move { starts_at: Utc.with_ymd_and_hms(2026, 12, 9, 9, 30, 0).unwrap() },
            }
        );
        assert_eq!(chat.lead("Perfect"), said("Thanks, Sam! If anything comes up before then, just write here."));
        let moved = Utc.with_ymd_and_hms(2026, 12, 9, 9, 30, 0).unwrap();
        chat.request.appointment = Some(Appointment { starts_at: moved, label: "Wed 9 Dec, 09:30".to_owned() });
        let cancelled = chat.lead("Actually I need to cancel, sorry");
        assert_eq!(
            cancelled.action,
            ReplyAction::HandOff { reason: "The lead wants to cancel their appointment.".to_owned() }
        );
        assert_eq!(
            cancelled.text,
            "Of course, Sam. I'll ask a colleague to take care of your call on Wed 9 Dec, 09:30."
        );

        // Without an appointment, the same words are no request to move: a new offer is a booking.
        let mut fresh = Chat::new(StrategyForm::default(), week());
        fresh.lead("Hi");
        assert_eq!(fresh.lead("second").action, at(8, 10, 0));
    }

    #[test]
    fn a_quiet_lead_is_asked_again_what_was_asked_and_the_last_nudge_leaves_the_door_open() {
        let mut chat = Chat::new(friendly(), week());
        chat.lead("Hi, I saw your ad");
        assert_eq!(chat.quiet(1, 2), said("Hi Sam, just checking in. Could you tell me your team size?"));
        assert_eq!(
            chat.quiet(2, 2),
            said(
                "Hi Sam, just checking in. Could you tell me your team size? If now isn't the right time, no \
                 problem: just write here whenever it suits you."
            )
        );
        // The lead answers the nudge: the questions go on where they were.
        assert_eq!(chat.lead("We are 12"), said("Thanks! Could you tell me your budget?"));
        chat.lead("Around 500");
        // An offer is repeated with the times that are still free, and can be answered by number.
        chat.request.slots.remove(0);
        let casual = StrategyForm { tone: "Casual".to_owned(), ..friendly() };
        chat.request.strategy = draft_fields(&casual);
        assert_eq!(
            chat.quiet(1, 3),
            said(
                "Hey Sam, just bumping this up! Would one of these times work for a call?\n\
                 1) Tue 8 Dec, 10:00\n2) Wed 9 Dec, 09:30\n(times in UTC)"
            )
        );
        assert_eq!(
            chat.lead("the first one"),
            Reply {
                text: "You're booked for Tue 8 Dec, 10:00 (UTC). See you then, Sam!".to_owned(),
                action: at(8, 10, 0)
            }
        );
    }

    #[test]
    fn a_formal_persona_asks_its_own_questions_and_understands_a_day_and_hour() {
        let form = StrategyForm {
            tone: "Formal and concise".to_owned(),
            qualification_priority: "1. What is your company's main goal this year?\n2) When would you like to start?"
                .to_owned(),
            ..StrategyForm::default()
        };
        let mut chat = Chat::new(form, week());
        assert_eq!(
            chat.lead("Hello"),
            said("Hello Sam, thank you for getting in touch. What is your company's main goal this year?")
        );
        assert_eq!(chat.lead("Grow sales"), said("Thanks! When would you like to start?"));
        assert!(chat.lead("Next month").text.ends_with("3) Wed 9 Dec, 09:30\n(times in UTC)"));
        assert_eq!(chat.lead("Tuesday at 10 works for me").action, at(8, 10, 0));
    }

    #[test]
    fn an_ambiguous_hour_is_asked_about_and_a_free_time_not_offered_is_booked_too() {
        let mut chat = Chat::new(StrategyForm::default(), week());
        let first = chat.lead("Hi");
        assert!(first.text.starts_with("Hi Sam, thanks for reaching out! Would one of these times work"), "{first:?}");
        assert_eq!(
            chat.lead("10am works"),
            said("Which one do you mean?\n1) Mon 7 Dec, 10:00\n2) Tue 8 Dec, 10:00\n(times in UTC)")
        );
        assert_eq!(chat.lead("monday").action, at(7, 10, 0));

        let mut other = Chat::new(StrategyForm::default(), week());
        other.lead("Hi");
        assert_eq!(other.lead("Could we do Wednesday at 2pm?").action, at(9, 14, 0), "free, though not offered");
        let mut taken = Chat::new(StrategyForm::default(), week());
        taken.lead("Hi");
        let refused = taken.lead("Friday at 4pm?");
        assert!(matches!(refused.action, ReplyAction::HandOff { .. }), "{refused:?}");
        let mut unclear = Chat::new(StrategyForm::default(), week());
        unclear.lead("Hi");
        let again = unclear.lead("hmm, let me think");
        assert!(again.text.starts_with("Which of these suits you best?"), "{again:?}");
        assert_eq!(unclear.lead("3").action, at(9, 9, 30), "a number picks from the list just shown");
    }

    #[test]
    fn a_disqualifying_answer_closes_politely_and_marks_the_lead_lost() {
        let mut chat = Chat::new(friendly(), week());
        chat.lead("Hi there");
        let reply = chat.lead("I'm a student looking for a school project");
        assert!(reply.text.starts_with("Thank you for telling me, Sam. It sounds like we are not the right fit"));
        assert_eq!(reply.action, ReplyAction::SetStage { stage: "lost".to_owned() });
    }

    #[test]
    fn without_free_times_a_qualified_lead_is_handed_to_a_person() {
        let mut chat = Chat::new(friendly(), Vec::new());
        chat.lead("Hi");
        chat.lead("5 of us");
        let reply = chat.lead("Not much");
        assert_eq!(
            reply.text,
            "Thank you, that's everything I needed. A colleague will be in touch shortly to find a time to talk."
        );
        assert!(matches!(reply.action, ReplyAction::HandOff { .. }));
    }

    #[test]
    fn several_quick_messages_are_read_together() {
        let mut chat = Chat::new(friendly(), week());
        chat.lead("Hi");
        chat.request.history.push(Turn { speaker: Speaker::Lead, text: "We are 30 people.".to_owned() });
        let reply = chat.lead("But it looks too expensive for us");
        assert_eq!(reply.text, "Most teams earn it back within two months. Could you tell me your team size?");
    }

    #[test]
    fn qualification_lists_become_questions() {
        assert_eq!(
            questions("- Team size\n- How they sell today\n* Budget?; timeline"),
            [
                "Could you tell me your team size?",
                "Could you tell me how they sell today?",
                "Budget?",
                "Could you tell me your timeline?"
            ]
        );
        assert_eq!(
            questions("CRM in use, then ROI goal"),
            ["Could you tell me your CRM in use?", "Could you tell me your ROI goal?"]
        );
        assert!(questions("  \n").is_empty());
    }
}
