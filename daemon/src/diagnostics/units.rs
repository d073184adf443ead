//! Human units in the config: durations (`"12h"`, `"500ms"`) and sizes (`"20MB"`).

use std::time::Duration;

/// What to write instead of a bad duration.
const DURATION_FIX: &str = "write a positive duration like \"30s\" or \"5m\"";

/// Parses a duration such as `"30s"`, `"12h"`, `"1h 30m"` or `"0s"`. The error says, in words,
/// why the text is not a duration and what to write instead.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    use humantime::DurationError as E;
    let t = s.trim();
    humantime::parse_duration(t).map_err(|e| {
        let why = match e {
            _ if t.starts_with('-') => " (a duration cannot be negative)".to_owned(),
            E::Empty => " (it is empty)".to_owned(),
            E::UnknownUnit { unit, .. } if unit.is_empty() => {
                " (the number needs a unit: ms, s, m, h or d)".to_owned()
            }
            E::UnknownUnit { unit, .. } => {
                format!(" ({unit:?} is not a unit; use ms, s, m, h or d)")
            }
            E::NumberOverflow => " (the number is too large)".to_owned(),
            E::InvalidCharacter(at) | E::NumberExpected(at) => {
                match t.get(at..).and_then(|r| r.chars().next()) {
                    Some(c) if c.is_ascii_digit() => String::new(),
                    Some(c) => format!(" ({c:?} is not expected there)"),
                    None => String::new(),
                }
            }
        };
        format!("{s:?} is not a duration{why}; {DURATION_FIX}")
    })
}

/// Parses a size such as `"20MB"`, `"512KiB"` or `"1000000"` (bytes).
pub fn parse_size(s: &str) -> Result<u64, String> {
    const FIX: &str = "write a size like \"20MB\" or \"512KiB\"";
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| {
        let why = if t.starts_with('-') {
            " (a size cannot be negative)"
        } else {
            " (it must start with a number)"
        };
        format!("{s:?} is not a size{why}; {FIX}")
    })?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1_000,
        "mb" | "m" => 1_000_000,
        "gb" | "g" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "{s:?} is not a size ({other:?} is not a unit; use B, KB, MB, GB, KiB, MiB or GiB); {FIX}"
            ))
        }
    };
    Ok((n * mult as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert!(parse_duration("soon").is_err());
        for (input, want) in [
            (
                "-5s",
                "\"-5s\" is not a duration (a duration cannot be negative); write a positive duration like \"30s\" or \"5m\"",
            ),
            ("30", "\"30\" is not a duration (the number needs a unit: ms, s, m, h or d); "),
            ("5 parsecs", "(\"parsecs\" is not a unit; use ms, s, m, h or d)"),
            ("soon", "\"soon\" is not a duration (\'s\' is not expected there); "),
            ("", "\"\" is not a duration (it is empty); "),
            ("99999999999999999999999h", "(the number is too large)"),
        ] {
            let e = parse_duration(input).expect_err(input);
            assert!(e.contains(want), "{input:?}: {e}");
        }
        assert_eq!(
            parse_size("-5MB").expect_err("negative"),
            "\"-5MB\" is not a size (a size cannot be negative); write a size like \"20MB\" or \"512KiB\""
        );
        assert_eq!(parse_size("20MB"), Ok(20_000_000));
        assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("1.5 MB"), Ok(1_500_000));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("20 parsecs").is_err());
        assert!(parse_size("MB").is_err());
    }
}
