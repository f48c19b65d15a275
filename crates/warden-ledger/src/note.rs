//! C2SP signed notes (c2sp.org/signed-note) with Ed25519, and tlog checkpoints
//! (c2sp.org/tlog-checkpoint) as the text they sign.
//!
//! A note is UTF-8 text ending in a newline, a blank line, then signature lines
//! `— <key name> <base64(key id ‖ signature)>`. The key id is the first four bytes of
//! `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)` for Ed25519 (type byte 0x01).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::hmac::hex;

/// Ed25519's signature type byte in key ids and verifier keys.
const ED25519: u8 = 0x01;
/// Signature lines accepted per note (the spec asks verifiers to accept at least 16).
const MAX_SIGNATURES: usize = 100;

/// What was wrong with a note, a key or a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("note text must end with a newline and contain no control characters but newlines")]
    BadText,
    #[error("malformed signed note: {0}")]
    Malformed(String),
    #[error("malformed verifier key `{0}`: expected name+hex(keyid)+base64(0x01 ‖ public key)")]
    BadVerifierKey(String),
    #[error(
        "key name `{0}` is not allowed: it must be non-empty with no spaces, '+' or control characters"
    )]
    BadKeyName(String),
    #[error(
        "signature by known key `{0}` does not verify: the note was altered or signed by another key"
    )]
    BadSignature(String),
    #[error("no signature by a trusted key")]
    NoTrustedSignature,
    #[error("malformed checkpoint: {0}")]
    BadCheckpoint(String),
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
    {
        return Err(NoteError::BadKeyName(name.to_string()));
    }
    Ok(())
}

/// The 4-byte key id of an Ed25519 key named `name`.
pub fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ED25519]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// A key that signs notes.
pub struct NoteSigner {
    name: String,
    key: SigningKey,
    id: [u8; 4],
}

impl NoteSigner {
    /// A signer from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<NoteSigner, NoteError> {
        check_name(name)?;
        let key = SigningKey::from_bytes(seed);
        let id = key_id(name, key.verifying_key().as_bytes());
        Ok(NoteSigner {
            name: name.to_string(),
            key,
            id,
        })
    }

    /// A new random key (from the operating system's generator).
    pub fn generate(name: &str) -> Result<(NoteSigner, [u8; 32]), NoteError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| NoteError::Malformed(format!("no randomness available: {e}")))?;
        Ok((NoteSigner::from_seed(name, &seed)?, seed))
    }

    /// The verifier key in its text form, `name+hex(id)+base64(0x01 ‖ public key)`.
    pub fn verifier_key(&self) -> String {
        let mut k = vec![ED25519];
        k.extend_from_slice(self.key.verifying_key().as_bytes());
        format!("{}+{}+{}", self.name, hex(&self.id), B64.encode(k))
    }

    /// Signs `text` and returns the whole signed note.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        let sig = self.key.sign(text.as_bytes());
        let mut blob = self.id.to_vec();
        blob.extend_from_slice(&sig.to_bytes());
        Ok(format!(
            "{text}\n\u{2014} {} {}\n",
            self.name,
            B64.encode(blob)
        ))
    }
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') || text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::BadText);
    }
    Ok(())
}

/// A key that verifies notes.
#[derive(Debug, Clone)]
pub struct NoteVerifier {
    pub name: String,
    pub id: [u8; 4],
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Parses `name+hex(keyid)+base64(0x01 ‖ public key)`, checking that the id is the
    /// one the name and key imply.
    pub fn parse(vkey: &str) -> Result<NoteVerifier, NoteError> {
        let bad = || NoteError::BadVerifierKey(vkey.to_string());
        // Names cannot contain '+' but base64 can: split from the left.
        let mut parts = vkey.trim().splitn(3, '+');
        let (Some(name), Some(id_hex), Some(b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        check_name(name)?;
        let raw = B64.decode(b64).map_err(|_| bad())?;
        if raw.len() != 33 || raw[0] != ED25519 || id_hex.len() != 8 {
            return Err(bad());
        }
        let mut public = [0u8; 32];
        public.copy_from_slice(&raw[1..]);
        let id = key_id(name, &public);
        if hex(&id) != id_hex.to_ascii_lowercase() {
            return Err(bad());
        }
        let key = VerifyingKey::from_bytes(&public).map_err(|_| bad())?;
        Ok(NoteVerifier {
            name: name.to_string(),
            id,
            key,
        })
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub id: [u8; 4],
    pub signature: Vec<u8>,
}

/// A parsed signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, final newline included.
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    /// Parses a signed note.
    pub fn parse(note: &str) -> Result<Note, NoteError> {
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| NoteError::Malformed("no blank line before the signatures".into()))?;
        let text = &note[..split + 1];
        check_text(text)?;
        let mut signatures = Vec::new();
        let sigs = &note[split + 2..];
        if !sigs.ends_with('\n') {
            return Err(NoteError::Malformed(
                "the last signature line has no newline".into(),
            ));
        }
        for line in sigs.lines() {
            let rest = line
                .strip_prefix("\u{2014} ")
                .ok_or_else(|| NoteError::Malformed(format!("`{line}` is not a signature line")))?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or_else(|| NoteError::Malformed(format!("`{line}` has no signature")))?;
            check_name(name)?;
            let blob = B64
                .decode(b64)
                .map_err(|_| NoteError::Malformed(format!("`{line}`: bad base64")))?;
            if blob.len() < 5 {
                return Err(NoteError::Malformed(format!(
                    "`{line}`: signature too short"
                )));
            }
            signatures.push(NoteSignature {
                name: name.to_string(),
                id: [blob[0], blob[1], blob[2], blob[3]],
                signature: blob[4..].to_vec(),
            });
            if signatures.len() > MAX_SIGNATURES {
                return Err(NoteError::Malformed("too many signatures".into()));
            }
        }
        if signatures.is_empty() {
            return Err(NoteError::Malformed("no signature lines".into()));
        }
        Ok(Note {
            text: text.to_string(),
            signatures,
        })
    }

    /// Verifies the note against trusted keys: signatures by unknown keys are ignored,
    /// a failing signature by a known key rejects the note, and at least one known key
    /// must have signed. Returns the names of the keys that verified.
    pub fn verify(&self, trusted: &[NoteVerifier]) -> Result<Vec<String>, NoteError> {
        let mut ok = Vec::new();
        for s in &self.signatures {
            let Some(v) = trusted.iter().find(|v| v.name == s.name && v.id == s.id) else {
                continue;
            };
            let sig = Signature::from_slice(&s.signature)
                .map_err(|_| NoteError::BadSignature(s.name.clone()))?;
            v.key
                .verify_strict(self.text.as_bytes(), &sig)
                .map_err(|_| NoteError::BadSignature(s.name.clone()))?;
            ok.push(s.name.clone());
        }
        if ok.is_empty() {
            return Err(NoteError::NoTrustedSignature);
        }
        Ok(ok)
    }
}

/// A tlog checkpoint: the log's origin, its size and its RFC 6962 root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: crate::merkle::Hash,
}

impl Checkpoint {
    /// The note text: `origin\nsize\nbase64(root)\n`.
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Parses checkpoint text (extension lines after the root are accepted and ignored).
    pub fn parse(text: &str) -> Result<Checkpoint, NoteError> {
        let bad = |why: &str| NoteError::BadCheckpoint(why.to_string());
        let mut lines = text.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| bad("no origin line"))?;
        let size_s = lines.next().ok_or_else(|| bad("no size line"))?;
        if size_s.is_empty()
            || (size_s.len() > 1 && size_s.starts_with('0'))
            || !size_s.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad(
                "the size must be a decimal number with no leading zeros",
            ));
        }
        let size = size_s
            .parse::<u64>()
            .map_err(|_| bad("the size does not fit 64 bits"))?;
        let root_b64 = lines.next().ok_or_else(|| bad("no root line"))?;
        let raw = B64
            .decode(root_b64)
            .map_err(|_| bad("the root is not base64"))?;
        let root: crate::merkle::Hash = raw
            .try_into()
            .map_err(|_| bad("the root is not 32 bytes"))?;
        if !text.ends_with('\n') {
            return Err(bad("the text must end with a newline"));
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
            .collect()
    }

    #[test]
    fn ed25519_rfc8032_test_1() {
        // RFC 8032 §7.1, TEST 1: the signer is plain Ed25519.
        let seed: [u8; 32] =
            unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .try_into()
                .unwrap_or([0; 32]);
        let key = SigningKey::from_bytes(&seed);
        assert_eq!(
            hex(key.verifying_key().as_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(
            hex(&key.sign(b"").to_bytes()),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
    }

    fn signer(name: &str, byte: u8) -> NoteSigner {
        NoteSigner::from_seed(name, &[byte; 32]).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn sign_parse_verify_round_trip() {
        let s = signer("warden.example/log", 7);
        let vk = NoteVerifier::parse(&s.verifier_key()).unwrap_or_else(|e| panic!("{e}"));
        let cp = Checkpoint {
            origin: "warden.example/log".into(),
            size: 42,
            root: crate::merkle::empty_root(),
        };
        let signed = s.sign(&cp.text()).unwrap_or_default();
        let note = Note::parse(&signed).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            note.verify(std::slice::from_ref(&vk)),
            Ok(vec!["warden.example/log".to_string()])
        );
        assert_eq!(Checkpoint::parse(&note.text), Ok(cp));
    }

    #[test]
    fn tampering_and_unknown_keys() {
        let s = signer("log", 1);
        let other = signer("other", 2);
        let vk = NoteVerifier::parse(&s.verifier_key()).unwrap_or_else(|e| panic!("{e}"));
        let signed = s
            .sign("log\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
            .unwrap_or_default();
        // Changing the size is detected.
        let forged = signed.replacen("\n5\n", "\n6\n", 1);
        let n = Note::parse(&forged).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            n.verify(std::slice::from_ref(&vk)),
            Err(NoteError::BadSignature("log".into()))
        );
        // Only unknown keys signed: rejected.
        let by_other = other
            .sign("log\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
            .unwrap_or_default();
        let n = Note::parse(&by_other).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            n.verify(std::slice::from_ref(&vk)),
            Err(NoteError::NoTrustedSignature)
        );
        // An extra unknown signature is ignored.
        let both = format!(
            "{signed}{}",
            by_other
                .rsplit_once("\n\n")
                .map(|x| x.1)
                .unwrap_or_default()
        );
        let n = Note::parse(&both).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n.signatures.len(), 2);
        assert_eq!(n.verify(&[vk]), Ok(vec!["log".to_string()]));
    }

    #[test]
    fn malformed_inputs_are_errors_not_panics() {
        for bad in [
            "",
            "x\n",
            "x\n\n",
            "x\n\n— a\n",
            "x\n\n— a !!!\n",
            "x\n\n— a AAAA\n",
            "x\n\nnot a sig\n",
            "x\u{7}\n\n— a AAAAAAAA\n",
        ] {
            assert!(Note::parse(bad).is_err(), "{bad:?}");
        }
        for bad in ["", "a+b", "a+0000+AAAA", "a b+12345678+AQ=="] {
            assert!(NoteVerifier::parse(bad).is_err(), "{bad:?}");
        }
        for bad in [
            "o\n05\nAAAA\n",
            "o\n5\nAAAA\n",
            "\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
            "o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        ] {
            assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn verifier_key_id_must_match() {
        let s = signer("log", 3);
        let vkey = s.verifier_key();
        let (name_id, b64) = vkey.rsplit_once('+').unwrap_or_default();
        let (name, _) = name_id.rsplit_once('+').unwrap_or_default();
        assert!(NoteVerifier::parse(&format!("{name}+00000000+{b64}")).is_err());
        assert!(NoteVerifier::parse(&vkey).is_ok());
    }

    #[test]
    fn verifier_keys_whose_base64_holds_a_plus_sign_parse() {
        // Found on the first real key: base64 uses '+', names cannot.
        for seed in 0u8..64 {
            let signer = NoteSigner::from_seed("log.example/a", &[seed; 32]).expect("signer");
            let vkey = signer.verifier_key();
            assert!(NoteVerifier::parse(&vkey).is_ok(), "{vkey}");
        }
    }

    #[test]
    fn c2sp_signed_note_spec_example_verifies() {
        // The worked example of c2sp.org/signed-note.
        let vkey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
        let note = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
        let verifier = NoteVerifier::parse(vkey).expect("spec verifier key");
        assert_eq!(verifier.id, [0x53, 0x0d, 0x90, 0x3a]);
        let parsed = Note::parse(note).expect("spec note");
        assert_eq!(parsed.text, "This is an example message.\n");
        assert_eq!(
            parsed.verify(std::slice::from_ref(&verifier)).ok(),
            Some(vec!["example.com/foo".to_string()])
        );
        let altered = note.replace("example message", "example massage");
        let altered = Note::parse(&altered).expect("parses");
        assert!(altered.verify(&[verifier]).is_err());
    }
}
