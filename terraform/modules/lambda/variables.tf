variable "name_prefix" {
  description = "Prefix of the function, role and log group names (<name_prefix>-<role>)."
  type        = string
}

variable "artifact_path" {
  description = "Path of the zip that scripts/build-lambda produces (bootstrap for arm64, provided.al2023); every function runs it."
  type        = string

  validation {
    condition     = endswith(var.artifact_path, ".zip")
    error_message = "artifact_path must name the .zip file built by scripts/build-lambda."
  }
}

variable "function_settings" {
  description = "Per-role overrides of memory, timeout and reserved concurrency, keyed by role name (start-workflow, stage-objects, await-review, discard-staged, publish-approved, notify-requester, api, pre-token). Unset values keep the module's defaults; reserved concurrency is unset by default."
  type = map(object({
    memory_size_in_mb              = optional(number)
    timeout_in_seconds             = optional(number)
    reserved_concurrent_executions = optional(number)
  }))
  default = {}

  validation {
    condition = alltrue([
      for role in keys(var.function_settings) :
      contains(["start-workflow", "stage-objects", "await-review", "discard-staged", "publish-approved", "notify-requester", "api", "pre-token"], role)
    ])
    error_message = "function_settings keys must be role names: start-workflow, stage-objects, await-review, discard-staged, publish-approved, notify-requester, api, pre-token."
  }

  validation {
    condition = alltrue([
      for settings in values(var.function_settings) :
      settings.timeout_in_seconds == null ? true : settings.timeout_in_seconds >= 1 && settings.timeout_in_seconds <= 900
    ])
    error_message = "timeout_in_seconds must be between 1 and 900."
  }

  validation {
    condition = alltrue([
      for settings in values(var.function_settings) :
      settings.memory_size_in_mb == null ? true : settings.memory_size_in_mb >= 128 && settings.memory_size_in_mb <= 10240
    ])
    error_message = "memory_size_in_mb must be between 128 and 10240."
  }
}

variable "log_retention_in_days" {
  description = "How long the functions' logs are kept."
  type        = number
  default     = 365
}

variable "logs_kms_key_arn" {
  description = "ARN of the customer-managed key that encrypts the functions' log groups."
  type        = string
}

variable "application_log_level" {
  description = "Lowest level of the functions' own log records that reach CloudWatch."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.application_log_level)
    error_message = "application_log_level must be TRACE, DEBUG, INFO, WARN, ERROR or FATAL."
  }
}

variable "state_machine_arn" {
  description = "ARN of the egress workflow state machine: start-workflow starts it, the api function reports review decisions to it."
  type        = string
}

variable "requests_table" {
  description = "The egress requests table and the key that encrypts it."
  type = object({
    name        = string
    arn         = string
    kms_key_arn = string
  })
}

variable "staging" {
  description = "The staging bucket and the key that encrypts staged objects."
  type = object({
    bucket_name = string
    bucket_arn  = string
    kms_key_arn = string
  })
}

variable "swb_egress_store_bucket" {
  description = "Service Workbench's egress store bucket (source of the submitted object versions) and its key."
  type = object({
    name        = string
    kms_key_arn = string
  })
}

variable "swb_notification_bucket" {
  description = "Service Workbench's notification bucket (holds the object list of each request) and its key."
  type = object({
    name        = string
    kms_key_arn = string
  })
}

variable "datalake_bucket" {
  description = "The datalake bucket that receives approved archives under approved_egress/, and its key."
  type = object({
    name        = string
    kms_key_arn = string
  })
}

variable "reviewer_groups" {
  description = "Names of the reviewer groups in stage order."
  type        = list(string)
}

variable "max_downloads" {
  description = "How many times the approved data of one request may be downloaded."
  type        = number
}

variable "presigned_url_ttl_seconds" {
  description = "Lifetime of a presigned download URL."
  type        = number
}

variable "multipart_copy_threshold_bytes" {
  description = "Objects larger than this are copied into staging part by part."
  type        = number
}

variable "multipart_part_size_bytes" {
  description = "Part size of multipart copies and of the archive upload."
  type        = number
}

variable "mail" {
  description = "What the notify-requester function sends e-mail with: the sender address, its SES identity, the configuration set, and the web app URL quoted in the message."
  type = object({
    sender_email           = string
    identity_arn           = string
    configuration_set_name = string
    configuration_set_arn  = string
    egress_app_url         = string
  })
}

variable "failure_destination" {
  description = "Topic (and its key) that receives SWB notifications the start-workflow function could not process after its retries."
  type = object({
    topic_arn   = string
    kms_key_arn = string
  })
}

variable "scratch" {
  description = "Network and EFS access point of the publish-approved function, which builds archives on the file system."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
    file_system_arn    = string
    access_point_arn   = string
  })
}

variable "tags" {
  description = "Tags applied to every function, role and log group."
  type        = map(string)
  default     = {}
}
