"""Built-in plugins: the YAML layer loader and the output formats. They use the public hooks only."""
