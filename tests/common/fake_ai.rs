//! A fake OpenAI-compatible chat-completions endpoint on a spare local port. Each request takes
//! the next scripted answer (text, a tool call, an error status, a hang) and is kept with its
//! `Authorization` header, so a test checks what the app asked and how it coped.
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};

pub const KEY: &str = "sk-test-0123456789abcdef";

/// One answer of the fake endpoint.
#[derive(Debug, Clone)]
pub enum Script {
    Text(&'static str),
    /// A tool call with its JSON arguments, and a text beside it (may be empty).
    Tool {
        name: &'static str,
        arguments: String,
        text: &'static str,
    },
    /// Books the first time the request's `book_slot` tool offers, with no text.
    BookFirstOffered,
    /// An error status, with `Retry-After` seconds, and a body that echoes the key (as some
    /// endpoints do): the app must never pass it on.
    Status {
        code: u16,
        retry_after: Option<u64>,
    },
    /// Never answers (within the test's patience).
    Hang,
    /// Tells [`FakeAi::arrived`] that the request came, then answers this text once the test
    /// calls [`FakeAi::release`].
    Gated(&'static str),
}

#[derive(Debug, Clone)]
pub struct Received {
    pub authorization: Option<String>,
    pub body: Value,
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Script>>,
    received: Mutex<Vec<Received>>,
    arrived: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

pub struct FakeAi {
    pub port: u16,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeAi {
    pub async fn start() -> FakeAi {
        let shared = Arc::new(Shared::default());
        let app = Router::new().route("/v1/chat/completions", post(answer)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeAi { port, shared, server }
    }

    /// `AI_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// The app's configuration for this endpoint.
    pub fn config(&self, timeout_secs: &'static str) -> Vec<(&'static str, String)> {
        vec![
            ("AI_BASE_URL", self.base_url()),
            ("AI_API_KEY", KEY.to_owned()),
            ("AI_MODEL", "test-model".to_owned()),
            ("AI_TIMEOUT_SECS", timeout_secs.to_owned()),
        ]
    }

    pub fn will(&self, answers: impl IntoIterator<Item = Script>) {
        self.shared.script.lock().unwrap().extend(answers);
    }

    /// The requests received so far, and forgets them.
    pub fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.shared.received.lock().unwrap())
    }

    /// Waits until a [`Script::Gated`] request has come.
    pub async fn arrived(&self) {
        self.shared.arrived.notified().await;
    }

    /// Lets a waiting [`Script::Gated`] request have its answer.
    pub fn release(&self) {
        self.shared.release.notify_one();
    }

    pub fn stop(self) {
        self.server.abort();
    }
}

fn completion(text: &str, tool_calls: Vec<Value>) -> Value {
    let content = if text.is_empty() { Value::Null } else { json!(text) };
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "choices": [{ "index": 0, "finish_reason": "stop",
                      "message": { "role": "assistant", "content": content, "tool_calls": tool_calls } }]
    })
}

fn tool_call(name: &str, arguments: &str) -> Value {
    json!({ "id": "call_1", "type": "function", "function": { "name": name, "arguments": arguments } })
}

async fn answer(State(shared): State<Arc<Shared>>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).map(str::to_owned);
    shared.received.lock().unwrap().push(Received { authorization, body: body.clone() });
    let next = shared.script.lock().unwrap().pop_front();
    match next {
        Some(Script::Text(text)) => Json(completion(text, vec![])).into_response(),
        Some(Script::Tool { name, arguments, text }) => {
            Json(completion(text, vec![tool_call(name, &arguments)])).into_response()
        }
        Some(Script::BookFirstOffered) => {
            let first = body["tools"]
                .as_array()
                .and_then(|tools| tools.iter().find(|tool| tool["function"]["name"] == "book_slot"))
                .and_then(|tool| tool["function"]["parameters"]["properties"]["starts_at"]["enum"][0].as_str())
                .expect("the request offers a time to book")
                .to_owned();
            Json(completion("", vec![tool_call("book_slot", &json!({ "starts_at": first }).to_string())]))
                .into_response()
        }
        Some(Script::Status { code, retry_after }) => {
            let status = StatusCode::from_u16(code).unwrap();
            let body = json!({ "error": { "message": format!("Incorrect API key provided: {KEY}"), "type": "test" } });
            let mut response = (status, Json(body)).into_response();
            if let Some(seconds) = retry_after {
                response.headers_mut().insert(header::RETRY_AFTER, seconds.to_string().parse().unwrap());
            }
            response
        }
        Some(Script::Hang) => {
            tokio::time::sleep(Duration::from_secs(120)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Some(Script::Gated(text)) => {
            shared.arrived.notify_one();
            shared.release.notified().await;
            Json(completion(text, vec![])).into_response()
        }
        None => (StatusCode::INTERNAL_SERVER_ERROR, "no answer scripted").into_response(),
    }
}
