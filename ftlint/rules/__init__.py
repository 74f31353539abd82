"""The static rules (FT0xx), one module each; :mod:`ftlint.catalog` lists them."""
