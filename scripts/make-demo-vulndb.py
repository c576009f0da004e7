#!/usr/bin/env python3
"""Builds examples/vulndb: the small subset of the real feeds in ../shared/data/vulndb that concerns the
bundled sample estate, so `rampart demo` runs with no download. Re-run after changing examples/.

Usage: python3 scripts/make-demo-vulndb.py [SHARED_VULNDB] [OUT]
"""
import json, os, re, shutil, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "data", "vulndb")
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "examples", "vulndb")
ex = os.path.join(root, "examples")


def norm_py(n):
    return re.sub(r"[-_.]+", "-", n).lower()


# Names used by the samples, per ecosystem.
deb_src, apk_origin, pypi, npm, gems, crates, gomods = set(), set(), set(), set(), set(), set(), set()
status = open(os.path.join(ex, "rootfs-debian11/var/lib/dpkg/status")).read()
for para in status.split("\n\n"):
    pkg = re.search(r"^Package: (\S+)", para, re.M)
    srcm = re.search(r"^Source: (\S+)", para, re.M)
    if pkg:
        deb_src.add(srcm.group(1) if srcm else pkg.group(1))
for line in open(os.path.join(ex, "rootfs-alpine310/lib/apk/db/installed")):
    if line.startswith(("o:", "P:")):
        apk_origin.add(line[2:].strip())
for dirpath, _, files in os.walk(ex):
    for f in files:
        p = os.path.join(dirpath, f)
        if f == "METADATA":
            m = re.search(r"^Name: (\S+)", open(p, errors="replace").read(), re.M)
            if m:
                pypi.add(norm_py(m.group(1)))
        elif f == "requirements.txt":
            for l in open(p):
                m = re.match(r"\s*([A-Za-z0-9_.-]+)\s*==", l)
                if m:
                    pypi.add(norm_py(m.group(1)))
        elif f == "package.json" and "node_modules" in p:
            npm.add(json.load(open(p))["name"])
        elif f == "package-lock.json":
            for k in json.load(open(p)).get("packages", {}):
                if k:
                    npm.add(k.split("node_modules/")[-1])
        elif f == "Gemfile.lock":
            for l in open(p):
                m = re.match(r"^    ([A-Za-z0-9_.-]+) \(", l)
                if m:
                    gems.add(m.group(1))
        elif f == "Cargo.lock":
            for m in re.finditer(r'name = "([^"]+)"', open(p).read()):
                crates.add(m.group(1))
        elif f == "go.mod":
            for m in re.finditer(r"^\s*(?:require\s+)?([a-z0-9.-]+\.[a-z]+/\S+) v", open(p).read(), re.M):
                gomods.add(m.group(1))
gomods.add("stdlib")

shutil.rmtree(out, ignore_errors=True)
os.makedirs(out)
cves = set()


def copy(rel):
    d = os.path.join(out, rel)
    os.makedirs(os.path.dirname(d), exist_ok=True)
    shutil.copyfile(os.path.join(src, rel), d)


def osv_dir(rel, eco_names, parse):
    base = os.path.join(src, rel)
    for f in sorted(os.listdir(base)):
        p = os.path.join(base, f)
        if not f.endswith(".json"):
            continue
        doc = json.load(open(p))
        names = {a.get("package", {}).get("name") for a in doc.get("affected", [])}
        if names & eco_names:
            copy(os.path.join(rel, f))
            cves.update(a for a in doc.get("aliases", []) if a.startswith("CVE-"))


osv_dir("golang-vulndb/data/osv", gomods, json.load)
osv_dir("rustsec-osv/crates", crates, json.load)
for name in sorted(os.listdir(os.path.join(src, "pypa-advisory-database/vulns"))):
    if norm_py(name) in pypi:
        d = os.path.join("pypa-advisory-database/vulns", name)
        for f in sorted(os.listdir(os.path.join(src, d))):
            copy(os.path.join(d, f))
            cves.update(re.findall(r"CVE-\d{4}-\d+", open(os.path.join(src, d, f)).read()))
for f in sorted(os.listdir(os.path.join(src, "nodejs-security-wg/vuln/npm"))):
    rel = os.path.join("nodejs-security-wg/vuln/npm", f)
    try:
        doc = json.load(open(os.path.join(src, rel)))
    except Exception:
        continue
    if isinstance(doc, dict) and doc.get("module_name") in npm:
        copy(rel)
        cves.update(doc.get("cves") or [])
for g in sorted(gems):
    d = os.path.join("ruby-advisory-db/gems", g)
    if os.path.isdir(os.path.join(src, d)):
        for f in sorted(os.listdir(os.path.join(src, d))):
            copy(os.path.join(d, f))
            cves.update("CVE-" + c for c in re.findall(r"^cve: (\S+)", open(os.path.join(src, d, f)).read(), re.M))

# Debian lists: keep whole entries that name a sample source package.
for kind in ("DSA", "DLA"):
    text = open(os.path.join(src, "debian-security-tracker/data", kind, "list"), errors="replace").read()
    entries = re.split(r"(?m)^(?=\[)", text)
    keep = [e for e in entries if any(re.search(r"\] - %s " % re.escape(s), e) for s in deb_src)]
    d = os.path.join(out, "debian-security-tracker/data", kind)
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "list"), "w").write("".join(keep))
    for e in keep:
        cves.update(re.findall(r"CVE-\d{4}-\d+", e))

# Alpine secdb: only the sample's origin packages, same YAML layout.
for branch in ("v3.10",):
    for repo in ("main", "community"):
        p = os.path.join(src, "alpine-secdb", branch, repo + ".yaml")
        text = open(p).read()
        head, _, body = text.partition("packages:\n")
        blocks = re.split(r"(?m)^(?=  - pkg:)", body)
        keep = [b for b in blocks if (m := re.search(r"name: (\S+)", b)) and m.group(1) in apk_origin]
        d = os.path.join(out, "alpine-secdb", branch)
        os.makedirs(d, exist_ok=True)
        open(os.path.join(d, repo + ".yaml"), "w").write(head + "packages:\n" + "".join(keep))
        for b in keep:
            cves.update(re.findall(r"CVE-\d{4}-\d+", b))

# KEV and EPSS: rows for the CVEs kept above.
kev = json.load(open(os.path.join(src, "cisa-kev/known_exploited_vulnerabilities.json")))
kev["vulnerabilities"] = [v for v in kev["vulnerabilities"] if v["cveID"] in cves]
kev["count"] = len(kev["vulnerabilities"])
os.makedirs(os.path.join(out, "cisa-kev"), exist_ok=True)
json.dump(kev, open(os.path.join(out, "cisa-kev/known_exploited_vulnerabilities.json"), "w"), indent=1)
rows = []
epss_dir = os.path.join(src, "epss/EPSS_CVE_data")
for f in sorted(os.listdir(epss_dir)):
    for line in open(os.path.join(epss_dir, f)):
        if line.split(";", 1)[0] in cves:
            rows.append(line if line.endswith("\n") else line + "\n")
os.makedirs(os.path.join(out, "epss"), exist_ok=True)
open(os.path.join(out, "epss/epss-subset.csv"), "w").write("".join(rows))

for lic in ("cisa-kev/LICENSE", "golang-vulndb/data/LICENSE", "ruby-advisory-db/LICENSE.txt"):
    if os.path.exists(os.path.join(src, lic)):
        copy(lic)
shutil.copyfile(os.path.join(src, "SOURCES.md"), os.path.join(out, "SOURCES-upstream.md"))
open(os.path.join(out, "ATTRIBUTION.md"), "w").write("""# Attribution

These files are an unmodified subset (whole files, or whole entries of list files) of public vulnerability
data, selected by `scripts/make-demo-vulndb.py` because they concern the packages of the bundled samples.
Nobody on this project wrote them. Origins, commits and licences are in `SOURCES-upstream.md`:

- Go vulnerability database (CC-BY-4.0), golang/vulndb
- PyPA advisory database (CC-BY-4.0), pypa/advisory-database
- RustSec advisory database, OSV export (CC0-1.0; GHSA imports CC-BY-4.0), rustsec/advisory-db
- Node.js security working group npm advisories (MIT), nodejs/security-wg
- RubySec ruby-advisory-db (public domain), rubysec/ruby-advisory-db
- Debian security tracker DSA/DLA lists, Debian security team
- Alpine secdb, alpinelinux/alpine-secdb
- CISA Known Exploited Vulnerabilities catalog (CC0-1.0), cisagov/kev-data
- FIRST EPSS scores, via EMBA-support-repos/EPSS-data
""")
print(f"{len(cves)} CVEs; debian sources {len(deb_src)}, apk {len(apk_origin)}, pypi {len(pypi)}, npm {len(npm)}, "
      f"gems {len(gems)}, crates {len(crates)}, go {len(gomods)}")
