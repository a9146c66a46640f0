//! Password hashing with argon2id at OWASP parameters, off the async runtime.
//!
//! Each hash takes ~19 MiB and tens of milliseconds of CPU, so it runs on the blocking pool behind a
//! semaphore sized to the cores: a burst of logins queues instead of exhausting memory.
use std::sync::{Arc, LazyLock};

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use tokio::sync::Semaphore;

/// OWASP: argon2id, m = 19 MiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

static HASHING_SLOTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
    Arc::new(Semaphore::new(cores))
});

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

fn argon2() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .map_err(|error| PasswordError::Hashing(error.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
) -> Result<T, PasswordError> {
    let _slot =
        HASHING_SLOTS.clone().acquire_owned().await.map_err(|error| PasswordError::Hashing(error.to_string()))?;
    tokio::task::spawn_blocking(work).await.map_err(|error| PasswordError::Hashing(error.to_string()))?
}

/// Hashes `password` into a PHC string (salt and parameters included).
pub async fn hash(password: String) -> Result<String, PasswordError> {
    run_blocking(move || {
        argon2()?
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|error| PasswordError::Hashing(error.to_string()))
    })
    .await
}

/// True when `password` matches `phc_hash`; a malformed hash is a mismatch, not an error.
pub async fn verify(password: String, phc_hash: String) -> Result<bool, PasswordError> {
    run_blocking(move || Ok(argon2()?.verify_password(password.as_bytes(), phc_hash.as_str()).is_ok())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_at_owasp_parameters_and_verifies() {
        let phc = hash("correct horse battery".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery".into(), phc.clone()).await.unwrap());
        assert!(!verify("wrong horse battery".into(), phc).await.unwrap());
    }

    #[tokio::test]
    async fn the_same_password_gets_a_new_salt_each_time() {
        let a = hash("same password".into()).await.unwrap();
        let b = hash("same password".into()).await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn a_malformed_hash_is_a_mismatch() {
        assert!(!verify("anything".into(), "not a hash".into()).await.unwrap());
    }
}
