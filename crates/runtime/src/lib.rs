//! Rampart's runtime detection: Falco-compatible rule engine, event sources (eBPF, Kubernetes audit, CloudTrail), alerts and responses
