locals {
  saml_enabled = var.saml_identity_provider != null

  saml_provider_details = local.saml_enabled ? merge(
    var.saml_identity_provider.metadata_url != null ? { MetadataURL = var.saml_identity_provider.metadata_url } : {},
    var.saml_identity_provider.metadata_document != null ? { MetadataFile = var.saml_identity_provider.metadata_document } : {},
    { IDPSignout = tostring(var.saml_identity_provider.sign_out_enabled) },
  ) : {}

  identity_providers = concat(["COGNITO"], local.saml_enabled ? [var.saml_identity_provider.name] : [])

  # custom:groups is written only by the identity provider's attribute mapping, which needs the
  # client to be allowed to write it; without federation no client may write it. Users sign in
  # through the hosted UI only (no SRP or password API flows) and the client grants no
  # aws.cognito.signin.user.admin scope, so their tokens cannot update their own attributes.
  write_attributes = concat(["email", "name"], local.saml_enabled ? ["custom:groups"] : [])
}

resource "aws_cognito_user_pool" "this" {
  name                     = var.name
  deletion_protection      = var.deletion_protection_enabled ? "ACTIVE" : "INACTIVE"
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  mfa_configuration        = var.mfa_configuration

  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  password_policy {
    minimum_length                   = var.password_minimum_length
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    temporary_password_validity_days = var.temporary_password_validity_in_days
  }

  dynamic "software_token_mfa_configuration" {
    for_each = var.mfa_configuration == "OFF" ? [] : [1]

    content {
      enabled = true
    }
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  schema {
    name                     = "groups"
    attribute_data_type      = "String"
    mutable                  = true
    developer_only_attribute = false
    required                 = false

    string_attribute_constraints {
      min_length = 0
      max_length = 2048
    }
  }

  lambda_config {
    pre_token_generation_config {
      lambda_arn     = var.pre_token_generation_function_arn
      lambda_version = var.pre_token_generation_lambda_version
    }
  }

  tags = var.tags
}

resource "aws_lambda_permission" "pre_token_generation" {
  statement_id  = "AllowCognitoPreTokenGeneration"
  action        = "lambda:InvokeFunction"
  function_name = var.pre_token_generation_function_arn
  principal     = "cognito-idp.amazonaws.com"
  source_arn    = aws_cognito_user_pool.this.arn
}

resource "aws_cognito_user_group" "this" {
  for_each = { for index, group in var.reviewer_groups : group.name => merge(group, { precedence = index + 1 }) }

  user_pool_id = aws_cognito_user_pool.this.id
  name         = each.key
  description  = coalesce(each.value.description, "Reviewers of egress stage ${each.value.precedence}")
  precedence   = each.value.precedence
}

resource "aws_cognito_identity_provider" "saml" {
  count = local.saml_enabled ? 1 : 0

  user_pool_id     = aws_cognito_user_pool.this.id
  provider_name    = var.saml_identity_provider.name
  provider_type    = "SAML"
  provider_details = local.saml_provider_details

  attribute_mapping = {
    email           = var.saml_identity_provider.email_attribute
    "custom:groups" = var.saml_identity_provider.groups_attribute
  }
}

resource "aws_cognito_user_pool_domain" "this" {
  domain       = var.domain_prefix
  user_pool_id = aws_cognito_user_pool.this.id
}

resource "aws_cognito_user_pool_client" "this" {
  name         = "${var.name}-web"
  user_pool_id = aws_cognito_user_pool.this.id

  generate_secret                      = false
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["email", "openid", "profile"]
  callback_urls                        = var.callback_urls
  logout_urls                          = var.logout_urls
  supported_identity_providers         = local.identity_providers
  explicit_auth_flows                  = ["ALLOW_REFRESH_TOKEN_AUTH"]
  prevent_user_existence_errors        = "ENABLED"
  enable_token_revocation              = true
  read_attributes                      = ["custom:groups", "email", "email_verified", "name"]
  write_attributes                     = local.write_attributes

  access_token_validity  = var.token_validity.access_token_in_minutes
  id_token_validity      = var.token_validity.id_token_in_minutes
  refresh_token_validity = var.token_validity.refresh_token_in_days

  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }

  depends_on = [aws_cognito_identity_provider.saml]
}
