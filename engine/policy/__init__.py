"""The rule language: rules, loading a policy, compiling it for durable_rules, lint, test cases and diff."""
