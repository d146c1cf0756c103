"""Settings every document shares."""

# Indexes are created by ``flask db init`` (the release phase), never implicitly on first
# use, so a request never pays for an index build.
META = {"auto_create_index": False}
