//! The background worker: one tokio task that takes jobs from the durable queues
//! (`state.infra.jobs`) and runs the handler registered for each queue, each job in its own task,
//! up to the queue's [`QueueHandler::concurrency`] at once: a slow AI call never holds up an
//! import, and one long import never holds up replies. It wakes when this instance enqueues a job
//! (`state.infra.job_wake`), and otherwise polls with a short sleep. At shutdown it takes no more
//! jobs and waits for the running ones, which end between steps when they check
//! [`Shutdown::is_requested`] (such a job is handed back and resumes on the next start).
//!
//! Another kind of job is one more [`QueueHandler`] in `crate::domains::queue_handlers`.
//! Housekeeping that runs on a clock (deleting what has expired) is a [`PeriodicTask`] in
//! `crate::domains::periodic_tasks`; the worker runs each one at start-up and then every period,
//! between jobs.
//! Periodic tasks must be idempotent: every server's worker runs them.
use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use tokio::{
    sync::{Semaphore, watch},
    task::{JoinHandle, JoinSet},
};

use super::{
    infra::{Job, jobs::DEFAULT_MAX_ATTEMPTS},
    state::AppState,
};

/// How long the worker sleeps when no queue has a due job.
const IDLE_POLL: Duration = Duration::from_millis(250);
/// After an error from the queue itself (database or Redis down).
const QUEUE_ERROR_PAUSE: Duration = Duration::from_secs(2);
/// When a failed job is tried again.
const RETRY_IN: Duration = Duration::from_secs(10);

/// Whether shutdown has been asked for; cheap to clone into jobs.
#[derive(Clone)]
pub struct Shutdown {
    receiver: watch::Receiver<bool>,
    /// Held by [`Shutdown::manual`] signals, so that the channel stays open.
    sender: Option<Arc<watch::Sender<bool>>>,
}

impl Shutdown {
    pub fn is_requested(&self) -> bool {
        *self.receiver.borrow()
    }

    async fn requested(&mut self) {
        // An error means the sender is gone: nobody can ask any more, so wait forever.
        if self.receiver.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// A signal fired by [`Shutdown::request`] only, for tests and one-off runs.
    pub fn manual() -> Shutdown {
        let (sender, receiver) = watch::channel(false);
        Shutdown { receiver, sender: Some(Arc::new(sender)) }
    }

    /// Asks a [`Shutdown::manual`] signal to fire.
    pub fn request(&self) {
        if let Some(sender) = &self.sender {
            sender.send_replace(true);
        }
    }
}

/// How a job ended, as far as the queue is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Done (or given up for good, with the reason recorded by the handler): acknowledge it.
    Done,
    /// Stopped for shutdown: hand it back at once, it resumes where it stopped.
    Interrupted,
}

pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<JobOutcome, String>> + Send>>;

/// Runs one job. `Err` is retried after a pause until the job has used its attempts; the handler
/// sees `job.attempts` and should record a final failure itself on the last one.
pub type Handler = Arc<dyn Fn(AppState, Job, Shutdown) -> HandlerFuture + Send + Sync>;

#[derive(Clone)]
pub struct QueueHandler {
    pub queue: &'static str,
    /// How long one delivery may run before the job is handed to another worker.
    pub lease: Duration,
    /// How many of the queue's jobs one worker runs at once.
    pub concurrency: usize,
    pub handler: Handler,
}

pub type PeriodicFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// Housekeeping run every `every`; an error is logged and the task runs again at the next period.
#[derive(Clone)]
pub struct PeriodicTask {
    pub name: &'static str,
    pub every: Duration,
    pub task: Arc<dyn Fn(AppState) -> PeriodicFuture + Send + Sync>,
}

/// Runs the periodic tasks that are due (`due[i]` is when `tasks[i]` runs next) and moves their
/// next run a period on.
async fn run_due(state: &AppState, tasks: &[PeriodicTask], due: &mut [tokio::time::Instant]) {
    let now = tokio::time::Instant::now();
    for (task, due) in tasks.iter().zip(due.iter_mut()) {
        if *due > now {
            continue;
        }
        *due = now + task.every;
        if let Err(error) = (task.task)(state.clone()).await {
            tracing::warn!(%error, task = task.name, "periodic task failed");
        }
    }
}

/// Whether this delivery is the job's last chance.
pub fn is_last_attempt(job: &Job) -> bool {
    job.attempts >= DEFAULT_MAX_ATTEMPTS
}

/// Runs one reserved job to its end and settles it with the queue.
async fn run_job(state: &AppState, handler: &QueueHandler, job: Job, shutdown: &Shutdown) {
    let outcome = (handler.handler)(state.clone(), job.clone(), shutdown.clone()).await;
    let settled = match outcome {
        Ok(JobOutcome::Done) => state.infra.jobs.ack(&job).await,
        Ok(JobOutcome::Interrupted) => state.infra.jobs.fail(&job, "interrupted by shutdown", Duration::ZERO).await,
        Err(error) => {
            tracing::warn!(%error, queue = handler.queue, job = %job.id, attempt = job.attempts, "job failed");
            state.infra.jobs.fail(&job, &error, RETRY_IN).await
        }
    };
    if let Err(error) = settled {
        tracing::warn!(%error, queue = handler.queue, job = %job.id, "could not settle a job");
    }
}

/// One due job of `handler`'s queue, if any (a queue error is logged and paused on).
async fn take(state: &AppState, handler: &QueueHandler) -> Option<Job> {
    match state.infra.jobs.reserve(handler.queue, handler.lease).await {
        Ok(job) => job,
        Err(error) => {
            tracing::warn!(%error, queue = handler.queue, "could not take a job");
            tokio::time::sleep(QUEUE_ERROR_PAUSE).await;
            None
        }
    }
}

/// Takes at most one due job from the first queue that has one and runs it; returns whether a
/// job ran. Tests call it to run the queue without a background task.
pub async fn run_once(state: &AppState, handlers: &[QueueHandler], shutdown: &Shutdown) -> bool {
    for handler in handlers {
        if let Some(job) = take(state, handler).await {
            run_job(state, handler, job, shutdown).await;
            return true;
        }
    }
    false
}

/// Starts every due job the free slots allow, each in its own task; returns whether any started.
async fn fill(
    state: &AppState,
    handlers: &[(QueueHandler, Arc<Semaphore>)],
    running: &mut JoinSet<()>,
    shutdown: &Shutdown,
) -> bool {
    let mut started = false;
    for (handler, slots) in handlers {
        while let Ok(slot) = slots.clone().try_acquire_owned() {
            let Some(job) = take(state, handler).await else { break };
            let (state, handler, shutdown) = (state.clone(), handler.clone(), shutdown.clone());
            running.spawn(async move {
                run_job(&state, &handler, job, &shutdown).await;
                drop(slot);
            });
            started = true;
        }
    }
    started
}

/// Serves the queues, and runs the periodic tasks, until shutdown is requested; then waits for
/// the jobs still running.
pub async fn run(state: AppState, handlers: Vec<QueueHandler>, periodic: Vec<PeriodicTask>, mut shutdown: Shutdown) {
    let mut due = vec![tokio::time::Instant::now(); periodic.len()];
    let handlers: Vec<(QueueHandler, Arc<Semaphore>)> = handlers
        .into_iter()
        .map(|handler| {
            let slots = Arc::new(Semaphore::new(handler.concurrency.max(1)));
            (handler, slots)
        })
        .collect();
    let wake = state.infra.job_wake.clone();
    let mut running = JoinSet::new();
    while !shutdown.is_requested() {
        run_due(&state, &periodic, &mut due).await;
        while running.try_join_next().is_some() {}
        if fill(&state, &handlers, &mut running, &shutdown).await {
            continue;
        }
        tokio::select! {
            () = tokio::time::sleep(IDLE_POLL) => {}
            () = wake.notified() => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
            () = shutdown.requested() => {}
        }
    }
    while running.join_next().await.is_some() {}
}

/// Starts the worker task; send `true` to stop it, then await the handle.
pub fn spawn(
    state: AppState,
    handlers: Vec<QueueHandler>,
    periodic: Vec<PeriodicTask>,
) -> (watch::Sender<bool>, JoinHandle<()>) {
    let (stop, receiver) = watch::channel(false);
    let task = tokio::spawn(run(state, handlers, periodic, Shutdown { receiver, sender: None }));
    (stop, task)
}
