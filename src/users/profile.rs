//! A user's own settings: profile, time zone, working hours and GoHighLevel ids. Shared by the
//! server (which validates and stores them) and the client (which shows them).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Day keys in display order, with their labels.
pub const WEEKDAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

pub const MAX_COMPANY_CHARS: usize = 200;
pub const MAX_EXTERNAL_ID_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayHours {
    pub day: String,
    pub enabled: bool,
    /// "HH:MM", 24-hour clock, in the user's time zone.
    pub start: String,
    pub end: String,
}

/// The hours during which the AI persona may book appointments, one entry per weekday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingHours {
    pub days: Vec<DayHours>,
}

impl Default for WorkingHours {
    /// Monday to Friday, nine to five.
    fn default() -> Self {
        WorkingHours {
            days: WEEKDAYS
                .iter()
                .map(|(day, _)| DayHours {
                    day: (*day).to_owned(),
                    enabled: !matches!(*day, "sat" | "sun"),
                    start: "09:00".to_owned(),
                    end: "17:00".to_owned(),
                })
                .collect(),
        }
    }
}

impl WorkingHours {
    /// Reads the settings form's `hours[{day}_on|_start|_end]` fields. Every day is returned, so
    /// a disabled day keeps the times it had; errors are keyed `hours_{day}`.
    pub fn from_form(fields: &BTreeMap<String, String>) -> Result<WorkingHours, BTreeMap<String, String>> {
        let mut errors = BTreeMap::new();
        let mut days = Vec::with_capacity(WEEKDAYS.len());
        for (day, label) in WEEKDAYS {
            let value = |suffix: &str| fields.get(&format!("{day}_{suffix}")).map(|v| v.trim().to_owned());
            let enabled = value("on").is_some_and(|v| !v.is_empty());
            let start = value("start").unwrap_or_default();
            let end = value("end").unwrap_or_default();
            let start_minutes = parse_time(&start);
            let end_minutes = parse_time(&end);
            if enabled {
                match (start_minutes, end_minutes) {
                    (Some(start), Some(end)) if start < end => {}
                    (Some(_), Some(_)) => {
                        errors.insert(format!("hours_{day}"), format!("{label}: the end must be after the start."));
                    }
                    _ => {
                        errors.insert(format!("hours_{day}"), format!("{label}: enter times like 09:00 and 17:30."));
                    }
                }
            }
            let or_default = |text: String, parsed: Option<u16>, fallback: &str| {
                if parsed.is_some() { text } else { fallback.to_owned() }
            };
            days.push(DayHours {
                day: day.to_owned(),
                enabled,
                start: or_default(start, start_minutes, "09:00"),
                end: or_default(end, end_minutes, "17:00"),
            });
        }
        if errors.is_empty() { Ok(WorkingHours { days }) } else { Err(errors) }
    }

    /// Fills in missing days (older data, hand-edited JSON) so that every weekday is present.
    pub fn normalized(self) -> WorkingHours {
        let defaults = WorkingHours::default();
        let days = defaults
            .days
            .into_iter()
            .map(|fallback| self.days.iter().find(|d| d.day == fallback.day).cloned().unwrap_or(fallback))
            .collect();
        WorkingHours { days }
    }
}

/// Minutes since midnight of an "HH:MM" time.
pub fn parse_time(text: &str) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let hours: u16 = hours.parse().ok()?;
    let minutes: u16 = minutes.parse().ok()?;
    (hours < 24 && minutes < 60).then_some(hours * 60 + minutes)
}

/// Calendar, location and assigned-user ids of GoHighLevel: letters, digits, `-` and `_`.
pub fn validate_external_id(value: &str) -> Result<(), String> {
    let value = value.trim();
    if value.chars().count() > MAX_EXTERNAL_ID_CHARS {
        return Err(format!("Use at most {MAX_EXTERNAL_ID_CHARS} characters."));
    }
    if !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err("Use only letters, digits, '-' and '_' (copy the id from GoHighLevel).".to_owned());
    }
    Ok(())
}

pub fn validate_company(value: &str) -> Result<(), String> {
    if value.trim().chars().count() > MAX_COMPANY_CHARS {
        return Err(format!("Use at most {MAX_COMPANY_CHARS} characters."));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub email: String,
    pub company: String,
    pub timezone: String,
    pub booking_enabled: bool,
    pub working_hours: WorkingHours,
    pub ghl_calendar_id: String,
    pub ghl_location_id: String,
    pub ghl_assigned_user_id: String,
}

/// The settings form as submitted: field names are the form's input names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileForm {
    pub name: String,
    #[serde(default)]
    pub company: String,
    pub timezone: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    pub booking_enabled: Option<String>,
    /// `hours[{day}_on|_start|_end]`, read by [`WorkingHours::from_form`].
    #[serde(default)]
    pub hours: BTreeMap<String, String>,
    #[serde(default)]
    pub ghl_calendar_id: String,
    #[serde(default)]
    pub ghl_location_id: String,
    #[serde(default)]
    pub ghl_assigned_user_id: String,
}

/// What the settings page needs: the profile and the time zones to choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsData {
    pub profile: Profile,
    pub timezones: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn times_are_24_hour_hh_mm() {
        assert_eq!(parse_time("00:00"), Some(0));
        assert_eq!(parse_time("09:30"), Some(570));
        assert_eq!(parse_time("23:59"), Some(1439));
        for bad in ["24:00", "9:30", "09:60", "0930", "", "ab:cd", "09:3"] {
            assert_eq!(parse_time(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn working_hours_keep_every_day_and_check_enabled_ones() {
        let hours = WorkingHours::from_form(&form(&[
            ("mon_on", "on"),
            ("mon_start", "08:00"),
            ("mon_end", "12:00"),
            ("tue_start", "nonsense"),
        ]))
        .unwrap();
        assert_eq!(hours.days.len(), 7);
        assert!(hours.days[0].enabled);
        assert_eq!(hours.days[0].start, "08:00");
        assert!(!hours.days[1].enabled, "an unchecked day is off");
        assert_eq!(hours.days[1].start, "09:00", "an unparsable time of a disabled day falls back");

        let errors = WorkingHours::from_form(&form(&[("wed_on", "on"), ("wed_start", "17:00"), ("wed_end", "09:00")]))
            .unwrap_err();
        assert_eq!(errors["hours_wed"], "Wednesday: the end must be after the start.");
    }

    #[test]
    fn external_ids_are_plain_tokens() {
        assert!(validate_external_id("").is_ok());
        assert!(validate_external_id("cal_9f8A-2").is_ok());
        assert!(validate_external_id("no spaces").is_err());
        assert!(validate_external_id(&"x".repeat(101)).is_err());
    }
}
