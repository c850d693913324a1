"""costcorrect: the shared package of the Cost-correct book.

Data flows one way: ``data/`` → :mod:`costcorrect.data` (validated) → models in this
package → notebooks → ``_build/``. Chapters import from here; they hold no models.
"""

__version__ = "0.1.0"
