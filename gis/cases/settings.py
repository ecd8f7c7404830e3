"""Settings of the case loop (env prefix FENGQIAO_)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from gis.settings import PROJECT_ROOT


class CaseSettings(BaseSettings):
    """Where the taxonomy and workflow files are (keys: ``gis.settings.SecuritySettings``)."""

    model_config = SettingsConfigDict(env_prefix="FENGQIAO_", extra="ignore")

    taxonomy_file: Path = PROJECT_ROOT / "data" / "taxonomy" / "categories.toml"
    workflow_dir: Path = PROJECT_ROOT / "data" / "workflow"
    max_description_chars: int = 20_000
    # Duplicate suggestions at intake: the same party name within this many metres, in the same category class,
    # registered within this many days (the same phone or ID number matches any open case, whenever registered).
    duplicate_radius_m: float = 500.0
    duplicate_window_days: float = 30.0
