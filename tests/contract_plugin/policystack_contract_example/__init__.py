"""A plugin that uses every hook of contract 1.0, exactly as docs/plugins.md shows."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import click

from policystack import hookimpl
from policystack.layer_files import layer_from_data
from policystack.markup import plain_blocks, plain_inlines
from policystack.model import Finding, Layer, ResolvedPolicy, Target
from policystack.render import RenderContext, Renderer

__version__ = "1.0.0"
POLICYSTACK_HOOK_CONTRACT = "1.0"

LAYER = {
    "layer": {"id": "contract-example", "kind": "module", "name": "Contract example",
              "version": __version__, "when": {"contract": True}},
    "operations": [{
        "op": "add", "id": "contract-clause", "title": "A word from the contract plugin",
        "topics": ["contact"], "after": "email",
        "body": "{{ contract.greeting }}, this clause comes from a plugin.",
        "reason": "Contract test.",
    }],
}


@hookimpl
def policystack_register_layers(register: Callable[[Layer], None], project: Any) -> None:
    assert project.root.is_dir()
    register(layer_from_data(LAYER, file=__file__))


def render(policy: ResolvedPolicy, context: RenderContext) -> bytes:
    parts = [policy.meta.title, policy.target.name]
    for section in policy.sections:
        parts.append(section.title.upper())
    for content in context.contents:
        parts += [plain_inlines(content.title, context.lookup), plain_blocks(content.blocks, context.lookup)]
    parts += [f"{signer}: ________" for signer in policy.meta.signers]
    return "\n\n".join(parts).encode("utf-8")


@hookimpl
def policystack_register_renderers(register: Callable[[Renderer], None]) -> None:
    register(Renderer(name="contract-txt", extension="txt", render=render, media_type="text/plain",
                      description="contract test format"))


@hookimpl
def policystack_variables(target: Target) -> Mapping[str, Any] | None:
    return {"contract.greeting": f"Hello {target.name}"}


@hookimpl
def policystack_validate(policy: ResolvedPolicy) -> Iterable[Finding] | None:
    if policy.clause("contract-clause") is not None:
        yield Finding("warning", "contract-seen", "the contract clause is present", clause="contract-clause")
    if policy.target.variables.get("contract_fail"):
        yield Finding("error", "contract-fail", "the clinic asked the contract plugin to fail")


@hookimpl
def policystack_register_commands(cli: click.Group) -> None:
    @cli.command("contract-hello")
    @click.argument("who", default="world")
    def contract_hello(who: str) -> None:
        """Say hello (contract test)."""
        click.echo(f"hello {who} from the contract plugin")
