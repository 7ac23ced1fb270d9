//! Behaviour of the embedded model on hand-written mentions and on shared test data.

use std::path::PathBuf;

use firebreak_analyze::{Analyzer, Category, Intent, Register, SentimentLabel};

fn analyzer() -> Analyzer {
    Analyzer::load_default().expect("embedded model loads")
}

fn data_dir() -> PathBuf {
    firebreak_analyze::data::default_data_dir()
}

#[test]
fn identifies_the_five_core_languages() {
    let a = analyzer();
    let cases = [
        (
            "@acme il mio pacco non è ancora arrivato, sono passate due settimane",
            "it",
        ),
        (
            "@acme mi pedido todavía no ha llegado y nadie contesta el teléfono",
            "es",
        ),
        (
            "@acme moja paczka nadal nie dotarła, nikt nie odbiera telefonu",
            "pl",
        ),
        (
            "@acme mein Paket ist immer noch nicht angekommen und niemand antwortet",
            "de",
        ),
        (
            "@acme my parcel still hasn't arrived and nobody answers the phone",
            "en",
        ),
        (
            "@acme mon colis n'est toujours pas arrivé et personne ne répond",
            "fr",
        ),
        (
            "@acme minha encomenda ainda não chegou e ninguém atende o telefone",
            "pt",
        ),
    ];
    for (text, lang) in cases {
        let r = a.analyze(text, None);
        assert_eq!(r.lang.as_deref(), Some(lang), "{text}");
        assert!(r.lang_confidence > 0.5 && r.lang_confidence <= 1.0);
    }
}

#[test]
fn trusts_a_supported_language_hint_and_ignores_unknown_ones() {
    let a = analyzer();
    let r = a.analyze("ok", Some("de-DE"));
    assert_eq!(r.lang.as_deref(), Some("de"));
    assert_eq!(r.lang_confidence, 1.0);
    let r = a.analyze("grazie mille, servizio perfetto", Some("xx"));
    assert_eq!(r.lang.as_deref(), Some("it"));
}

#[test]
fn empty_or_symbol_only_text_has_no_language() {
    let a = analyzer();
    let r = a.analyze("   ", None);
    assert_eq!(r.lang, None);
    let r = a.analyze("!!! ???", None);
    assert_eq!(r.lang, None);
}

#[test]
fn sentiment_polarity_is_sensible_and_probabilities_sum_to_one() {
    let a = analyzer();
    let pos = a.analyze(
        "I love this, the best service ever, thank you so much! ❤️",
        None,
    );
    assert_eq!(pos.sentiment.label, SentimentLabel::Positive);
    let neg = a.analyze(
        "This is the worst company ever, terrible and disgusting service. I hate you",
        None,
    );
    assert_eq!(neg.sentiment.label, SentimentLabel::Negative);
    for r in [&pos, &neg] {
        let s: f32 = r.sentiment.probs.iter().sum();
        assert!((s - 1.0).abs() < 1e-3);
        assert!(r.sentiment.score >= 1.0 / 3.0 && r.sentiment.score <= 1.0);
    }
}

#[test]
fn insults_score_higher_than_neutral_text() {
    let a = analyzer();
    let insult = a.analyze("@user you are a fucking idiot and a stupid asshole", None);
    let calm = a.analyze("@user the meeting is moved to Tuesday at 10am", None);
    assert!(insult.toxicity.insult > 0.5, "{:?}", insult.toxicity);
    assert!(calm.toxicity.insult < 0.5, "{:?}", calm.toxicity);
    assert!(insult.toxicity.toxic >= insult.toxicity.insult);
    let de = a.analyze("@user du bist so ein dummes Arschloch, verpiss dich", None);
    assert!(de.toxicity.insult > 0.5, "{:?}", de.toxicity);
}

#[test]
fn threats_need_a_threat_word() {
    let a = analyzer();
    let threat = a.analyze(
        "I will find you and kill you, you worthless piece of shit",
        None,
    );
    let none = a.analyze("Lovely weather in Rome today", None);
    assert!(threat.toxicity.threat > none.toxicity.threat);
    assert!(none.toxicity.threat < 0.1);
}

#[test]
fn complaint_gets_intent_and_category() {
    let a = analyzer();
    let r = a.analyze(
        "@VeloExpress my parcel was marked as delivered but it never arrived, tracking is useless",
        None,
    );
    assert_eq!(r.intent, Intent::Complaint);
    assert_eq!(r.category, Some(Category::DeliveryLogistics));
    let q = a.analyze("@MobiTel how do I activate roaming on my plan?", None);
    assert_eq!(q.intent, Intent::Question);
    assert_eq!(q.category, None);
}

#[test]
fn praise_is_never_negative() {
    let a = analyzer();
    // "Look what @acme sent me 📷": with the camera emoji the intent head alone says
    // praise, while the sentiment is negative.
    for text in [
        "Guardate cosa mi è arrivato da @acme 📷",
        "Guardate cosa mi è arrivato da @acme: rotto appena aperto 📷",
    ] {
        let r = a.analyze(text, None);
        assert_eq!(r.sentiment.label, SentimentLabel::Negative, "{text}");
        assert_ne!(r.intent, Intent::Praise, "{text}");
        assert!(r.intent_confidence > 0.0 && r.intent_confidence <= 1.0);
    }
    let thanks = a.analyze(
        "Grazie @acme, arrivato in perfetto stato e in anticipo 😍",
        None,
    );
    assert_eq!(thanks.intent, Intent::Praise);
}

#[test]
fn register_separates_shouting_from_reporting() {
    let a = analyzer();
    let emo = a.analyze(
        "WORST. SERVICE. EVER!!! 😡😡 I am SO done with you!!!",
        None,
    );
    let fact = a.analyze(
        "@BankaPlus transfer 4412 from 3 May is still pending, please check the status.",
        None,
    );
    assert_eq!(emo.register, Register::Emotional);
    assert_eq!(fact.register, Register::Factual);
}

#[test]
fn batch_equals_single_and_serialises_with_snake_case() {
    let a = analyzer();
    let items = [
        ("@acme ordine in ritardo di una settimana", None),
        ("thank you!", Some("en")),
    ];
    let batch = a.analyze_batch(&items);
    for ((t, h), b) in items.iter().zip(&batch) {
        assert_eq!(&a.analyze(t, *h), b);
    }
    let json = serde_json::to_value(&batch[0]).expect("serialise");
    for key in [
        "lang",
        "sentiment",
        "toxicity",
        "intent",
        "category",
        "register",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert!(json["sentiment"]["label"].is_string());
    let back: firebreak_analyze::Analysis = serde_json::from_value(json).expect("deserialise");
    assert_eq!(back, batch[0]);
}

#[test]
fn load_from_dir_roundtrips_the_weights() {
    let a = analyzer();
    let dir = tempfile::tempdir().expect("tempdir");
    a.model()
        .save(&dir.path().join(firebreak_analyze::MODEL_FILE))
        .expect("save");
    let b = Analyzer::load_from_dir(dir.path()).expect("load");
    let t = "Il servizio clienti è stato pessimo, mi hanno chiuso il telefono in faccia";
    assert_eq!(a.analyze(t, None), b.analyze(t, None));
    assert!(Analyzer::load_from_dir(&dir.path().join("missing")).is_err());
}

#[test]
fn embedded_weights_are_small() {
    let a = analyzer();
    assert!(a.model().weight_bytes() <= 20 * 1024 * 1024);
}

#[test]
fn language_id_on_shared_test_texts() {
    // 100 test texts per language (xlm-t test for it/es/de/en, poleval test for pl).
    let d = data_dir();
    let a = analyzer();
    let mut ok = 0;
    let mut n = 0;
    for (folder, code) in [
        ("italian", "it"),
        ("spanish", "es"),
        ("german", "de"),
        ("english", "en"),
    ] {
        let test = firebreak_analyze::data::xlmt(&d, folder, "test")
            .expect("xlm-t test data under ../shared/data");
        for (t, _) in test.iter().take(100) {
            n += 1;
            ok += usize::from(a.analyze(t, None).lang.as_deref() == Some(code));
        }
    }
    let pl = firebreak_analyze::data::poleval(&d, "task1", "test").expect("poleval test data");
    for (t, _) in pl.iter().take(100) {
        n += 1;
        ok += usize::from(a.analyze(t, None).lang.as_deref() == Some("pl"));
    }
    let acc = ok as f64 / n as f64;
    assert!(acc >= 0.95, "language-id accuracy {acc}");
}

#[test]
fn own_data_files_are_well_formed_and_balanced() {
    let own = firebreak_analyze::data::own_examples(&firebreak_analyze::data::own_data_dir())
        .expect("own data");
    for lang in ["it", "es", "pl", "de", "en", "fr", "pt"] {
        let n = own.iter().filter(|o| o.lang == lang).count();
        assert!(n >= 150, "{lang}: {n} examples");
    }
    for o in &own {
        assert!(
            Intent::parse(&o.intent).is_some(),
            "bad intent {}",
            o.intent
        );
        assert!(o.register == "emotional" || o.register == "factual");
        if o.intent == "complaint" {
            assert!(
                Category::parse(&o.category).is_some(),
                "bad category {}",
                o.category
            );
        } else {
            assert_eq!(o.category, "-");
        }
    }
    let test = own.iter().filter(|o| o.test).count();
    assert_eq!(test, own.len() / 5);
}

#[test]
fn arbitrary_input_never_panics_and_gives_valid_probabilities() {
    let a = analyzer();
    let mut rng = firebreak_analyze::train::Rng::new(99);
    let alphabet: Vec<char> =
        "aZ ąę ß ñ ü 😀🔥 @#!?.,'’-\u{200d}\u{fe0f}\t\n0123456789 http://x.y www. ИЖ 中文 عربى"
            .chars()
            .collect();
    let mut texts: Vec<String> = (0..300)
        .map(|i| {
            let len = rng.below(if i % 50 == 0 { 5000 } else { 200 });
            (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect()
        })
        .collect();
    texts.push("x".repeat(100_000));
    texts.push("!!!!!!!!!!!!!!!!!!!!".to_string());
    texts.push("HTTPS://EXAMPLE.COM".to_string());
    for t in &texts {
        let r = a.analyze(t, None);
        let s: f32 = r.sentiment.probs.iter().sum();
        assert!((s - 1.0).abs() < 1e-3, "{t:?}");
        for p in [
            r.toxicity.toxic,
            r.toxicity.insult,
            r.toxicity.threat,
            r.toxicity.identity_hate,
            r.emotional,
            r.lang_confidence,
            r.intent_confidence,
        ] {
            assert!((0.0..=1.0).contains(&p) && p.is_finite(), "{t:?}: {p}");
        }
        assert_eq!(r.category.is_some(), r.intent == Intent::Complaint);
    }
}
