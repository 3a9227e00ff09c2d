//! Role `publish-approved`: zips the approved staged objects into the datalake, then unstages them.

#[path = "publish/archive.rs"]
pub mod archive;

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use futures::stream::{self, StreamExt};
use lambda_runtime::Diagnostic;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use self::archive::{write_archive, ArchiveError, ArchiveInput, BuiltArchive};
use crate::adapters::objects::{
    decode_metadata, FileUpload, ListedKey, ObjectError, ObjectStore, SOURCE_KEY_METADATA,
    SOURCE_VERSION_METADATA,
};
use crate::adapters::requests::{RequestRecord, RequestStore, StoreError};
use crate::adapters::Clients;
use crate::config::{ConfigError, Env, PublishSettings};
use crate::domain::archive::{archive_key, manifest_name, Manifest, ManifestDecision};
use crate::domain::objects::{checked_staging_prefix, IdError};
use crate::domain::request::Status;
use crate::error::{Classify, ErrorKind};

/// Metadata of the archive object: its SHA-256, so a retry can tell a complete upload.
const ARCHIVE_SHA256_METADATA: &str = "archive-sha256";
/// Metadata of the archive object: how many files it holds, the manifest not counted.
const FILE_COUNT_METADATA: &str = "file-count";
/// Name of the zip inside the scratch directory.
const ZIP_FILE_NAME: &str = "egress_data.zip";

/// The event: which approved request to publish.
#[derive(Debug, Clone, Deserialize)]
pub struct Input {
    /// The request.
    pub egress_request_id: String,
    /// Its workspace.
    pub workspace_id: String,
}

/// Where the archive went.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Output {
    /// Key in the datalake bucket.
    pub archive_key: String,
    /// Size of the zip.
    pub archive_bytes: u64,
    /// Files in the zip, the manifest not counted.
    pub file_count: u64,
}

/// Why an approved request could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The event names an unusable id.
    #[error("the publish event is invalid")]
    Id(#[from] IdError),
    /// The requests table could not be read or written.
    #[error("cannot {action} request `{id}`")]
    Store {
        /// What was being done.
        action: &'static str,
        /// The request.
        id: String,
        /// What failed.
        #[source]
        source: StoreError,
    },
    /// No such request.
    #[error("request `{0}` is not recorded")]
    UnknownRequest(String),
    /// The event's workspace is not the request's.
    #[error("request `{id}` belongs to another workspace than `{workspace_id}`")]
    WrongWorkspace {
        /// The request.
        id: String,
        /// The workspace in the event.
        workspace_id: String,
    },
    /// The request is not approved by both groups.
    #[error("request `{id}` is `{status}`, not `RITAPPROVED`")]
    NotApproved {
        /// The request.
        id: String,
        /// Its status.
        status: String,
    },
    /// Staging holds other objects than were staged.
    #[error("staging holds {found} objects under `{prefix}`, but {staged} were staged")]
    StagedCountMismatch {
        /// The prefix.
        prefix: String,
        /// Objects found.
        found: usize,
        /// Objects recorded as staged.
        staged: u64,
    },
    /// A staged object lacks the metadata stage-objects writes.
    #[error("staged object `{0}` has no `source-version-id` metadata")]
    MissingSourceVersion(String),
    /// An S3 call on the staging or datalake bucket failed.
    #[error("cannot {action}")]
    Objects {
        /// What was being done.
        action: &'static str,
        /// What failed.
        #[source]
        source: Box<ObjectError>,
    },
    /// The scratch directory could not be made.
    #[error("cannot create a scratch directory in `{dir}`")]
    Scratch {
        /// The base directory.
        dir: String,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// The zip could not be written.
    #[error("cannot build the archive")]
    Archive(#[from] ArchiveError),
    /// The uploaded archive is not what was built.
    #[error("the uploaded archive `{key}` does not check out: {reason}")]
    Verify {
        /// Its key.
        key: String,
        /// What differs.
        reason: String,
    },
}

impl Classify for PublishError {
    fn kind(&self) -> ErrorKind {
        match self {
            PublishError::Id(_) | PublishError::WrongWorkspace { .. } => ErrorKind::InvalidInput,
            PublishError::Store { source, .. } if source.is_transient() => ErrorKind::Transient,
            PublishError::Store {
                source: StoreError::ConditionFailed { .. },
                ..
            } => ErrorKind::Conflict,
            PublishError::Store { .. } => ErrorKind::Internal,
            PublishError::UnknownRequest(_) => ErrorKind::NotFound,
            PublishError::NotApproved { .. } | PublishError::StagedCountMismatch { .. } => {
                ErrorKind::Conflict
            }
            PublishError::MissingSourceVersion(_) => ErrorKind::InvalidInput,
            PublishError::Objects { source, .. } if source.is_transient() => ErrorKind::Transient,
            PublishError::Objects { source, .. } if source.is_not_found() => ErrorKind::NotFound,
            PublishError::Objects { .. } => ErrorKind::Internal,
            PublishError::Scratch { .. } | PublishError::Verify { .. } => ErrorKind::Internal,
            PublishError::Archive(err) => match err {
                // A body cut off by the network: reading again will do.
                ArchiveError::Read { .. } | ArchiveError::Truncated { .. } => ErrorKind::Transient,
                ArchiveError::UnsafeName { .. } | ArchiveError::ManifestNameTaken(_) => {
                    ErrorKind::InvalidInput
                }
                _ => ErrorKind::Internal,
            },
        }
    }
}

/// A complete archive found in the datalake, left by an earlier attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Published {
    bytes: u64,
    sha256: String,
    file_count: u64,
}

/// The manifest's decisions, from what the table recorded.
pub fn manifest_decisions(record: &RequestRecord) -> Vec<ManifestDecision> {
    record
        .decisions()
        .into_iter()
        .map(|d| ManifestDecision {
            stage: d.stage,
            decision: d.decision,
            reviewer_name: d.name,
            reviewer_email: d.email,
            decided_at: d.at,
            reason: d.reason,
        })
        .collect()
}

/// A directory private to one publication, `<base>/<egress_request_id>-<random>/` with mode
/// 0700; it and everything in it is removed when the guard is dropped, on every path.
pub fn scratch_dir(base: &Path, egress_request_id: &str) -> std::io::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(&format!("{egress_request_id}-"))
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(base)
}

/// The handler.
pub struct Handler {
    objects: ObjectStore,
    requests: RequestStore,
    settings: PublishSettings,
}

impl Handler {
    /// Builds the handler.
    pub fn new<F: Fn(&str) -> Option<String>>(
        clients: &Clients,
        env: &Env<F>,
    ) -> Result<Self, ConfigError> {
        let settings = PublishSettings::from_env(env)?;
        Ok(Handler {
            objects: ObjectStore::new(clients.s3.clone()),
            requests: RequestStore::new(clients.dynamodb.clone(), settings.requests_table.clone()),
            settings,
        })
    }

    /// Handles one event.
    pub async fn handle(&self, event: Value) -> Result<Value, Diagnostic> {
        let input: Input = super::decode(event, "publish event")?;
        let output = self
            .publish(&input)
            .await
            .map_err(|e| crate::error::diagnostic(&e))?;
        super::encode(&output)
    }

    async fn publish(&self, input: &Input) -> Result<Output, PublishError> {
        let id = input.egress_request_id.as_str();
        let prefix = checked_staging_prefix(&input.workspace_id, id)?;
        let record = self
            .requests
            .get(id)
            .await
            .map_err(|source| PublishError::Store {
                action: "read",
                id: id.to_owned(),
                source,
            })?
            .ok_or_else(|| PublishError::UnknownRequest(id.to_owned()))?;
        check_approved(&record, input)?;
        let key = archive_key(&input.workspace_id, id);

        // An archive carrying our metadata was uploaded completely by an earlier attempt that
        // stopped before unstaging or recording it: finish that attempt rather than rebuild
        // from a staging area it may already have partly emptied.
        if let Some(published) = self.published_archive(&key).await? {
            tracing::info!(egress_request_id = %id, "archive already published; finishing");
            return self.finish(&record, &prefix, &key, published).await;
        }

        let staged: Vec<ListedKey> = self
            .objects
            .list_keys(&self.settings.staging_bucket, &prefix)
            .await
            .map_err(objects("list the staged objects"))?
            .into_iter()
            .filter(|k| !(k.key.ends_with('/') && k.size == 0))
            .collect();
        let recorded = record.number("object_count");
        if recorded.is_some_and(|n| n != staged.len() as u64)
            || (recorded.is_none() && staged.is_empty())
        {
            return Err(PublishError::StagedCountMismatch {
                prefix,
                found: staged.len(),
                staged: recorded.unwrap_or_default(),
            });
        }

        let scratch = scratch_dir(&self.settings.scratch_dir, id).map_err(|source| {
            PublishError::Scratch {
                dir: self.settings.scratch_dir.display().to_string(),
                source,
            }
        })?;
        let zip_path = scratch.path().join(ZIP_FILE_NAME);
        tracing::info!(egress_request_id = %id, file_count = staged.len(), "building archive");
        let built = self.build(&record, &prefix, staged, &zip_path).await?;
        self.upload(&zip_path, &key, &built).await?;
        if let Err(err) = scratch.close() {
            tracing::warn!(
                egress_request_id = %id,
                error = %err,
                "cannot remove the scratch directory"
            );
        }
        let published = Published {
            bytes: built.digest.bytes,
            sha256: built.digest.sha256,
            file_count: built.file_count as u64,
        };
        self.finish(&record, &prefix, &key, published).await
    }

    async fn build(
        &self,
        record: &RequestRecord,
        prefix: &str,
        staged: Vec<ListedKey>,
        zip_path: &Path,
    ) -> Result<BuiltArchive, PublishError> {
        let id = record.id();
        let now = time::OffsetDateTime::now_utc();
        let manifest = Manifest {
            egress_request_id: id.clone(),
            workspace_id: record.text("workspace_id").unwrap_or_default(),
            project_id: record.text("project_id").unwrap_or_default(),
            swb_object_metadata_version: record
                .text("s3_swb_object_metadata_version")
                .unwrap_or_default(),
            created_at: now
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            decisions: manifest_decisions(record),
            files: Vec::new(),
        };
        let store_path = record
            .text("s3_egress_store_bucket_path")
            .unwrap_or_default();
        let bucket = self.settings.staging_bucket.as_str();
        // Opened one at a time, when the archive is ready for it.
        let files = stream::iter(staged).then(|listed| {
            let store_path = store_path.as_str();
            async move {
                let path = listed
                    .key
                    .strip_prefix(prefix)
                    .unwrap_or(&listed.key)
                    .to_owned();
                let body = self
                    .objects
                    .get_object(bucket, &listed.key)
                    .await
                    .map_err(objects("read a staged object"))?;
                let decoded = |name: &str| body.metadata.get(name).and_then(|v| decode_metadata(v));
                let source_version_id = decoded(SOURCE_VERSION_METADATA)
                    .ok_or_else(|| PublishError::MissingSourceVersion(listed.key.clone()))?;
                // Stage leaves the key out when it is too long for metadata; it is the store
                // prefix plus the path.
                let source_key =
                    decoded(SOURCE_KEY_METADATA).unwrap_or_else(|| format!("{store_path}{path}"));
                Ok(ArchiveInput {
                    path,
                    source_key,
                    source_version_id,
                    expected_size: Some(body.size),
                    reader: body.into_reader(),
                })
            }
        });
        write_archive(zip_path, files, manifest, &manifest_name(&id), now).await
    }

    /// Uploads the zip and checks what S3 holds before anything staged is deleted.
    async fn upload(
        &self,
        zip_path: &Path,
        key: &str,
        built: &BuiltArchive,
    ) -> Result<(), PublishError> {
        let target = FileUpload {
            bucket: &self.settings.datalake_bucket,
            key,
            kms_key_arn: &self.settings.datalake_kms_key_arn,
            part_size_bytes: self.settings.part_size_bytes,
            metadata: HashMap::from([
                (
                    ARCHIVE_SHA256_METADATA.to_owned(),
                    built.digest.sha256.clone(),
                ),
                (FILE_COUNT_METADATA.to_owned(), built.file_count.to_string()),
            ]),
        };
        self.objects
            .upload_file(zip_path, &target)
            .await
            .map_err(objects("upload the archive"))?;
        let head = self
            .objects
            .head(&self.settings.datalake_bucket, key)
            .await
            .map_err(objects("check the uploaded archive"))?;
        let verify = |reason: String| PublishError::Verify {
            key: key.to_owned(),
            reason,
        };
        let head = head.ok_or_else(|| verify("it is not there".into()))?;
        if head.size != built.digest.bytes {
            return Err(verify(format!(
                "it has {} bytes, the local file {}",
                head.size, built.digest.bytes
            )));
        }
        self.check_encryption(
            key,
            head.server_side_encryption.as_deref(),
            head.kms_key_id.as_deref(),
        )
    }

    fn check_encryption(
        &self,
        key: &str,
        sse: Option<&str>,
        kms_key: Option<&str>,
    ) -> Result<(), PublishError> {
        let verify = |reason: String| PublishError::Verify {
            key: key.to_owned(),
            reason,
        };
        if sse != Some("aws:kms") {
            return Err(verify(format!(
                "it is encrypted with `{}`, not `aws:kms`",
                sse.unwrap_or("nothing")
            )));
        }
        // S3 reports the key ARN; compare only when the setting is a key ARN too (not an alias).
        let configured = self.settings.datalake_kms_key_arn.as_str();
        match kms_key {
            Some(actual) if configured.contains(":key/") && actual != configured => {
                Err(verify(format!("it is encrypted with KMS key `{actual}`")))
            }
            _ => Ok(()),
        }
    }

    /// The archive at `key`, if an earlier attempt uploaded it completely.
    async fn published_archive(&self, key: &str) -> Result<Option<Published>, PublishError> {
        let head = self
            .objects
            .head(&self.settings.datalake_bucket, key)
            .await
            .map_err(objects("look for the archive"))?;
        let Some(head) = head else { return Ok(None) };
        if self
            .check_encryption(
                key,
                head.server_side_encryption.as_deref(),
                head.kms_key_id.as_deref(),
            )
            .is_err()
        {
            return Ok(None);
        }
        let sha256 = head.metadata.get(ARCHIVE_SHA256_METADATA);
        let file_count = head
            .metadata
            .get(FILE_COUNT_METADATA)
            .and_then(|n| n.parse().ok());
        Ok(match (sha256, file_count) {
            (Some(sha256), Some(file_count)) => Some(Published {
                bytes: head.size,
                sha256: sha256.clone(),
                file_count,
            }),
            _ => None,
        })
    }

    /// Unstages the published objects and records the archive; both are safe to repeat.
    async fn finish(
        &self,
        record: &RequestRecord,
        prefix: &str,
        key: &str,
        published: Published,
    ) -> Result<Output, PublishError> {
        let id = record.id();
        let deleted = self
            .objects
            .delete_prefix(&self.settings.staging_bucket, prefix)
            .await
            .map_err(objects("delete the staged objects"))?;
        let recorded = record.text("archive_key").as_deref() == Some(key)
            && record.text("archive_sha256").as_deref() == Some(published.sha256.as_str());
        if !recorded {
            self.requests
                .record_archive(&id, key, &published.sha256, published.bytes)
                .await
                .map_err(|source| PublishError::Store {
                    action: "record the archive of",
                    id: id.clone(),
                    source,
                })?;
        }
        tracing::info!(
            egress_request_id = %id,
            archive_bytes = published.bytes,
            file_count = published.file_count,
            deleted,
            "published archive"
        );
        Ok(Output {
            archive_key: key.to_owned(),
            archive_bytes: published.bytes,
            file_count: published.file_count,
        })
    }
}

/// Wraps an S3 failure with what was being done.
fn objects(action: &'static str) -> impl FnOnce(ObjectError) -> PublishError {
    move |source| PublishError::Objects {
        action,
        source: Box::new(source),
    }
}

fn check_approved(record: &RequestRecord, input: &Input) -> Result<(), PublishError> {
    let id = input.egress_request_id.as_str();
    if record.text("workspace_id").as_deref() != Some(input.workspace_id.as_str()) {
        return Err(PublishError::WrongWorkspace {
            id: id.to_owned(),
            workspace_id: input.workspace_id.clone(),
        });
    }
    match record.status() {
        Some(Status::Ritapproved) => Ok(()),
        other => Err(PublishError::NotApproved {
            id: id.to_owned(),
            status: other.map_or("unknown", Status::as_str).to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;

    fn record(pairs: &[(&str, &str)]) -> RequestRecord {
        RequestRecord::from_item(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), AttributeValue::S(v.to_string())))
                .collect(),
        )
    }

    fn input() -> Input {
        Input {
            egress_request_id: "r-1".into(),
            workspace_id: "ws-1".into(),
        }
    }

    #[test]
    fn publishes_only_requests_approved_by_both_groups() {
        let approved = record(&[("workspace_id", "ws-1"), ("egress_status", "RITAPPROVED")]);
        assert!(check_approved(&approved, &input()).is_ok());
        let first_only = record(&[("workspace_id", "ws-1"), ("egress_status", "IGAPPROVED")]);
        let err = check_approved(&first_only, &input()).unwrap_err();
        assert_eq!(crate::error::diagnostic(&err).error_type, "Conflict");
        assert!(err.to_string().contains("`IGAPPROVED`"), "{err}");
    }

    #[test]
    fn refuses_an_event_naming_another_workspace() {
        let other = record(&[("workspace_id", "ws-2"), ("egress_status", "RITAPPROVED")]);
        let err = check_approved(&other, &input()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn manifest_carries_both_decisions_in_stage_order() {
        let r = record(&[
            ("ig_reviewer_1_decision", "APPROVED"),
            ("ig_reviewer_1_name", "Ida"),
            ("ig_reviewer_1_email", "ida@example.org"),
            ("ig_reviewer_1_dt", "2026-10-16T09:00:00Z"),
            ("ig_reviewer_1_reason", "ok"),
            ("rit_reviewer_2_decision", "APPROVED"),
            ("rit_reviewer_2_name", "Rita"),
        ]);
        let decisions = manifest_decisions(&r);
        assert_eq!(decisions.len(), 2);
        assert_eq!(
            (decisions[0].stage, decisions[0].reviewer_name.as_str()),
            (1, "Ida")
        );
        assert_eq!(
            (decisions[1].stage, decisions[1].decision.as_str()),
            (2, "APPROVED")
        );
    }

    #[test]
    fn scratch_dir_is_private_to_the_request_and_removed_on_drop() {
        let base = tempfile::tempdir().unwrap();
        let dir = scratch_dir(base.path(), "r-1").unwrap();
        let path = dir.path().to_owned();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("r-1-") && name.len() > 4, "{name}");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::write(path.join(ZIP_FILE_NAME), b"partial").unwrap();
        drop(dir);
        assert!(!path.exists());
    }

    #[test]
    fn a_cut_off_body_is_transient_and_an_unsafe_name_is_invalid() {
        let read = PublishError::Archive(ArchiveError::Read {
            name: "a".into(),
            source: std::io::Error::other("reset"),
        });
        assert_eq!(read.kind(), ErrorKind::Transient);
        let name = PublishError::Archive(ArchiveError::UnsafeName {
            name: "../a".into(),
            reason: "x",
        });
        assert_eq!(name.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn result_has_the_fields_the_workflow_selects() {
        let output = Output {
            archive_key: "k".into(),
            archive_bytes: 10,
            file_count: 2,
        };
        let value = serde_json::to_value(output).unwrap();
        assert_eq!(value["archive_key"], "k");
        assert_eq!(value["archive_bytes"], 10);
        assert_eq!(value["file_count"], 2);
    }
}
