//! SWB's object list and the plan for staging it: which versions go where.

use serde::Deserialize;
use std::collections::{BTreeSet, HashSet};

/// SWB's object list document (the "version metadata file").
#[derive(Debug, Clone, Deserialize)]
pub struct ObjectList {
    /// One ListObjectsV2 entry per object of the store at submission time.
    pub objects: Vec<ListedObject>,
}

/// One entry of the object list.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListedObject {
    /// Full key in the egress store bucket.
    pub key: String,
    /// Size in bytes.
    #[serde(default)]
    pub size: u64,
    /// The version that was submitted.
    #[serde(default)]
    pub version_id: Option<String>,
}

/// One object to stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageEntry {
    /// Key in the egress store bucket.
    pub source_key: String,
    /// Submitted version.
    pub version_id: String,
    /// Size as listed.
    pub size: u64,
    /// Path inside the store, which is also the path inside the archive.
    pub relative_path: String,
    /// Key in the staging bucket.
    pub staging_key: String,
}

/// Every object to stage, and the summary the reviewers see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagePlan {
    /// The objects, in list order.
    pub entries: Vec<StageEntry>,
    /// Distinct file types (lower-case extensions, `(none)` without one), sorted.
    pub file_types: Vec<String>,
    /// Sum of the sizes.
    pub total_bytes: u64,
}

/// Why an object list cannot be staged.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    /// Not the expected JSON.
    #[error("the object list is not valid: {0}")]
    Malformed(String),
    /// An object lies outside the store's prefix.
    #[error("object `{key}` is outside the egress store prefix `{prefix}`")]
    OutsideStore {
        /// The key.
        key: String,
        /// The store prefix.
        prefix: String,
    },
    /// A path would be unsafe inside an archive or the staging bucket.
    #[error("object `{key}` has an unsafe path: {reason}")]
    UnsafePath {
        /// The key.
        key: String,
        /// Why.
        reason: &'static str,
    },
    /// An object has no version id, so the submitted content cannot be pinned.
    #[error("object `{0}` has no `VersionId` in the object list")]
    MissingVersion(String),
    /// The same key is listed twice.
    #[error("object `{0}` is listed more than once")]
    Duplicate(String),
    /// Listed sizes add up to more than 2^64 bytes.
    #[error("the listed object sizes add up to more than any request can hold")]
    TooLarge,
    /// Nothing but folder markers: nothing to review.
    #[error("the object list names no files to egress")]
    Empty,
}

/// Whether an id may be used as an S3 key segment and an execution name: 1 to 80 letters,
/// digits, `-` or `_`, as SWB's ids are.
pub fn is_safe_id(value: &str) -> bool {
    (1..=80).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// An id that would not make a safe S3 key segment.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{field}` must be 1 to 80 letters, digits, `-` or `_`, got `{value}`")]
pub struct IdError {
    /// The field.
    pub field: &'static str,
    /// What was given.
    pub value: String,
}

/// The staging prefix of a request, once both ids are checked, so a crafted id (`..`, `/`,
/// empty) cannot widen the prefix.
pub fn checked_staging_prefix(
    workspace_id: &str,
    egress_request_id: &str,
) -> Result<String, IdError> {
    for (field, value) in [
        ("workspace_id", workspace_id),
        ("egress_request_id", egress_request_id),
    ] {
        if !is_safe_id(value) {
            return Err(IdError {
                field,
                value: value.to_owned(),
            });
        }
    }
    Ok(staging_prefix(workspace_id, egress_request_id))
}

/// Prefix of every staged object of one request.
pub fn staging_prefix(workspace_id: &str, egress_request_id: &str) -> String {
    format!("{workspace_id}/{egress_request_id}/")
}

/// Checks that a relative path can be used as a zip entry name and S3 key suffix.
pub fn check_relative_path(path: &str) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("the path is empty");
    }
    if path.starts_with('/') {
        return Err("the path is absolute");
    }
    if path.contains('\\') {
        return Err("the path holds a backslash");
    }
    if path.chars().any(char::is_control) {
        return Err("the path holds a control character");
    }
    for segment in path.split('/') {
        match segment {
            "" => return Err("the path has an empty segment"),
            "." | ".." => return Err("the path has a `.` or `..` segment"),
            _ => {}
        }
    }
    Ok(())
}

/// The file type of a path: its lower-case extension, or `(none)`.
pub fn file_type(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => ext.to_lowercase(),
        _ => "(none)".to_owned(),
    }
}

impl ObjectList {
    /// Parses the document.
    pub fn parse(bytes: &[u8]) -> Result<Self, PlanError> {
        serde_json::from_slice(bytes).map_err(|e| PlanError::Malformed(e.to_string()))
    }

    /// Plans the staging of every listed object under `<workspace>/<request>/`, skipping folder
    /// markers. `store_prefix` is SWB's `s3_bucketpath`.
    pub fn plan(
        &self,
        store_prefix: &str,
        workspace_id: &str,
        egress_request_id: &str,
    ) -> Result<StagePlan, PlanError> {
        let target = staging_prefix(workspace_id, egress_request_id);
        let mut seen = HashSet::new();
        let mut entries = Vec::with_capacity(self.objects.len());
        let mut file_types = BTreeSet::new();
        let mut total_bytes = 0u64;
        for object in &self.objects {
            if object.key.ends_with('/') {
                continue;
            }
            let relative =
                object
                    .key
                    .strip_prefix(store_prefix)
                    .ok_or_else(|| PlanError::OutsideStore {
                        key: object.key.clone(),
                        prefix: store_prefix.into(),
                    })?;
            check_relative_path(relative).map_err(|reason| PlanError::UnsafePath {
                key: object.key.clone(),
                reason,
            })?;
            let version_id = object
                .version_id
                .clone()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| PlanError::MissingVersion(object.key.clone()))?;
            if !seen.insert(object.key.as_str()) {
                return Err(PlanError::Duplicate(object.key.clone()));
            }
            file_types.insert(file_type(relative));
            total_bytes = total_bytes
                .checked_add(object.size)
                .ok_or(PlanError::TooLarge)?;
            entries.push(StageEntry {
                source_key: object.key.clone(),
                version_id,
                size: object.size,
                relative_path: relative.to_owned(),
                staging_key: format!("{target}{relative}"),
            });
        }
        if entries.is_empty() {
            return Err(PlanError::Empty);
        }
        Ok(StagePlan {
            entries,
            file_types: file_types.into_iter().collect(),
            total_bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[(&str, u64, Option<&str>)]) -> ObjectList {
        ObjectList {
            objects: entries
                .iter()
                .map(|(k, s, v)| ListedObject {
                    key: k.to_string(),
                    size: *s,
                    version_id: v.map(str::to_owned),
                })
                .collect(),
        }
    }

    #[test]
    fn parses_swb_object_list_and_skips_folder_markers() {
        let doc = include_bytes!("../../tests/fixtures/object_list.json");
        let plan = ObjectList::parse(doc)
            .unwrap()
            .plan("ws-7f3a9c/", "ws-7f3a9c", "req-1")
            .unwrap();
        let paths: Vec<_> = plan
            .entries
            .iter()
            .map(|e| e.relative_path.as_str())
            .collect();
        assert_eq!(
            paths,
            [
                "results/data.csv",
                "raw/data.csv",
                "report final+v2 é.txt",
                "日本/notes"
            ]
        );
        assert_eq!(
            plan.entries[0].staging_key,
            "ws-7f3a9c/req-1/results/data.csv"
        );
        assert_eq!(
            plan.entries[0].version_id,
            "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"
        );
        assert_eq!(plan.file_types, ["(none)", "csv", "txt"]);
        assert_eq!(plan.total_bytes, 120 + 80 + 5 + 7);
    }

    #[test]
    fn refuses_objects_outside_the_store() {
        let err = list(&[("other/x.csv", 1, Some("v"))])
            .plan("ws/", "ws", "r")
            .unwrap_err();
        assert!(matches!(err, PlanError::OutsideStore { .. }));
    }

    #[test]
    fn refuses_dot_dot_segments() {
        let err = list(&[("ws/a/../../b.csv", 1, Some("v"))])
            .plan("ws/", "ws", "r")
            .unwrap_err();
        assert!(matches!(err, PlanError::UnsafePath { .. }));
    }

    #[test]
    fn refuses_objects_without_version() {
        let err = list(&[("ws/a.csv", 1, None)])
            .plan("ws/", "ws", "r")
            .unwrap_err();
        assert_eq!(err, PlanError::MissingVersion("ws/a.csv".into()));
    }

    #[test]
    fn refuses_duplicate_keys() {
        let err = list(&[("ws/a.csv", 1, Some("1")), ("ws/a.csv", 1, Some("2"))])
            .plan("ws/", "ws", "r")
            .unwrap_err();
        assert_eq!(err, PlanError::Duplicate("ws/a.csv".into()));
    }

    #[test]
    fn list_of_only_folder_markers_is_refused() {
        let err = list(&[("ws/", 0, Some("v")), ("ws/a/", 0, Some("v"))])
            .plan("ws/", "ws", "r")
            .unwrap_err();
        assert_eq!(err, PlanError::Empty);
    }

    #[test]
    fn sizes_that_overflow_are_refused_not_wrapped() {
        let err = list(&[("ws/a", u64::MAX, Some("1")), ("ws/b", 1, Some("2"))])
            .plan("ws/", "ws", "r")
            .unwrap_err();
        assert_eq!(err, PlanError::TooLarge);
    }

    #[test]
    fn file_types_ignore_hidden_file_dots() {
        assert_eq!(file_type("a/.bashrc"), "(none)");
        assert_eq!(file_type("a/B.CSV"), "csv");
        assert_eq!(file_type("a.b/c"), "(none)");
    }
}
