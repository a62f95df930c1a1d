"""What the topics' selectors share: the audit trail shown next to an object."""


def with_changes(records):
    """Attach to each history record the list of (field, old, new) it changed."""
    records.sort(key=lambda r: (r.history_date, r.history_id), reverse=True)
    by_object = {}
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        key = (type(record).__name__, record.id)
        previous = by_object.get(key)
        record.changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            for change in delta.changes:
                verbose = record.instance._meta.get_field(change.field).verbose_name
                record.changes.append((verbose, change.old, change.new))
        by_object[key] = record
        record.object_label = record.instance._meta.verbose_name
    return records
