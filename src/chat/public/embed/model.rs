//! What the settings page's embedding section shows.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedSettings {
    /// The websites that may show the chat, normalised (`https://example.com`), in order.
    pub origins: Vec<String>,
    /// The chat's address, absolute (`https://crm.example.com/talk/ana`).
    pub talk_url: String,
    /// The owner's name, for the frame's title.
    pub owner_name: String,
}

impl EmbedSettings {
    /// The HTML to paste into the owner's website. Attribute values are escaped.
    pub fn snippet(&self) -> String {
        let escape =
            |text: &str| text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;");
        format!(
            "<iframe src=\"{}\" title=\"Chat with {}\" width=\"400\" height=\"640\" loading=\"lazy\"\n        style=\"border:0;max-width:100%\"></iframe>",
            escape(&self.talk_url),
            escape(&self.owner_name)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_escapes_what_it_quotes() {
        let settings = EmbedSettings {
            origins: vec![],
            talk_url: "https://crm.example.com/talk/ana".into(),
            owner_name: "Ana \"<b>\" & Co".into(),
        };
        let snippet = settings.snippet();
        assert!(snippet.starts_with("<iframe src=\"https://crm.example.com/talk/ana\""), "{snippet}");
        assert!(snippet.contains("title=\"Chat with Ana &quot;&lt;b&gt;&quot; &amp; Co\""), "{snippet}");
    }
}
