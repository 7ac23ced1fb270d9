//! [`PlanError`]: a located problem with its fix.

use std::fmt;

/// A problem in a plan file: where it is, what is wrong, and how to fix it.
///
/// Displayed as `FILE:LINE:COL: problem` followed by `  fix: ...` on the next line.
/// `line` and `column` are 1-based; `column` counts characters. Errors that are not
/// about a place in the file (the file cannot be read) have `line` and `column` 0 and
/// display as `FILE: problem`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PlanError {
    /// The file name as given (or the name passed to [`crate::parse`]).
    pub file: String,
    /// 1-based line; 0 when the problem is not at a place in the file.
    pub line: usize,
    /// 1-based column (characters); 0 when the problem is not at a place in the file.
    pub column: usize,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}\n  fix: {}", self.file, self.problem, self.fix)
        } else {
            write!(
                f,
                "{}:{}:{}: {}\n  fix: {}",
                self.file, self.line, self.column, self.problem, self.fix
            )
        }
    }
}

impl PlanError {
    pub(crate) fn at(text: &str, file: &str, offset: usize, problem: String, fix: String) -> Self {
        let (line, column) = line_col(text, offset);
        PlanError {
            file: file.to_owned(),
            line,
            column,
            problem,
            fix,
        }
    }

    /// A TOML syntax or type error, located by its span.
    pub(crate) fn from_toml(text: &str, file: &str, e: &toml::de::Error) -> Self {
        let problem = e.message().trim().to_owned();
        let fix = fix_for_toml(&problem);
        match e.span() {
            Some(span) => PlanError::at(text, file, span.start, problem, fix),
            None => PlanError {
                file: file.to_owned(),
                line: 1,
                column: 1,
                problem,
                fix,
            },
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn fix_for_toml(message: &str) -> String {
    let expected = message
        .split("expected ")
        .nth(1)
        .map(|s| s.trim().trim_end_matches('.').to_owned());
    if message.contains("unknown field") {
        return match expected {
            Some(e) => format!("remove the key or correct its spelling; expected {e}"),
            None => "remove the key or correct its spelling".into(),
        };
    }
    if message.contains("unknown variant") {
        return match expected {
            Some(e) => format!("use one of {}", e.trim_start_matches("one of ")),
            None => "use one of the documented values".into(),
        };
    }
    if message.contains("missing field `plan_version`") {
        return format!(
            "add plan_version = {} as the first key of the plan",
            crate::PLAN_VERSION
        );
    }
    if message.contains("missing field") {
        return "add the key (see examples/plan.toml for every key, with comments)".into();
    }
    if message.contains("invalid type") {
        return "give the value the type shown (strings in quotes, numbers without, lists in [ ])"
            .into();
    }
    if message.contains("duplicate key") {
        return "keep one of the two keys".into();
    }
    "correct the TOML syntax at that position (see https://toml.io)".into()
}
