"""ListenWell's tests; subfolders mirror the packages (analysis, audio, service)."""
