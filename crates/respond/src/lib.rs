//! Responding well, as rules the software enforces.
//!
//! * [`lint`]: the multilingual reply linter (promises, excuses, tone, apology, private channel,
//!   personal data, language, duplicates, trolls).
//! * [`case`], [`sla`], [`priority`]: cases, their state machine, response targets and risk.
//! * [`guard`]: moderation guardrails (never delete negative comments, hide only for spam,
//!   illegal content or exposed personal data with a second approver, block as the last resort).
//! * [`audit`]: the hash-chained audit log and its verification.
//! * [`inbox`]: the service every API and CLI path goes through; [`store::CaseStore`] is what
//!   it needs from storage (implemented in `firebreak-store`).
//! * [`templates`]: reply templates (minijinja), per language.
//!
//! No I/O here: storage comes in through [`store::CaseStore`], time through [`sla::Clock`].

pub mod audit;
pub mod case;
pub mod guard;
pub mod inbox;
pub mod lint;
pub mod outbound;
pub mod priority;
pub mod sla;
pub mod store;
pub mod templates;

pub use case::{Case, CaseId, CaseStatus, Priority, PrivateChannel};
pub use inbox::{Inbox, InboxConfig, InboxError};
