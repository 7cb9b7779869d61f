"""From API objects to one node's `NodeConfig`: select, translate (validate), merge."""
