//! BER to DER re-encoding for PFX files.
//!
//! PKCS#12 allows BER, and some producers (older Java keytool, NSS `pk12util`, some
//! appliances) write indefinite lengths and segmented (constructed) OCTET STRINGs. Go's and
//! other DER-only readers refuse those files; we re-encode them as DER and read them normally.
//! The MAC covers the *value* of the authenticated-safe OCTET STRING, which re-encoding keeps.
//!
//! Pure, bounded: nesting depth is capped and output never exceeds the input's size plus the
//! few bytes per element that definite lengths add.

use crate::error::{Error, Result};

/// Deeper nesting than any PFX needs; stops stack exhaustion on hostile input.
const MAX_DEPTH: usize = 32;

const OCTET_STRING_CONSTRUCTED: u8 = 0x24;

/// Re-encodes BER as DER. Fails on anything that is not well-formed BER.
pub(crate) fn to_der(input: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len());
    let rest = element(input, &mut out, 0)?;
    if !rest.is_empty() {
        return Err(Error::malformed("trailing bytes after the PFX"));
    }
    Ok(out)
}

/// Re-encodes one element from the start of `input`, returning the unread rest.
fn element<'a>(input: &'a [u8], out: &mut Vec<u8>, depth: usize) -> Result<&'a [u8]> {
    if depth > MAX_DEPTH {
        return Err(Error::malformed("BER nested too deeply"));
    }
    let (tag, rest) = read_tag(input)?;
    let constructed = tag[0] & 0x20 != 0;
    let (length, mut rest) = read_length(rest)?;
    let mut content = Vec::new();
    match (constructed, length) {
        (false, None) => {
            return Err(Error::malformed(
                "indefinite length on a primitive BER value",
            ))
        }
        (false, Some(len)) => {
            let (value, after) = split(rest, len)?;
            content.extend_from_slice(value);
            rest = after;
        }
        (true, Some(len)) => {
            let (mut inner, after) = split(rest, len)?;
            while !inner.is_empty() {
                inner = element(inner, &mut content, depth + 1)?;
            }
            rest = after;
        }
        (true, None) => loop {
            if rest.starts_with(&[0, 0]) {
                rest = &rest[2..];
                break;
            }
            if rest.is_empty() {
                return Err(Error::malformed("BER value is truncated"));
            }
            rest = element(rest, &mut content, depth + 1)?;
        },
    }
    if tag.len() == 1 && tag[0] == OCTET_STRING_CONSTRUCTED {
        // A segmented OCTET STRING: DER wants one primitive string of the joined segments.
        let joined = join_octet_segments(&content)?;
        out.push(0x04);
        write_length(out, joined.len());
        out.extend_from_slice(&joined);
    } else {
        out.extend_from_slice(tag);
        write_length(out, content.len());
        out.extend_from_slice(&content);
    }
    Ok(rest)
}

/// The concatenated values of the (already DER) OCTET STRING segments in `content`.
fn join_octet_segments(mut content: &[u8]) -> Result<Vec<u8>> {
    let mut joined = Vec::with_capacity(content.len());
    while !content.is_empty() {
        let (tag, rest) = read_tag(content)?;
        if tag != [0x04] {
            return Err(Error::malformed(
                "segmented OCTET STRING holds a non-octet segment",
            ));
        }
        let (len, rest) = read_length(rest)?;
        let (value, rest) = split(
            rest,
            len.ok_or_else(|| Error::malformed("BER segment length"))?,
        )?;
        joined.extend_from_slice(value);
        content = rest;
    }
    Ok(joined)
}

fn read_tag(input: &[u8]) -> Result<(&[u8], &[u8])> {
    let first = *input
        .first()
        .ok_or_else(|| Error::malformed("BER value is truncated"))?;
    let mut len = 1;
    if first & 0x1f == 0x1f {
        // High tag number: continuation bytes have the top bit set.
        loop {
            let b = *input
                .get(len)
                .ok_or_else(|| Error::malformed("BER tag is truncated"))?;
            len += 1;
            if b & 0x80 == 0 {
                break;
            }
            if len > 5 {
                return Err(Error::malformed("BER tag too long"));
            }
        }
    }
    Ok(input.split_at(len))
}

/// `None` for the indefinite form.
fn read_length(input: &[u8]) -> Result<(Option<usize>, &[u8])> {
    let first = *input
        .first()
        .ok_or_else(|| Error::malformed("BER length is truncated"))?;
    let rest = &input[1..];
    if first < 0x80 {
        return Ok((Some(usize::from(first)), rest));
    }
    if first == 0x80 {
        return Ok((None, rest));
    }
    let count = usize::from(first & 0x7f);
    if count > 4 || rest.len() < count {
        return Err(Error::malformed("BER length"));
    }
    let len = rest[..count]
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Ok((Some(len), &rest[count..]))
}

fn split(input: &[u8], len: usize) -> Result<(&[u8], &[u8])> {
    if input.len() < len {
        return Err(Error::malformed("PFX structure is truncated"));
    }
    Ok(input.split_at(len))
}

fn write_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    out.push(0x80 | (bytes.len() - skip) as u8);
    out.extend_from_slice(&bytes[skip..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indefinite_lengths_and_segments_become_der() {
        // SEQUENCE (indefinite) { OCTET STRING constructed (indefinite) { "ab", "c" }, INTEGER 5 }
        let ber = [
            0x30, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0x00, 0x00, 0x02,
            0x01, 0x05, 0x00, 0x00,
        ];
        let der = to_der(&ber).unwrap();
        assert_eq!(
            der,
            [0x30, 0x08, 0x04, 0x03, b'a', b'b', b'c', 0x02, 0x01, 0x05]
        );
    }

    #[test]
    fn der_is_unchanged() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0xff];
        assert_eq!(to_der(&der).unwrap(), der);
    }

    #[test]
    fn hostile_inputs_fail_cleanly() {
        assert!(to_der(&[0x30, 0x80]).is_err());
        assert!(to_der(&[0x04, 0x80, 0x00, 0x00]).is_err());
        assert!(to_der(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        let deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 100).flatten().collect();
        assert!(to_der(&deep).is_err());
    }
}
