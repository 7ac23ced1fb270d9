//! The post-mortem: timeline, metrics, charts, the plan against what happened, guardrail and
//! linter events, lessons and action items. Markdown or self-contained HTML (inline SVG, no
//! script), every value escaped.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use firebreak_respond::audit::AuditEntry;
use serde::Serialize;

use crate::metrics::{Bucket, Metrics};
use crate::{Crisis, CrisisEvent};

/// A reply on a crisis case that the linter flagged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LintEvent {
    pub case_id: i64,
    pub at: DateTime<Utc>,
    pub author: String,
    pub rules: Vec<String>,
}

/// Everything a post-mortem shows.
#[derive(Debug, Clone, Serialize)]
pub struct PostMortem {
    pub crisis: Crisis,
    pub events: Vec<CrisisEvent>,
    pub metrics: Metrics,
    /// Refused or pending moderation, refused replies: the guardrails at work.
    pub guardrail_events: Vec<AuditEntry>,
    pub lint_events: Vec<LintEvent>,
}

fn mins(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |m| format!("{m:.1} min"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |p| format!("{:.0} %", p * 100.0))
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "-".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// How each checklist step went.
pub fn step_outcome(s: &crate::StepState) -> &'static str {
    match (s.done_at, s.skipped) {
        (_, true) => "skipped",
        (Some(d), _) if d <= s.due_at => "on time",
        (Some(_), _) => "late",
        (None, _) => "not done",
    }
}

/// How the team did in a drill, each part 0 to 1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillScore {
    /// Acknowledged before the first re-notification.
    pub acknowledged_in_time: f64,
    /// Share of checklist steps done on time.
    pub steps_on_time: f64,
    /// Share of crisis cases answered in public within their target.
    pub response_coverage: f64,
    /// A holding statement was approved and published.
    pub statement_published: f64,
    /// The mean of the four, 0-100.
    pub score: f64,
}

impl PostMortem {
    pub fn drill_score(&self) -> DrillScore {
        let c = &self.crisis;
        let acked = f64::from(u8::from(
            c.escalation.acked_at.is_some()
                && c.escalation.renotified == 0
                && !c.escalation.escalated,
        ));
        let steps = if c.checklist.is_empty() {
            0.0
        } else {
            c.checklist
                .iter()
                .filter(|s| step_outcome(s) == "on time")
                .count() as f64
                / c.checklist.len() as f64
        };
        let coverage = self.metrics.response_coverage.unwrap_or(0.0);
        let published =
            f64::from(u8::from(c.statements.iter().any(|s| {
                s.kind == "holding" && s.status == crate::StatementStatus::Published
            })));
        DrillScore {
            acknowledged_in_time: acked,
            steps_on_time: steps,
            response_coverage: coverage,
            statement_published: published,
            score: 25.0 * (acked + steps + coverage + published),
        }
    }

    fn drill_rows(&self) -> Vec<(&'static str, String)> {
        let d = self.drill_score();
        vec![
            (
                "acknowledged before re-notification",
                format!("{:.0} %", d.acknowledged_in_time * 100.0),
            ),
            (
                "checklist steps on time",
                format!("{:.0} %", d.steps_on_time * 100.0),
            ),
            (
                "cases answered within target",
                format!("{:.0} %", d.response_coverage * 100.0),
            ),
            (
                "holding statement approved and published",
                format!("{:.0} %", d.statement_published * 100.0),
            ),
            ("drill score", format!("{:.0} / 100", d.score)),
        ]
    }

    fn metric_rows(&self) -> Vec<(&'static str, String)> {
        let m = &self.metrics;
        vec![
            ("onset (first crisis mention)", time(Some(m.onset_at))),
            ("first alert", time(Some(m.first_alert_at))),
            ("time to detect", mins(Some(m.time_to_detect_min))),
            ("acknowledged", time(m.acknowledged_at)),
            ("time to acknowledge", mins(m.time_to_acknowledge_min)),
            ("first public response", time(m.first_public_response_at)),
            (
                "time to first public response",
                mins(m.time_to_first_public_response_min),
            ),
            (
                "crisis cases (answered)",
                format!("{} ({})", m.cases, m.answered),
            ),
            (
                "response coverage (within target)",
                pct(m.response_coverage),
            ),
            ("median response time", mins(m.median_response_min)),
            (
                "reach exposed (followers of crisis authors)",
                m.reach_exposed.to_string(),
            ),
            (
                "advocates who defended the brand",
                m.advocates.len().to_string(),
            ),
            (
                "negative share: baseline / peak / now",
                format!(
                    "{:.0} % / {:.0} % / {:.0} %",
                    m.baseline_negative_share * 100.0,
                    m.peak_negative_share * 100.0,
                    m.current_negative_share * 100.0
                ),
            ),
            ("sentiment recovered to baseline", time(m.recovered_at)),
        ]
    }

    pub fn markdown(&self) -> String {
        let c = &self.crisis;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# Post-mortem: crisis #{} on {}{}",
            c.id,
            c.channel,
            if c.drill { " (DRILL)" } else { "" }
        );
        let _ = writeln!(s, "\n{}\n", c.title);
        let _ = writeln!(
            s,
            "Status **{}**, severity {}, terms: {}.\n",
            c.status.as_str(),
            c.severity,
            c.terms.join(", ")
        );
        let _ = writeln!(s, "## Metrics\n\n| metric | value |\n|---|---|");
        for (k, v) in self.metric_rows() {
            let _ = writeln!(s, "| {k} | {v} |");
        }
        if c.drill {
            let _ = writeln!(s, "\n## Drill score\n\n| part | result |\n|---|---|");
            for (k, v) in self.drill_rows() {
                let _ = writeln!(s, "| {k} | {v} |");
            }
        }
        let _ = writeln!(s, "\n## Volume and negative share (15-minute buckets)\n\n| from | mentions | negative | share |\n|---|---|---|---|");
        for b in self.metrics.curve.iter().filter(|b| b.volume > 0) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.0} % |",
                b.start.format("%m-%d %H:%M"),
                b.volume,
                b.negative,
                b.negative_share() * 100.0
            );
        }
        let _ = writeln!(s, "\n## The plan against what happened\n\n| step | owner | due | done | outcome |\n|---|---|---|---|---|");
        for st in &c.checklist {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                md(&st.task),
                md(&st.owner),
                time(Some(st.due_at)),
                time(st.done_at),
                step_outcome(st)
            );
        }
        let esc = &c.escalation;
        let _ = writeln!(
            s,
            "\nEscalation: level {}, notified {} at {}, re-notified {} time(s), escalated: {}, acknowledged by {} at {}.",
            esc.level,
            esc.notified.join(", "),
            time(esc.notified_at),
            esc.renotified,
            if esc.escalated { "yes" } else { "no" },
            esc.acked_by.as_deref().unwrap_or("nobody"),
            time(esc.acked_at)
        );
        let _ = writeln!(s, "\n## Statements\n");
        for st in &c.statements {
            let _ = writeln!(
                s,
                "- #{} {} ({}): {:?}, approvals: {}, published: {}",
                st.id,
                st.kind,
                st.lang,
                st.status,
                st.approvals.join(", "),
                time(st.published_at)
            );
        }
        let _ = writeln!(s, "\n## Guardrail and linter events\n");
        if self.guardrail_events.is_empty() && self.lint_events.is_empty() {
            let _ = writeln!(s, "None.");
        }
        for e in &self.guardrail_events {
            let _ = writeln!(
                s,
                "- {} {} {} on {}: {} ({})",
                time(Some(e.at)),
                md(&e.actor),
                e.action,
                md(&e.target),
                e.outcome.as_str(),
                md(&e.detail)
            );
        }
        for e in &self.lint_events {
            let _ = writeln!(
                s,
                "- {} reply by {} on case #{} flagged: {}",
                time(Some(e.at)),
                md(&e.author),
                e.case_id,
                e.rules.join(", ")
            );
        }
        let _ = writeln!(s, "\n## Timeline\n");
        for e in &self.events {
            let _ = writeln!(
                s,
                "- {} **{}** {} {}",
                time(Some(e.at)),
                e.kind,
                md(&e.actor),
                md(&e.detail.to_string())
            );
        }
        let _ = writeln!(
            s,
            "\n## Lessons\n\n{}\n\n## Action items\n",
            if c.lessons.is_empty() {
                "(not written yet: `firebreak crisis lessons`)"
            } else {
                &c.lessons
            }
        );
        for a in &c.action_items {
            let _ = writeln!(s, "- [ ] {}", md(a));
        }
        s
    }

    pub fn html(&self) -> String {
        let c = &self.crisis;
        let mut s = String::new();
        let _ = write!(
            s,
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Post-mortem crisis #{}</title>\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
             <style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}}table{{border-collapse:collapse}}\
             td,th{{border-bottom:1px solid #ddd;padding:.2rem .5rem;text-align:left}}.late{{color:#b00}}</style></head><body>",
            c.id
        );
        let _ = write!(
            s,
            "<h1>Post-mortem: crisis #{} on {}{}</h1><p>{}</p>",
            c.id,
            esc(&c.channel),
            if c.drill { " (DRILL)" } else { "" },
            esc(&c.title)
        );
        let _ = write!(
            s,
            "<p>Status <b>{}</b>, severity {}, terms: {}.</p>",
            c.status.as_str(),
            c.severity,
            esc(&c.terms.join(", "))
        );
        s.push_str("<h2>Metrics</h2><table>");
        for (k, v) in self.metric_rows() {
            let _ = write!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
        }
        s.push_str("</table>");
        if c.drill {
            s.push_str("<h2>Drill score</h2><table>");
            for (k, v) in self.drill_rows() {
                let _ = write!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
            }
            s.push_str("</table>");
        }
        s.push_str("<h2>Volume and negative share</h2>");
        s.push_str(&svg_chart(
            &self.metrics.curve,
            self.metrics.onset_at,
            self.metrics.first_alert_at,
        ));
        s.push_str("<h2>The plan against what happened</h2><table><tr><th>step</th><th>owner</th><th>due</th><th>done</th><th>outcome</th></tr>");
        for st in &c.checklist {
            let o = step_outcome(st);
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td{}>{}</td></tr>",
                esc(&st.task),
                esc(&st.owner),
                time(Some(st.due_at)),
                time(st.done_at),
                if o == "on time" {
                    ""
                } else {
                    " class=\"late\""
                },
                o
            );
        }
        s.push_str("</table><h2>Guardrail and linter events</h2><ul>");
        for e in &self.guardrail_events {
            let _ = write!(
                s,
                "<li>{} {} {} on {}: {} ({})</li>",
                time(Some(e.at)),
                esc(&e.actor),
                esc(&e.action),
                esc(&e.target),
                e.outcome.as_str(),
                esc(&e.detail)
            );
        }
        for e in &self.lint_events {
            let _ = write!(
                s,
                "<li>{} reply by {} on case #{} flagged: {}</li>",
                time(Some(e.at)),
                esc(&e.author),
                e.case_id,
                esc(&e.rules.join(", "))
            );
        }
        s.push_str("</ul><h2>Timeline</h2><ul>");
        for e in &self.events {
            let _ = write!(
                s,
                "<li>{} <b>{}</b> {} <code>{}</code></li>",
                time(Some(e.at)),
                esc(&e.kind),
                esc(&e.actor),
                esc(&e.detail.to_string())
            );
        }
        let _ = write!(
            s,
            "</ul><h2>Lessons</h2><p>{}</p><h2>Action items</h2><ul>",
            esc(&c.lessons)
        );
        for a in &c.action_items {
            let _ = write!(s, "<li>{}</li>", esc(a));
        }
        s.push_str("</ul></body></html>");
        s
    }
}

fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Volume bars and the negative share line, with the onset and the first alert marked.
pub fn svg_chart(curve: &[Bucket], onset: DateTime<Utc>, alert: DateTime<Utc>) -> String {
    let (w, h, pad) = (900.0f64, 240.0f64, 30.0f64);
    let n = curve.len().max(1) as f64;
    let max_v = f64::from(curve.iter().map(|b| b.volume).max().unwrap_or(1).max(1));
    let bw = (w - 2.0 * pad) / n;
    let x_of = |t: DateTime<Utc>| -> f64 {
        let (Some(first), Some(last)) = (curve.first(), curve.last()) else {
            return pad;
        };
        let span = (last.start - first.start).num_seconds().max(1) as f64;
        pad + (w - 2.0 * pad) * ((t - first.start).num_seconds() as f64 / span).clamp(0.0, 1.0)
    };
    let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"mentions per 15 minutes and negative share\">");
    for (i, b) in curve.iter().enumerate() {
        let bh = (h - 2.0 * pad) * f64::from(b.volume) / max_v;
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#9ab\"/>",
            pad + i as f64 * bw,
            h - pad - bh,
            bw.max(1.0),
            bh
        );
    }
    let points: Vec<String> = curve
        .iter()
        .enumerate()
        .map(|(i, b)| {
            format!(
                "{:.1},{:.1}",
                pad + (i as f64 + 0.5) * bw,
                h - pad - (h - 2.0 * pad) * b.negative_share()
            )
        })
        .collect();
    let _ = write!(
        s,
        "<polyline fill=\"none\" stroke=\"#c33\" stroke-width=\"2\" points=\"{}\"/>",
        points.join(" ")
    );
    for (t, label, color) in [(onset, "onset", "#333"), (alert, "alert", "#c60")] {
        let x = x_of(t);
        let _ = write!(s, "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{pad}\" y2=\"{:.1}\" stroke=\"{color}\" stroke-dasharray=\"4\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{label}</text>", h - pad, x + 3.0, pad - 5.0);
    }
    let _ = write!(s, "<text x=\"{pad}\" y=\"{:.1}\" font-size=\"11\">bars: mentions (max {max_v}); red line: negative share (0-100 %)</text></svg>", h - 8.0);
    s
}
