"""``missing_facts`` as a client shows them: ``[{key, label, question}]`` in Chinese.

The assistant keeps the fact names of ``assistant/rules/facts.yaml`` (``hukou_province``)
inside; a mini-program cannot show those, so the API turns each into the registry's label
and the question to ask the worker. Only the API's shape changes here.
"""

from __future__ import annotations

from typing import Any

from assistant.home import rulebook


def describe(facts: Any) -> Any:
    """Fact names → ``{key, label, question}``; already-described items pass through."""
    if not isinstance(facts, list):
        return facts
    specs = rulebook().registry.specs
    out: list[Any] = []
    for fact in facts:
        if not isinstance(fact, str):
            out.append(fact)
            continue
        spec = specs.get(fact)
        out.append({"key": fact, "label": spec.label if spec else fact,
                    "question": spec.ask if spec else ""})
    return out
