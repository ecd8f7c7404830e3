"""Settings of the case loop (env prefix FENGQIAO_)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from gis.settings import PROJECT_ROOT

DEV_PARTY_KEY = "fengqiao-development-key-change-me"


class CaseSettings(BaseSettings):
    """Where the taxonomy and workflow files are, and the key for hashing ID numbers."""

    model_config = SettingsConfigDict(env_prefix="FENGQIAO_", extra="ignore")

    taxonomy_file: Path = PROJECT_ROOT / "data" / "taxonomy" / "categories.toml"
    workflow_dir: Path = PROJECT_ROOT / "data" / "workflow"
    # HMAC key for party ID numbers; set FENGQIAO_PARTY_KEY in production (the default is for demos/tests).
    party_key: str = DEV_PARTY_KEY
    max_description_chars: int = 20_000
