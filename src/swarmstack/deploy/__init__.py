"""Versioned deployments: deploy a spec as an immutable version, route new tasks by weight, and
run the rollout controller (the I/O around `core.rollout`'s pure state machine).

Public API: `Deployer` (deploy, commands, rollback), `Router` (which version a new task runs
on), `RolloutController` (the leader's tick), `version_of` (a spec's content hash and label).
"""
