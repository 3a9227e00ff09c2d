//! Step Functions: starting one execution per request and resuming waiting reviews.

use aws_sdk_sfn::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sfn::Client;

/// A failed Step Functions call.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// The task token no longer belongs to a waiting task.
    #[error("the review task is no longer waiting (`{code}`)")]
    StaleToken {
        /// The service's error code.
        code: String,
    },
    /// Any other failure.
    #[error("step functions {operation} failed")]
    Call {
        /// The operation.
        operation: &'static str,
        /// The SDK error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
        /// Worth retrying.
        transient: bool,
    },
}

impl WorkflowError {
    /// Whether retrying may help.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            WorkflowError::Call {
                transient: true,
                ..
            }
        )
    }

    /// Whether the token's task has timed out, ended or never existed.
    pub fn is_stale_token(&self) -> bool {
        matches!(self, WorkflowError::StaleToken { .. })
    }
}

fn call_error<E, R>(operation: &'static str, err: SdkError<E, R>) -> WorkflowError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let transient = super::is_transient(&err);
    WorkflowError::Call {
        operation,
        source: Box::new(err),
        transient,
    }
}

/// The outcome of starting an execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// A new execution, or the running one for the same name and input.
    Execution(String),
    /// An execution of that name already ran: the message was a redelivery.
    Duplicate,
}

/// Step Functions calls of the workflow.
#[derive(Clone, Debug)]
pub struct WorkflowClient {
    client: Client,
}

impl WorkflowClient {
    /// Wraps a client.
    pub fn new(client: Client) -> Self {
        WorkflowClient { client }
    }

    /// Starts the execution `name` of `state_machine_arn`. Step Functions keeps execution names
    /// unique per state machine, which makes a redelivered message start nothing new.
    pub async fn start(
        &self,
        state_machine_arn: &str,
        name: &str,
        input: &str,
    ) -> Result<Started, WorkflowError> {
        match self
            .client
            .start_execution()
            .state_machine_arn(state_machine_arn)
            .name(name)
            .input(input)
            .send()
            .await
        {
            Ok(out) => Ok(Started::Execution(out.execution_arn)),
            Err(SdkError::ServiceError(service))
                if service.err().code() == Some("ExecutionAlreadyExists") =>
            {
                Ok(Started::Duplicate)
            }
            Err(err) => Err(call_error("StartExecution", err)),
        }
    }

    /// Resumes the task waiting on `token` with `output`.
    pub async fn send_task_success(
        &self,
        token: &str,
        output: &serde_json::Value,
    ) -> Result<(), WorkflowError> {
        let result = self
            .client
            .send_task_success()
            .task_token(token)
            .output(output.to_string())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(service))
                if matches!(
                    service.err().code(),
                    Some("TaskTimedOut" | "InvalidToken" | "TaskDoesNotExist")
                ) =>
            {
                Err(WorkflowError::StaleToken {
                    code: service.err().code().unwrap_or_default().into(),
                })
            }
            Err(err) => Err(call_error("SendTaskSuccess", err)),
        }
    }
}
