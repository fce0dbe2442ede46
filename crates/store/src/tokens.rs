//! Single-use secrets sent by mail (password resets, invitations, and any other
//! link that stands for a person for a while): the raw token travels only in the
//! link; the database keeps its SHA-256, so that someone who reads a backup or the
//! tables cannot use a pending link.
//!
//! A use case makes one with [`new_token`], stores [`SecretToken::hash`], mails
//! [`SecretToken::raw`], and later finds the row by [`hash`] of what the link
//! brought back (after [`looks_like_token`] turned away anything else).

use sha2::{Digest, Sha256};

/// Random bytes in a token: 256 bits, 64 hexadecimal digits in a link.
const TOKEN_BYTES: usize = 32;

/// A fresh token: what the link carries and what the database keeps.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken {
    pub raw: String,
    pub hash: String,
}

impl std::fmt::Debug for SecretToken {
    /// The raw token never reaches a log through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretToken")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

/// A new random token with its hash.
pub fn new_token() -> SecretToken {
    let raw = crate::random_hex::<TOKEN_BYTES>();
    let hash = hash(&raw);
    SecretToken { raw, hash }
}

/// The SHA-256 (lower-case hex) under which a token is stored. Tokens are random,
/// so a plain digest is enough: there is nothing to guess that a salt would protect.
pub fn hash(raw: &str) -> String {
    format!(
        "{:x}",
        Sha256::digest(raw.trim().to_ascii_lowercase().as_bytes())
    )
}

/// Whether `raw` has the shape of a token ([`new_token`]'s 64 hex digits); anything
/// else is unknown without a look at the database.
pub fn looks_like_token(raw: &str) -> bool {
    let raw = raw.trim();
    raw.len() == TOKEN_BYTES * 2 && raw.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Why a mailed link no longer works: each has its own Japanese explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// No such token (mistyped, cut short by a mail program, or made up).
    Unknown,
    /// Already used once.
    Used,
    /// Past its time.
    Expired,
    /// Withdrawn by the person who sent it.
    Revoked,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_64_hex_digits_and_only_its_digest_is_kept() {
        let token = new_token();
        assert!(looks_like_token(&token.raw));
        assert_eq!(token.hash.len(), 64);
        assert_ne!(token.hash, token.raw);
        assert_eq!(hash(&token.raw), token.hash);
        assert_eq!(hash(&token.raw.to_uppercase()), token.hash);
        assert_ne!(new_token().raw, token.raw);
        assert!(!format!("{token:?}").contains(&token.raw));
    }

    #[test]
    fn anything_but_64_hex_digits_is_not_a_token() {
        assert!(!looks_like_token("nothing-here"));
        assert!(!looks_like_token(&"g".repeat(64)));
        assert!(!looks_like_token(&"a".repeat(63)));
        assert!(!looks_like_token(""));
    }
}
