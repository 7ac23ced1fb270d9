//! Evaluation on the *test* splits (or the documented fixed held-out splits /
//! cross-validation) of every benchmark, rendered as one table.

use std::path::Path;
use std::time::Instant;

use crate::data;
use crate::features::Extractor;
use crate::model::sigmoid;
use crate::train::{complaint_folds, complaint_samples, train_head, COMPLAINT_PARAMS};
use crate::{AnalyzeError, Analyzer, Category, Intent, Register};

/// One row of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalRow {
    /// Benchmark (data set and split).
    pub benchmark: String,
    /// Metric.
    pub metric: String,
    /// Our score (percent, or the unit in `metric`).
    pub ours: f64,
    /// Target from the issue, if any.
    pub target: Option<f64>,
    /// Published baselines / references.
    pub reference: String,
}

/// All evaluation results.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EvalReport {
    /// Table rows.
    pub rows: Vec<EvalRow>,
}

impl EvalReport {
    fn push(
        &mut self,
        benchmark: &str,
        metric: &str,
        ours: f64,
        target: Option<f64>,
        reference: &str,
    ) {
        self.rows.push(EvalRow {
            benchmark: benchmark.to_string(),
            metric: metric.to_string(),
            ours,
            target,
            reference: reference.to_string(),
        });
    }

    /// Score of the first row whose benchmark starts with `prefix`.
    pub fn score(&self, prefix: &str) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.benchmark.starts_with(prefix))
            .map(|r| r.ours)
    }
}

impl std::fmt::Display for EvalReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "| benchmark | metric | our score (test) | target | published baselines |"
        )?;
        writeln!(f, "|---|---|---|---|---|")?;
        for r in &self.rows {
            let target = match r.target {
                Some(t) if r.ours >= t => format!("{t} ok"),
                Some(t) => format!("{t} MISSED"),
                None => String::new(),
            };
            writeln!(
                f,
                "| {} | {} | {:.1} | {} | {} |",
                r.benchmark, r.metric, r.ours, target, r.reference
            )?;
        }
        Ok(())
    }
}

/// Confusion-matrix based metrics for `k` classes.
#[derive(Debug, Clone)]
pub struct Confusion {
    k: usize,
    m: Vec<u64>,
}

impl Confusion {
    /// Empty matrix.
    pub fn new(k: usize) -> Self {
        Confusion {
            k,
            m: vec![0; k * k],
        }
    }
    /// Add a (gold, predicted) pair.
    pub fn add(&mut self, gold: usize, pred: usize) {
        if gold < self.k && pred < self.k {
            self.m[gold * self.k + pred] += 1;
        }
    }
    fn tp(&self, c: usize) -> f64 {
        self.m[c * self.k + c] as f64
    }
    fn gold(&self, c: usize) -> f64 {
        (0..self.k).map(|p| self.m[c * self.k + p] as f64).sum()
    }
    fn pred(&self, c: usize) -> f64 {
        (0..self.k).map(|g| self.m[g * self.k + c] as f64).sum()
    }
    /// Precision of class `c`.
    pub fn precision(&self, c: usize) -> f64 {
        let p = self.pred(c);
        if p > 0.0 {
            self.tp(c) / p
        } else {
            0.0
        }
    }
    /// Recall of class `c`.
    pub fn recall(&self, c: usize) -> f64 {
        let g = self.gold(c);
        if g > 0.0 {
            self.tp(c) / g
        } else {
            0.0
        }
    }
    /// F1 of class `c`.
    pub fn f1(&self, c: usize) -> f64 {
        let (p, r) = (self.precision(c), self.recall(c));
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        }
    }
    /// Classes with gold examples.
    fn present(&self) -> Vec<usize> {
        (0..self.k).filter(|&c| self.gold(c) > 0.0).collect()
    }
    /// Macro-F1 over classes with gold examples (sklearn-style when all are present).
    pub fn macro_f1(&self) -> f64 {
        let cs = self.present();
        cs.iter().map(|&c| self.f1(c)).sum::<f64>() / cs.len().max(1) as f64
    }
    /// Macro recall.
    pub fn macro_recall(&self) -> f64 {
        let cs = self.present();
        cs.iter().map(|&c| self.recall(c)).sum::<f64>() / cs.len().max(1) as f64
    }
    /// GermEval organisers' macro-F1: F1 of macro-precision and macro-recall.
    pub fn germeval_macro_f1(&self) -> f64 {
        let cs = self.present();
        let n = cs.len().max(1) as f64;
        let p = cs.iter().map(|&c| self.precision(c)).sum::<f64>() / n;
        let r = cs.iter().map(|&c| self.recall(c)).sum::<f64>() / n;
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        }
    }
    /// Accuracy.
    pub fn accuracy(&self) -> f64 {
        let t: f64 = self.m.iter().map(|&x| x as f64).sum();
        let c: f64 = (0..self.k).map(|i| self.tp(i)).sum();
        if t > 0.0 {
            c / t
        } else {
            0.0
        }
    }
}

/// Expected calibration error of the top-class probability (15 equal-width bins).
pub fn ece(pairs: &[(f32, bool)]) -> f64 {
    let bins = 15usize;
    let mut conf = vec![0.0f64; bins];
    let mut acc = vec![0.0f64; bins];
    let mut n = vec![0usize; bins];
    for &(p, ok) in pairs {
        let b = ((p as f64 * bins as f64) as usize).min(bins - 1);
        conf[b] += f64::from(p);
        acc[b] += if ok { 1.0 } else { 0.0 };
        n[b] += 1;
    }
    let total = pairs.len().max(1) as f64;
    (0..bins)
        .filter(|&b| n[b] > 0)
        .map(|b| (n[b] as f64 / total) * ((acc[b] - conf[b]) / n[b] as f64).abs())
        .sum()
}

fn pct(x: f64) -> f64 {
    (x * 1000.0).round() / 10.0
}

fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

/// Stratified 10-fold CV of the complaint head on complaints-preotiuc2019
/// (folds from [`complaint_folds`]); returns (macro-F1, accuracy).
pub fn complaint_cv(data_dir: &Path, analyzer: &Analyzer) -> Result<(f64, f64), AnalyzeError> {
    let rows = data::complaints(data_dir)?;
    let own = data::own_examples(&data::own_data_dir())?;
    let folds = complaint_folds(&rows);
    let cfg = analyzer.model().header().features.clone();
    let ex = Extractor::new(cfg.clone());
    let mut cm = Confusion::new(2);
    for k in 0..10 {
        let train: Vec<&data::Complaint> = rows
            .iter()
            .zip(&folds)
            .filter(|(_, f)| **f != k)
            .map(|(r, _)| r)
            .collect();
        let set = complaint_samples(&ex, &train, &own);
        let h = train_head(
            "complaint",
            &["complaint"],
            true,
            &set.samples,
            cfg.bucket_bits,
            &COMPLAINT_PARAMS,
        );
        for (r, _) in rows.iter().zip(&folds).filter(|(_, f)| **f == k) {
            let p = sigmoid(h.logits(&ex.extract(&r.text))[0]);
            cm.add(usize::from(r.complaint), usize::from(p >= 0.5));
        }
    }
    Ok((cm.macro_f1(), cm.accuracy()))
}

/// Evaluate every benchmark.
pub fn evaluate_all(data_dir: &Path, analyzer: &Analyzer) -> Result<EvalReport, AnalyzeError> {
    let mut rep = EvalReport::default();
    let lang_of = |t: &str| analyzer.analyze(t, None).lang.unwrap_or_default();

    // ---- sentiment: XLM-T
    let mut f1s = Vec::new();
    let mut calib: Vec<(f32, bool)> = Vec::new();
    let mut per_lang = Vec::new();
    for (folder, code) in data::XLMT_LANGS {
        let test = data::xlmt(data_dir, folder, "test")?;
        let mut cm = Confusion::new(3);
        for (t, y) in &test {
            let a = analyzer.analyze(t, Some(code));
            let pred = a.sentiment.label as usize;
            cm.add(*y, pred);
            calib.push((a.sentiment.score, pred == *y));
        }
        f1s.push(cm.macro_f1());
        per_lang.push((code, cm.macro_f1()));
    }
    let avg = f1s.iter().sum::<f64>() / f1s.len() as f64;
    rep.push(
        "xlm-t-sentiment test, 8 languages",
        "macro-F1 avg",
        pct(avg),
        Some(57.0),
        "fastText 51.0; TF-IDF+SVM 55; XLM-T 69.4",
    );
    let refs = [
        ("it", "fastText 54.7, XLM-T 69.1"),
        ("es", "fastText 50.1, XLM-T 67.9"),
        ("de", "fastText 59.6, XLM-T 77.3"),
        ("en", "fastText 50.9, XLM-T 70.6"),
    ];
    for (code, f1) in per_lang {
        let r = refs
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, r)| *r)
            .unwrap_or("");
        rep.push(
            &format!("xlm-t-sentiment test, {code}"),
            "macro-F1",
            pct(f1),
            None,
            r,
        );
    }
    rep.push(
        "xlm-t-sentiment test, 8 languages",
        "ECE of top prob (%, lower is better)",
        pct(ece(&calib)),
        None,
        "temperature fitted on xlm-t val",
    );

    // ---- sentiment: TweetEval
    let test = data::tweeteval(data_dir, "sentiment", "test")?;
    let mut cm = Confusion::new(3);
    for (t, y) in &test {
        cm.add(*y, analyzer.analyze(t, Some("en")).sentiment.label as usize);
    }
    rep.push(
        "tweeteval sentiment test",
        "macro-recall",
        pct(cm.macro_recall()),
        Some(63.0),
        "fastText 62.9; best 73.7",
    );

    // ---- offensive: OLID
    let test = data::tweeteval(data_dir, "offensive", "test")?;
    let mut cm = Confusion::new(2);
    for (t, y) in &test {
        let a = analyzer.analyze(t, Some("en"));
        cm.add(*y, usize::from(a.toxicity.insult >= 0.5));
    }
    rep.push(
        "tweeteval offensive (OLID) test",
        "macro-F1",
        pct(cm.macro_f1()),
        Some(74.0),
        "fastText 73.4; best 82.2",
    );

    // ---- complaints CV
    let (cf1, cacc) = complaint_cv(data_dir, analyzer)?;
    rep.push(
        "complaints-preotiuc2019 10-fold CV (seed 2019)",
        "macro-F1",
        pct(cf1),
        Some(78.0),
        "paper 79; transformers 87",
    );
    rep.push(
        "complaints-preotiuc2019 10-fold CV (seed 2019)",
        "accuracy",
        pct(cacc),
        None,
        "paper 80.5",
    );

    // ---- GermEval
    let test = data::germeval(data_dir, "test")?;
    let mut cm = Confusion::new(2);
    for g in &test {
        let a = analyzer.analyze(&g.text, Some("de"));
        cm.add(
            usize::from(g.offense),
            usize::from(a.toxicity.insult >= 0.5),
        );
    }
    rep.push(
        "germeval2018 coarse test",
        "macro-F1 (organisers)",
        pct(cm.germeval_macro_f1()),
        Some(72.0),
        "winner 76.8",
    );

    // ---- PolEval
    let test = data::poleval(data_dir, "task1", "test")?;
    let mut cm = Confusion::new(2);
    for (t, y) in &test {
        let a = analyzer.analyze(t, Some("pl"));
        cm.add(*y, usize::from(a.toxicity.insult >= 0.5));
    }
    rep.push(
        "poleval2019 task1 test",
        "F1 harmful",
        pct(cm.f1(1)),
        Some(55.0),
        "Polish RoBERTa-large 70.9",
    );

    // ---- language id
    let mut sets: Vec<(&str, Vec<String>)> = Vec::new();
    for (folder, code) in data::XLMT_LANGS {
        if matches!(code, "it" | "es" | "de" | "en" | "fr" | "pt") {
            sets.push((
                code,
                data::xlmt(data_dir, folder, "test")?
                    .into_iter()
                    .map(|x| x.0)
                    .collect(),
            ));
        }
    }
    sets.push((
        "pl",
        data::poleval(data_dir, "task1", "test")?
            .into_iter()
            .map(|x| x.0)
            .collect(),
    ));
    let (mut ok5, mut n5, mut ok7, mut n7) = (0usize, 0usize, 0usize, 0usize);
    let mut per = Vec::new();
    let start = Instant::now();
    for (code, texts) in &sets {
        let ok = texts.iter().filter(|t| lang_of(t) == *code).count();
        per.push((*code, ok as f64 / texts.len().max(1) as f64, texts.len()));
        ok7 += ok;
        n7 += texts.len();
        if *code != "fr" && *code != "pt" {
            ok5 += ok;
            n5 += texts.len();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    rep.push(
        "language id: xlm-t test (it,es,de,en) + poleval test (pl)",
        "accuracy",
        pct(ok5 as f64 / n5.max(1) as f64),
        Some(97.0),
        "lingua high 97.7 / low 94.3 / whatlang 77 (7-lang set in the issue)",
    );
    rep.push(
        "language id: same + fr, pt",
        "accuracy (7 languages)",
        pct(ok7 as f64 / n7.max(1) as f64),
        None,
        &format!(
            "{n7} texts, {:.0} texts/s incl. full analysis",
            n7 as f64 / secs.max(1e-9)
        ),
    );
    for (code, acc, n) in per {
        rep.push(
            &format!("language id, {code}"),
            "accuracy",
            pct(acc),
            None,
            &format!("{n} texts"),
        );
    }

    // ---- HateCheck
    for (language, code) in [
        ("english", "en"),
        ("italian", "it"),
        ("spanish", "es"),
        ("polish", "pl"),
        ("german", "de"),
        ("french", "fr"),
        ("portuguese", "pt"),
    ] {
        let cases = data::hatecheck(data_dir, language)?;
        let mut cm = Confusion::new(2);
        let (mut th, mut tn) = (0usize, 0usize);
        for c in &cases {
            let a = analyzer.analyze(&c.text, Some(code));
            cm.add(usize::from(c.hateful), usize::from(a.toxicity.toxic >= 0.5));
            if c.functionality.starts_with("threat_") {
                tn += 1;
                th += usize::from(a.toxicity.threat >= 0.5);
            }
        }
        let train_note = if matches!(code, "it" | "es" | "fr" | "pt") {
            "no training data in this language"
        } else {
            ""
        };
        rep.push(
            &format!("hatecheck {code} (toxic>=0.5 vs hateful)"),
            "macro-F1",
            pct(cm.macro_f1()),
            None,
            train_note,
        );
        rep.push(
            &format!("hatecheck {code} threat cases"),
            "threat recall",
            pct(th as f64 / tn.max(1) as f64),
            None,
            "",
        );
    }

    // ---- own intent/category/register test split
    let own = data::own_examples(&data::own_data_dir())?;
    let test: Vec<&data::OwnExample> = own.iter().filter(|o| o.test).collect();
    let mut cm_i = Confusion::new(5);
    let mut cm_c = Confusion::new(8);
    let mut cm_r = Confusion::new(2);
    let mut per_lang: Vec<(String, usize, usize)> = Vec::new();
    for o in &test {
        let a = analyzer.analyze(&o.text, Some(&o.lang));
        let gold = Intent::parse(&o.intent).map(|i| i as usize).unwrap_or(4);
        cm_i.add(gold, a.intent as usize);
        match per_lang.iter_mut().find(|(l, _, _)| *l == o.lang) {
            Some(e) => {
                e.1 += usize::from(gold == a.intent as usize);
                e.2 += 1;
            }
            None => per_lang.push((o.lang.clone(), usize::from(gold == a.intent as usize), 1)),
        }
        if let Some(c) = Category::parse(&o.category) {
            if let Some(p) = analyzer.head_probs("category", &o.text, Some(&o.lang)) {
                cm_c.add(c as usize, argmax(&p));
            }
        }
        let gold_r = usize::from(o.register == "emotional");
        cm_r.add(gold_r, usize::from(a.register == Register::Emotional));
    }
    rep.push(
        &format!(
            "own intent test split ({} texts, {} langs)",
            test.len(),
            data::OWN_LANGS.len()
        ),
        "macro-F1",
        pct(cm_i.macro_f1()),
        None,
        "project-written; no public reference",
    );
    rep.push(
        "own intent test split",
        "accuracy",
        pct(cm_i.accuracy()),
        None,
        "",
    );
    for (l, ok, n) in per_lang {
        rep.push(
            &format!("own intent test split, {l}"),
            "accuracy",
            pct(ok as f64 / n.max(1) as f64),
            None,
            &format!("{n} texts"),
        );
    }
    rep.push(
        "own category test split (complaints)",
        "macro-F1",
        pct(cm_c.macro_f1()),
        None,
        "",
    );
    rep.push(
        "own category test split (complaints)",
        "accuracy",
        pct(cm_c.accuracy()),
        None,
        "",
    );
    rep.push(
        "own register test split",
        "accuracy",
        pct(cm_r.accuracy()),
        None,
        "",
    );

    // ---- airline negative reasons -> category (fixed 20% split)
    let airline = data::airline(data_dir)?;
    let mut cm = Confusion::new(8);
    let mut cm_s = Confusion::new(3);
    for a in airline.iter().filter(|a| data::airline_is_test(&a.id)) {
        cm_s.add(
            a.sentiment,
            analyzer.analyze(&a.text, Some("en")).sentiment.label as usize,
        );
        if a.sentiment == 0 {
            if let Some(p) = analyzer.head_probs("category", &a.text, Some("en")) {
                cm.add(
                    crate::train::airline_reason_category(&a.reason) as usize,
                    argmax(&p),
                );
            }
        }
    }
    rep.push(
        "airline 20% split: negative reason -> category",
        "macro-F1",
        pct(cm.macro_f1()),
        None,
        "mapping in README",
    );
    rep.push(
        "airline 20% held-out split: sentiment",
        "macro-F1",
        pct(cm_s.macro_f1()),
        None,
        "",
    );

    // ---- crisis-scenarios (synthetic; distinct crisis texts, all languages per kind)
    let scenarios = data::crisis_scenarios(data_dir)?;
    for (kind, expect) in [
        ("defective_product", "complaint / product_defect_safety"),
        ("delivery_delay", "complaint / delivery_logistics"),
        ("rude_service", "complaint / customer_service_conduct"),
        ("viral_praise", "praise or positive"),
    ] {
        let (mut ok, mut n) = (0usize, 0usize);
        for sc in scenarios.iter().filter(|s| s.kind == kind) {
            for t in &sc.crisis_texts {
                let a = analyzer.analyze(t, Some(&sc.lang));
                n += 1;
                ok += usize::from(match kind {
                    "defective_product" => a.category == Some(Category::ProductDefectSafety),
                    "delivery_delay" => a.category == Some(Category::DeliveryLogistics),
                    "rude_service" => a.category == Some(Category::CustomerServiceConduct),
                    _ => {
                        a.intent == Intent::Praise
                            || a.sentiment.label == crate::SentimentLabel::Positive
                    }
                });
            }
        }
        rep.push(
            &format!("crisis-scenarios {kind}: distinct crisis texts ({n})"),
            &format!("% labelled {expect}"),
            pct(ok as f64 / n.max(1) as f64),
            None,
            "synthetic; some crisis texts are defences or jokes",
        );
    }
    let (mut flagged, mut n) = (0usize, 0usize);
    for sc in scenarios.iter().filter(|s| s.kind == "none") {
        for t in &sc.other_texts {
            n += 1;
            flagged += usize::from(analyzer.analyze(t, Some(&sc.lang)).intent == Intent::Complaint);
        }
    }
    rep.push(
        &format!("crisis-scenarios none-*: distinct mentions ({n})"),
        "% labelled complaint",
        pct(flagged as f64 / n.max(1) as f64),
        None,
        "background traffic, no crisis",
    );
    Ok(rep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics() {
        let mut cm = Confusion::new(2);
        for (g, p) in [(0, 0), (0, 0), (0, 1), (1, 1), (1, 0), (1, 1)] {
            cm.add(g, p);
        }
        assert!((cm.accuracy() - 4.0 / 6.0).abs() < 1e-9);
        assert!((cm.f1(1) - 2.0 / 3.0).abs() < 1e-9);
        assert!((cm.macro_f1() - 2.0 / 3.0).abs() < 1e-9);
        assert!((cm.germeval_macro_f1() - 2.0 / 3.0).abs() < 1e-9);
        assert!((ece(&[(1.0, true), (1.0, true)])).abs() < 1e-9);
        assert!((ece(&[(0.9, false)]) - 0.9).abs() < 1e-6);
    }
}
