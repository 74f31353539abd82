"""The runtime checks (FT1xx), one module each: docs, examples and logic. Torch-free at import;
:mod:`ftlint.catalog` lists them."""
