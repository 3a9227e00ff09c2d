//! The reviewer GraphQL API: the operations, their schema, and who may call them.
//!
//! [`service`] holds the operations and their rules; [`schema`] serves them as GraphQL through
//! juniper for the local gateway (and is checked against `schema/schema.graphql`, which AppSync
//! serves in production); [`auth`] verifies Cognito ID tokens and turns claims into a
//! [`Caller`](crate::domain::review::Caller). The Lambda entry point of AppSync's direct
//! resolver is `roles::api`.

pub mod auth;
pub mod schema;
pub mod service;
pub mod types;
