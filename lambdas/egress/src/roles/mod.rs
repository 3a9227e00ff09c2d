//! One module per Lambda role: decode the event, call the domain, encode the result.

pub mod api;
pub mod await_review;
pub mod discard_staged;
pub mod notify_requester;
pub mod pre_token;
pub mod publish_approved;
pub mod stage_objects;
pub mod start_workflow;

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;
use tracing::Instrument;

use crate::adapters::Clients;
use crate::config::{ConfigError, Env, Role};
use crate::error::ErrorKind;

/// A ready handler of one role, built once per cold start.
pub enum Handler {
    /// `start-workflow`.
    StartWorkflow(start_workflow::Handler),
    /// `stage-objects`.
    StageObjects(stage_objects::Handler),
    /// `await-review`.
    AwaitReview(await_review::Handler),
    /// `discard-staged`.
    DiscardStaged(discard_staged::Handler),
    /// `publish-approved`.
    PublishApproved(publish_approved::Handler),
    /// `notify-requester`.
    NotifyRequester(notify_requester::Handler),
    /// `api`.
    Api(api::Handler),
    /// `pre-token`.
    PreToken(pre_token::Handler),
}

impl Handler {
    /// Builds the handler of `role` from the environment.
    pub fn build<F: Fn(&str) -> Option<String>>(
        role: Role,
        clients: &Clients,
        env: &Env<F>,
    ) -> Result<Self, ConfigError> {
        Ok(match role {
            Role::StartWorkflow => {
                Handler::StartWorkflow(start_workflow::Handler::new(clients, env)?)
            }
            Role::StageObjects => Handler::StageObjects(stage_objects::Handler::new(clients, env)?),
            Role::AwaitReview => Handler::AwaitReview(await_review::Handler::new(clients, env)?),
            Role::DiscardStaged => {
                Handler::DiscardStaged(discard_staged::Handler::new(clients, env)?)
            }
            Role::PublishApproved => {
                Handler::PublishApproved(publish_approved::Handler::new(clients, env)?)
            }
            Role::NotifyRequester => {
                Handler::NotifyRequester(notify_requester::Handler::new(clients, env)?)
            }
            Role::Api => Handler::Api(api::Handler::new(clients, env)?),
            Role::PreToken => Handler::PreToken(pre_token::Handler::new(env)?),
        })
    }

    /// The role this handler serves.
    pub fn role(&self) -> Role {
        match self {
            Handler::StartWorkflow(_) => Role::StartWorkflow,
            Handler::StageObjects(_) => Role::StageObjects,
            Handler::AwaitReview(_) => Role::AwaitReview,
            Handler::DiscardStaged(_) => Role::DiscardStaged,
            Handler::PublishApproved(_) => Role::PublishApproved,
            Handler::NotifyRequester(_) => Role::NotifyRequester,
            Handler::Api(_) => Role::Api,
            Handler::PreToken(_) => Role::PreToken,
        }
    }

    /// Handles one event inside a span named for the role and the invocation.
    pub async fn invoke(&self, event: Value, invocation_id: &str) -> Result<Value, Diagnostic> {
        let span = tracing::info_span!("invocation", role = %self.role(), invocation_id);
        async {
            let result = match self {
                Handler::StartWorkflow(h) => h.handle(event).await,
                Handler::StageObjects(h) => h.handle(event).await,
                Handler::AwaitReview(h) => h.handle(event).await,
                Handler::DiscardStaged(h) => h.handle(event).await,
                Handler::PublishApproved(h) => h.handle(event).await,
                Handler::NotifyRequester(h) => h.handle(event).await,
                Handler::Api(h) => h.handle(event).await,
                Handler::PreToken(h) => h.handle(event).await,
            };
            if let Err(diagnostic) = &result {
                tracing::error!(
                    error_type = %diagnostic.error_type,
                    error = %diagnostic.error_message,
                    "invocation failed"
                );
            }
            result
        }
        .instrument(span)
        .await
    }
}

/// Decodes an event into a role's typed input; a shape mismatch is the caller's error.
pub fn decode<T: serde::de::DeserializeOwned>(event: Value, what: &str) -> Result<T, Diagnostic> {
    serde_json::from_value(event).map_err(|e| Diagnostic {
        error_type: ErrorKind::InvalidInput.error_type().to_owned(),
        error_message: format!("the event is not a valid {what}: {e}"),
    })
}

/// Encodes a role's result.
pub fn encode<T: serde::Serialize>(value: &T) -> Result<Value, Diagnostic> {
    serde_json::to_value(value).map_err(|e| Diagnostic {
        error_type: ErrorKind::Internal.error_type().to_owned(),
        error_message: format!("cannot encode the result: {e}"),
    })
}

/// Serves `role` on the Lambda runtime.
pub async fn serve(role: Role) -> Result<(), lambda_runtime::Error> {
    let clients = Clients::load().await;
    let handler = Handler::build(role, &clients, &Env::process())?;
    tracing::info!(role = %role, "serving");
    tracing::debug!(role = %role, variables = ?role.variables(), "settings read from the environment");
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handler
            .invoke(event.payload, &event.context.request_id)
            .await
    }))
    .await
}
