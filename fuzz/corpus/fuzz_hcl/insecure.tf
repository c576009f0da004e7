provider "aws" {
  region = var.region
}

locals {
  prefix = "acme-${var.env}"
  common_tags = {
    Environment = var.env
    Team        = "platform"
  }
  open = ["0.0.0.0/0"]
}

# --- S3 ---------------------------------------------------------------------

resource "aws_s3_bucket" "public_assets" {
  bucket = "${local.prefix}-public-assets"
  acl    = "public-read"
  tags   = local.common_tags
}

resource "aws_s3_bucket" "uploads" {
  bucket = "${local.prefix}-uploads"
}

resource "aws_s3_bucket_acl" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  acl    = "public-read-write"
}

resource "aws_s3_bucket_policy" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "PublicRead"
      Effect    = "Allow"
      Principal = "*"
      Action    = ["s3:GetObject"]
      Resource  = "${aws_s3_bucket.uploads.arn}/*"
    }]
  })
}

resource "aws_s3_bucket_public_access_block" "uploads" {
  bucket                  = aws_s3_bucket.uploads.id
  block_public_acls       = false
  block_public_policy     = false
  ignore_public_acls      = false
  restrict_public_buckets = false
}

resource "aws_s3_bucket" "data" {
  for_each = toset(var.buckets)
  bucket   = "${local.prefix}-${each.key}"
  tags     = merge(local.common_tags, { Dataset = each.key })
}

resource "aws_s3_bucket_versioning" "data" {
  for_each = aws_s3_bucket.data
  bucket   = each.value.id
  versioning_configuration {
    status = "Suspended"
  }
}

resource "aws_s3_bucket" "legacy_inline" {
  bucket = "${local.prefix}-legacy"

  versioning {
    enabled = false
  }

  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        sse_algorithm = "AES256"
      }
    }
  }
}

resource "aws_s3_bucket" "trail" {
  bucket = "${local.prefix}-cloudtrail"
}

# --- Networking --------------------------------------------------------------

module "network" {
  source      = "../modules/network"
  name        = local.prefix
  flow_logs   = false
  admin_cidrs = local.open
}

module "vpc_registry" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.8.1"
  name    = "registry"
}

resource "aws_vpc" "legacy" {
  cidr_block = "172.16.0.0/16"
}

resource "aws_security_group" "ssh_open" {
  name        = "ssh-open"
  description = "legacy ssh"
  vpc_id      = aws_vpc.legacy.id

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = local.open
  }

  ingress {
    from_port        = 3389
    to_port          = 3389
    protocol         = "tcp"
    ipv6_cidr_blocks = ["::/0"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "wide_open" {
  name   = "everything"
  vpc_id = aws_vpc.legacy.id

  ingress {
    from_port   = 0
    to_port     = 65535
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group_rule" "rdp" {
  type              = "ingress"
  from_port         = 3389
  to_port           = 3389
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = aws_security_group.wide_open.id
}

resource "aws_vpc_security_group_ingress_rule" "ssh_v6" {
  security_group_id = aws_security_group.wide_open.id
  cidr_ipv6         = "::/0"
  from_port         = 22
  to_port           = 22
  ip_protocol       = "tcp"
}

resource "aws_default_security_group" "legacy" {
  vpc_id = aws_vpc.legacy.id

  ingress {
    protocol  = -1
    self      = true
    from_port = 0
    to_port   = 0
  }
}

# --- IAM ---------------------------------------------------------------------

resource "aws_iam_policy" "admin" {
  name = "${local.prefix}-admin"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "*"
      Resource = "*"
    }]
  })
}

data "aws_iam_policy_document" "ci" {
  statement {
    actions   = ["iam:PassRole", "iam:CreatePolicyVersion", "ec2:RunInstances"]
    resources = ["*"]
  }
  statement {
    actions   = ["s3:*"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "ci" {
  name   = "${local.prefix}-ci"
  policy = data.aws_iam_policy_document.ci.json
}

resource "aws_iam_user" "deploy" {
  name = "deploy"
}

resource "aws_iam_user_policy" "deploy" {
  name = "deploy-inline"
  user = aws_iam_user.deploy.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["*"]
      Resource = ["*"]
    }]
  })
}

resource "aws_iam_user_policy_attachment" "deploy_admin" {
  user       = aws_iam_user.deploy.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "aws_iam_access_key" "deploy" {
  user = aws_iam_user.deploy.name
}

resource "aws_iam_role" "cross_account" {
  name = "${local.prefix}-partner"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "*" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "cross_account" {
  name = "partner-access"
  role = aws_iam_role.cross_account.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "*:*"
      Resource = "*"
    }]
  })
}

resource "aws_iam_account_password_policy" "weak" {
  minimum_password_length        = 8
  require_lowercase_characters   = false
  require_numbers                = false
  require_uppercase_characters   = false
  require_symbols                = false
  allow_users_to_change_password = true
  password_reuse_prevention      = 3
  max_password_age               = 365
}

# --- KMS / CloudTrail ----------------------------------------------------------

resource "aws_kms_key" "data" {
  description         = "data key"
  enable_key_rotation = false
}

resource "aws_kms_key" "default_rotation" {
  description = "rotation left at default"
}

resource "aws_cloudtrail" "main" {
  name                          = "${local.prefix}-trail"
  s3_bucket_name                = aws_s3_bucket.trail.id
  is_multi_region_trail         = false
  enable_log_file_validation    = false
  include_global_service_events = true
  kms_key_id                    = var.enable_trail_encryption ? aws_kms_key.data.arn : null
}

# --- Databases and storage -------------------------------------------------------

resource "aws_db_instance" "orders" {
  identifier              = "${local.prefix}-orders"
  engine                  = "postgres"
  engine_version          = "13.4"
  instance_class          = "db.t3.micro"
  allocated_storage       = 20
  username                = "orders"
  password                = var.db_password
  publicly_accessible     = true
  storage_encrypted       = false
  backup_retention_period = 0
  deletion_protection     = false
  skip_final_snapshot     = true
}

resource "aws_ebs_volume" "scratch" {
  availability_zone = "${var.region}a"
  size              = 100
}

resource "aws_ebs_volume" "unencrypted" {
  count             = 2
  availability_zone = "${var.region}b"
  size              = 50
  encrypted         = false
}

resource "aws_ebs_encryption_by_default" "off" {
  enabled = false
}

# --- Compute -------------------------------------------------------------------

resource "aws_instance" "bastion" {
  ami                         = "ami-0c55b159cbfafe1f0"
  instance_type               = "t3.micro"
  associate_public_ip_address = true
  vpc_security_group_ids      = [aws_security_group.ssh_open.id]

  metadata_options {
    http_tokens = "optional"
  }
}

resource "aws_instance" "legacy_worker" {
  count         = var.app_instances
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "m5.large"
  user_data     = "#!/bin/bash\nexport AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nexport AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
}

module "app" {
  source         = "../modules/app"
  name           = "${local.prefix}-app"
  instance_count = 2
  subnet_ids     = module.network.subnet_ids
  imdsv2         = false
  runtime        = "python3.7"
}

resource "aws_launch_template" "workers" {
  name          = "workers"
  image_id      = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.small"
}

resource "aws_eks_cluster" "main" {
  name     = "${local.prefix}-eks"
  role_arn = aws_iam_role.cross_account.arn

  vpc_config {
    subnet_ids             = module.network.subnet_ids
    endpoint_public_access = true
    public_access_cidrs    = ["0.0.0.0/0"]
  }
}

resource "aws_lambda_function" "legacy" {
  function_name = "${local.prefix}-legacy"
  role          = aws_iam_role.cross_account.arn
  runtime       = "nodejs12.x"
  handler       = "index.handler"
  filename      = "legacy.zip"

  environment {
    variables = {
      DB_PASSWORD    = "hunter2-prod-password"
      STRIPE_API_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
      LOG_LEVEL      = "debug"
    }
  }
}

resource "aws_lambda_function_url" "legacy" {
  function_name      = aws_lambda_function.legacy.function_name
  authorization_type = "NONE"
}

resource "aws_network_acl" "public" {
  vpc_id = aws_vpc.legacy.id

  ingress {
    protocol   = "tcp"
    rule_no    = 100
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 22
    to_port    = 22
  }

  egress {
    protocol   = "-1"
    rule_no    = 100
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 0
    to_port    = 0
  }
}

resource "aws_network_acl_rule" "rdp" {
  network_acl_id = aws_network_acl.public.id
  rule_number    = 110
  egress         = false
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = 3389
  to_port        = 3389
}
