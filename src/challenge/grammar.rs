//! The `WWW-Authenticate` grammar (RFC 9110 §11.6.1), read leniently: challenges separated
//! by commas, parameters by commas or (as Azure Storage writes them) spaces, quoted strings
//! with backslash escapes, and `Scheme token68`. Knows nothing about Entra.

use super::invalid;
use crate::error::Result;

/// One challenge as written: the scheme and its parameters (token68 values are dropped).
pub(super) struct Raw<'a> {
    pub(super) scheme: &'a str,
    pub(super) params: Vec<(&'a str, String)>,
    token68: bool,
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Splits the value into challenges. Slices are taken only at ASCII bytes, so every index is
/// a char boundary.
pub(super) fn tokenize(input: &str) -> Result<Vec<Raw<'_>>> {
    let b = input.as_bytes();
    let mut out: Vec<Raw<'_>> = Vec::new();
    let mut i = 0;
    loop {
        let mut comma = false;
        while i < b.len() && (is_space(b[i]) || b[i] == b',') {
            comma |= b[i] == b',';
            i += 1;
        }
        if i == b.len() {
            return Ok(out);
        }
        let start = i;
        while i < b.len() && is_tchar(b[i]) {
            i += 1;
        }
        if i == start {
            return Err(invalid(format!("has an unexpected character at byte {i}")));
        }
        let token = &input[start..i];
        let mut j = i;
        while j < b.len() && is_space(b[j]) {
            j += 1;
        }
        if j < b.len() && b[j] == b'=' {
            let Some(current) = out.last_mut() else {
                return Err(invalid("has a parameter before any scheme"));
            };
            i = j + 1;
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            let value = if i < b.len() && b[i] == b'"' {
                quoted(input, &mut i)?
            } else {
                let start = i;
                while i < b.len() && !is_space(b[i]) && b[i] != b',' {
                    i += 1;
                }
                input[start..i].to_owned()
            };
            current.params.push((token, value));
        } else {
            i = j;
            match out.last_mut() {
                // `Scheme token68`: a bare token right after the scheme belongs to it.
                Some(c) if !comma && c.params.is_empty() && !c.token68 => c.token68 = true,
                _ => out.push(Raw {
                    scheme: token,
                    params: Vec::new(),
                    token68: false,
                }),
            }
        }
    }
}

/// Reads a quoted string starting at the `"` at `*i`, undoing backslash escapes.
fn quoted(input: &str, i: &mut usize) -> Result<String> {
    let mut value = String::new();
    let mut escaped = false;
    for (offset, c) in input[*i + 1..].char_indices() {
        match c {
            _ if escaped => {
                value.push(c);
                escaped = false;
            }
            '\\' => escaped = true,
            '"' => {
                *i += 1 + offset + 1;
                return Ok(value);
            }
            _ => value.push(c),
        }
    }
    Err(invalid("has an unterminated quoted string"))
}
