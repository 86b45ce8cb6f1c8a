"""A small Sphinx extension loaded by the jupyter-book build (see build_docs.py).

sphinx-thebe and sphinx-togglebutton add inline `<script>` bodies with `app.add_js_file` after
the HTML builder exists, and Sphinx 7 then lists each twice (once with filename None, once ''); the second `const THEBE_JS_URL`
is a JavaScript SyntaxError on every page. This drops repeated script entries from each page.
"""


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    seen, kept = set(), []
    for js in context.get("script_files", []):
        key = (str(getattr(js, "filename", js) or ""), repr(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    if "script_files" in context: context["script_files"][:] = kept


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
