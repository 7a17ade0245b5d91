"""The `helpline` command line: one module per command group."""
