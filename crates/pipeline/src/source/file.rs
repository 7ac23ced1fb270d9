//! Mention files: JSONL v1 or CSV, from a path or stdin, decoded line by line.
//! Bad lines are reported with their line number and skipped; they never stop
//! the read.

use std::io::{self, BufRead};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use firebreak_core::wire::{decode_jsonl, CsvLayout};
use firebreak_core::{DecodeError, Mention, MAX_LINE_BYTES};
use tokio::sync::mpsc;

use super::lines::{Line, LineReader};
use crate::Envelope;

/// The format of a mention file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
}

impl Format {
    /// Guesses from a file name: `.csv` is CSV, anything else JSONL.
    pub fn from_path(path: &str) -> Format {
        if path.to_ascii_lowercase().ends_with(".csv") {
            Format::Csv
        } else {
            Format::Jsonl
        }
    }
}

/// Replays in event time: a mention created `d` after the first one is sent
/// `d / speed` after the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    pub speed: f64,
}

#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Mentions per batch sent into the pipeline.
    pub batch_size: usize,
    pub pace: Option<Pace>,
    /// When set to true (e.g. on Ctrl-C), reading stops at the next line;
    /// what was read so far is still sent.
    pub stop: Option<Arc<AtomicBool>>,
}

impl ReadOptions {
    fn stopped(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
    }
}

/// A line that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub source: String,
    /// 1-based line number (for CSV, the line where the record starts).
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceStats {
    /// Non-empty lines (records) read.
    pub records: u64,
    pub decoded: u64,
    pub rejected: u64,
    /// Reading was stopped before the end of the input.
    pub interrupted: bool,
}

/// Why a source stopped early.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("reading {source_name}: {error}")]
    Io {
        source_name: String,
        error: io::Error,
    },
    #[error("{0}: the header row is not usable: {1}")]
    Header(String, DecodeError),
    #[error("the pipeline has shut down")]
    Closed,
}

struct Batcher<'a> {
    tx: &'a mpsc::Sender<Envelope>,
    batch: Vec<Mention>,
    batch_size: usize,
    pace: Option<(Pace, Instant, Option<DateTime<Utc>>)>,
}

impl Batcher<'_> {
    fn push(&mut self, mention: Mention) -> Result<(), SourceError> {
        if let Some((pace, start, first)) = &mut self.pace {
            let first = *first.get_or_insert(mention.created_at);
            let offset = (mention.created_at - first)
                .to_std()
                .unwrap_or(Duration::ZERO);
            let due = *start + offset.div_f64(pace.speed.max(1e-9));
            let now = Instant::now();
            if due > now {
                self.flush()?;
                std::thread::sleep(due - now);
            }
        }
        self.batch.push(mention);
        if self.batch.len() >= self.batch_size {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), SourceError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.batch_size));
        self.tx
            .blocking_send(Envelope::new(batch))
            .map_err(|_| SourceError::Closed)
    }
}

/// Reads every mention of `input` into the pipeline. Blocking: call it from a
/// blocking thread (`tokio::task::spawn_blocking`). `progress` counts bytes
/// read; `on_reject` sees each bad line as it is found.
pub fn read_mentions(
    input: impl BufRead,
    source_name: &str,
    format: Format,
    options: &ReadOptions,
    tx: &mpsc::Sender<Envelope>,
    progress: &AtomicU64,
    on_reject: &mut dyn FnMut(Rejection),
) -> Result<SourceStats, SourceError> {
    let batch_size = options.batch_size.max(1);
    let mut batcher = Batcher {
        tx,
        batch: Vec::with_capacity(batch_size),
        batch_size,
        pace: options.pace.map(|p| (p, Instant::now(), None)),
    };
    let io_err = |error| SourceError::Io {
        source_name: source_name.to_owned(),
        error,
    };
    let mut stats = SourceStats::default();
    let mut reject = |stats: &mut SourceStats, line: u64, reason: String| {
        stats.rejected += 1;
        on_reject(Rejection {
            source: source_name.to_owned(),
            line,
            reason,
        });
    };
    match format {
        Format::Jsonl => {
            let mut reader = LineReader::new(input, MAX_LINE_BYTES);
            let mut buf = Vec::with_capacity(4096);
            let mut line_no = 0u64;
            let mut last_progress = 0u64;
            while let Some(line) = reader.next_line(&mut buf).map_err(io_err)? {
                if options.stopped() {
                    stats.interrupted = true;
                    break;
                }
                line_no += 1;
                if reader.bytes_read - last_progress > 1 << 20 {
                    progress.fetch_add(reader.bytes_read - last_progress, Ordering::Relaxed);
                    last_progress = reader.bytes_read;
                }
                match line {
                    Line::TooLong(len) => {
                        stats.records += 1;
                        reject(
                            &mut stats,
                            line_no,
                            DecodeError::TooLong {
                                len,
                                limit: MAX_LINE_BYTES,
                            }
                            .to_string(),
                        );
                    }
                    Line::Ok => {
                        if buf.iter().all(u8::is_ascii_whitespace) {
                            continue;
                        }
                        stats.records += 1;
                        match decode_jsonl(&buf) {
                            Ok(m) => {
                                stats.decoded += 1;
                                batcher.push(m)?;
                            }
                            Err(e) => reject(&mut stats, line_no, e.to_string()),
                        }
                    }
                }
            }
            progress.fetch_add(reader.bytes_read - last_progress, Ordering::Relaxed);
        }
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(input);
            let mut record = csv::ByteRecord::new();
            let mut layout: Option<CsvLayout> = None;
            let mut last_progress = 0u64;
            loop {
                if options.stopped() {
                    stats.interrupted = true;
                    break;
                }
                let line = reader.position().line();
                match reader.read_byte_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {}
                    Err(e) => {
                        if let csv::ErrorKind::Io(_) = e.kind() {
                            return Err(io_err(io::Error::other(e.to_string())));
                        }
                        stats.records += 1;
                        reject(&mut stats, line, format!("CSV: {e}"));
                        continue;
                    }
                }
                let pos = reader.position().byte();
                if pos - last_progress > 1 << 20 {
                    progress.fetch_add(pos - last_progress, Ordering::Relaxed);
                    last_progress = pos;
                }
                let Some(layout) = &layout else {
                    layout = Some(
                        CsvLayout::from_header(&record)
                            .map_err(|e| SourceError::Header(source_name.to_owned(), e))?,
                    );
                    continue;
                };
                if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                    continue;
                }
                stats.records += 1;
                match layout.decode(&record) {
                    Ok(m) => {
                        stats.decoded += 1;
                        batcher.push(m)?;
                    }
                    Err(e) => reject(&mut stats, line, e.to_string()),
                }
            }
            progress.fetch_add(reader.position().byte() - last_progress, Ordering::Relaxed);
        }
    }
    batcher.flush()?;
    Ok(stats)
}
