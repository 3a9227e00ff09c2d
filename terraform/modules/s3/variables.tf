variable "bucket_name" {
  description = "Name of the staging bucket that holds submitted objects while they are reviewed."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)."
  }
}

variable "log_bucket_name" {
  description = "Name of the bucket that receives the staging bucket's server access logs."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.log_bucket_name))
    error_message = "log_bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed key that encrypts staged objects; the bucket policy refuses uploads that name another key."
  type        = string
}

variable "expire_objects_after_days" {
  description = "Age after which staged objects left behind by an interrupted request are deleted. Keep it longer than the longest workflow execution."
  type        = number
  default     = 60

  validation {
    condition     = var.expire_objects_after_days >= 1
    error_message = "expire_objects_after_days must be at least 1."
  }
}

variable "abort_incomplete_multipart_upload_after_days" {
  description = "Age after which unfinished multipart uploads are aborted in both buckets."
  type        = number
  default     = 2

  validation {
    condition     = var.abort_incomplete_multipart_upload_after_days >= 1
    error_message = "abort_incomplete_multipart_upload_after_days must be at least 1."
  }
}

variable "log_retention_in_days" {
  description = "How long server access logs are kept."
  type        = number
  default     = 365

  validation {
    condition     = var.log_retention_in_days >= 1
    error_message = "log_retention_in_days must be at least 1."
  }
}

variable "force_destroy" {
  description = "Whether destroying the module also deletes the objects in both buckets."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags applied to both buckets."
  type        = map(string)
  default     = {}
}
