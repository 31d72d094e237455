#!/usr/bin/env python3
"""Checks the deployment files with the tools that install here (scripts/setup.sh --test puts them in .deploy-tools):

- deploy/kubernetes: each overlay rendered as `kubectl apply -k` would (resources, labels, JSON 6902 patches: the
  subset of Kustomize these files use; anything else is refused), every object validated strictly against the
  Kubernetes API schemas (kubernetes-validate, which vendors them) for the versions in KUBERNETES_VERSIONS;
- deploy/helm/interference: rendered for each scenario (values.yaml; values-single.yaml; values-ha.yaml; the
  bundled PostgreSQL and Redis charts on) with scripts/helm-render (Go's text/template and sprig, Helm's own
  engines: no Helm binary installs from these registries) and validated like the manifests; scenario files may
  set only keys values.yaml defines;
- Dockerfile: hadolint;
- deploy/prometheus/alerts.yaml and deploy/grafana/interference.json: every PromQL expression parses
  (promql-parser), and every metric it names is one the gateway exports (--metrics: a file of names, one a line).

    .deploy-tools/bin/python scripts/check-deploy.py --metrics /tmp/metric-names.txt
"""
import argparse
import copy
import json
import pathlib
import subprocess
import sys
import tempfile

import jsonpatch
import kubernetes_validate
import promql_parser
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
KUBERNETES_VERSIONS = ["1.30.0", "1.37.0"]
problems: list[str] = []


def say(line: str) -> None:
    print(f"[check-deploy] {line}")


def load_all(path: pathlib.Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def render(folder: pathlib.Path) -> list[dict]:
    """A Kustomize folder's objects: its resources (files or folders), then its labels and patches."""
    k = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unknown = set(k) - {"apiVersion", "kind", "resources", "labels", "patches"}
    if unknown:
        raise SystemExit(f"{folder}: kustomization uses {sorted(unknown)}, which this renderer does not implement")
    objects: list[dict] = []
    for r in k.get("resources", []):
        target = folder / r
        objects += render(target) if target.is_dir() else load_all(target)
    for rule in k.get("labels", []):
        for obj in objects:
            obj.setdefault("metadata", {}).setdefault("labels", {}).update(rule["pairs"])
            if rule.get("includeSelectors"):
                raise SystemExit(f"{folder}: labels with includeSelectors are not implemented")
    for p in k.get("patches", []):
        t = p["target"]
        matched = [o for o in objects if o["kind"] == t["kind"] and o["metadata"]["name"] == t["name"]]
        if not matched:
            problems.append(f"{folder}: a patch matches no object ({t})")
        for i, obj in enumerate(objects):
            if obj in matched:
                objects[i] = jsonpatch.apply_patch(obj, yaml.safe_load(p["patch"]))
    return copy.deepcopy(objects)


def check_kubernetes() -> None:
    for overlay in sorted((ROOT / "deploy/kubernetes/overlays").iterdir()):
        validate(render(overlay), f"kubernetes/{overlay.name}")


def check_helm(helm_render: str) -> None:
    chart = ROOT / "deploy/helm/interference"
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    for key in ("apiVersion", "name", "version", "appVersion"):
        if key not in meta:
            problems.append(f"helm: Chart.yaml has no {key}")
    defaults = yaml.safe_load((chart / "values.yaml").read_text())

    def unknown_keys(values: dict, base: dict, where: str) -> None:
        for key, value in values.items():
            if key not in base:
                problems.append(f"helm: {where}{key} is not in values.yaml")
            elif isinstance(value, dict) and isinstance(base[key], dict) and base[key]:
                unknown_keys(value, base[key], f"{where}{key}.")

    # Each scenario file, the defaults alone, and the defaults with the bundled PostgreSQL and Redis charts on.
    bundled = pathlib.Path(tempfile.mkdtemp()) / "values-bundled.yaml"
    bundled.write_text("postgresql: { enabled: true }\nredis: { enabled: true }\n")
    scenarios = [None, *sorted(chart.glob("values-*.yaml")), bundled]
    for f in scenarios:
        label = f.name if f else "values.yaml"
        if f:
            unknown_keys(yaml.safe_load(f.read_text()) or {}, defaults, f"{label}: ")
        out = subprocess.run([helm_render, str(chart), "interference", *([str(f)] if f else [])], capture_output=True, text=True)
        if out.returncode:
            problems.append(f"helm ({label}): {out.stderr.strip()}")
            continue
        objects = [d for d in yaml.safe_load_all(out.stdout) if d]
        validate(objects, f"helm/{label}")


def validate(objects: list[dict], where: str) -> None:
    """Every object, strictly, against each Kubernetes version's API schemas."""
    for version in KUBERNETES_VERSIONS:
        for obj in objects:
            name = f"{where}: {obj['kind']}/{obj['metadata']['name']} (Kubernetes {version})"
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as err:
                problems.append(f"{name}: {err.message} at {'/'.join(map(str, err.path))}")
            except Exception as err:  # noqa: BLE001 - the validator's own errors (unknown kind, version)
                problems.append(f"{name}: {err}")
    kinds = ", ".join(sorted(o["kind"] for o in objects))
    say(f"{where}: {len(objects)} objects ({kinds}) valid against {', '.join(KUBERNETES_VERSIONS)} (strict)")


def check_dockerfile(hadolint: str) -> None:
    out = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    if out.returncode:
        problems.append(f"hadolint: {out.stdout.strip() or out.stderr.strip()}")
    say(f"Dockerfile: hadolint {'clean' if not out.returncode else 'found problems'}")


def metric_names(expr: str) -> set[str]:
    names: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)
        for attr in ("expr", "lhs", "rhs", "vector_selector", "param"):
            child = getattr(node, attr, None)
            if child is not None and not isinstance(child, (str, int, float)):
                walk(child)
        for child in getattr(node, "args", None) or []:
            walk(child)

    walk(promql_parser.parse(expr))
    return names


def exported(name: str, known: set[str]) -> bool:
    # Histograms and summaries export their series under suffixed names.
    return name in known or any(name == f"{k}{s}" for k in known for s in ("_bucket", "_sum", "_count"))


def check_queries(known: set[str]) -> None:
    rules = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yaml").read_text())
    exprs = [(f"alert {r['alert']}", r["expr"]) for g in rules["groups"] for r in g["rules"]]
    for r in (r for g in rules["groups"] for r in g["rules"]):
        for key in ("alert", "expr", "labels", "annotations"):
            if key not in r:
                problems.append(f"alerts: {r.get('alert', '?')} has no {key}")
    dashboard = json.loads((ROOT / "deploy/grafana/interference.json").read_text())
    panels = [p for p in dashboard["panels"] if p.get("type") != "row"]
    exprs += [(f"panel {p['title']}", t["expr"]) for p in panels for t in p.get("targets", [])]
    for where, expr in exprs:
        try:
            names = metric_names(expr.replace("$__rate_interval", "5m"))
        except Exception as err:  # noqa: BLE001 - the parser's own error
            problems.append(f"{where}: does not parse: {err}")
            continue
        for n in sorted(names):
            if not exported(n, known):
                problems.append(f"{where}: the gateway exports no metric {n}")
    say(f"prometheus: {len(rules['groups'])} rule groups, {sum(len(g['rules']) for g in rules['groups'])} alerts; grafana: {len(panels)} panels; {len(exprs)} expressions parse and name exported metrics")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--metrics", required=True, help="file of the metric names the gateway exports, one a line")
    parser.add_argument("--hadolint", default=str(pathlib.Path(sys.executable).parent / "hadolint"))
    parser.add_argument("--helm-render", default=str(pathlib.Path(sys.executable).parent / "helm-render"))
    args = parser.parse_args()
    known = {line.strip() for line in pathlib.Path(args.metrics).read_text().splitlines() if line.strip()}
    check_kubernetes()
    check_helm(args.helm_render)
    check_dockerfile(args.hadolint)
    check_queries(known)
    for p in problems:
        print(f"[check-deploy] PROBLEM {p}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
