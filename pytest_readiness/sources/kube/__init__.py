"""Kubernetes objects: one model for the repo's manifests (plain, Kustomize, Helm) and a live cluster."""
