"""The content model: settings and the editor's files (niches, picks, issues), read and checked.

Empty on purpose: importing one module of this stage imports nothing else."""
