"""Curated knowledge: the article file format, its loader and lint, and the search index.

A pure library: no database, no network, and no import of ``bot`` or ``handoff``.

- :mod:`knowledge.article`: the :class:`~knowledge.article.Article` and
  :class:`~knowledge.article.KnowledgeBase` value types.
- :mod:`knowledge.loader`: reads a folder of Markdown articles (and the regression case
  CSV files beside them), reporting every problem with its file and line.
- :mod:`knowledge.analysis`: text normalisation, stop words and stemming.
- :mod:`knowledge.index`: the search index that ranks articles for a customer's message.
- :mod:`knowledge.embedding`: the static word embeddings (default model) and the choice of
  model; :mod:`knowledge.sentence_embedding`: the optional MiniLM model (``minilm`` extra).
- :mod:`knowledge.classifier`: the article classifier the index trains on its questions.
- :mod:`knowledge.language`: a small English/Danish language guess.
- :mod:`knowledge.errors`: the package's error tree.

Import from the submodules; this package re-exports nothing so that importing the value
types does not pull in scikit-learn.
"""
