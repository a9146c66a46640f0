use serde::{Deserialize, Serialize};

/// Which first steps a person has taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstSteps {
    /// They own a strategy (the persona that talks to their leads).
    pub strategy: bool,
    /// They own a client, added by hand or imported.
    pub client: bool,
    /// They saved their settings once: time zone and working hours are theirs, not the defaults.
    pub schedule: bool,
}

impl FirstSteps {
    pub fn done(&self) -> usize {
        [self.strategy, self.client, self.schedule].into_iter().filter(|done| *done).count()
    }

    pub fn complete(&self) -> bool {
        self.done() == 3
    }
}
