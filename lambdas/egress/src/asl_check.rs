//! Structural checks of the workflow template: every path ends in a defined state, every task
//! has its failure handled, and retries name exactly the errors worth retrying.

use std::collections::{BTreeSet, VecDeque};

use serde_json::Value;

use crate::error::ErrorKind;

fn rendered() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../statemachine/egress_workflow.asl.json"
    );
    let text = std::fs::read_to_string(path).expect("read the ASL template");
    let text = text
        .replace("${review_timeout_seconds}", "1814400")
        .replace("${execution_timeout_seconds}", "3715200");
    serde_json::from_str(&text).expect("the rendered template is JSON")
}

fn targets(state: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |v: &Value| {
        if let Some(name) = v.as_str() {
            out.push(name.to_owned());
        }
    };
    push(&state["Next"]);
    push(&state["Default"]);
    for choice in state["Choices"].as_array().into_iter().flatten() {
        push(&choice["Next"]);
    }
    for catch in state["Catch"].as_array().into_iter().flatten() {
        push(&catch["Next"]);
    }
    out
}

#[test]
fn has_comment_and_overall_timeout() {
    let asl = rendered();
    assert!(asl["Comment"].is_string());
    assert!(asl["TimeoutSeconds"]
        .as_u64()
        .is_some_and(|t| t > 2 * 1_814_400));
}

#[test]
fn every_transition_names_an_existing_state_and_every_state_is_reachable() {
    let asl = rendered();
    let states = asl["States"].as_object().expect("States");
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([asl["StartAt"].as_str().expect("StartAt").to_owned()]);
    while let Some(name) = queue.pop_front() {
        let state = states
            .get(&name)
            .unwrap_or_else(|| panic!("no state `{name}`"));
        if seen.insert(name.clone()) {
            queue.extend(targets(state));
        }
    }
    let all: BTreeSet<_> = states.keys().cloned().collect();
    assert_eq!(seen, all, "unreachable states");
}

#[test]
fn every_non_terminal_state_leads_somewhere() {
    let asl = rendered();
    for (name, state) in asl["States"].as_object().unwrap() {
        let kind = state["Type"].as_str().unwrap();
        if !matches!(kind, "Succeed" | "Fail") {
            assert!(!targets(state).is_empty(), "`{name}` is a dead end");
            assert!(
                state["End"].is_null(),
                "`{name}` ends without a Succeed or Fail state"
            );
        }
    }
}

#[test]
fn every_task_catches_all_errors_and_retries_only_transient_ones() {
    let asl = rendered();
    let ours: BTreeSet<&str> = [
        ErrorKind::InvalidInput,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::Internal,
    ]
    .into_iter()
    .map(ErrorKind::error_type)
    .collect();
    for (name, state) in asl["States"].as_object().unwrap() {
        if state["Type"] != "Task" {
            continue;
        }
        let catches_all = state["Catch"].as_array().into_iter().flatten().any(|c| {
            c["ErrorEquals"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e == "States.ALL")
        });
        assert!(catches_all, "task `{name}` does not catch States.ALL");
        let retry = state["Retry"]
            .as_array()
            .unwrap_or_else(|| panic!("`{name}` has no Retry"));
        for rule in retry {
            for error in rule["ErrorEquals"].as_array().unwrap() {
                let error = error.as_str().unwrap();
                assert!(!error.starts_with("States."), "`{name}` retries `{error}`");
                assert!(
                    !ours.contains(error),
                    "`{name}` retries non-transient `{error}`"
                );
            }
            assert!(rule["MaxAttempts"]
                .as_u64()
                .is_some_and(|n| (1..=10).contains(&n)));
            assert!(rule["BackoffRate"].as_f64().is_some_and(|b| b >= 1.0));
        }
    }
}

#[test]
fn lambda_retries_name_the_transient_error_type_the_roles_report() {
    let asl = rendered();
    let transient = ErrorKind::Transient.error_type();
    for (name, state) in asl["States"].as_object().unwrap() {
        let resource = state["Resource"].as_str().unwrap_or_default();
        if resource.starts_with("arn:aws:states:::lambda:invoke") {
            let names_it = state["Retry"].as_array().into_iter().flatten().any(|r| {
                r["ErrorEquals"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e == transient)
            });
            assert!(names_it, "`{name}` does not retry `{transient}`");
        }
    }
}

#[test]
fn every_review_wait_has_a_timeout() {
    let asl = rendered();
    let waits: Vec<_> = asl["States"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, s)| {
            s["Resource"]
                .as_str()
                .is_some_and(|r| r.ends_with(".waitForTaskToken"))
        })
        .collect();
    assert_eq!(waits.len(), 2);
    for (name, state) in waits {
        assert_eq!(state["TimeoutSeconds"], 1_814_400, "`{name}`");
    }
}
