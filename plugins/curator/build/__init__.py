"""The build: Pelican turns content/ into the site, feeds, previews and emails, then checks them.

Empty on purpose: importing one module of this stage imports nothing else."""
