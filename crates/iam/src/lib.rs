//! Rampart's AWS IAM policy evaluation engine and entitlement analysis (effective permissions, escalation paths)
