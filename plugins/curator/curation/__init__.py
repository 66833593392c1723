"""Curation: feeds and hand-picks become one reviewed draft per niche (`openhand curate`).

Empty on purpose: importing one module of this stage imports nothing else."""
