//! Rampart's Kubernetes support: manifest and snapshot loading, Pod Security Standards, workload checks, RBAC
