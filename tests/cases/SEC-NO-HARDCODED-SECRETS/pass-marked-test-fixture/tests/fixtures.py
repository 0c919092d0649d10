FIXTURE = "AccountKey=@@FAKE_STORAGE_KEY@@"  # readiness: ignore-secret
