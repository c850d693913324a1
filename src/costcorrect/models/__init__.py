"""The economics and physics of the book, grouped like its parts. Models read tables only through
:mod:`costcorrect.data`; they never import the ledger, the figures or the machinery."""
