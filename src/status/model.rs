use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServiceState {
    Up,
    Down,
    /// Not configured: the in-process implementation is used instead.
    Embedded,
}

impl ServiceState {
    pub fn label(&self) -> &'static str {
        match self {
            ServiceState::Up => "up",
            ServiceState::Down => "down",
            ServiceState::Embedded => "not configured (in-process)",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReport {
    pub version: String,
    pub uptime_secs: u64,
    pub database_kind: String,
    pub database: ServiceState,
    pub redis: ServiceState,
    /// Name of the newest applied migration.
    pub schema_version: Option<String>,
}

/// "3 d 4 h", "5 h 2 min", "42 s": the largest two units that matter.
pub fn format_uptime(secs: u64) -> String {
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min {} s", secs % 60),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::format_uptime;

    #[test]
    fn uptime_reads_in_the_two_largest_units() {
        assert_eq!(format_uptime(42), "42 s");
        assert_eq!(format_uptime(125), "2 min 5 s");
        assert_eq!(format_uptime(3 * 3600 + 120), "3 h 2 min");
        assert_eq!(format_uptime(2 * 86_400 + 5 * 3600 + 59), "2 d 5 h");
    }
}
