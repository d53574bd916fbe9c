"""Code to take home: a page's run as one readable training script (and notebook) that needs
torch, numpy and mlxtend alone, filled with the run's settings and seed."""
