//! Validation after parsing: every rule has its own message and fix, and points at
//! the key that breaks it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use firebreak_respond::case::Priority;
use firebreak_respond::guard::NEVER_DELETE;
use firebreak_respond::PrivateChannel;
use minijinja::{Environment, UndefinedBehavior, Value};

use crate::error::{line_col, PlanError};
use crate::locate::{kp, KeyPath, Spans};
use crate::model::{Plan, Role, StatementKind, PLAN_VERSION};

/// A problem found by validation, before it is located.
struct Issue {
    path: KeyPath,
    problem: String,
    fix: String,
}

/// What a name in an owner, notify, escalate_to or approvers list refers to.
enum Ref {
    Role(Role),
    Person,
    Unknown,
}

struct Checker<'a, 'i> {
    plan: &'a Plan,
    spans: &'a Spans<'i>,
    text: &'a str,
    issues: Vec<Issue>,
}

/// Validates `plan`, whose text is `text` (named `file` in messages). Returns every
/// problem, in the order they appear in the file.
pub(crate) fn validate(plan: &Plan, text: &str, file: &str, spans: &Spans<'_>) -> Vec<PlanError> {
    let mut c = Checker {
        plan,
        spans,
        text,
        issues: Vec::new(),
    };
    c.version();
    c.languages();
    c.people();
    c.severities();
    c.escalation();
    c.statements();
    c.rules();
    c.do_not_promise();
    let mut errors: Vec<PlanError> = c
        .issues
        .into_iter()
        .map(|i| PlanError::at(text, file, spans.offset(&i.path), i.problem, i.fix))
        .collect();
    errors.sort_by_key(|e| (e.line, e.column));
    errors
}

fn looks_like_email(s: &str) -> bool {
    let mut parts = s.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty()
        && !s.chars().any(char::is_whitespace)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_person_id(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c))
}

fn is_language_code(s: &str) -> bool {
    (2..=3).contains(&s.len()) && s.chars().all(|c| c.is_ascii_lowercase())
}

impl Checker<'_, '_> {
    fn issue(&mut self, path: KeyPath, problem: impl Into<String>, fix: impl Into<String>) {
        self.issues.push(Issue {
            path,
            problem: problem.into(),
            fix: fix.into(),
        });
    }

    fn line_of(&self, path: &KeyPath) -> usize {
        line_col(self.text, self.spans.offset(path)).0
    }

    fn role_list() -> String {
        Role::ALL.map(Role::as_str).join(", ")
    }

    fn person_ids(&self) -> String {
        self.plan
            .people
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn resolve(&self, name: &str) -> Ref {
        if let Some(r) = Role::parse(name) {
            Ref::Role(r)
        } else if self.plan.people.iter().any(|p| p.id == name) {
            Ref::Person
        } else {
            Ref::Unknown
        }
    }

    /// Checks that `name` (at `at`, used as `what`) names a person or a staffed role.
    fn reference(&mut self, at: KeyPath, what: &str, name: &str) {
        match self.resolve(name) {
            Ref::Person => {}
            Ref::Role(r) => {
                if !self.plan.people.iter().any(|p| p.has_role(r)) {
                    self.issue(
                        at,
                        format!("{what} `{name}` is a role that nobody in the team has"),
                        format!("add `{name}` to the roles of someone under [[person]], or name a person id instead"),
                    );
                }
            }
            Ref::Unknown => {
                let fix = format!(
                    "use a person id ({}) or a role ({})",
                    self.person_ids(),
                    Self::role_list()
                );
                self.issue(
                    at,
                    format!("{what} `{name}` is neither a person id nor a role"),
                    fix,
                );
            }
        }
    }

    fn references(&mut self, at: KeyPath, what: &str, names: &[String]) {
        for (i, n) in names.iter().enumerate() {
            self.reference(at.and(i), what, n);
        }
    }

    fn declared_levels(&self) -> BTreeSet<u8> {
        self.plan.severities.iter().map(|s| s.level).collect()
    }

    fn version(&mut self) {
        let v = self.plan.plan_version;
        if v != PLAN_VERSION {
            self.issue(
                kp!["plan_version"],
                format!("plan_version {v} is not supported; this Firebreak reads plan_version {PLAN_VERSION}"),
                format!("set plan_version = {PLAN_VERSION} and check the plan against examples/plan.toml"),
            );
        }
        if self.plan.brand.trim().is_empty() {
            self.issue(
                kp!["brand"],
                "brand is empty",
                "write the brand's name: brand = \"Acme Coffee\"",
            );
        }
    }

    fn languages(&mut self) {
        if self.plan.languages.is_empty() {
            self.issue(
                kp!["languages"],
                "the plan declares no language",
                "list the languages the brand answers in: languages = [\"en\", \"it\"]",
            );
        }
        let mut seen = BTreeSet::new();
        for (i, l) in self.plan.languages.iter().enumerate() {
            if !is_language_code(l) {
                self.issue(
                    kp!["languages", i],
                    format!("`{l}` is not a language code"),
                    "use lower-case ISO 639-1 codes such as \"en\", \"it\", \"es\", \"pl\", \"de\"",
                );
            }
            if !seen.insert(l.as_str()) {
                self.issue(
                    kp!["languages", i],
                    format!("language `{l}` is listed twice"),
                    "list each language once",
                );
            }
        }
    }

    fn people(&mut self) {
        let plan = self.plan;
        if plan.people.is_empty() {
            self.issue(
                kp!["person"],
                "the plan has no team",
                "add the team as [[person]] tables with id, name, roles and email",
            );
        }
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (i, p) in plan.people.iter().enumerate() {
            let at = kp!["person", i];
            if let Some(&j) = first.get(p.id.as_str()) {
                let line = self.line_of(&kp!["person", j, "id"]);
                self.issue(
                    at.and("id"),
                    format!("person id `{}` is used twice (first on line {line})", p.id),
                    "give every person a different id",
                );
            } else {
                first.insert(&p.id, i);
            }
            if !is_person_id(&p.id) {
                self.issue(
                    at.and("id"),
                    format!("person id `{}` is not a short lower-case id", p.id),
                    "use lower-case letters, digits, '_', '.' or '-', e.g. id = \"giulia\"",
                );
            } else if Role::parse(&p.id).is_some() {
                self.issue(
                    at.and("id"),
                    format!(
                        "person id `{}` is also a role name, so owners and notify lists could not tell them apart",
                        p.id
                    ),
                    "choose another id, e.g. the person's first name",
                );
            }
            if p.name.trim().is_empty() {
                self.issue(
                    at.and("name"),
                    format!("person `{}` has an empty name", p.id),
                    "write the person's full name",
                );
            }
            if p.roles.is_empty() {
                self.issue(
                    at.and("roles"),
                    format!("person `{}` has no role", p.id),
                    format!("give at least one of: {}", Self::role_list()),
                );
            }
            if !looks_like_email(&p.email) {
                self.issue(
                    at.and("email"),
                    format!("`{}` (person `{}`) is not an e-mail address", p.email, p.id),
                    "write an address like name@example.com",
                );
            }
            if p.phone.as_deref().is_some_and(|ph| {
                !ph.chars().any(|c| c.is_ascii_digit())
                    || ph
                        .chars()
                        .any(|c| !(c.is_ascii_digit() || " +-().".contains(c)))
            }) {
                self.issue(
                    at.and("phone"),
                    format!(
                        "the phone number of person `{}` is not a phone number",
                        p.id
                    ),
                    "write it in international form, e.g. \"+39 02 1234 5678\"",
                );
            }
        }
        if !plan.people.is_empty() && !plan.people.iter().any(|p| p.has_role(Role::CrisisLead)) {
            self.issue(
                kp!["person", 0, "roles"],
                "nobody in the team is crisis_lead",
                "give the role crisis_lead to the person who decides during a crisis (and a deputy)",
            );
        }
    }

    fn severities(&mut self) {
        let plan = self.plan;
        if plan.severities.is_empty() {
            self.issue(
                kp!["severity"],
                "the plan has no severity level",
                "add [[severity]] tables for levels 1 (watch) to 4 (critical), each with criteria",
            );
        }
        let mut first: HashMap<u8, usize> = HashMap::new();
        for (i, s) in plan.severities.iter().enumerate() {
            let at = kp!["severity", i];
            if !(1..=4).contains(&s.level) {
                self.issue(
                    at.and("level"),
                    format!("severity level {} is out of range", s.level),
                    "use levels 1 (watch) to 4 (critical), as in the detectors' alerts",
                );
            } else if let Some(&j) = first.get(&s.level) {
                let line = self.line_of(&kp!["severity", j, "level"]);
                self.issue(
                    at.and("level"),
                    format!(
                        "severity level {} is declared twice (first on line {line})",
                        s.level
                    ),
                    "give each [[severity]] a different level, or merge the two",
                );
            } else {
                first.insert(s.level, i);
            }
            if s.name.trim().is_empty() {
                self.issue(
                    at.and("name"),
                    format!("severity {} has an empty name", s.level),
                    "name the level, e.g. name = \"Critical\"",
                );
            }
            if s.criteria.is_empty() {
                self.issue(
                    at.and("criteria"),
                    format!("severity {} has no criteria, so no alert can ever reach it", s.level),
                    "add criteria on the detectors' alerts, e.g. criteria = [{ kinds = [\"negative_surge\"], min_severity = 3 }]",
                );
            }
            for (k, c) in s.criteria.iter().enumerate() {
                let cat = at.and("criteria").and(k);
                if c.kinds.is_empty() && c.min_severity.is_none() && c.crisis.is_none() {
                    self.issue(
                        cat.clone(),
                        format!(
                            "a criterion of severity {} is empty and would match every alert",
                            s.level
                        ),
                        "set at least one of kinds, min_severity, crisis",
                    );
                }
                if let Some(m) = c.min_severity {
                    if !(1..=4).contains(&m) {
                        self.issue(
                            cat.and("min_severity"),
                            format!(
                                "min_severity {m} is out of range: alerts have severity 1 to 4"
                            ),
                            "use a value from 1 (watch) to 4 (critical)",
                        );
                    }
                }
            }
            for (k, step) in s.steps.iter().enumerate() {
                let sat = at.and("step").and(k);
                if step.task.trim().is_empty() {
                    self.issue(
                        sat.and("task"),
                        format!("a checklist step of severity {} has no task", s.level),
                        "say what is to be done",
                    );
                }
                self.reference(sat.and("owner"), "step owner", &step.owner);
            }
        }
    }

    fn escalation(&mut self) {
        let plan = self.plan;
        let levels = self.declared_levels();
        let mut first: HashMap<u8, usize> = HashMap::new();
        for (i, e) in plan.escalation.levels.iter().enumerate() {
            let at = kp!["escalation", "level", i];
            if !levels.contains(&e.severity) {
                self.issue(
                    at.and("severity"),
                    format!(
                        "escalation for severity {}, which the plan does not declare",
                        e.severity
                    ),
                    format!(
                        "use a declared level ({})",
                        levels
                            .iter()
                            .map(u8::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            } else if let Some(&j) = first.get(&e.severity) {
                let line = self.line_of(&kp!["escalation", "level", j, "severity"]);
                self.issue(
                    at.and("severity"),
                    format!(
                        "severity {} has two escalation levels (first on line {line})",
                        e.severity
                    ),
                    "keep one [[escalation.level]] per severity",
                );
            } else {
                first.insert(e.severity, i);
            }
            if e.notify.is_empty() {
                self.issue(
                    at.and("notify"),
                    format!("escalation for severity {} notifies nobody", e.severity),
                    "list the people or roles to notify, e.g. notify = [\"crisis_lead\"]",
                );
            }
            self.references(at.and("notify"), "notify entry", &e.notify);
            self.references(at.and("escalate_to"), "escalate_to entry", &e.escalate_to);
            if e.ack_within_min == 0 {
                self.issue(
                    at.and("ack_within_min"),
                    format!(
                        "ack_within_min is 0 for severity {}: nobody could ever acknowledge in time",
                        e.severity
                    ),
                    "give the minutes allowed to acknowledge before re-notifying, e.g. ack_within_min = 10",
                );
            }
            if e.renotify == 0 && e.escalate_to.is_empty() {
                self.issue(
                    at.and("ack_within_min"),
                    format!(
                        "escalation for severity {} does nothing when nobody acknowledges",
                        e.severity
                    ),
                    "set renotify = N (times to re-notify) and/or escalate_to = [...]",
                );
            }
        }
        for (i, s) in plan.severities.iter().enumerate() {
            if (1..=4).contains(&s.level)
                && !plan.escalation.levels.iter().any(|e| e.severity == s.level)
            {
                self.issue(
                    kp!["severity", i, "level"],
                    format!(
                        "severity {} has no [[escalation.level]]: nobody would be told",
                        s.level
                    ),
                    format!(
                        "add [[escalation.level]] with severity = {}, notify and ack_within_min",
                        s.level
                    ),
                );
            }
        }
    }

    fn statements(&mut self) {
        let st = &self.plan.statements;
        let declared: BTreeSet<&str> = st.placeholders.iter().map(String::as_str).collect();
        for (i, p) in st.placeholders.iter().enumerate() {
            if !is_identifier(p) {
                self.issue(
                    kp!["statements", "placeholders", i],
                    format!("placeholder `{p}` is not a valid name"),
                    "use lower-case letters, digits and '_', starting with a letter",
                );
            }
        }
        let languages: BTreeSet<&str> = self.plan.languages.iter().map(String::as_str).collect();
        for lang in &self.plan.languages {
            if !st.holding.contains_key(lang) {
                self.issue(
                    kp!["statements", "holding"],
                    format!("no holding statement in `{lang}`, a language the plan declares"),
                    format!("add {lang} = \"...\" under [statements.holding]: the holding statement is the first thing published, in every language the brand speaks"),
                );
            }
        }
        let sample: BTreeMap<&str, Value> = declared
            .iter()
            .map(|p| (*p, Value::from(format!("<{p}>"))))
            .collect();
        for kind in StatementKind::ALL {
            for (lang, source) in st.of(kind) {
                let at = kp!["statements", kind.as_str(), lang.as_str()];
                if !languages.contains(lang.as_str()) {
                    self.issue(
                        at.clone(),
                        format!(
                            "{} statement in `{lang}`, which is not among the plan's languages",
                            kind.as_str()
                        ),
                        format!("add \"{lang}\" to languages, or remove the statement"),
                    );
                }
                if source.trim().is_empty() {
                    self.issue(
                        at.clone(),
                        format!("the {} statement in `{lang}` is empty", kind.as_str()),
                        "write the statement",
                    );
                    continue;
                }
                let what = format!("the {} statement in `{lang}`", kind.as_str());
                let mut env = Environment::new();
                env.set_undefined_behavior(UndefinedBehavior::Strict);
                if let Err(e) = env.add_template("statement", source) {
                    self.issue(
                        at,
                        format!(
                            "{what} is not a valid template: {}",
                            e.detail().unwrap_or("syntax error")
                        ),
                        "write placeholders as {{ name }} and escape literal braces",
                    );
                    continue;
                }
                let Ok(t) = env.get_template("statement") else {
                    continue;
                };
                let mut unknown: Vec<String> = t
                    .undeclared_variables(false)
                    .into_iter()
                    .filter(|v| !declared.contains(v.as_str()))
                    .collect();
                unknown.sort();
                if !unknown.is_empty() {
                    let list = unknown
                        .iter()
                        .map(|v| format!("`{v}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    self.issue(
                        at,
                        format!("{what} uses the undeclared placeholder{} {list}", if unknown.len() > 1 { "s" } else { "" }),
                        format!(
                            "use only the placeholders in [statements] placeholders ({}), or add the name there",
                            st.placeholders.join(", ")
                        ),
                    );
                    continue;
                }
                if let Err(e) = t.render(&sample) {
                    self.issue(
                        at,
                        format!(
                            "{what} fails to render: {}",
                            e.detail().unwrap_or("template error")
                        ),
                        "use only plain placeholders and built-in filters",
                    );
                }
            }
        }
    }

    fn rules(&mut self) {
        let r = &self.plan.rules;
        if r.allow_delete_negative {
            self.issue(
                kp!["rules", "allow_delete_negative"],
                format!("the plan allows deleting negative comments, which Firebreak refuses. {NEVER_DELETE}"),
                "remove the key or set allow_delete_negative = false",
            );
        }
        if r.block_after_contact_attempts == 0 {
            self.issue(
                kp!["rules", "block_after_contact_attempts"],
                "block_after_contact_attempts = 0 would allow blocking an author nobody tried to reach; blocking is the last resort",
                "require at least 1 documented attempt to reach the author (2 is the practice)",
            );
        }
        if r.private_channels.is_empty() {
            self.issue(
                kp!["rules", "private_channels"],
                "no private channel: individual cases could not move out of public view",
                "list at least one of \"dm\", \"email\", \"phone\"",
            );
        }
        let mut seen = BTreeSet::new();
        for (i, c) in r.private_channels.iter().enumerate() {
            if PrivateChannel::parse(c).is_none() {
                self.issue(
                    kp!["rules", "private_channels", i],
                    format!("`{c}` is not a private channel Firebreak knows"),
                    "use \"dm\", \"email\" or \"phone\"",
                );
            } else if !seen.insert(c.as_str()) {
                self.issue(
                    kp!["rules", "private_channels", i],
                    format!("private channel `{c}` is listed twice"),
                    "list each channel once",
                );
            }
        }
        self.targets();
        let rt = &r.routing;
        let rat = kp!["rules", "routing"];
        for (key, v) in [
            ("customer_care_account", &rt.customer_care_account),
            ("official_account", &rt.official_account),
        ] {
            if v.trim().is_empty() {
                self.issue(
                    rat.and(key),
                    format!("rules.routing.{key} is empty"),
                    "write the account's handle, e.g. \"@AcmeHelp\"",
                );
            }
        }
        if !rt.official_account.trim().is_empty()
            && rt.official_account.trim() == rt.customer_care_account.trim()
        {
            self.issue(
                rat.and("official_account"),
                "the official account and the customer-care account are the same",
                "if the brand has one account, keep it as official_account and set official_from_severity = 1; otherwise name both",
            );
        }
        let levels = self.declared_levels();
        if !levels.contains(&rt.official_from_severity) {
            self.issue(
                rat.and("official_from_severity"),
                format!(
                    "official_from_severity = {} is not a declared severity level",
                    rt.official_from_severity
                ),
                format!(
                    "use a declared level ({})",
                    levels
                        .iter()
                        .map(u8::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        for (i, a) in r.approvals.iter().enumerate() {
            let at = kp!["rules", "approval", i];
            if !(1..=4).contains(&a.from_severity) {
                self.issue(
                    at.and("from_severity"),
                    format!("from_severity {} is out of range", a.from_severity),
                    "use a severity level from 1 to 4",
                );
            }
            if a.approvers.is_empty() {
                self.issue(
                    at.and("approvers"),
                    format!("approval of {} names no approver", a.action.as_str()),
                    "list the people or roles who may approve, e.g. approvers = [\"legal\"]",
                );
            }
            self.references(at.and("approvers"), "approver", &a.approvers);
            let available = self.people_of(&a.approvers).len();
            if a.min_approvers == 0 {
                self.issue(
                    at.and("min_approvers"),
                    "min_approvers = 0 makes the approval meaningless",
                    "use at least 1, or remove the [[rules.approval]]",
                );
            } else if available > 0 && a.min_approvers as usize > available {
                self.issue(
                    at.and("min_approvers"),
                    format!(
                        "approval of {} needs {} approvers but only {available} people can approve",
                        a.action.as_str(),
                        a.min_approvers
                    ),
                    "lower min_approvers or add approvers",
                );
            }
        }
        for (i, d) in r.allowed_deadlines.iter().enumerate() {
            if d.trim().is_empty() {
                self.issue(
                    kp!["rules", "allowed_deadlines", i],
                    "an allowed deadline is empty",
                    "write the phrase replies may use, e.g. \"within 24 hours\"",
                );
            }
        }
    }

    /// Distinct people that `names` (ids or roles) stand for.
    fn people_of(&self, names: &[String]) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        for n in names {
            for p in &self.plan.people {
                if p.id == *n || Role::parse(n).is_some_and(|r| p.has_role(r)) {
                    out.insert(p.id.as_str());
                }
            }
        }
        out
    }

    fn targets(&mut self) {
        let t = &self.plan.rules.response_targets;
        let at = kp!["rules", "response_targets"];
        for p in Priority::ALL {
            let x = t.target(p);
            let pat = at.and(p.as_str());
            if x.first_response_min == 0 {
                self.issue(
                    pat.and("first_response_min"),
                    format!("{}.first_response_min is 0", p.as_str()),
                    "give at least 1 minute",
                );
            } else if x.first_response_min > x.private_follow_up_min {
                self.issue(
                    pat.and("first_response_min"),
                    format!(
                        "{}: first_response_min ({}) is later than private_follow_up_min ({}); targets must satisfy first_response_min <= private_follow_up_min <= resolution_min",
                        p.as_str(), x.first_response_min, x.private_follow_up_min
                    ),
                    "answer in public first, then follow up in private: lower first_response_min or raise private_follow_up_min",
                );
            } else if x.private_follow_up_min > x.resolution_min {
                self.issue(
                    pat.and("private_follow_up_min"),
                    format!(
                        "{}: private_follow_up_min ({}) is later than resolution_min ({}); targets must satisfy first_response_min <= private_follow_up_min <= resolution_min",
                        p.as_str(), x.private_follow_up_min, x.resolution_min
                    ),
                    "lower private_follow_up_min or raise resolution_min",
                );
            }
        }
        if t.follow_up_every_min == 0 {
            self.issue(
                at.and("follow_up_every_min"),
                "follow_up_every_min is 0",
                "give the minutes between updates to a user in private, e.g. 1440 (daily)",
            );
        }
        // The checks above mirror SlaTargets::validate; keep it the authority.
        if let Err(e) = t.validate() {
            if self.issues.iter().all(|i| !i.path.0.starts_with(&at.0)) {
                self.issue(at.clone(), e, "correct the response targets");
            }
        }
        // Priorities are ordered too: a p1 case is never answered later than a p2 one.
        for w in Priority::ALL.windows(2) {
            let (a, b) = (t.target(w[0]), t.target(w[1]));
            if a.first_response_min > b.first_response_min {
                self.issue(
                    at.and(w[1].as_str()).and("first_response_min"),
                    format!(
                        "{} first_response_min ({}) is shorter than {} first_response_min ({}): a less urgent case would be answered sooner",
                        w[1].as_str(), b.first_response_min, w[0].as_str(), a.first_response_min
                    ),
                    format!("order the targets: {} <= {}", w[0].as_str(), w[1].as_str()),
                );
            }
        }
    }

    fn do_not_promise(&mut self) {
        let languages: BTreeSet<&str> = self.plan.languages.iter().map(String::as_str).collect();
        for (lang, phrases) in &self.plan.do_not_promise {
            let at = kp!["do_not_promise", lang.as_str()];
            if !languages.contains(lang.as_str()) {
                self.issue(
                    at.clone(),
                    format!("do_not_promise has phrases in `{lang}`, which is not among the plan's languages"),
                    format!("add \"{lang}\" to languages, or remove the list"),
                );
            }
            for (i, p) in phrases.iter().enumerate() {
                if p.trim().is_empty() {
                    self.issue(
                        at.and(i),
                        "an empty do-not-promise phrase would match every reply",
                        "remove it or write the phrase",
                    );
                }
            }
        }
    }
}
