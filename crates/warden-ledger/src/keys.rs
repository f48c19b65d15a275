//! Key files: the checkpoint signing key (the text form of Go's `note` package,
//! `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>`) and the argument-digest key
//! (`WARDEN-ARGS-KEY+<hex id>+<base64(key)>`). Both are written with mode 0600.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::SigningKey;

use crate::hmac::hex;
use crate::note::{NoteError, NoteSigner, key_id};
use crate::record::ArgsDigester;

const PRIVATE_PREFIX: &str = "PRIVATE+KEY+";
const ARGS_PREFIX: &str = "WARDEN-ARGS-KEY+";

/// Why a key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read key file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write key file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a {what} (expected `{prefix}…`); make one with `warden log keygen`")]
    Format {
        path: String,
        what: &'static str,
        prefix: &'static str,
    },
    #[error("{0}")]
    Note(#[from] NoteError),
    #[error("no randomness available: {0}")]
    Random(String),
    #[error(
        "`{0}`: no such key file, and not a verifier key (NAME+HASH+KEY) either; give the path of a ledger.pub or the key itself"
    )]
    NotAKey(String),
}

/// A checkpoint signing key and its name.
pub struct SigningKeyFile {
    pub name: String,
    pub seed: [u8; 32],
}

impl SigningKeyFile {
    /// A new random key named `name`.
    pub fn generate(name: &str) -> Result<SigningKeyFile, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        // Validates the name.
        NoteSigner::from_seed(name, &seed)?;
        Ok(SigningKeyFile {
            name: name.to_string(),
            seed,
        })
    }

    /// The private key text.
    pub fn encode(&self) -> String {
        let public = SigningKey::from_bytes(&self.seed).verifying_key();
        let mut blob = vec![0x01];
        blob.extend_from_slice(&self.seed);
        format!(
            "{PRIVATE_PREFIX}{}+{}+{}\n",
            self.name,
            hex(&key_id(&self.name, public.as_bytes())),
            B64.encode(blob)
        )
    }

    /// Parses private key text.
    pub fn decode(text: &str, path: &str) -> Result<SigningKeyFile, KeyError> {
        let bad = || KeyError::Format {
            path: path.to_string(),
            what: "checkpoint signing key",
            prefix: PRIVATE_PREFIX,
        };
        let rest = text.trim().strip_prefix(PRIVATE_PREFIX).ok_or_else(bad)?;
        // Names cannot contain '+', base64 can: split from the left.
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let blob = B64.decode(b64).map_err(|_| bad())?;
        if blob.len() != 33 || blob[0] != 0x01 {
            return Err(bad());
        }
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&blob[1..]);
        let public = SigningKey::from_bytes(&seed).verifying_key();
        if hex(&key_id(name, public.as_bytes())) != id.to_ascii_lowercase() {
            return Err(bad());
        }
        Ok(SigningKeyFile {
            name: name.to_string(),
            seed,
        })
    }

    /// Reads a key file.
    pub fn read(path: &Path) -> Result<SigningKeyFile, KeyError> {
        let text = read(path)?;
        SigningKeyFile::decode(&text, &path.display().to_string())
    }

    /// The signer.
    pub fn signer(&self) -> Result<NoteSigner, KeyError> {
        Ok(NoteSigner::from_seed(&self.name, &self.seed)?)
    }
}

/// Generates a new argument-digest key, as file text.
/// A verifier key given on the command line: the key itself (`name+hash+base64`, C2SP
/// signed-note form), or the path of a file holding it. Anything else is a file that is
/// not there, and said so (a mistyped path must not be read as a malformed key).
pub fn verifier_key_arg(arg: &str) -> Result<String, KeyError> {
    let path = Path::new(arg);
    if path.is_file() {
        return std::fs::read_to_string(path)
            .map(|t| t.trim().to_string())
            .map_err(|source| KeyError::Read {
                path: arg.to_string(),
                source,
            });
    }
    let parts: Vec<&str> = arg.trim().rsplitn(3, '+').collect();
    let looks_like_key =
        parts.len() == 3 && parts[1].len() == 8 && parts[1].bytes().all(|b| b.is_ascii_hexdigit());
    if looks_like_key {
        Ok(arg.trim().to_string())
    } else {
        Err(KeyError::NotAKey(arg.to_string()))
    }
}

pub fn generate_args_key() -> Result<String, KeyError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| KeyError::Random(e.to_string()))?;
    let key_id = ArgsDigester::hmac(key)
        .key_id()
        .unwrap_or_default()
        .to_string();
    Ok(format!("{ARGS_PREFIX}{key_id}+{}\n", B64.encode(key)))
}

/// Reads an argument-digest key file.
pub fn read_args_key(path: &Path) -> Result<ArgsDigester, KeyError> {
    let text = read(path)?;
    let bad = || KeyError::Format {
        path: path.display().to_string(),
        what: "argument-digest key",
        prefix: ARGS_PREFIX,
    };
    let rest = text.trim().strip_prefix(ARGS_PREFIX).ok_or_else(bad)?;
    let (id, b64) = rest.split_once('+').ok_or_else(bad)?;
    let raw = B64.decode(b64).map_err(|_| bad())?;
    let key: [u8; 32] = raw.try_into().map_err(|_| bad())?;
    let digester = ArgsDigester::hmac(key);
    if digester.key_id() == Some(id) {
        Ok(digester)
    } else {
        Err(bad())
    }
}

fn read(path: &Path) -> Result<String, KeyError> {
    std::fs::read_to_string(path).map_err(|source| KeyError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Writes `text` to a new file only the owner can read; refuses to overwrite.
pub fn write_secret(path: &Path, text: &str) -> Result<(), KeyError> {
    let wrap = |source| KeyError::Write {
        path: path.display().to_string(),
        source,
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(wrap)?;
    f.write_all(text.as_bytes()).map_err(wrap)?;
    f.sync_all().map_err(wrap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_key_text_round_trips_and_matches_the_verifier_key() {
        let k = SigningKeyFile::generate("warden.example/log").expect("key");
        let back = SigningKeyFile::decode(&k.encode(), "k").expect("decode");
        assert_eq!(
            (back.name.as_str(), back.seed),
            ("warden.example/log", k.seed)
        );
        let vkey = k.signer().expect("signer").verifier_key();
        let id = vkey.split('+').nth(1).unwrap_or_default().to_string();
        assert!(k.encode().contains(&format!("+{id}+")));
        let mut tampered = k.encode();
        tampered.replace_range(12..13, "x");
        assert!(SigningKeyFile::decode(&tampered, "k").is_err());
    }

    #[test]
    fn args_key_round_trips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("args.key");
        write_secret(&path, &generate_args_key().expect("key")).expect("write");
        assert!(matches!(
            read_args_key(&path),
            Ok(ArgsDigester::Hmac { .. })
        ));
        assert!(write_secret(&path, "again").is_err(), "must not overwrite");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).map(|m| m.permissions().mode());
            assert_eq!(mode.ok().map(|m| m & 0o777), Some(0o600));
        }
    }

    #[test]
    fn go_sumdb_note_private_key_and_signature_known_answer() {
        // The example key of golang.org/x/mod/sumdb/note: our private-key text form is
        // Go's, and Ed25519 signing is deterministic, so the signature line must match.
        let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        let key = SigningKeyFile::decode(skey, "go").expect("Go private key");
        assert_eq!(key.encode().trim(), skey);
        let signer = key.signer().expect("signer");
        assert_eq!(
            signer.verifier_key(),
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        );
        let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
        let signed = signer.sign(text).expect("sign");
        assert!(
            signed.ends_with("\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
            "{signed}"
        );
    }
}
