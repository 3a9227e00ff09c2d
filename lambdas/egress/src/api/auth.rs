//! Who is calling: Cognito ID-token verification for the local gateway, and the identity
//! AppSync has already verified for the Lambda resolver.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::errors::ErrorKind as JwtErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::RwLock;

use crate::domain::review::Caller;

/// Unknown key ids trigger at most one JWKS fetch per this interval, so forged `kid`s cannot
/// make the gateway hammer the key endpoint.
const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(30);

/// Why a token or identity is not accepted. Messages are safe to show to the caller.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No bearer token or identity at all.
    #[error("the request carries no Cognito user identity; sign in first")]
    Missing,
    /// Not a JWT.
    #[error("the token is not a well-formed JWT")]
    Malformed(#[source] jsonwebtoken::errors::Error),
    /// Signed with something other than RS256.
    #[error("the token is signed with `{0}`; only `RS256` is accepted")]
    Algorithm(String),
    /// The header names no key.
    #[error("the token header has no `kid`")]
    NoKeyId,
    /// The key is not one of the user pool's.
    #[error("the token is signed with key `{0}`, which the user pool does not publish")]
    UnknownKey(String),
    /// The signature does not verify.
    #[error("the token signature is invalid")]
    BadSignature,
    /// `exp` has passed.
    #[error("the token has expired; sign in again")]
    Expired,
    /// `aud` is another app client.
    #[error("the token was issued for another app client (`aud` is not `{0}`)")]
    WrongAudience(String),
    /// `iss` is another user pool.
    #[error("the token was issued by another user pool (`iss` is not `{0}`)")]
    WrongIssuer(String),
    /// `token_use` is not `id`.
    #[error("the token is an `{0}` token; an ID token is required")]
    NotIdToken(String),
    /// A required claim is absent.
    #[error("the token carries no `{0}` claim")]
    MissingClaim(String),
    /// No `email` claim (moto only includes it when the pool signs in by e-mail).
    #[error("the token carries no `email` claim; the user pool must give its users a verified e-mail address")]
    MissingEmail,
    /// The claims are not of the expected shape.
    #[error("the token claims are invalid")]
    Invalid(#[source] jsonwebtoken::errors::Error),
    /// AppSync's identity is not of the expected shape.
    #[error("the Cognito identity in the event is invalid")]
    Identity(#[source] serde_json::Error),
    /// The user pool's keys could not be fetched: the gateway's fault, not the caller's.
    #[error("cannot fetch the user pool keys from `{url}`")]
    Jwks {
        /// The JWKS URL.
        url: String,
        /// What failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl AuthError {
    /// Whether the failure is the server's (keys unavailable) rather than the token's.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, AuthError::Jwks { .. })
    }
}

/// The claims of a Cognito ID token this back-end reads.
#[derive(Debug, Deserialize)]
struct IdClaims {
    sub: Option<String>,
    #[serde(default)]
    token_use: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "cognito:username")]
    username: Option<String>,
    #[serde(default, rename = "cognito:groups")]
    groups: Option<Vec<String>>,
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

impl IdClaims {
    fn into_caller(self, groups: Option<Vec<String>>) -> Result<Caller, AuthError> {
        let subject = non_empty(self.sub).ok_or_else(|| AuthError::MissingClaim("sub".into()))?;
        let email = non_empty(self.email).ok_or(AuthError::MissingEmail)?;
        let name = non_empty(self.name)
            .or(non_empty(self.username))
            .unwrap_or_else(|| email.clone());
        Ok(Caller {
            subject,
            name,
            email,
            groups: groups.or(self.groups).unwrap_or_default(),
        })
    }
}

struct KeyCache {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
}

/// Verifies Cognito ID tokens against the user pool's published keys (JWKS), fetched once and
/// refetched when a token names an unknown key (key rotation).
pub struct JwksVerifier {
    http: reqwest::Client,
    jwks_url: String,
    issuer: String,
    client_id: String,
    cache: RwLock<KeyCache>,
}

impl std::fmt::Debug for JwksVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksVerifier")
            .field("jwks_url", &self.jwks_url)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl JwksVerifier {
    /// A verifier of tokens issued by `issuer` for app client `client_id`, with keys from
    /// `jwks_url`.
    pub fn new(
        jwks_url: impl Into<String>,
        issuer: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Self {
        JwksVerifier {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            jwks_url: jwks_url.into(),
            issuer: issuer.into(),
            client_id: client_id.into(),
            cache: RwLock::new(KeyCache {
                keys: HashMap::new(),
                fetched_at: None,
            }),
        }
    }

    /// A verifier for a Cognito user pool: keys from `<endpoint>/<pool id>/.well-known/jwks.json`
    /// (the Cognito endpoint, or the local emulator's), issuer
    /// `https://cognito-idp.<region>.amazonaws.com/<pool id>` as Cognito (and moto) sign it.
    pub fn for_user_pool(
        endpoint: &str,
        region: &str,
        user_pool_id: &str,
        client_id: &str,
    ) -> Self {
        let endpoint = endpoint.trim_end_matches('/');
        JwksVerifier::new(
            format!("{endpoint}/{user_pool_id}/.well-known/jwks.json"),
            format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"),
            client_id,
        )
    }

    /// Verifies an ID token (without `Bearer `) and returns its caller.
    pub async fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(AuthError::Missing);
        }
        let header = jsonwebtoken::decode_header(token).map_err(AuthError::Malformed)?;
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::Algorithm(format!("{:?}", header.alg)));
        }
        let kid = header.kid.ok_or(AuthError::NoKeyId)?;
        let key = self.key(&kid).await?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[&self.client_id]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        validation.leeway = 30;
        let data =
            jsonwebtoken::decode::<IdClaims>(token, &key, &validation).map_err(|e| {
                match e.kind() {
                    JwtErrorKind::InvalidSignature => AuthError::BadSignature,
                    JwtErrorKind::ExpiredSignature => AuthError::Expired,
                    JwtErrorKind::InvalidAudience => {
                        AuthError::WrongAudience(self.client_id.clone())
                    }
                    JwtErrorKind::InvalidIssuer => AuthError::WrongIssuer(self.issuer.clone()),
                    JwtErrorKind::MissingRequiredClaim(claim) => {
                        AuthError::MissingClaim(claim.clone())
                    }
                    JwtErrorKind::InvalidToken
                    | JwtErrorKind::Base64(_)
                    | JwtErrorKind::Json(_)
                    | JwtErrorKind::Utf8(_) => AuthError::Malformed(e),
                    _ => AuthError::Invalid(e),
                }
            })?;
        let claims = data.claims;
        match claims.token_use.as_deref() {
            Some("id") => {}
            Some(other) => return Err(AuthError::NotIdToken(other.to_owned())),
            None => return Err(AuthError::MissingClaim("token_use".into())),
        }
        claims.into_caller(None)
    }

    async fn key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        {
            let cache = self.cache.read().await;
            if let Some(key) = cache.keys.get(kid) {
                return Ok(key.clone());
            }
            if cache
                .fetched_at
                .is_some_and(|at| at.elapsed() < MIN_REFETCH_INTERVAL)
            {
                return Err(AuthError::UnknownKey(kid.to_owned()));
            }
        }
        let mut cache = self.cache.write().await;
        // Another task may have refreshed the keys while this one waited for the lock.
        let stale = cache
            .fetched_at
            .is_none_or(|at| at.elapsed() >= MIN_REFETCH_INTERVAL);
        if !cache.keys.contains_key(kid) && stale {
            cache.keys = self.fetch_keys().await?;
            cache.fetched_at = Some(Instant::now());
            tracing::info!(keys = cache.keys.len(), "user pool keys fetched");
        }
        cache
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| AuthError::UnknownKey(kid.to_owned()))
    }

    async fn fetch_keys(&self) -> Result<HashMap<String, DecodingKey>, AuthError> {
        let fail = |source: Box<dyn std::error::Error + Send + Sync>| AuthError::Jwks {
            url: self.jwks_url.clone(),
            source,
        };
        let set: JwkSet = self
            .http
            .get(&self.jwks_url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| fail(Box::new(e)))?
            .json()
            .await
            .map_err(|e| fail(Box::new(e)))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => {
                    keys.insert(kid, key);
                }
                Err(err) => tracing::warn!(kid = %kid, error = %err, "user pool key skipped"),
            }
        }
        Ok(keys)
    }
}

/// AppSync's `identity` of a Cognito-user-pool call: the token is verified by AppSync.
#[derive(Debug, Deserialize)]
struct AppSyncIdentity {
    #[serde(default)]
    sub: Option<String>,
    claims: IdClaims,
    #[serde(default)]
    groups: Option<Vec<String>>,
}

/// The caller of an AppSync Lambda resolver event, from its `identity` (claims as in the ID
/// token; `identity.groups` wins over `cognito:groups` when present).
pub fn caller_from_appsync_identity(
    identity: Option<&serde_json::Value>,
) -> Result<Caller, AuthError> {
    let identity = match identity {
        Some(v) if !v.is_null() => v,
        _ => return Err(AuthError::Missing),
    };
    if identity
        .get("claims")
        .is_none_or(serde_json::Value::is_null)
    {
        return Err(AuthError::Missing);
    }
    let mut identity: AppSyncIdentity =
        serde_json::from_value(identity.clone()).map_err(AuthError::Identity)?;
    if identity.claims.sub.is_none() {
        identity.claims.sub = identity.sub.take();
    }
    identity.claims.into_caller(identity.groups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::{json, Value};

    const PRIVATE_KEY: &str = include_str!("testdata/jwt_test_key.pem");
    const JWKS: &str = include_str!("testdata/jwks.json");
    const POOL: &str = "eu-west-2_TestPool1";
    const CLIENT: &str = "4f1d2c3b5a6e7d8c9b0a1f2e3d";

    fn issuer() -> String {
        format!("https://cognito-idp.eu-west-2.amazonaws.com/{POOL}")
    }

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn claims() -> Value {
        json!({
            "sub": "7d1c9a3e-1111-4c2b-9e8f-0a1b2c3d4e5f",
            "cognito:groups": ["IG"],
            "email_verified": true,
            "iss": issuer(),
            "cognito:username": "ig.reviewer",
            "origin_jti": "2f0c0e4a-5b1d-4c7e-8f3a-9d6b1e2c3a4f",
            "aud": CLIENT,
            "event_id": "c3b1f0a2-7e6d-4c5b-9a8f-1e2d3c4b5a6f",
            "token_use": "id",
            "auth_time": now() - 10,
            "exp": now() + 3600,
            "iat": now() - 10,
            "jti": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
            "email": "ig.reviewer@example.org"
        })
    }

    fn sign(claims: &Value, kid: &str) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        let key = EncodingKey::from_rsa_pem(PRIVATE_KEY.as_bytes()).unwrap();
        jsonwebtoken::encode(&header, claims, &key).unwrap()
    }

    /// Serves the test JWKS on a local port, as Cognito would.
    async fn verifier() -> JwksVerifier {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().route(
            &format!("/{POOL}/.well-known/jwks.json"),
            axum::routing::get(|| async { ([("content-type", "application/json")], JWKS) }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        JwksVerifier::for_user_pool(&format!("http://{addr}"), "eu-west-2", POOL, CLIENT)
    }

    async fn refused(claims: Value) -> String {
        verifier()
            .await
            .verify(&sign(&claims, "test-key-1"))
            .await
            .unwrap_err()
            .to_string()
    }

    #[tokio::test]
    async fn valid_id_token_gives_caller_from_claims() {
        let caller = verifier()
            .await
            .verify(&sign(&claims(), "test-key-1"))
            .await
            .unwrap();
        assert_eq!(
            caller,
            Caller {
                subject: "7d1c9a3e-1111-4c2b-9e8f-0a1b2c3d4e5f".into(),
                name: "ig.reviewer".into(),
                email: "ig.reviewer@example.org".into(),
                groups: vec!["IG".into()],
            }
        );
    }

    #[tokio::test]
    async fn name_claim_wins_over_user_name() {
        let mut c = claims();
        c["name"] = json!("Ida Gray");
        let caller = verifier()
            .await
            .verify(&sign(&c, "test-key-1"))
            .await
            .unwrap();
        assert_eq!(caller.name, "Ida Gray");
    }

    #[tokio::test]
    async fn token_for_another_app_client_is_refused() {
        let mut c = claims();
        c["aud"] = json!("another-client");
        assert_eq!(
            refused(c).await,
            format!("the token was issued for another app client (`aud` is not `{CLIENT}`)")
        );
    }

    #[tokio::test]
    async fn token_of_another_user_pool_is_refused() {
        let mut c = claims();
        c["iss"] = json!("https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_Other");
        assert!(refused(c)
            .await
            .starts_with("the token was issued by another user pool"));
    }

    #[tokio::test]
    async fn expired_token_is_refused() {
        let mut c = claims();
        c["exp"] = json!(now() - 3600);
        assert_eq!(refused(c).await, "the token has expired; sign in again");
    }

    #[tokio::test]
    async fn tampered_token_is_refused_for_its_signature() {
        let token = sign(&claims(), "test-key-1");
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut forged = claims();
        forged["cognito:groups"] = json!(["IG", "RIT"]);
        use base64::Engine;
        parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged.to_string());
        let err = verifier().await.verify(&parts.join(".")).await.unwrap_err();
        assert_eq!(err.to_string(), "the token signature is invalid");
    }

    #[tokio::test]
    async fn token_without_email_is_refused_naming_the_claim() {
        let mut c = claims();
        c.as_object_mut().unwrap().remove("email");
        assert!(refused(c).await.contains("no `email` claim"));
    }

    #[tokio::test]
    async fn access_token_is_refused() {
        let mut c = claims();
        c["token_use"] = json!("access");
        assert_eq!(
            refused(c).await,
            "the token is an `access` token; an ID token is required"
        );
    }

    #[tokio::test]
    async fn unknown_key_is_refused() {
        let err = verifier()
            .await
            .verify(&sign(&claims(), "rotated-away"))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the token is signed with key `rotated-away`, which the user pool does not publish"
        );
    }

    #[tokio::test]
    async fn unreachable_key_endpoint_is_the_servers_fault() {
        let v = JwksVerifier::for_user_pool("http://127.0.0.1:9", "eu-west-2", POOL, CLIENT);
        let err = v.verify(&sign(&claims(), "test-key-1")).await.unwrap_err();
        assert!(err.is_unavailable(), "{err}");
    }

    #[test]
    fn appsync_identity_gives_caller() {
        let identity = json!({
            "claims": claims(),
            "defaultAuthStrategy": "ALLOW",
            "groups": ["IG", "RIT"],
            "issuer": issuer(),
            "sourceIp": ["203.0.113.7"],
            "sub": "7d1c9a3e-1111-4c2b-9e8f-0a1b2c3d4e5f",
            "username": "ig.reviewer"
        });
        let caller = caller_from_appsync_identity(Some(&identity)).unwrap();
        assert_eq!(caller.groups, vec!["IG".to_string(), "RIT".to_string()]);
        assert_eq!(caller.email, "ig.reviewer@example.org");
    }

    #[test]
    fn appsync_event_without_user_identity_is_refused() {
        assert!(matches!(
            caller_from_appsync_identity(None),
            Err(AuthError::Missing)
        ));
        assert!(matches!(
            caller_from_appsync_identity(Some(&Value::Null)),
            Err(AuthError::Missing)
        ));
        // IAM-signed calls carry an identity without claims.
        let iam =
            json!({"accountId": "123456789012", "userArn": "arn:aws:iam::123456789012:user/x"});
        assert!(matches!(
            caller_from_appsync_identity(Some(&iam)),
            Err(AuthError::Missing)
        ));
    }
}
