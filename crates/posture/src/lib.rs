//! Rampart's posture check engine: built-in checks, Rego policies (Gatekeeper, kubescape), frameworks and controls
