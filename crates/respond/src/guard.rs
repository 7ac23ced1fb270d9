//! Guardrails on moderation: negative comments are never deleted, hiding needs a lawful
//! reason and a second person, blocking is the last resort.
//!
//! [`judge`] is the only place that decides, and an [`Approved`] moderation can only be
//! made by it: the store records approved moderations, and no other crate can fabricate
//! one. The inbox writes every verdict, refusals included, to the audit log.

use serde::{Deserialize, Serialize};

/// What a person may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Agent,
    Manager,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "agent" => Some(Role::Agent),
            "manager" => Some(Role::Manager),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Agent => "agent",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }
}

/// Someone acting: a user of the team, or the system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub name: String,
    pub role: Role,
}

impl Actor {
    pub fn new(name: impl Into<String>, role: Role) -> Actor {
        Actor {
            name: name.into(),
            role,
        }
    }
    pub fn system() -> Actor {
        Actor::new("system", Role::Admin)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModerationAction {
    Delete,
    Hide,
    Block,
}

impl ModerationAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ModerationAction::Delete => "delete",
            ModerationAction::Hide => "hide",
            ModerationAction::Block => "block",
        }
    }
}

/// The only reasons for which a comment may be hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HideReason {
    Spam,
    Illegal,
    PersonalData,
}

impl HideReason {
    pub fn parse(s: &str) -> Option<HideReason> {
        match s {
            "spam" => Some(HideReason::Spam),
            "illegal" => Some(HideReason::Illegal),
            "personal_data" => Some(HideReason::PersonalData),
            _ => None,
        }
    }
}

/// What is being moderated, with the facts the rules need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Target {
    Mention {
        id: String,
        negative: bool,
    },
    Author {
        key: String,
        /// A public reply was given to this author on one of their cases.
        public_reply_given: bool,
        /// Documented attempts to reach them (private messages, calls).
        contact_attempts: u32,
    },
}

impl Target {
    pub fn audit_target(&self) -> String {
        match self {
            Target::Mention { id, .. } => format!("mention:{id}"),
            Target::Author { key, .. } => format!("author:{key}"),
        }
    }
}

/// A request to delete, hide or block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModerationRequest {
    pub action: ModerationAction,
    pub target: Target,
    pub hide_reason: Option<HideReason>,
    /// Free text: why.
    pub reason: String,
    pub requested_by: Actor,
    pub approver: Option<Actor>,
}

/// A moderation the guardrails allowed. Only [`judge`] makes one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Approved {
    request: ModerationRequest,
}

impl Approved {
    pub fn request(&self) -> &ModerationRequest {
        &self.request
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Refused, with the explanation shown to the person and written to the audit log.
    Refused {
        why: String,
    },
    /// Allowed once the named approver signs off.
    NeedsApproval {
        why: String,
    },
    Allowed(Approved),
}

pub const NEVER_DELETE: &str = "Negative comments are never deleted: deleting criticism turns one unhappy customer into a story about censorship. Answer in public, offer a private channel, and close the matter where it started.";

/// Decides a moderation request.
pub fn judge(req: ModerationRequest) -> Verdict {
    let refuse = |why: String| Verdict::Refused { why };
    if req.requested_by.role < Role::Agent {
        return refuse(format!(
            "{} is a viewer; only agents, managers and admins may request moderation",
            req.requested_by.name
        ));
    }
    match (&req.action, &req.target) {
        (ModerationAction::Delete, Target::Mention { negative, .. }) => {
            if *negative {
                refuse(NEVER_DELETE.to_owned())
            } else {
                refuse("Firebreak never deletes comments: its record of what was said is permanent. To remove spam, illegal content or exposed personal data from view, request `hide` with that reason; it needs a second approver.".to_owned())
            }
        }
        (ModerationAction::Hide, Target::Mention { negative, .. }) => {
            let Some(_) = req.hide_reason else {
                return refuse(if *negative {
                    format!("Hiding a negative comment is refused. {NEVER_DELETE} Hiding is allowed only for spam, illegal content or exposed personal data (reason spam, illegal or personal_data).")
                } else {
                    "Hiding is allowed only for spam, illegal content or exposed personal data: give one of spam, illegal, personal_data and explain".to_owned()
                });
            };
            if req.reason.trim().is_empty() {
                return refuse(
                    "Say why the comment must be hidden (the reason is kept in the audit log)"
                        .to_owned(),
                );
            }
            match &req.approver {
                None => Verdict::NeedsApproval {
                    why:
                        "Hiding needs a second person: another agent, manager or admin must approve"
                            .to_owned(),
                },
                Some(a) if a.name == req.requested_by.name => {
                    refuse("The approver must be a different person from the requester".to_owned())
                }
                Some(a) if a.role < Role::Agent => {
                    refuse(format!("{} is a viewer and cannot approve", a.name))
                }
                Some(_) => Verdict::Allowed(Approved { request: req }),
            }
        }
        (
            ModerationAction::Block,
            Target::Author {
                public_reply_given,
                contact_attempts,
                ..
            },
        ) => {
            if req.reason.trim().is_empty() {
                return refuse(
                    "Blocking is the last resort: say why (the reason is kept in the audit log)"
                        .to_owned(),
                );
            }
            if !*public_reply_given && *contact_attempts < 2 {
                return refuse(format!(
                    "Blocking is the last resort: first answer the author in public, or document at least 2 attempts to reach them ({contact_attempts} so far)"
                ));
            }
            match &req.approver {
                None => Verdict::NeedsApproval {
                    why: "Blocking needs a manager's approval".to_owned(),
                },
                Some(a) if a.role < Role::Manager => refuse(format!(
                    "{} is not a manager; blocking needs a manager's approval",
                    a.name
                )),
                Some(a) if a.name == req.requested_by.name => refuse(
                    "A manager must approve someone else's block request, not their own".to_owned(),
                ),
                Some(_) => Verdict::Allowed(Approved { request: req }),
            }
        }
        (action, target) => refuse(format!(
            "{} does not apply to {}",
            action.as_str(),
            target.audit_target()
        )),
    }
}
