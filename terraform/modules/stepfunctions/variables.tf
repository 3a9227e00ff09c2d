variable "name" {
  description = "Name of the state machine; its role and log group are named after it."
  type        = string
}

variable "definition" {
  description = "Amazon States Language definition, already rendered (templatefile() of statemachine/egress_workflow.asl.json)."
  type        = string
}

variable "lambda_function_arns" {
  description = "Functions the workflow invokes (with or without a task token)."
  type        = list(string)
}

variable "dynamodb_tables" {
  description = "Tables the workflow writes with its DynamoDB integrations, and the key of each table when it has a customer-managed one."
  type = list(object({
    arn         = string
    actions     = list(string)
    kms_key_arn = optional(string)
  }))
}

variable "sns_topic_arns" {
  description = "Topics the workflow publishes to."
  type        = list(string)
}

variable "sns_kms_key_arn" {
  description = "ARN of the key that encrypts the topics."
  type        = string
}

variable "log_level" {
  description = "Which execution history events go to the log group."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL"], var.log_level)
    error_message = "log_level must be ALL, ERROR or FATAL."
  }
}

variable "include_execution_data" {
  description = "Whether the logged events include the state input and output (the request, including the requester's identity)."
  type        = bool
  default     = false
}

variable "log_retention_in_days" {
  description = "How long the execution history logs are kept."
  type        = number
  default     = 365
}

variable "logs_kms_key_arn" {
  description = "ARN of the customer-managed key that encrypts the log group."
  type        = string
}

variable "tags" {
  description = "Tags applied to the state machine, its role and its log group."
  type        = map(string)
  default     = {}
}
