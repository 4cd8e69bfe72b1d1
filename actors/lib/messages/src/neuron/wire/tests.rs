//! Every message round-trips; a peer's bytes never panic the decoder, and every bound holds.

use super::*;
use bitai_chain::poc::ASSIGNEES;
use proptest::prelude::*;

fn chain() -> ChainId {
    ChainId(Hash32([7; 32]))
}

fn request() -> RequestRecord {
    RequestRecord {
        requester: 3,
        model: 1,
        input: Hash32([9; 32]),
        escrow: 500,
        created: 12,
        assignees: [4, 5, 6],
        commits: [Default::default(); ASSIGNEES],
        results: [Default::default(); ASSIGNEES],
        flags: 1,
    }
}

fn every_message() -> (Vec<NeuronGatewayMsg>, Vec<NeuronLinkMsg>) {
    let link = "neuron-node-1".to_owned();
    let queries = [
        Query::Params,
        Query::Head,
        Query::Assignments { account: 4 },
        Query::Model { id: 1 },
        Query::ModelBytes {
            hash: Hash32([1; 32]),
        },
        Query::RequestInput { id: 2 },
        Query::Nonce { account: 4 },
        Query::Submit(Box::new(PocOp::Settle {
            request: 2,
            part: 1,
        })),
    ];
    let mut asks: Vec<NeuronGatewayMsg> = queries
        .into_iter()
        .enumerate()
        .map(|(i, query)| NeuronGatewayMsg::Ask {
            link: link.clone(),
            id: i as u64,
            chain: chain(),
            query,
        })
        .collect();
    asks.push(NeuronGatewayMsg::Heartbeat {
        link: link.clone(),
        chain: chain(),
        accounts: vec![4, 5],
    });
    asks.push(NeuronGatewayMsg::Leave {
        link,
        chain: chain(),
        accounts: vec![4],
    });
    let answers = [
        Answer::Params(bitai_chain::poc::PocParams::DEFAULT),
        Answer::Head(9),
        Answer::Assignments(vec![(2, request()), (3, request())]),
        Answer::Model(None),
        Answer::Model(Some(ModelRecord {
            hash: Hash32([2; 32]),
            size: 100,
            owner: 1,
        })),
        Answer::Bytes(None),
        Answer::Bytes(Some(vec![1, 2, 3])),
        Answer::Nonce(4),
        Answer::Submitted(Hash32([3; 32])),
        Answer::Failed(FailureKind::Refused, "seat 1 has already committed".into()),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, answer)| NeuronLinkMsg::Answer {
        id: i as u64,
        answer,
    })
    .collect();
    (asks, answers)
}

#[test]
fn every_message_round_trips_and_local_ones_never_encode() {
    let (asks, answers) = every_message();
    for msg in asks {
        let bytes = msg.to_bytes().expect("encodes");
        assert_eq!(NeuronGatewayMsg::from_bytes(&bytes).expect("decodes"), msg);
    }
    for msg in answers {
        let bytes = msg.to_bytes().expect("encodes");
        assert_eq!(NeuronLinkMsg::from_bytes(&bytes).expect("decodes"), msg);
    }
    assert!(NeuronGatewayMsg::Sweep.to_bytes().is_none());
    assert!(NeuronLinkMsg::Beat.to_bytes().is_none());
}

#[test]
fn bounds_versions_and_trailing_bytes_are_refused() {
    let beat = NeuronGatewayMsg::Heartbeat {
        link: "l".into(),
        chain: chain(),
        accounts: vec![0; MAX_ACCOUNTS + 1],
    };
    assert!(matches!(
        NeuronGatewayMsg::from_bytes(&beat.to_bytes().expect("encodes")),
        Err(WireError::TooLong {
            what: "accounts",
            ..
        })
    ));
    let long = NeuronGatewayMsg::Ask {
        link: "x".repeat(MAX_LINK_BYTES + 1),
        id: 0,
        chain: chain(),
        query: Query::Head,
    };
    assert!(NeuronGatewayMsg::from_bytes(&long.to_bytes().expect("encodes")).is_err());
    let mut bytes = NeuronLinkMsg::Answer {
        id: 1,
        answer: Answer::Head(2),
    }
    .to_bytes()
    .expect("encodes");
    bytes.push(0);
    assert_eq!(
        NeuronLinkMsg::from_bytes(&bytes),
        Err(WireError::Trailing(1))
    );
    bytes[0] = 9;
    assert_eq!(
        NeuronLinkMsg::from_bytes(&bytes),
        Err(WireError::Version(9))
    );
    // A model answer that carries a request record is refused, not misread.
    let mut wrong = vec![PROTOCOL_VERSION, TAG_ANSWER];
    wrong.extend_from_slice(&1u64.to_le_bytes());
    wrong.push(A_MODEL);
    put_bytes(&mut wrong, &ObjectValue::Request(request()).to_bytes());
    assert!(matches!(
        NeuronLinkMsg::from_bytes(&wrong),
        Err(WireError::Field { what: "model", .. })
    ));
}

proptest! {
    #[test]
    fn a_peers_bytes_never_panic_the_decoders(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = NeuronGatewayMsg::from_bytes(&bytes);
        let _ = NeuronLinkMsg::from_bytes(&bytes);
    }

    #[test]
    fn a_flipped_message_never_panics_the_decoders(flip in 0usize..64, bit in 0u8..8) {
        let (asks, answers) = every_message();
        for msg in asks {
            let mut bytes = msg.to_bytes().expect("encodes");
            let i = flip % bytes.len();
            bytes[i] ^= 1 << bit;
            let _ = NeuronGatewayMsg::from_bytes(&bytes);
        }
        for msg in answers {
            let mut bytes = msg.to_bytes().expect("encodes");
            let i = flip % bytes.len();
            bytes[i] ^= 1 << bit;
            let _ = NeuronLinkMsg::from_bytes(&bytes);
        }
    }
}

#[test]
fn every_cut_of_every_message_is_refused() {
    let (asks, answers) = every_message();
    for msg in asks {
        let bytes = msg.to_bytes().expect("encodes");
        for cut in 0..bytes.len() {
            assert!(
                NeuronGatewayMsg::from_bytes(&bytes[..cut]).is_err(),
                "{msg:?} cut at {cut}"
            );
        }
    }
    for msg in answers {
        let bytes = msg.to_bytes().expect("encodes");
        for cut in 0..bytes.len() {
            assert!(
                NeuronLinkMsg::from_bytes(&bytes[..cut]).is_err(),
                "{msg:?} cut at {cut}"
            );
        }
    }
}
