//! Reading a server-sent event stream from the app's router.
use std::time::Duration;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use futures::StreamExt;
use tower::ServiceExt;

/// Reads server-sent events from a streamed response body.
pub struct EventReader {
    body: axum::body::BodyDataStream,
    buffer: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub name: String,
    pub data: String,
}

impl EventReader {
    /// Opens the stream at `path` with `cookie` (and `Last-Event-ID` when given); it must answer
    /// 200 with `text/event-stream`.
    pub async fn open(router: &axum::Router, path: &str, cookie: &str, last_event_id: Option<i64>) -> EventReader {
        let mut request = Request::get(path).header(header::COOKIE, cookie);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let kind = response.headers().get(header::CONTENT_TYPE).unwrap().to_str().unwrap().to_owned();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        EventReader { body: response.into_body().into_data_stream(), buffer: String::new() }
    }

    /// The next event (comments skipped), or `None` if none comes within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = SseEvent { id: None, name: "message".into(), data: String::new() };
                let mut any = false;
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("id:") {
                        event.id = Some(value.trim().to_owned());
                        any = true;
                    } else if let Some(value) = line.strip_prefix("event:") {
                        event.name = value.trim().to_owned();
                        any = true;
                    } else if let Some(value) = line.strip_prefix("data:") {
                        event.data.push_str(value.trim_start());
                        any = true;
                    }
                }
                if any {
                    return Some(event);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next()).await.ok()??.ok()?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}
