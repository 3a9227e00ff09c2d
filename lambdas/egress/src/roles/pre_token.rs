//! Role `pre-token`: Cognito's pre-token-generation trigger (V1 event) that turns a federated
//! user's identity-provider groups into Cognito reviewer groups in the token.
//!
//! The IdP's groups arrive mapped to the attribute `custom:groups`. Only the configured reviewer
//! groups are taken from it, so an IdP cannot grant any other group; the user's own Cognito
//! groups are kept.

use aws_lambda_events::event::cognito::CognitoEventUserPoolsPreTokenGen;
use lambda_runtime::Diagnostic;
use serde_json::Value;

use crate::config::{ConfigError, Env, ReviewerGroups, REVIEWER_GROUPS};

use super::{decode, encode};

/// The user attribute the identity provider's groups are mapped to.
pub const IDP_GROUPS_ATTRIBUTE: &str = "custom:groups";

/// The handler.
pub struct Handler {
    groups: ReviewerGroups,
}

impl Handler {
    /// Builds the handler.
    pub fn new<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(Handler {
            groups: ReviewerGroups::parse(&env.required(REVIEWER_GROUPS)?)?,
        })
    }

    /// Handles one event: returns it with the group override set, or unchanged.
    pub async fn handle(&self, event: Value) -> Result<Value, Diagnostic> {
        let event: CognitoEventUserPoolsPreTokenGen =
            decode(event, "Cognito pre-token-generation event")?;
        encode(&self.apply(event))
    }

    fn apply(
        &self,
        mut event: CognitoEventUserPoolsPreTokenGen,
    ) -> CognitoEventUserPoolsPreTokenGen {
        let Some(idp_groups) = event.request.user_attributes.get(IDP_GROUPS_ATTRIBUTE) else {
            return event;
        };
        // Only an identity provider vouches for `custom:groups`; a user signed in to Cognito
        // directly carries Cognito groups, whatever the attribute says.
        if !is_federated(&event) {
            tracing::warn!(
                "custom:groups ignored for a user who did not sign in through an identity provider"
            );
            return event;
        }
        let granted = reviewer_groups_in(idp_groups, &self.groups);
        let existing = &event.request.group_configuration.groups_to_override;
        let added: Vec<String> = granted
            .into_iter()
            .filter(|g| !existing.contains(g))
            .collect();
        tracing::info!(
            user_pool_id = event.cognito_event_user_pools_header.user_pool_id.as_deref(),
            added = ?added,
            "identity-provider groups mapped"
        );
        if added.is_empty() {
            return event;
        }
        // The override replaces the token's groups, roles and preferred role: carry the user's
        // own over so only the groups grow.
        let mut groups = event.request.group_configuration.clone();
        groups.groups_to_override.extend(added);
        let mut details = event
            .response
            .claims_override_details
            .take()
            .unwrap_or_default();
        details.group_override_details = groups;
        event.response.claims_override_details = Some(details);
        event
    }
}

/// Whether the user signed in through a federated identity provider.
fn is_federated(event: &CognitoEventUserPoolsPreTokenGen) -> bool {
    let attributes = &event.request.user_attributes;
    attributes
        .get("identities")
        .is_some_and(|v| !v.trim().is_empty() && v.trim() != "[]")
        || attributes
            .get("cognito:user_status")
            .is_some_and(|s| s == "EXTERNAL_PROVIDER")
}

/// The reviewer groups named in an IdP group list: `a, b`, or the array-looking `[a, b]` /
/// `["a","b"]` some IdP mappings produce. Names match case-insensitively; the configured
/// spelling is returned, in stage order.
pub fn reviewer_groups_in(idp_groups: &str, reviewer_groups: &ReviewerGroups) -> Vec<String> {
    let list = idp_groups.trim();
    let list = list
        .strip_prefix('[')
        .and_then(|l| l.strip_suffix(']'))
        .unwrap_or(list);
    let names: Vec<&str> = list
        .split(',')
        .map(|name| name.trim().trim_matches(|c| c == '"' || c == '\'').trim())
        .filter(|name| !name.is_empty())
        .collect();
    [&reviewer_groups.first, &reviewer_groups.second]
        .into_iter()
        .filter(|group| names.iter().any(|name| name.eq_ignore_ascii_case(group)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FEDERATED: &str = include_str!("../../tests/fixtures/pre_token_federated_user.json");
    const NATIVE: &str = include_str!("../../tests/fixtures/pre_token_native_user.json");

    fn handler() -> Handler {
        Handler {
            groups: ReviewerGroups {
                first: "IG".into(),
                second: "RIT".into(),
            },
        }
    }

    async fn run(event: Value) -> Value {
        handler().handle(event).await.unwrap()
    }

    #[tokio::test]
    async fn federated_reviewer_gets_matching_groups_beside_own() {
        let out = run(serde_json::from_str(FEDERATED).unwrap()).await;
        let details = &out["response"]["claimsOverrideDetails"]["groupOverrideDetails"];
        assert_eq!(
            details["groupsToOverride"],
            json!(["eu-west-2_Ab3dEf6Gh_AzureAD", "IG"])
        );
        assert_eq!(details["iamRolesToOverride"], json!([]));
    }

    #[tokio::test]
    async fn custom_groups_of_a_user_signed_in_directly_are_ignored() {
        let mut event: Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/pre_token_federated_user.json"
        ))
        .unwrap();
        let attributes = event["request"]["userAttributes"].as_object_mut().unwrap();
        attributes.remove("identities");
        attributes.insert("cognito:user_status".into(), json!("CONFIRMED"));
        let out = run(event.clone()).await;
        assert_eq!(out["response"]["claimsOverrideDetails"], Value::Null);
    }

    #[tokio::test]
    async fn user_without_idp_groups_is_unchanged() {
        let event: Value = serde_json::from_str(NATIVE).unwrap();
        let out = run(event.clone()).await;
        assert_eq!(out["response"], event["response"]);
        assert_eq!(
            out["request"]["groupConfiguration"],
            event["request"]["groupConfiguration"]
        );
    }

    #[tokio::test]
    async fn idp_groups_outside_reviewer_groups_are_never_added() {
        let mut event: Value = serde_json::from_str(FEDERATED).unwrap();
        event["request"]["userAttributes"][IDP_GROUPS_ATTRIBUTE] =
            json!("[Admins, IG-Readers, Staff]");
        let out = run(event).await;
        assert_eq!(out["response"]["claimsOverrideDetails"], Value::Null);
    }

    #[test]
    fn parses_comma_separated_and_array_looking_lists() {
        let g = ReviewerGroups {
            first: "IG".into(),
            second: "RIT".into(),
        };
        assert_eq!(reviewer_groups_in("Staff, ig ,RIT", &g), vec!["IG", "RIT"]);
        assert_eq!(reviewer_groups_in("[Staff, RIT]", &g), vec!["RIT"]);
        assert_eq!(reviewer_groups_in(r#"["IG","Staff"]"#, &g), vec!["IG"]);
        assert!(reviewer_groups_in("", &g).is_empty());
        assert!(reviewer_groups_in("IGX, XRIT", &g).is_empty());
    }

    #[tokio::test]
    async fn group_already_held_is_not_duplicated() {
        let mut event: Value = serde_json::from_str(FEDERATED).unwrap();
        event["request"]["groupConfiguration"]["groupsToOverride"] = json!(["IG"]);
        let out = run(event).await;
        assert_eq!(out["response"]["claimsOverrideDetails"], Value::Null);
    }
}
