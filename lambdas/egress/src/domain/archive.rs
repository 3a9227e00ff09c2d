//! Where approved data goes and what its archive says about itself.

use serde::Serialize;

/// Key of the approved archive in the datalake bucket.
pub fn archive_key(workspace_id: &str, egress_request_id: &str) -> String {
    format!("approved_egress/{workspace_id}/{egress_request_id}/egress_data.zip")
}

/// Name of the manifest entry. It carries the request id so it cannot collide with a
/// researcher's own file of a common name.
pub fn manifest_name(egress_request_id: &str) -> String {
    format!("egress_manifest_{egress_request_id}.json")
}

/// One file in the archive.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ManifestFile {
    /// Entry name in the archive (the path inside the egress store).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    /// Key in the egress store bucket.
    pub source_key: String,
    /// The submitted version that was copied.
    pub source_version_id: String,
}

/// One review decision as recorded by the server.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ManifestDecision {
    /// 1 or 2.
    pub stage: u8,
    /// `APPROVED` or `REJECTED`.
    pub decision: String,
    /// Reviewer name from the token.
    pub reviewer_name: String,
    /// Reviewer e-mail from the token.
    pub reviewer_email: String,
    /// Server time of the decision.
    pub decided_at: String,
    /// Reviewer's reason.
    pub reason: String,
}

/// The archive's own description.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Manifest {
    /// The request.
    pub egress_request_id: String,
    /// Its workspace.
    pub workspace_id: String,
    /// Its project.
    pub project_id: String,
    /// SWB's submission counter.
    pub swb_object_metadata_version: String,
    /// When the archive was built (server time).
    pub created_at: String,
    /// The decisions that approved it.
    pub decisions: Vec<ManifestDecision>,
    /// The files, in archive order.
    pub files: Vec<ManifestFile>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_key_follows_the_datalake_layout() {
        assert_eq!(
            archive_key("ws-1", "r-1"),
            "approved_egress/ws-1/r-1/egress_data.zip"
        );
    }

    #[test]
    fn manifest_name_names_the_request() {
        assert_eq!(manifest_name("r-1"), "egress_manifest_r-1.json");
    }
}
