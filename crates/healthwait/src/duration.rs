//! Durations as operators write them: `250ms`, `2s`, `1m`, `1m30s`; a bare number means seconds.

use std::time::Duration;

/// Parses a duration; the error says what was wrong and how to write it.
pub fn parse(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if let Ok(secs) = t.parse::<f64>() {
        if (0.0..1e9).contains(&secs) {
            return Ok(Duration::from_secs_f64(secs));
        }
    }
    humantime::parse_duration(t).map_err(|e| {
        format!("invalid duration '{s}': {e} (write it like 250ms, 2s, 1m or a number of seconds)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert!(parse("soon").is_err());
        assert!(parse("-1").is_err());
    }
}
