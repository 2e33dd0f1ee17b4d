"""The benchmarks' tables: one record per run (a namedtuple), a column per field, numbers as the record holds them."""


def cell(value):
    """A table cell: a float to its tenth, anything else as it prints."""
    return "%.1f" % value if isinstance(value, float) else str(value)


def table(title, records):
    """Print ``records`` (namedtuples of one kind) under ``title``, a column per field, headed by its name."""
    print("\n" + title)
    header = [field.replace("_", " ") for field in records[0]._fields] if records else []
    rows = [[cell(value) for value in record] for record in records]
    widths = [max(len(text) for text in column) for column in zip(header, *rows)]
    for row in [header, ["-" * width for width in widths], *rows]:
        print("  " + "  ".join(text.rjust(width) for text, width in zip(row, widths)))
    print(flush=True)
