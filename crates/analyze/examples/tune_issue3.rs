//! Third round (issue 3): English sentiment macro-recall and GermEval, on
//! VALIDATION data only. Never touches a test split.
//!
//! * `sent`: xlm-t val (8 languages, avg macro-F1) and English macro-recall on
//!   the 324 xlm-t English val tweets ("en") and on those plus the 246
//!   TweetEval val tweets that are in no xlm-t file ("en570"; neither is
//!   trained on).
//! * `germ`: offensive head variants on the fixed 15 % held-out part of
//!   GermEval train (organisers' macro-F1), OLID val (macro-F1) and the 15 %
//!   held-out part of PolEval train (F1 harmful), best threshold per set as
//!   `train.rs` chooses it.
//!
//! `cargo run --release -p firebreak-analyze --example tune_issue3 -- sent|germ`
//! (`FB_VARIANTS=a,b` restricts the variants).
use firebreak_analyze::data;
use firebreak_analyze::eval::Confusion;
use firebreak_analyze::features::{Extractor, FeatureConfig};
use firebreak_analyze::model::{sigmoid, HeadWeights};
use firebreak_analyze::train::{
    average_heads, fit_class_offsets, train_binary_lr_nb, train_head, train_head_groups,
    train_nb_ovr, Sample, SampleSet, TrainParams, SENTIMENT_CLASSES,
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

fn wanted(name: &str) -> bool {
    let which = std::env::var("FB_VARIANTS").unwrap_or_default();
    which.is_empty() || which.split(',').any(|w| w == name)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "sent".into());
    let ex = Extractor::new(FeatureConfig::default());
    match mode.as_str() {
        "sent" => sent(&ex),
        "germ" => germ(&ex),
        _ => {
            eprintln!("unknown mode");
            Ok(())
        }
    }
}

fn lr_params(seed: u64) -> TrainParams {
    TrainParams {
        epochs: 10,
        lr: 0.05,
        l2: 1e-5,
        seed,
        balanced: true,
    }
}

fn nb_params(seed: u64) -> TrainParams {
    TrainParams {
        epochs: 6,
        lr: 0.1,
        l2: 1e-5,
        seed,
        balanced: true,
    }
}

fn mean_heads(hs: &[HeadWeights]) -> HeadWeights {
    let mut h = hs[0].clone();
    for (i, o) in hs.iter().enumerate().skip(1) {
        h = average_heads(&h, o, 1.0 / (i as f32 + 1.0));
    }
    h
}

/// The sentiment recipe of `train.rs` on `tr` (0.5 LR + 0.5 NB-LR, seed 2) and the
/// English prior correction of that training set.
fn recipe(tr: &[Sample], bits: u32, en: usize) -> (HeadWeights, [f32; 3]) {
    let l = train_head("s", &SENTIMENT_CLASSES, false, tr, bits, &lr_params(2));
    let n = train_nb_ovr("s", &SENTIMENT_CLASSES, tr, bits, &nb_params(2), 1.0);
    (average_heads(&l, &n, 0.5), prior_correction(tr, en))
}

/// Log of the effective training class prior of group `g` (after class
/// balancing), minus log(1/3): subtracting it from the logits of a text of
/// that group matches its training prior to a uniform prior.
fn prior_correction(samples: &[Sample], g: usize) -> [f32; 3] {
    let mut tot = [0.0f32; 3];
    let mut grp = [0.0f32; 3];
    for s in samples {
        tot[s.y] += s.w;
        if s.g == Some(g) {
            grp[s.y] += s.w;
        }
    }
    let all: f32 = tot.iter().sum();
    let cw: Vec<f32> = tot.iter().map(|t| all / (3.0 * t)).collect();
    let eff: Vec<f32> = (0..3).map(|c| grp[c] * cw[c]).collect();
    let s: f32 = eff.iter().sum();
    let mut out = [0.0f32; 3];
    for c in 0..3 {
        out[c] = -((eff[c] / s).ln() - (1.0f32 / 3.0).ln());
    }
    out
}

#[allow(clippy::too_many_lines)]
fn sent(ex: &Extractor) -> Result<(), Box<dyn std::error::Error>> {
    let d = data::default_data_dir();
    let bits = ex.config().bucket_bits;
    let en = data::XLMT_LANGS
        .iter()
        .position(|(_, c)| *c == "en")
        .unwrap_or(1);
    let mut set = SampleSet::new(ex);
    let mut val: Vec<Vec<Sample>> = Vec::new();
    for (gi, (folder, _)) in data::XLMT_LANGS.iter().enumerate() {
        for (t, y) in data::xlmt(&d, folder, "train")? {
            set.add_g(&t, y, 1.0, Some(gi));
        }
        let mut v = SampleSet::new(ex);
        for (t, y) in data::xlmt(&d, folder, "val")? {
            v.add_g(&t, y, 1.0, Some(gi));
        }
        val.push(v.samples);
    }
    // Source of each sample: 0 xlm-t, 1 airline, 2 Mozetič English.
    let mut src = vec![0u8; set.samples.len()];
    for a in data::airline(&d)?
        .iter()
        .filter(|a| !data::airline_is_test(&a.id))
    {
        set.add_g(&a.text, a.sentiment, 0.2, Some(en));
        src.push(1);
    }
    for (id, t, pos) in data::mozetic(&d, "eng")? {
        if !data::mozetic_is_test(&id) {
            set.add_g(&t, if pos { 2 } else { 0 }, 0.1, Some(en));
            src.push(2);
        }
    }
    let xt: std::collections::HashSet<String> = data::xlmt(&d, "english", "train")?
        .into_iter()
        .chain(data::xlmt(&d, "english", "val")?)
        .map(|(t, _)| t)
        .collect();
    let mut tev = SampleSet::new(ex);
    for (t, y) in data::tweeteval(&d, "sentiment", "val")? {
        if !xt.contains(&t) {
            tev.add_g(&t, y, 1.0, Some(en));
        }
    }
    let mut en570 = val[en].clone();
    en570.extend(tev.samples.iter().cloned());
    let allval: Vec<Sample> = val.iter().flatten().cloned().collect();
    let prior = prior_correction(&set.samples, en);
    eprintln!(
        "train {} | en val {} + tweeteval-val extra {} | en prior correction {prior:?}",
        set.samples.len(),
        val[en].len(),
        tev.samples.len()
    );

    // Score: global offsets fitted on all val (as train.rs does), then avg
    // macro-F1, en macro-F1 / macro-recall, en570 macro-recall; `en_off` is an
    // extra offset for English only.
    let report = |name: &str, h: &HeadWeights, en_group: bool, en_off: [f32; 3]| {
        let mut h = h.clone();
        let (dn, dp, _, _) = fit_class_offsets(&h, &allval, 8);
        h.bias[0] += dn;
        h.bias[2] += dp;
        let lg = |s: &Sample| {
            let g = if en_group && s.g == Some(en) {
                Some(0)
            } else {
                None
            };
            let mut z = h.logits_group(&s.f, g);
            if s.g == Some(en) {
                for j in 0..3 {
                    z[j] += en_off[j];
                }
            }
            z
        };
        let mut per = Vec::new();
        let mut en_rec = 0.0;
        for (g, v) in val.iter().enumerate() {
            let mut cm = Confusion::new(3);
            for s in v {
                cm.add(s.y, argmax(&lg(s)));
            }
            per.push(cm.macro_f1() * 100.0);
            if g == en {
                en_rec = cm.macro_recall() * 100.0;
            }
        }
        let mut cm = Confusion::new(3);
        for s in &en570 {
            cm.add(s.y, argmax(&lg(s)));
        }
        let r: Vec<String> = (0..3)
            .map(|c| format!("{:.1}", cm.recall(c) * 100.0))
            .collect();
        println!(
            "{name:<28} offs ({dn:+.1},{dp:+.1}) avg {:.2} | en F1 {:.1} rec {:.1} | en570 rec {:.1} [{}] | {}",
            per.iter().sum::<f64>() / per.len() as f64,
            per[en],
            en_rec,
            cm.macro_recall() * 100.0,
            r.join(" "),
            per.iter().map(|x| format!("{x:.1}")).collect::<Vec<_>>().join(" ")
        );
    };
    let zero = [0.0f32; 3];
    let half = [prior[0] * 0.5, prior[1] * 0.5, prior[2] * 0.5];

    if wanted("self") {
        // Self-training: unlabelled English tweets (OLID train texts,
        // complaints-preotiuc texts) labelled by the air0.3/moz0.1 model with
        // its English prior correction; confident ones added at a low weight.
        let mut tr = set.samples.clone();
        for (x, s) in tr.iter_mut().zip(&src) {
            if *s == 1 {
                x.w = 0.3;
            }
        }
        let (h0, pr) = recipe(&tr, bits, en);
        report("self: teacher+prior", &h0, false, pr);
        let (dn, dp, _, _) = fit_class_offsets(&h0, &allval, 8);
        let mut unl = SampleSet::new(ex);
        for (t, _) in data::tweeteval(&d, "offensive", "train")? {
            unl.add_g(&t, 0, 1.0, Some(en));
        }
        for c in data::complaints(&d)? {
            unl.add_g(&c.text, 0, 1.0, Some(en));
        }
        let mut scored: Vec<(Sample, f32)> = unl
            .samples
            .into_iter()
            .map(|mut s| {
                let mut z = h0.logits(&s.f);
                z[0] += dn + pr[0];
                z[1] += pr[1];
                z[2] += dp + pr[2];
                firebreak_analyze::model::softmax(&mut z);
                let y = argmax(&z);
                s.y = y;
                (s, z[y])
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (conf, w) in [(0.7f32, 0.1f32), (0.7, 0.3), (0.5, 0.1)] {
            let mut t2 = tr.clone();
            let mut cnt = [0usize; 3];
            for (s, p) in &scored {
                if *p >= conf {
                    let mut s = s.clone();
                    s.w = w;
                    cnt[s.y] += 1;
                    t2.push(s);
                }
            }
            let (h, pr2) = recipe(&t2, bits, en);
            report(
                &format!("self conf{conf} w{w} {cnt:?}+prior"),
                &h,
                false,
                pr2,
            );
        }
        return Ok(());
    }
    if wanted("refit") {
        // Does refitting on train + validation tweets help? 2-fold on the
        // validation tweets: half A joins the training data, half B scores
        // (class offsets fitted on B for both models, the same treatment).
        let mut base_tr = set.samples.clone();
        for (x, s) in base_tr.iter_mut().zip(&src) {
            if *s == 1 {
                x.w = 0.3;
            }
        }
        let half = |s: &Sample, i: usize, k: u64| {
            let _ = s;
            data::split_bucket(&i.to_string(), "refit") % 2 == k
        };
        let train_eval = |tr: &[Sample], evalv: &[Vec<Sample>], evalen: &[Sample]| {
            let (mut h, pr) = recipe(tr, bits, en);
            let all: Vec<Sample> = evalv.iter().flatten().cloned().collect();
            let (dn, dp, _, _) = fit_class_offsets(&h, &all, 8);
            h.bias[0] += dn;
            h.bias[2] += dp;
            let lg = |s: &Sample| {
                let mut z = h.logits(&s.f);
                if s.g == Some(en) {
                    for j in 0..3 {
                        z[j] += pr[j];
                    }
                }
                z
            };
            let mut f1 = 0.0;
            for v in evalv {
                let mut cm = Confusion::new(3);
                for s in v {
                    cm.add(s.y, argmax(&lg(s)));
                }
                f1 += cm.macro_f1() * 100.0;
            }
            let mut cm = Confusion::new(3);
            for s in evalen {
                cm.add(s.y, argmax(&lg(s)));
            }
            (f1 / evalv.len() as f64, cm.macro_recall() * 100.0)
        };
        let mut tot = [0.0f64; 4];
        for k in 0..2u64 {
            let mut tr = base_tr.clone();
            let mut ev: Vec<Vec<Sample>> = Vec::new();
            let mut i = 0usize;
            for v in &val {
                let mut b = Vec::new();
                for s in v {
                    if half(s, i, k) {
                        tr.push(s.clone());
                    } else {
                        b.push(s.clone());
                    }
                    i += 1;
                }
                ev.push(b);
            }
            let mut evalen: Vec<Sample> = ev[en].clone();
            for s in &tev.samples {
                if half(s, i, k) {
                    tr.push(s.clone());
                } else {
                    evalen.push(s.clone());
                }
                i += 1;
            }
            let (a0, r0) = train_eval(&base_tr, &ev, &evalen);
            let (a1, r1) = train_eval(&tr, &ev, &evalen);
            println!("fold {k}: train only avg {a0:.2} en570-B rec {r0:.1} | +val half A avg {a1:.2} rec {r1:.1}");
            tot[0] += a0 / 2.0;
            tot[1] += r0 / 2.0;
            tot[2] += a1 / 2.0;
            tot[3] += r1 / 2.0;
        }
        println!(
            "mean: train only avg {:.2} rec {:.1} | +val avg {:.2} rec {:.1}",
            tot[0], tot[1], tot[2], tot[3]
        );
        return Ok(());
    }
    if wanted("curve") {
        // Learning curve: how much do the scores drop when a share of the
        // xlm-t train tweets (all languages) is left out? Tells what adding
        // the validation tweets to the final training run can be expected to
        // give. Recipe as train.rs (airline 0.3, Mozetič English 0.1).
        let mut base_tr = set.samples.clone();
        for (x, s) in base_tr.iter_mut().zip(&src) {
            if *s == 1 {
                x.w = 0.3;
            }
        }
        for frac in [70u64, 85, 100] {
            for rep in 0..3u64 {
                if frac == 100 && rep > 0 {
                    continue;
                }
                let tr: Vec<Sample> = base_tr
                    .iter()
                    .zip(&src)
                    .enumerate()
                    .filter(|(i, (_, s))| {
                        **s != 0 || data::split_bucket(&format!("{rep}:{i}"), "curve") < frac
                    })
                    .map(|(_, (x, _))| x.clone())
                    .collect();
                let (h, pr) = recipe(&tr, bits, en);
                report(&format!("xlm-t train {frac}% rep {rep}"), &h, false, pr);
            }
        }
        return Ok(());
    }
    if wanted("weights") {
        // Airline / Mozetič English weights, with the English prior correction
        // recomputed for each mix.
        let combos: Vec<(f32, f32)> = std::env::var("FB_WEIGHTS")
            .ok()
            .map(|v| {
                v.split(',')
                    .filter_map(|p| {
                        let (a, m) = p.split_once(':')?;
                        Some((a.parse().ok()?, m.parse().ok()?))
                    })
                    .collect()
            })
            .unwrap_or_else(|| vec![(0.3, 0.1), (0.2, 0.2), (0.3, 0.2), (0.5, 0.3)]);
        for (aw, mw) in combos {
            let mut tr = set.samples.clone();
            for (x, s) in tr.iter_mut().zip(&src) {
                match s {
                    1 => x.w = aw,
                    2 => x.w = mw,
                    _ => {}
                }
            }
            let (h, pr) = recipe(&tr, bits, en);
            report(&format!("air{aw} moz{mw}"), &h, false, zero);
            report(&format!("air{aw} moz{mw}+prior {pr:.2?}"), &h, false, pr);
        }
        return Ok(());
    }
    let lr = train_head(
        "s",
        &SENTIMENT_CLASSES,
        false,
        &set.samples,
        bits,
        &lr_params(2),
    );
    let nb = train_nb_ovr(
        "s",
        &SENTIMENT_CLASSES,
        &set.samples,
        bits,
        &nb_params(2),
        1.0,
    );
    let base = average_heads(&lr, &nb, 0.5);
    report("base", &base, false, zero);
    report("base+prior", &base, false, prior);
    report("base+prior/2", &base, false, half);

    if wanted("ens") {
        let mut lrs = vec![lr.clone()];
        let mut nbs = vec![nb.clone()];
        for seed in [102u64, 202] {
            lrs.push(train_head(
                "s",
                &SENTIMENT_CLASSES,
                false,
                &set.samples,
                bits,
                &lr_params(seed),
            ));
            nbs.push(train_nb_ovr(
                "s",
                &SENTIMENT_CLASSES,
                &set.samples,
                bits,
                &nb_params(seed),
                1.0,
            ));
        }
        let ens = average_heads(&mean_heads(&lrs), &mean_heads(&nbs), 0.5);
        report("ens3", &ens, false, zero);
        report("ens3+prior", &ens, false, prior);
        report("ens3+prior/2", &ens, false, half);
    }
    if wanted("enblock") {
        // English block (feature augmentation) for the LR part.
        let mut s2 = set.samples.clone();
        for s in s2.iter_mut() {
            s.g = if s.g == Some(en) { Some(0) } else { None };
        }
        let lrg = train_head_groups(
            "s",
            &SENTIMENT_CLASSES,
            false,
            &["en"],
            &s2,
            bits,
            &lr_params(2),
        );
        let mut nbg = nb.clone();
        // Pad NB to the 2-block shape (zero English block).
        let buckets = 1usize << bits;
        let mut w = vec![0.0f32; buckets * 6];
        for b in 0..buckets {
            w[b * 6..b * 6 + 3].copy_from_slice(&nb.w[b * 3..b * 3 + 3]);
        }
        nbg.w = w;
        nbg.bias = vec![nb.bias[0], nb.bias[1], nb.bias[2], 0.0, 0.0, 0.0];
        nbg.groups = vec!["en".into()];
        let h = average_heads(&lrg, &nbg, 0.5);
        report("enblock", &h, true, zero);
        report("enblock+prior", &h, true, prior);
    }
    if wanted("epochs") {
        for (ep, lr_) in [(15usize, 0.05f32), (10, 0.1)] {
            let p = TrainParams {
                epochs: ep,
                lr: lr_,
                ..lr_params(2)
            };
            let l = train_head("s", &SENTIMENT_CLASSES, false, &set.samples, bits, &p);
            let h = average_heads(&l, &nb, 0.5);
            report(&format!("lr e{ep} lr{lr_}"), &h, false, zero);
            report(&format!("lr e{ep} lr{lr_}+prior"), &h, false, prior);
        }
    }
    Ok(())
}

/// Offensive variants: returns (olid, germ, pol) best scores with thresholds.
fn germ(ex: &Extractor) -> Result<(), Box<dyn std::error::Error>> {
    let d = data::default_data_dir();
    let bits = ex.config().bucket_bits;
    let mut fit = SampleSet::new(ex);
    let mut fine: Vec<String> = Vec::new();
    let mut held: Vec<Vec<Sample>> = vec![Vec::new(), Vec::new(), Vec::new()];
    for (t, y) in data::tweeteval(&d, "offensive", "train")? {
        fit.add_g(&t, y, 1.0, Some(0));
        fine.push(String::new());
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
            fine.push(g.fine.clone());
        }
    }
    held[1] = std::mem::take(&mut v.samples);
    for (i, (t, y)) in data::poleval(&d, "task2", "train")?.iter().enumerate() {
        if data::split_bucket(&i.to_string(), "poleval") < 15 {
            v.add_g(t, usize::from(*y > 0), 1.0, Some(2));
        } else {
            fit.add_g(t, usize::from(*y > 0), 1.0, Some(2));
            fine.push(String::new());
        }
    }
    held[2] = std::mem::take(&mut v.samples);
    for (_, t, harmful) in data::ban_pl(&d)? {
        fit.add_g(&t, usize::from(harmful), 0.3, Some(2));
        fine.push(String::new());
    }
    let p = TrainParams {
        epochs: 4,
        lr: 0.2,
        l2: 1e-6,
        seed: 3,
        balanced: true,
    };
    let show = |name: &str, score: &dyn Fn(&Sample) -> f32| {
        let mut line = String::new();
        for (g, hs) in held.iter().enumerate() {
            let mut best = (0.0f64, 0.0f32);
            let mut at = Vec::new();
            for step in 0..=24 {
                let thr = 0.2 + step as f32 * 0.025;
                let mut cm = Confusion::new(2);
                for s in hs {
                    cm.add(s.y, usize::from(score(s) >= thr));
                }
                let m = match g {
                    0 => cm.macro_f1(),
                    1 => cm.germeval_macro_f1(),
                    _ => cm.f1(1),
                } * 100.0;
                at.push(m);
                // train.rs uses the 0.05 grid: report the best of that grid.
                if step % 2 == 0 && m > best.0 + 1e-9 {
                    best = (m, thr);
                }
            }
            let fine_best = at.iter().copied().fold(0.0f64, f64::max);
            line += &format!(
                " | {} {:.1}@{:.2} (0.025 grid {:.1})",
                ["olid", "germ", "pol"][g],
                best.0,
                best.1,
                fine_best
            );
        }
        println!("{name:<22}{line}");
    };
    let base = train_binary_lr_nb("o", &fit.samples, bits, &p, 0.5);
    if wanted("base") {
        show("base", &|s: &Sample| sigmoid(base.logits(&s.f)[0]));
    }
    if wanted("ens") {
        let mut hs = vec![base.clone()];
        for seed in [13u64, 23] {
            hs.push(train_binary_lr_nb(
                "o",
                &fit.samples,
                bits,
                &TrainParams { seed, ..p },
                0.5,
            ));
        }
        let e = mean_heads(&hs);
        show("ens3", &|s: &Sample| sigmoid(e.logits(&s.f)[0]));
    }
    if wanted("ens-more") {
        for (name, seeds, ep) in [
            ("ens3 e3", vec![3u64, 13, 23], 3usize),
            ("ens5", vec![3u64, 13, 23, 33, 43], 4),
        ] {
            let hs: Vec<HeadWeights> = seeds
                .iter()
                .map(|&seed| {
                    train_binary_lr_nb(
                        "o",
                        &fit.samples,
                        bits,
                        &TrainParams {
                            seed,
                            epochs: ep,
                            ..p
                        },
                        0.5,
                    )
                })
                .collect();
            let e = mean_heads(&hs);
            show(name, &|s: &Sample| sigmoid(e.logits(&s.f)[0]));
        }
    }
    if wanted("blocks") {
        // LR with en/de/pl blocks (the columns exist already in the model),
        // NB shared.
        let lrg = train_head_groups(
            "o",
            &["o"],
            true,
            &["en", "de", "pl"],
            &fit.samples,
            bits,
            &p,
        );
        let nbp = TrainParams {
            epochs: 6,
            lr: 0.1,
            l2: 1e-5,
            seed: p.seed,
            balanced: true,
        };
        let nb = train_nb_ovr("o", &["not", "o"], &fit.samples, bits, &nbp, 1.0);
        let sc = |s: &Sample| {
            let z = lrg.logits_group(&s.f, s.g)[0];
            let zn = nb.logits(&s.f);
            sigmoid(0.5 * z + 0.5 * (zn[1] - zn[0]))
        };
        show("blocks(LR)", &sc);
    }
    if wanted("fine") {
        // INSULT / PROFANITY up-weighted (the test set has a larger share of
        // ABUSE? unknown; this only tests whether weighting the fine classes
        // changes the held-out score).
        for (name, wa, wi) in [("abuse x1.5", 1.5f32, 1.0f32), ("insult x1.5", 1.0, 1.5)] {
            let mut tr = fit.samples.clone();
            for (s, f) in tr.iter_mut().zip(&fine) {
                if f == "ABUSE" {
                    s.w *= wa;
                } else if f == "INSULT" || f == "PROFANITY" {
                    s.w *= wi;
                }
            }
            let h = train_binary_lr_nb("o", &tr, bits, &p, 0.5);
            show(name, &|s: &Sample| sigmoid(h.logits(&s.f)[0]));
        }
    }
    if wanted("denone") {
        // Extra German tweets that are almost surely not offensive, as
        // negatives: Mozetič German positive tweets (90 % split) and xlm-t
        // German train positive / neutral tweets.
        let mut extra = SampleSet::new(ex);
        for (id, t, pos) in data::mozetic(&d, "deu")? {
            if pos && !data::mozetic_is_test(&id) {
                extra.add_g(&t, 0, 1.0, Some(1));
            }
        }
        let n_moz = extra.samples.len();
        for (t, y) in data::xlmt(&d, "german", "train")? {
            if y >= 1 {
                extra.add_g(&t, 0, 1.0, Some(1));
            }
        }
        for (name, wm, wx) in [
            ("moz-de-pos 0.1", 0.1f32, 0.0f32),
            ("moz-de-pos 0.3", 0.3, 0.0),
            ("xlmt-de pos/neu 0.5", 0.0, 0.5),
        ] {
            let mut tr = fit.samples.clone();
            for (i, x) in extra.samples.iter().enumerate() {
                let w = if i < n_moz { wm } else { wx };
                if w > 0.0 {
                    let mut x = x.clone();
                    x.w = w;
                    tr.push(x);
                }
            }
            let h = train_binary_lr_nb("o", &tr, bits, &p, 0.5);
            show(name, &|s: &Sample| sigmoid(h.logits(&s.f)[0]));
        }
    }
    if wanted("cvthr") {
        // Thresholds from 5-fold out-of-fold scores over ALL of GermEval and
        // PolEval train (5,009 / ~10k texts) instead of their fixed 15 %
        // held-out parts: the same choice with less variance. Prints the
        // threshold each way picks; nothing here touches a test split.
        let mut all = SampleSet::new(ex);
        let mut fold: Vec<Option<u64>> = Vec::new();
        for (t, y) in data::tweeteval(&d, "offensive", "train")? {
            all.add_g(&t, y, 1.0, Some(0));
            fold.push(None);
        }
        for (i, g) in data::germeval(&d, "training")?.iter().enumerate() {
            all.add_g(&g.text, usize::from(g.offense), 1.0, Some(1));
            fold.push(Some(data::split_bucket(&i.to_string(), "germeval") % 5));
        }
        for (i, (t, y)) in data::poleval(&d, "task2", "train")?.iter().enumerate() {
            all.add_g(t, usize::from(*y > 0), 1.0, Some(2));
            fold.push(Some(data::split_bucket(&i.to_string(), "poleval") % 5));
        }
        for (_, t, harmful) in data::ban_pl(&d)? {
            all.add_g(&t, usize::from(harmful), 0.3, Some(2));
            fold.push(None);
        }
        let mut oof: Vec<(usize, usize, f32)> = Vec::new(); // (group, y, score)
        for k in 0..5u64 {
            let tr: Vec<Sample> = all
                .samples
                .iter()
                .zip(&fold)
                .filter(|(_, f)| **f != Some(k))
                .map(|(s, _)| s.clone())
                .collect();
            let h = train_binary_lr_nb("o", &tr, bits, &p, 0.5);
            for (s, f) in all.samples.iter().zip(&fold) {
                if *f == Some(k) {
                    oof.push((s.g.unwrap_or(0), s.y, sigmoid(h.logits(&s.f)[0])));
                }
            }
            eprintln!("fold {k} done");
        }
        for g in [1usize, 2] {
            let mut line = String::new();
            for step in 0..=24 {
                let thr = 0.2 + step as f32 * 0.025;
                let mut cm = Confusion::new(2);
                for &(gg, y, sc) in &oof {
                    if gg == g {
                        cm.add(y, usize::from(sc >= thr));
                    }
                }
                let m = if g == 1 {
                    cm.germeval_macro_f1()
                } else {
                    cm.f1(1)
                } * 100.0;
                line += &format!(" {thr:.3}:{m:.1}");
            }
            println!("cv {}:{line}", ["", "germ", "pol"][g]);
        }
    }
    if wanted("unbal") {
        let h = train_binary_lr_nb(
            "o",
            &fit.samples,
            bits,
            &TrainParams {
                balanced: false,
                ..p
            },
            0.5,
        );
        show("unbalanced", &|s: &Sample| sigmoid(h.logits(&s.f)[0]));
    }
    if wanted("l2") {
        for (name, l2, ep) in [
            ("l2 1e-5", 1e-5f32, 4usize),
            ("e3", 1e-6, 3),
            ("e5", 1e-6, 5),
        ] {
            let h = train_binary_lr_nb(
                "o",
                &fit.samples,
                bits,
                &TrainParams {
                    l2,
                    epochs: ep,
                    ..p
                },
                0.5,
            );
            show(name, &|s: &Sample| sigmoid(h.logits(&s.f)[0]));
        }
    }
    Ok(())
}
