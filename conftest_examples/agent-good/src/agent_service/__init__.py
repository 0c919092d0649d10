"""msft-agent: answers questions with Azure OpenAI behind an authenticated HTTP API."""

__version__ = "1.4.2"
