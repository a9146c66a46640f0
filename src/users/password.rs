//! Password hashing with argon2id at OWASP parameters, off the async runtime.
//!
//! Each hash needs 19 MiB of working memory and tens of milliseconds of CPU. Hashes run on the
//! blocking pool behind a semaphore sized to the cores, and reuse a pool of working-memory buffers
//! (at most one per core): a burst of logins queues instead of exhausting memory, and the memory is
//! neither re-allocated nor re-faulted for every hash (the allocator would otherwise keep hundreds of
//! MiB of freed blocks around).
use std::sync::{Arc, LazyLock, Mutex};

use argon2::{
    ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::phc::{Output, ParamsString, Salt},
};
use tokio::sync::Semaphore;

/// OWASP: argon2id, m = 19 MiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;
const SALT_BYTES: usize = 16;
const OUTPUT_BYTES: usize = 32;

static HASHING_SLOTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
    Arc::new(Semaphore::new(cores))
});

/// Working memory of finished hashes, reused by the next ones (never more buffers than slots).
static WORKING_MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

fn failed(error: impl std::fmt::Display) -> PasswordError {
    PasswordError::Hashing(error.to_string())
}

fn owasp_params() -> Result<Params, PasswordError> {
    Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, Some(OUTPUT_BYTES)).map_err(failed)
}

/// Runs `work` with at least `blocks` blocks of working memory taken from the pool.
fn with_working_memory<T>(blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
    let reusable = WORKING_MEMORY.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
    let mut memory = match reusable {
        Some(memory) if memory.len() >= blocks => memory,
        _ => vec![Block::default(); blocks],
    };
    let result = work(&mut memory[..blocks]);
    WORKING_MEMORY.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(memory);
    result
}

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
) -> Result<T, PasswordError> {
    let _slot = HASHING_SLOTS.clone().acquire_owned().await.map_err(failed)?;
    tokio::task::spawn_blocking(work).await.map_err(failed)?
}

fn hash_now(password: &[u8]) -> Result<String, PasswordError> {
    let params = owasp_params()?;
    let salt: [u8; SALT_BYTES] = rand::random();
    let mut output = [0u8; OUTPUT_BYTES];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    with_working_memory(params.block_count(), |memory| {
        argon2.hash_password_into_with_memory(password, &salt, &mut output, memory)
    })
    .map_err(failed)?;
    let phc = PasswordHash {
        algorithm: ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(failed)?,
        salt: Some(Salt::new(&salt).map_err(failed)?),
        hash: Some(Output::new(&output).map_err(failed)?),
    };
    Ok(phc.to_string())
}

/// Only argon2id hashes (the only kind this app writes) can match.
fn verify_now(password: &[u8], phc_hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc_hash) else { return false };
    let (Some(salt), Some(expected)) = (parsed.salt.as_ref(), parsed.hash.as_ref()) else { return false };
    if parsed.algorithm != ARGON2ID_IDENT {
        return false;
    }
    let Ok(params) = Params::try_from(&parsed) else { return false };
    let version = parsed.version.map(Version::try_from).transpose().ok().flatten().unwrap_or(Version::V0x13);
    let argon2 = Argon2::new(Algorithm::Argon2id, version, params.clone());
    let mut output = vec![0u8; expected.len()];
    let hashed = with_working_memory(params.block_count(), |memory| {
        argon2.hash_password_into_with_memory(password, salt, &mut output, memory)
    });
    // Output's equality is constant-time.
    hashed.is_ok() && Output::new(&output).is_ok_and(|actual| &actual == expected)
}

/// Hashes `password` into a PHC string (salt and parameters included).
pub async fn hash(password: String) -> Result<String, PasswordError> {
    run_blocking(move || hash_now(password.as_bytes())).await
}

/// True when `password` matches `phc_hash`; a malformed hash is a mismatch, not an error.
pub async fn verify(password: String, phc_hash: String) -> Result<bool, PasswordError> {
    run_blocking(move || Ok(verify_now(password.as_bytes(), &phc_hash))).await
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
    async fn hashes_from_the_argon2_crate_verify_too() {
        use argon2::PasswordHasher as _;
        let params = owasp_params().unwrap();
        let standard = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"correct horse battery")
            .unwrap()
            .to_string();
        assert!(verify("correct horse battery".into(), standard.clone()).await.unwrap());
        assert!(!verify("wrong".into(), standard).await.unwrap());
    }

    #[tokio::test]
    async fn a_malformed_hash_is_a_mismatch() {
        assert!(!verify("anything".into(), "not a hash".into()).await.unwrap());
    }
}
