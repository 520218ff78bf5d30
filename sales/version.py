"""Mostrador's version: shown in the footer and by /healthz, recorded in every backup, kept in CHANGELOG.md."""
VERSION = "1.0.0"
