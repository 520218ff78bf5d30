"""The connect blueprint's pages."""
