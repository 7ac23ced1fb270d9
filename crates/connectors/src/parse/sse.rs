//! An incremental Server-Sent Events parser (the `text/event-stream` format of the HTML
//! standard), as Mastodon's streaming API speaks it.
//!
//! Feed it the bytes as they arrive, in chunks split anywhere (in the middle of a line, of a
//! CRLF, of a UTF-8 character); it returns the events completed so far. Lines end with LF,
//! CRLF or CR. Comment lines (`:thump`, Mastodon's heartbeat) are ignored, `data` lines
//! accumulate (joined with `\n`), a blank line dispatches the event. Memory is bounded: an
//! event larger than [`MAX_EVENT_BYTES`] is dropped (and counted), never buffered whole.

/// The largest event kept, in bytes (its field lines together). Larger ones are dropped.
pub const MAX_EVENT_BYTES: usize = 1 << 20;

/// One event of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event` field; `message` when the event had none.
    pub event: String,
    /// The `data` lines, joined with `\n`.
    pub data: String,
    /// The last event id seen on the stream (the `id` field persists across events, as the
    /// standard says), for `Last-Event-ID` on reconnection.
    pub id: Option<String>,
}

/// The incremental parser. See the module documentation.
#[derive(Debug, Default)]
pub struct SseParser {
    /// The current line, without its end.
    line: Vec<u8>,
    /// Bytes of the current line, counted even when the line is being discarded.
    line_len: usize,
    /// The current line is a comment (starts with `:`).
    comment: bool,
    /// The previous chunk ended with CR: a LF at the start of the next one belongs to it.
    pending_cr: bool,
    /// Whether the first line of the stream (which may start with a BOM) is done.
    past_first_line: bool,
    event: String,
    data: String,
    last_id: Option<String>,
    retry_ms: Option<u64>,
    /// Bytes of the current event so far.
    event_bytes: usize,
    /// The current event went over the limit: skip to its end.
    overflow: bool,
    dropped: u64,
}

impl SseParser {
    pub fn new() -> SseParser {
        SseParser::default()
    }

    /// Parses the next chunk of the stream; returns the events it completed.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        let mut rest = bytes;
        if self.pending_cr && !rest.is_empty() {
            self.pending_cr = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        while !rest.is_empty() {
            match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
                None => {
                    self.append(rest);
                    break;
                }
                Some(at) => {
                    self.append(&rest[..at]);
                    let eol = rest[at];
                    rest = &rest[at + 1..];
                    if eol == b'\r' {
                        match rest.first() {
                            None => self.pending_cr = true,
                            Some(b'\n') => rest = &rest[1..],
                            Some(_) => {}
                        }
                    }
                    self.end_line(&mut out);
                }
            }
        }
        out
    }

    /// The reconnection time the server asked for with a `retry` field, in milliseconds.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry_ms
    }

    /// How many events were dropped for being larger than [`MAX_EVENT_BYTES`].
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The last event id seen, for `Last-Event-ID` when reconnecting.
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    fn append(&mut self, part: &[u8]) {
        if part.is_empty() {
            return;
        }
        if self.line_len == 0 {
            self.comment = part[0] == b':';
        }
        self.line_len = self.line_len.saturating_add(part.len());
        if self.comment {
            // Heartbeats arrive between events for hours: they are neither kept nor counted.
            return;
        }
        self.event_bytes = self.event_bytes.saturating_add(part.len());
        if self.event_bytes > MAX_EVENT_BYTES {
            if !self.overflow {
                self.overflow = true;
                self.data = String::new();
                self.event = String::new();
            }
            self.line = Vec::new();
        } else if !self.overflow {
            self.line.extend_from_slice(part);
        }
    }

    fn end_line(&mut self, out: &mut Vec<SseEvent>) {
        let blank = self.line_len == 0;
        let mut line = std::mem::take(&mut self.line);
        self.line_len = 0;
        if !self.past_first_line {
            self.past_first_line = true;
            if line.starts_with(b"\xEF\xBB\xBF") {
                line.drain(..3);
            }
        }
        if blank {
            self.dispatch(out);
            return;
        }
        if self.overflow || std::mem::take(&mut self.comment) {
            return;
        }
        // Count the line end too, so that many empty data lines are bounded as well.
        self.event_bytes = self.event_bytes.saturating_add(1);
        self.field(&line);
    }

    fn field(&mut self, line: &[u8]) {
        if line.first() == Some(&b':') {
            return; // a comment: Mastodon's `:thump` heartbeat
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(at) => {
                let value = &line[at + 1..];
                (&line[..at], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        let value = String::from_utf8_lossy(value);
        match name {
            b"event" => self.event = value.into_owned(),
            b"data" => {
                self.data.push_str(&value);
                self.data.push('\n');
            }
            b"id" if !value.contains('\0') => {
                self.last_id = if value.is_empty() {
                    None
                } else {
                    Some(value.into_owned())
                };
            }
            b"retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retry_ms = value.parse().ok();
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        let event = std::mem::take(&mut self.event);
        let mut data = std::mem::take(&mut self.data);
        let overflowed = self.overflow;
        self.overflow = false;
        self.event_bytes = 0;
        if overflowed {
            self.dropped += 1;
            return;
        }
        if data.is_empty() {
            return;
        }
        if data.ends_with('\n') {
            data.pop();
        }
        out.push(SseEvent {
            event: if event.is_empty() {
                "message".to_owned()
            } else {
                event
            },
            data,
            id: self.last_id.clone(),
        });
    }
}
