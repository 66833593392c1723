"""Today's scorer, frozen: score.py and selection.py as they were at commit 5fc504c, before the curator
learned to judge (issue 16). The relevance bench runs it side by side with the new one on the same corpus."""
