//! Hyper-parameter exploration on VALIDATION data only (xlm-t val, tweeteval val,
//! OLID val, fixed held-out parts of germeval/poleval train). Never touches test.
use firebreak_analyze::data;
use firebreak_analyze::eval::Confusion;
use firebreak_analyze::features::{Extractor, FeatureConfig};
use firebreak_analyze::model::sigmoid;
use firebreak_analyze::train::{
    train_head, train_head_seeds, SampleSet, TrainParams, SENTIMENT_CLASSES,
};

fn argmax(v: &[f32]) -> usize {
    let mut b = 0;
    for i in 0..v.len() {
        if v[i] > v[b] {
            b = i;
        }
    }
    b
}

/// `FIREBREAK_TUNE_AVG=N`: the seeds of an N-head seed ensemble starting at `seed`
/// (seed, seed + 10, ...), as the intent and category heads are trained; default 1.
fn avg_seeds(seed: u64) -> Vec<u64> {
    let n: u64 = std::env::var("FIREBREAK_TUNE_AVG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    (0..n.max(1)).map(|k| seed + 10 * k).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let what = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sentiment".into());
    let d = data::default_data_dir();
    let cfg = FeatureConfig::default();
    let ex = Extractor::new(cfg.clone());
    if what == "own" {
        // Validation = own examples with data-line index % 5 == 3 (never the test split).
        let own = data::own_examples(&data::own_data_dir())?;
        let mut idx_in_lang = std::collections::HashMap::new();
        let mut is_val = Vec::new();
        for o in &own {
            let c = idx_in_lang.entry(o.lang.clone()).or_insert(0usize);
            is_val.push(*c % 5 == 3);
            *c += 1;
        }
        let airline = data::airline(&d)?;
        let complaints = data::complaints(&d)?;
        use firebreak_analyze::{Category, Intent};
        let intents: Vec<&str> = Intent::ALL.iter().map(|i| i.as_str()).collect();
        let cats: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        // FIREBREAK_TUNE_OWN_LANGS=it,es,pl,de,en trains on those languages' own
        // examples only (validation always covers every language, reported per group).
        let train_langs: Option<Vec<String>> = std::env::var("FIREBREAK_TUNE_OWN_LANGS")
            .ok()
            .map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
        let five = ["it", "es", "pl", "de", "en"];
        // FIREBREAK_TUNE_OTHER_W: the weight of the fr/pt examples against the five
        // languages' (default 0.5, as `OwnExample::weight` in training).
        let other_w: f32 = std::env::var("FIREBREAK_TUNE_OTHER_W")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.5);
        for (aw, ow, pw) in [
            (0.5f32, 4.0f32, 1.0f32),
            (0.2, 4.0, 1.0),
            (0.1, 4.0, 0.5),
            (0.05, 4.0, 0.3),
            (0.0, 1.0, 0.0),
            (0.1, 8.0, 0.3),
            (0.1, 6.0, 0.3),
        ] {
            let mut set = SampleSet::new(&ex);
            let mut val = SampleSet::new(&ex);
            let mut val_texts: Vec<String> = Vec::new();
            let mut val_five = SampleSet::new(&ex);
            let mut val_other = SampleSet::new(&ex);
            let mut cset = SampleSet::new(&ex);
            let mut cval = SampleSet::new(&ex);
            for (o, v) in own.iter().zip(&is_val) {
                if o.test {
                    continue;
                }
                let Some(i) = Intent::parse(&o.intent) else {
                    continue;
                };
                let trained = train_langs.as_ref().is_none_or(|ls| ls.contains(&o.lang));
                if !*v && !trained {
                    continue;
                }
                if *v {
                    val.add(&o.text, i as usize, 1.0);
                    val_texts.push(o.text.clone());
                    if five.contains(&o.lang.as_str()) {
                        val_five.add(&o.text, i as usize, 1.0);
                    } else {
                        val_other.add(&o.text, i as usize, 1.0);
                    }
                } else if five.contains(&o.lang.as_str()) {
                    set.add(&o.text, i as usize, ow);
                } else {
                    set.add(&o.text, i as usize, ow * other_w);
                }
                if let Some(c) = Category::parse(&o.category) {
                    if *v {
                        cval.add(&o.text, c as usize, 1.0);
                    } else {
                        cset.add(&o.text, c as usize, ow);
                    }
                }
            }
            if aw > 0.0 {
                for a in airline.iter().filter(|a| !data::airline_is_test(&a.id)) {
                    set.add(
                        &a.text,
                        firebreak_analyze::train::airline_intent(a) as usize,
                        aw,
                    );
                    if a.sentiment == 0 {
                        cset.add(
                            &a.text,
                            firebreak_analyze::train::airline_reason_category(&a.reason) as usize,
                            aw,
                        );
                    }
                }
            }
            if pw > 0.0 {
                for c in &complaints {
                    if c.complaint {
                        set.add(&c.text, 0, pw);
                    } else if c.domain == "random_tweet" {
                        set.add(&c.text, 4, pw);
                    }
                }
            }
            let p = TrainParams {
                epochs: 8,
                lr: 0.2,
                l2: 1e-5,
                // FIREBREAK_TUNE_SEED: the shuffle seed, to see how much of a difference is noise.
                seed: std::env::var("FIREBREAK_TUNE_SEED")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(4),
                balanced: true,
            };
            let h = train_head_seeds(
                "i",
                &intents,
                &set.samples,
                cfg.bucket_bits,
                &p,
                &avg_seeds(p.seed),
            );
            let mut cm = Confusion::new(5);
            for x in &val.samples {
                cm.add(x.y, argmax(&h.logits(&x.f)));
            }
            // Praise needs a sentiment that is not negative: the intent head
            // alone (a few hundred examples) can call "look what arrived:
            // broken 📷" praise. Sentiment from the embedded model (never
            // trained on own examples). R1: praise with a negative label falls
            // back to the next intent; R2: p(praise) scaled by 1 - p(negative).
            {
                let an = firebreak_analyze::Analyzer::load_default()?;
                let mut r1 = Confusion::new(5);
                let mut r2 = Confusion::new(5);
                for (x, t) in val.samples.iter().zip(&val_texts) {
                    let a = an.analyze(t, None);
                    let mut z = h.logits(&x.f);
                    let b = argmax(&z);
                    let neg = a.sentiment.label == firebreak_analyze::SentimentLabel::Negative;
                    let mut z1 = z.clone();
                    if b == 3 && neg {
                        z1[3] = f32::NEG_INFINITY;
                    }
                    r1.add(x.y, argmax(&z1));
                    firebreak_analyze::model::softmax(&mut z);
                    z[3] *= 1.0 - a.sentiment.probs[0];
                    r2.add(x.y, argmax(&z));
                }
                println!(
                    "  praise rule: base acc {:.1} F1 {:.1} | R1 acc {:.1} F1 {:.1} | R2 acc {:.1} F1 {:.1}",
                    cm.accuracy() * 100.0,
                    cm.macro_f1() * 100.0,
                    r1.accuracy() * 100.0,
                    r1.macro_f1() * 100.0,
                    r2.accuracy() * 100.0,
                    r2.macro_f1() * 100.0
                );
            }
            for (name, vs) in [("it/es/pl/de/en", &val_five), ("fr/pt", &val_other)] {
                let mut g = Confusion::new(5);
                for x in &vs.samples {
                    g.add(x.y, argmax(&h.logits(&x.f)));
                }
                println!(
                    "  val {name}: {} texts, intent acc {:.1} macroF1 {:.1}",
                    vs.samples.len(),
                    g.accuracy() * 100.0,
                    g.macro_f1() * 100.0
                );
            }
            let hc = train_head_seeds(
                "c",
                &cats,
                &cset.samples,
                cfg.bucket_bits,
                &p,
                &avg_seeds(p.seed),
            );
            let mut cc = Confusion::new(8);
            for x in &cval.samples {
                cc.add(x.y, argmax(&hc.logits(&x.f)));
            }
            println!("airline w {aw} own w {ow} preotiuc w {pw}: intent val acc {:.1} macroF1 {:.1} | category val acc {:.1} macroF1 {:.1}", cm.accuracy()*100.0, cm.macro_f1()*100.0, cc.accuracy()*100.0, cc.macro_f1()*100.0);
        }
        return Ok(());
    }
    if what == "polar" {
        let mut multi = SampleSet::new(&ex);
        let mut vals = Vec::new();
        for (folder, code) in data::XLMT_LANGS {
            for (t, y) in data::xlmt(&d, folder, "train")? {
                multi.add(&t, y, 1.0);
            }
            let mut v = SampleSet::new(&ex);
            for (t, y) in data::xlmt(&d, folder, "val")? {
                v.add(&t, y, 1.0);
            }
            vals.push((code, v.samples));
        }
        for a in data::airline(&d)?
            .iter()
            .filter(|a| !data::airline_is_test(&a.id))
        {
            multi.add(&a.text, a.sentiment, 0.2);
        }
        let mut moz = SampleSet::new(&ex);
        for f in ["pol", "deu", "spa", "eng", "por"] {
            for (id, t, pos) in data::mozetic(&d, f)? {
                if !data::mozetic_is_test(&id) {
                    moz.add(&t, usize::from(pos), 1.0);
                }
            }
        }
        if std::env::args().nth(2).as_deref() == Some("nbens") {
            let p = TrainParams {
                epochs: 10,
                lr: 0.05,
                l2: 1e-5,
                seed: 2,
                balanced: true,
            };
            let hl = train_head(
                "s",
                &SENTIMENT_CLASSES,
                false,
                &multi.samples,
                cfg.bucket_bits,
                &p,
            );
            let p2 = TrainParams {
                epochs: 6,
                lr: 0.1,
                l2: 1e-5,
                seed: 2,
                balanced: true,
            };
            let hn = firebreak_analyze::train::train_nb_ovr(
                "s",
                &SENTIMENT_CLASSES,
                &multi.samples,
                cfg.bucket_bits,
                &p2,
                1.0,
            );
            for mix in [0.0f32, 0.3, 0.5, 0.7, 1.0] {
                let mut f1s = Vec::new();
                let mut line = String::new();
                for (code, v) in &vals {
                    let mut cm = Confusion::new(3);
                    for x in v {
                        let a = hl.logits(&x.f);
                        let b = hn.logits(&x.f);
                        let z: Vec<f32> = a
                            .iter()
                            .zip(&b)
                            .map(|(a, b)| (1.0 - mix) * a + mix * b)
                            .collect();
                        cm.add(x.y, argmax(&z));
                    }
                    f1s.push(cm.macro_f1());
                    line += &format!(" {code}={:.1}", cm.macro_f1() * 100.0);
                }
                println!(
                    "LR/NB mix {mix}: xlmt-val avg {:.1} |{line}",
                    f1s.iter().sum::<f64>() / 8.0 * 100.0
                );
            }
            return Ok(());
        }
        if std::env::args().nth(2).as_deref() == Some("nbgrid") {
            let eval = |h: &firebreak_analyze::model::HeadWeights| -> f64 {
                let mut f1s = Vec::new();
                for (_, v) in &vals {
                    let mut cm = Confusion::new(3);
                    for x in v {
                        cm.add(x.y, argmax(&h.logits(&x.f)));
                    }
                    f1s.push(cm.macro_f1());
                }
                f1s.iter().sum::<f64>() / 8.0 * 100.0
            };
            let lrs: Vec<_> = [
                (10usize, 0.05f32, 1e-5f32),
                (15, 0.05, 1e-5),
                (10, 0.05, 1e-4),
            ]
            .iter()
            .map(|&(e, lr, l2)| {
                (
                    (e, lr, l2),
                    train_head(
                        "s",
                        &SENTIMENT_CLASSES,
                        false,
                        &multi.samples,
                        cfg.bucket_bits,
                        &TrainParams {
                            epochs: e,
                            lr,
                            l2,
                            seed: 2,
                            balanced: true,
                        },
                    ),
                )
            })
            .collect();
            let nbs: Vec<_> = [(6usize, 0.1f32, 1.0f32), (10, 0.05, 1.0), (6, 0.1, 0.25)]
                .iter()
                .map(|&(e, lr, al)| {
                    (
                        (e, lr, al),
                        firebreak_analyze::train::train_nb_ovr(
                            "s",
                            &SENTIMENT_CLASSES,
                            &multi.samples,
                            cfg.bucket_bits,
                            &TrainParams {
                                epochs: e,
                                lr,
                                l2: 1e-5,
                                seed: 2,
                                balanced: true,
                            },
                            al,
                        ),
                    )
                })
                .collect();
            for (lp, hl) in &lrs {
                for (np, hn) in &nbs {
                    for mix in [0.4f32, 0.5, 0.6] {
                        let h = firebreak_analyze::train::average_heads(hl, hn, mix);
                        println!(
                            "LR {lp:?} NB {np:?} mix {mix}: xlmt-val avg {:.1}",
                            eval(&h)
                        );
                    }
                }
            }
            return Ok(());
        }
        if std::env::args().nth(2).as_deref() == Some("nb") {
            for (ep, lr, alpha) in [
                (10usize, 0.05f32, 1.0f32),
                (10, 0.05, 0.5),
                (6, 0.1, 1.0),
                (10, 0.05, 2.0),
            ] {
                let p = TrainParams {
                    epochs: ep,
                    lr,
                    l2: 1e-5,
                    seed: 2,
                    balanced: true,
                };
                let h = firebreak_analyze::train::train_nb_ovr(
                    "s",
                    &SENTIMENT_CLASSES,
                    &multi.samples,
                    cfg.bucket_bits,
                    &p,
                    alpha,
                );
                let mut f1s = Vec::new();
                for (_, v) in &vals {
                    let mut cm = Confusion::new(3);
                    for x in v {
                        cm.add(x.y, argmax(&h.logits(&x.f)));
                    }
                    f1s.push(cm.macro_f1());
                }
                println!(
                    "NB-LR e{ep} lr{lr} alpha{alpha}: xlmt-val avg {:.1}",
                    f1s.iter().sum::<f64>() / 8.0 * 100.0
                );
            }
            return Ok(());
        }
        if std::env::args().nth(2).as_deref() == Some("avg") {
            let mut acc: Option<firebreak_analyze::model::HeadWeights> = None;
            for (i, seed) in [2u64, 3, 4, 5, 6].iter().enumerate() {
                let p = TrainParams {
                    epochs: 10,
                    lr: 0.05,
                    l2: 1e-5,
                    seed: *seed,
                    balanced: true,
                };
                let h = train_head(
                    "s",
                    &SENTIMENT_CLASSES,
                    false,
                    &multi.samples,
                    cfg.bucket_bits,
                    &p,
                );
                acc = Some(match acc {
                    None => h,
                    Some(mut a) => {
                        for (x, y) in a.w.iter_mut().zip(&h.w) {
                            *x += y;
                        }
                        for (x, y) in a.bias.iter_mut().zip(&h.bias) {
                            *x += y;
                        }
                        a
                    }
                });
                if let Some(a) = &acc {
                    let mut f1s = Vec::new();
                    for (_, v) in &vals {
                        let mut cm = Confusion::new(3);
                        for x in v {
                            cm.add(x.y, argmax(&a.logits(&x.f)));
                        }
                        f1s.push(cm.macro_f1());
                    }
                    println!(
                        "average of {} seeds: xlmt-val avg {:.1}",
                        i + 1,
                        f1s.iter().sum::<f64>() / 8.0 * 100.0
                    );
                }
            }
            return Ok(());
        }
        let pp = TrainParams {
            epochs: 5,
            lr: 0.1,
            l2: 1e-5,
            seed: 9,
            balanced: true,
        };
        let hpol = train_head("p", &["pos"], true, &moz.samples, cfg.bucket_bits, &pp);
        for (ep, lr) in [(10usize, 0.05f32), (20, 0.03), (15, 0.05)] {
            let p = TrainParams {
                epochs: ep,
                lr,
                l2: 1e-5,
                seed: 2,
                balanced: true,
            };
            let hm = train_head(
                "s",
                &SENTIMENT_CLASSES,
                false,
                &multi.samples,
                cfg.bucket_bits,
                &p,
            );
            for beta in [0.0f32, 0.25, 0.5, 1.0] {
                let mut f1s = Vec::new();
                for (_, v) in &vals {
                    let mut cm = Confusion::new(3);
                    for x in v {
                        let mut z = hm.logits(&x.f);
                        let pl = hpol.logits(&x.f)[0];
                        z[0] -= beta * pl;
                        z[2] += beta * pl;
                        cm.add(x.y, argmax(&z));
                    }
                    f1s.push(cm.macro_f1());
                }
                println!(
                    "e{ep} lr{lr} polarity beta {beta}: xlmt-val avg {:.1}",
                    f1s.iter().sum::<f64>() / 8.0 * 100.0
                );
            }
        }
        return Ok(());
    }
    if what == "ens" {
        let mut multi = SampleSet::new(&ex);
        let mut per: Vec<Vec<firebreak_analyze::train::Sample>> = Vec::new();
        let mut vals = Vec::new();
        for (folder, code) in data::XLMT_LANGS {
            let mut l = SampleSet::new(&ex);
            for (t, y) in data::xlmt(&d, folder, "train")? {
                multi.add(&t, y, 1.0);
                l.add(&t, y, 1.0);
            }
            if code == "en" {
                for a in data::airline(&d)?
                    .iter()
                    .filter(|a| !data::airline_is_test(&a.id))
                {
                    l.add(&a.text, a.sentiment, 0.2);
                }
            }
            per.push(l.samples);
            let mut v = SampleSet::new(&ex);
            for (t, y) in data::xlmt(&d, folder, "val")? {
                v.add(&t, y, 1.0);
            }
            vals.push((code, v.samples));
        }
        for a in data::airline(&d)?
            .iter()
            .filter(|a| !data::airline_is_test(&a.id))
        {
            multi.add(&a.text, a.sentiment, 0.2);
        }
        let p = TrainParams {
            epochs: 10,
            lr: 0.05,
            l2: 1e-5,
            seed: 2,
            balanced: true,
        };
        let hm = train_head(
            "s",
            &SENTIMENT_CLASSES,
            false,
            &multi.samples,
            cfg.bucket_bits,
            &p,
        );
        let hp: Vec<_> = per
            .iter()
            .map(|s| train_head("s", &SENTIMENT_CLASSES, false, s, cfg.bucket_bits, &p))
            .collect();
        for alpha in [0.0f32, 0.5, 1.0, 2.0, 100.0] {
            let mut f1s = Vec::new();
            let mut line = String::new();
            for (li, (code, v)) in vals.iter().enumerate() {
                let mut cm = Confusion::new(3);
                for x in v {
                    let a = hm.logits(&x.f);
                    let b = hp[li].logits(&x.f);
                    let z: Vec<f32> = a
                        .iter()
                        .zip(&b)
                        .map(|(a, b)| if alpha >= 100.0 { *b } else { a + alpha * b })
                        .collect();
                    cm.add(x.y, argmax(&z));
                }
                f1s.push(cm.macro_f1());
                line += &format!(" {code}={:.1}", cm.macro_f1() * 100.0);
            }
            println!(
                "multi + {alpha} x per-lang: xlmt-val avg {:.1} |{line}",
                f1s.iter().sum::<f64>() / 8.0 * 100.0
            );
        }
        return Ok(());
    }
    if what == "own2" {
        // Intent/category on own val (index % 5 == 3) + complaint rate on random tweets
        // (Mozetič held-out 10 %, never trained on).
        let own = data::own_examples(&data::own_data_dir())?;
        let mut idx_in_lang = std::collections::HashMap::new();
        let mut is_val = Vec::new();
        for o in &own {
            let c = idx_in_lang.entry(o.lang.clone()).or_insert(0usize);
            is_val.push(*c % 5 == 3);
            *c += 1;
        }
        let airline = data::airline(&d)?;
        let complaints = data::complaints(&d)?;
        let mut moz_tr = SampleSet::new(&ex);
        let mut moz_te = Vec::new();
        for f in ["pol", "deu", "spa", "eng", "por"] {
            for (id, t, _) in data::mozetic(&d, f)? {
                if data::mozetic_is_test(&id) {
                    moz_te.push(ex.extract(&t));
                } else {
                    moz_tr.add(&t, 4, 1.0);
                }
            }
        }
        use firebreak_analyze::{Category, Intent};
        let intents: Vec<&str> = Intent::ALL.iter().map(|i| i.as_str()).collect();
        let cats: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        let mut cset = SampleSet::new(&ex);
        let mut cval = SampleSet::new(&ex);
        for (o, v) in own.iter().zip(&is_val) {
            if o.test {
                continue;
            }
            if let Some(c) = Category::parse(&o.category) {
                if *v {
                    cval.add(&o.text, c as usize, 1.0);
                } else {
                    cset.add(&o.text, c as usize, 1.0);
                }
            }
        }
        let p = TrainParams {
            epochs: 8,
            lr: 0.2,
            l2: 1e-5,
            seed: 4,
            balanced: true,
        };
        let hc = train_head("c", &cats, false, &cset.samples, cfg.bucket_bits, &p);
        let mut cc = Confusion::new(8);
        for x in &cval.samples {
            cc.add(x.y, argmax(&hc.logits(&x.f)));
        }
        println!(
            "category val acc {:.1} macroF1 {:.1}",
            cc.accuracy() * 100.0,
            cc.macro_f1() * 100.0
        );
        for (mw, rr) in [
            (0.0f32, false),
            (0.0, true),
            (0.02, true),
            (0.05, true),
            (0.1, true),
        ] {
            let mut set = SampleSet::new(&ex);
            let mut val = SampleSet::new(&ex);
            for (o, v) in own.iter().zip(&is_val) {
                if o.test {
                    continue;
                }
                let Some(i) = Intent::parse(&o.intent) else {
                    continue;
                };
                if *v {
                    val.add(&o.text, i as usize, 1.0);
                } else {
                    set.add(&o.text, i as usize, 8.0);
                }
            }
            for a in airline.iter().filter(|a| !data::airline_is_test(&a.id)) {
                set.add(
                    &a.text,
                    firebreak_analyze::train::airline_intent(a) as usize,
                    0.1,
                );
            }
            for c in &complaints {
                if c.complaint {
                    set.add(&c.text, 0, 0.3);
                } else if c.domain == "random_tweet" || (rr && c.domain == "random_reply") {
                    set.add(&c.text, 4, 0.3);
                }
            }
            if mw > 0.0 {
                set.samples
                    .extend(moz_tr.samples.iter().cloned().map(|mut x| {
                        x.w = mw;
                        x
                    }));
            }
            let h = train_head_seeds(
                "i",
                &intents,
                &set.samples,
                cfg.bucket_bits,
                &p,
                &avg_seeds(p.seed),
            );
            let mut cm = Confusion::new(5);
            for x in &val.samples {
                cm.add(x.y, argmax(&h.logits(&x.f)));
            }
            let rate = moz_te.iter().filter(|f| argmax(&h.logits(f)) == 0).count() as f64
                / moz_te.len() as f64;
            println!("mozetic-as-other w {mw} random_reply {rr}: intent val acc {:.1} macroF1 {:.1} | random tweets labelled complaint {:.1}%", cm.accuracy() * 100.0, cm.macro_f1() * 100.0, rate * 100.0);
        }
        return Ok(());
    }
    if what == "register" {
        let own = data::own_examples(&data::own_data_dir())?;
        let mut idx_in_lang = std::collections::HashMap::new();
        let mut set = SampleSet::new(&ex);
        let mut val = Vec::new();
        for o in &own {
            let c = idx_in_lang.entry(o.lang.clone()).or_insert(0usize);
            let v = *c % 5 == 3;
            *c += 1;
            if o.test {
                continue;
            }
            let y = usize::from(o.register == "emotional");
            if v {
                val.push((ex.extract(&o.text), y));
            } else {
                set.add(&o.text, y, 1.0);
            }
        }
        for (ep, lr) in [(10, 0.2), (20, 0.1), (5, 0.2)] {
            let p = TrainParams {
                epochs: ep,
                lr,
                l2: 1e-5,
                seed: 5,
                balanced: true,
            };
            let h = train_head("r", &["e"], true, &set.samples, cfg.bucket_bits, &p);
            for cw in [1.0f32, 1.5, 2.0, 3.0] {
                let mut cm = Confusion::new(2);
                for (f, y) in &val {
                    let c = &f.cues;
                    let cues = (c.exclamations.min(3) as f32) * 0.6
                        + (c.caps_words.min(2) as f32) * 0.6
                        + (c.emoji.min(2) as f32) * 0.5
                        + (c.elongated.min(2) as f32) * 0.5
                        + (c.insult_hits.min(2) as f32) * 0.5
                        - (c.numbers.min(2) as f32) * 0.3;
                    let z = h.logits(f)[0] + cw * cues;
                    cm.add(*y, usize::from(z >= 0.0));
                }
                println!(
                    "register e{ep} lr{lr} cue weight {cw}: val acc {:.1} macroF1 {:.1}",
                    cm.accuracy() * 100.0,
                    cm.macro_f1() * 100.0
                );
            }
        }
        let mut cm = Confusion::new(2);
        for (f, y) in &val {
            let c = &f.cues;
            let cues = (c.exclamations.min(3) as f32) * 0.6
                + (c.caps_words.min(2) as f32) * 0.6
                + (c.emoji.min(2) as f32) * 0.5
                + (c.elongated.min(2) as f32) * 0.5
                + (c.insult_hits.min(2) as f32) * 0.5
                - (c.numbers.min(2) as f32) * 0.3;
            cm.add(*y, usize::from(cues > 0.25));
        }
        println!("cues only: val acc {:.1}", cm.accuracy() * 100.0);
        return Ok(());
    }
    if what == "feat" {
        for (name, c) in [
            ("char1-5+bi", FeatureConfig::default()),
            (
                "char2-5+bi",
                FeatureConfig {
                    char_min: 2,
                    ..FeatureConfig::default()
                },
            ),
            (
                "char1-4+bi",
                FeatureConfig {
                    char_max: 4,
                    ..FeatureConfig::default()
                },
            ),
            (
                "char1-6+bi",
                FeatureConfig {
                    char_max: 6,
                    ..FeatureConfig::default()
                },
            ),
            (
                "char1-5 nobi",
                FeatureConfig {
                    word_bigrams: false,
                    ..FeatureConfig::default()
                },
            ),
            (
                "char1-5+bi 2^19",
                FeatureConfig {
                    bucket_bits: 19,
                    ..FeatureConfig::default()
                },
            ),
            (
                "char1-5+bi 2^17",
                FeatureConfig {
                    bucket_bits: 17,
                    ..FeatureConfig::default()
                },
            ),
        ] {
            let ex = Extractor::new(c.clone());
            let mut tr = SampleSet::new(&ex);
            let mut vals = Vec::new();
            for (folder, code) in data::XLMT_LANGS {
                for (t, y) in data::xlmt(&d, folder, "train")? {
                    tr.add(&t, y, 1.0);
                }
                let mut v = SampleSet::new(&ex);
                for (t, y) in data::xlmt(&d, folder, "val")? {
                    v.add(&t, y, 1.0);
                }
                vals.push((code, v.samples));
            }
            for a in data::airline(&d)?
                .iter()
                .filter(|a| !data::airline_is_test(&a.id))
            {
                tr.add(&a.text, a.sentiment, 0.2);
            }
            let p = TrainParams {
                epochs: 10,
                lr: 0.05,
                l2: 1e-5,
                seed: 2,
                balanced: true,
            };
            let h = train_head(
                "s",
                &SENTIMENT_CLASSES,
                false,
                &tr.samples,
                c.bucket_bits,
                &p,
            );
            let mut f1s = Vec::new();
            for (_, v) in &vals {
                let mut cm = Confusion::new(3);
                for x in v {
                    cm.add(x.y, argmax(&h.logits(&x.f)));
                }
                f1s.push(cm.macro_f1());
            }
            let mut all = SampleSet::new(&ex);
            let mut ov = SampleSet::new(&ex);
            for (t, y) in data::tweeteval(&d, "offensive", "train")? {
                all.add(&t, y, 1.0);
            }
            for (t, y) in data::tweeteval(&d, "offensive", "val")? {
                ov.add(&t, y, 1.0);
            }
            for g in data::germeval(&d, "training")? {
                all.add(&g.text, usize::from(g.offense), 1.0);
            }
            let p = TrainParams {
                epochs: 4,
                lr: 0.2,
                l2: 1e-6,
                seed: 3,
                balanced: true,
            };
            let h = train_head("o", &["o"], true, &all.samples, c.bucket_bits, &p);
            let mut cm = Confusion::new(2);
            for x in &ov.samples {
                cm.add(x.y, usize::from(sigmoid(h.logits(&x.f)[0]) >= 0.55));
            }
            println!(
                "{name:<18} sentiment xlmt-val avg {:.1} | olid val F1@.55 {:.1}",
                f1s.iter().sum::<f64>() / 8.0 * 100.0,
                cm.macro_f1() * 100.0
            );
        }
        return Ok(());
    }
    if what == "sentg" {
        let langs: Vec<&str> = data::XLMT_LANGS.iter().map(|x| x.1).collect();
        let mut base = SampleSet::new(&ex);
        let mut vals = Vec::new();
        for (gi, (folder, code)) in data::XLMT_LANGS.iter().enumerate() {
            for (t, y) in data::xlmt(&d, folder, "train")? {
                base.add_g(&t, y, 1.0, Some(gi));
            }
            let mut v = SampleSet::new(&ex);
            for (t, y) in data::xlmt(&d, folder, "val")? {
                v.add_g(&t, y, 1.0, Some(gi));
            }
            vals.push((code, v.samples));
        }
        let en = langs.iter().position(|l| *l == "en");
        let mut air = SampleSet::new(&ex);
        for a in data::airline(&d)?
            .iter()
            .filter(|a| !data::airline_is_test(&a.id))
        {
            air.add_g(&a.text, a.sentiment, 0.2, en);
        }
        let mut moz_en = SampleSet::new(&ex);
        for (id, t, pos) in data::mozetic(&d, "eng")? {
            if !data::mozetic_is_test(&id) {
                moz_en.add_g(&t, if pos { 2 } else { 0 }, 0.3, en);
            }
        }
        for (name, grouped, ep, lr, mozw) in [
            ("nogroup e10 lr.05", false, 10, 0.05, 0.0f32),
            ("group e10 lr.05", true, 10, 0.05, 0.0),
            ("group e6 lr.1", true, 6, 0.1, 0.0),
            ("group e10 lr.05 +mozen.3(en block)", true, 10, 0.05, 0.3),
            ("group e15 lr.05", true, 15, 0.05, 0.0),
        ] {
            let p = TrainParams {
                epochs: ep,
                lr,
                l2: 1e-5,
                seed: 2,
                balanced: true,
            };
            let mut s = base.samples.clone();
            s.extend(air.samples.iter().cloned());
            if mozw > 0.0 {
                s.extend(moz_en.samples.iter().cloned());
            }
            let gs: Vec<&str> = if grouped { langs.clone() } else { vec![] };
            let h = firebreak_analyze::train::train_head_groups(
                "s",
                &SENTIMENT_CLASSES,
                false,
                &gs,
                &s,
                cfg.bucket_bits,
                &p,
            );
            let mut f1s = Vec::new();
            let mut line = String::new();
            for (code, v) in &vals {
                let mut cm = Confusion::new(3);
                for x in v {
                    cm.add(x.y, argmax(&h.logits_group(&x.f, x.g)));
                }
                f1s.push(cm.macro_f1());
                line += &format!(" {code}={:.1}", cm.macro_f1() * 100.0);
            }
            println!(
                "{name:<36} xlmt-val avg {:.1} |{line}",
                f1s.iter().sum::<f64>() / 8.0 * 100.0
            );
        }
        return Ok(());
    }
    if what == "toxg" || what == "banpl" {
        let mut ban = SampleSet::new(&ex);
        if what == "banpl" {
            for (_, text, harmful) in data::ban_pl(&d)? {
                ban.add_g(&text, usize::from(harmful), 1.0, Some(2));
            }
        }
        let mut all = SampleSet::new(&ex);
        let mut vals: Vec<(&str, Vec<firebreak_analyze::train::Sample>)> = Vec::new();
        let mut v = SampleSet::new(&ex);
        for (t, y) in data::tweeteval(&d, "offensive", "train")? {
            all.add_g(&t, y, 1.0, Some(0));
        }
        for (t, y) in data::tweeteval(&d, "offensive", "val")? {
            v.add_g(&t, y, 1.0, Some(0));
        }
        vals.push(("olid", std::mem::take(&mut v.samples)));
        for (i, g) in data::germeval(&d, "training")?.iter().enumerate() {
            if data::split_bucket(&i.to_string(), "germeval") < 15 {
                v.add_g(&g.text, usize::from(g.offense), 1.0, Some(1));
            } else {
                all.add_g(&g.text, usize::from(g.offense), 1.0, Some(1));
            }
        }
        vals.push(("germ", std::mem::take(&mut v.samples)));
        for (i, (t, y)) in data::poleval(&d, "task2", "train")?.iter().enumerate() {
            if data::split_bucket(&i.to_string(), "poleval") < 15 {
                v.add_g(t, usize::from(*y > 0), 1.0, Some(2));
            } else {
                all.add_g(t, usize::from(*y > 0), 1.0, Some(2));
            }
        }
        vals.push(("pol", std::mem::take(&mut v.samples)));
        let variants: Vec<(&str, bool, usize, f32, f32, f32)> = if what == "banpl" {
            vec![
                ("ban w.3", false, 4, 0.2, 1e-6, 0.3),
                ("ban w.3 nb.3", false, 4, 0.2, 1e-6, 0.3),
                ("ban w.3 nb.5", false, 4, 0.2, 1e-6, 0.3),
            ]
        } else {
            vec![
                ("nogroup e4 lr.2", false, 4, 0.2, 1e-6, 0.0),
                ("group e4 lr.2", true, 4, 0.2, 1e-6, 0.0),
                ("group e6 lr.1", true, 6, 0.1, 1e-5, 0.0),
            ]
        };
        for (name, grouped, ep, lr, l2, bw) in variants {
            let p = TrainParams {
                epochs: ep,
                lr,
                l2,
                seed: 3,
                balanced: true,
            };
            let gs: Vec<&str> = if grouped {
                vec!["en", "de", "pl"]
            } else {
                vec![]
            };
            let mut train = all.samples.clone();
            let gw = if name.contains("germ x2") {
                2.0
            } else if name.contains("germ x3") {
                3.0
            } else {
                1.0
            };
            for x in train.iter_mut() {
                if x.g == Some(1) {
                    x.w = gw;
                }
            }
            if bw > 0.0 {
                train.extend(ban.samples.iter().cloned().map(|mut x| {
                    x.w = bw;
                    x
                }));
            }
            let h = firebreak_analyze::train::train_head_groups(
                "o",
                &["o"],
                true,
                &gs,
                &train,
                cfg.bucket_bits,
                &p,
            );
            let nbmix: f32 = if name.contains("nb.5") {
                0.5
            } else if name.contains("nb.3") {
                0.3
            } else {
                0.0
            };
            let hnb = if nbmix > 0.0 {
                Some(firebreak_analyze::train::train_nb_ovr(
                    "o",
                    &["no", "o"],
                    &train,
                    cfg.bucket_bits,
                    &TrainParams {
                        epochs: 6,
                        lr: 0.1,
                        l2: 1e-5,
                        seed: 3,
                        balanced: true,
                    },
                    1.0,
                ))
            } else {
                None
            };
            let score = |f: &firebreak_analyze::features::Features, g: Option<usize>| -> f32 {
                let a = h.logits_group(f, g)[0];
                match &hnb {
                    Some(n) => {
                        let z = n.logits(f);
                        sigmoid((1.0 - nbmix) * a + nbmix * (z[1] - z[0]))
                    }
                    None => sigmoid(a),
                }
            };
            let mut out = String::new();
            for (vn, vs) in &vals {
                let mut best = (0.0, 0.0);
                let mut at5 = 0.0;
                for ti in 1..20 {
                    let thr = ti as f32 * 0.05;
                    let mut cm = Confusion::new(2);
                    for x in vs.iter() {
                        cm.add(x.y, usize::from(score(&x.f, x.g) >= thr));
                    }
                    let m = if *vn == "pol" {
                        cm.f1(1)
                    } else if *vn == "germ" {
                        cm.germeval_macro_f1()
                    } else {
                        cm.macro_f1()
                    };
                    if ti == 10 {
                        at5 = m;
                    }
                    if m > best.0 {
                        best = (m, thr);
                    }
                }
                out += &format!(
                    " {vn}: @.5 {:.1} best {:.1}@{:.2} |",
                    at5 * 100.0,
                    best.0 * 100.0,
                    best.1
                );
            }
            println!("{name}: {out}");
        }
        return Ok(());
    }
    if what == "sentiment" {
        let mut base = SampleSet::new(&ex);
        for (folder, _) in data::XLMT_LANGS {
            for (t, y) in data::xlmt(&d, folder, "train")? {
                base.add(&t, y, 1.0);
            }
        }
        let mut vals = Vec::new();
        for (folder, code) in data::XLMT_LANGS {
            let mut v = SampleSet::new(&ex);
            for (t, y) in data::xlmt(&d, folder, "val")? {
                v.add(&t, y, 1.0);
            }
            vals.push((code, v.samples));
        }
        let mut tv = SampleSet::new(&ex);
        for (t, y) in data::tweeteval(&d, "sentiment", "val")? {
            tv.add(&t, y, 1.0);
        }
        let airline = data::airline(&d)?;
        let mut air = SampleSet::new(&ex);
        for a in airline.iter().filter(|a| !data::airline_is_test(&a.id)) {
            air.add(&a.text, a.sentiment, 1.0);
        }
        let mut moz = SampleSet::new(&ex);
        for f in ["pol", "deu", "spa", "eng", "por"] {
            for (id, t, pos) in data::mozetic(&d, f)? {
                if !data::mozetic_is_test(&id) {
                    moz.add(&t, if pos { 2 } else { 0 }, 1.0);
                }
            }
        }
        if std::env::args().nth(2).as_deref() == Some("2") {
            let mut moz_en = SampleSet::new(&ex);
            for (id, t, pos) in data::mozetic(&d, "eng")? {
                if !data::mozetic_is_test(&id) {
                    moz_en.add(&t, if pos { 2 } else { 0 }, 1.0);
                }
            }
            let en_train: Vec<_> = base.samples[1839..2 * 1839].to_vec();
            let p = TrainParams {
                epochs: 10,
                lr: 0.05,
                l2: 1e-5,
                seed: 2,
                balanced: true,
            };
            let combos: Vec<(&str, bool, f32, f32, f32)> = vec![
                ("multi air.3", true, 0.3, 0.0, 0.0),
                ("multi air.2", true, 0.2, 0.0, 0.0),
                ("multi air.5", true, 0.5, 0.0, 0.0),
                ("multi air.3 mozen.3", true, 0.3, 0.3, 0.0),
                ("en-only", false, 0.0, 0.0, 0.0),
                ("en air.3", false, 0.3, 0.0, 0.0),
                ("en air1", false, 1.0, 0.0, 0.0),
                ("en air.3 mozen.3", false, 0.3, 0.3, 0.0),
                ("en air.3 mozen1", false, 0.3, 1.0, 0.0),
                ("en air1 mozen1", false, 1.0, 1.0, 0.0),
            ];
            for (name, multi, aw, mw, _) in combos {
                let mut s = if multi {
                    base.samples.clone()
                } else {
                    en_train.clone()
                };
                s.extend(
                    air.samples
                        .iter()
                        .filter(|_| aw > 0.0)
                        .cloned()
                        .map(|mut x| {
                            x.w = aw;
                            x
                        }),
                );
                s.extend(
                    moz_en
                        .samples
                        .iter()
                        .filter(|_| mw > 0.0)
                        .cloned()
                        .map(|mut x| {
                            x.w = mw;
                            x
                        }),
                );
                let h = train_head("s", &SENTIMENT_CLASSES, false, &s, cfg.bucket_bits, &p);
                let mut f1s = Vec::new();
                let mut line = String::new();
                for (code, v) in &vals {
                    let mut cm = Confusion::new(3);
                    for x in v {
                        cm.add(x.y, argmax(&h.logits(&x.f)));
                    }
                    f1s.push(cm.macro_f1());
                    line += &format!(" {code}={:.1}", cm.macro_f1() * 100.0);
                }
                println!(
                    "{name:<24} xlmt-val avg {:.1} |{line}",
                    f1s.iter().sum::<f64>() / 8.0 * 100.0
                );
            }
            return Ok(());
        }
        let variants: Vec<(&str, TrainParams, f32, f32)> = vec![
            (
                "base e6 lr.1 l2 1e-5",
                TrainParams {
                    epochs: 6,
                    lr: 0.1,
                    l2: 1e-5,
                    seed: 2,
                    balanced: true,
                },
                0.0,
                0.0,
            ),
            (
                "e10 lr.05",
                TrainParams {
                    epochs: 10,
                    lr: 0.05,
                    l2: 1e-5,
                    seed: 2,
                    balanced: true,
                },
                0.0,
                0.0,
            ),
            (
                "e4 lr.2",
                TrainParams {
                    epochs: 4,
                    lr: 0.2,
                    l2: 1e-5,
                    seed: 2,
                    balanced: true,
                },
                0.0,
                0.0,
            ),
            (
                "l2 1e-4",
                TrainParams {
                    epochs: 6,
                    lr: 0.1,
                    l2: 1e-4,
                    seed: 2,
                    balanced: true,
                },
                0.0,
                0.0,
            ),
            (
                "l2 1e-6",
                TrainParams {
                    epochs: 6,
                    lr: 0.1,
                    l2: 1e-6,
                    seed: 2,
                    balanced: true,
                },
                0.0,
                0.0,
            ),
            (
                "+airline .3",
                TrainParams {
                    epochs: 6,
                    lr: 0.1,
                    l2: 1e-5,
                    seed: 2,
                    balanced: true,
                },
                0.3,
                0.0,
            ),
            (
                "+airline 1",
                TrainParams {
                    epochs: 6,
                    lr: 0.1,
                    l2: 1e-5,
                    seed: 2,
                    balanced: true,
                },
                1.0,
                0.0,
            ),
            (
                "+moz .2",
                TrainParams {
                    epochs: 6,
                    lr: 0.1,
                    l2: 1e-5,
                    seed: 2,
                    balanced: true,
                },
                0.0,
                0.2,
            ),
            (
                "+air .3 +moz .2",
                TrainParams {
                    epochs: 6,
                    lr: 0.1,
                    l2: 1e-5,
                    seed: 2,
                    balanced: true,
                },
                0.3,
                0.2,
            ),
        ];
        for (name, p, aw, mw) in variants {
            let mut s = base.samples.clone();
            if aw > 0.0 {
                s.extend(air.samples.iter().cloned().map(|mut x| {
                    x.w = aw;
                    x
                }));
            }
            if mw > 0.0 {
                s.extend(moz.samples.iter().cloned().map(|mut x| {
                    x.w = mw;
                    x
                }));
            }
            let h = train_head("s", &SENTIMENT_CLASSES, false, &s, cfg.bucket_bits, &p);
            let mut f1s = Vec::new();
            let mut line = String::new();
            for (code, v) in &vals {
                let mut cm = Confusion::new(3);
                for x in v {
                    cm.add(x.y, argmax(&h.logits(&x.f)));
                }
                f1s.push(cm.macro_f1());
                line += &format!(" {code}={:.1}", cm.macro_f1() * 100.0);
            }
            let mut cm = Confusion::new(3);
            for x in &tv.samples {
                cm.add(x.y, argmax(&h.logits(&x.f)));
            }
            println!(
                "{name:<24} xlmt-val avg {:.1} | tweeteval-val recall {:.1} |{line}",
                f1s.iter().sum::<f64>() / 8.0 * 100.0,
                cm.macro_recall() * 100.0
            );
        }
    } else {
        // toxicity: per-language vs shared head
        let mut olid = SampleSet::new(&ex);
        for (t, y) in data::tweeteval(&d, "offensive", "train")? {
            olid.add(&t, y, 1.0);
        }
        let mut olid_val = SampleSet::new(&ex);
        for (t, y) in data::tweeteval(&d, "offensive", "val")? {
            olid_val.add(&t, y, 1.0);
        }
        let (mut ge, mut ge_val) = (SampleSet::new(&ex), SampleSet::new(&ex));
        for (i, g) in data::germeval(&d, "training")?.iter().enumerate() {
            let s = if data::split_bucket(&i.to_string(), "germeval") < 15 {
                &mut ge_val
            } else {
                &mut ge
            };
            s.add(&g.text, usize::from(g.offense), 1.0);
        }
        let (mut pe, mut pe_val) = (SampleSet::new(&ex), SampleSet::new(&ex));
        for (i, (t, y)) in data::poleval(&d, "task2", "train")?.iter().enumerate() {
            let s = if data::split_bucket(&i.to_string(), "poleval") < 15 {
                &mut pe_val
            } else {
                &mut pe
            };
            s.add(t, usize::from(*y > 0), 1.0);
        }
        let eval = |h: &firebreak_analyze::model::HeadWeights| {
            let mut out = String::new();
            for (name, v, germ) in [
                ("olid", &olid_val.samples, false),
                ("germ", &ge_val.samples, true),
                ("pol", &pe_val.samples, false),
            ] {
                let mut best = (0.0, 0.0);
                let mut at5 = 0.0;
                for ti in 1..20 {
                    let thr = ti as f32 * 0.05;
                    let mut cm = Confusion::new(2);
                    for x in v.iter() {
                        cm.add(x.y, usize::from(sigmoid(h.logits(&x.f)[0]) >= thr));
                    }
                    let m = if name == "pol" {
                        cm.f1(1)
                    } else if germ {
                        cm.germeval_macro_f1()
                    } else {
                        cm.macro_f1()
                    };
                    if ti == 10 {
                        at5 = m;
                    }
                    if m > best.0 {
                        best = (m, thr);
                    }
                }
                out += &format!(
                    " {name}: @.5 {:.1} best {:.1}@{:.2} |",
                    at5 * 100.0,
                    best.0 * 100.0,
                    best.1
                );
            }
            out
        };
        for (ep, lr, l2) in [
            (6, 0.1, 1e-5),
            (10, 0.05, 1e-5),
            (6, 0.1, 1e-4),
            (4, 0.2, 1e-6),
        ] {
            let p = TrainParams {
                epochs: ep,
                lr,
                l2,
                seed: 3,
                balanced: true,
            };
            let mut all = olid.samples.clone();
            all.extend(ge.samples.iter().cloned());
            all.extend(pe.samples.iter().cloned());
            let h = train_head("o", &["o"], true, &all, cfg.bucket_bits, &p);
            println!("shared e{ep} lr{lr} l2{l2}: {}", eval(&h));
            for (name, s) in [
                ("olid-only", &olid.samples),
                ("germ-only", &ge.samples),
                ("pol-only", &pe.samples),
            ] {
                let h = train_head("o", &["o"], true, s, cfg.bucket_bits, &p);
                println!("  {name}: {}", eval(&h));
            }
        }
    }
    Ok(())
}
