provider "aws" {
  region = var.region
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "env" {
  type    = string
  default = "prod"
}

variable "datasets" {
  type = map(object({ retention_days = number }))
  default = {
    events   = { retention_days = 30 }
    billing  = { retention_days = 365 }
    archive  = { retention_days = 3650 }
    reports  = { retention_days = 90 }
  }
}

locals {
  prefix = "acme-${var.env}"
}

resource "aws_kms_key" "main" {
  description             = "main CMK"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "Root"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}

resource "aws_kms_key" "signing" {
  description              = "asymmetric signing key (rotation not applicable)"
  customer_master_key_spec = "RSA_2048"
  key_usage                = "SIGN_VERIFY"
}

resource "aws_s3_bucket" "logs" {
  bucket = "${local.prefix}-access-logs"
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.bucket
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.main.arn
    }
  }
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

module "datasets" {
  source      = "../modules/bucket"
  for_each    = var.datasets
  name        = "${local.prefix}-${each.key}"
  kms_key_arn = aws_kms_key.main.arn
  log_bucket  = aws_s3_bucket.logs.id
}

module "network" {
  source = "../modules/network"
  name   = local.prefix
  cidr   = "10.20.0.0/16"
}

resource "aws_cloudtrail" "org" {
  name                          = "${local.prefix}-trail"
  s3_bucket_name                = module.datasets["archive"].id
  is_multi_region_trail         = true
  enable_log_file_validation    = true
  include_global_service_events = true
  kms_key_id                    = aws_kms_key.main.arn
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.trail.arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.trail.arn
}

resource "aws_cloudwatch_log_group" "trail" {
  name              = "/cloudtrail/${local.prefix}"
  retention_in_days = 365
  kms_key_id        = aws_kms_key.main.arn
}

data "aws_iam_policy_document" "trail_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "trail" {
  name               = "${local.prefix}-trail"
  assume_role_policy = data.aws_iam_policy_document.trail_assume.json
}

resource "aws_iam_group" "ops" {
  name = "ops"
}

resource "aws_iam_group_policy_attachment" "ops_readonly" {
  group      = aws_iam_group.ops.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_policy" "reader" {
  name = "${local.prefix}-reader"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:ListBucket"]
      Resource = [module.datasets["reports"].arn, "${module.datasets["reports"].arn}/*"]
    }]
  })
}

resource "aws_iam_account_password_policy" "strict" {
  minimum_password_length        = 14
  require_lowercase_characters   = true
  require_numbers                = true
  require_uppercase_characters   = true
  require_symbols                = true
  allow_users_to_change_password = true
  password_reuse_prevention      = 24
  max_password_age               = 90
}

resource "aws_db_instance" "ledger" {
  identifier                          = "${local.prefix}-ledger"
  engine                              = "postgres"
  engine_version                      = "16.3"
  instance_class                      = "db.m6g.large"
  allocated_storage                   = 100
  username                            = "ledger"
  manage_master_user_password         = true
  publicly_accessible                 = false
  storage_encrypted                   = true
  kms_key_id                          = aws_kms_key.main.arn
  backup_retention_period             = 14
  deletion_protection                 = true
  multi_az                            = true
  iam_database_authentication_enabled = true
  auto_minor_version_upgrade          = true
  copy_tags_to_snapshot               = true
  monitoring_interval                 = 60
  monitoring_role_arn                 = aws_iam_role.trail.arn
  enabled_cloudwatch_logs_exports     = ["postgresql", "upgrade"]
  performance_insights_enabled        = true
  performance_insights_kms_key_id     = aws_kms_key.main.arn
}

resource "aws_ebs_encryption_by_default" "on" {
  enabled = true
}

resource "aws_ebs_volume" "data" {
  availability_zone = "${var.region}a"
  size              = 200
  encrypted         = true
  kms_key_id        = aws_kms_key.main.arn
}

module "app" {
  source         = "../modules/app"
  name           = "${local.prefix}-app"
  instance_count = 3
  subnet_ids     = module.network.subnet_ids
}

resource "aws_eks_cluster" "main" {
  name                      = "${local.prefix}-eks"
  role_arn                  = aws_iam_role.trail.arn
  enabled_cluster_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  vpc_config {
    subnet_ids              = module.network.subnet_ids
    endpoint_private_access = true
    endpoint_public_access  = false
  }

  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = aws_kms_key.main.arn
    }
  }
}

resource "aws_lambda_function" "worker" {
  function_name                  = "${local.prefix}-worker"
  role                           = aws_iam_role.trail.arn
  runtime                        = "python3.12"
  handler                        = "app.handler"
  filename                       = "worker.zip"
  kms_key_arn                    = aws_kms_key.main.arn
  reserved_concurrent_executions = 10

  tracing_config {
    mode = "Active"
  }

  vpc_config {
    subnet_ids         = module.network.subnet_ids
    security_group_ids = [module.network.bastion_sg_id]
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }

  environment {
    variables = {
      SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:worker"
    }
  }
}

resource "aws_sqs_queue" "dlq" {
  name              = "${local.prefix}-dlq"
  kms_master_key_id = aws_kms_key.main.arn
}

resource "aws_lambda_function_url" "worker" {
  function_name      = aws_lambda_function.worker.function_name
  authorization_type = "AWS_IAM"
}
