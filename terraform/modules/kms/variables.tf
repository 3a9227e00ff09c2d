variable "name_prefix" {
  description = "Prefix of the key aliases (alias/<name_prefix>-<purpose>)."
  type        = string
}

variable "administrator_arns" {
  description = "IAM principals that administer the keys and create the grants that DynamoDB and EFS need when their resources are created. Empty means the account itself, so that IAM policies in the account decide."
  type        = list(string)
  default     = []
}

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled key deletion completes."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "s3_key_user_arns" {
  description = "Roles that read or write objects in the staging bucket, which is encrypted with the S3 key. They may use it only through S3."
  type        = list(string)
  default     = []
}

variable "dynamodb_key_user_arns" {
  description = "Roles that read or write the requests table, which is encrypted with the DynamoDB key. They may use it only through DynamoDB."
  type        = list(string)
  default     = []
}

variable "sns_key_user_arns" {
  description = "Roles that publish to the topics encrypted with the SNS key. They may use it only through SNS."
  type        = list(string)
  default     = []
}

variable "sns_key_service_principals" {
  description = "AWS service principals that publish to the encrypted topics themselves (CloudWatch alarms)."
  type        = list(string)
  default     = ["cloudwatch.amazonaws.com"]
}

variable "tags" {
  description = "Tags applied to every key."
  type        = map(string)
  default     = {}
}
