"""The peers of the benchmark: the same policy in hand-written Python, Rego, CEL and Cedar."""
