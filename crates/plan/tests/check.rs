//! `firebreak plan check`, as a specification: the example plan is valid and says what
//! good crisis practice is; each broken plan under `tests/broken/` is rejected with the
//! file, the exact line, what is wrong and how to fix it.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use firebreak_core::{Alert, AlertKind, ChannelId};
use firebreak_plan::{
    check_file, diagnose, load, parse, ApprovalAction, Plan, PlanError, Role, StatementKind,
};
use firebreak_respond::lint::{Linter, Rule};
use firebreak_respond::sla::SlaTargets;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn example_path() -> PathBuf {
    crate_dir().join("../../examples/plan.toml")
}

fn example() -> Plan {
    match load(&example_path()) {
        Ok(p) => p,
        Err(e) => panic!("the example plan must be valid:\n{e}"),
    }
}

fn minimal_text() -> String {
    std::fs::read_to_string(crate_dir().join("tests/minimal.toml")).expect("tests/minimal.toml")
}

/// The minimal plan with `old` (which must occur exactly once) replaced by `new`.
fn variant(old: &str, new: &str) -> String {
    let text = minimal_text();
    assert_eq!(text.matches(old).count(), 1, "{old:?} must occur once");
    text.replacen(old, new, 1)
}

fn rejected_text(text: &str) -> PlanError {
    match parse(text, "plan.toml") {
        Ok(_) => panic!("the plan should have been rejected"),
        Err(e) => e,
    }
}

/// Loads `tests/broken/NAME`, which must be rejected.
fn broken(name: &str) -> PlanError {
    let path = crate_dir().join("tests/broken").join(name);
    match check_file(&path) {
        Ok(s) => panic!("{name} should have been rejected, got:\n{s}"),
        Err(e) => {
            assert!(e.file.ends_with(name), "the error names the file: {e}");
            e
        }
    }
}

/// `e` is at `line`, its problem mentions `problem` and its fix mentions `fix`.
fn assert_error(e: &PlanError, line: usize, problem: &str, fix: &str) {
    assert_eq!(e.line, line, "line of:\n{e}");
    assert!(e.column >= 1, "column of:\n{e}");
    assert!(e.problem.contains(problem), "problem {problem:?} in:\n{e}");
    assert!(e.fix.contains(fix), "fix {fix:?} in:\n{e}");
}

fn alert(kind: AlertKind, severity: u8, crisis: bool) -> Alert {
    Alert {
        id: "a1".into(),
        raised_at: Utc
            .with_ymd_and_hms(2025, 3, 1, 12, 0, 0)
            .single()
            .expect("time"),
        channel: ChannelId::from("twitter"),
        kind,
        crisis,
        severity,
        summary: String::new(),
        terms: Vec::new(),
        evidence: Vec::new(),
        amplifiers: Vec::new(),
    }
}

// ─── The example plan ───────────────────────────────────────────────────────────────

#[test]
fn the_example_plan_is_valid_and_summarised_for_plan_check() {
    let summary = match check_file(&example_path()) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(summary.brand, "Acme Coffee");
    assert_eq!(summary.people.len(), 8);
    let levels: Vec<u8> = summary.severities.iter().map(|s| s.0).collect();
    assert_eq!(levels, [1, 2, 3, 4]);
    assert_eq!(summary.languages, ["en", "it", "es", "pl", "de"]);
    assert_eq!(summary.statements, 20);
    let printed = summary.to_string();
    assert!(
        printed.contains("valid crisis plan for Acme Coffee"),
        "{printed}"
    );
    assert!(printed.contains("4 Critical: 7 steps"), "{printed}");
}

#[test]
fn the_example_plan_staffs_every_role_with_fictional_people() {
    let plan = example();
    for role in Role::ALL {
        assert!(!plan.people_with_role(role).is_empty(), "{role} is staffed");
    }
    assert!(
        plan.people_with_role(Role::CrisisLead).len() >= 2,
        "a deputy"
    );
    assert!(plan
        .people
        .iter()
        .all(|p| p.email.ends_with("@example.com")));
}

#[test]
fn the_example_plan_has_a_holding_statement_in_every_language_and_renders_it() {
    let plan = example();
    for lang in ["en", "it", "es", "pl", "de"] {
        for kind in StatementKind::ALL {
            assert!(plan.statement(kind, lang).is_some(), "{kind:?} in {lang}");
        }
    }
    let t = plan.templates();
    let ctx = serde_json::json!({
        "brand": "Acme Coffee",
        "issue": "niektóre zamówienia się spóźniają",
        "action": "x",
        "next_update": "15:00",
        "help_account": "@AcmeCoffeeHelp",
    });
    let out = t
        .render("holding_statement", "pl", &ctx)
        .map_err(|e| e.to_string());
    assert!(
        out.as_ref()
            .is_ok_and(|s| s.contains("15:00") && s.contains("@AcmeCoffeeHelp")),
        "{out:?}"
    );
    // The built-in reply templates are still there.
    assert!(t
        .list()
        .iter()
        .any(|(n, l)| n == "acknowledge" && l == "de"));
}

#[test]
fn the_example_plan_never_allows_deleting_and_blocks_only_as_last_resort() {
    let plan = example();
    assert!(!plan.rules.allow_delete_negative);
    assert!(plan.rules.block_after_contact_attempts >= 1);
    let hide = plan.approvals_for(ApprovalAction::Hide, 1);
    assert_eq!(hide.len(), 1, "hiding always needs a second person");
    let statement = plan.approvals_for(ApprovalAction::Statement, 3);
    assert_eq!(statement.first().map(|a| a.min_approvers), Some(2));
    assert!(plan.approvals_for(ApprovalAction::Statement, 2).is_empty());
}

#[test]
fn an_alert_gets_the_highest_severity_whose_criteria_it_meets() {
    let plan = example();
    let level = |a: Alert| plan.severity_for(&a).map(|s| s.level);
    assert_eq!(level(alert(AlertKind::NegativeSurge, 4, true)), Some(4));
    assert_eq!(level(alert(AlertKind::NegativeSurge, 3, true)), Some(3));
    assert_eq!(level(alert(AlertKind::Amplification, 3, false)), Some(3));
    assert_eq!(level(alert(AlertKind::NegativeShare, 2, false)), Some(2));
    assert_eq!(level(alert(AlertKind::VolumeSpike, 2, false)), Some(1));
    assert_eq!(level(alert(AlertKind::PositiveSpike, 4, false)), None);
}

#[test]
fn each_severity_has_a_checklist_with_owners_and_an_escalation() {
    let plan = example();
    for level in 1..=4 {
        let steps = plan.checklist(level);
        assert!(!steps.is_empty(), "level {level}");
        assert!(steps.windows(2).all(|w| w[0].within_min <= w[1].within_min));
        for s in &steps {
            assert!(!plan.resolve(&[&s.owner]).is_empty(), "owner {}", s.owner);
        }
        let e = plan.escalation_for(level).expect("escalation");
        assert!(e.ack_within_min > 0);
    }
    let critical = plan.escalation_for(4).expect("level 4");
    let notified: Vec<&str> = plan
        .resolve(&critical.notify)
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    assert!(notified.contains(&"robert") && notified.contains(&"elena"));
    assert!(plan.official_speaks(3) && !plan.official_speaks(2));
}

#[test]
fn the_plan_feeds_the_response_targets_and_the_reply_linter() {
    let plan = example();
    assert_eq!(plan.sla_targets(), SlaTargets::default());
    let deadlines = plan.allowed_deadlines();
    for d in [
        "entro 24 ore",
        "within 15 minutes",
        "within 4 hours",
        "within 7 days",
    ] {
        assert!(deadlines.iter().any(|x| x == d), "{d} in {deadlines:?}");
    }
    assert_eq!(plan.do_not_promise().len(), 25);

    let linter = Linter::new(None);
    let ctx = plan.lint_context();
    let promise = |draft: &str| {
        linter
            .lint(draft, &ctx)
            .iter()
            .any(|f| f.rule == Rule::Promise)
    };
    assert!(promise(
        "Ciao Anna, ci scusiamo: ci sarà un rimborso per tutti."
    ));
    assert!(!promise(
        "Hi Anna, we're sorry. We'll get back to you within 24 hours."
    ));
}

#[test]
fn the_minimal_plan_is_valid() {
    if let Err(e) = parse(&minimal_text(), "minimal.toml") {
        panic!("{e}");
    }
}

// ─── Ten broken plans ───────────────────────────────────────────────────────────────

#[test]
fn broken_01_an_unknown_role_is_rejected_with_the_roles_there_are() {
    let e = broken("01-unknown-role.toml");
    assert_error(
        &e,
        15,
        "unknown variant `social_media_ninja`",
        "use one of `crisis_lead`, `community_manager`",
    );
}

#[test]
fn broken_02_a_step_owner_must_be_a_person_or_a_role() {
    let e = broken("02-owner-is-nobody.toml");
    assert_error(
        &e,
        35,
        "step owner `marketing` is neither a person id nor a role",
        "use a person id (giulia, marta) or a role (crisis_lead",
    );
}

#[test]
fn broken_03_severity_levels_are_unique() {
    let e = broken("03-duplicate-severity.toml");
    assert_error(
        &e,
        29,
        "severity level 1 is declared twice (first on line 19)",
        "different level",
    );
}

#[test]
fn broken_04_criteria_name_alert_kinds_the_detectors_raise() {
    let e = broken("04-unknown-alert-kind.toml");
    assert_error(
        &e,
        31,
        "unknown variant `negative_spike`",
        "`negative_surge`, `volume_spike`, `negative_share`, `amplification`",
    );
}

#[test]
fn broken_05_acknowledgement_needs_time() {
    let e = broken("05-ack-zero.toml");
    assert_error(
        &e,
        47,
        "ack_within_min is 0 for severity 3",
        "ack_within_min = 10",
    );
}

#[test]
fn broken_06_every_declared_language_has_a_holding_statement() {
    let e = broken("06-holding-missing-language.toml");
    assert_error(
        &e,
        54,
        "no holding statement in `pl`",
        "add pl = \"...\" under [statements.holding]",
    );
}

#[test]
fn broken_07_statements_use_only_declared_placeholders() {
    let e = broken("07-undeclared-placeholder.toml");
    assert_error(
        &e,
        55,
        "the holding statement in `en` uses the undeclared placeholder `next_update_time`",
        "(issue, next_update)",
    );
}

#[test]
fn broken_08_the_first_response_comes_before_the_private_follow_up() {
    let e = broken("08-targets-out-of-order.toml");
    assert_error(
        &e,
        64,
        "p2: first_response_min (60) is later than private_follow_up_min (45)",
        "answer in public first, then follow up in private",
    );
}

#[test]
fn broken_09_private_channels_are_dm_email_or_phone() {
    let e = broken("09-unknown-private-channel.toml");
    assert_error(
        &e,
        59,
        "`whatsapp` is not a private channel",
        "\"dm\", \"email\" or \"phone\"",
    );
    assert_eq!(e.column, 27, "points at the value itself");
}

#[test]
fn broken_10_a_plan_that_allows_deleting_negative_comments_is_refused_with_the_reason() {
    let e = broken("10-allows-deleting-negative.toml");
    assert_error(
        &e,
        59,
        "allows deleting negative comments",
        "allow_delete_negative = false",
    );
    assert!(e.problem.contains("censorship"), "the reason is given: {e}");
}

#[test]
fn errors_read_file_line_column_problem_then_fix() {
    let e = broken("05-ack-zero.toml");
    let shown = e.to_string();
    let (head, fix) = shown.split_once('\n').expect("two lines");
    assert!(
        head.ends_with("broken/05-ack-zero.toml:47:1: ack_within_min is 0 for severity 3: nobody could ever acknowledge in time"),
        "{head}"
    );
    assert!(fix.starts_with("  fix: "), "{fix}");
}

// ─── More rules ─────────────────────────────────────────────────────────────────────

#[test]
fn a_plan_of_another_version_is_refused() {
    let e = rejected_text(&variant("plan_version = 1", "plan_version = 2"));
    assert_error(&e, 2, "plan_version 2 is not supported", "plan_version = 1");
}

#[test]
fn a_plan_without_version_is_refused() {
    let e = rejected_text(&variant("plan_version = 1\n", ""));
    assert_error(
        &e,
        1,
        "missing field `plan_version`",
        "add plan_version = 1",
    );
}

#[test]
fn toml_syntax_errors_are_located() {
    let e = rejected_text(&variant("name = \"Marta Ortega\"", "name = \"Marta Ortega"));
    assert_eq!(e.line, 14, "{e}");
    assert!(e.fix.contains("TOML"), "{e}");
}

#[test]
fn unknown_keys_are_refused_with_the_keys_there_are() {
    let e = rejected_text(&variant("within_min = 20", "within_min = 20\nwhithin = 3"));
    assert_error(
        &e,
        37,
        "unknown field `whithin`",
        "expected one of `task`, `owner`",
    );
}

#[test]
fn person_ids_are_unique() {
    let e = rejected_text(&variant("id = \"marta\"", "id = \"giulia\""));
    assert_error(
        &e,
        13,
        "person id `giulia` is used twice (first on line 7)",
        "different id",
    );
}

#[test]
fn contacts_have_real_looking_email_addresses() {
    let e = rejected_text(&variant("marta@example.com", "marta(at)example.com"));
    assert_error(&e, 16, "is not an e-mail address", "name@example.com");
}

#[test]
fn a_role_named_in_a_policy_must_be_held_by_someone() {
    let e = rejected_text(&variant(
        "escalate_to = [\"giulia\"]",
        "escalate_to = [\"legal\"]",
    ));
    assert_error(
        &e,
        49,
        "escalate_to entry `legal` is a role that nobody in the team has",
        "add `legal` to the roles",
    );
}

#[test]
fn severity_levels_run_from_1_to_4() {
    let e = rejected_text(&variant("level = 3", "level = 5"));
    assert_error(
        &e,
        29,
        "severity level 5 is out of range",
        "1 (watch) to 4 (critical)",
    );
}

#[test]
fn every_severity_has_criteria() {
    let e = rejected_text(&variant(
        "criteria = [{ crisis = true, min_severity = 3 }]",
        "criteria = []",
    ));
    assert_error(&e, 31, "severity 3 has no criteria", "criteria = [");
}

#[test]
fn statements_are_valid_templates() {
    let e = rejected_text(&variant(
        "Prossimo aggiornamento alle {{ next_update }}.",
        "Prossimo aggiornamento alle {{ next_update }.",
    ));
    assert_error(
        &e,
        56,
        "the holding statement in `it` is not a valid template",
        "{{ name }}",
    );
}

#[test]
fn blocking_stays_the_last_resort() {
    let e = rejected_text(&variant(
        "[rules]\n",
        "[rules]\nblock_after_contact_attempts = 0\n",
    ));
    assert_error(&e, 59, "blocking is the last resort", "at least 1");
}

#[test]
fn every_problem_is_reported_in_file_order() {
    let text = variant("ack_within_min = 10", "ack_within_min = 0").replace(
        "private_channels = [\"dm\", \"email\"]",
        "private_channels = [\"fax\"]",
    );
    let all = diagnose(&text, "plan.toml");
    let lines: Vec<usize> = all.iter().map(|e| e.line).collect();
    assert_eq!(lines, [47, 59], "{all:?}");
}

#[test]
fn an_unreadable_file_is_named() {
    let e = match load(Path::new("/nonexistent/plan.toml")) {
        Ok(_) => panic!("no such file"),
        Err(e) => e,
    };
    assert_eq!((e.line, e.column), (0, 0));
    assert!(e
        .to_string()
        .starts_with("/nonexistent/plan.toml: cannot read the plan"));
}
