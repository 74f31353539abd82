"""Tables generated from third-party packages, so that rules never import them."""
