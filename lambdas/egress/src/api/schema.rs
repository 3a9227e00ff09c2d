//! The GraphQL schema of `schema/schema.graphql` in juniper, served by the local gateway.

use std::sync::Arc;

use juniper::{
    graphql_object, graphql_value, EmptySubscription, FieldError, FieldResult, RootNode,
};

use super::service::{ApiError, ApiService};
use super::types::{DownloadDataInput, PresignPayload, Request, UpdateRequestInput};
use crate::domain::review::Caller;

/// What every resolver sees: the service and the caller the gateway verified.
#[derive(Debug, Clone)]
pub struct Context {
    service: Arc<ApiService>,
    caller: Option<Caller>,
}

impl juniper::Context for Context {}

impl Context {
    /// A context for one request; `caller` is `None` when the request carried no valid token.
    pub fn new(service: Arc<ApiService>, caller: Option<Caller>) -> Self {
        Context { service, caller }
    }

    fn caller(&self) -> Result<&Caller, FieldError> {
        self.caller
            .as_ref()
            .ok_or_else(|| field_error(&ApiError::Unauthenticated))
    }
}

/// An API error as a GraphQL error: the caller-facing message and AppSync's error type.
fn field_error(err: &ApiError) -> FieldError {
    let error_type = err.error_type();
    FieldError::new(err.to_string(), graphql_value!({ "errorType": error_type }))
}

/// The query root.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query;

#[graphql_object]
#[graphql(context = Context)]
impl Query {
    /// Every egress request, newest first.
    async fn list_requests(context: &Context) -> FieldResult<Option<Vec<Option<Request>>>> {
        let requests = context
            .service
            .list_requests(context.caller()?)
            .await
            .map_err(|e| field_error(&e))?;
        Ok(Some(requests.into_iter().map(Some).collect()))
    }
}

/// The mutation root.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mutation;

#[graphql_object]
#[graphql(context = Context)]
impl Mutation {
    /// Record the caller's decision on the stage that is waiting and resume the workflow.
    async fn update_request(
        context: &Context,
        request: UpdateRequestInput,
    ) -> FieldResult<Option<String>> {
        let message = context
            .service
            .update_request(context.caller()?, &request)
            .await
            .map_err(|e| field_error(&e))?;
        Ok(Some(message))
    }

    /// Return a short-lived download link to the approved archive; counts one download.
    async fn download_data(
        context: &Context,
        request: DownloadDataInput,
    ) -> FieldResult<Option<PresignPayload>> {
        let payload = context
            .service
            .download_data(context.caller()?, &request)
            .await
            .map_err(|e| field_error(&e))?;
        Ok(Some(payload))
    }
}

/// The schema type.
pub type Schema = RootNode<'static, Query, Mutation, EmptySubscription<Context>>;

/// Builds the schema (once per process; it holds no state).
pub fn schema() -> Schema {
    Schema::new(Query, Mutation, EmptySubscription::new())
}

/// Executes a GraphQL-over-HTTP request body (a single request or a batch) and returns the
/// response body. GraphQL errors are inside the response; a body that is not a GraphQL request
/// gets a response with one error saying so.
pub async fn execute(schema: &Schema, context: &Context, request_json: &[u8]) -> serde_json::Value {
    let request: juniper::http::GraphQLBatchRequest = match serde_json::from_slice(request_json) {
        Ok(request) => request,
        Err(err) => {
            return serde_json::json!({
                "errors": [{
                    "message": format!("the request body is not a GraphQL request: {err}"),
                    "extensions": { "errorType": "InvalidInput" },
                }]
            })
        }
    };
    let response = request.execute(schema, context).await;
    serde_json::to_value(&response).unwrap_or_else(|err| {
        tracing::error!(error = %err, "cannot encode a GraphQL response");
        serde_json::json!({ "errors": [{ "message": "internal error: cannot encode the response" }] })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    use graphql_parser::schema::{Definition, Document, Type, TypeDefinition};
    use serde_json::{json, Value};

    use crate::adapters::Clients;
    use crate::config::{ApiSettings, ReviewerGroups};

    const SCHEMA_FILE: &str = include_str!("../../../../schema/schema.graphql");

    /// Clients that are never called: enough to build a context for introspection.
    fn offline_service() -> Arc<ApiService> {
        let region = aws_sdk_s3::config::Region::from_static("eu-west-2");
        let behavior = aws_sdk_s3::config::BehaviorVersion::latest();
        let clients = Clients {
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::Config::builder()
                    .behavior_version(behavior)
                    .region(region.clone())
                    .build(),
            ),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::Config::builder()
                    .behavior_version(behavior)
                    .region(region.clone())
                    .build(),
            ),
            sfn: aws_sdk_sfn::Client::from_conf(
                aws_sdk_sfn::Config::builder()
                    .behavior_version(behavior)
                    .region(region.clone())
                    .build(),
            ),
            sesv2: aws_sdk_sesv2::Client::from_conf(
                aws_sdk_sesv2::Config::builder()
                    .behavior_version(behavior)
                    .region(region)
                    .build(),
            ),
        };
        let settings = ApiSettings {
            requests_table: "requests".into(),
            datalake_bucket: "datalake".into(),
            reviewer_groups: ReviewerGroups {
                first: "IG".into(),
                second: "RIT".into(),
            },
            max_downloads: 1,
            presigned_url_ttl: std::time::Duration::from_secs(300),
        };
        Arc::new(ApiService::new(&clients, settings))
    }

    /// Object and input types: name → field name → (type, argument name → type).
    type Shape = BTreeMap<String, BTreeMap<String, (String, BTreeMap<String, String>)>>;

    fn render(ty: &Type<'_, String>) -> String {
        match ty {
            Type::NamedType(name) => name.clone(),
            Type::ListType(inner) => format!("[{}]", render(inner)),
            Type::NonNullType(inner) => format!("{}!", render(inner)),
        }
    }

    /// The shape of an SDL file, without descriptions and directives.
    fn sdl_shape(document: &Document<'_, String>) -> Shape {
        let mut shape = Shape::new();
        for definition in &document.definitions {
            match definition {
                Definition::TypeDefinition(TypeDefinition::Object(object)) => {
                    let fields = object
                        .fields
                        .iter()
                        .map(|f| {
                            let args = f
                                .arguments
                                .iter()
                                .map(|a| (a.name.clone(), render(&a.value_type)))
                                .collect();
                            (f.name.clone(), (render(&f.field_type), args))
                        })
                        .collect();
                    shape.insert(format!("type {}", object.name), fields);
                }
                Definition::TypeDefinition(TypeDefinition::InputObject(input)) => {
                    let fields = input
                        .fields
                        .iter()
                        .map(|f| (f.name.clone(), (render(&f.value_type), BTreeMap::new())))
                        .collect();
                    shape.insert(format!("input {}", input.name), fields);
                }
                Definition::TypeDefinition(TypeDefinition::Enum(e)) => {
                    let values = e
                        .values
                        .iter()
                        .map(|v| (v.name.clone(), (String::new(), BTreeMap::new())))
                        .collect();
                    shape.insert(format!("enum {}", e.name), values);
                }
                Definition::TypeDefinition(
                    TypeDefinition::Interface(_) | TypeDefinition::Union(_),
                ) => {
                    panic!("the comparison does not handle interfaces and unions yet");
                }
                _ => {}
            }
        }
        shape
    }

    /// Renders an introspection `__Type` reference as SDL.
    fn introspected_type(ty: &Value) -> String {
        match ty["kind"].as_str() {
            Some("NON_NULL") => format!("{}!", introspected_type(&ty["ofType"])),
            Some("LIST") => format!("[{}]", introspected_type(&ty["ofType"])),
            _ => ty["name"].as_str().unwrap_or_default().to_owned(),
        }
    }

    /// The shape juniper serves, from its introspection, without the built-in types.
    fn juniper_shape(introspection: &Value) -> Shape {
        let mut shape = Shape::new();
        for ty in introspection["__schema"]["types"].as_array().unwrap() {
            let name = ty["name"].as_str().unwrap();
            if name.starts_with("__") {
                continue;
            }
            let (key, fields) = match ty["kind"].as_str().unwrap() {
                "OBJECT" => (
                    format!("type {name}"),
                    ty["fields"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|f| {
                            let args = f["args"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|a| {
                                    (
                                        a["name"].as_str().unwrap().to_owned(),
                                        introspected_type(&a["type"]),
                                    )
                                })
                                .collect();
                            (
                                f["name"].as_str().unwrap().to_owned(),
                                (introspected_type(&f["type"]), args),
                            )
                        })
                        .collect(),
                ),
                "INPUT_OBJECT" => (
                    format!("input {name}"),
                    ty["inputFields"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|f| {
                            (
                                f["name"].as_str().unwrap().to_owned(),
                                (introspected_type(&f["type"]), BTreeMap::new()),
                            )
                        })
                        .collect(),
                ),
                "ENUM" => (
                    format!("enum {name}"),
                    ty["enumValues"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| {
                            (
                                v["name"].as_str().unwrap().to_owned(),
                                (String::new(), BTreeMap::new()),
                            )
                        })
                        .collect(),
                ),
                // Scalars are juniper's built-ins (String, Boolean, ...), which the file does
                // not declare.
                _ => continue,
            };
            shape.insert(key, fields);
        }
        shape
    }

    /// Every difference between the file's shape and juniper's, one line each.
    fn differences(file: &Shape, served: &Shape) -> Vec<String> {
        let mut out = Vec::new();
        let names: BTreeSet<&String> = file.keys().chain(served.keys()).collect();
        for name in names {
            match (file.get(name), served.get(name)) {
                (Some(_), None) => out.push(format!("{name}: in the schema file, not served")),
                (None, Some(_)) => out.push(format!("{name}: served, not in the schema file")),
                (Some(a), Some(b)) => {
                    let fields: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                    for field in fields {
                        match (a.get(field), b.get(field)) {
                            (Some(_), None) => {
                                out.push(format!("{name}.{field}: in the schema file, not served"))
                            }
                            (None, Some(_)) => {
                                out.push(format!("{name}.{field}: served, not in the schema file"))
                            }
                            (Some(x), Some(y)) if x != y => out.push(format!(
                                "{name}.{field}: the file says {x:?}, juniper serves {y:?}"
                            )),
                            _ => {}
                        }
                    }
                }
                (None, None) => {}
            }
        }
        out
    }

    fn file_shape(text: &str) -> Shape {
        let document = graphql_parser::parse_schema::<String>(text).unwrap();
        sdl_shape(&document)
    }

    async fn served_shape() -> Shape {
        let schema = schema();
        let context = Context::new(offline_service(), None);
        let (value, errors) = juniper::introspect(
            &schema,
            &context,
            juniper::IntrospectionFormat::WithoutDescriptions,
        )
        .unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        juniper_shape(&serde_json::to_value(&value).unwrap())
    }

    #[tokio::test]
    async fn juniper_schema_matches_schema_file() {
        let diff = differences(&file_shape(SCHEMA_FILE), &served_shape().await);
        assert!(
            diff.is_empty(),
            "schema/schema.graphql and api/schema.rs disagree:\n{}",
            diff.join("\n")
        );
    }

    #[tokio::test]
    async fn comparison_catches_renamed_field_and_changed_nullability() {
        let served = served_shape().await;
        let renamed =
            SCHEMA_FILE.replace("  egress_store_name: String!", "  egressStoreName: String!");
        let diff = differences(&file_shape(&renamed), &served);
        assert!(
            diff.iter()
                .any(|d| d.contains("type Request.egress_store_name")),
            "{diff:?}"
        );
        assert!(
            diff.iter()
                .any(|d| d.contains("type Request.egressStoreName")),
            "{diff:?}"
        );

        let nullable = SCHEMA_FILE.replace("  project_id: String!", "  project_id: String");
        let diff = differences(&file_shape(&nullable), &served);
        assert_eq!(diff, vec!["type Request.project_id: the file says (\"String\", {}), juniper serves (\"String!\", {})"]);

        let argument = SCHEMA_FILE.replace(
            "downloadData(request: DownloadDataInput!)",
            "downloadData(request: DownloadDataInput)",
        );
        assert_eq!(differences(&file_shape(&argument), &served).len(), 1);

        let input = SCHEMA_FILE.replace(
            "  download_count: String!\n}",
            "  download_count: String\n}",
        );
        assert_eq!(differences(&file_shape(&input), &served).len(), 1);
    }

    #[tokio::test]
    async fn unauthenticated_query_gets_a_graphql_error_not_data() {
        let schema = schema();
        let context = Context::new(offline_service(), None);
        let body = json!({ "query": "mutation { updateRequest(request: {egress_request_id: \"r\", task_token: \"h\"}) }" });
        let response = execute(&schema, &context, body.to_string().as_bytes()).await;
        assert_eq!(response["data"]["updateRequest"], Value::Null);
        assert_eq!(response["errors"][0]["message"], "you are not signed in");
        assert_eq!(
            response["errors"][0]["extensions"]["errorType"],
            "Unauthorized"
        );
    }

    #[tokio::test]
    async fn non_graphql_body_is_answered_with_an_error() {
        let context = Context::new(offline_service(), None);
        let response = execute(&schema(), &context, b"not json").await;
        assert!(response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("the request body is not a GraphQL request"));
    }
}
