"""twin: a digital twin of factory lines worked by humanoid robots."""
