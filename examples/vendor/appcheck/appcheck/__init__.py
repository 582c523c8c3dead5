"""Development-only checks for the example app: they belong in a build or test stage, never
in the runtime image."""
