//! The background worker on SQLite and on PostgreSQL + Redis: each queue's jobs run concurrently up
//! to the queue's own limit, so a slow job of one queue (an AI call) never holds up another queue,
//! and a queue never runs more at once than its limit; at shutdown the running jobs are waited for.
#![cfg(feature = "ssr")]

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use common::BACKENDS;
use crm::server::{
    infra::Job,
    state::AppState,
    worker::{self, JobOutcome, QueueHandler, Shutdown},
};
use tokio::sync::{Semaphore, mpsc};

/// Generous: only reached when the worker is broken.
const PATIENCE: Duration = Duration::from_secs(30);

/// How many jobs of a gated queue started, run now, and ran at once at most.
#[derive(Default)]
struct Counts {
    started: AtomicUsize,
    running: AtomicUsize,
    peak: AtomicUsize,
}

impl Counts {
    fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }
}

/// A queue whose jobs each wait for one permit of `gate`, counted in `counts`.
fn gated(queue: &'static str, concurrency: usize, gate: Arc<Semaphore>, counts: Arc<Counts>) -> QueueHandler {
    QueueHandler {
        queue,
        lease: Duration::from_secs(60),
        concurrency,
        handler: Arc::new(move |_state: AppState, _job: Job, _shutdown: Shutdown| {
            let (gate, counts) = (gate.clone(), counts.clone());
            Box::pin(async move {
                counts.started.fetch_add(1, Ordering::SeqCst);
                let now = counts.running.fetch_add(1, Ordering::SeqCst) + 1;
                counts.peak.fetch_max(now, Ordering::SeqCst);
                gate.acquire().await.map_err(|error| error.to_string())?.forget();
                counts.running.fetch_sub(1, Ordering::SeqCst);
                Ok(JobOutcome::Done)
            })
        }),
    }
}

/// A queue whose jobs report their payload and end.
fn quick(queue: &'static str, done: mpsc::UnboundedSender<String>) -> QueueHandler {
    QueueHandler {
        queue,
        lease: Duration::from_secs(60),
        concurrency: 1,
        handler: Arc::new(move |_state: AppState, job: Job, _shutdown: Shutdown| {
            let done = done.clone();
            Box::pin(async move {
                done.send(job.payload).map_err(|error| error.to_string())?;
                Ok(JobOutcome::Done)
            })
        }),
    }
}

async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !condition() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_jobs_of_one_queue_hold_up_neither_other_queues_nor_more_than_their_limit() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let jobs = app.state.infra.jobs.clone();
        let gate = Arc::new(Semaphore::new(0));
        let counts = Arc::new(Counts::default());
        let (done, mut finished) = mpsc::unbounded_channel();
        let handlers = vec![gated("test-slow", 2, gate.clone(), counts.clone()), quick("test-quick", done)];
        let stop = Shutdown::manual();
        let worker = tokio::spawn(worker::run(app.state.clone(), handlers, Vec::new(), stop.clone()));

        for n in 0..3 {
            jobs.enqueue("test-slow", &format!("slow {n}"), Duration::ZERO).await.unwrap();
        }
        until("two slow jobs run", || counts.started() == 2).await;
        for n in 0..3 {
            jobs.enqueue("test-quick", &format!("quick {n}"), Duration::ZERO).await.unwrap();
        }
        let mut quick_ones = Vec::new();
        for _ in 0..3 {
            quick_ones.push(tokio::time::timeout(PATIENCE, finished.recv()).await.expect("a quick job ran").unwrap());
        }
        // Jobs due at the same millisecond have no order among themselves (in Redis, by their ids).
        quick_ones.sort();
        assert_eq!(quick_ones, ["quick 0", "quick 1", "quick 2"], "{backend:?}");
        assert_eq!(counts.started(), 2, "{backend:?}: the third slow job waits for a slot");

        // One slot frees: the third slow job starts; then all end, and shutdown waits for them.
        gate.add_permits(1);
        until("the third slow job starts", || counts.started() == 3).await;
        gate.add_permits(2);
        until("every slow job ended", || counts.running.load(Ordering::SeqCst) == 0).await;
        assert_eq!(counts.peak.load(Ordering::SeqCst), 2, "{backend:?}: never more than the queue's limit");
        stop.request();
        tokio::time::timeout(PATIENCE, worker).await.expect("the worker stops").unwrap();
        for queue in ["test-slow", "test-quick"] {
            assert_eq!(jobs.reserve(queue, Duration::from_secs(1)).await.unwrap(), None, "{backend:?}: {queue}");
        }
        app.cleanup().await;
    }
}
