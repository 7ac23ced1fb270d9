//! Which language a draft is written in, for `language_mismatch`.
//!
//! Two sources of evidence: the n-gram language identifier of `firebreak-analyze`
//! (when the linter has one) and counts of frequent function words ("stopwords") of
//! it, es, pl, de, en, fr and pt. Texts of fewer than [`MIN_WORDS`] words are never
//! judged: there is not enough evidence and short replies ("Grazie!", "OK 👍") are
//! rarely a real problem.

use firebreak_analyze::Analyzer;

use super::lexicon::{LEXICONS, OTHER_STOPWORDS};
use super::text::words;

/// Below this many words the language is not judged.
pub const MIN_WORDS: usize = 4;

/// The identifier's answer is taken on its own at or above this confidence.
const MODEL_SURE: f32 = 0.9;
/// ... and, when stopwords are inconclusive, at or above this one.
const MODEL_LIKELY: f32 = 0.6;

/// A language decision and how it was reached (for the finding's message).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Guess {
    pub lang: String,
    pub evidence: &'static str,
}

/// Stopword votes: (lang, hits), best first.
fn stopword_votes(lower: &str) -> Vec<(&'static str, usize)> {
    let ws: Vec<&str> = words(lower).collect();
    let mut votes: Vec<(&'static str, usize)> = LEXICONS
        .iter()
        .map(|l| (l.lang, l.stopwords))
        .chain(OTHER_STOPWORDS.iter().copied())
        .map(|(lang, sw)| (lang, ws.iter().filter(|w| sw.contains(w)).count()))
        .collect();
    votes.sort_by_key(|v| std::cmp::Reverse(v.1));
    votes
}

/// The language of a draft (folded lower-case form `lower`, original `text`), or
/// `None` when the evidence is too thin.
pub(crate) fn identify(text: &str, lower: &str, analyzer: Option<&Analyzer>) -> Option<Guess> {
    if words(lower).count() < MIN_WORDS {
        return None;
    }
    let votes = stopword_votes(lower);
    let (best, hits) = votes.first().copied().unwrap_or(("", 0));
    let second = votes.get(1).map_or(0, |v| v.1);
    let stop_clear = hits >= 2 && hits >= 2 * second;
    let model = analyzer.and_then(|a| {
        let r = a.analyze(text, None);
        r.lang.map(|l| (l, r.lang_confidence))
    });
    match model {
        Some((l, p)) if p >= MODEL_SURE => Some(Guess {
            lang: l,
            evidence: "language identifier",
        }),
        _ if stop_clear => Some(Guess {
            lang: best.to_string(),
            evidence: "function words",
        }),
        Some((l, p)) if p >= MODEL_LIKELY && (hits == 0 || l == best) => Some(Guess {
            lang: l,
            evidence: "language identifier",
        }),
        _ => None,
    }
}

/// Two language tags name the same language ("pl", "pl-PL", "PL").
pub(crate) fn same_lang(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.trim()
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .map(|c| c.to_ascii_lowercase())
            .collect::<String>()
    };
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopwords_decide_without_a_model() {
        let t = "Ci dispiace per il ritardo, ci scriva in privato per favore";
        let g = identify(t, &t.to_lowercase(), None);
        assert_eq!(g.map(|g| g.lang).as_deref(), Some("it"));
    }

    #[test]
    fn short_texts_are_not_judged() {
        assert_eq!(identify("Grazie mille!", "grazie mille!", None), None);
    }

    #[test]
    fn tags_compare_by_primary_subtag() {
        assert!(same_lang("pl-PL", "pl"));
        assert!(!same_lang("pt", "pl"));
    }
}
