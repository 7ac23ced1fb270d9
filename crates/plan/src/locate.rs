//! Finding the place of a key in the plan text, for validation errors.
//!
//! The plan is deserialised into plain types; validation names the offending value by
//! its path in the document (`person[2].email`). [`Spans`] keeps the spanned TOML tree
//! (`toml::de::DeTable`) and turns such a path into a byte offset: the key itself when
//! the path ends in a key, the element when it ends in an index. When the path goes
//! further than the document (a key that is missing), the deepest part that exists is
//! used, so a missing key points at its table.

use std::fmt;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One step of a path: a key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl From<&str> for Seg {
    fn from(k: &str) -> Seg {
        Seg::Key(k.to_owned())
    }
}

impl From<String> for Seg {
    fn from(k: String) -> Seg {
        Seg::Key(k)
    }
}

impl From<usize> for Seg {
    fn from(i: usize) -> Seg {
        Seg::Index(i)
    }
}

/// A path to a value of the document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    /// The path with `seg` appended.
    pub fn and(&self, seg: impl Into<Seg>) -> KeyPath {
        let mut v = self.0.clone();
        v.push(seg.into());
        KeyPath(v)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Builds a [`KeyPath`]: `kp!["person", 2, "email"]`.
macro_rules! kp {
    ($($s:expr),* $(,)?) => {
        $crate::locate::KeyPath(vec![$($crate::locate::Seg::from($s)),*])
    };
}
pub(crate) use kp;

/// The spanned document.
pub struct Spans<'i> {
    root: Spanned<DeTable<'i>>,
}

impl<'i> Spans<'i> {
    pub fn parse(text: &'i str) -> Result<Spans<'i>, toml::de::Error> {
        Ok(Spans {
            root: DeTable::parse(text)?,
        })
    }

    /// Byte offset where `path` is written (see the module docs).
    pub fn offset(&self, path: &KeyPath) -> usize {
        let mut best = self.root.span().start;
        let mut table: Option<&DeTable<'i>> = Some(self.root.get_ref());
        let mut value: Option<&Spanned<DeValue<'i>>> = None;
        for seg in &path.0 {
            match seg {
                Seg::Key(k) => {
                    let t = match (table, value) {
                        (Some(t), _) => t,
                        (None, Some(v)) => match v.get_ref().as_table() {
                            Some(t) => t,
                            None => return best,
                        },
                        (None, None) => return best,
                    };
                    let Some((key, v)) = t.iter().find(|(key, _)| key.get_ref() == k) else {
                        return best;
                    };
                    best = key.span().start;
                    table = None;
                    value = Some(v);
                }
                Seg::Index(i) => {
                    let Some(arr) = value.and_then(|v| v.get_ref().as_array()) else {
                        return best;
                    };
                    let Some(v) = arr.get(*i) else {
                        return best;
                    };
                    best = v.span().start;
                    table = None;
                    value = Some(v);
                }
            }
        }
        best
    }
}
