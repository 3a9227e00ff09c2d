variable "name_prefix" {
  description = "Prefix of the names of the network, file system and log group."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR block of the VPC; it is split into two private subnets, one per availability zone."
  type        = string
  default     = "10.42.0.0/24"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr_block)) && tonumber(split("/", var.vpc_cidr_block)[1]) <= 26
    error_message = "vpc_cidr_block must be an IPv4 CIDR block of /26 or larger."
  }
}

variable "availability_zones" {
  description = "The two availability zones of the private subnets; null takes the first two available zones of the region."
  type        = list(string)
  default     = null

  validation {
    condition     = var.availability_zones == null ? true : length(var.availability_zones) == 2 && length(distinct(var.availability_zones)) == 2
    error_message = "availability_zones must name two different zones."
  }
}

variable "interface_endpoint_services" {
  description = "Services reached through interface endpoints from the private subnets (S3 and DynamoDB always use gateway endpoints)."
  type        = list(string)
  default     = ["kms"]
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed key that encrypts the file system."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "ARN of the customer-managed key that encrypts the flow log group."
  type        = string
}

variable "flow_log_retention_in_days" {
  description = "How long VPC flow logs are kept."
  type        = number
  default     = 365
}

variable "flow_log_traffic_type" {
  description = "Traffic the flow log records."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_log_traffic_type)
    error_message = "flow_log_traffic_type must be ACCEPT, REJECT or ALL."
  }
}

variable "access_point_posix_user" {
  description = "POSIX identity that every access through the access point uses, and owner of its root directory."
  type = object({
    uid = optional(number, 1001)
    gid = optional(number, 1001)
  })
  default = {}
}

variable "access_point_path" {
  description = "Directory of the file system that the access point exposes as its root."
  type        = string
  default     = "/export/lambda"

  validation {
    condition     = startswith(var.access_point_path, "/") && var.access_point_path != "/"
    error_message = "access_point_path must be an absolute path below the file system root."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
