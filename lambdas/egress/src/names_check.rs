//! Checks that Terraform and the local stack use the names the code defines: every ASL
//! placeholder is supplied by both, and every variable a role reads is set for it by both.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::config::Role;

fn repo_file(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()))
}

/// `${name}` placeholders of a template.
fn placeholders(text: &str) -> BTreeSet<String> {
    text.split("${")
        .skip(1)
        .filter_map(|rest| rest.split_once('}'))
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// The text inside the first brace block after `start`, skipping `${...}` interpolations.
fn block_after<'a>(text: &'a str, start: &str) -> &'a str {
    let at = text
        .find(start)
        .unwrap_or_else(|| panic!("`{start}` not found"));
    let rest = &text[at..];
    let open = rest
        .char_indices()
        .find(|&(i, c)| c == '{' && !rest[..i].ends_with('$'))
        .map(|(i, _)| i)
        .expect("no opening brace");
    let mut depth = 0;
    let mut interpolation = 0;
    for (i, c) in rest[open..].char_indices() {
        if c == '{' && rest[..open + i].ends_with('$') {
            interpolation += 1;
            continue;
        }
        if c == '}' && interpolation > 0 {
            interpolation -= 1;
            continue;
        }
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &rest[open + 1..open + i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced braces after `{start}`")
}

/// Keys `name =` (HCL) or `"name":` (Python) at the start of lines of a block.
fn keys(block: &str) -> BTreeSet<String> {
    block
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let (key, _) = line.split_once(" =").or_else(|| line.split_once(':'))?;
            let key = key.trim().trim_matches('"');
            (!key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .then(|| key.to_owned())
        })
        .collect()
}

fn asl_placeholders() -> BTreeSet<String> {
    let found = placeholders(&repo_file("statemachine/egress_workflow.asl.json"));
    assert!(found.len() > 10, "suspiciously few placeholders: {found:?}");
    found
}

#[test]
fn terraform_supplies_every_asl_placeholder() {
    let main = repo_file("terraform/main.tf");
    let supplied = keys(block_after(&main, "templatefile("));
    let missing: Vec<_> = asl_placeholders().difference(&supplied).cloned().collect();
    assert!(
        missing.is_empty(),
        "terraform/main.tf templatefile() lacks {missing:?}"
    );
}

#[test]
fn local_stack_supplies_every_asl_placeholder() {
    let stack = repo_file("scripts/lib/egress_stack.py");
    let supplied = keys(block_after(&stack, "def asl_values("));
    let missing: Vec<_> = asl_placeholders().difference(&supplied).cloned().collect();
    assert!(
        missing.is_empty(),
        "scripts/lib/egress_stack.py asl_values() lacks {missing:?}"
    );
}

#[test]
fn terraform_sets_every_variable_each_role_reads() {
    let lambda = repo_file("terraform/modules/lambda/main.tf");
    let table = block_after(&lambda, "environment_by_role");
    for role in Role::ALL {
        let set = keys(block_after(table, &format!("\"{}\"", role.name())));
        let missing: Vec<_> = role
            .variables()
            .iter()
            .filter(|v| !set.contains(**v))
            .collect();
        assert!(
            missing.is_empty(),
            "terraform sets no {missing:?} for role `{role}`"
        );
    }
    assert!(lambda.contains(&format!("\"{}\" = each.key", crate::config::ROLE)));
}

#[test]
fn local_stack_sets_every_variable_any_role_reads() {
    let stack = repo_file("scripts/lib/egress_stack.py");
    let set = keys(block_after(&stack, "def role_environment("));
    for role in Role::ALL {
        let missing: Vec<_> = role
            .variables()
            .iter()
            .filter(|v| !set.contains(**v))
            .collect();
        assert!(
            missing.is_empty(),
            "the local stack sets no {missing:?} for role `{role}`"
        );
    }
}

#[test]
fn local_stack_and_terraform_know_the_same_roles() {
    let stack = repo_file("scripts/lib/egress_stack.py");
    let lambda = repo_file("terraform/modules/lambda/main.tf");
    for role in Role::ALL {
        assert!(
            stack.contains(&format!("\"{}\"", role.name())),
            "local stack lacks role `{role}`"
        );
        assert!(
            lambda.contains(&format!("\"{}\" = {{", role.name())),
            "terraform lacks role `{role}`"
        );
    }
}

#[test]
fn key_extraction_sees_hcl_and_python_keys() {
    let hcl = "x = templatefile(\"f\", {\n  a_b = 1\n  c   = var.c\n})";
    assert_eq!(
        keys(block_after(hcl, "templatefile(")),
        BTreeSet::from(["a_b".into(), "c".into()])
    );
    let py = "def f():\n    return {\n        \"a_b\": 1,\n        \"C_D\": x,\n    }\n";
    assert_eq!(
        keys(block_after(py, "def f(")),
        BTreeSet::from(["a_b".into(), "C_D".into()])
    );
}
