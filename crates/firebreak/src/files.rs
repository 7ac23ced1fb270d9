//! Feeding mention files (or stdin) into a pipeline, with a progress bar and
//! every rejected line reported as `FILE:LINE: reason`.

use std::io::{BufRead, BufReader, IsTerminal};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use firebreak_pipeline::source::{read_mentions, Format, Pace, ReadOptions, SourceStats};
use firebreak_pipeline::Envelope;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatArg {
    Jsonl,
    Csv,
}

/// What to read and how.
pub struct Feed {
    pub files: Vec<String>,
    pub format: Option<FormatArg>,
    pub batch_size: usize,
    pub pace: Option<Pace>,
    pub progress: bool,
    /// Set on Ctrl-C: stop reading, store what was read.
    pub stop: Option<Arc<AtomicBool>>,
}

/// What a pipeline reads.
pub enum Input {
    Files(Feed),
}

fn format_of(name: &str, arg: Option<FormatArg>) -> Format {
    match arg {
        Some(FormatArg::Jsonl) => Format::Jsonl,
        Some(FormatArg::Csv) => Format::Csv,
        None => Format::from_path(name),
    }
}

/// Reads the input into `tx` on a blocking thread. Fails only when a file
/// cannot be opened or read; bad lines are reported and counted.
pub async fn feed(input: Input, tx: mpsc::Sender<Envelope>) -> Result<SourceStats> {
    match input {
        Input::Files(feed) => feed_files(feed, tx).await,
    }
}

async fn feed_files(feed: Feed, tx: mpsc::Sender<Envelope>) -> Result<SourceStats> {
    // Check every file up front: a typo in the third name should not leave
    // the first two imported and the command failed.
    let mut total_bytes = 0u64;
    for name in &feed.files {
        if name == "-" {
            continue;
        }
        let meta = std::fs::metadata(name).with_context(|| format!("cannot read {name}"))?;
        if meta.is_dir() {
            bail!("{name} is a directory; pass the files inside it (e.g. {name}/*.jsonl)");
        }
        total_bytes += meta.len();
    }
    if feed.files.iter().filter(|f| *f == "-").count() > 1 {
        bail!("stdin (-) can be read only once");
    }
    let reads_stdin = feed.files.iter().any(|f| f == "-");
    let show =
        feed.progress && std::io::stderr().is_terminal() && (reads_stdin || total_bytes > 8 << 20);
    let bar = if show {
        let bar = if reads_stdin {
            ProgressBar::new_spinner()
        } else {
            ProgressBar::new(total_bytes)
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let bytes = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let ticker = {
        let (bar, bytes, done) = (bar.clone(), bytes.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                bar.set_position(bytes.load(Ordering::Relaxed));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let reader_bar = bar.clone();
    let stats = tokio::task::spawn_blocking(move || -> Result<SourceStats> {
        let options = ReadOptions {
            batch_size: feed.batch_size,
            pace: feed.pace,
            stop: feed.stop.clone(),
        };
        let mut total = SourceStats::default();
        for name in &feed.files {
            let format = format_of(name, feed.format);
            let input: Box<dyn BufRead> = if name == "-" {
                Box::new(BufReader::with_capacity(1 << 20, std::io::stdin()))
            } else {
                let file =
                    std::fs::File::open(name).with_context(|| format!("cannot open {name}"))?;
                Box::new(BufReader::with_capacity(1 << 20, file))
            };
            let shown = if name == "-" { "stdin" } else { name.as_str() };
            let stats = read_mentions(input, shown, format, &options, &tx, &bytes, &mut |r| {
                reader_bar.suspend(|| eprintln!("{}:{}: {}", r.source, r.line, r.reason))
            })?;
            total.records += stats.records;
            total.decoded += stats.decoded;
            total.rejected += stats.rejected;
            if stats.interrupted {
                total.interrupted = true;
                break;
            }
        }
        Ok(total)
    })
    .await;
    done.store(true, Ordering::Relaxed);
    let _ = ticker.await;
    bar.finish_and_clear();
    stats?
}
