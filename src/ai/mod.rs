//! The AI sales persona: a strategy's persona answers a lead in their conversation, asks its
//! qualification questions, handles objections and books a free slot.
//!
//! A lead's message schedules one reply job ([`reply`]); the job asks a [`responder::Responder`]
//! for a structured reply (text and one action), checks the action on the server, and writes the
//! reply through the conversation service, unless a person acted in the conversation meanwhile.
//! The persona also reminds a lead of their booking in the conversation ([`reminders`]).
pub mod api;
pub mod playground;
#[cfg(feature = "ssr")]
pub mod reminders;
#[cfg(feature = "ssr")]
pub mod reply;
#[cfg(feature = "ssr")]
pub mod responder;
