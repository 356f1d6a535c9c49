//! A certificate subject from the `CN=app,O=Contoso,C=US` form people type (RFC 4514 order,
//! most specific first, as the portal and `inspect` show it). Pure.

use crate::error::{Error, Result};

/// The attributes a subject may name, with their X.520 upper bounds on length.
const ATTRIBUTES: &[(&str, usize)] = &[
    ("CN", 64),
    ("O", 64),
    ("OU", 64),
    ("C", 2),
    ("ST", 128),
    ("L", 128),
];

const HOW: &str =
    "write the subject like CN=my-daemon,O=Contoso,C=US (attributes CN, O, OU, C, ST, L)";

/// Parses the subject into `(attribute, value)` pairs in the order written. `CN` is required,
/// each attribute may appear once, `\` escapes the next character, and spaces around names,
/// values and commas are ignored.
pub(crate) fn parse(subject: &str) -> Result<Vec<(&'static str, String)>> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for part in split_unescaped(subject)? {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| bad(format!("`{}` is not NAME=value", part.trim())))?;
        let name = name.trim();
        let &(attr, max) = ATTRIBUTES
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(name))
            .ok_or_else(|| bad(format!("unknown attribute `{name}`")))?;
        let value = unescape(value.trim())?;
        if value.is_empty() {
            return Err(bad(format!("{attr} is empty")));
        }
        if value.chars().count() > max {
            return Err(bad(format!("{attr} is longer than {max} characters")));
        }
        if value.chars().any(char::is_control) {
            return Err(bad(format!("{attr} contains a control character")));
        }
        if attr == "C" && !value.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(bad(
                "C must be a two-letter country code such as US".to_owned()
            ));
        }
        if out.iter().any(|(a, _)| *a == attr) {
            return Err(bad(format!("{attr} appears twice")));
        }
        let value = if attr == "C" {
            value.to_ascii_uppercase()
        } else {
            value
        };
        out.push((attr, value));
    }
    if !out.iter().any(|(a, _)| *a == "CN") {
        return Err(bad("CN is missing".to_owned()));
    }
    Ok(out)
}

fn bad(what: String) -> Error {
    Error::config(format!("invalid subject: {what}; {HOW}"))
}

/// Splits on commas not preceded by a backslash; keeps escapes for [`unescape`].
fn split_unescaped(subject: &str) -> Result<Vec<&str>> {
    if subject.trim().is_empty() {
        return Err(bad("it is empty".to_owned()));
    }
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in subject.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ',' => {
                parts.push(&subject[start..i]);
                start = i + 1;
            }
            '+' => {
                return Err(bad(
                    "multi-valued names (`+`) are not supported; escape a literal + as \\+"
                        .to_owned(),
                ))
            }
            _ => {}
        }
    }
    parts.push(&subject[start..]);
    Ok(parts)
}

fn unescape(value: &str) -> Result<String> {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(
                chars
                    .next()
                    .ok_or_else(|| bad("a value ends with a lone \\".to_owned()))?,
            );
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(subject: &str) -> String {
        parse(subject).unwrap_err().to_string()
    }

    #[test]
    fn common_forms() {
        assert_eq!(
            parse("CN=daemon").unwrap(),
            vec![("CN", "daemon".to_owned())]
        );
        let all =
            parse(" cn = my daemon , O=Contoso Ltd,OU=IT, c=us ,ST=Bayern,L=München").unwrap();
        assert_eq!(
            all,
            vec![
                ("CN", "my daemon".to_owned()),
                ("O", "Contoso Ltd".to_owned()),
                ("OU", "IT".to_owned()),
                ("C", "US".to_owned()),
                ("ST", "Bayern".to_owned()),
                ("L", "München".to_owned()),
            ]
        );
        assert_eq!(
            parse(r"CN=a\,b\+c\\d").unwrap(),
            vec![("CN", r"a,b+c\d".to_owned())]
        );
        assert_eq!(parse("CN=x=y").unwrap(), vec![("CN", "x=y".to_owned())]);
    }

    #[test]
    fn garbage_is_rejected_with_the_expected_form() {
        assert!(reason("").contains("it is empty; write the subject like CN="));
        assert!(reason("daemon").contains("`daemon` is not NAME=value"));
        assert!(reason("O=Contoso").contains("CN is missing"));
        assert!(reason("CN=a,E=a@b.c").contains("unknown attribute `E`"));
        assert!(reason("CN=").contains("CN is empty"));
        assert!(reason("CN=a,CN=b").contains("CN appears twice"));
        assert!(reason("CN=a,C=USA").contains("longer than 2"));
        assert!(reason("CN=a,C=1X").contains("two-letter country code"));
        assert!(reason("CN=a+O=b").contains("multi-valued"));
        assert!(reason(r"CN=a\").contains("lone"));
        assert!(reason("CN=a\u{7}b").contains("control character"));
        assert!(reason(&format!("CN={}", "x".repeat(65))).contains("longer than 64"));
        assert!(reason("CN=a,,O=b").contains("is not NAME=value"));
    }
}
