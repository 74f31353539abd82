"""``ftlint verify``: build each model a file defines on the meta device, run its freeze code in
every scenario of its flags, and report exactly what will train (findings FT101-FT107).

This package's ``__init__`` and :mod:`ftlint.verify.codes` stay torch-free: the rule registry,
which ``ftlint check`` imports, documents the FT1xx codes from there.
"""


class VerifyError(Exception):
    """A file could not be verified; the message says why, at the file's own line."""
