//! The workspace's shape, checked: every role crate (a member under `actors/` outside
//! `actors/lib/`) depends only on libraries, never on another role crate, in its normal and
//! build dependencies; libraries never depend on a role. What crosses roles lives in
//! `bitai-messages`, shared rules in `bitai-contract` and `bitai-chain` (ARCHITECTURE.md,
//! "Workspace"). Read from the manifests, so it needs no build of the crates themselves.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The workspace root (this crate is `tests/`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn manifest(dir: &Path) -> toml::Table {
    let path = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Workspace members: package name to folder (relative to the root).
fn members() -> BTreeMap<String, String> {
    let root = root();
    let workspace = manifest(&root);
    let list = workspace["workspace"]["members"]
        .as_array()
        .expect("workspace.members is a list");
    list.iter()
        .map(|m| {
            let folder = m.as_str().expect("a member is a path").to_owned();
            let package = manifest(&root.join(&folder));
            let name = package["package"]["name"]
                .as_str()
                .expect("package.name")
                .to_owned();
            (name, folder)
        })
        .collect()
}

fn is_role(folder: &str) -> bool {
    folder.starts_with("actors/") && !folder.starts_with("actors/lib/")
}

fn is_library(folder: &str) -> bool {
    folder.starts_with("actors/lib/")
}

/// The workspace crates `folder` names in its normal and build dependencies.
fn internal_dependencies(folder: &str, members: &BTreeMap<String, String>) -> Vec<String> {
    let package = manifest(&root().join(folder));
    ["dependencies", "build-dependencies"]
        .iter()
        .filter_map(|table| package.get(*table).and_then(|t| t.as_table()))
        .flat_map(|t| t.keys().cloned())
        .filter(|name| members.contains_key(name))
        .collect()
}

#[test]
fn the_roles_and_libraries_are_where_the_layout_says() {
    let members = members();
    let roles: Vec<_> = members.iter().filter(|(_, f)| is_role(f)).collect();
    let libraries: Vec<_> = members.iter().filter(|(_, f)| is_library(f)).collect();
    assert_eq!(roles.len(), 8, "roles: {roles:?}");
    for name in [
        "bitai-messages",
        "bitai-contract",
        "bitai-chain",
        "bitai-proofs",
    ] {
        assert!(
            libraries.iter().any(|(n, _)| *n == name),
            "{name} is a library under actors/lib/"
        );
    }
}

/// "crate -> role" for every role crate that a member in `from` depends on.
fn dependencies_on_roles(from: fn(&str) -> bool) -> Vec<String> {
    let members = members();
    let mut found = Vec::new();
    for (name, folder) in members.iter().filter(|(_, f)| from(f)) {
        for dep in internal_dependencies(folder, &members) {
            if is_role(&members[&dep]) {
                found.push(format!("{name} -> {dep}"));
            }
        }
    }
    found
}

#[test]
fn no_role_crate_depends_on_another_role_crate() {
    let violations = dependencies_on_roles(is_role);
    assert!(
        violations.is_empty(),
        "role crates depending on role crates: {violations:?}"
    );
}

#[test]
fn no_library_depends_on_a_role_crate() {
    let violations = dependencies_on_roles(is_library);
    assert!(
        violations.is_empty(),
        "libraries depending on role crates: {violations:?}"
    );
}
