//! Reply templates, per language, rendered with minijinja.
//!
//! Built-in templates follow the practice: answer in public, apologise when at fault,
//! offer a private channel without asking for personal data in public, keep the user
//! informed, close in public. A crisis plan can add or replace templates
//! ([`Templates::insert`]); unknown variables are errors, never silently empty.

use std::collections::BTreeMap;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

/// The languages the built-in templates are written in.
pub const LANGUAGES: [&str; 5] = ["en", "it", "es", "pl", "de"];

/// Built-in templates: (name, language, source).
const BUILTIN: &[(&str, &str, &str)] = &[
    ("acknowledge", "en", "Hi {{ handle }}, thank you for telling us. We're looking into it now and will get back to you here."),
    ("acknowledge", "it", "Ciao {{ handle }}, grazie per la segnalazione. Stiamo verificando e ti aggiorniamo qui."),
    ("acknowledge", "es", "Hola {{ handle }}, gracias por avisarnos. Lo estamos revisando y te respondemos aquí."),
    ("acknowledge", "pl", "Cześć {{ handle }}, dziękujemy za zgłoszenie. Sprawdzamy to i odpowiemy tutaj."),
    ("acknowledge", "de", "Hallo {{ handle }}, danke für den Hinweis. Wir sehen uns das an und melden uns hier."),
    ("apology", "en", "Hi {{ handle }}, we're sorry: this should not have happened. {{ explanation }} We'll keep you posted here."),
    ("apology", "it", "Ciao {{ handle }}, ci dispiace: non sarebbe dovuto succedere. {{ explanation }} Ti teniamo aggiornato qui."),
    ("apology", "es", "Hola {{ handle }}, lo sentimos: no debería haber pasado. {{ explanation }} Te mantenemos informado aquí."),
    ("apology", "pl", "Cześć {{ handle }}, przepraszamy, to nie powinno się zdarzyć. {{ explanation }} Będziemy informować tutaj."),
    ("apology", "de", "Hallo {{ handle }}, das tut uns leid, das hätte nicht passieren dürfen. {{ explanation }} Wir halten dich hier auf dem Laufenden."),
    ("move_private", "en", "Hi {{ handle }}, we'd like to sort this out personally. Please send us a direct message and we'll take it from there."),
    ("move_private", "it", "Ciao {{ handle }}, vorremmo seguirti personalmente. Scrivici in messaggio privato e ce ne occupiamo noi."),
    ("move_private", "es", "Hola {{ handle }}, queremos ayudarte personalmente. Escríbenos por mensaje privado y nos encargamos."),
    ("move_private", "pl", "Cześć {{ handle }}, chcemy pomóc indywidualnie. Napisz do nas wiadomość prywatną, a zajmiemy się tym."),
    ("move_private", "de", "Hallo {{ handle }}, wir möchten uns persönlich darum kümmern. Schreib uns bitte eine Direktnachricht."),
    ("update", "en", "Hi {{ handle }}, a quick update: {{ update }}"),
    ("update", "it", "Ciao {{ handle }}, un aggiornamento: {{ update }}"),
    ("update", "es", "Hola {{ handle }}, una actualización: {{ update }}"),
    ("update", "pl", "Cześć {{ handle }}, krótka aktualizacja: {{ update }}"),
    ("update", "de", "Hallo {{ handle }}, kurzes Update: {{ update }}"),
    ("closing", "en", "Hi {{ handle }}, as discussed in private, this is now sorted. Thank you for your patience, and let us know if anything else comes up."),
    ("closing", "it", "Ciao {{ handle }}, come concordato in privato, il problema è risolto. Grazie per la pazienza, siamo qui per qualsiasi cosa."),
    ("closing", "es", "Hola {{ handle }}, como hablamos en privado, ya está resuelto. Gracias por tu paciencia; aquí estamos para lo que necesites."),
    ("closing", "pl", "Cześć {{ handle }}, tak jak ustaliliśmy prywatnie, sprawa jest rozwiązana. Dziękujemy za cierpliwość."),
    ("closing", "de", "Hallo {{ handle }}, wie privat besprochen, ist das jetzt gelöst. Danke für deine Geduld."),
];

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("no template {name:?} in {lang:?}; available: {available}")]
    Missing {
        name: String,
        lang: String,
        available: String,
    },
    #[error("template {name:?} ({lang}) is invalid: {reason}")]
    Invalid {
        name: String,
        lang: String,
        reason: String,
    },
}

/// A set of templates keyed by (name, language).
pub struct Templates {
    sources: BTreeMap<(String, String), String>,
}

impl Default for Templates {
    fn default() -> Self {
        Templates::builtin()
    }
}

impl Templates {
    pub fn builtin() -> Templates {
        let sources = BUILTIN
            .iter()
            .map(|(n, l, s)| (((*n).to_owned(), (*l).to_owned()), (*s).to_owned()))
            .collect();
        Templates { sources }
    }

    /// Adds or replaces a template, checking its syntax.
    pub fn insert(&mut self, name: &str, lang: &str, source: &str) -> Result<(), TemplateError> {
        let mut env = Environment::new();
        env.add_template("t", source)
            .map_err(|e| TemplateError::Invalid {
                name: name.into(),
                lang: lang.into(),
                reason: e.to_string(),
            })?;
        self.sources
            .insert((name.to_owned(), lang.to_owned()), source.to_owned());
        Ok(())
    }

    /// `(name, language)` pairs, sorted.
    pub fn list(&self) -> Vec<(String, String)> {
        self.sources.keys().cloned().collect()
    }

    /// Renders template `name` in `lang` (falling back to English) with `ctx`.
    pub fn render(
        &self,
        name: &str,
        lang: &str,
        ctx: &impl Serialize,
    ) -> Result<String, TemplateError> {
        let source = self
            .sources
            .get(&(name.to_owned(), lang.to_owned()))
            .or_else(|| self.sources.get(&(name.to_owned(), "en".to_owned())))
            .ok_or_else(|| TemplateError::Missing {
                name: name.into(),
                lang: lang.into(),
                available: self
                    .sources
                    .keys()
                    .map(|(n, l)| format!("{n}/{l}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let invalid = |e: minijinja::Error| TemplateError::Invalid {
            name: name.into(),
            lang: lang.into(),
            reason: e.to_string(),
        };
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_template("t", source).map_err(invalid)?;
        let t = env.get_template("t").map_err(invalid)?;
        let out = t.render(ctx).map_err(invalid)?;
        Ok(out.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_builtin_template_exists_in_every_language() {
        let t = Templates::builtin();
        for name in [
            "acknowledge",
            "apology",
            "move_private",
            "update",
            "closing",
        ] {
            for lang in LANGUAGES {
                let out = t
                    .render(
                        name,
                        lang,
                        &json!({"handle": "@ana", "explanation": "X.", "update": "Y."}),
                    )
                    .map_err(|e| e.to_string());
                assert!(
                    out.as_ref().is_ok_and(|s| s.contains("@ana")),
                    "{name}/{lang}: {out:?}"
                );
            }
        }
    }

    #[test]
    fn a_missing_variable_is_an_error_not_an_empty_string() {
        let t = Templates::builtin();
        assert!(t
            .render("apology", "it", &json!({"handle": "@ana"}))
            .is_err());
    }

    #[test]
    fn unknown_languages_fall_back_to_english_and_plans_can_add_templates() {
        let mut t = Templates::builtin();
        let out = t
            .render("acknowledge", "fr", &json!({"handle": "@jo"}))
            .ok();
        assert!(out.is_some_and(|s| s.starts_with("Hi @jo")));
        assert!(t
            .insert("holding", "it", "Stiamo verificando {{ topic }}.")
            .is_ok());
        let out = t
            .render("holding", "it", &json!({"topic": "le consegne"}))
            .ok();
        assert_eq!(out.as_deref(), Some("Stiamo verificando le consegne."));
        assert!(t.insert("bad", "en", "{{ unclosed").is_err());
    }
}
