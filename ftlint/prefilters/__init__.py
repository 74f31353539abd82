"""Each static rule's prefilter, on CPython's tree of a file that passed the text triage: whether
the rule may report anything there (``Rule.prefilter``; see ``ftlint.prefilter``). One module
per rule, named as the rule's module. None of them imports libcst: a file every admitted rule's
prefilter clears is checked without it."""
