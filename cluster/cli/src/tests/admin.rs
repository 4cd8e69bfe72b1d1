//! `bitai admin status`'s tables: every node, role (with its versions), lease and queue of
//! the answer is printed, and absent counters read `?`.

use crate::admin::format_status;
use bitai_rpc::admin::types::NodeSelf;
use bitai_rpc::admin::{AdminStatus, ClusterNodeInfo, LeaseInfo, QueueDepths, RoleInfo};

#[test]
fn the_status_tables_show_every_node_role_lease_and_queue() {
    let status = AdminStatus {
        node: NodeSelf {
            kind: "chain".into(),
            version: "0.1.0".into(),
            uptime_ms: 61_500,
            rpc: Some("http://127.0.0.1:9280".into()),
            cluster: None,
        },
        nodes: vec![ClusterNodeInfo {
            name: "gpu-1".into(),
            kind: "prover".into(),
            version: "0.1.0".into(),
            address: "127.0.0.1:40000".into(),
            connected_ms: 3_000,
            last_heartbeat_ms: Some(400),
            leases: 1,
        }],
        roles: vec![RoleInfo {
            name: "sequencer-9c41e0a8b2d7".into(),
            version: "full-blocks".into(),
            versions: vec!["full-blocks".into(), "interval".into()],
            running: true,
            restarts: 2,
            buffered: None,
            delivered: Some(17),
            refused: Some(0),
        }],
        leases: vec![LeaseInfo {
            kind: "proof".into(),
            holder: "gpu-1".into(),
            subject: "9c41e0a8/7".into(),
            heartbeat_ms: Some(400),
        }],
        queues: QueueDepths {
            prover_pending: 3,
            ..QueueDepths::default()
        },
    };
    let table = format_status(&status);
    for text in [
        "kind chain",
        "up 61.5s",
        "cluster off",
        "gpu-1",
        "prover",
        "127.0.0.1:40000",
        "sequencer-9c41e0a8b2d7",
        "full-blocks,interval",
        "9c41e0a8/7",
        "prover pending 3",
    ] {
        assert!(table.contains(text), "{text:?} missing from\n{table}");
    }
    let role_line = table
        .lines()
        .find(|l| l.contains("sequencer-9c41e0a8b2d7"))
        .expect("the role's line");
    assert!(
        role_line.contains(" ? "),
        "an absent counter reads ?: {role_line}"
    );
}
