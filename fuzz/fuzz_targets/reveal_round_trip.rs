//! Arbitrary payloads through the reveal builder and back through the parser: every payload
//! comes back whole, in order, as a BitAI envelope with no flag set.

#![no_main]

use bitai_protocol::envelope::{parse_tapscript, EnvelopeFlags, ParseLimits, Reveal};
use bitcoin::key::{Keypair, Secp256k1, XOnlyPublicKey};
use bitcoin::secp256k1::All;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// A signing context and key, made once (context creation dominates a run otherwise).
fn context() -> &'static (Secp256k1<All>, XOnlyPublicKey) {
    static CONTEXT: OnceLock<(Secp256k1<All>, XOnlyPublicKey)> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let secp = Secp256k1::new();
        let keypair = Keypair::from_seckey_slice(&secp, &[9; 32]).expect("a valid key");
        let key = keypair.x_only_public_key().0;
        (secp, key)
    })
}

fuzz_target!(|data: &[u8]| {
    // The first byte splits the rest into up to four payloads.
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let cuts = usize::from(split % 4);
    let step = rest.len() / (cuts + 1);
    let payloads: Vec<&[u8]> = (0..=cuts)
        .map(|i| {
            let end = if i == cuts {
                rest.len()
            } else {
                (i + 1) * step
            };
            &rest[i * step..end]
        })
        .collect();
    let (secp, key) = context();
    let key = *key;
    let reveal = Reveal::new(secp, key, &payloads).expect("payloads within the limit");
    let found = parse_tapscript(&reveal.script, 0, &ParseLimits::default())
        .expect("the builder's script parses");
    assert_eq!(found.len(), payloads.len());
    for (envelope, payload) in found.iter().zip(&payloads) {
        assert!(envelope.is_bitai());
        assert_eq!(envelope.flags, EnvelopeFlags::default());
        assert_eq!(envelope.body_bytes(), Some(*payload));
        assert_eq!(envelope.reveal_key, Some(key.serialize()));
    }
});
