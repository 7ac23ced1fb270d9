//! The crisis plan as data: a versioned TOML file, loaded into typed values and
//! validated, so that the rest of Firebreak can ask it who to notify, what to do at
//! each severity, what may be said, and what must never be promised.
//!
//! ```
//! let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/plan.toml"))
//!     .expect("the example plan");
//! let plan = firebreak_plan::parse(&text, "examples/plan.toml").expect("valid");
//! assert_eq!(plan.checklist(4).first().map(|s| s.owner.as_str()), Some("crisis_lead"));
//! ```
//!
//! Every problem is a [`PlanError`] naming the file, the line and column of the
//! offending key, what is wrong and how to fix it. TOML syntax and type errors are
//! located by the parser; the rules checked after parsing (references to people and
//! roles, severity levels, statements and their placeholders, response targets,
//! private channels, the practice the product enforces) are located by looking the
//! key up in the spanned document ([`toml::de::DeTable`]).
//!
//! The example plan, `examples/plan.toml` at the repository root, documents every key.

mod error;
mod locate;
mod model;
mod validate;

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use firebreak_core::Alert;
use firebreak_respond::lint::LintContext;
use firebreak_respond::sla::SlaTargets;
use firebreak_respond::templates::Templates;
use firebreak_respond::PrivateChannel;

pub use error::PlanError;
pub use model::{
    Approval, ApprovalAction, Criterion, Escalation, EscalationLevel, Person, Plan, Role, Routing,
    Rules, Severity, StatementKind, Statements, Step, PLAN_VERSION,
};

/// Reads and validates the plan at `path`.
pub fn load(path: &Path) -> Result<Plan, PlanError> {
    let name = path.display().to_string();
    let text = read(path)?;
    parse(&text, &name)
}

/// Parses and validates plan `text`; `name` is the file name used in errors.
/// Returns the first problem in file order (see [`diagnose`] for all of them).
pub fn parse(text: &str, name: &str) -> Result<Plan, PlanError> {
    let (plan, mut errors) = parse_all(text, name);
    match plan {
        Some(plan) if errors.is_empty() => Ok(plan),
        _ => Err(if errors.is_empty() {
            PlanError {
                file: name.to_owned(),
                line: 1,
                column: 1,
                problem: "the plan could not be read".into(),
                fix: "compare it with examples/plan.toml".into(),
            }
        } else {
            errors.swap_remove(0)
        }),
    }
}

/// Every problem of plan `text`, in file order. A syntax or type error stops the
/// reading, so it comes alone; the validation rules are all reported together.
pub fn diagnose(text: &str, name: &str) -> Vec<PlanError> {
    parse_all(text, name).1
}

fn parse_all(text: &str, name: &str) -> (Option<Plan>, Vec<PlanError>) {
    let spans = match locate::Spans::parse(text) {
        Ok(s) => s,
        Err(e) => return (None, vec![PlanError::from_toml(text, name, &e)]),
    };
    let plan: Plan = match toml::from_str(text) {
        Ok(p) => p,
        Err(e) => return (None, vec![PlanError::from_toml(text, name, &e)]),
    };
    let errors = validate::validate(&plan, text, name, &spans);
    (Some(plan), errors)
}

fn read(path: &Path) -> Result<String, PlanError> {
    std::fs::read_to_string(path).map_err(|e| PlanError {
        file: path.display().to_string(),
        line: 0,
        column: 0,
        problem: format!("cannot read the plan: {e}"),
        fix: "check the path; examples/plan.toml is a complete plan to start from".into(),
    })
}

/// Validates the plan at `path` and summarises it: what `firebreak plan check FILE`
/// prints.
pub fn check_file(path: &Path) -> Result<PlanSummary, PlanError> {
    let plan = load(path)?;
    Ok(PlanSummary::new(path.display().to_string(), &plan))
}

/// What a valid plan holds, for `firebreak plan check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSummary {
    pub file: String,
    pub brand: String,
    pub plan_version: u32,
    /// `(id, name, roles)`.
    pub people: Vec<(String, String, Vec<Role>)>,
    /// `(level, name, number of checklist steps)`.
    pub severities: Vec<(u8, String, usize)>,
    /// Checklist steps over all severities.
    pub steps: usize,
    pub languages: Vec<String>,
    /// Statements over all kinds and languages.
    pub statements: usize,
    /// Phrases on the do-not-promise list, all languages.
    pub do_not_promise: usize,
}

impl PlanSummary {
    pub fn new(file: String, plan: &Plan) -> PlanSummary {
        let mut severities: Vec<(u8, String, usize)> = plan
            .severities
            .iter()
            .map(|s| (s.level, s.name.clone(), s.steps.len()))
            .collect();
        severities.sort();
        PlanSummary {
            file,
            brand: plan.brand.clone(),
            plan_version: plan.plan_version,
            people: plan
                .people
                .iter()
                .map(|p| (p.id.clone(), p.name.clone(), p.roles.clone()))
                .collect(),
            steps: plan.severities.iter().map(|s| s.steps.len()).sum(),
            severities,
            languages: plan.languages.clone(),
            statements: StatementKind::ALL
                .iter()
                .map(|k| plan.statements.of(*k).len())
                .sum(),
            do_not_promise: plan.do_not_promise.values().map(Vec::len).sum(),
        }
    }
}

impl fmt::Display for PlanSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: valid crisis plan for {} (plan_version {})",
            self.file, self.brand, self.plan_version
        )?;
        writeln!(f, "  people: {}", self.people.len())?;
        for (id, name, roles) in &self.people {
            let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            writeln!(f, "    {id:<12} {name} ({})", roles.join(", "))?;
        }
        writeln!(
            f,
            "  severities: {} ({} checklist steps)",
            self.severities.len(),
            self.steps
        )?;
        for (level, name, steps) in &self.severities {
            writeln!(f, "    {level} {name}: {steps} steps")?;
        }
        writeln!(f, "  languages: {}", self.languages.join(", "))?;
        writeln!(f, "  statements: {}", self.statements)?;
        write!(f, "  do-not-promise phrases: {}", self.do_not_promise)
    }
}

impl Plan {
    /// The person with this id.
    pub fn person(&self, id: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.id == id)
    }

    /// People who have `role`, in file order.
    pub fn people_with_role(&self, role: Role) -> Vec<&Person> {
        self.people.iter().filter(|p| p.has_role(role)).collect()
    }

    /// The people a name in an owner, notify, escalate_to or approvers list stands
    /// for: the person with that id, or everyone with that role. Each person once.
    pub fn resolve<S: AsRef<str>>(&self, names: &[S]) -> Vec<&Person> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for n in names {
            let n = n.as_ref();
            let role = Role::parse(n);
            for p in &self.people {
                if (p.id == n || role.is_some_and(|r| p.has_role(r))) && seen.insert(&p.id) {
                    out.push(p);
                }
            }
        }
        out
    }

    /// The severity level with this number.
    pub fn severity(&self, level: u8) -> Option<&Severity> {
        self.severities.iter().find(|s| s.level == level)
    }

    /// The highest severity level whose criteria `alert` meets, if any.
    pub fn severity_for(&self, alert: &Alert) -> Option<&Severity> {
        self.severities
            .iter()
            .filter(|s| s.criteria.iter().any(|c| c.matches(alert)))
            .max_by_key(|s| s.level)
    }

    /// The checklist of severity `level`, sorted by target time (file order within
    /// the same time). Empty for an unknown level.
    pub fn checklist(&self, level: u8) -> Vec<&Step> {
        let mut steps: Vec<&Step> = self
            .severity(level)
            .map(|s| s.steps.iter().collect())
            .unwrap_or_default();
        steps.sort_by_key(|s| s.within_min);
        steps
    }

    /// The escalation policy.
    pub fn escalation(&self) -> &Escalation {
        &self.escalation
    }

    /// Who is notified at severity `level`, and what happens without acknowledgement.
    pub fn escalation_for(&self, level: u8) -> Option<&EscalationLevel> {
        self.escalation.levels.iter().find(|e| e.severity == level)
    }

    /// The pre-approved statement of `kind` in `lang` (the template source).
    pub fn statement(&self, kind: StatementKind, lang: &str) -> Option<&str> {
        self.statements.of(kind).get(lang).map(String::as_str)
    }

    /// The placeholders statements may use.
    pub fn placeholders(&self) -> &[String] {
        &self.statements.placeholders
    }

    /// Every do-not-promise phrase, all languages (for [`LintContext::do_not_promise`]).
    pub fn do_not_promise(&self) -> Vec<String> {
        self.do_not_promise.values().flatten().cloned().collect()
    }

    /// Deadline phrases replies may use: the plan's `rules.allowed_deadlines`, then the
    /// response targets written out in English ("within 15 minutes", "within 4 hours",
    /// "within 3 days"). For [`LintContext::allowed_deadlines`].
    pub fn allowed_deadlines(&self) -> Vec<String> {
        let mut out: Vec<String> = self.rules.allowed_deadlines.clone();
        let t = &self.rules.response_targets;
        let mut minutes = BTreeSet::new();
        for x in [&t.p1, &t.p2, &t.p3, &t.p4] {
            minutes.extend([
                x.first_response_min,
                x.private_follow_up_min,
                x.resolution_min,
            ]);
        }
        minutes.insert(t.follow_up_every_min);
        for m in minutes {
            for phrase in deadline_phrases(m) {
                if !out.contains(&phrase) {
                    out.push(phrase);
                }
            }
        }
        out
    }

    /// The response targets.
    pub fn sla_targets(&self) -> SlaTargets {
        self.rules.response_targets.clone()
    }

    /// Private channels for the follow-up, in the plan's order of preference.
    pub fn private_channels(&self) -> Vec<PrivateChannel> {
        self.rules
            .private_channels
            .iter()
            .filter_map(|c| PrivateChannel::parse(c))
            .collect()
    }

    /// The approval requirements for `action` at severity `level`.
    pub fn approvals_for(&self, action: ApprovalAction, level: u8) -> Vec<&Approval> {
        self.rules
            .approvals
            .iter()
            .filter(|a| a.action == action && level >= a.from_severity)
            .collect()
    }

    /// Whether the official account speaks at severity `level` (otherwise the
    /// customer-care account answers).
    pub fn official_speaks(&self, level: u8) -> bool {
        level >= self.rules.routing.official_from_severity
    }

    /// The built-in reply templates plus the plan's statements, registered as
    /// [`StatementKind::template_name`] (`holding_statement`, ...) per language.
    pub fn templates(&self) -> Templates {
        let mut t = Templates::builtin();
        for kind in StatementKind::ALL {
            for (lang, source) in self.statements.of(kind) {
                // Validation compiled every statement already; a failure here is impossible
                // for a validated plan and would only drop that statement.
                let _ = t.insert(kind.template_name(), lang, source);
            }
        }
        t
    }

    /// A linter context carrying the plan's do-not-promise list and allowed deadlines.
    pub fn lint_context(&self) -> LintContext {
        LintContext {
            do_not_promise: self.do_not_promise(),
            allowed_deadlines: self.allowed_deadlines(),
            ..LintContext::default()
        }
    }
}

/// "within …" phrases for a target of `m` minutes.
fn deadline_phrases(m: u32) -> Vec<String> {
    let mut out = Vec::new();
    if m == 0 {
        return out;
    }
    if m < 60 || !m.is_multiple_of(60) {
        out.push(format!("within {m} minutes"));
    } else {
        let h = m / 60;
        if h == 1 {
            out.push("within an hour".into());
            out.push("within 1 hour".into());
        } else if h <= 72 {
            out.push(format!("within {h} hours"));
        }
        if m.is_multiple_of(1440) {
            let d = m / 1440;
            out.push(if d == 1 {
                "within a day".into()
            } else {
                format!("within {d} days")
            });
        }
    }
    out
}
