//! Sentiment exploration on VALIDATION data only (xlm-t val of 8 languages;
//! the English val is the 324 SemEval tweets that are also part of TweetEval
//! val). Never touches a test split.
//!
//! `cargo run --release -p firebreak-analyze --example tune_sentiment -- [mode]`
use firebreak_analyze::data;
use firebreak_analyze::eval::Confusion;
use firebreak_analyze::features::{Extractor, FeatureConfig};
use firebreak_analyze::model::HeadWeights;
use firebreak_analyze::train::{
    average_heads, fit_class_offsets, train_head, train_nb_ovr, Sample, SampleSet, TrainParams,
    SENTIMENT_CLASSES,
};

fn argmax(v: &[f32]) -> usize {
    let mut b = 0;
    for i in 1..v.len() {
        if v[i] > v[b] {
            b = i;
        }
    }
    b
}

struct Scores {
    avg: f64,
    en_recall: f64,
    per: Vec<f64>,
}

fn score(h: &HeadWeights, val: &[Vec<Sample>], off: &[[f32; 3]]) -> Scores {
    let mut per = Vec::new();
    let mut en_recall = 0.0;
    for (g, v) in val.iter().enumerate() {
        let mut cm = Confusion::new(3);
        for s in v {
            let mut z = h.logits(&s.f);
            for j in 0..3 {
                z[j] += off[g][j];
            }
            cm.add(s.y, argmax(&z));
        }
        per.push(cm.macro_f1() * 100.0);
        if g == 1 {
            en_recall = cm.macro_recall() * 100.0;
        }
    }
    Scores {
        avg: per.iter().sum::<f64>() / per.len() as f64,
        en_recall,
        per,
    }
}

/// 2-fold cross-fitted per-language class offsets: fit on even val rows,
/// score odd rows and vice versa (honest estimate of the gain).
fn crossfit_lang_offsets(h: &HeadWeights, val: &[Vec<Sample>]) -> (f64, f64) {
    let mut tot_before = 0.0;
    let mut tot_after = 0.0;
    for v in val {
        for half in 0..2 {
            let fit: Vec<Sample> = v
                .iter()
                .enumerate()
                .filter(|(i, _)| i % 2 == half)
                .map(|(_, s)| s.clone())
                .collect();
            let ev: Vec<Sample> = v
                .iter()
                .enumerate()
                .filter(|(i, _)| i % 2 != half)
                .map(|(_, s)| s.clone())
                .collect();
            let (dn, dp, _, _) = fit_class_offsets(h, &fit, 1);
            let mut a = Confusion::new(3);
            let mut b = Confusion::new(3);
            for s in &ev {
                let z = h.logits(&s.f);
                a.add(s.y, argmax(&z));
                b.add(s.y, argmax(&[z[0] + dn, z[1], z[2] + dp]));
            }
            tot_before += a.macro_f1() * 50.0;
            tot_after += b.macro_f1() * 50.0;
        }
    }
    (tot_before / val.len() as f64, tot_after / val.len() as f64)
}

fn train(samples: &[Sample], bits: u32, mix: f32) -> HeadWeights {
    let p = TrainParams {
        epochs: 10,
        lr: 0.05,
        l2: 1e-5,
        seed: 2,
        balanced: true,
    };
    let lr = train_head("s", &SENTIMENT_CLASSES, false, samples, bits, &p);
    if mix == 0.0 {
        return lr;
    }
    let p_nb = TrainParams {
        epochs: 6,
        lr: 0.1,
        l2: 1e-5,
        seed: 2,
        balanced: true,
    };
    let nb = train_nb_ovr("s", &SENTIMENT_CLASSES, samples, bits, &p_nb, 1.0);
    average_heads(&lr, &nb, mix)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "base".into());
    let d = data::default_data_dir();
    let mut cfg = FeatureConfig::default();
    if let Some(r) = std::env::var("FB_VALENCE")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        cfg.valence_repeat = r;
    }
    eprintln!("valence_repeat {}", cfg.valence_repeat);
    let ex = Extractor::new(cfg.clone());
    let bits = cfg.bucket_bits;

    let mut xlmt = SampleSet::new(&ex);
    let mut val: Vec<Vec<Sample>> = Vec::new();
    for (gi, (folder, _)) in data::XLMT_LANGS.iter().enumerate() {
        for (t, y) in data::xlmt(&d, folder, "train")? {
            xlmt.add_g(&t, y, 1.0, Some(gi));
        }
        let mut v = SampleSet::new(&ex);
        for (t, y) in data::xlmt(&d, folder, "val")? {
            v.add_g(&t, y, 1.0, Some(gi));
        }
        val.push(v.samples);
    }
    let en = data::XLMT_LANGS
        .iter()
        .position(|(_, c)| *c == "en")
        .unwrap_or(1);
    let airline = data::airline(&d)?;
    let mut air = SampleSet::new(&ex);
    for a in airline.iter().filter(|a| !data::airline_is_test(&a.id)) {
        air.add_g(&a.text, a.sentiment, 1.0, Some(en));
    }
    // TweetEval val rows that are in neither xlm-t English train nor val.
    let xt: std::collections::HashSet<String> = data::xlmt(&d, "english", "train")?
        .into_iter()
        .chain(data::xlmt(&d, "english", "val")?)
        .map(|(t, _)| t)
        .collect();
    let mut tev = SampleSet::new(&ex);
    for (t, y) in data::tweeteval(&d, "sentiment", "val")? {
        if !xt.contains(&t) {
            tev.add_g(&t, y, 1.0, Some(en));
        }
    }
    let mut moz = SampleSet::new(&ex);
    for (f, code) in [
        ("pol", "pl"),
        ("deu", "de"),
        ("spa", "es"),
        ("eng", "en"),
        ("por", "pt"),
    ] {
        let g = data::XLMT_LANGS.iter().position(|(_, c)| *c == code);
        for (id, t, pos) in data::mozetic(&d, f)? {
            if !data::mozetic_is_test(&id) {
                moz.add_g(&t, if pos { 2 } else { 0 }, 1.0, g);
            }
        }
    }
    eprintln!(
        "xlmt {} airline {} tweeteval-val extra {} mozetic {}",
        xlmt.samples.len(),
        air.samples.len(),
        tev.samples.len(),
        moz.samples.len()
    );
    let zero = vec![[0.0f32; 3]; 8];
    let build = |aw: f32, tw: f32, mw: f32, moz_en_only: bool| -> Vec<Sample> {
        let mut s = xlmt.samples.clone();
        for x in &air.samples {
            let mut x = x.clone();
            x.w = aw;
            s.push(x);
        }
        if tw > 0.0 {
            for x in &tev.samples {
                let mut x = x.clone();
                x.w = tw;
                s.push(x);
            }
        }
        if mw > 0.0 {
            for x in &moz.samples {
                if moz_en_only && x.g != Some(en) {
                    continue;
                }
                let mut x = x.clone();
                x.w = mw;
                s.push(x);
            }
        }
        s
    };
    let report = |name: &str, h: &HeadWeights| {
        let s0 = score(h, &val, &zero);
        let (dn, dp, _, _) =
            fit_class_offsets(h, &val.iter().flatten().cloned().collect::<Vec<_>>(), 8);
        let mut hh = h.clone();
        hh.bias[0] += dn;
        hh.bias[2] += dp;
        let s1 = score(&hh, &val, &zero);
        let (cb, ca) = crossfit_lang_offsets(&hh, &val);
        let per: Vec<String> = s1.per.iter().map(|x| format!("{x:.1}")).collect();
        println!(
            "{name}: avg {:.2} | +global offsets ({dn:+.1},{dp:+.1}) avg {:.2} en-recall {:.1} (raw {:.1}) | per-lang offsets crossfit {cb:.2}->{ca:.2} | {}",
            s0.avg,
            s1.avg,
            s1.en_recall,
            s0.en_recall,
            per.join(" ")
        );
    };
    if mode == "germ" {
        return germ(&ex, bits);
    }
    match mode.as_str() {
        "base" => {
            let h = train(&build(0.2, 0.0, 0.0, false), bits, 0.5);
            report("base air0.2 mix0.5", &h);
        }
        "air" => {
            for aw in [0.1f32, 0.4, 0.7] {
                let h = train(&build(aw, 0.0, 0.0, false), bits, 0.5);
                report(&format!("air{aw}"), &h);
            }
        }
        "moz" => {
            for (mw, en_only) in [(0.05f32, false), (0.1, false), (0.1, true), (0.3, true)] {
                let h = train(&build(0.2, 0.0, mw, en_only), bits, 0.5);
                report(&format!("moz{mw} en_only={en_only}"), &h);
            }
        }
        "tev" => {
            let h = train(&build(0.2, 1.0, 0.0, false), bits, 0.5);
            report("tev1", &h);
        }
        "combo" => {
            for (aw, mw) in [(0.2f32, 0.05f32), (0.2, 0.15), (0.3, 0.1), (0.3, 0.2)] {
                let h = train(&build(aw, 0.0, mw, true), bits, 0.5);
                report(&format!("air{aw} moz-en{mw}"), &h);
            }
        }
        "mix" => {
            for mix in [0.3f32, 0.7] {
                let h = train(&build(0.2, 0.0, 0.1, true), bits, mix);
                report(&format!("moz-en0.1 mix{mix}"), &h);
            }
        }
        _ => eprintln!("unknown mode"),
    }
    Ok(())
}

/// Offensive head variants scored on OLID val and the fixed 15 % held-out
/// parts of GermEval / PolEval train (best threshold per set, as train.rs does).
fn germ(ex: &Extractor, bits: u32) -> Result<(), Box<dyn std::error::Error>> {
    use firebreak_analyze::model::sigmoid;
    use firebreak_analyze::train::train_binary_lr_nb;
    let d = data::default_data_dir();
    let mut fit = SampleSet::new(ex);
    let mut held: Vec<Vec<Sample>> = vec![Vec::new(), Vec::new(), Vec::new()];
    for (t, y) in data::tweeteval(&d, "offensive", "train")? {
        fit.add_g(&t, y, 1.0, Some(0));
    }
    let mut v = SampleSet::new(ex);
    for (t, y) in data::tweeteval(&d, "offensive", "val")? {
        v.add_g(&t, y, 1.0, Some(0));
    }
    held[0] = std::mem::take(&mut v.samples);
    for (i, g) in data::germeval(&d, "training")?.iter().enumerate() {
        if data::split_bucket(&i.to_string(), "germeval") < 15 {
            v.add_g(&g.text, usize::from(g.offense), 1.0, Some(1));
        } else {
            fit.add_g(&g.text, usize::from(g.offense), 1.0, Some(1));
        }
    }
    held[1] = std::mem::take(&mut v.samples);
    for (i, (t, y)) in data::poleval(&d, "task2", "train")?.iter().enumerate() {
        if data::split_bucket(&i.to_string(), "poleval") < 15 {
            v.add_g(t, usize::from(*y > 0), 1.0, Some(2));
        } else {
            fit.add_g(t, usize::from(*y > 0), 1.0, Some(2));
        }
    }
    held[2] = std::mem::take(&mut v.samples);
    for (_, t, harmful) in data::ban_pl(&d)? {
        fit.add_g(&t, usize::from(harmful), 0.3, Some(2));
    }
    let variants: &[(&str, f32, usize, f32, f32)] = &[
        ("base", 1.0, 4, 0.2, 0.5),
        ("germ x1.5", 1.5, 4, 0.2, 0.5),
        ("germ x2", 2.0, 4, 0.2, 0.5),
        ("nb.3", 1.0, 4, 0.2, 0.3),
        ("nb.7", 1.0, 4, 0.2, 0.7),
        ("e6 lr.1", 1.0, 6, 0.1, 0.5),
    ];
    let which = std::env::var("FB_VARIANTS").unwrap_or_default();
    for &(name, gw, ep, lr, mix) in variants {
        if !which.is_empty() && !which.split(',').any(|w| w == name) {
            continue;
        }
        let p = TrainParams {
            epochs: ep,
            lr,
            l2: 1e-6,
            seed: 3,
            balanced: true,
        };
        let mut train = fit.samples.clone();
        for x in train.iter_mut() {
            if x.g == Some(1) {
                x.w *= gw;
            }
        }
        let h = train_binary_lr_nb("o", &train, bits, &p, mix);
        let mut line = String::new();
        for (g, hs) in held.iter().enumerate() {
            let mut best = (0.0f64, 0.0f32);
            let mut at = Vec::new();
            for step in 0..=12 {
                let thr = 0.2 + step as f32 * 0.05;
                let mut cm = Confusion::new(2);
                for s in hs {
                    cm.add(s.y, usize::from(sigmoid(h.logits(&s.f)[0]) >= thr));
                }
                let m = match g {
                    0 => cm.macro_f1(),
                    1 => cm.germeval_macro_f1(),
                    _ => cm.f1(1),
                } * 100.0;
                at.push(m);
                if m > best.0 + 1e-9 {
                    best = (m, thr);
                }
            }
            line += &format!(
                " | {} best {:.1}@{:.2} (0.5: {:.1})",
                ["olid", "germ", "pol"][g],
                best.0,
                best.1,
                at[6]
            );
        }
        println!("{name}{line}");
    }
    Ok(())
}
