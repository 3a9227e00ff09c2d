################################################################################
# General
################################################################################

variable "name_prefix" {
  description = "Prefix of every resource name; keep it short, bucket and role names are derived from it."
  type        = string
  default     = "swb-egress"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-20 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Tags applied to every resource that takes tags."
  type        = map(string)
  default     = {}
}

variable "lambda_artifact_path" {
  description = "Path of the zip built by scripts/build-lambda (target/lambda/egress/bootstrap.zip); every function runs it."
  type        = string

  validation {
    condition     = endswith(var.lambda_artifact_path, ".zip") && fileexists(var.lambda_artifact_path)
    error_message = "lambda_artifact_path must name an existing .zip file: run scripts/build-lambda first."
  }
}

################################################################################
# What already exists: Service Workbench and the datalake
################################################################################

variable "swb_egress_store_bucket" {
  description = "Service Workbench's egress store bucket, which holds the submitted object versions, and the KMS key that encrypts it."
  type = object({
    name        = string
    kms_key_arn = string
  })

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.swb_egress_store_bucket.name)) && can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.swb_egress_store_bucket.kms_key_arn))
    error_message = "swb_egress_store_bucket needs a bucket name and a KMS key ARN (arn:...:kms:<region>:<account>:key/<id>)."
  }
}

variable "swb_notification_bucket" {
  description = "Service Workbench's notification bucket, which holds the object list of each request, and the KMS key that encrypts it."
  type = object({
    name        = string
    kms_key_arn = string
  })

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.swb_notification_bucket.name)) && can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.swb_notification_bucket.kms_key_arn))
    error_message = "swb_notification_bucket needs a bucket name and a KMS key ARN (arn:...:kms:<region>:<account>:key/<id>)."
  }
}

variable "swb_egress_store_table_name" {
  description = "Name of Service Workbench's egress store table (key id), in this account and region; the workflow sets its status."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.swb_egress_store_table_name))
    error_message = "swb_egress_store_table_name must be a DynamoDB table name."
  }
}

variable "swb_egress_store_table_kms_key_arn" {
  description = "ARN of the customer-managed KMS key of Service Workbench's egress store table, if it has one; null when the table uses an AWS owned or AWS managed key."
  type        = string
  default     = null

  validation {
    condition     = var.swb_egress_store_table_kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.swb_egress_store_table_kms_key_arn))
    error_message = "swb_egress_store_table_kms_key_arn must be a KMS key ARN (arn:...:kms:<region>:<account>:key/<id>) or null."
  }
}

variable "swb_topic_arn" {
  description = "ARN of Service Workbench's SNS topic that announces egress requests; the start-workflow function is subscribed to it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+$", var.swb_topic_arn))
    error_message = "swb_topic_arn must be an SNS topic ARN."
  }
}

variable "datalake_bucket" {
  description = "The datalake bucket that receives approved archives under approved_egress/, and the KMS key they are encrypted with."
  type = object({
    name        = string
    kms_key_arn = string
  })

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.datalake_bucket.name)) && can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.datalake_bucket.kms_key_arn))
    error_message = "datalake_bucket needs a bucket name and a KMS key ARN (arn:...:kms:<region>:<account>:key/<id>)."
  }
}

################################################################################
# Review
################################################################################

variable "reviewer_groups" {
  description = "The two reviewer groups in stage order: the Cognito group name, an optional description, and the addresses their notification topic e-mails."
  type = list(object({
    name                = string
    description         = optional(string)
    notification_emails = optional(list(string), [])
  }))

  validation {
    condition     = length(var.reviewer_groups) == 2 && length(distinct([for group in var.reviewer_groups : group.name])) == 2
    error_message = "reviewer_groups must hold two groups with different names, first stage first."
  }

  validation {
    condition     = alltrue([for group in var.reviewer_groups : can(regex("^[A-Za-z0-9_-]{1,64}$", group.name))])
    error_message = "Reviewer group names may hold letters, digits, hyphens and underscores only (they are joined with commas)."
  }
}

variable "review_timeout_seconds" {
  description = "How long each review stage waits for a decision before the request expires. The execution as a whole may run twice this plus one day."
  type        = number
  default     = 1814400 # 21 days

  validation {
    condition     = var.review_timeout_seconds >= 3600 && var.review_timeout_seconds <= 15724800 && var.review_timeout_seconds == floor(var.review_timeout_seconds)
    error_message = "review_timeout_seconds must be a whole number between 3600 (1 hour) and 15724800 (182 days), so that an execution fits in Step Functions' one-year limit."
  }
}

variable "max_downloads" {
  description = "How many times the approved data of one request may be downloaded."
  type        = number
  default     = 3

  validation {
    condition     = var.max_downloads >= 1 && var.max_downloads == floor(var.max_downloads)
    error_message = "max_downloads must be a whole number of at least 1."
  }
}

variable "presigned_url_ttl_seconds" {
  description = "Lifetime of a presigned download URL."
  type        = number
  default     = 300

  validation {
    condition     = var.presigned_url_ttl_seconds >= 1 && var.presigned_url_ttl_seconds <= 604800
    error_message = "presigned_url_ttl_seconds must be between 1 and 604800 (seven days, the SigV4 limit)."
  }
}

variable "multipart_copy_threshold_bytes" {
  description = "Objects larger than this are copied into staging part by part (at most 5 GiB, S3's single-copy limit)."
  type        = number
  default     = 5368709120

  validation {
    condition     = var.multipart_copy_threshold_bytes >= 5242880 && var.multipart_copy_threshold_bytes <= 5368709120
    error_message = "multipart_copy_threshold_bytes must be between 5 MiB and 5 GiB."
  }
}

variable "multipart_part_size_bytes" {
  description = "Part size of multipart copies into staging and of the archive upload."
  type        = number
  default     = 268435456

  validation {
    condition     = var.multipart_part_size_bytes >= 5242880 && var.multipart_part_size_bytes <= 5368709120
    error_message = "multipart_part_size_bytes must be between 5 MiB and 5 GiB."
  }
}

################################################################################
# People and the web app
################################################################################

variable "egress_app_url" {
  description = "URL of the reviewer web app: quoted in notifications and allowed as the sign-in callback."
  type        = string

  validation {
    condition     = can(regex("^https://[^\\s/]+", var.egress_app_url))
    error_message = "egress_app_url must be an https URL."
  }
}

variable "administrator_email" {
  description = "Address subscribed to the administrator topic, which receives failed requests and alarms."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.administrator_email))
    error_message = "administrator_email must be an e-mail address."
  }
}

variable "sender_email" {
  description = "Sender (From) address of the e-mails to requesters; SES must verify it (or sender_domain)."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.sender_email))
    error_message = "sender_email must be an e-mail address."
  }
}

variable "sender_domain" {
  description = "Domain of sender_email to verify in SES with Easy DKIM instead of the single address; null verifies the address."
  type        = string
  default     = null
}

variable "cognito" {
  description = "Sign-in of the reviewers: hosted-UI domain prefix, MFA of local users, password length, extra callback and sign-out URLs (the web app URL is always allowed), pre-token-generation event version, and an optional SAML identity provider whose groups attribute maps to custom:groups."
  type = object({
    domain_prefix                       = string
    mfa_configuration                   = optional(string, "ON")
    password_minimum_length             = optional(number, 14)
    additional_callback_urls            = optional(list(string), [])
    additional_logout_urls              = optional(list(string), [])
    pre_token_generation_lambda_version = optional(string, "V1_0")
    saml_identity_provider = optional(object({
      name              = string
      metadata_url      = optional(string)
      metadata_document = optional(string)
      email_attribute   = optional(string, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress")
      groups_attribute  = string
      sign_out_enabled  = optional(bool, false)
    }))
  })

  validation {
    condition     = contains(["ON", "OPTIONAL", "OFF"], var.cognito.mfa_configuration)
    error_message = "cognito.mfa_configuration must be ON, OPTIONAL or OFF."
  }
}

################################################################################
# Operations
################################################################################

variable "deletion_protection_enabled" {
  description = "Whether the requests table and the user pool refuse deletion until protection is turned off."
  type        = bool
  default     = true
}

variable "log_retention_in_days" {
  description = "How long every log group (functions, workflow, API, flow logs) and the S3 access logs are kept."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before a scheduled deletion of one of the module's KMS keys completes."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be between 7 and 30."
  }
}

variable "vpc_cidr_block" {
  description = "CIDR block of the VPC of the publish function and its file system."
  type        = string
  default     = "10.42.0.0/24"
}

variable "availability_zones" {
  description = "The two availability zones of the publish function's private subnets; null takes the first two zones of the region in name order."
  type        = list(string)
  default     = null
}

variable "lambda_function_settings" {
  description = "Per-role overrides of memory, timeout and reserved concurrency of the functions, keyed by role name."
  type = map(object({
    memory_size_in_mb              = optional(number)
    timeout_in_seconds             = optional(number)
    reserved_concurrent_executions = optional(number)
  }))
  default = {}
}

variable "appsync_web_acl_arn" {
  description = "ARN of a regional WAFv2 web ACL to associate with the GraphQL API; null associates none."
  type        = string
  default     = null
}
