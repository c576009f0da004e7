//! Rampart's container image sources: OCI layout and archives, docker-archive, registries, layers, base-image analysis
