//! The second pass: turns the byte range of one complete envelope into an [`Envelope`]. It
//! pairs tags with values until the body tag, takes fields as ord takes them (first value of
//! single-valued tags, every parent, chunked tags concatenated, the rest left over), sums the
//! body length, and only then assembles the body, once, if it is within the limit. Nothing is
//! allocated beyond the fields themselves and the body.

use bitcoin::script::Script;

use super::instructions::{Instruction, Instructions};
use super::scan::{pushnum_value, RawEnvelope};
use super::{
    tag, Body, Envelope, EnvelopeFlags, Field, Fields, ParseLimits, BITAI_METAPROTOCOL,
    MAX_KEPT_UNKNOWN_FIELDS,
};

/// The pushes of an envelope's payload with their byte offsets, push numbers as their value.
/// The range was walked by the scan already, so every instruction in it parses and is a push
/// or a push number; anything else would be skipped.
fn payload_pushes(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    Instructions::new(bytes).filter_map(|item| match item {
        Ok((position, Instruction::Push(push))) => Some((position, push)),
        Ok((position, Instruction::Op(op))) => pushnum_value(op).map(|v| (position, v)),
        Err(_) => None,
    })
}

/// Single-valued tags ord takes, in the order of [`Singles::values`].
const SINGLE_TAGS: [u8; 7] = [
    tag::CONTENT_TYPE,
    tag::POINTER,
    tag::METAPROTOCOL,
    tag::CONTENT_ENCODING,
    tag::DELEGATE,
    tag::RUNE,
    tag::PROPERTY_ENCODING,
];

#[derive(Default)]
struct Singles<'a> {
    values: [Option<&'a [u8]>; SINGLE_TAGS.len()],
}

impl<'a> Singles<'a> {
    fn get(&self, tag: u8) -> Option<Vec<u8>> {
        let index = SINGLE_TAGS.iter().position(|&t| t == tag)?;
        self.values
            .get(index)
            .copied()
            .flatten()
            .map(<[u8]>::to_vec)
    }
}

/// Collects fields pair by pair.
#[derive(Default)]
struct FieldReader<'a> {
    singles: Singles<'a>,
    parents: Vec<&'a [u8]>,
    metadata: Vec<&'a [u8]>,
    properties: Vec<&'a [u8]>,
    /// Pairs ord does not take, in script order.
    leftover: Vec<(&'a [u8], &'a [u8])>,
    /// Tags of unknown pairs, to find repeats among them.
    unknown_tags: Vec<&'a [u8]>,
    duplicate_field: bool,
}

impl<'a> FieldReader<'a> {
    fn add(&mut self, tag_bytes: &'a [u8], value: &'a [u8]) {
        let known = match tag_bytes {
            [one] => Some(*one),
            _ => None,
        };
        let single = known.and_then(|t| SINGLE_TAGS.iter().position(|&s| s == t));
        if let Some(slot) = single.and_then(|index| self.singles.values.get_mut(index)) {
            if slot.is_none() {
                *slot = Some(value);
            } else {
                self.duplicate_field = true;
                self.leftover.push((tag_bytes, value));
            }
            return;
        }
        let list = match known {
            Some(tag::PARENT) => &mut self.parents,
            Some(tag::METADATA) => &mut self.metadata,
            Some(tag::PROPERTIES) => &mut self.properties,
            _ => {
                self.leftover.push((tag_bytes, value));
                self.unknown_tags.push(tag_bytes);
                return;
            }
        };
        list.push(value);
        if list.len() > 1 {
            self.duplicate_field = true;
        }
    }

    fn finish(mut self) -> (Fields, bool, bool) {
        self.unknown_tags.sort_unstable();
        let repeated_unknown = self.unknown_tags.windows(2).any(|pair| pair[0] == pair[1]);
        let duplicate_field = self.duplicate_field || repeated_unknown;
        let unrecognized_even_field = self
            .leftover
            .iter()
            .any(|(tag, _)| tag.first().is_some_and(|lsb| lsb % 2 == 0));
        let fields = Fields {
            content_type: self.singles.get(tag::CONTENT_TYPE),
            pointer: self.singles.get(tag::POINTER),
            parents: self.parents.iter().map(|value| value.to_vec()).collect(),
            metadata: concat(&self.metadata),
            metaprotocol: self.singles.get(tag::METAPROTOCOL),
            content_encoding: self.singles.get(tag::CONTENT_ENCODING),
            delegate: self.singles.get(tag::DELEGATE),
            rune: self.singles.get(tag::RUNE),
            properties: concat(&self.properties),
            property_encoding: self.singles.get(tag::PROPERTY_ENCODING),
            unknown: self
                .leftover
                .iter()
                .take(MAX_KEPT_UNKNOWN_FIELDS)
                .map(|(tag, value)| Field {
                    tag: tag.to_vec(),
                    value: value.to_vec(),
                })
                .collect(),
            unknown_count: self.leftover.len(),
        };
        (fields, duplicate_field, unrecognized_even_field)
    }
}

/// Concatenates the chunks of a chunked tag; `None` when the tag is absent.
fn concat(chunks: &[&[u8]]) -> Option<Vec<u8>> {
    if chunks.is_empty() {
        return None;
    }
    Some(chunks.concat())
}

/// Where an envelope's fields and body are.
pub(super) struct Located {
    pub input: u32,
    pub offset: u32,
    pub reveal_key: Option<[u8; 32]>,
}

/// Reads one complete envelope of `script`.
pub(super) fn decode(
    script: &Script,
    raw: &RawEnvelope,
    at: Located,
    limits: &ParseLimits,
) -> Envelope {
    let payload = script
        .as_bytes()
        .get(raw.start..raw.end)
        .unwrap_or_default();
    let mut reader = FieldReader::default();
    let mut pending_tag: Option<&[u8]> = None;
    let mut in_body = false;
    let mut body_from: Option<usize> = None;
    let mut body_len = 0usize;
    for (position, push) in payload_pushes(payload) {
        if in_body {
            body_from.get_or_insert(position);
            body_len += push.len();
        } else if let Some(tag_bytes) = pending_tag.take() {
            reader.add(tag_bytes, push);
        } else if push.is_empty() {
            in_body = true;
        } else {
            pending_tag = Some(push);
        }
    }
    let incomplete_field = pending_tag.is_some();
    let (fields, duplicate_field, unrecognized_even_field) = reader.finish();

    let body = if !in_body {
        Body::Absent
    } else {
        let is_bitai = fields.metaprotocol.as_deref() == Some(BITAI_METAPROTOCOL);
        let max = if is_bitai {
            limits.max_bitai_body_bytes
        } else {
            limits.max_body_bytes
        };
        if body_len > max {
            Body::OverLimit { len: body_len, max }
        } else {
            let mut bytes = Vec::with_capacity(body_len);
            let rest = body_from
                .and_then(|from| payload.get(from..))
                .unwrap_or_default();
            for (_, push) in payload_pushes(rest) {
                bytes.extend_from_slice(push);
            }
            Body::Bytes(bytes)
        }
    };

    Envelope {
        input: at.input,
        offset: at.offset,
        reveal_key: at.reveal_key,
        fields,
        body,
        flags: EnvelopeFlags {
            duplicate_field,
            incomplete_field,
            unrecognized_even_field,
            pushnum: raw.pushnum,
            stutter: raw.stutter,
        },
    }
}
