//! Role `start-workflow`: one workflow execution per SWB egress request, from SNS.

use aws_lambda_events::event::sns::SnsEvent;
use lambda_runtime::Diagnostic;
use serde::Serialize;
use serde_json::Value;

use crate::adapters::workflow::{Started, WorkflowClient, WorkflowError};
use crate::adapters::Clients;
use crate::config::{ConfigError, Env, STATE_MACHINE_ARN};
use crate::domain::request::{MessageError, SwbMessage};
use crate::error::{diagnostic, Classify, ErrorKind};

/// Why a message started no workflow.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The message is not a valid SWB egress request; retrying cannot help.
    #[error("SNS message `{message_id}` was refused")]
    Message {
        /// SNS message id.
        message_id: String,
        /// What is wrong.
        #[source]
        source: MessageError,
    },
    /// Step Functions refused or failed.
    #[error("cannot start the workflow of egress request `{request_id}`")]
    Workflow {
        /// The request.
        request_id: String,
        /// The failure.
        #[source]
        source: WorkflowError,
    },
    /// The workflow input could not be written.
    #[error("cannot encode the workflow input of egress request `{request_id}`")]
    Encode {
        /// The request.
        request_id: String,
        /// The failure.
        #[source]
        source: serde_json::Error,
    },
    /// The event carried no record.
    #[error("the SNS event holds no record")]
    Empty,
}

impl Classify for StartError {
    fn kind(&self) -> ErrorKind {
        match self {
            StartError::Message { .. } | StartError::Empty => ErrorKind::InvalidInput,
            StartError::Workflow { source, .. } if source.is_transient() => ErrorKind::Transient,
            StartError::Workflow { .. } | StartError::Encode { .. } => ErrorKind::Internal,
        }
    }
}

/// What happened to each message.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Outcome {
    /// The request id.
    pub egress_request_id: String,
    /// `started` or `duplicate`.
    pub result: &'static str,
}

/// The handler.
pub struct Handler {
    workflow: WorkflowClient,
    state_machine_arn: String,
}

impl Handler {
    /// Builds the handler.
    pub fn new<F: Fn(&str) -> Option<String>>(
        clients: &Clients,
        env: &Env<F>,
    ) -> Result<Self, ConfigError> {
        Ok(Handler {
            workflow: WorkflowClient::new(clients.sfn.clone()),
            state_machine_arn: env.required(STATE_MACHINE_ARN)?,
        })
    }

    /// Handles one SNS event.
    pub async fn handle(&self, event: Value) -> Result<Value, Diagnostic> {
        let event: SnsEvent = super::decode(event, "SNS event")?;
        let outcomes = self.start_all(event).await.map_err(|e| diagnostic(&e))?;
        super::encode(&outcomes)
    }

    /// Starts a workflow per record. Every record is parsed before any is started, so a bad
    /// record fails the invocation without half of it done.
    pub async fn start_all(&self, event: SnsEvent) -> Result<Vec<Outcome>, StartError> {
        if event.records.is_empty() {
            return Err(StartError::Empty);
        }
        let mut inputs = Vec::with_capacity(event.records.len());
        for record in &event.records {
            let message =
                SwbMessage::parse(&record.sns.message).map_err(|source| StartError::Message {
                    message_id: record.sns.message_id.clone(),
                    source,
                })?;
            inputs.push(message.into_input());
        }
        let mut outcomes = Vec::with_capacity(inputs.len());
        for input in inputs {
            let id = input.request.egress_request_id.clone();
            // The field order is fixed, so a redelivery produces the identical input Step
            // Functions compares.
            let text = serde_json::to_string(&input).map_err(|source| StartError::Encode {
                request_id: id.clone(),
                source,
            })?;
            let started = self
                .workflow
                .start(&self.state_machine_arn, &id, &text)
                .await
                .map_err(|source| StartError::Workflow {
                    request_id: id.clone(),
                    source,
                })?;
            let result = match started {
                Started::Execution(_) => {
                    tracing::info!(egress_request_id = %id, "workflow started");
                    "started"
                }
                Started::Duplicate => {
                    tracing::info!(egress_request_id = %id, "redelivered message ignored");
                    "duplicate"
                }
            };
            outcomes.push(Outcome {
                egress_request_id: id,
                result,
            });
        }
        Ok(outcomes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_real_shaped_sns_event() {
        let event: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/sns_event.json")).unwrap();
        let event: SnsEvent = super::super::decode(event, "SNS event").unwrap();
        let message = SwbMessage::parse(&event.records[0].sns.message).unwrap();
        assert_eq!(message.id, "6e1a5bd2-3c6f-4b4e-9a55-0b6c1f0e6f11");
        assert_eq!(message.ver, 3);
    }

    #[test]
    fn malformed_message_is_invalid_input() {
        let err = StartError::Message {
            message_id: "m".into(),
            source: SwbMessage::parse("{}").unwrap_err(),
        };
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(
            crate::error::chain(&err).contains("missing field"),
            "{}",
            crate::error::chain(&err)
        );
    }
}
