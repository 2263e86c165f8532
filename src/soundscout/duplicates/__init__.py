"""Duplicates: exact copies, the same recording in another form, and variants (other takes).

``fingerprint`` prints a decoded sound; ``rules`` decides what two sounds are;
``grouping`` keeps the pairs and groups in the catalog up to date after each index run;
``report`` reads the groups for the front-ends; ``collapse`` folds copies in search results.
"""
