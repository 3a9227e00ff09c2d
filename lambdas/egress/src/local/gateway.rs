//! HTTP routes of the local gateway.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use super::settings;
use crate::adapters::Clients;
use crate::api::auth::JwksVerifier;
use crate::api::schema::{self, Context, Schema};
use crate::api::service::ApiService;
use crate::config::{ApiSettings, Env, Role};
use crate::roles::Handler;

/// The GraphQL side: what AppSync with Cognito user-pool auth does in AWS.
struct GraphQl {
    schema: Schema,
    service: Arc<ApiService>,
    verifier: JwksVerifier,
}

/// Shared state of the routes.
struct Gateway {
    graphql: Option<GraphQl>,
    handlers: HashMap<Role, Handler>,
    function_prefix: String,
    moto_url: String,
    http: reqwest::Client,
    /// DynamoDB applies each request to an item atomically; moto's threaded server evaluates a
    /// condition and writes without a lock, so two conditional writes can both pass. Running
    /// DynamoDB requests one at a time restores the atomicity the roles rely on.
    dynamodb: tokio::sync::Mutex<()>,
}

/// Why the gateway cannot start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// A setting is missing or wrong.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The listener cannot bind.
    #[error("cannot listen on `{addr}`")]
    Bind {
        /// The address.
        addr: String,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// The server stopped with an error.
    #[error("the gateway stopped")]
    Serve(#[source] std::io::Error),
    /// The HTTP client cannot be built.
    #[error("cannot build the HTTP client")]
    Http(#[source] reqwest::Error),
}

/// Runs the gateway until interrupted. Arguments are not used; settings come from the
/// environment (see [`settings`]).
pub async fn run(_args: &[String]) -> Result<(), String> {
    crate::telemetry::init();
    serve().await.map_err(|e| crate::error::chain(&e))
}

async fn serve() -> Result<(), GatewayError> {
    let env = Env::process();
    let listen = env
        .optional(settings::LISTEN)
        .unwrap_or_else(|| "127.0.0.1:4566".into());
    let moto_url = env
        .required(settings::MOTO_URL)?
        .trim_end_matches('/')
        .to_owned();
    let function_prefix = env
        .optional(settings::FUNCTION_PREFIX)
        .unwrap_or_else(|| "egress-".into());
    let clients = Clients::load().await;
    let mut handlers = HashMap::new();
    for role in Role::ALL {
        handlers.insert(role, Handler::build(role, &clients, &env)?);
    }
    let region = env
        .optional("AWS_REGION")
        .unwrap_or_else(|| "us-east-1".into());
    let verifier = JwksVerifier::for_user_pool(
        &moto_url,
        &region,
        &env.required(settings::USER_POOL_ID)?,
        &env.required(settings::USER_POOL_CLIENT_ID)?,
    );
    let service = Arc::new(ApiService::new(&clients, ApiSettings::from_env(&env)?));
    let graphql = Some(GraphQl {
        schema: schema::schema(),
        service,
        verifier,
    });
    let http = reqwest::Client::builder()
        .build()
        .map_err(GatewayError::Http)?;
    let state = Arc::new(Gateway {
        graphql,
        handlers,
        function_prefix,
        moto_url,
        http,
        dynamodb: tokio::sync::Mutex::new(()),
    });
    let app = Router::new()
        .route("/graphql", post(serve_graphql))
        .route("/2015-03-31/functions/{function}/invocations", post(invoke))
        .route("/sns/{function}", post(sns_delivery))
        .fallback(forward)
        // S3 uploads pass through here on their way to moto: no body limit.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|source| GatewayError::Bind {
            addr: listen.clone(),
            source,
        })?;
    tracing::info!(listen = %listen, "local gateway listening");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(GatewayError::Serve)
}

impl Gateway {
    /// The role behind a function name or ARN (`arn:...:function:<name>[:qualifier]`).
    fn role_of(&self, function: &str) -> Option<Role> {
        let name = match function.split_once(":function:") {
            Some((_, rest)) => rest.split(':').next().unwrap_or(rest),
            None => function,
        };
        name.strip_prefix(&self.function_prefix)?.parse().ok()
    }
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn lambda_error(status: StatusCode, kind: &str, message: String, id: &str) -> Response {
    let mut response = (
        status,
        axum::Json(json!({ "Type": "User", "message": message })),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert("x-amzn-RequestId", header(id));
    headers.insert("x-amzn-ErrorType", header(kind));
    response
}

fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// The Lambda Invoke API, answered by the role handler in this process.
async fn invoke(
    State(gateway): State<Arc<Gateway>>,
    Path(function): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let id = request_id();
    let Some(handler) = gateway
        .role_of(&function)
        .and_then(|role| gateway.handlers.get(&role))
    else {
        return lambda_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!("Function not found: {function}"),
            &id,
        );
    };
    let event: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(event) => event,
            Err(e) => {
                return lambda_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestContentException",
                    format!("Could not parse request body into json: {e}"),
                    &id,
                )
            }
        }
    };
    let asynchronous = headers
        .get("x-amz-invocation-type")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"Event"));
    if asynchronous {
        let gateway = gateway.clone();
        let role = handler.role();
        let invocation = id.clone();
        tokio::spawn(async move {
            if let Some(handler) = gateway.handlers.get(&role) {
                let _ = handler.invoke(event, &invocation).await;
            }
        });
        let mut response = StatusCode::ACCEPTED.into_response();
        response
            .headers_mut()
            .insert("x-amzn-RequestId", header(&id));
        return response;
    }
    let result = handler.invoke(event, &id).await;
    let mut response = match result {
        Ok(output) => (StatusCode::OK, axum::Json(output)).into_response(),
        Err(diagnostic) => {
            let mut response = (
                StatusCode::OK,
                axum::Json(json!({
                    "errorType": diagnostic.error_type,
                    "errorMessage": diagnostic.error_message,
                })),
            )
                .into_response();
            response.headers_mut().insert(
                "X-Amz-Function-Error",
                HeaderValue::from_static("Unhandled"),
            );
            response
        }
    };
    let headers = response.headers_mut();
    headers.insert("x-amzn-RequestId", header(&id));
    headers.insert(
        "X-Amz-Executed-Version",
        HeaderValue::from_static("$LATEST"),
    );
    response
}

/// An SNS HTTP(S) delivery for a function subscribed to a topic, handed to the function as
/// the SNS event Lambda would build.
async fn sns_delivery(
    State(gateway): State<Arc<Gateway>>,
    Path(function): Path<String>,
    body: Bytes,
) -> Response {
    let id = request_id();
    let Some(handler) = gateway
        .role_of(&function)
        .and_then(|role| gateway.handlers.get(&role))
    else {
        return (StatusCode::NOT_FOUND, format!("no function `{function}`")).into_response();
    };
    let delivery: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return (StatusCode::BAD_REQUEST, format!("not an SNS delivery: {e}")).into_response()
        }
    };
    let field = |name: &str| delivery.get(name).cloned().unwrap_or(Value::Null);
    match delivery.get("Type").and_then(Value::as_str) {
        Some("Notification") => {}
        Some("SubscriptionConfirmation") => {
            // Confirm only against the emulator this gateway fronts.
            if let Some(url) = delivery.get("SubscribeURL").and_then(Value::as_str) {
                if url.starts_with(&gateway.moto_url) {
                    let confirmed = gateway.http.get(url).send().await;
                    if let Err(err) = confirmed.and_then(|r| r.error_for_status()) {
                        tracing::error!(function = %function, error = %err, "cannot confirm the SNS subscription");
                        return StatusCode::BAD_GATEWAY.into_response();
                    }
                }
            }
            return StatusCode::OK.into_response();
        }
        _ => return (StatusCode::BAD_REQUEST, "unknown SNS message type").into_response(),
    }
    let topic = field("TopicArn");
    let event = json!({
        "Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": format!("{}:{}", topic.as_str().unwrap_or_default(), id),
            "Sns": {
                "Type": "Notification",
                "MessageId": field("MessageId"),
                "TopicArn": topic,
                "Subject": field("Subject"),
                "Message": field("Message"),
                "Timestamp": field("Timestamp"),
                "SignatureVersion": field("SignatureVersion"),
                "Signature": field("Signature"),
                "SigningCertUrl": field("SigningCertURL"),
                "UnsubscribeUrl": field("UnsubscribeURL"),
                "MessageAttributes": {},
            }
        }]
    });
    match handler.invoke(event, &id).await {
        Ok(output) => (StatusCode::OK, axum::Json(output)).into_response(),
        // SNS retries HTTP deliveries that fail with a server error.
        Err(diagnostic) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({"errorType": diagnostic.error_type, "errorMessage": diagnostic.error_message})),
        )
            .into_response(),
    }
}

/// An AppSync-style GraphQL error response.
fn graphql_error(status: StatusCode, error_type: &str, message: String) -> Response {
    let body = json!({ "data": null, "errors": [{ "errorType": error_type, "message": message }] });
    (status, axum::Json(body)).into_response()
}

/// The GraphQL API: the caller is whoever the Cognito ID token in `Authorization` names, as
/// with AppSync's user-pool authorization; a missing or invalid token is refused outright.
async fn serve_graphql(
    State(gateway): State<Arc<Gateway>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(api) = &gateway.graphql else {
        return graphql_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            "no GraphQL API here".into(),
        );
    };
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_start_matches("Bearer ").trim())
        .filter(|v| !v.is_empty());
    let Some(token) = token else {
        return graphql_error(
            StatusCode::UNAUTHORIZED,
            "UnauthorizedException",
            "Unauthorized: the request carries no Cognito ID token in `Authorization`".into(),
        );
    };
    let caller = match api.verifier.verify(token).await {
        Ok(caller) => caller,
        Err(err) if err.is_unavailable() => {
            tracing::error!(error = %crate::error::chain(&err), "cannot verify tokens");
            return graphql_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "the token keys cannot be fetched; try again".into(),
            );
        }
        Err(err) => {
            tracing::info!(error = %err, "token refused");
            return graphql_error(
                StatusCode::UNAUTHORIZED,
                "UnauthorizedException",
                format!("Unauthorized: {err}"),
            );
        }
    };
    let context = Context::new(api.service.clone(), Some(caller));
    let response = schema::execute(&api.schema, &context, &body).await;
    (StatusCode::OK, axum::Json(response)).into_response()
}

/// Hop-by-hop headers that a proxy must not pass on.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Everything else goes to moto unchanged.
async fn forward(
    State(gateway): State<Arc<Gateway>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let url = format!("{}{}", gateway.moto_url, path);
    // Streamed both ways, so large uploads and downloads pass through in constant memory.
    let body = reqwest::Body::wrap_stream(body.into_data_stream());
    let mut request = gateway.http.request(method, &url).body(body);
    for (name, value) in &headers {
        // Content-Length stays: with it the streamed body is sent as is rather than chunked.
        if name == "host" || HOP_BY_HOP.contains(&name.as_str()) {
            continue;
        }
        request = request.header(name, value);
    }
    // Signatures cover the Host header: keep the one the client signed.
    if let Some(host) = headers.get("host") {
        request = request.header("host", host);
    }
    let is_dynamodb = headers
        .get("x-amz-target")
        .is_some_and(|target| target.as_bytes().starts_with(b"DynamoDB_"));
    // moto answers once the operation is done, so the lock covers it whole.
    let serial = if is_dynamodb {
        Some(gateway.dynamodb.lock().await)
    } else {
        None
    };
    let sent = request.send().await;
    drop(serial);
    match sent {
        Ok(upstream) => {
            let status = upstream.status();
            let mut out_headers = HeaderMap::new();
            for (name, value) in upstream.headers() {
                if name == "content-length" || HOP_BY_HOP.contains(&name.as_str()) {
                    continue;
                }
                if let Ok(name) = HeaderName::from_bytes(name.as_str().as_bytes()) {
                    out_headers.append(name, value.clone());
                }
            }
            let body = Body::from_stream(upstream.bytes_stream());
            let mut response = Response::new(body);
            *response.status_mut() =
                StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            *response.headers_mut() = out_headers;
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot reach moto");
            (StatusCode::BAD_GATEWAY, format!("cannot reach moto: {e}")).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway() -> Gateway {
        Gateway {
            graphql: None,
            handlers: HashMap::new(),
            function_prefix: "egress-".into(),
            moto_url: "http://127.0.0.1:1".into(),
            http: reqwest::Client::new(),
            dynamodb: tokio::sync::Mutex::new(()),
        }
    }

    #[test]
    fn finds_roles_by_name_and_arn() {
        let g = gateway();
        assert_eq!(g.role_of("egress-stage-objects"), Some(Role::StageObjects));
        assert_eq!(
            g.role_of("arn:aws:lambda:us-east-1:123456789012:function:egress-await-review"),
            Some(Role::AwaitReview)
        );
        assert_eq!(
            g.role_of("arn:aws:lambda:us-east-1:123456789012:function:egress-api:$LATEST"),
            Some(Role::Api)
        );
        assert_eq!(g.role_of("other-stage-objects"), None);
        assert_eq!(g.role_of("egress-unknown"), None);
    }
}
