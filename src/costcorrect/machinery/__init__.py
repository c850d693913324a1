"""The book machinery: pipeline (papermill, cache), generated pages, scaffold, bench, Sphinx
extension and command line. It imports the chapter API and the models; nothing imports it back."""
