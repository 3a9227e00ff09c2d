//! Role `discard-staged`: deletes every staged object of a request that ends without publishing.

use lambda_runtime::Diagnostic;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::adapters::objects::{ObjectError, ObjectStore};
use crate::adapters::Clients;
use crate::config::{ConfigError, Env, STAGING_BUCKET};
use crate::domain::objects::{checked_staging_prefix, IdError};
use crate::error::{Classify, ErrorKind};

/// The event: which request's staged objects to delete.
#[derive(Debug, Clone, Deserialize)]
pub struct Input {
    /// The request.
    pub egress_request_id: String,
    /// Its workspace.
    pub workspace_id: String,
}

/// The result.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Output {
    /// How many objects were deleted (0 when nothing was staged).
    pub deleted: usize,
}

/// Why staged objects could not be discarded.
#[derive(Debug, thiserror::Error)]
pub enum DiscardError {
    /// The event names an unusable id.
    #[error("the discard event is invalid")]
    Id(#[from] IdError),
    /// Listing or deleting failed.
    #[error("cannot delete the staged objects under `{prefix}`")]
    Delete {
        /// The prefix.
        prefix: String,
        /// What failed.
        #[source]
        source: ObjectError,
    },
}

impl Classify for DiscardError {
    fn kind(&self) -> ErrorKind {
        match self {
            DiscardError::Id(_) => ErrorKind::InvalidInput,
            DiscardError::Delete { source, .. } if source.is_transient() => ErrorKind::Transient,
            DiscardError::Delete { .. } => ErrorKind::Internal,
        }
    }
}

/// The handler.
pub struct Handler {
    objects: ObjectStore,
    staging_bucket: String,
}

impl Handler {
    /// Builds the handler.
    pub fn new<F: Fn(&str) -> Option<String>>(
        clients: &Clients,
        env: &Env<F>,
    ) -> Result<Self, ConfigError> {
        Ok(Handler {
            objects: ObjectStore::new(clients.s3.clone()),
            staging_bucket: env.required(STAGING_BUCKET)?,
        })
    }

    /// Handles one event.
    pub async fn handle(&self, event: Value) -> Result<Value, Diagnostic> {
        let input: Input = super::decode(event, "discard event")?;
        let output = self
            .discard(&input)
            .await
            .map_err(|e| crate::error::diagnostic(&e))?;
        super::encode(&output)
    }

    async fn discard(&self, input: &Input) -> Result<Output, DiscardError> {
        let prefix = checked_staging_prefix(&input.workspace_id, &input.egress_request_id)?;
        let deleted = self
            .objects
            .delete_prefix(&self.staging_bucket, &prefix)
            .await
            .map_err(|source| DiscardError::Delete {
                prefix: prefix.clone(),
                source,
            })?;
        tracing::info!(
            egress_request_id = %input.egress_request_id,
            deleted,
            "discarded staged objects"
        );
        Ok(Output { deleted })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_of_safe_ids_ends_with_a_slash() {
        assert_eq!(
            checked_staging_prefix("ws-7f3a9c", "6e1a5bd2-3c6f").unwrap(),
            "ws-7f3a9c/6e1a5bd2-3c6f/"
        );
    }

    #[test]
    fn refuses_ids_that_could_widen_the_prefix() {
        for (ws, id) in [
            ("ws", ""),
            ("", "r"),
            ("ws", ".."),
            ("ws/x", "r"),
            ("ws", "r/"),
            ("ws", "*"),
        ] {
            assert!(checked_staging_prefix(ws, id).is_err(), "{ws:?} {id:?}");
        }
        assert!(checked_staging_prefix("ws", &"a".repeat(81)).is_err());
    }

    #[test]
    fn invalid_ids_are_reported_as_invalid_input() {
        let err = DiscardError::from(checked_staging_prefix("ws", "../x").unwrap_err());
        assert_eq!(crate::error::diagnostic(&err).error_type, "InvalidInput");
    }

    #[test]
    fn decodes_the_workflow_payload() {
        let input: Input = serde_json::from_value(serde_json::json!({
            "egress_request_id": "6e1a5bd2-3c6f-4b4e-9a55-0b6c1f0e6f11",
            "workspace_id": "ws-7f3a9c"
        }))
        .unwrap();
        assert_eq!(input.workspace_id, "ws-7f3a9c");
    }
}
