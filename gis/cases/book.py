"""The rule set a county runs its case loop by: taxonomy, workflow and routing, loaded once."""

from __future__ import annotations

from dataclasses import dataclass

from gis.cases.channels import Channels, load_channels
from gis.cases.routing import RoutingTable, load_routing
from gis.cases.settings import CaseSettings
from gis.cases.taxonomy import Taxonomy, load_taxonomy
from gis.cases.workflow import Workflow, load_workflow


@dataclass(frozen=True)
class CaseRules:
    """Everything data-driven about cases."""

    taxonomy: Taxonomy
    channels: Channels
    workflow: Workflow
    routing: RoutingTable
    settings: CaseSettings


def load_rules(settings: CaseSettings | None = None) -> CaseRules:
    """Read the taxonomy, workflow and routing files named by the settings."""
    settings = settings or CaseSettings()
    return CaseRules(
        taxonomy=load_taxonomy(settings.taxonomy_file),
        channels=load_channels(settings.taxonomy_file.parent / "channels.toml"),
        workflow=load_workflow(settings.workflow_dir / "case_workflow.toml"),
        routing=load_routing(settings.workflow_dir / "routing.toml"),
        settings=settings,
    )
