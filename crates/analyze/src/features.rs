//! Text normalisation and hashed n-gram features.
//!
//! One feature extraction per mention feeds every model head: the weights of all
//! heads are interleaved per hash bucket, so scoring a mention costs one pass
//! over its features.

use serde::{Deserialize, Serialize};

use crate::lexicon::Lexicons;

/// Feature configuration; stored in the model header so that training and
/// inference always agree.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FeatureConfig {
    /// log2 of the number of hash buckets.
    pub bucket_bits: u32,
    /// Smallest character n-gram.
    pub char_min: usize,
    /// Largest character n-gram.
    pub char_max: usize,
    /// Whether word bigrams are emitted.
    pub word_bigrams: bool,
    /// Whether words following a negation (until punctuation) get an extra
    /// negated-word feature.
    #[serde(default)]
    pub negation: bool,
    /// Repeats of the valence-lexicon features (VADER word list, English;
    /// `lexicons/vader_lexicon.tsv`); 0 = off (models trained before it).
    #[serde(default)]
    pub valence_repeat: usize,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            bucket_bits: 18,
            char_min: 1,
            char_max: 5,
            word_bigrams: true,
            // Tried: -0.3 xlm-t val macro-F1, so off.
            negation: false,
            valence_repeat: VALENCE_REPEAT,
        }
    }
}

/// Negation words (it, es, pl, de, en, fr, pt) that open a negation scope.
const NEGATIONS: &[&str] = &[
    "not", "no", "never", "nothing", "nobody", "cannot", "dont", "doesnt", "didnt", "isnt",
    "wasnt", "cant", "wont", "non", "mai", "niente", "nessuno", "nunca", "nada", "nadie", "ni",
    "nie", "nigdy", "nic", "nikt", "nicht", "kein", "keine", "keinen", "niemals", "nichts",
    "niemand", "ne", "pas", "jamais", "rien", "personne", "não", "nao", "nem", "nenhum", "ninguém",
];

const SEED_WORD: u64 = 0x9e37_79b9_7f4a_7c15;
const SEED_BIGRAM: u64 = 0xc2b2_ae3d_27d4_eb4f;
const SEED_CHAR: u64 = 0x1656_67b1_9e37_79f9;
const SEED_CUE: u64 = 0x27d4_eb2f_1656_67c5;
const SEED_NEG: u64 = 0x85eb_ca77_c2b2_ae63;
const SEED_VALENCE: u64 = 0x5851_f42d_4c95_7f2d;
/// Default repeats of a valence-lexicon hit (chosen on xlm-t val).
pub const VALENCE_REPEAT: usize = 8;
/// The VADER lexicon (C.J. Hutto, MIT licence, `lexicons/VADER-LICENSE.txt`),
/// reduced to `token<TAB>mean valence` for |valence| >= 0.5.
const VALENCE_LEXICON: &str = include_str!("../lexicons/vader_lexicon.tsv");
/// Tokens that flip the valence of the next three words ("n't" tokenises as `t`).
const VALENCE_NEGATIONS: &[&str] = &[
    "not", "no", "never", "nothing", "nobody", "cannot", "dont", "doesnt", "didnt", "isnt",
    "wasnt", "cant", "wont", "t", "neither", "nor", "without", "hardly",
];

type ValenceMap =
    std::collections::HashMap<String, u8, std::hash::BuildHasherDefault<crate::lexicon::FxHasher>>;

/// Valence bin of a lexicon value: 0 strong negative, 1 negative, 2 positive, 3 strong positive.
fn valence_bin(v: f32) -> u8 {
    if v <= -2.0 {
        0
    } else if v < 0.0 {
        1
    } else if v < 2.0 {
        2
    } else {
        3
    }
}

fn valence_map() -> ValenceMap {
    let mut m = ValenceMap::default();
    for line in VALENCE_LEXICON.lines() {
        if let Some((tok, v)) = line.split_once('\t') {
            if let Ok(v) = v.trim().parse::<f32>() {
                m.insert(tok.to_string(), valence_bin(v));
            }
        }
    }
    m
}
/// Cue and lexicon features are emitted this many times, so that a handful of
/// dense, language-independent signals are not drowned by hundreds of n-grams.
const CUE_REPEAT: usize = 16;
/// Repeats of surface cues (all-caps word, elongation, emoji, `!!`, number).
const SURFACE_CUE_REPEAT: usize = 2;

#[inline]
fn step(h: u64, c: u32) -> u64 {
    (h ^ u64::from(c)).wrapping_mul(0x0000_0100_0000_01b3)
}

#[inline]
fn finish(h: u64) -> u64 {
    let mut x = h;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^= x >> 33;
    x
}

/// Hash of a string (used for words and lexicon entries).
#[inline]
pub fn hash_str(seed: u64, s: &str) -> u64 {
    let mut h = seed;
    for c in s.chars() {
        h = step(h, c as u32);
    }
    finish(h)
}

/// Cue features derived from surface form (before lower-casing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Cue {
    /// A word of 3+ letters in capitals.
    CapsWord = 1,
    /// A letter repeated 3+ times.
    Elongated = 2,
    /// An emoji or pictograph.
    Emoji = 3,
    /// Repeated "!" or "?".
    RepeatedPunct = 4,
    /// A number.
    Number = 5,
    /// Project lexicon: insult / profanity.
    LexInsult = 10,
    /// Project lexicon: threat of violence.
    LexThreat = 11,
    /// Project lexicon: identity group term.
    LexIdentity = 12,
    /// Project lexicon: positive word.
    LexPositive = 13,
    /// Project lexicon: negative word.
    LexNegative = 14,
    /// Project lexicon: dehumanising word.
    LexDehuman = 15,
    /// Category lexicon: delivery / logistics.
    CatDelivery = 20,
    /// Category lexicon: product defect / safety.
    CatProduct = 21,
    /// Category lexicon: customer service conduct.
    CatService = 22,
    /// Category lexicon: billing / pricing.
    CatBilling = 23,
    /// Category lexicon: data / privacy / security.
    CatPrivacy = 24,
    /// Category lexicon: outage / technical.
    CatOutage = 25,
    /// Category lexicon: offensive content / campaign.
    CatCampaign = 26,
    /// Intent lexicon: question words.
    IntQuestion = 30,
    /// Intent lexicon: suggestion words.
    IntSuggestion = 31,
    /// Intent lexicon: praise / thanks words.
    IntPraise = 32,
}

/// Counts of surface cues, exposed to the register heuristic.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CueCounts {
    /// Words.
    pub words: u32,
    /// Capitalised words.
    pub caps_words: u32,
    /// Elongated words.
    pub elongated: u32,
    /// Emoji.
    pub emoji: u32,
    /// Exclamation marks.
    pub exclamations: u32,
    /// Question marks.
    pub questions: u32,
    /// Numbers.
    pub numbers: u32,
    /// Insult lexicon hits.
    pub insult_hits: u32,
    /// Threat lexicon hits.
    pub threat_hits: u32,
    /// Identity lexicon hits.
    pub identity_hits: u32,
    /// Dehumanising lexicon hits.
    pub dehuman_hits: u32,
    /// Negative-word lexicon hits.
    pub negative_hits: u32,
}

/// Extracted features of one text: bucket indices (repeats allowed) and cue counts.
#[derive(Debug, Clone, Default)]
pub struct Features {
    /// Hash bucket of each feature occurrence.
    pub buckets: Vec<u32>,
    /// Surface cues.
    pub cues: CueCounts,
    /// Scratch: normalised token text.
    buf: String,
    /// Scratch: tokens as (is_word, start, end) into `buf`.
    toks: Vec<(bool, usize, usize)>,
    /// Scratch: characters of the padded word.
    chars: Vec<u32>,
}

impl Features {
    /// Value of each feature occurrence (L2-style normalisation by count).
    #[inline]
    pub fn value(&self) -> f32 {
        if self.buckets.is_empty() {
            0.0
        } else {
            1.0 / (self.buckets.len() as f32).sqrt()
        }
    }
}

fn is_emoji(c: char) -> bool {
    let u = c as u32;
    (0x1F300..=0x1FAFF).contains(&u)
        || (0x2600..=0x27BF).contains(&u)
        || (0x1F000..=0x1F2FF).contains(&u)
}

/// The feature extractor.
#[derive(Debug, Clone)]
pub struct Extractor {
    cfg: FeatureConfig,
    mask: u64,
    lex: Lexicons,
    valence: ValenceMap,
}

impl Extractor {
    /// New extractor.
    pub fn new(cfg: FeatureConfig) -> Self {
        let mask = (1u64 << cfg.bucket_bits) - 1;
        Extractor {
            mask,
            lex: Lexicons::builtin(),
            valence: if cfg.valence_repeat > 0 {
                valence_map()
            } else {
                ValenceMap::default()
            },
            cfg,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &FeatureConfig {
        &self.cfg
    }

    /// The lexicons.
    pub fn lexicons(&self) -> &Lexicons {
        &self.lex
    }

    #[inline]
    fn push(&self, out: &mut Vec<u32>, h: u64) {
        out.push((finish(h) & self.mask) as u32);
    }

    fn valence_cue(&self, out: &mut Vec<u32>, bin: u8) {
        let h = step(SEED_VALENCE, u32::from(bin));
        for _ in 0..self.cfg.valence_repeat {
            self.push(out, h);
        }
    }

    fn cue(&self, out: &mut Vec<u32>, cue: Cue) {
        let h = step(SEED_CUE, cue as u32);
        // Lexicon cues carry meaning and are repeated; surface cues (capitals,
        // numbers, emoji, ...) are weak evidence and are not.
        let n = if (cue as u32) >= 10 {
            CUE_REPEAT
        } else {
            SURFACE_CUE_REPEAT
        };
        for _ in 0..n {
            self.push(out, h);
        }
    }

    /// Extract features of `text`.
    pub fn extract(&self, text: &str) -> Features {
        let mut f = Features::default();
        self.extract_into(text, &mut f);
        f
    }

    /// Extract features of `text` into `f` (reusing its allocation).
    pub fn extract_into(&self, text: &str, f: &mut Features) {
        f.buckets.clear();
        f.cues = CueCounts::default();
        let mut buf = std::mem::take(&mut f.buf);
        let mut toks = std::mem::take(&mut f.toks);
        let mut chars = std::mem::take(&mut f.chars);
        buf.clear();
        toks.clear();
        // Tokenise on whitespace first, then split each chunk into words and symbols.
        for chunk in text.split_whitespace() {
            let starts = |p: &str| {
                chunk
                    .get(..p.len())
                    .is_some_and(|x| x.eq_ignore_ascii_case(p))
            };
            if starts("http") || starts("www.") {
                let st = buf.len();
                buf.push_str("http");
                toks.push((true, st, buf.len()));
                continue;
            }
            if self.cfg.valence_repeat > 0
                && chunk.len() <= 5
                && chunk.starts_with(|c: char| c.is_ascii_punctuation())
            {
                if let Some(&bin) = self.valence.get(chunk) {
                    self.valence_cue(&mut f.buckets, bin);
                }
            }
            if chunk.starts_with('@') && chunk.len() > 1 {
                let st = buf.len();
                buf.push_str("@user");
                toks.push((true, st, buf.len()));
                continue;
            }
            let mut wstart = buf.len();
            let mut upper = 0u32;
            let mut letters = 0u32;
            let mut digits_only = true;
            let mut last: Option<char> = None;
            let mut run = 0u32;
            let mut elongated = false;
            let flush = |buf: &mut String,
                         wstart: &mut usize,
                         upper: &mut u32,
                         letters: &mut u32,
                         digits_only: &mut bool,
                         elong: &mut bool,
                         f: &mut Features,
                         toks: &mut Vec<(bool, usize, usize)>| {
                if buf.len() > *wstart {
                    if *letters >= 3 && *upper == *letters {
                        f.cues.caps_words += 1;
                    }
                    if *elong {
                        f.cues.elongated += 1;
                    }
                    if *digits_only {
                        f.cues.numbers += 1;
                    }
                    f.cues.words += 1;
                    toks.push((true, *wstart, buf.len()));
                }
                *wstart = buf.len();
                *upper = 0;
                *letters = 0;
                *digits_only = true;
                *elong = false;
            };
            for c in chunk.chars() {
                if c.is_alphanumeric() {
                    if c.is_alphabetic() {
                        letters += 1;
                        if c.is_uppercase() {
                            upper += 1;
                        }
                    }
                    for lc in c.to_lowercase() {
                        if Some(lc) == last {
                            run += 1;
                        } else {
                            run = 1;
                        }
                        last = Some(lc);
                        if run >= 3 {
                            elongated = true;
                        } else {
                            if !lc.is_ascii_digit() {
                                digits_only = false;
                            }
                            buf.push(lc);
                        }
                    }
                } else {
                    flush(
                        &mut buf,
                        &mut wstart,
                        &mut upper,
                        &mut letters,
                        &mut digits_only,
                        &mut elongated,
                        f,
                        &mut toks,
                    );
                    if c == '\'' || c == '’' || c == '-' {
                        last = None;
                        continue;
                    }
                    if c == '!' {
                        f.cues.exclamations += 1;
                    } else if c == '?' {
                        f.cues.questions += 1;
                    }
                    if is_emoji(c) {
                        f.cues.emoji += 1;
                    }
                    // Collapse runs of the same symbol.
                    if Some(c) == last {
                        run += 1;
                        if run == 2 && (c == '!' || c == '?') {
                            self.cue(&mut f.buckets, Cue::RepeatedPunct);
                        }
                        continue;
                    }
                    run = 1;
                    last = Some(c);
                    if c.is_whitespace() || c == '\u{fe0f}' || c == '\u{200d}' {
                        continue;
                    }
                    let st = buf.len();
                    buf.push(c);
                    toks.push((false, st, buf.len()));
                    wstart = buf.len();
                }
            }
            flush(
                &mut buf,
                &mut wstart,
                &mut upper,
                &mut letters,
                &mut digits_only,
                &mut elongated,
                f,
                &mut toks,
            );
        }

        let mut prev: Option<u64> = None;
        let mut negated = false;
        let mut val_neg = 0u8;
        for &(is_word, st, en) in &toks {
            let tok = &buf[st..en];
            let wh = hash_str(SEED_WORD, tok);
            self.push(&mut f.buckets, wh);
            if self.cfg.negation {
                if !is_word {
                    if matches!(tok, "." | "," | "!" | "?" | ";" | ":") {
                        negated = false;
                    }
                } else if NEGATIONS.contains(&tok) {
                    negated = true;
                } else if negated {
                    self.push(&mut f.buckets, SEED_NEG ^ wh);
                }
            }
            if self.cfg.word_bigrams {
                if let Some(p) = prev {
                    self.push(
                        &mut f.buckets,
                        SEED_BIGRAM ^ p.wrapping_mul(31).wrapping_add(wh),
                    );
                }
            }
            prev = Some(wh);
            if is_word {
                if tok == "http" || tok == "@user" {
                    continue;
                }
                if self.cfg.valence_repeat > 0 {
                    if VALENCE_NEGATIONS.contains(&tok) {
                        val_neg = 3;
                    } else {
                        if let Some(&bin) = self.valence.get(tok) {
                            self.valence_cue(&mut f.buckets, bin + if val_neg > 0 { 4 } else { 0 });
                        }
                        val_neg = val_neg.saturating_sub(1);
                    }
                }
                // Lexicon lookups (exact or stem match).
                self.lex.lookup_each(tok, |cue| {
                    match cue {
                        Cue::LexInsult => f.cues.insult_hits += 1,
                        Cue::LexThreat => f.cues.threat_hits += 1,
                        Cue::LexIdentity => f.cues.identity_hits += 1,
                        Cue::LexDehuman => f.cues.dehuman_hits += 1,
                        Cue::LexNegative => f.cues.negative_hits += 1,
                        _ => {}
                    }
                    self.cue(&mut f.buckets, cue);
                });
                // Character n-grams of the padded word.
                chars.clear();
                chars.push('<' as u32);
                chars.extend(tok.chars().map(|c| c as u32));
                chars.push('>' as u32);
                let n = chars.len();
                for i in 0..n {
                    let mut h = SEED_CHAR;
                    for len in 1..=self.cfg.char_max {
                        let j = i + len;
                        if j > n {
                            break;
                        }
                        h = step(h, chars[j - 1]);
                        if len >= self.cfg.char_min && !(len == 1 && (i == 0 || i == n - 1)) {
                            self.push(&mut f.buckets, h ^ (len as u64));
                        }
                    }
                }
            }
        }
        if f.cues.caps_words > 0 {
            self.cue(&mut f.buckets, Cue::CapsWord);
        }
        if f.cues.elongated > 0 {
            self.cue(&mut f.buckets, Cue::Elongated);
        }
        if f.cues.emoji > 0 {
            self.cue(&mut f.buckets, Cue::Emoji);
        }
        if f.cues.numbers > 0 {
            self.cue(&mut f.buckets, Cue::Number);
        }
        f.buf = buf;
        f.toks = toks;
        f.chars = chars;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_bounded() {
        let ex = Extractor::new(FeatureConfig::default());
        let a = ex.extract("Hello @brand, my order #123 never arrived!!! 😡 http://x.co");
        let b = ex.extract("Hello @brand, my order #123 never arrived!!! 😡 http://x.co");
        assert_eq!(a.buckets, b.buckets);
        assert!(a.buckets.iter().all(|&x| x < (1 << 18)));
        assert_eq!(a.cues.emoji, 1);
        assert_eq!(a.cues.exclamations, 3);
        assert_eq!(a.cues.numbers, 1);
    }

    #[test]
    fn valence_lexicon_fires_on_english_only_and_sees_negation() {
        let on = Extractor::new(FeatureConfig::default());
        assert!(on.config().valence_repeat > 0);
        let off = Extractor::new(FeatureConfig {
            valence_repeat: 0,
            ..FeatureConfig::default()
        });
        let extra = |t: &str| on.extract(t).buckets.len() - off.extract(t).buckets.len();
        let r = on.config().valence_repeat;
        assert_eq!(extra("a good day"), r);
        assert_eq!(extra("great :)"), 2 * r);
        // "die" (German article) was filtered out of the list; "war" too.
        assert_eq!(extra("die Bahn war pünktlich"), 0);
        // A negated word lands in a different bin than the plain one.
        let a = on.extract("good");
        let b = on.extract("not good");
        let va: Vec<u32> = a
            .buckets
            .iter()
            .copied()
            .filter(|x| !b.buckets.contains(x))
            .collect();
        assert!(!va.is_empty());
    }

    #[test]
    fn case_and_elongation_normalised() {
        let ex = Extractor::new(FeatureConfig::default());
        let a = ex.extract("soooo good");
        let b = ex.extract("SOOOO GOOD");
        assert_eq!(a.cues.elongated, 1);
        assert_eq!(b.cues.caps_words, 2);
        assert_eq!(b.cues.elongated, 1);
        // Same word features apart from the cue features.
        assert!(a.buckets.len() >= 10);
        let empty = ex.extract("   ");
        assert!(empty.buckets.is_empty());
        assert_eq!(empty.value(), 0.0);
    }
}
