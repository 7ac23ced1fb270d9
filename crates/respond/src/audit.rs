//! The audit log: append-only and tamper-evident.
//!
//! Each entry's `hash` is SHA-256 over the previous entry's hash and the entry's own
//! fields, in a fixed, length-prefixed encoding. Editing, removing or reordering any entry
//! breaks the chain from that entry on, and [`verify`] names the first broken sequence
//! number. The store adds entries under its write lock ([`AuditDraft::seal`]), so the
//! chain has no gaps; its tables also refuse UPDATE and DELETE.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash the first entry chains from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Whether an action was carried out, refused, or is waiting for an approver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Done,
    Refused,
    Pending,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Refused => "refused",
            Outcome::Pending => "pending",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "done" => Some(Outcome::Done),
            "refused" => Some(Outcome::Refused),
            "pending" => Some(Outcome::Pending),
            _ => None,
        }
    }
}

/// An entry before the store gives it its place in the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditDraft {
    pub at: DateTime<Utc>,
    /// Who did it: a user name, or `system` for the pipeline and clocks.
    pub actor: String,
    /// What: `case.close`, `mention.delete`, `author.block`, `reply.send`, ...
    pub action: String,
    /// On what: `case:12`, `mention:mastodon:1`, `author:mastodon:77`.
    pub target: String,
    pub outcome: Outcome,
    /// Why (the refusal's explanation, the reason given) and any details.
    pub detail: String,
}

/// A sealed entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: Outcome,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditDraft {
    pub fn new(
        at: DateTime<Utc>,
        actor: impl Into<String>,
        action: impl Into<String>,
        target: impl Into<String>,
        outcome: Outcome,
        detail: impl Into<String>,
    ) -> AuditDraft {
        AuditDraft {
            // The chain hashes microseconds; keep no finer precision than the stores do.
            at: truncate_micros(at),
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            outcome,
            detail: detail.into(),
        }
    }

    /// Gives the draft its sequence number and hash, after `prev` (`None` for the first).
    pub fn seal(self, prev: Option<(&str, i64)>) -> AuditEntry {
        let (prev_hash, seq) = match prev {
            Some((h, s)) => (h.to_owned(), s + 1),
            None => (GENESIS.to_owned(), 1),
        };
        let mut e = AuditEntry {
            seq,
            at: self.at,
            actor: self.actor,
            action: self.action,
            target: self.target,
            outcome: self.outcome,
            detail: self.detail,
            prev_hash,
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        e
    }
}

fn truncate_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

impl AuditEntry {
    /// The hash this entry must carry, from its fields and `prev_hash`.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let mut field = |s: &str| {
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        };
        field(&self.prev_hash);
        field(&self.seq.to_string());
        field(&self.at.to_rfc3339_opts(SecondsFormat::Micros, true));
        field(&self.actor);
        field(&self.action);
        field(&self.target);
        field(self.outcome.as_str());
        field(&self.detail);
        hex::encode(h.finalize())
    }
}

/// Where and how the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("audit entry {seq}: its content does not match its hash (the entry was edited)")]
    Edited { seq: i64 },
    #[error("audit entry {seq}: it does not chain from entry {prev} (an entry was removed, inserted or reordered)")]
    Broken { seq: i64, prev: i64 },
    #[error("audit entry {seq}: expected sequence number {expected} (an entry is missing)")]
    Gap { seq: i64, expected: i64 },
}

/// Checks a chain entry by entry, so that a long log can be read page by page.
#[derive(Debug, Default)]
pub struct Verifier {
    prev: Option<(i64, String)>,
    count: u64,
}

impl Verifier {
    /// Checks the next entry, in sequence order from the start of the chain.
    pub fn push(&mut self, e: &AuditEntry) -> Result<(), ChainError> {
        let expected_seq = self.prev.as_ref().map_or(1, |(s, _)| s + 1);
        if e.seq != expected_seq {
            return Err(ChainError::Gap {
                seq: e.seq,
                expected: expected_seq,
            });
        }
        let expected_prev = self.prev.as_ref().map_or(GENESIS, |(_, h)| h.as_str());
        if e.prev_hash != expected_prev {
            return Err(ChainError::Broken {
                seq: e.seq,
                prev: expected_seq - 1,
            });
        }
        if e.compute_hash() != e.hash {
            return Err(ChainError::Edited { seq: e.seq });
        }
        self.prev = Some((e.seq, e.hash.clone()));
        self.count += 1;
        Ok(())
    }

    /// Entries checked so far.
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// Checks a chain read in sequence order from its start. Returns the number of entries.
pub fn verify<'a>(entries: impl IntoIterator<Item = &'a AuditEntry>) -> Result<u64, ChainError> {
    let mut v = Verifier::default();
    for e in entries {
        v.push(e)?;
    }
    Ok(v.count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Vec<AuditEntry> {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let mut out: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let d = AuditDraft::new(
                t0 + chrono::Duration::seconds(i as i64),
                "ana",
                "case.close",
                format!("case:{i}"),
                Outcome::Done,
                "",
            );
            let prev = out.last().map(|p| (p.hash.as_str(), p.seq));
            let e = d.seal(prev);
            out.push(e);
        }
        out
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn editing_any_field_is_found_at_that_entry() {
        let mut c = chain(5);
        c[2].detail = "nothing happened".into();
        assert_eq!(verify(&c), Err(ChainError::Edited { seq: 3 }));
        let mut c = chain(5);
        c[3].outcome = Outcome::Done;
        c[3].actor = "mallory".into();
        assert_eq!(verify(&c), Err(ChainError::Edited { seq: 4 }));
    }

    #[test]
    fn rehashing_an_edited_entry_breaks_the_next_link() {
        let mut c = chain(5);
        c[1].detail = "rewritten".into();
        c[1].hash = c[1].compute_hash();
        assert_eq!(verify(&c), Err(ChainError::Broken { seq: 3, prev: 2 }));
    }

    #[test]
    fn removing_an_entry_is_a_gap() {
        let mut c = chain(5);
        c.remove(2);
        assert_eq!(
            verify(&c),
            Err(ChainError::Gap {
                seq: 4,
                expected: 3
            })
        );
    }
}
