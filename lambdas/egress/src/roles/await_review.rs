//! Role `await-review`: parks a review stage by storing its task token on the request.

use base64::Engine;
use lambda_runtime::Diagnostic;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::adapters::requests::{RequestStore, StoreError};
use crate::adapters::Clients;
use crate::config::{ConfigError, Env, REQUESTS_TABLE};
use crate::error::{diagnostic, Classify, ErrorKind};

/// What the state machine sends while a stage waits.
#[derive(Debug, Deserialize)]
pub struct AwaitEvent {
    /// The request.
    pub egress_request_id: String,
    /// 1 or 2.
    pub stage: u8,
    /// The group that decides this stage.
    pub reviewer_group: String,
    /// The Step Functions task token; stays in the back-end.
    pub task_token: String,
}

/// What the role returns to the (waiting) state machine: nothing it uses.
#[derive(Debug, Serialize)]
pub struct Parked {
    /// The request.
    pub egress_request_id: String,
    /// The stage now waiting.
    pub stage: u8,
}

/// Why a stage could not be parked.
#[derive(Debug, thiserror::Error)]
pub enum AwaitError {
    /// Only stages 1 and 2 exist.
    #[error("stage `{0}` does not exist; stages are 1 and 2")]
    UnknownStage(u8),
    /// The request is missing or not in the status this stage expects.
    #[error("egress request `{0}` is not in the status its stage expects")]
    NotReady(String),
    /// The table call failed.
    #[error("cannot store the review token of egress request `{id}`")]
    Store {
        /// The request.
        id: String,
        /// The failure.
        #[source]
        source: StoreError,
    },
}

impl Classify for AwaitError {
    fn kind(&self) -> ErrorKind {
        match self {
            AwaitError::UnknownStage(_) => ErrorKind::InvalidInput,
            AwaitError::NotReady(_) => ErrorKind::Conflict,
            AwaitError::Store { source, .. } if source.is_transient() => ErrorKind::Transient,
            AwaitError::Store { .. } => ErrorKind::Internal,
        }
    }
}

/// A fresh opaque handle: what reviewers see instead of the task token.
pub fn new_review_handle() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The handler.
pub struct Handler {
    store: RequestStore,
}

impl Handler {
    /// Builds the handler.
    pub fn new<F: Fn(&str) -> Option<String>>(
        clients: &Clients,
        env: &Env<F>,
    ) -> Result<Self, ConfigError> {
        Ok(Handler {
            store: RequestStore::new(clients.dynamodb.clone(), env.required(REQUESTS_TABLE)?),
        })
    }

    /// Handles one event.
    pub async fn handle(&self, event: Value) -> Result<Value, Diagnostic> {
        let event: AwaitEvent = super::decode(event, "review wait event")?;
        let parked = self.park(event).await.map_err(|e| diagnostic(&e))?;
        super::encode(&parked)
    }

    /// Stores the token and a new handle on the request.
    pub async fn park(&self, event: AwaitEvent) -> Result<Parked, AwaitError> {
        if !(1..=2).contains(&event.stage) {
            return Err(AwaitError::UnknownStage(event.stage));
        }
        let id = event.egress_request_id;
        let handle = new_review_handle();
        match self
            .store
            .start_review(
                &id,
                event.stage,
                &event.reviewer_group,
                &handle,
                &event.task_token,
            )
            .await
        {
            Ok(()) => {
                tracing::info!(egress_request_id = %id, stage = event.stage, "review waiting");
                Ok(Parked {
                    egress_request_id: id,
                    stage: event.stage,
                })
            }
            Err(StoreError::ConditionFailed { .. }) => Err(AwaitError::NotReady(id)),
            Err(source) => Err(AwaitError::Store { id, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_handles_are_unguessable_and_distinct() {
        let a = new_review_handle();
        let b = new_review_handle();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }
}
