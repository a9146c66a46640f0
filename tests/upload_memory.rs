//! An upload is stored as it arrives: receiving a 20 MB file raises the server's peak memory by
//! a few stored pieces, not by the file (the whole file was held once before, and the multipart
//! parser buffered all of a fast client's body on top). This binary holds
//! this one test, so that no other test's allocations fall into the measured peak.
mod common;

use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::atomic::{AtomicUsize, Ordering},
};

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use common::{
    BACKENDS,
    accounts::{PASSWORD, account},
};

/// The system allocator, counting the bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let now = IN_USE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MB: usize = 1024 * 1024;

#[tokio::test]
async fn receiving_a_large_upload_holds_pieces_not_the_file() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        account(&app, "Admin", "admin@example.com").await;
        let form = [("name", "Ana"), ("email", "ana@example.com"), ("password", PASSWORD)];
        let cookie = app.post_form("/api/signup", &form, None).await.session_cookie().unwrap();
        let boundary = "crmtestboundary7MA4YWxkTrZu0gW";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\
             Content-Type: text/csv\r\n\r\nName,Email,Notes\n"
        )
        .into_bytes();
        let mut n = 0;
        while body.len() < 20 * MB {
            body.extend_from_slice(format!("Client {n},c{n}@example.com,{}\n", "note ".repeat(20)).as_bytes());
            n += 1;
        }
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = Request::post("/clients/imports")
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .header(header::COOKIE, cookie)
            .body(Body::from_stream(futures::stream::iter(
                // As the network delivers it: in pieces, not as one buffer.
                body.chunks(64 * 1024)
                    .map(|piece| Ok::<_, std::io::Error>(axum::body::Bytes::copy_from_slice(piece)))
                    .collect::<Vec<_>>(),
            )))
            .unwrap();

        let before = IN_USE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let response = app.send(request).await;
        let peak = PEAK.load(Ordering::Relaxed) - before;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{backend:?}: {}", response.body);
        // A few stored pieces of 1 MB: the one being filled, its copy in the database driver's
        // buffers (one per pooled connection on PostgreSQL). Holding the file would pass 20 MB.
        assert!(peak < 12 * MB, "{backend:?}: receiving 20 MB raised the peak by {} MB", peak / MB);
        app.cleanup().await;
    }
}
