"""Loads the policy file (YAML) into the domain's `Policy`; the file names every rule and number."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from custody_ledger.domain.policy import Policy, PolicyError

DEFAULT_POLICY = Path(__file__).with_name("default.yaml")


def load_policy(path: Path | str | None = None) -> Policy:
    """Read and validate a policy file; a malformed one raises PolicyError naming file, key, reason."""
    file = Path(path) if path is not None else DEFAULT_POLICY
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(str(file), "(file)", f"cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise PolicyError(str(file), "(syntax)", str(exc).replace("\n", " ")) from None
    return Policy.from_mapping(data, str(file))


@cache
def default_policy() -> Policy:
    return load_policy()
