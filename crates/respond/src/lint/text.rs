//! Text normalisation with stable offsets.
//!
//! Every character of the draft maps to exactly one character of the normalised
//! forms, so a character index in a normalised form is the same character index in
//! the draft. Byte offsets of regex matches are converted to character indices with
//! [`Folded::char_index`].

/// The two normalised forms of a draft. They have the same byte layout, so a byte
/// offset found in one is valid in the other.
#[derive(Debug, Clone)]
pub(crate) struct Folded {
    /// Lower case, accents removed, typographic quotes and spaces unified.
    pub lower: String,
    /// Accents removed (case kept): for patterns that need capitals (street names).
    pub cased: String,
}

impl Folded {
    pub(crate) fn new(text: &str) -> Folded {
        let mut lower = String::with_capacity(text.len());
        let mut cased = String::with_capacity(text.len());
        for c in text.chars() {
            let f = fold(c);
            cased.push(f);
            // Keep both forms byte-aligned: a lower-case letter of another UTF-8
            // length (rare: 'İ', 'ẞ') stays as it is.
            let l = f.to_lowercase().next().unwrap_or(f);
            lower.push(if l.len_utf8() == f.len_utf8() { l } else { f });
        }
        Folded { lower, cased }
    }

    /// Character index of byte offset `byte` of `s` (one of the two forms).
    pub(crate) fn char_index(s: &str, byte: usize) -> usize {
        let b = byte.min(s.len());
        // Regex match offsets are always on character boundaries.
        s.get(..b).map_or(0, |p| p.chars().count())
    }
}

/// Folds one character: accents removed, quotes and dashes unified. Always one char.
pub(crate) fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ą' => 'a',
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ą' => 'A',
        'ç' | 'ć' | 'č' => 'c',
        'Ç' | 'Ć' | 'Č' => 'C',
        'è' | 'é' | 'ê' | 'ë' | 'ę' | 'ě' => 'e',
        'È' | 'É' | 'Ê' | 'Ë' | 'Ę' | 'Ě' => 'E',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
        'ł' => 'l',
        'Ł' => 'L',
        'ñ' | 'ń' | 'ň' => 'n',
        'Ñ' | 'Ń' | 'Ň' => 'N',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'O',
        'ś' | 'š' => 's',
        'Ś' | 'Š' => 'S',
        'ù' | 'ú' | 'û' | 'ü' | 'ů' => 'u',
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ů' => 'U',
        'ý' | 'ÿ' => 'y',
        'Ý' => 'Y',
        'ź' | 'ż' | 'ž' => 'z',
        'Ź' | 'Ż' | 'Ž' => 'Z',
        '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' | '\u{00B4}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' => '"',
        '\u{2013}' | '\u{2014}' => '-',
        '\u{00A0}' | '\u{202F}' | '\u{2009}' => ' ',
        _ => c,
    }
}

/// A sentence of the draft: byte range in the normalised form and its terminator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sentence {
    pub start: usize,
    pub end: usize,
    pub question: bool,
}

/// Splits at `.`, `!`, `?`, `;` and newlines. A full stop only ends a sentence when
/// followed by white space and then something that is not a digit or lower-case
/// letter ("order no. 4471923", "n. 12" stay in one sentence).
pub(crate) fn sentences(cased: &str) -> Vec<Sentence> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut it = cased.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let end_here = match c {
            '!' | '?' | ';' | '\n' => true,
            '.' => {
                let rest = &cased[i + 1..];
                let trimmed = rest.trim_start();
                rest.is_empty()
                    || (trimmed.len() < rest.len()
                        && trimmed
                            .chars()
                            .next()
                            .is_none_or(|n| !(n.is_ascii_digit() || n.is_lowercase())))
            }
            _ => false,
        };
        if end_here {
            // Swallow runs of terminators ("?!", "...").
            let mut end = i + c.len_utf8();
            let mut question = c == '?';
            while let Some(&(j, d)) = it.peek() {
                if matches!(d, '!' | '?' | '.') {
                    question |= d == '?';
                    end = j + d.len_utf8();
                    it.next();
                } else {
                    break;
                }
            }
            out.push(Sentence {
                start,
                end,
                question,
            });
            start = end;
        }
    }
    if start < cased.len() && !cased[start..].trim().is_empty() {
        out.push(Sentence {
            start,
            end: cased.len(),
            question: false,
        });
    }
    out
}

/// Words (letters only, lower case, folded) of a text.
pub(crate) fn words(lower: &str) -> impl Iterator<Item = &str> {
    lower
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| w.chars().any(|c| c.is_alphabetic()))
}

/// Tokens used to compare replies for duplicates: handles, links, numbers and
/// punctuation removed.
pub(crate) fn dup_tokens(text: &str) -> Vec<String> {
    let lower: String = text
        .chars()
        .map(|c| fold(c).to_lowercase().next().unwrap_or(c))
        .collect();
    lower
        .split_whitespace()
        .filter(|w| !w.starts_with('@') && !w.starts_with("http") && !w.starts_with('#'))
        .map(|w| w.chars().filter(|c| c.is_alphabetic()).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_char_count() {
        let t = "Łódź, già fünf Größe ¿mañana? ’ok’";
        let f = Folded::new(t);
        assert_eq!(f.lower.len(), f.cased.len());
        assert_eq!(f.lower.chars().count(), t.chars().count());
        assert!(f.lower.starts_with("lodz, gia funf große ¿manana?"));
    }

    #[test]
    fn sentences_keep_order_numbers_together() {
        let f = Folded::new("Refund for order no. 4471923 was issued. What's your email? Thanks");
        let s = sentences(&f.cased);
        assert_eq!(s.len(), 3);
        assert!(s[1].question);
    }
}
