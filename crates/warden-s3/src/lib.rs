//! Uploads ledger export bundles to S3 or an S3-compatible store with Object Lock.
//!
//! Every object is written once (an existing key with other content is refused, never
//! overwritten; the same content, left by an export that stopped half-way, is kept), with
//! `x-amz-object-lock-mode` / `-retain-until-date` and an `x-amz-checksum-sha256` the
//! server must verify; after each PUT a HEAD reads back the lock and the checksum and
//! compares them. Retention changes go through
//! [`warden_ledger::export::check_retention`] first: a store may accept shortening a
//! COMPLIANCE retention (moto does), so refusing it is Warden's job.
//!
//! Credentials and region come from the usual AWS sources (environment, profile); the
//! region defaults to `us-east-1`, and `endpoint` (or `AWS_ENDPOINT_URL`) points at an
//! S3-compatible server with path-style addressing.

#![forbid(unsafe_code)]

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, ObjectLockMode, ObjectLockRetention, ObjectLockRetentionMode,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};
use warden_ledger::export::{Bundle, LockMode, check_retention};

/// Where bundles go.
#[derive(Debug, Clone)]
pub struct Target {
    pub bucket: String,
    /// Key prefix without a trailing slash (may be empty).
    pub prefix: String,
    /// An S3-compatible endpoint URL.
    pub endpoint: Option<String>,
}

/// Why an upload failed.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("cannot start the S3 client runtime: {0}")]
    Runtime(std::io::Error),
    #[error("s3://{bucket}/{key}: {op} failed: {message}")]
    Request {
        bucket: String,
        key: String,
        op: &'static str,
        message: String,
    },
    #[error(
        "s3://{bucket}/{key} already exists with other content; exports never overwrite objects"
    )]
    Exists { bucket: String, key: String },
    #[error("s3://{bucket}/{key}: read back {what} `{got}`, expected `{want}`")]
    Mismatch {
        bucket: String,
        key: String,
        what: &'static str,
        got: String,
        want: String,
    },
    #[error("{0}")]
    Refused(String),
}

impl Target {
    /// The object key of `rel` in bundle `name`.
    pub fn key(&self, name: &str, rel: &str) -> String {
        if self.prefix.is_empty() {
            format!("{name}/{rel}")
        } else {
            format!("{}/{name}/{rel}", self.prefix)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, S3Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(S3Error::Runtime)
}

async fn client(target: &Target) -> Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none()
    {
        loader = loader.region(aws_config::Region::new("us-east-1"));
    }
    if let Some(e) = &target.endpoint {
        loader = loader.endpoint_url(e);
    }
    let shared = loader.load().await;
    let conf = aws_sdk_s3::config::Builder::from(&shared)
        .force_path_style(true)
        .build();
    Client::from_conf(conf)
}

fn sdk_mode(mode: LockMode) -> ObjectLockMode {
    match mode {
        LockMode::Compliance => ObjectLockMode::Compliance,
        LockMode::Governance => ObjectLockMode::Governance,
    }
}

fn err<E: std::fmt::Display>(
    target: &Target,
    key: &str,
    op: &'static str,
) -> impl FnOnce(E) -> S3Error {
    let bucket = target.bucket.clone();
    let key = key.to_string();
    move |e| S3Error::Request {
        bucket,
        key,
        op,
        message: format!("{e}"),
    }
}

/// The lock currently on `key` (mode, retain-until in Unix seconds), if the object
/// exists and is locked. `Ok(None)` when it does not exist.
pub fn head_lock(target: &Target, key: &str) -> Result<Option<Option<(LockMode, i64)>>, S3Error> {
    runtime()?.block_on(async {
        let c = client(target).await;
        head(&c, target, key).await.map(|h| h.map(|(lock, _)| lock))
    })
}

type Head = (Option<(LockMode, i64)>, Option<String>);

async fn head(c: &Client, target: &Target, key: &str) -> Result<Option<Head>, S3Error> {
    match c
        .head_object()
        .bucket(&target.bucket)
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
    {
        Ok(h) => {
            let mode = match h.object_lock_mode() {
                Some(ObjectLockMode::Compliance) => Some(LockMode::Compliance),
                Some(ObjectLockMode::Governance) => Some(LockMode::Governance),
                _ => None,
            };
            let until = h.object_lock_retain_until_date().map(DateTime::secs);
            let lock = mode.zip(until);
            Ok(Some((lock, h.checksum_sha256().map(str::to_string))))
        }
        Err(e) => {
            let not_found = e
                .as_service_error()
                .is_some_and(aws_sdk_s3::operation::head_object::HeadObjectError::is_not_found);
            if not_found {
                Ok(None)
            } else {
                Err(err(target, key, "HeadObject")(
                    aws_sdk_s3::error::DisplayErrorContext(e),
                ))
            }
        }
    }
}

/// Uploads every file of `bundle` under `target`, locked with `mode` until
/// `retain_until_unix`; returns the keys written.
pub fn upload(
    target: &Target,
    bundle: &Bundle,
    mode: LockMode,
    retain_until_unix: i64,
) -> Result<Vec<String>, S3Error> {
    upload_files(target, &bundle.name, &bundle.files, mode, retain_until_unix)
}

/// Uploads `files` (`(relative path, bytes)`) as `<prefix>/<name>/<path>` with the same
/// guarantees as [`upload`]: written once, locked, checksummed and read back. For
/// directories that are not ledger exports (the incident evidence bundle).
pub fn upload_files(
    target: &Target,
    name: &str,
    files: &[(String, Vec<u8>)],
    mode: LockMode,
    retain_until_unix: i64,
) -> Result<Vec<String>, S3Error> {
    runtime()?.block_on(async {
        let c = client(target).await;
        let mut keys = Vec::new();
        for (rel, bytes) in files {
            let key = target.key(name, rel);
            let sha = B64.encode(Sha256::digest(bytes));
            if let Some((lock, checksum)) = head(&c, target, &key).await? {
                // The same bytes from an export that stopped half-way: keep them, and
                // make their lock at least as strong as asked (never weaker).
                if checksum.as_deref() != Some(sha.as_str()) || lock.is_none() {
                    return Err(S3Error::Exists {
                        bucket: target.bucket.clone(),
                        key,
                    });
                }
                if check_retention(lock, (mode, retain_until_unix)).is_ok()
                    && lock != Some((mode, retain_until_unix))
                {
                    put_retention(&c, target, &key, mode, retain_until_unix).await?;
                }
                keys.push(key);
                continue;
            }
            c.put_object()
                .bucket(&target.bucket)
                .key(&key)
                .body(ByteStream::from(bytes.clone()))
                .checksum_algorithm(ChecksumAlgorithm::Sha256)
                .checksum_sha256(&sha)
                .object_lock_mode(sdk_mode(mode))
                .object_lock_retain_until_date(DateTime::from_secs(retain_until_unix))
                .send()
                .await
                .map_err(|e| {
                    err(target, &key, "PutObject")(aws_sdk_s3::error::DisplayErrorContext(e))
                })?;
            let (lock, checksum) =
                head(&c, target, &key)
                    .await?
                    .ok_or_else(|| S3Error::Request {
                        bucket: target.bucket.clone(),
                        key: key.clone(),
                        op: "HeadObject",
                        message: "the object is missing right after it was written".into(),
                    })?;
            if checksum.as_deref() != Some(sha.as_str()) {
                return Err(S3Error::Mismatch {
                    bucket: target.bucket.clone(),
                    key,
                    what: "SHA-256 checksum",
                    got: checksum.unwrap_or_default(),
                    want: sha,
                });
            }
            if lock != Some((mode, retain_until_unix)) {
                return Err(S3Error::Mismatch {
                    bucket: target.bucket.clone(),
                    key,
                    what: "Object Lock",
                    got: format!("{lock:?}"),
                    want: format!("{:?}", (mode, retain_until_unix)),
                });
            }
            keys.push(key);
        }
        Ok(keys)
    })
}

/// Sets the retention of an existing object, refusing (before any request that could
/// change it) to shorten it or to downgrade COMPLIANCE to GOVERNANCE.
pub fn set_retention(
    target: &Target,
    key: &str,
    mode: LockMode,
    retain_until_unix: i64,
) -> Result<(), S3Error> {
    runtime()?.block_on(async {
        let c = client(target).await;
        let current = head(&c, target, key)
            .await?
            .ok_or_else(|| S3Error::Request {
                bucket: target.bucket.clone(),
                key: key.to_string(),
                op: "HeadObject",
                message: "no such object".into(),
            })?;
        check_retention(current.0, (mode, retain_until_unix))
            .map_err(|e| S3Error::Refused(format!("s3://{}/{key}: {e}", target.bucket)))?;
        put_retention(&c, target, key, mode, retain_until_unix).await
    })
}

/// PutObjectRetention, for callers that have already applied the guard.
async fn put_retention(
    c: &Client,
    target: &Target,
    key: &str,
    mode: LockMode,
    retain_until_unix: i64,
) -> Result<(), S3Error> {
    let retention = ObjectLockRetention::builder()
        .mode(match mode {
            LockMode::Compliance => ObjectLockRetentionMode::Compliance,
            LockMode::Governance => ObjectLockRetentionMode::Governance,
        })
        .retain_until_date(DateTime::from_secs(retain_until_unix))
        .build();
    c.put_object_retention()
        .bucket(&target.bucket)
        .key(key)
        .retention(retention)
        .send()
        .await
        .map_err(|e| {
            err(target, key, "PutObjectRetention")(aws_sdk_s3::error::DisplayErrorContext(e))
        })?;
    Ok(())
}
