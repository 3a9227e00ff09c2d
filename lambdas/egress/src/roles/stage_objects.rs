//! Role `stage-objects`: copies exactly the submitted object versions into the staging bucket.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::stream::{self, StreamExt};
use lambda_runtime::Diagnostic;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::adapters::objects::{
    encode_metadata, ObjectError, ObjectStore, PartSizes, VersionCopy, SOURCE_KEY_METADATA,
    SOURCE_VERSION_METADATA,
};
use crate::adapters::requests::{RequestStore, StoreError};
use crate::adapters::Clients;
use crate::config::{ConfigError, Env, StagingSettings};
use crate::domain::objects::{checked_staging_prefix, IdError};
use crate::domain::objects::{ObjectList, PlanError, StageEntry};
use crate::domain::request::{NewRequest, S3Location};
use crate::error::{Classify, ErrorKind};

/// Copies in flight at a time.
const COPY_CONCURRENCY: usize = 8;
/// Largest object list read into memory (about a million entries).
const MAX_OBJECT_LIST_BYTES: u64 = 256 * 1024 * 1024;
/// S3 allows 2 KB of user metadata per object; a source key whose encoded form would not fit
/// is left out, and publish derives it from the store prefix instead.
const MAX_SOURCE_KEY_METADATA_BYTES: usize = 1536;

/// The event: the request as the workflow carries it.
#[derive(Debug, Clone, Deserialize)]
pub struct Input {
    /// The request.
    pub request: NewRequest,
}

/// What was staged, for the reviewers' notification. Never the object list itself.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Output {
    /// Objects staged.
    pub object_count: u64,
    /// Distinct file types, sorted.
    pub file_types: Vec<String>,
    /// Sum of the sizes.
    pub total_bytes: u64,
}

/// Why a request could not be staged.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The request names an unusable id.
    #[error("the request is invalid")]
    Id(#[from] IdError),
    /// The request names a bucket other than SWB's configured one.
    #[error("the request names bucket `{given}` where SWB's {what} bucket is `{configured}`")]
    Bucket {
        /// Which of SWB's buckets.
        what: &'static str,
        /// Named by the request.
        given: String,
        /// Configured.
        configured: String,
    },
    /// The object list location is not an S3 object ARN.
    #[error("the object list location `{0}` is not an S3 object ARN")]
    ListLocation(String),
    /// The object list could not be read.
    #[error("cannot read the object list `{key}`")]
    ReadList {
        /// Its key.
        key: String,
        /// What failed.
        #[source]
        source: ObjectError,
    },
    /// The object list cannot be staged as it is.
    #[error("the object list cannot be staged")]
    Plan(#[from] PlanError),
    /// A listed object version could not be copied.
    #[error("cannot stage object `{key}` version `{version_id}`")]
    Copy {
        /// Source key.
        key: String,
        /// Source version.
        version_id: String,
        /// What failed.
        #[source]
        source: ObjectError,
    },
    /// The staged copies could not be listed.
    #[error("cannot list the staged objects under `{prefix}`")]
    ListStaged {
        /// The staging prefix.
        prefix: String,
        /// What failed.
        #[source]
        source: ObjectError,
    },
    /// The summary could not be recorded.
    #[error("cannot record the staged objects of `{id}`")]
    Record {
        /// The request.
        id: String,
        /// What failed.
        #[source]
        source: StoreError,
    },
}

impl Classify for StageError {
    fn kind(&self) -> ErrorKind {
        match self {
            StageError::Id(_)
            | StageError::Bucket { .. }
            | StageError::ListLocation(_)
            | StageError::Plan(_) => ErrorKind::InvalidInput,
            StageError::ReadList { source, .. } | StageError::Copy { source, .. } => {
                if source.is_transient() {
                    ErrorKind::Transient
                } else if source.is_not_found() {
                    ErrorKind::NotFound
                } else if source.code() == Some("InvalidArgument") {
                    // S3's answer to a malformed version id in the list.
                    ErrorKind::InvalidInput
                } else {
                    ErrorKind::Internal
                }
            }
            StageError::ListStaged { source, .. } if source.is_transient() => ErrorKind::Transient,
            StageError::ListStaged { .. } => ErrorKind::Internal,
            StageError::Record { source, .. } if source.is_transient() => ErrorKind::Transient,
            StageError::Record {
                source: StoreError::ConditionFailed { .. },
                ..
            } => ErrorKind::NotFound,
            StageError::Record { .. } => ErrorKind::Internal,
        }
    }
}

/// The user metadata of a staged copy: where it came from, encoded for an HTTP header.
pub fn source_metadata(source_key: &str, version_id: &str) -> HashMap<String, String> {
    let mut metadata = HashMap::from([(
        SOURCE_VERSION_METADATA.to_owned(),
        encode_metadata(version_id),
    )]);
    let key = encode_metadata(source_key);
    if key.len() <= MAX_SOURCE_KEY_METADATA_BYTES {
        metadata.insert(SOURCE_KEY_METADATA.to_owned(), key);
    }
    metadata
}

/// The handler.
pub struct Handler {
    objects: ObjectStore,
    requests: RequestStore,
    settings: StagingSettings,
}

impl Handler {
    /// Builds the handler.
    pub fn new<F: Fn(&str) -> Option<String>>(
        clients: &Clients,
        env: &Env<F>,
    ) -> Result<Self, ConfigError> {
        let settings = StagingSettings::from_env(env)?;
        Ok(Handler {
            objects: ObjectStore::new(clients.s3.clone()),
            requests: RequestStore::new(clients.dynamodb.clone(), settings.requests_table.clone()),
            settings,
        })
    }

    /// Handles one event.
    pub async fn handle(&self, event: Value) -> Result<Value, Diagnostic> {
        let input: Input = super::decode(event, "stage-objects event")?;
        let output = self
            .stage(&input.request)
            .await
            .map_err(|e| crate::error::diagnostic(&e))?;
        super::encode(&output)
    }

    /// Stages the request; on a failure that a retry cannot fix, removes what was staged.
    async fn stage(&self, request: &NewRequest) -> Result<Output, StageError> {
        let prefix = checked_staging_prefix(&request.workspace_id, &request.egress_request_id)?;
        let result = self.copy_and_record(request).await;
        if let Err(err) = &result {
            if err.kind() != ErrorKind::Transient {
                self.remove_staged(&request.egress_request_id, &prefix)
                    .await;
            }
        }
        result
    }

    async fn copy_and_record(&self, request: &NewRequest) -> Result<Output, StageError> {
        let id = &request.egress_request_id;
        let location = S3Location::from_arn(&request.s3_egress_store_object_list_location)
            .ok_or_else(|| {
                StageError::ListLocation(request.s3_egress_store_object_list_location.clone())
            })?;
        let checks = [
            (
                "notification",
                &location.bucket,
                &self.settings.swb_notification_bucket,
            ),
            (
                "egress store",
                &request.s3_egress_store_bucket,
                &self.settings.swb_egress_store_bucket,
            ),
        ];
        for (what, given, configured) in checks {
            if given != configured {
                return Err(StageError::Bucket {
                    what,
                    given: given.clone(),
                    configured: configured.clone(),
                });
            }
        }
        let list = self
            .objects
            .get_bytes(&location.bucket, &location.key, MAX_OBJECT_LIST_BYTES)
            .await
            .map_err(|source| StageError::ReadList {
                key: location.key.clone(),
                source,
            })?;
        let plan = ObjectList::parse(&list)?.plan(
            &request.s3_egress_store_bucket_path,
            &request.workspace_id,
            id,
        )?;
        tracing::info!(
            egress_request_id = %id,
            object_count = plan.entries.len(),
            total_bytes = plan.total_bytes,
            "staging objects"
        );
        self.copy_all(&request.s3_egress_store_bucket, &plan.entries)
            .await?;
        let object_count = plan.entries.len() as u64;
        // Reviewers see what was staged, not what the list claimed.
        let prefix = checked_staging_prefix(&request.workspace_id, id)?;
        let total_bytes = self
            .objects
            .list_keys(&self.settings.staging_bucket, &prefix)
            .await
            .map_err(|source| StageError::ListStaged {
                prefix: prefix.clone(),
                source,
            })?
            .iter()
            .map(|staged| staged.size)
            .sum::<u64>();
        self.requests
            .record_staged(id, object_count, total_bytes, &plan.file_types)
            .await
            .map_err(|source| StageError::Record {
                id: id.clone(),
                source,
            })?;
        tracing::info!(egress_request_id = %id, object_count, "staged objects");
        Ok(Output {
            object_count,
            file_types: plan.file_types,
            total_bytes,
        })
    }

    /// Copies every entry, a few at a time. After the first failure no new copy starts, but the
    /// ones in flight finish (or abort their own multipart upload) rather than being dropped
    /// half way. Copies overwrite, so a retried invocation is safe.
    async fn copy_all(
        &self,
        source_bucket: &str,
        entries: &[StageEntry],
    ) -> Result<(), StageError> {
        let failed = AtomicBool::new(false);
        let sizes = PartSizes {
            multipart_threshold_bytes: self.settings.multipart_threshold_bytes,
            part_size_bytes: self.settings.part_size_bytes,
        };
        // Indices rather than references keep the stream's closure free of lifetimes, which
        // the `Send` check of the handler's future cannot see through (rust-lang/rust#110338).
        let errors: Vec<StageError> = stream::iter(0..entries.len())
            .map(|index| {
                let failed = &failed;
                let entry = &entries[index];
                async move {
                    if failed.load(Ordering::Relaxed) {
                        return None;
                    }
                    let result = self.copy_one(source_bucket, entry, sizes).await;
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    result.err()
                }
            })
            .buffer_unordered(COPY_CONCURRENCY)
            .filter_map(|err| async move { err })
            .collect()
            .await;
        // A definite failure says more than a throttled call that happened to fail alongside.
        let mut errors = errors.into_iter();
        match errors.next() {
            None => Ok(()),
            Some(first) if first.kind() != ErrorKind::Transient => Err(first),
            Some(first) => Err(errors
                .find(|e| e.kind() != ErrorKind::Transient)
                .unwrap_or(first)),
        }
    }

    async fn copy_one(
        &self,
        source_bucket: &str,
        entry: &StageEntry,
        sizes: PartSizes,
    ) -> Result<(), StageError> {
        let metadata = source_metadata(&entry.source_key, &entry.version_id);
        let copy = VersionCopy {
            source_bucket,
            source_key: &entry.source_key,
            version_id: &entry.version_id,
            listed_size: entry.size,
            target_bucket: &self.settings.staging_bucket,
            target_key: &entry.staging_key,
            kms_key_arn: self.settings.staging_kms_key_arn.as_deref(),
            metadata: &metadata,
        };
        self.objects
            .copy_version(&copy, sizes)
            .await
            .map_err(|source| StageError::Copy {
                key: entry.source_key.clone(),
                version_id: entry.version_id.clone(),
                source,
            })
    }

    /// Deletes whatever is staged for the request. A failure here is logged and left to the
    /// workflow's failure path, which discards again; the original error is what is reported.
    async fn remove_staged(&self, id: &str, prefix: &str) {
        match self
            .objects
            .delete_prefix(&self.settings.staging_bucket, prefix)
            .await
        {
            Ok(deleted) => {
                tracing::info!(egress_request_id = %id, deleted, "removed partly staged objects");
            }
            Err(err) => tracing::error!(
                egress_request_id = %id,
                error = %crate::error::chain(&err),
                "cannot remove partly staged objects"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::objects::decode_metadata;

    fn copy_error(code: &str, transient: bool) -> StageError {
        StageError::Copy {
            key: "ws/a b.csv".into(),
            version_id: "v1".into(),
            source: ObjectError::Call {
                operation: "CopyObject",
                bucket: "store".into(),
                key: "ws/a b.csv".into(),
                code: Some(code.into()),
                transient,
                source: "service error".into(),
            },
        }
    }

    #[test]
    fn missing_listed_version_is_not_found_and_names_the_key() {
        let err = copy_error("NoSuchVersion", false);
        let diagnostic = crate::error::diagnostic(&err);
        assert_eq!(diagnostic.error_type, "NotFound");
        assert!(
            diagnostic.error_message.contains("`ws/a b.csv`"),
            "{}",
            diagnostic.error_message
        );
    }

    #[test]
    fn throttled_copy_is_transient() {
        assert_eq!(copy_error("SlowDown", true).kind(), ErrorKind::Transient);
    }

    #[test]
    fn unsafe_paths_and_missing_versions_are_invalid_input() {
        let list = br#"{"objects":[{"Key":"ws/../x.csv","Size":1,"VersionId":"v"}]}"#;
        let err = ObjectList::parse(list)
            .and_then(|l| l.plan("ws/", "ws", "r"))
            .unwrap_err();
        assert_eq!(StageError::from(err).kind(), ErrorKind::InvalidInput);
        let list = br#"{"objects":[{"Key":"ws/x.csv","Size":1}]}"#;
        let err = ObjectList::parse(list)
            .and_then(|l| l.plan("ws/", "ws", "r"))
            .unwrap_err();
        assert_eq!(StageError::from(err).kind(), ErrorKind::InvalidInput);
        assert_eq!(
            StageError::from(PlanError::Malformed("x".into())).kind(),
            ErrorKind::InvalidInput
        );
    }

    #[test]
    fn staged_copy_metadata_decodes_to_the_source() {
        let metadata = source_metadata("ws/a b/c+d é 日本.txt", "3HL4k+rmSp");
        assert!(metadata.values().all(|v| v.is_ascii()));
        assert_eq!(
            decode_metadata(&metadata[SOURCE_KEY_METADATA]).as_deref(),
            Some("ws/a b/c+d é 日本.txt")
        );
        assert_eq!(
            decode_metadata(&metadata[SOURCE_VERSION_METADATA]).as_deref(),
            Some("3HL4k+rmSp")
        );
    }

    #[test]
    fn leaves_out_a_source_key_too_long_for_metadata() {
        let metadata = source_metadata(&"日".repeat(300), "v");
        assert!(!metadata.contains_key(SOURCE_KEY_METADATA));
        assert!(metadata.contains_key(SOURCE_VERSION_METADATA));
    }

    #[test]
    fn result_carries_only_the_summary() {
        let output = Output {
            object_count: 2,
            file_types: vec!["csv".into()],
            total_bytes: 9,
        };
        assert_eq!(
            serde_json::to_value(output).unwrap(),
            serde_json::json!({"object_count": 2, "file_types": ["csv"], "total_bytes": 9})
        );
    }

    #[test]
    fn decodes_the_workflow_input_fixture() {
        let message = crate::domain::request::SwbMessage::parse(include_str!(
            "../../tests/fixtures/swb_message.json"
        ))
        .unwrap();
        let event = serde_json::to_value(message.into_input()).unwrap();
        let input: Input = serde_json::from_value(event).unwrap();
        assert_eq!(input.request.s3_egress_store_bucket_path, "ws-7f3a9c/");
    }
}
