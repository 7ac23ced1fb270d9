//! Charts as SVG, drawn on the server: no chart library, no script, nothing from the
//! network. Colours come from classes in `app.css`. Labels are escaped; everything else
//! is numbers.

use std::fmt::Write;

use crate::pages::escape;

const W: f64 = 360.0;
const H: f64 = 120.0;
const PAD_L: f64 = 30.0;
const PAD_B: f64 = 18.0;

fn open(out: &mut String, title: &str, class: &str) {
    let _ = write!(
        out,
        "<svg class=\"chart {class}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{t}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>{t}</title>",
        t = escape(title)
    );
}

fn axis(out: &mut String, max_label: &str) {
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{PAD_L}\" y1=\"{y}\" x2=\"{W}\" y2=\"{y}\"/>\
         <text class=\"tick\" x=\"{x}\" y=\"10\" text-anchor=\"end\">{m}</text>\
         <text class=\"tick\" x=\"{x}\" y=\"{y}\" text-anchor=\"end\">0</text>",
        y = H - PAD_B,
        x = PAD_L - 4.0,
        m = escape(max_label),
    );
}

/// A bar per bucket (volume), with the negative part of each bar drawn over it.
/// `buckets`: (label shown under some bars, total, negative).
pub fn volume(title: &str, buckets: &[(String, u64, u64)]) -> String {
    let mut out = String::with_capacity(4096);
    open(&mut out, title, "volume");
    let max = buckets.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    axis(&mut out, &max.to_string());
    let n = buckets.len().max(1) as f64;
    let slot = (W - PAD_L) / n;
    let plot_h = H - PAD_B - 12.0;
    for (i, (label, total, neg)) in buckets.iter().enumerate() {
        let x = PAD_L + slot * i as f64 + 1.0;
        let h = plot_h * (*total as f64) / max as f64;
        let hn = plot_h * (*neg as f64) / max as f64;
        let _ = write!(
            out,
            "<rect class=\"bar\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>{} {total}</title></rect>",
            H - PAD_B - h,
            (slot - 2.0).max(1.0),
            escape(label)
        );
        if *neg > 0 {
            let _ = write!(
                out,
                "<rect class=\"bar neg\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{hn:.1}\"/>",
                H - PAD_B - hn,
                (slot - 2.0).max(1.0),
            );
        }
        if i % 6 == 0 {
            let _ = write!(
                out,
                "<text class=\"tick\" x=\"{x:.1}\" y=\"{}\">{}</text>",
                H - 4.0,
                escape(label)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A line of shares (0..=1) per bucket; `None` where there were no mentions.
pub fn share_line(title: &str, points: &[(String, Option<f64>)]) -> String {
    let mut out = String::with_capacity(4096);
    open(&mut out, title, "share");
    axis(&mut out, "100%");
    let n = points.len().max(2) as f64 - 1.0;
    let plot_h = H - PAD_B - 12.0;
    let mut path = String::new();
    for (i, (_, v)) in points.iter().enumerate() {
        let Some(v) = v else { continue };
        let x = PAD_L + (W - PAD_L - 4.0) * i as f64 / n;
        let y = H - PAD_B - plot_h * v.clamp(0.0, 1.0);
        let _ = write!(
            path,
            "{}{x:.1},{y:.1} ",
            if path.is_empty() { "M" } else { "L" }
        );
        let _ = write!(
            out,
            "<circle class=\"dot\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"1.8\"/>"
        );
    }
    if !path.is_empty() {
        let _ = write!(out, "<path class=\"line\" d=\"{}\"/>", path.trim_end());
    }
    for (i, (label, _)) in points.iter().enumerate() {
        if i % 6 == 0 {
            let x = PAD_L + (W - PAD_L - 4.0) * i as f64 / n;
            let _ = write!(
                out,
                "<text class=\"tick\" x=\"{x:.1}\" y=\"{}\">{}</text>",
                H - 4.0,
                escape(label)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// One horizontal bar per language, split into negative, neutral and positive.
pub fn sentiment_by_lang(title: &str, rows: &[(String, [u64; 3])]) -> String {
    let mut out = String::with_capacity(2048);
    let h = 14.0 * rows.len().max(1) as f64 + 4.0;
    let _ = write!(
        out,
        "<svg class=\"chart langs\" viewBox=\"0 0 {W} {h}\" role=\"img\" aria-label=\"{t}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>{t}</title>",
        t = escape(title)
    );
    for (i, (lang, counts)) in rows.iter().enumerate() {
        let total: u64 = counts.iter().sum();
        let y = 2.0 + 14.0 * i as f64;
        let _ = write!(
            out,
            "<text class=\"tick\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            PAD_L - 4.0,
            y + 10.0,
            escape(lang)
        );
        let mut x = PAD_L;
        for (j, class) in ["neg", "neu", "pos"].iter().enumerate() {
            if total == 0 {
                break;
            }
            let w = (W - PAD_L) * counts[j] as f64 / total as f64;
            let _ = write!(
                out,
                "<rect class=\"seg {class}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"11\"><title>{} {class} {}</title></rect>",
                escape(lang),
                counts[j]
            );
            x += w;
        }
    }
    out.push_str("</svg>");
    out
}

/// Counts per labelled bucket, as bars (response times).
pub fn histogram(title: &str, buckets: &[(&str, u64)]) -> String {
    let mut out = String::with_capacity(2048);
    open(&mut out, title, "hist");
    let max = buckets.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    axis(&mut out, &max.to_string());
    let n = buckets.len().max(1) as f64;
    let slot = (W - PAD_L) / n;
    let plot_h = H - PAD_B - 12.0;
    for (i, (label, count)) in buckets.iter().enumerate() {
        let x = PAD_L + slot * i as f64 + 4.0;
        let h = plot_h * (*count as f64) / max as f64;
        let _ = write!(
            out,
            "<rect class=\"bar\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>{} {count}</title></rect>\
             <text class=\"tick\" x=\"{x:.1}\" y=\"{}\">{}</text>",
            H - PAD_B - h,
            (slot - 8.0).max(1.0),
            escape(label),
            H - 4.0,
            escape(label)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_numbers_drawn() {
        let svg = volume("<script>", &[("<img src=x onerror=alert(1)>".into(), 3, 1)]);
        assert!(!svg.contains("<script>") && !svg.contains("<img"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        let line = share_line("s", &[("a".into(), Some(0.5)), ("b".into(), None)]);
        assert!(line.contains("<path"));
        let langs = sentiment_by_lang("l", &[("it".into(), [1, 2, 3])]);
        assert_eq!(langs.matches("<rect").count(), 3);
        assert!(histogram("h", &[("<1h", 2)]).contains("&lt;1h"));
    }
}
