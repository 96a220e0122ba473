"""Public ops: argument checks, autograd and torch.library registration."""
