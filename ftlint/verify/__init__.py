"""``ftlint verify``: build each model a file defines on the meta device, run its freeze code in
every scenario of its flags, and report exactly what will train (findings FT101-FT107).

This package's ``__init__``, :mod:`ftlint.verify.runtime_check` and the check modules in
:mod:`ftlint.verify.checks` stay torch-free: the catalog, which ``ftlint check`` imports,
lists the FT1xx checks from there.
"""


class VerifyError(Exception):
    """A file could not be verified; the message says why, at the file's own line."""
