"""Layout checks: the source tree keeps the shape the README's Layout
section describes, so the architecture cannot rot one #include at a time.

  /usr/bin/python3 tests/layout/run.py

- every source file sits in a layer folder, and src/ and include/tokend/
  mirror each other (a .cpp per header, a header per .cpp but the mains);
- a layer includes only itself and the layers below it, in the order of
  LAYERS;
- third-party headers stay in the layer that wraps them (libfcgi in server/,
  hiredis in store/, OpenSSL in common/crypto.cpp, libargon2 in
  auth/password_hash.cpp, jsoncpp in http/ and api/), and no public header
  includes one.

Ends with `layout: N passed, N failed`.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Lowest first: a layer may include the layers before it, never after.
LAYERS = ["common", "token", "store", "http", "auth", "api", "server", "admin"]

# Third-party include prefixes and the source files allowed to include them.
THIRD_PARTY = {
    "libfcgi": (("fcgiapp.h", "fcgio.h", "fcgi_stdio.h", "fastcgi.h"),
                lambda path: path.startswith("src/server/")),
    "hiredis": (("hiredis/",), lambda path: path.startswith("src/store/")),
    "OpenSSL": (("openssl/",), lambda path: path == "src/common/crypto.cpp"),
    "libargon2": (("argon2.h",),
                  lambda path: path == "src/auth/password_hash.cpp"),
    "jsoncpp": (("json/",),
                lambda path: path.startswith(("src/http/", "src/api/"))),
}
MAINS = {"src/server/main.cpp", "src/admin/main.cpp"}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def sources():
    """Paths (relative to ROOT) of every C++ file under src/ and
    include/tokend/."""
    found = []
    for top in ("src", os.path.join("include", "tokend")):
        for directory, _, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if name.endswith((".cpp", ".h")):
                    found.append(os.path.relpath(os.path.join(directory, name), ROOT))
    return sorted(found)


def layer_of(path):
    parts = path.split(os.sep)
    offset = 1 if parts[0] == "src" else 2
    return parts[offset] if len(parts) == offset + 2 else None


def includes(path):
    with open(os.path.join(ROOT, path)) as f:
        return INCLUDE.findall(f.read())


def test_every_file_is_in_a_layer_folder():
    return ["%s is not in a layer folder (%s)" % (path, ", ".join(LAYERS))
            for path in sources() if layer_of(path) not in LAYERS]


def test_src_and_include_mirror_each_other():
    problems = []
    files = set(sources())
    for path in files:
        layer = layer_of(path)
        stem = os.path.splitext(os.path.basename(path))[0]
        if layer and path.startswith("src") and path not in MAINS:
            header = os.path.join("include", "tokend", layer, stem + ".h")
            if header not in files:
                problems.append("%s has no header %s" % (path, header))
    return problems


def test_a_layer_includes_only_itself_and_the_layers_below():
    problems = []
    for path in sources():
        layer = layer_of(path)
        if layer not in LAYERS:
            continue
        for kind, target in includes(path):
            match = re.match(r"tokend/([a-z_]+)/", target)
            if kind != '"':
                continue
            if not match:
                problems.append("%s includes %s, outside any layer" % (path, target))
                continue
            included = match.group(1)
            if included not in LAYERS:
                problems.append("%s includes unknown layer %s" % (path, target))
            elif LAYERS.index(included) > LAYERS.index(layer):
                problems.append("%s (%s) includes %s, a higher layer"
                                % (path, layer, target))
    return problems


def test_third_party_headers_stay_in_the_layer_that_wraps_them():
    problems = []
    for path in sources():
        for kind, target in includes(path):
            if kind != "<":
                continue
            for library, (prefixes, allowed) in THIRD_PARTY.items():
                if not target.startswith(prefixes):
                    continue
                if path.startswith("include"):
                    problems.append("public header %s includes %s (%s)"
                                    % (path, target, library))
                elif not allowed(path):
                    problems.append("%s includes %s (%s)" % (path, target, library))
    return problems


def main():
    tests = [test_every_file_is_in_a_layer_folder,
             test_src_and_include_mirror_each_other,
             test_a_layer_includes_only_itself_and_the_layers_below,
             test_third_party_headers_stay_in_the_layer_that_wraps_them]
    passed = failed = 0
    for test in tests:
        problems = test()
        if problems:
            failed += 1
            print("FAIL %s" % test.__name__)
            for problem in problems:
                print("    " + problem)
        else:
            passed += 1
            print("PASS %s" % test.__name__)
    print("layout: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
