//! What a cluster of Firebreak nodes shares through PostgreSQL (see `firebreak-cluster`):
//! the alert log (claims and the notification outbox, [`crate::AlertLog`]), the detector
//! owner's stream position, the stored
//! (analysed) version of mentions the detector owner reads, and the detector lease.

use firebreak_core::{Mention, MentionId};
use postgres::{Client, NoTls};

use crate::StoreError;

/// The cluster's shared state. Implemented by [`crate::PgStore`]; calls block.
pub trait ClusterState: crate::AlertLog {
    /// The stored versions (with their analysis) of those of `ids` that are stored,
    /// in no particular order.
    fn mentions_by_ids(&self, ids: &[MentionId]) -> Result<Vec<Mention>, StoreError>;

    /// The stream sequence up to which the detectors named `name` have run (0: never).
    fn detector_position(&self, name: &str) -> Result<u64, StoreError>;

    /// Moves the position forward to `seq` (never backwards).
    fn save_detector_position(&self, name: &str, seq: u64, node: &str) -> Result<(), StoreError>;
}

/// A session-level PostgreSQL advisory lock held on a connection of its own. The lock
/// is released when the value is dropped or when the connection ends: a node that is
/// killed, or loses its database, loses the lease at once, and another node may take it.
pub struct AdvisoryLease {
    client: Option<Client>,
    key: i64,
}

impl AdvisoryLease {
    /// Tries once to take lock `key`; `None` when another session holds it.
    /// `application_name` shows the holder in `pg_stat_activity`.
    pub fn try_acquire(
        url: &str,
        key: i64,
        application_name: &str,
    ) -> Result<Option<AdvisoryLease>, StoreError> {
        let mut config: postgres::Config =
            url.parse()
                .map_err(|e: postgres::Error| StoreError::InvalidUrl {
                    url: crate::redact(url),
                    reason: e.to_string(),
                })?;
        config.application_name(application_name);
        config.connect_timeout(std::time::Duration::from_secs(5));
        let mut client = config.connect(NoTls)?;
        let got: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])?
            .get(0);
        let lease = AdvisoryLease {
            client: Some(client),
            key,
        };
        Ok(got.then_some(lease))
    }

    /// Whether this session still holds the lock (a round trip: an error means the
    /// connection, and with it the lock, is gone).
    pub fn check(&mut self) -> Result<bool, StoreError> {
        let client = self
            .client
            .as_mut()
            .ok_or_else(|| StoreError::CorruptRow("lease already released".into()))?;
        if client.is_closed() {
            return Ok(false);
        }
        let (hi, lo) = ((self.key >> 32) as i32, self.key as i32);
        let held: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' \
                 AND classid::int4 = $1 AND objid::int4 = $2 AND objsubid = 1 \
                 AND pid = pg_backend_pid() AND granted)",
                &[&hi, &lo],
            )?
            .get(0);
        Ok(held)
    }
}

impl Drop for AdvisoryLease {
    fn drop(&mut self) {
        // The synchronous client owns a runtime that must not be dropped on an async
        // thread; closing the connection releases the lock.
        if let Some(client) = self.client.take() {
            let _ = std::thread::Builder::new()
                .name("pg-lease-close".into())
                .spawn(move || drop(client));
        }
    }
}
