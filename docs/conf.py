"""Sphinx configuration of ufldl's documentation site.

Build (tests/test_docs.py runs the same, warnings as errors)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The build reads the installed package (``import ufldl``), fetches nothing from the network (no intersphinx) and
runs no training: the only picture, ``demo-features.png``, is the committed output of ``ufldl demo``. The API
pages are written by hand (one ``automodule`` per public module, no autosummary stubs), so the build writes
nothing into the source tree.
"""

import ufldl

project = "ufldl"
author = "the ufldl developers"
copyright = "the ufldl developers, MIT licence"  # noqa: A001 - Sphinx's name
release = ufldl.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",  # the tables of names only: autosummary_generate is off, no stub pages
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# Markdown pages (math.md, architecture.md, benchmarks/README.md): $...$ and $$...$$ maths, and the GitHub
# heading slugs as anchors, so that the "math.md#section" links the code cites work here too. Depth 4: math.md
# links to its #### headings (#adam); myst-parser 3 resolves only headings within the depth (newer ones more).
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 4

# The API: the documented members of each module are its __all__; the signatures show the annotations, the
# docstrings the shapes.
autosummary_generate = False
autodoc_default_options = {"members": True, "member-order": "bysource", "show-inheritance": True}
autodoc_class_signature = "mixed"
autodoc_preserve_defaults = True

# numpydoc renders the sections; the class pages list their methods through autodoc, not numpydoc's tables.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# numpydoc validation of every docstring the site shows (each failure is a warning, so an error under -W).
# Excluded, each for a reason:
#   ES01  an extended summary on every object: many one-line docstrings say all there is to say;
#   SA01  a "See Also" section everywhere: the pages and the cross-references of the text do that job;
#   EX01  an "Examples" section everywhere: the user guide's examples, which tests/test_docs.py runs, do;
#   GL01, GL02  the text on the line after the opening quotes, the closing quotes on a line of their own: layout
#         only; the house style starts the text on the quotes' line and may close them after the last word;
#   SS06  a summary on a single line: the house wraps lines at 120 columns, and some summaries (which must
#         name shapes or both branches of a result) take two;
#   SS05  an infinitive verb first ("Return", not "Returns"): the house summaries often name what a function
#         gives ("The covariance of ..."), which is as clear;
#   RT02  only the type on the first line of a single return value: the numpydoc format allows a name there
#         ("X_rot : ndarray of shape (n_samples, n_components_)"), and the house names returns so that the
#         description and the text can refer to them.
numpydoc_validation_checks = {"all", "ES01", "SA01", "EX01", "GL01", "GL02", "SS06", "SS05", "RT02"}
# A property's or attribute's docstring starts with its type, as an Attributes entry would ("ndarray, shape
# (n_params,): every parameter ..."): its summary starts with the type's lower-case name, not a capital.
# A record class (a result, an exception, a chunk's sums) is built by the library, not by users, and documents its
# fields once, under Attributes: PR01 (constructor arguments under Parameters) is not asked of a docstring with an
# Attributes section and no Parameters section.
# Network.minibatch_updates is the mini-batch loop's hook into the core (ufldl.train_minibatch calls it once per
# epoch, users do not): its arguments are described in one paragraph rather than a Parameters list.
numpydoc_validation_exclude = {r"\.Network\.minibatch_updates$"}
numpydoc_validation_overrides = {
    "SS02": [r"^(?:ndarray|list|tuple|float|int|str|bool|dict|numpy\.\w+)\b[^:\n]*: "],
    "PR01": [r"(?s)\A(?!.*\nParameters\n-+\n).*\nAttributes\n-+\n"],
}


def skip_scikit_learn_members(app, what, name, obj, skip, options):
    """Leave out the methods scikit-learn adds to every estimator (``set_fit_request``, ...): its own docs."""
    module = getattr(obj, "__module__", None) or ""
    if module.startswith("sklearn.") or getattr(obj, "__qualname__", "").startswith("RequestMethod"):
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", skip_scikit_learn_members)


html_theme = "furo"
html_title = f"ufldl {release}"
html_static_path = []
html_show_sourcelink = False
