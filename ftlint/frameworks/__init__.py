"""What the frameworks do, as facts shared by the rules that read Python code (FT0xx) and those
that read configuration files (FT2xx): class names, matching semantics, and the messages that
say what will happen. Imports neither libcst nor PyYAML, nor any framework."""
