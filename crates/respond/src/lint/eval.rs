//! Scoring the linter on the labelled drafts of `data/replies/`.
//!
//! Each `<lang>.tsv` holds one draft a line: `split<TAB>flags<TAB>context<TAB>text`
//! (lines starting with `#` are comments). `flags` is a comma-separated list of rule
//! ids or `-`. `context` is `-` or comma-separated keys:
//!
//! * `at_fault`, `troll`, `private` (the reply is not public);
//! * `customer_lang=xx` (default: the file's language; `customer_lang=-` for none);
//! * `lang=xx` (declared draft language);
//! * `group=NAME`: drafts of the same group (in the same file) are each other's
//!   recent replies to other users;
//! * `dnp=PHRASE` (do-not-promise phrase) and `deadline=PHRASE` (allowed deadline),
//!   repeatable.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{LintContext, Linter, Rule};

/// The languages of the data set, in file order.
pub const LANGS: [&str; 5] = ["it", "es", "pl", "de", "en"];

/// Which part of the data set to score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Used to tune the rules.
    Train,
    /// Held out; the acceptance figures.
    Test,
    /// Both.
    All,
}

impl Split {
    /// Parses `train`, `test` or `all`.
    pub fn parse(s: &str) -> Option<Split> {
        match s.trim() {
            "train" => Some(Split::Train),
            "test" => Some(Split::Test),
            "all" => Some(Split::All),
            _ => None,
        }
    }

    fn admits(self, line_split: &str) -> bool {
        match self {
            Split::All => true,
            Split::Train => line_split == "train",
            Split::Test => line_split == "test",
        }
    }
}

/// Errors reading the data set.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A malformed line.
    #[error("{path}:{line}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// One labelled draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    /// File language (the customer's language unless the context says otherwise).
    pub lang: String,
    /// 1-based line number in the file.
    pub line: usize,
    /// `train` or `test`.
    pub split: String,
    /// Expected rules.
    pub expected: BTreeSet<Rule>,
    /// Context for the linter (recent replies filled from the group).
    pub context: LintContext,
    /// The draft.
    pub text: String,
    group: Option<String>,
}

/// Reads `<dir>/<lang>.tsv` for every language of [`LANGS`] that has a file.
pub fn load(dir: &Path) -> Result<Vec<Example>, EvalError> {
    let mut all = Vec::new();
    for lang in LANGS {
        let path = dir.join(format!("{lang}.tsv"));
        if !path.exists() {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|source| EvalError::Io {
            path: path.clone(),
            source,
        })?;
        let mut file = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            if raw.trim().is_empty() || raw.starts_with('#') {
                continue;
            }
            let bad = |reason: String| EvalError::Format {
                path: path.clone(),
                line: i + 1,
                reason,
            };
            let cols: Vec<&str> = raw.splitn(4, '\t').collect();
            let [split, flags, ctx, draft] = cols[..] else {
                return Err(bad(format!(
                    "expected 4 tab-separated columns, got {}",
                    cols.len()
                )));
            };
            if split != "train" && split != "test" {
                return Err(bad(format!("split must be train or test, not {split:?}")));
            }
            let mut expected = BTreeSet::new();
            if flags.trim() != "-" {
                for f in flags.split(',') {
                    let r = Rule::from_id(f).ok_or_else(|| bad(format!("unknown rule {f:?}")))?;
                    expected.insert(r);
                }
            }
            let mut context = LintContext {
                customer_lang: Some(lang.to_string()),
                ..LintContext::default()
            };
            let mut group = None;
            if ctx.trim() != "-" {
                for kv in ctx.split(',') {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    let v = v.trim();
                    match k.trim() {
                        "at_fault" => context.at_fault = true,
                        "troll" => context.troll = true,
                        "private" => context.public = false,
                        "customer_lang" => {
                            context.customer_lang = (v != "-").then(|| v.to_string())
                        }
                        "lang" => context.lang = Some(v.to_string()),
                        "group" => group = Some(v.to_string()),
                        "dnp" => context.do_not_promise.push(v.to_string()),
                        "deadline" => context.allowed_deadlines.push(v.to_string()),
                        other => return Err(bad(format!("unknown context key {other:?}"))),
                    }
                }
            }
            file.push(Example {
                lang: lang.to_string(),
                line: i + 1,
                split: split.to_string(),
                expected,
                context,
                text: draft.trim().to_string(),
                group,
            });
        }
        // Members of a group are each other's recent replies.
        let mut groups: HashMap<String, Vec<(usize, String)>> = HashMap::new();
        for e in &file {
            if let Some(g) = &e.group {
                groups
                    .entry(g.clone())
                    .or_default()
                    .push((e.line, e.text.clone()));
            }
        }
        for e in &mut file {
            if let Some(members) = e.group.as_ref().and_then(|g| groups.get(g)) {
                e.context.recent_replies = members
                    .iter()
                    .filter(|(l, _)| *l != e.line)
                    .map(|(_, t)| t.clone())
                    .collect();
            }
        }
        all.extend(file);
    }
    Ok(all)
}

/// Counts for one rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Flagged and expected.
    pub tp: usize,
    /// Flagged, not expected.
    pub fp: usize,
    /// Expected, not flagged.
    pub fn_: usize,
}

impl Counts {
    /// tp / (tp + fp); 1.0 when nothing was flagged.
    pub fn precision(&self) -> f64 {
        let d = self.tp + self.fp;
        if d == 0 {
            1.0
        } else {
            self.tp as f64 / d as f64
        }
    }

    /// tp / (tp + fn); 1.0 when nothing was expected.
    pub fn recall(&self) -> f64 {
        let d = self.tp + self.fn_;
        if d == 0 {
            1.0
        } else {
            self.tp as f64 / d as f64
        }
    }

    /// Number of drafts where the rule is expected.
    pub fn support(&self) -> usize {
        self.tp + self.fn_
    }
}

/// A draft where the linter and the label disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    /// File language.
    pub lang: String,
    /// Line in the file.
    pub line: usize,
    /// The draft.
    pub text: String,
    /// Expected but not flagged.
    pub missed: Vec<Rule>,
    /// Flagged but not expected, with the finding's message.
    pub spurious: Vec<(Rule, String)>,
}

/// Result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The split scored.
    pub split: Split,
    /// Number of drafts scored.
    pub drafts: usize,
    /// Per rule, all languages.
    pub rules: BTreeMap<Rule, Counts>,
    /// Per language, per rule.
    pub by_lang: BTreeMap<String, BTreeMap<Rule, Counts>>,
    /// Disagreements, for tuning.
    pub mismatches: Vec<Mismatch>,
}

impl Report {
    /// Human-readable table.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(out, "split: {:?}, drafts: {}", self.split, self.drafts);
        let head = |out: &mut String, title: &str| {
            let _ = writeln!(
                out,
                "\n{title}\n{:<24} {:>9} {:>7} {:>8} {:>4} {:>4} {:>4}",
                "rule", "precision", "recall", "support", "tp", "fp", "fn"
            );
        };
        let row = |out: &mut String, r: Rule, c: &Counts| {
            let _ = writeln!(
                out,
                "{:<24} {:>9.3} {:>7.3} {:>8} {:>4} {:>4} {:>4}",
                r.id(),
                c.precision(),
                c.recall(),
                c.support(),
                c.tp,
                c.fp,
                c.fn_
            );
        };
        head(&mut out, "all languages");
        for r in Rule::ALL {
            row(
                &mut out,
                r,
                &self.rules.get(&r).copied().unwrap_or_default(),
            );
        }
        for (lang, rules) in &self.by_lang {
            head(&mut out, lang);
            for r in Rule::ALL {
                row(&mut out, r, &rules.get(&r).copied().unwrap_or_default());
            }
        }
        out
    }
}

/// Lints every draft of `split` in `examples` and compares with the labels.
pub fn score(linter: &Linter, examples: &[Example], split: Split) -> Report {
    let mut rules: BTreeMap<Rule, Counts> =
        Rule::ALL.iter().map(|r| (*r, Counts::default())).collect();
    let mut by_lang: BTreeMap<String, BTreeMap<Rule, Counts>> = BTreeMap::new();
    let mut mismatches = Vec::new();
    let mut drafts = 0;
    for e in examples.iter().filter(|e| split.admits(&e.split)) {
        drafts += 1;
        let findings = linter.lint(&e.text, &e.context);
        let got: BTreeSet<Rule> = findings.iter().map(|f| f.rule).collect();
        let lang = by_lang
            .entry(e.lang.clone())
            .or_insert_with(|| Rule::ALL.iter().map(|r| (*r, Counts::default())).collect());
        for r in Rule::ALL {
            let (x, y) = (e.expected.contains(&r), got.contains(&r));
            for c in [rules.entry(r).or_default(), lang.entry(r).or_default()] {
                match (x, y) {
                    (true, true) => c.tp += 1,
                    (false, true) => c.fp += 1,
                    (true, false) => c.fn_ += 1,
                    (false, false) => {}
                }
            }
        }
        if got != e.expected {
            mismatches.push(Mismatch {
                lang: e.lang.clone(),
                line: e.line,
                text: e.text.clone(),
                missed: e.expected.difference(&got).copied().collect(),
                spurious: findings
                    .iter()
                    .filter(|f| !e.expected.contains(&f.rule))
                    .map(|f| (f.rule, f.message.clone()))
                    .collect(),
            });
        }
    }
    Report {
        split,
        drafts,
        rules,
        by_lang,
        mismatches,
    }
}

/// Loads `dir` and scores `split` with `linter`.
pub fn evaluate(linter: &Linter, dir: &Path, split: Split) -> Result<Report, EvalError> {
    Ok(score(linter, &load(dir)?, split))
}

/// The crate's own labelled set (`crates/respond/data/replies`).
pub fn default_data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join("replies")
}
