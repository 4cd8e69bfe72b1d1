use super::*;
use proptest::prelude::*;

fn code_of(v: &Value) -> i64 {
    v["error"]["code"].as_i64().expect("an error")
}

#[test]
fn ordinary_calls_are_forwarded_byte_for_byte() {
    for body in [
        &br#"{"jsonrpc":"2.0","method":"m","params":[1],"id":1}"#[..],
        br#"{"jsonrpc":"2.0","method":"m","id":"x"}"#,
        br#"{"jsonrpc":"2.0","method":"m","params":{},"id":null}"#,
        br#"[{"jsonrpc":"2.0","method":"m","id":1},{"jsonrpc":"2.0","method":"n","id":2}]"#,
    ] {
        assert_eq!(
            plan(body),
            Plan::Forward {
                body: body.to_vec(),
                fix: None
            }
        );
    }
}

#[test]
fn bad_ids_and_shapes_are_invalid_requests_with_id_null() {
    for body in [
        &br#"{"jsonrpc":"2.0","method":"m","id":{"a":1}}"#[..],
        br#"{"jsonrpc":"2.0","method":"m","id":[1]}"#,
        br#"{"jsonrpc":"2.0","method":"m","id":true}"#,
        br#"{"jsonrpc":"2.0","method":"m","id":1e400}"#,
        br#"{"jsonrpc":"2.0","method":"m","id":18446744073709551616}"#,
        br#"{"jsonrpc":"2.0","method":"m","id":1.5}"#,
        br#"{"jsonrpc":"1.0","method":"m","id":1}"#,
        br#"{"method":"m","id":1}"#,
        br#"{"jsonrpc":"2.0","method":1,"params":"bar"}"#,
        br#"{"jsonrpc":"2.0","method":"m","params":"bar","id":1}"#,
        br#"[]"#,
        br#"7"#,
        br#""a string""#,
        br#"null"#,
    ] {
        let Plan::Answer(200, answer) = plan(body) else {
            panic!("{}", String::from_utf8_lossy(body))
        };
        assert_eq!(code_of(&answer), -32600, "{answer}");
        assert_eq!(answer["id"], Value::Null);
    }
    let Plan::Answer(200, answer) =
        plan(br#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#)
    else {
        panic!("parse error")
    };
    assert_eq!(code_of(&answer), -32700);
}

#[test]
fn notifications_and_negative_ids_are_carried_and_put_back() {
    let body = br#"[{"jsonrpc":"2.0","method":"a","id":-5},{"jsonrpc":"2.0","method":"b"},1]"#;
    let Plan::Forward {
        body,
        fix: Some(fix),
    } = plan(body)
    else {
        panic!("forwarded")
    };
    let sent: Value = serde_json::from_slice(&body).expect("json");
    let ours: Vec<String> = sent
        .as_array()
        .expect("a batch")
        .iter()
        .map(|m| m["id"].as_str().expect("ours").to_owned())
        .collect();
    assert_eq!(ours.len(), 2, "the invalid member is not forwarded");
    let answer = json!([
        {"jsonrpc": "2.0", "result": 1, "id": ours[0]},
        {"jsonrpc": "2.0", "result": 2, "id": ours[1]},
    ]);
    let fixed = apply(&fix, answer.to_string().as_bytes()).expect("an answer");
    let fixed = fixed.as_array().expect("a batch");
    assert_eq!(
        fixed.len(),
        2,
        "the notification's response is removed: {fixed:?}"
    );
    assert_eq!(fixed[0]["id"], json!(-5));
    assert_eq!(code_of(&fixed[1]), -32600);

    // Notifications only: nothing at all.
    let body = br#"[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b","params":[]}]"#;
    let Plan::Forward {
        body,
        fix: Some(fix),
    } = plan(body)
    else {
        panic!("forwarded")
    };
    let sent: Value = serde_json::from_slice(&body).expect("json");
    let answer: Vec<Value> = sent
        .as_array()
        .expect("batch")
        .iter()
        .map(|m| json!({"jsonrpc": "2.0", "result": null, "id": m["id"]}))
        .collect();
    assert_eq!(
        apply(&fix, Value::Array(answer).to_string().as_bytes()),
        None
    );
}

#[test]
fn a_client_id_that_looks_like_ours_comes_back_unchanged() {
    let id = format!("{OURS}0");
    let body = json!({"jsonrpc": "2.0", "method": "m", "id": id}).to_string();
    let Plan::Forward {
        body,
        fix: Some(fix),
    } = plan(body.as_bytes())
    else {
        panic!("carried")
    };
    let sent: Value = serde_json::from_slice(&body).expect("json");
    let answer = json!({"jsonrpc": "2.0", "result": 3, "id": sent["id"]});
    let fixed = apply(&fix, answer.to_string().as_bytes()).expect("answered");
    assert_eq!(fixed["id"], json!(id));
}

proptest! {
    /// Any bytes: a plan, never a panic; and what is answered at once is an error object
    /// (or a batch of them) with id null.
    #[test]
    fn any_body_gets_a_plan(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Plan::Answer(_, answer) = plan(&bytes) {
            let all = match &answer {
                Value::Array(a) => a.clone(),
                one => vec![one.clone()],
            };
            for a in all {
                prop_assert!(a["error"]["code"].is_i64());
                prop_assert_eq!(&a["id"], &Value::Null);
            }
        }
    }

    /// Any JSON value as an id: forwarded, or refused as an invalid request.
    #[test]
    fn any_id_is_carried_or_refused(id in prop_oneof![
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".*".prop_map(|s| json!(s)),
        Just(json!(null)), Just(json!([])), Just(json!({})), Just(json!(false)),
    ]) {
        let body = json!({"jsonrpc": "2.0", "method": "m", "id": id}).to_string();
        match plan(body.as_bytes()) {
            Plan::Forward { body, fix } => {
                let sent: Value = serde_json::from_slice(&body).expect("json");
                let answer = json!({"jsonrpc": "2.0", "result": 0, "id": sent["id"]});
                let back = match fix {
                    Some(fix) => apply(&fix, answer.to_string().as_bytes()).expect("answered"),
                    None => answer,
                };
                prop_assert_eq!(&back["id"], &id);
            }
            Plan::Answer(status, answer) => {
                prop_assert_eq!(status, 200);
                prop_assert_eq!(answer["error"]["code"].as_i64(), Some(-32600));
            }
        }
    }
}
