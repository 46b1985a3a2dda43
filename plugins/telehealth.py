"""Example clause plugin: a "Video sessions" clause, only for clinics that offer telehealth.

A clinic opts in with ``telehealth: true`` under ``variables:`` in its target file.
The clause is a *module* layer: it applies after the base policy and before
jurisdiction, profession, organization and clinic layers, so any of those can
still amend, replace or remove it.
"""

from __future__ import annotations

from typing import Callable

from policystack import hookimpl
from policystack.layer_files import layer_from_data
from policystack.model import Layer

__version__ = "1.0.0"
POLICYSTACK_HOOK_CONTRACT = "1.0"  # the hook contract this plugin was written against

#: The layer, written in the same shape as a YAML layer file (see docs/formats.md).
LAYER_DATA = {
    "layer": {
        "id": "telehealth-video",
        "kind": "module",
        "name": "Telehealth: video sessions",
        "version": __version__,
        "when": {"telehealth": True},
    },
    "operations": [
        {
            "op": "add",
            "id": "video-sessions",
            "title": "Video sessions",
            "topics": ["telehealth"],
            "after": "email",
            "body": (
                "Some of your sessions may take place by video instead of in our office. "
                "We use a video service made for health care, and it scrambles what we say "
                "so others cannot listen in. Please do not ask to meet through a social media app.\n"
                "\n"
                "Before each video session:\n"
                "\n"
                "- Find a quiet room where no one can hear you.\n"
                "- Use your own phone or computer. Do not use public Wi-Fi.\n"
                "- Have your phone nearby. If the video stops, we will call you.\n"
                "\n"
                "We do not record video sessions. Please do not record them either. "
                "At the start of each session, we will ask where you are. "
                "That way we can send help if you have an emergency."
            ),
            "reason": "The clinic offers sessions by video.",
        },
    ],
}


def telehealth_layer() -> Layer:
    """The validated layer (the same checks as a YAML layer file)."""
    return layer_from_data(LAYER_DATA, file=__file__, plugin="telehealth")


@hookimpl
def policystack_register_layers(register: Callable[[Layer], None]) -> None:
    """Offer the layer; its ``when`` condition keeps it out of clinics without telehealth."""
    register(telehealth_layer())
