from agent.settings import Settings

settings = Settings.from_env()  # AZURE_OPENAI_ENDPOINT, KEY_VAULT_URL
