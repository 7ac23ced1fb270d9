//! The reply linter: checks a drafted public reply before it is sent.
//!
//! Nine rules with stable ids ([`Rule`]), lexicons for Italian, Spanish, Polish,
//! German and English (all five are applied to every draft, so a draft in an
//! unexpected language is still checked). Matching is done on a folded copy of the
//! draft (lower case, accents removed), with word boundaries. Every [`Finding`] says
//! what is wrong (`message`) and how to fix it (`suggestion`), in English.
//!
//! Offsets: [`Finding::start`] and [`Finding::end`] count Unicode scalar values
//! (Rust `char`s) of the draft, end exclusive. Rules about the draft as a whole
//! (`missing_apology`, `language_mismatch`, `duplicate_reply`) span `0..len`.
//!
//! ```
//! use firebreak_respond::lint::{LintContext, Linter, Rule};
//! let linter = Linter::new(None);
//! let ctx = LintContext { at_fault: true, ..LintContext::default() };
//! let f = linter.lint("It's not our fault, the courier lost it. Send us your address here.", &ctx);
//! let rules: Vec<Rule> = f.iter().map(|f| f.rule).collect();
//! assert!(rules.contains(&Rule::Excuse));
//! assert!(rules.contains(&Rule::MissingApology));
//! assert!(rules.contains(&Rule::MissingPrivateChannel));
//! ```
//!
//! Design decisions (see also `data/replies/README.md`):
//! * any first-person guarantee ("we guarantee …") is a `promise`, even about a
//!   standing fact, while the noun *warranty* (garanzia, garantía, gwarancja,
//!   Garantie) is not; "we can't promise" is not a promise;
//! * any concrete deadline is a `promise` unless one of the caller's
//!   [`LintContext::allowed_deadlines`] covers it;
//! * conditional non-apologies ("sorry if anyone was offended") are not apologies;
//! * the brand's own role mailboxes (support@, privacy@ …) and toll-free hotlines are
//!   not personal data; order numbers are fine in private replies.

pub mod eval;
mod langid;
mod lexicon;
mod text;

use std::collections::HashSet;
use std::sync::Arc;

use firebreak_analyze::Analyzer;
use regex::Regex;
use serde::{Deserialize, Serialize};

use lexicon::{Lexicon, LEXICONS};
use text::{dup_tokens, sentences, Folded};

pub use langid::MIN_WORDS as LANG_MIN_WORDS;

/// A lint rule. The serialised ids are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Guarantees that cannot be kept: absolute guarantees, "never again", deadlines
    /// not in the plan, phrases on the plan's do-not-promise list.
    Promise,
    /// Excuses and shifting blame (on the customer, a courier, a supplier).
    Excuse,
    /// Confrontational, sarcastic or condescending wording.
    HostileTone,
    /// The brand is at fault and the draft has no apology.
    MissingApology,
    /// The draft asks for personal data in public instead of offering a private channel.
    MissingPrivateChannel,
    /// E-mails, phone numbers, order numbers or addresses exposed in a public reply.
    PersonalData,
    /// The draft is not in the customer's language.
    LanguageMismatch,
    /// The same text was recently sent to other users.
    DuplicateReply,
    /// An engaging reply to a troll-flagged mention.
    FeedsTroll,
}

impl Rule {
    /// Every rule, in a fixed order.
    pub const ALL: [Rule; 9] = [
        Rule::Promise,
        Rule::Excuse,
        Rule::HostileTone,
        Rule::MissingApology,
        Rule::MissingPrivateChannel,
        Rule::PersonalData,
        Rule::LanguageMismatch,
        Rule::DuplicateReply,
        Rule::FeedsTroll,
    ];

    /// The stable id (`promise`, `excuse`, `hostile_tone`, …).
    pub fn id(self) -> &'static str {
        match self {
            Rule::Promise => "promise",
            Rule::Excuse => "excuse",
            Rule::HostileTone => "hostile_tone",
            Rule::MissingApology => "missing_apology",
            Rule::MissingPrivateChannel => "missing_private_channel",
            Rule::PersonalData => "personal_data",
            Rule::LanguageMismatch => "language_mismatch",
            Rule::DuplicateReply => "duplicate_reply",
            Rule::FeedsTroll => "feeds_troll",
        }
    }

    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.id() == id.trim())
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// One problem found in a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// First character (Unicode scalar value index into the draft).
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// What is wrong (English).
    pub message: String,
    /// How to fix it (English).
    pub suggestion: String,
}

/// What the linter knows about the conversation. Everything is optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LintContext {
    /// Language of the draft, if the caller knows it (used when the text itself is
    /// too short or ambiguous to tell).
    pub lang: Option<String>,
    /// Language the customer writes in; `language_mismatch` needs it.
    pub customer_lang: Option<String>,
    /// The brand is at fault: the draft must apologise.
    pub at_fault: bool,
    /// The mention being answered is flagged as a troll.
    pub troll: bool,
    /// The reply is public (default). Private replies may carry personal data.
    pub public: bool,
    /// Texts recently sent to other users (for `duplicate_reply`).
    pub recent_replies: Vec<String>,
    /// Extra phrases that must not be promised (from the crisis plan), any language.
    pub do_not_promise: Vec<String>,
    /// Deadline phrases the crisis plan allows ("within 24 hours", "entro 24 ore").
    pub allowed_deadlines: Vec<String>,
}

impl Default for LintContext {
    fn default() -> Self {
        LintContext {
            lang: None,
            customer_lang: None,
            at_fault: false,
            troll: false,
            public: true,
            recent_replies: Vec::new(),
            do_not_promise: Vec::new(),
            allowed_deadlines: Vec::new(),
        }
    }
}

/// The JSON document of `firebreak lint-reply --json` and of the API:
/// `{"findings":[{"rule":"promise","start":0,"end":12,"message":"…","suggestion":"…"}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LintOutput {
    /// The findings, sorted by start.
    pub findings: Vec<Finding>,
}

/// Similarity (Jaccard of word bigrams) above which two replies are duplicates.
pub const DUPLICATE_SIMILARITY: f64 = 0.7;
/// Replies shorter than this many words are never duplicates ("Thanks!").
pub const DUPLICATE_MIN_WORDS: usize = 5;
/// A reply to a troll longer than this many words is engaging by its length alone.
pub const TROLL_MAX_WORDS: usize = 40;

/// Compiled patterns of one language.
struct Compiled {
    lang: &'static str,
    promise: Regex,
    deadline: Regex,
    not_deadline: Regex,
    excuse: Regex,
    hostile: Regex,
    apology: Regex,
    non_apology: Regex,
    data_noun: Regex,
    request: Regex,
    private: Regex,
    negation: Regex,
    order: Regex,
    address: Vec<Regex>,
    hotline: Regex,
    troll: Regex,
}

fn alternation(patterns: &[&str]) -> String {
    let parts: Vec<String> = patterns
        .iter()
        .map(|p| match p.strip_prefix('~') {
            Some(raw) => format!("(?:{raw})"),
            None => format!(r"\b(?:{p})\b"),
        })
        .collect();
    if parts.is_empty() {
        // Matches nothing.
        return r"[^\s\S]".to_string();
    }
    parts.join("|")
}

fn compile(pattern: &str) -> Regex {
    // The patterns are constants of this crate; the unit tests compile all of them.
    Regex::new(pattern).unwrap_or_else(|e| panic!("invalid lint pattern {pattern:?}: {e}"))
}

impl Compiled {
    fn new(l: &Lexicon) -> Compiled {
        let re = |p: &[&str]| compile(&alternation(p));
        Compiled {
            lang: l.lang,
            promise: re(l.promise),
            deadline: re(l.deadline),
            not_deadline: re(l.not_deadline),
            excuse: re(l.excuse),
            hostile: re(l.hostile),
            apology: re(l.apology),
            non_apology: re(l.non_apology),
            data_noun: re(l.data_noun),
            request: re(l.request),
            private: re(l.private),
            negation: re(l.negation),
            order: compile(&format!(
                r"(?:{}){}",
                alternation(l.order_keyword),
                lexicon::ORDER_ID
            )),
            address: l.address.iter().map(|p| compile(p)).collect(),
            hotline: re(l.hotline),
            troll: re(l.troll),
        }
    }
}

/// The reply linter. Build it once (it compiles its patterns) and share it.
pub struct Linter {
    langs: Vec<Compiled>,
    email: Regex,
    phone: Regex,
    card: Regex,
    emoji: Regex,
    en_future: Regex,
    analyzer: Option<Arc<Analyzer>>,
}

impl std::fmt::Debug for Linter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Linter")
            .field(
                "langs",
                &self.langs.iter().map(|c| c.lang).collect::<Vec<_>>(),
            )
            .field("analyzer", &self.analyzer.is_some())
            .finish()
    }
}

/// A finding before offsets are converted to characters.
struct Hit {
    rule: Rule,
    start: usize,
    end: usize,
    message: String,
    suggestion: &'static str,
}

const SUGGEST_PROMISE: &str = "State what you are doing and when you will give an update, without guarantees (e.g. \"we are working on it and will update you here\").";
const SUGGEST_DEADLINE: &str =
    "Remove the deadline, or use one of the crisis plan's response targets.";
const SUGGEST_DNP: &str =
    "Do not offer this in public; agree on a remedy privately with the case owner.";
const SUGGEST_EXCUSE: &str = "Explain briefly what happened and what you are doing about it; take ownership instead of blaming the customer, a courier or a supplier.";
const SUGGEST_HOSTILE: &str =
    "Rephrase neutrally and politely; acknowledge the customer's frustration instead of arguing.";
const SUGGEST_APOLOGY: &str =
    "Open with a clear, unconditional apology (e.g. \"We're sorry, we got this wrong\").";
const SUGGEST_PRIVATE: &str = "Invite the customer to a private channel (DM, private message, e-mail or phone) and ask for the details there.";
const SUGGEST_PERSONAL: &str =
    "Remove it from the public reply; share it only in a private channel.";
const SUGGEST_TROLL: &str = "Reply at most once, briefly and factually (a link, a private channel); do not argue, ask questions or joke.";
const SUGGEST_DUPLICATE: &str = "Personalise the reply: address this customer's specific problem.";

impl Linter {
    /// A linter. `lang_id` is the analyzer whose language identifier
    /// `language_mismatch` uses; without it only function-word evidence is used.
    pub fn new(lang_id: Option<Arc<Analyzer>>) -> Linter {
        Linter {
            langs: LEXICONS.iter().map(|l| Compiled::new(l)).collect(),
            email: compile(lexicon::EMAIL),
            phone: compile(lexicon::PHONE),
            card: compile(lexicon::CARD_ENDING),
            emoji: compile(r"[\x{1F300}-\x{1FAFF}\x{2600}-\x{27BF}]"),
            en_future: compile(
                r"\b(?:will|'ll|shall|going to|guarantee\w*|promise\w*|be with you|get back)\b",
            ),
            analyzer: lang_id,
        }
    }

    /// A linter using the analyzer embedded in `firebreak-analyze`.
    pub fn with_default_analyzer() -> Result<Linter, firebreak_analyze::AnalyzeError> {
        Ok(Linter::new(Some(Arc::new(Analyzer::load_default()?))))
    }

    /// Lints `draft` in context `ctx`. Findings are sorted by start, then rule.
    pub fn lint(&self, draft: &str, ctx: &LintContext) -> Vec<Finding> {
        let f = Folded::new(draft);
        let mut hits: Vec<Hit> = Vec::new();
        self.promise(draft, &f, ctx, &mut hits);
        for c in &self.langs {
            for m in c.excuse.find_iter(&f.lower) {
                hits.push(Hit {
                    rule: Rule::Excuse,
                    start: m.start(),
                    end: m.end(),
                    message: format!(
                        "\"{}\" makes an excuse or shifts the blame.",
                        quote(draft, &f, m.start(), m.end())
                    ),
                    suggestion: SUGGEST_EXCUSE,
                });
            }
            for m in c.hostile.find_iter(&f.lower) {
                hits.push(Hit {
                    rule: Rule::HostileTone,
                    start: m.start(),
                    end: m.end(),
                    message: format!(
                        "\"{}\" sounds confrontational, sarcastic or condescending.",
                        quote(draft, &f, m.start(), m.end())
                    ),
                    suggestion: SUGGEST_HOSTILE,
                });
            }
        }
        if ctx.at_fault && !self.has_apology(&f.lower) {
            hits.push(Hit {
                rule: Rule::MissingApology,
                start: 0,
                end: f.lower.len(),
                message: "The brand is at fault but the draft does not apologise.".into(),
                suggestion: SUGGEST_APOLOGY,
            });
        }
        if ctx.public {
            self.private_channel(draft, &f, &mut hits);
            self.personal_data(draft, &f, &mut hits);
        }
        if let Some(cl) = ctx
            .customer_lang
            .as_deref()
            .filter(|c| !c.trim().is_empty())
        {
            let guess = langid::identify(draft, &f.lower, self.analyzer.as_deref()).or_else(|| {
                // Too little evidence in the text: trust the caller's tag, if any, but
                // only for texts long enough to matter.
                ctx.lang
                    .as_deref()
                    .filter(|_| text::words(&f.lower).count() >= langid::MIN_WORDS)
                    .map(|l| langid::Guess {
                        lang: l.to_string(),
                        evidence: "the draft's language tag",
                    })
            });
            if let Some(g) = guess.filter(|g| !langid::same_lang(&g.lang, cl)) {
                hits.push(Hit {
                    rule: Rule::LanguageMismatch,
                    start: 0,
                    end: f.lower.len(),
                    message: format!(
                        "The draft is in '{}' ({}), but the customer writes in '{}'.",
                        g.lang, g.evidence, cl
                    ),
                    suggestion: "Reply in the customer's language.",
                });
            }
        }
        self.duplicate(&f, ctx, &mut hits);
        if ctx.troll {
            if let Some(h) = self.troll_hit(draft, &f, &hits) {
                hits.push(h);
            }
        }
        self.finish(&f, hits)
    }

    fn promise(&self, draft: &str, f: &Folded, ctx: &LintContext, hits: &mut Vec<Hit>) {
        let s = &f.lower;
        let allowed: Vec<(usize, usize)> = ctx
            .allowed_deadlines
            .iter()
            .flat_map(|p| phrase_occurrences(s, p))
            .collect();
        for c in &self.langs {
            for m in c.promise.find_iter(s) {
                if negated(c, s, m.start()) {
                    continue;
                }
                hits.push(Hit {
                    rule: Rule::Promise,
                    start: m.start(),
                    end: m.end(),
                    message: format!(
                        "\"{}\" is a guarantee that may not be kept.",
                        quote(draft, f, m.start(), m.end())
                    ),
                    suggestion: SUGGEST_PROMISE,
                });
            }
            let not_deadline: Vec<(usize, usize)> = c
                .not_deadline
                .find_iter(s)
                .map(|m| (m.start(), m.end()))
                .collect();
            for m in c.deadline.find_iter(s) {
                let (a, b) = (m.start(), m.end());
                if allowed
                    .iter()
                    .chain(&not_deadline)
                    .any(|&(x, y)| x < b && a < y)
                {
                    continue;
                }
                // A question does not commit to anything ("can we call you tomorrow?").
                if s[b..]
                    .find(['.', '!', '?', '\n'])
                    .is_some_and(|i| s[b + i..].starts_with('?'))
                {
                    continue;
                }
                if c.lang == "en" && !self.future_before(s, a) {
                    continue;
                }
                hits.push(Hit {
                    rule: Rule::Promise,
                    start: a,
                    end: b,
                    message: format!(
                        "\"{}\" commits to a deadline that is not among the crisis plan's allowed deadlines.",
                        quote(draft, f, a, b)
                    ),
                    suggestion: SUGGEST_DEADLINE,
                });
            }
        }
        for p in &ctx.do_not_promise {
            for (a, b) in phrase_occurrences(s, p) {
                if self.langs.iter().any(|c| negated(c, s, a)) {
                    continue;
                }
                hits.push(Hit {
                    rule: Rule::Promise,
                    start: a,
                    end: b,
                    message: format!(
                        "\"{}\" is on the crisis plan's do-not-promise list.",
                        quote(draft, f, a, b)
                    ),
                    suggestion: SUGGEST_DNP,
                });
            }
        }
    }

    fn has_apology(&self, s: &str) -> bool {
        let non: Vec<(usize, usize)> = self
            .langs
            .iter()
            .flat_map(|c| c.non_apology.find_iter(s).map(|m| (m.start(), m.end())))
            .collect();
        self.langs.iter().any(|c| {
            c.apology
                .find_iter(s)
                .any(|m| !non.iter().any(|&(a, b)| a < m.end() && m.start() < b))
        })
    }

    fn private_channel(&self, draft: &str, f: &Folded, hits: &mut Vec<Hit>) {
        for sent in sentences(&f.cased) {
            let s = &f.lower[sent.start..sent.end.min(f.lower.len())];
            if self.langs.iter().any(|c| c.private.is_match(s)) {
                continue;
            }
            for c in &self.langs {
                let Some(noun) = c.data_noun.find(s) else {
                    continue;
                };
                let asks = sent.question || c.request.is_match(s);
                if !asks || c.negation.is_match(&s[..noun.start()]) {
                    continue;
                }
                let (a, b) = (sent.start + noun.start(), sent.start + noun.end());
                hits.push(Hit {
                    rule: Rule::MissingPrivateChannel,
                    start: a,
                    end: b,
                    message: format!(
                        "Asks in public for \"{}\" without offering a private channel.",
                        quote(draft, f, a, b)
                    ),
                    suggestion: SUGGEST_PRIVATE,
                });
                break;
            }
        }
    }

    fn personal_data(&self, draft: &str, f: &Folded, hits: &mut Vec<Hit>) {
        let s = &f.lower;
        let mut push = |a: usize, b: usize, kind: &str| {
            hits.push(Hit {
                rule: Rule::PersonalData,
                start: a,
                end: b,
                message: format!(
                    "Exposes {kind} in a public reply: \"{}\".",
                    quote(draft, f, a, b)
                ),
                suggestion: SUGGEST_PERSONAL,
            });
        };
        for m in self.email.find_iter(s) {
            let local = m.as_str().split('@').next().unwrap_or("");
            let role = lexicon::ROLE_MAILBOXES.iter().any(|r| {
                local == *r
                    || local.starts_with(&format!("{r}."))
                    || local.starts_with(&format!("{r}-"))
            });
            if !role {
                push(m.start(), m.end(), "an e-mail address");
            }
        }
        for m in self.phone.find_iter(s) {
            let digits: String = m.as_str().chars().filter(char::is_ascii_digit).collect();
            if !(9..=15).contains(&digits.len()) {
                continue;
            }
            // Part of a longer token (an e-mail, a code)?
            let before = s[..m.start()].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '@' || c == '-') {
                continue;
            }
            let toll_free = ["800", "0800", "900", "1800", "00800", "808"]
                .iter()
                .any(|p| digits.starts_with(p))
                || digits.starts_with("39800")
                || digits.starts_with("49800");
            let ctx_start = floor_char(s, m.start().saturating_sub(40));
            let hotline = self
                .langs
                .iter()
                .any(|c| c.hotline.is_match(&s[ctx_start..m.start()]));
            if !toll_free && !hotline {
                push(m.start(), m.end(), "a phone number");
            }
        }
        for m in self.card.find_iter(s) {
            push(m.start(), m.end(), "card digits");
        }
        for c in &self.langs {
            for cap in c.order.captures_iter(s) {
                let Some(id) = cap.name("id") else { continue };
                if id.as_str().chars().any(|ch| ch.is_ascii_digit()) {
                    push(id.start(), id.end(), "an order, booking or account number");
                }
            }
            for re in &c.address {
                for m in re.find_iter(&f.cased) {
                    // Same byte layout as `lower` (see `Folded`).
                    push(m.start(), m.end(), "a postal address");
                }
            }
        }
    }

    fn duplicate(&self, f: &Folded, ctx: &LintContext, hits: &mut Vec<Hit>) {
        if ctx.recent_replies.is_empty() {
            return;
        }
        let mine = dup_tokens(&f.lower);
        if mine.len() < DUPLICATE_MIN_WORDS {
            return;
        }
        let mine_b = bigrams(&mine);
        let n = ctx
            .recent_replies
            .iter()
            .filter(|r| {
                let t = dup_tokens(r);
                t.len() >= DUPLICATE_MIN_WORDS
                    && jaccard(&mine_b, &bigrams(&t)) >= DUPLICATE_SIMILARITY
            })
            .count();
        if n > 0 {
            hits.push(Hit {
                rule: Rule::DuplicateReply,
                start: 0,
                end: f.lower.len(),
                message: format!(
                    "Nearly the same text was recently sent to {n} other user{}.",
                    if n == 1 { "" } else { "s" }
                ),
                suggestion: SUGGEST_DUPLICATE,
            });
        }
    }

    fn troll_hit(&self, draft: &str, f: &Folded, hits: &[Hit]) -> Option<Hit> {
        let s = &f.lower;
        let mut cue: Option<(usize, usize, String)> = None;
        let mut consider = |a: usize, b: usize, why: String| {
            if cue.as_ref().is_none_or(|c| a < c.0) {
                cue = Some((a, b, why));
            }
        };
        if let Some(h) = hits.iter().find(|h| h.rule == Rule::HostileTone) {
            consider(h.start, h.end, "hostile wording".into());
        }
        for c in &self.langs {
            if let Some(m) = c.troll.find(s) {
                consider(
                    m.start(),
                    m.end(),
                    format!(
                        "argues or mocks: \"{}\"",
                        quote(draft, f, m.start(), m.end())
                    ),
                );
            }
        }
        if let Some(i) = s.find('?') {
            consider(i, i + 1, "asks the troll a question".into());
        }
        if let Some(i) = s.find('!') {
            consider(i, i + 1, "exclamation".into());
        }
        if let Some(m) = self.emoji.find(s) {
            consider(m.start(), m.end(), "emoji".into());
        }
        if cue.is_none() && text::words(s).count() > TROLL_MAX_WORDS {
            cue = Some((
                0,
                s.len(),
                format!("long reply (over {TROLL_MAX_WORDS} words)"),
            ));
        }
        cue.map(|(a, b, why)| Hit {
            rule: Rule::FeedsTroll,
            start: a,
            end: b,
            message: format!("Engages a troll-flagged mention: {why}."),
            suggestion: SUGGEST_TROLL,
        })
    }

    /// Converts byte offsets to characters, merges overlapping findings of the same
    /// rule and sorts.
    fn finish(&self, f: &Folded, hits: Vec<Hit>) -> Vec<Finding> {
        let mut out: Vec<Finding> = hits
            .into_iter()
            .map(|h| Finding {
                rule: h.rule,
                start: Folded::char_index(&f.lower, h.start),
                end: Folded::char_index(&f.lower, h.end),
                message: h.message,
                suggestion: h.suggestion.to_string(),
            })
            .collect();
        out.sort_by(|a, b| (a.start, a.rule, b.end).cmp(&(b.start, b.rule, a.end)));
        let mut merged: Vec<Finding> = Vec::with_capacity(out.len());
        for x in out {
            if let Some(p) = merged
                .iter_mut()
                .find(|p| p.rule == x.rule && p.start < x.end && x.start < p.end)
            {
                p.end = p.end.max(x.end);
                continue;
            }
            merged.push(x);
        }
        merged.sort_by_key(|f| (f.start, f.rule));
        merged
    }

    /// English deadlines ("tomorrow", "at the latest") are commitments only after a
    /// future or commitment marker in the same sentence ("will arrive tomorrow").
    fn future_before(&self, s: &str, at: usize) -> bool {
        let start = s[..at].rfind(['.', '!', '?', '\n']).map_or(0, |i| i + 1);
        self.en_future.is_match(&s[start..at])
    }
}

/// The draft's text between two byte offsets of the folded form.
fn quote(draft: &str, f: &Folded, a: usize, b: usize) -> String {
    let ca = Folded::char_index(&f.lower, a);
    let cb = Folded::char_index(&f.lower, b);
    draft.chars().skip(ca).take(cb.saturating_sub(ca)).collect()
}

/// Is the match at `start` negated by one of the two words before it ("we can't
/// promise", "non garantiamo", "nie gwarantujemy")?
fn negated(c: &Compiled, s: &str, start: usize) -> bool {
    let before: Vec<&str> = s[..start].split_whitespace().rev().take(2).collect();
    before.iter().any(|w| {
        let w = w.trim_matches(|ch: char| !ch.is_alphanumeric() && ch != '\'');
        c.negation.is_match(w) || w.ends_with("n't") || w == "cannot" || w == "not"
    })
}

/// Byte ranges of `phrase` (folded) in `s`, on word boundaries.
fn phrase_occurrences(s: &str, phrase: &str) -> Vec<(usize, usize)> {
    let p = Folded::new(phrase.trim()).lower;
    if p.is_empty() {
        return Vec::new();
    }
    let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    s.match_indices(p.as_str())
        .filter(|(i, _)| {
            let before = s[..*i].chars().next_back();
            let after = s[i + p.len()..].chars().next();
            !is_word(before) && !is_word(after)
        })
        .map(|(i, _)| (i, i + p.len()))
        .collect()
}

/// The largest char boundary of `s` at or below `i`.
fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn bigrams(t: &[String]) -> HashSet<String> {
    if t.len() < 2 {
        return t.iter().cloned().collect();
    }
    t.windows(2).map(|w| format!("{} {}", w[0], w[1])).collect()
}

fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    let inter = a.intersection(b).count();
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}
