"""Disables the SERVICE_CONTROL_POLICY type in the organization's root (SCPs then apply nowhere)."""
import boto3

org = boto3.client("organizations", region_name="us-east-1")
root = org.list_roots()["Roots"][0]["Id"]
org.disable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
