//! HTML to plain text, for Mastodon's `content` and the HTML of RSS and Atom entries.
//!
//! Not a browser: tags are removed, `<br>` becomes a line break, paragraphs (`</p>`) and
//! other blocks a blank line or a line break, the content of `<script>` and `<style>` is
//! dropped, runs of source whitespace collapse to one space, and character references are
//! decoded (numeric ones, and the named ones that occur in practice; an unknown name is left
//! as written). A `<` that does not open a tag (`<3`, `a < b`) is kept as text.

/// Converts an HTML fragment into plain text.
pub fn to_text(html: &str) -> String {
    let mut out = Out::default();
    let bytes = html.as_bytes();
    let mut i = 0;
    while i < html.len() {
        let c = bytes[i];
        if c == b'<' && opens_tag(bytes.get(i + 1).copied()) {
            if html[i..].starts_with("<!--") {
                i = match html[i + 4..].find("-->") {
                    Some(end) => i + 4 + end + 3,
                    None => html.len(),
                };
                continue;
            }
            let end = tag_end(bytes, i + 1);
            let tag = &html[i + 1..end.min(html.len())];
            i = (end + 1).min(html.len());
            let (closing, name) = tag_name(tag);
            match (closing, name.as_str()) {
                (_, "br") => out.hard_break(1),
                (false, "script" | "style") => {
                    // Skip to the matching close tag, or to the end.
                    let close = format!("</{name}");
                    i = match find_ascii_ci(&html[i..], &close) {
                        Some(at) => {
                            let after = i + at;
                            (tag_end(bytes, after + 1) + 1).min(html.len())
                        }
                        None => html.len(),
                    };
                }
                (_, "p" | "blockquote" | "pre" | "ul" | "ol" | "table") => out.hard_break(2),
                (
                    _,
                    "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "hr"
                    | "section" | "article" | "header" | "footer" | "dt" | "dd",
                ) => out.hard_break(1),
                (false, "td" | "th") => out.space(),
                _ => {}
            }
            continue;
        }
        if c == b'&' {
            if let Some((decoded, len)) = entity(&html[i..]) {
                out.text_char(decoded);
                i += len;
                continue;
            }
        }
        // A whole character (the input is a str, so `i` is on a boundary).
        let ch = html[i..].chars().next().unwrap_or('\u{fffd}');
        out.text_char(ch);
        i += ch.len_utf8();
    }
    out.finish()
}

fn opens_tag(next: Option<u8>) -> bool {
    matches!(next, Some(b) if b.is_ascii_alphabetic() || b == b'/' || b == b'!' || b == b'?')
}

/// The index of the `>` that closes the tag starting at `from` (quotes respected), or the
/// end of the input.
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote: Option<u8> = None;
    let mut j = from;
    while j < bytes.len() {
        let b = bytes[j];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return j,
            None => {}
        }
        j += 1;
    }
    bytes.len()
}

/// Whether the tag closes, and its lower-case name.
fn tag_name(tag: &str) -> (bool, String) {
    let (closing, rest) = match tag.strip_prefix('/') {
        Some(r) => (true, r),
        None => (false, tag),
    };
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (closing, name)
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let h = haystack.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// Decodes the character reference at the start of `s` (which starts with `&`): the
/// character and the bytes it took, or `None` when it is not a reference.
fn entity(s: &str) -> Option<(char, usize)> {
    let body = &s[1..];
    let semi = body.bytes().take(33).position(|b| b == b';')?;
    let name = &body[..semi];
    let len = semi + 2;
    if let Some(num) = name.strip_prefix('#') {
        let code = if let Some(hex) = num.strip_prefix(['x', 'X']) {
            u32::from_str_radix(hex, 16).ok()?
        } else {
            num.parse::<u32>().ok()?
        };
        let ch = match code {
            0 => '\u{fffd}',
            _ => char::from_u32(code).unwrap_or('\u{fffd}'),
        };
        return Some((ch, len));
    }
    let ch = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "sbquo" => '‚',
        "ldquo" => '“',
        "rdquo" => '”',
        "bdquo" => '„',
        "laquo" => '«',
        "raquo" => '»',
        "bull" => '•',
        "middot" => '·',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "deg" => '°',
        "times" => '×',
        "euro" => '€',
        "pound" => '£',
        "iexcl" => '¡',
        "iquest" => '¿',
        "agrave" => 'à',
        "aacute" => 'á',
        "egrave" => 'è',
        "eacute" => 'é',
        "Egrave" => 'È',
        "Eacute" => 'É',
        "igrave" => 'ì',
        "iacute" => 'í',
        "ograve" => 'ò',
        "oacute" => 'ó',
        "Oacute" => 'Ó',
        "ugrave" => 'ù',
        "uacute" => 'ú',
        "ntilde" => 'ñ',
        "Ntilde" => 'Ñ',
        "ccedil" => 'ç',
        "auml" => 'ä',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "Auml" => 'Ä',
        "Ouml" => 'Ö',
        "Uuml" => 'Ü',
        "szlig" => 'ß',
        _ => return None,
    };
    Some((ch, len))
}

/// The text being built: source whitespace collapses, explicit breaks stay.
#[derive(Default)]
struct Out {
    text: String,
    /// A collapsed run of whitespace waits here until the next visible character.
    pending_space: bool,
    /// Line breaks waiting for the next visible character (at most 2).
    pending_breaks: usize,
}

impl Out {
    fn text_char(&mut self, c: char) {
        if c.is_whitespace() && c != '\u{a0}' {
            self.pending_space = true;
            return;
        }
        if !self.text.is_empty() {
            if self.pending_breaks > 0 {
                for _ in 0..self.pending_breaks {
                    self.text.push('\n');
                }
            } else if self.pending_space {
                self.text.push(' ');
            }
        }
        self.pending_breaks = 0;
        self.pending_space = false;
        self.text.push(if c == '\u{a0}' { ' ' } else { c });
    }

    fn space(&mut self) {
        self.pending_space = true;
    }

    fn hard_break(&mut self, n: usize) {
        self.pending_breaks = (self.pending_breaks + n).min(2);
    }

    fn finish(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::to_text;

    #[test]
    fn paragraphs_breaks_and_entities() {
        assert_eq!(
            to_text("<p>Ciao <span class=\"h-card\"><a href=\"x\">@<span>velora</span></a></span> &amp; co</p><p>riga 2<br>riga 3</p>"),
            "Ciao @velora & co\n\nriga 2\nriga 3"
        );
        assert_eq!(
            to_text("a &lt;3 b &#233;&#x20AC; &bogus; &"),
            "a <3 b é€ &bogus; &"
        );
        assert_eq!(to_text("I <3 it, a < b"), "I <3 it, a < b");
        assert_eq!(
            to_text("x<script>alert('<p>')</script>y<style>p{}</style>z"),
            "xyz"
        );
        assert_eq!(to_text("  spaced\n\n  out  "), "spaced out");
        assert_eq!(to_text("<a title=\"a>b\">link</a>"), "link");
        assert_eq!(to_text("<!-- hidden -->shown"), "shown");
        assert_eq!(to_text("<unclosed"), "");
    }
}
