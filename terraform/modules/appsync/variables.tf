variable "name" {
  description = "Name of the GraphQL API; its roles and data source are named after it."
  type        = string
}

variable "schema" {
  description = "GraphQL schema (the content of schema/schema.graphql)."
  type        = string
}

variable "user_pool_id" {
  description = "ID of the Cognito user pool whose tokens authorize every request."
  type        = string
}

variable "lambda_function_arn" {
  description = "ARN of the api function that resolves every field."
  type        = string
}

variable "resolvers" {
  description = "Fields resolved directly by the api function, as type and field names."
  type = list(object({
    type  = string
    field = string
  }))
  default = [
    { type = "Query", field = "listRequests" },
    { type = "Mutation", field = "updateRequest" },
    { type = "Mutation", field = "downloadData" },
  ]
}

variable "field_log_level" {
  description = "Field-level resolver logging."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["ERROR", "INFO", "DEBUG", "ALL"], var.field_log_level)
    error_message = "field_log_level must be ERROR, INFO, DEBUG or ALL."
  }
}

variable "introspection_enabled" {
  description = "Whether clients may query the schema by introspection."
  type        = bool
  default     = false
}

variable "web_acl_arn" {
  description = "ARN of a regional WAFv2 web ACL to associate with the API; null associates none."
  type        = string
  default     = null
}

variable "log_retention_in_days" {
  description = "How long the API's logs are kept."
  type        = number
  default     = 365
}

variable "logs_kms_key_arn" {
  description = "ARN of the customer-managed key that encrypts the API's log group."
  type        = string
}

variable "tags" {
  description = "Tags applied to the API and its roles."
  type        = map(string)
  default     = {}
}
