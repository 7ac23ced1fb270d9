//! `firebreak user add|list|token|revoke-tokens`: accounts of the web app and their API
//! tokens from the command line (the first admin is made here). Passwords are hashed with argon2 by `firebreak-web`; a password
//! is read from stdin (`--password-stdin`) or generated and printed once.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::Utc;
use clap::Subcommand;
use firebreak_respond::audit::{AuditDraft, Outcome};
use firebreak_respond::guard::Role;
use firebreak_store::UserRecord;
use serde_json::json;

use crate::commands::Stores;

#[derive(Subcommand, Debug)]
pub enum UserAction {
    /// Add a user of the web app (e.g. the first admin).
    Add {
        /// Letters, digits, '.', '_' or '-'.
        name: String,
        /// viewer, agent, manager or admin.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Read the password (10+ characters) from the first line of stdin; without it a
        /// password is generated and printed once.
        #[arg(long)]
        password_stdin: bool,
        /// The language of the UI: en, it, es, pl or de.
        #[arg(long, default_value = "en")]
        ui_lang: String,
        /// Languages they answer in, comma-separated.
        #[arg(long, value_delimiter = ',')]
        languages: Vec<String>,
    },
    /// Create an API token for a user: `Authorization: Bearer TOKEN` on the JSON API acts
    /// as them, with their role. Printed once; only its SHA-256 is stored.
    Token {
        name: String,
        /// What the token is for (shown in the audit log).
        #[arg(long, default_value = "api")]
        label: String,
        /// Days until the token stops working; 0: it never expires.
        #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(0..=3650))]
        expires_days: u32,
    },
    /// Revoke every API token of a user.
    RevokeTokens { name: String },
    /// List the users.
    List {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum RoleArg {
    Viewer,
    Agent,
    Manager,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Viewer => Role::Viewer,
            RoleArg::Agent => Role::Agent,
            RoleArg::Manager => Role::Manager,
            RoleArg::Admin => Role::Admin,
        }
    }
}

/// Runs a `user` command (blocking: call it on a blocking thread).
pub fn command(stores: Stores, action: UserAction) -> Result<ExitCode> {
    match action {
        UserAction::Add {
            name,
            role,
            password_stdin,
            ui_lang,
            languages,
        } => add(
            stores,
            name,
            role.into(),
            password_stdin,
            ui_lang,
            languages,
        ),
        UserAction::List { json } => list(stores, json),
        UserAction::Token {
            name,
            label,
            expires_days,
        } => token(stores, name, label, expires_days),
        UserAction::RevokeTokens { name } => revoke_tokens(stores, name),
    }
}

fn audit(stores: &Stores, action: &str, name: &str, detail: String) -> Result<()> {
    stores
        .cases
        .append_audit(&[AuditDraft::new(
            Utc::now(),
            "cli",
            action,
            format!("user:{name}"),
            Outcome::Done,
            detail,
        )])
        .map_err(|e| anyhow::anyhow!("done, but the audit log failed: {e}"))
}

fn token(stores: Stores, name: String, label: String, expires_days: u32) -> Result<ExitCode> {
    let Some(user) = stores.users.get_user(&name)? else {
        bail!(
            "there is no user {name}: add them first with `firebreak user add {name} --role ROLE`"
        );
    };
    if user.disabled {
        bail!("the user {name} is disabled; enable them in the web app's settings first");
    }
    let token = firebreak_web::generate_api_token();
    let hash = firebreak_server::token_hash(&token);
    let now = Utc::now();
    let expires_at = (expires_days > 0).then(|| now + chrono::Duration::days(expires_days.into()));
    stores
        .users
        .create_api_token(&hash, &name, &label, now, expires_at)?;
    let until = expires_at.map_or_else(
        || "never expires".to_owned(),
        |t| format!("expires {}", t.format("%Y-%m-%d %H:%M UTC")),
    );
    let expires = expires_at.map_or_else(|| "never".to_owned(), |t| t.to_rfc3339());
    audit(
        &stores,
        "user.token",
        &name,
        format!("label={label} expires={expires}"),
    )?;
    println!(
        "API token for {name} ({}, {until}), shown once: {token}\nuse it as: Authorization: Bearer {token}",
        user.role.as_str()
    );
    Ok(ExitCode::SUCCESS)
}

fn revoke_tokens(stores: Stores, name: String) -> Result<ExitCode> {
    if stores.users.get_user(&name)?.is_none() {
        bail!("there is no user {name}");
    }
    let n = stores.users.revoke_api_tokens(&name, Utc::now())?;
    audit(&stores, "user.revoke_tokens", &name, format!("revoked={n}"))?;
    println!("revoked {n} API token(s) of {name}");
    Ok(ExitCode::SUCCESS)
}

fn add(
    stores: Stores,
    name: String,
    role: Role,
    password_stdin: bool,
    ui_lang: String,
    languages: Vec<String>,
) -> Result<ExitCode> {
    if !firebreak_web::valid_user_name(&name) {
        bail!("{name:?} is not a user name: use 1 to 64 letters, digits, '.', '_' or '-'");
    }
    if !firebreak_web::UI_LANGS.contains(&ui_lang.as_str()) {
        bail!("--ui-lang {ui_lang:?}: use en, it, es, pl or de");
    }
    let (password, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (firebreak_web::generate_password(), true)
    };
    let hash = firebreak_web::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let user = UserRecord {
        name: name.clone(),
        role,
        password_hash: hash,
        ui_lang,
        languages: languages
            .iter()
            .map(|l| l.trim().to_ascii_lowercase())
            .filter(|l| !l.is_empty())
            .collect(),
        disabled: false,
        created_at: Utc::now(),
    };
    if !stores.users.create_user(&user)? {
        bail!("the user {name} exists already; change them in the web app's settings");
    }
    stores
        .cases
        .append_audit(&[AuditDraft::new(
            Utc::now(),
            "cli",
            "user.add",
            format!("user:{name}"),
            Outcome::Done,
            format!("role={}", role.as_str()),
        )])
        .map_err(|e| anyhow::anyhow!("the user was added, but the audit log failed: {e}"))?;
    if generated {
        println!(
            "added {name} ({}); password (shown once): {password}",
            role.as_str()
        );
    } else {
        println!("added {name} ({})", role.as_str());
    }
    Ok(ExitCode::SUCCESS)
}

fn list(stores: Stores, as_json: bool) -> Result<ExitCode> {
    for u in stores.users.list_users()? {
        if as_json {
            println!(
                "{}",
                json!({
                    "name": u.name,
                    "role": u.role.as_str(),
                    "ui_lang": u.ui_lang,
                    "languages": u.languages,
                    "disabled": u.disabled,
                    "created_at": u.created_at.to_rfc3339(),
                })
            );
        } else {
            println!(
                "{:<24} {:<8} {} {}{}",
                u.name,
                u.role.as_str(),
                u.ui_lang,
                u.languages.join(","),
                if u.disabled { " (disabled)" } else { "" }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
