"""The run layer: ``simulate`` (one scenario, one seed), its metrics and typed results, ``simulate_params``."""
