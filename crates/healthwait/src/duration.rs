//! Durations as operators write them: `250ms`, `2s`, `1m`, `1m30s`; a bare number means seconds.

use std::time::Duration;

/// A duration that cannot be read; the message says what was wrong and how to write it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid duration '{text}': {reason} (write it like 250ms, 2s, 1m or a number of seconds)")]
pub struct ParseError {
    /// The text as given.
    pub text: String,
    /// What humantime found wrong with it.
    pub reason: humantime::DurationError,
}

/// Parses a duration; the error says what was wrong and how to write it.
pub fn parse(s: &str) -> Result<Duration, ParseError> {
    let t = s.trim();
    if let Ok(secs) = t.parse::<f64>() {
        if (0.0..1e9).contains(&secs) {
            return Ok(Duration::from_secs_f64(secs));
        }
    }
    humantime::parse_duration(t).map_err(|reason| ParseError {
        text: s.to_string(),
        reason,
    })
}

/// A duration as people read it: `340ms`, `1.2s`, `2m05s` (never `1ms 776us 855ns`).
pub fn round(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 && ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else if ms < 60_000 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        let s = d.as_secs();
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounded() {
        assert_eq!(round(Duration::from_micros(1776)), "1ms");
        assert_eq!(round(Duration::from_millis(1234)), "1.2s");
        assert_eq!(round(Duration::from_secs(20)), "20s");
        assert_eq!(round(Duration::from_secs(125)), "2m05s");
    }

    #[test]
    fn forms() {
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert!(parse("soon").is_err());
        assert!(parse("-1").is_err());
        assert_eq!(
            parse("soon").map_err(|e| e.to_string()),
            Err("invalid duration 'soon': expected number at 0 (write it like 250ms, 2s, 1m or a number of seconds)".into())
        );
    }
}
