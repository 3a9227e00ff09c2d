//! The local gateway: makes a moto server behave like the AWS account the roles run in.
//!
//! It answers the Lambda Invoke API by running the same role handlers in-process, receives the
//! SNS HTTP deliveries meant for the start-workflow function, serves the GraphQL API at
//! `/graphql` with Cognito ID-token authentication (as AppSync does), and forwards every other
//! request to moto. moto's Step Functions interpreter calls `http://localhost:$MOTO_PORT` for
//! every service, so moto is started with `MOTO_PORT` set to this gateway's port.

mod gateway;

pub use gateway::run;

/// Settings of the gateway itself (the roles read theirs from `config`).
pub mod settings {
    /// Address the gateway listens on, e.g. `127.0.0.1:4566`.
    pub const LISTEN: &str = "LOCAL_GATEWAY_LISTEN";
    /// Base URL of the moto server every other request goes to.
    pub const MOTO_URL: &str = "LOCAL_MOTO_URL";
    /// Cognito user pool whose ID tokens `/graphql` accepts.
    pub const USER_POOL_ID: &str = "LOCAL_USER_POOL_ID";
    /// App client id those tokens must be issued to.
    pub const USER_POOL_CLIENT_ID: &str = "LOCAL_USER_POOL_CLIENT_ID";
    /// Prefix of the local function names: `<prefix><role>`.
    pub const FUNCTION_PREFIX: &str = "LOCAL_FUNCTION_PREFIX";
}
