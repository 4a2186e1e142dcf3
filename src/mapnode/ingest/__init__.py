"""Ingest: readers turn files into batches; the importer turns batches into one changeset."""

from mapnode.ingest.importer import ImportOptions, ImportReport, import_file

__all__ = ["ImportOptions", "ImportReport", "import_file"]
