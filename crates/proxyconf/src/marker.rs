//! The trailing comment that marks what upstream-toggle disabled.

use crate::server::Marker;
use std::ops::Range;
use std::time::SystemTime;

const TAG: &[u8] = b"# upstream-toggle: disabled";

/// The text appended at the end of a disabled server's last line; `lines` > 1 records how many
/// lines a commented-out directive spans, so it is read back exactly.
pub fn render(now: SystemTime, reason: Option<&str>, lines: usize) -> String {
    let mut s = format!(
        " {} {}",
        String::from_utf8_lossy(TAG),
        humantime::format_rfc3339_seconds(now)
    );
    if lines > 1 {
        s.push_str(&format!(" lines={lines}"));
    }
    if let Some(r) = reason.map(clean_reason).filter(|r| !r.is_empty()) {
        s.push(' ');
        s.push_str(&r);
    }
    s
}

/// A reason stays on one line and holds no control characters.
pub fn clean_reason(reason: &str) -> String {
    reason
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Finds a marker in `line` (a line's content range); returns the bytes to remove and its fields.
pub fn find(bytes: &[u8], line: Range<usize>) -> Option<(Range<usize>, Marker)> {
    let text = &bytes[line.clone()];
    // `render` always puts a blank before the tag; without one, the text sits inside a word.
    let at = text
        .windows(TAG.len())
        .enumerate()
        .rev()
        .find(|(k, w)| {
            *w == TAG && (line.start + k == 0 || matches!(bytes[line.start + k - 1], b' ' | b'\t'))
        })
        .map(|(k, _)| k)?;
    let tag_start = line.start + at;
    // The one space `render` puts before the tag may sit just outside the comment's span.
    let remove_start = if tag_start > 0 && bytes[tag_start - 1] == b' ' {
        tag_start - 1
    } else {
        tag_start
    };
    let rest = String::from_utf8_lossy(&bytes[tag_start + TAG.len()..line.end]);
    let mut words = rest.trim().splitn(2, ' ');
    let at = words.next().unwrap_or_default().to_string();
    let mut tail = words.next().unwrap_or_default().trim();
    let mut lines = 1;
    if let Some(n) = tail
        .split(' ')
        .next()
        .and_then(|w| w.strip_prefix("lines="))
        .and_then(|n| n.parse().ok())
    {
        lines = n;
        tail = tail.split_once(' ').map_or("", |(_, r)| r.trim());
    }
    let reason = Some(tail.to_string()).filter(|r| !r.is_empty());
    Some((remove_start..line.end, Marker { at, reason, lines }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_then_find() {
        let m = render(SystemTime::UNIX_EPOCH, Some("deploy\n42"), 3);
        let line = format!("server x;{m}");
        let (range, marker) = find(line.as_bytes(), 0..line.len()).expect("found");
        assert_eq!(&line[..range.start], "server x;");
        assert_eq!(marker.at, "1970-01-01T00:00:00Z");
        assert_eq!(marker.reason.as_deref(), Some("deploy 42"));
        assert_eq!(marker.lines, 3);
    }
}
