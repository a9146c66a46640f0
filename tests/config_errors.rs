//! The real binary: each bad variable stops start-up with one clear line naming it and exit
//! code 1 (no panic, no backtrace); a good configuration serves and stops cleanly on SIGTERM.
#![cfg(feature = "ssr")]

mod common;

use std::{
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BINARY: &str = env!("CARGO_BIN_EXE_crm");

fn scratch_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(common::unique_name("cfg"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary in a scratch directory with only `vars` (and PATH) set.
fn run_with(vars: &[(&str, &str)]) -> (Output, Duration) {
    let dir = scratch_dir();
    let mut command = Command::new(BINARY);
    command.current_dir(&dir).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    command.env("DATABASE_URL", format!("sqlite://{}/crm.db", dir.display()));
    command.env("LEPTOS_SITE_ADDR", "127.0.0.1:0");
    for (name, value) in vars {
        command.env(name, value);
    }
    let started = Instant::now();
    let output = command.stdin(Stdio::null()).output().unwrap();
    let elapsed = started.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    (output, elapsed)
}

fn assert_fails_naming(vars: &[(&str, &str)], variable: &str, detail: &str) {
    let (output, elapsed) = run_with(vars);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "exit code for {vars:?}; stderr:\n{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with(&format!("crm: {variable}: ")), "last line names {variable}: {last:?}");
    assert!(last.contains(detail), "last line explains the problem ({detail}): {last:?}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "no panic:\n{stderr}");
    assert!(elapsed < Duration::from_secs(20), "failed within seconds, took {elapsed:?}");
}

#[test]
fn unknown_database_scheme() {
    assert_fails_naming(&[("DATABASE_URL", "mysql://localhost/crm")], "DATABASE_URL", "unknown scheme 'mysql'");
}

#[test]
fn unparsable_database_url() {
    assert_fails_naming(&[("DATABASE_URL", "not a url")], "DATABASE_URL", "not a URL");
}

#[test]
fn unreachable_postgres() {
    assert_fails_naming(
        &[("DATABASE_URL", "postgres://postgres:secret@127.0.0.1:1/crm")],
        "DATABASE_URL",
        "cannot open the PostgreSQL database",
    );
    // The password never reaches the output.
    let (output, _) = run_with(&[("DATABASE_URL", "postgres://postgres:secret@127.0.0.1:1/crm")]);
    assert!(!String::from_utf8_lossy(&output.stderr).contains("secret"));
}

#[test]
fn bad_redis_url() {
    assert_fails_naming(&[("REDIS_URL", "http://127.0.0.1:6379")], "REDIS_URL", "unknown scheme 'http'");
}

#[test]
fn unreachable_redis() {
    assert_fails_naming(&[("REDIS_URL", "redis://127.0.0.1:1")], "REDIS_URL", "cannot connect to Redis");
}

#[test]
fn bad_site_address() {
    assert_fails_naming(&[("LEPTOS_SITE_ADDR", "localhost:http")], "LEPTOS_SITE_ADDR", "is not an address");
}

#[test]
fn site_address_in_use() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    assert_fails_naming(&[("LEPTOS_SITE_ADDR", &addr)], "LEPTOS_SITE_ADDR", "cannot listen on");
}

#[test]
fn admin_email_without_password() {
    assert_fails_naming(&[("CRM_ADMIN_EMAIL", "boss@example.com")], "CRM_ADMIN_PASSWORD", "must be set");
}

#[test]
fn malformed_dotenv_file() {
    let dir = scratch_dir();
    std::fs::write(dir.join(".env"), "THIS IS NOT=\"closed\n").unwrap();
    let output = Command::new(BINARY).current_dir(&dir).env_clear().output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("crm: .env:"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

async fn http_get(addr: &str, path: &str) -> std::io::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response)
}

#[tokio::test]
async fn serves_on_embedded_sqlite_and_stops_cleanly_on_sigterm() {
    let dir = scratch_dir();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = tokio::process::Command::new(BINARY)
        .current_dir(&dir)
        .env_clear()
        .env("LEPTOS_SITE_ADDR", &addr)
        .env("CRM_ADMIN_EMAIL", "boss@example.com")
        .env("CRM_ADMIN_PASSWORD", "a long enough password")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let mut ready = None;
    for _ in 0..300 {
        if let Ok(response) = http_get(&addr, "/readyz").await {
            ready = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ready = ready.expect("the server answers /readyz within 30 s");
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    assert!(ready.contains(r#""database":"up""#) && ready.contains(r#""redis":"not configured""#), "{ready}");
    assert!(http_get(&addr, "/healthz").await.unwrap().ends_with("ok"));
    assert!(dir.join("data/crm.db").exists(), "the default database file is created under data/");

    let pid = child.id().unwrap().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("stops within the grace period")
        .unwrap();
    assert_eq!(status.code(), Some(0), "a clean stop exits 0");
    let _ = std::fs::remove_dir_all(&dir);
}
