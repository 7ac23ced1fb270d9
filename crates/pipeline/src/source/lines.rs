//! Reading lines with a size limit: an over-long line is skipped without
//! being buffered whole, so one absurd line cannot exhaust memory.

use std::io::{self, BufRead};

/// One line read by [`LineReader`].
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// The line's bytes (without the newline) are in the caller's buffer.
    Ok,
    /// The line was longer than the limit; its bytes were discarded.
    TooLong(usize),
}

pub struct LineReader<R> {
    inner: R,
    limit: usize,
    /// Bytes consumed so far, newlines included.
    pub bytes_read: u64,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R, limit: usize) -> Self {
        LineReader {
            inner,
            limit,
            bytes_read: 0,
        }
    }

    /// Reads the next line into `buf` (cleared first). Returns `None` at the end.
    /// A trailing `\r` is removed.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Line>> {
        buf.clear();
        let mut len = 0usize;
        let mut too_long = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                if len == 0 {
                    return Ok(None);
                }
                break;
            }
            let (chunk, found) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], Some(i + 1)),
                None => (available, None),
            };
            len += chunk.len();
            if !too_long {
                if len > self.limit {
                    too_long = true;
                    buf.clear();
                } else {
                    buf.extend_from_slice(chunk);
                }
            }
            let consumed = found.unwrap_or(available.len());
            self.inner.consume(consumed);
            self.bytes_read += consumed as u64;
            if found.is_some() {
                break;
            }
        }
        if too_long {
            return Ok(Some(Line::TooLong(len)));
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Ok(Some(Line::Ok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &[u8], limit: usize) -> Vec<Result<String, usize>> {
        let mut r = LineReader::new(io::BufReader::with_capacity(4, input), limit);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(line) = r.next_line(&mut buf).expect("read") {
            out.push(match line {
                Line::Ok => Ok(String::from_utf8_lossy(&buf).into_owned()),
                Line::TooLong(n) => Err(n),
            });
        }
        out
    }

    #[test]
    fn splits_lines_across_small_buffers_and_strips_crlf() {
        assert_eq!(
            read_all(b"abc\r\ndefgh\n\nlast", 100),
            vec![
                Ok("abc".into()),
                Ok("defgh".into()),
                Ok("".into()),
                Ok("last".into())
            ]
        );
    }

    #[test]
    fn skips_over_long_lines_and_goes_on() {
        assert_eq!(
            read_all(b"short\n0123456789abcdef\nok\n", 8),
            vec![Ok("short".into()), Err(16), Ok("ok".into())]
        );
    }
}
